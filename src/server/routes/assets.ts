/** Static assets: the element's CDN build and the pages' own CSS and script. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';

const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/**
 * @param opts.cdnDir where the built element lives; `cache`: keep files in memory once read
 * (production), or read them on every request (development, where `npm run build` replaces them).
 */
export function assetRoutes(opts: { cdnDir: string; cache: boolean }) {
  const app = new Hono<Env>();
  const cache = new Map<string, Buffer>();

  async function serve(dir: string, name: string, cors: boolean): Promise<Response> {
    if (!/^[a-z0-9][a-z0-9.-]*\.(js|css|map)$/.test(name)) throw new GatewayError(404, 'not_found', 'no such asset', 'path');
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
      'content-type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
      'cache-control': 'public, max-age=300',
    };
    // Module scripts loaded from a shop's page are cross-origin requests.
    if (cors) headers['access-control-allow-origin'] = '*';
    return new Response(new Uint8Array(body), { headers });
  }

  app.get('/cdn/:name', (c) => serve(opts.cdnDir, c.req.param('name'), true));
  app.get('/assets/:name', (c) => serve(ASSETS_DIR, c.req.param('name'), false));
  return app;
}
