/** Static assets: the element's CDN build and the pages' own CSS and script. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';

const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));
/** Libraries the gateway's own pages use, served from the installed package (the cabinet's chart: uPlot). */
const VENDOR_DIR = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
const VENDOR: Record<string, string> = {
  'uplot.js': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
};
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/**
 * @param opts.cdnDir where the built element lives; `cache`: keep files in memory once read
 * (production), or read them on every request (development, where `npm run build` replaces them).
 */
export function assetRoutes(opts: { cdnDir: string; cache: boolean }) {
  const app = new Hono<Env>();
  const cache = new Map<string, Buffer>();

  /** A vendor file under its own (mixed-case) name, typed by the public name. */
  async function serveFile(dir: string, file: string, publicName: string): Promise<Response> {
    return serve(dir, file, false, publicName);
  }

  async function serve(dir: string, name: string, cors: boolean, publicName = name): Promise<Response> {
    if (!/^[a-z0-9][a-z0-9.-]*\.(js|css|map)$/.test(publicName)) throw new GatewayError(404, 'not_found', 'no such asset', 'path');
    const path = join(dir, name);
    let body = cache.get(path);
    if (!body) {
      try {
        body = await readFile(path);
      } catch {
        throw new GatewayError(404, 'not_found', `no such asset${dir === opts.cdnDir ? ' (run npm run build)' : ''}`, 'path');
      }
      if (opts.cache) cache.set(path, body);
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[publicName.slice(publicName.lastIndexOf('.'))] ?? 'application/octet-stream',
      'cache-control': 'public, max-age=300',
    };
    // Module scripts loaded from a shop's page are cross-origin requests.
    if (cors) headers['access-control-allow-origin'] = '*';
    return new Response(new Uint8Array(body), { headers });
  }

  app.get('/cdn/:name', (c) => serve(opts.cdnDir, c.req.param('name'), true));
  // `/assets/vendor/:name` beside `/assets/:name` would make Hono fall back from its RegExpRouter to
  // the slower TrieRouter for every request of the gateway: one route takes both.
  app.get('/assets/:dir/:name', (c) => {
    if (c.req.param('dir') !== 'vendor') throw new GatewayError(404, 'not_found', 'no such asset', 'path');
    const file = Object.hasOwn(VENDOR, c.req.param('name')) ? VENDOR[c.req.param('name')] : undefined;
    if (!file) throw new GatewayError(404, 'not_found', 'no such asset', 'path');
    const slash = file.lastIndexOf('/');
    return serveFile(join(VENDOR_DIR, file.slice(0, slash)), file.slice(slash + 1), c.req.param('name'));
  });
  app.get('/assets/:name', (c) => serve(ASSETS_DIR, c.req.param('name'), false));
  return app;
}
