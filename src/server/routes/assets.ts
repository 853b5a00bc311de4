/**
 * Static assets: the element's CDN build and the pages' own CSS and script. The CDN scripts go out
 * in the coding the client prefers from the bytes the build compressed (http/cdn-files.ts), their
 * content-hashed names cached for a year as `immutable`, their plain names for five minutes with an
 * `ETag` (a `304` when it still matches). The pages' own files are compressed by the app's middleware.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';
import { contentHash, HASHED_NAME } from '../http/cdn-files.ts';
import { pickEncoding, type ContentCoding } from '../http/compress.ts';
import { faviconResponse } from '../http/favicon.ts';

const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));
/** Libraries the gateway's own pages use, served from the installed package (the cabinet's chart: uPlot). */
const VENDOR_DIR = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
const VENDOR: Record<string, string> = {
  'uplot.js': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
  // The link builder's QR code (the QR library the gateway already uses for SBP).
  'uqr.js': 'uqr/dist/index.mjs',
};
/**
 * The wire's own modules the pages' scripts share with the server and the element, served as
 * JavaScript: the TypeScript source with its types stripped by esbuild once (the cabinet formats
 * money and dates with the one formatter, src/protocol/locale-format.ts).
 */
const PROTOCOL_DIR = fileURLToPath(new URL('../../protocol/', import.meta.url));
const PROTOCOL_MODULES: Record<string, string> = { 'locale-format.js': 'locale-format.ts', 'languages.js': 'languages.ts' };
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };
/** A hashed name's bytes never change: cached for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A plain name's bytes change with a release: five minutes, then asked again with its ETag. */
const SHORT = 'public, max-age=300';

/** One CDN file as served: its bytes in each coding the build made, and its validator. */
interface CdnFile {
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  hash: string;
}

/** Whether `If-None-Match` names `etag` (or `*`); weak and strong forms alike, as for a GET. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === bare;
  });
}

/**
 * @param opts.cdnDir where the built element lives; `cache`: keep files in memory once read
 * (production), or read them on every request (development, where `npm run build` replaces them).
 */
export function assetRoutes(opts: { cdnDir: string; cache: boolean }) {
  const app = new Hono<Env>();
  const cache = new Map<string, Buffer>();
  const cdnCache = new Map<string, CdnFile>();

  /** A CDN file and the compressed bytes the build left beside it (read once when caching). */
  async function cdnFile(name: string): Promise<CdnFile> {
    if (!/^[a-z0-9][a-z0-9.-]*\.js$/.test(name)) throw new GatewayError(404, 'not_found', 'no such asset', 'path');
    const known = cdnCache.get(name);
    if (known) return known;
    const path = join(opts.cdnDir, name);
    let identity: Buffer;
    try {
      identity = await readFile(path);
    } catch {
      throw new GatewayError(404, 'not_found', 'no such asset (run npm run build)', 'path');
    }
    const [br, gzip] = await Promise.all([readFile(`${path}.br`).catch(() => undefined), readFile(`${path}.gz`).catch(() => undefined)]);
    const file: CdnFile = { identity, hash: contentHash(identity), ...(br ? { br } : {}), ...(gzip ? { gzip } : {}) };
    if (opts.cache) cdnCache.set(name, file);
    return file;
  }

  async function serveCdn(name: string, acceptEncoding: string | undefined, ifNoneMatch: string | undefined, head: boolean): Promise<Response> {
    const file = await cdnFile(name);
    // Only the codings the build made: a missing one goes out as identity rather than being made per request.
    const coding: ContentCoding | null = pickEncoding(acceptEncoding, { br: !!file.br, gzip: !!file.gzip });
    const body = coding === 'br' ? file.br! : coding === 'gzip' ? file.gzip! : file.identity;
    // One validator per coding: each is its own representation.
    const etag = `"${file.hash}${coding ? `-${coding}` : ''}"`;
    const headers: Record<string, string> = {
      'content-type': TYPES['.js']!,
      'cache-control': HASHED_NAME.test(name) ? IMMUTABLE : SHORT,
      etag,
      vary: 'Accept-Encoding',
      // Module scripts loaded from a shop's page are cross-origin requests.
      'access-control-allow-origin': '*',
    };
    if (matches(ifNoneMatch, etag)) return new Response(null, { status: 304, headers });
    if (coding) headers['content-encoding'] = coding;
    headers['content-length'] = String(body.byteLength);
    return new Response(head ? null : new Uint8Array(body), { headers });
  }

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

  // Browsers ask every page's origin for its icon.
  app.get('/favicon.ico', () => faviconResponse());
  app.get('/cdn/:name', (c) => serveCdn(c.req.param('name'), c.req.header('accept-encoding'), c.req.header('if-none-match'), c.req.method === 'HEAD'));
  // `/assets/vendor/:name` beside `/assets/:name` would make Hono fall back from its RegExpRouter to
  // the slower TrieRouter for every request of the gateway: one route takes both.
  app.get('/assets/:dir/:name', (c) => {
    if (c.req.param('dir') !== 'vendor') throw new GatewayError(404, 'not_found', 'no such asset', 'path');
    const file = Object.hasOwn(VENDOR, c.req.param('name')) ? VENDOR[c.req.param('name')] : undefined;
    if (!file) throw new GatewayError(404, 'not_found', 'no such asset', 'path');
    const slash = file.lastIndexOf('/');
    return serveFile(join(VENDOR_DIR, file.slice(0, slash)), file.slice(slash + 1), c.req.param('name'));
  });
  const protocolCache = new Map<string, Buffer>();
  /** A protocol module as JavaScript (its source's types stripped; no bundling: it imports nothing). */
  async function serveProtocol(name: string): Promise<Response> {
    let body = protocolCache.get(name);
    if (!body) {
      const source = await readFile(join(PROTOCOL_DIR, PROTOCOL_MODULES[name]!), 'utf8');
      // Synchronous: one short esbuild run per module and process (cached), no service process left behind.
      body = Buffer.from(transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' }).code);
      if (opts.cache) protocolCache.set(name, body);
    }
    return new Response(new Uint8Array(body), { headers: { 'content-type': TYPES['.js']!, 'cache-control': SHORT } });
  }

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    return Object.hasOwn(PROTOCOL_MODULES, name) ? serveProtocol(name) : serve(ASSETS_DIR, name, false);
  });
  return app;
}
