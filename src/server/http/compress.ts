/**
 * Compressed answers: every text answer of 1 KB or more goes out as brotli or gzip, whichever the
 * client's `Accept-Encoding` prefers (brotli on a tie), with `Vary: Accept-Encoding`. The element's
 * CDN files are compressed once at build (`*.br`, `*.gz` beside them) and served by the asset routes;
 * this is for the rest: pages, JSON, the pages' own scripts and styles.
 *
 * Left alone: answers already encoded, status streams (`text/event-stream`: compressing would hold
 * events back in the compressor's buffer), the CSV export (a pull stream with backpressure, read to
 * the end here it would sit whole in memory), HEAD, 204 and 304, and clients that accept neither.
 * Small answers are not worth it: under 1 KB the saving is smaller than one TCP segment.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';

export type ContentCoding = 'br' | 'gzip';

/** Bodies smaller than this go out as they are. */
export const COMPRESS_MIN_BYTES = 1024;

/**
 * Brotli's quality for answers made per request: 4 compresses a 40 KB page in well under a
 * millisecond and within a few percent of 11, which costs ~50× more (11 is for files built once).
 */
const BROTLI_DYNAMIC_QUALITY = 4;

const COMPRESSIBLE = /^(?:text\/(?:html|css|javascript|plain|xml)|application\/(?:json|javascript|xml|manifest\+json|problem\+json)|image\/svg\+xml)\b/i;

/**
 * The coding to answer with for an `Accept-Encoding` header, among those `available`: `br` or `gzip`
 * (their q-values and `*` respected, `q=0` refusing), or null for identity.
 * @example pickEncoding('gzip, deflate, br') // 'br'
 */
export function pickEncoding(acceptEncoding: string | undefined | null, available: { br: boolean; gzip: boolean } = { br: true, gzip: true }): ContentCoding | null {
  if (!acceptEncoding) return null;
  let br = -1;
  let gzip = -1;
  let any = -1;
  for (const part of acceptEncoding.split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = rawName!.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) continue;
    if (name === 'br') br = q;
    else if (name === 'gzip' || name === 'x-gzip') gzip = q;
    else if (name === '*') any = q;
  }
  if (br < 0) br = any;
  if (gzip < 0) gzip = any;
  if (!available.br) br = 0;
  if (!available.gzip) gzip = 0;
  if (br <= 0 && gzip <= 0) return null;
  return br >= gzip ? 'br' : 'gzip';
}

/** `bytes` compressed with `coding` at the per-request settings. */
export function compressBytes(bytes: Uint8Array, coding: ContentCoding): Buffer {
  return coding === 'br'
    ? brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_DYNAMIC_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } })
    : gzipSync(bytes, { level: 6 });
}

/** Whether an answer with these headers may be compressed here. */
function compressible(res: Response): boolean {
  if (res.body === null || res.status === 204 || res.status === 304 || res.status < 200) return false;
  const type = res.headers.get('content-type');
  if (!type || !COMPRESSIBLE.test(type)) return false;
  if (res.headers.has('content-encoding')) return false;
  return !/\bno-transform\b/i.test(res.headers.get('cache-control') ?? '');
}

/** Adds `Accept-Encoding` to an answer's `Vary`. */
function withVary(vary: string | null): string {
  if (!vary) return 'Accept-Encoding';
  return /(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary) ? vary : `${vary}, Accept-Encoding`;
}

/**
 * The middleware: after the route answered (and the common headers are on), a text answer of
 * COMPRESS_MIN_BYTES or more is replaced by its compressed bytes. Requests accepting neither coding
 * cost one header read.
 */
export function compressAnswers(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const coding = c.req.method === 'HEAD' ? null : pickEncoding(c.req.header('accept-encoding'));
    if (!coding) return;
    const res = c.res;
    if (!compressible(res)) return;
    const bytes = new Uint8Array(await res.arrayBuffer());
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers[name] = value;
    });
    const cookies = res.headers.getSetCookie();
    let body: Uint8Array<ArrayBuffer> = bytes;
    if (bytes.byteLength >= COMPRESS_MIN_BYTES) {
      body = new Uint8Array(compressBytes(bytes, coding));
      headers['content-encoding'] = coding;
      headers['content-length'] = String(body.byteLength);
      headers.vary = withVary(headers.vary ?? null);
      // A validator of the identity bytes does not name these ones.
      const etag = headers.etag;
      if (etag && !etag.startsWith('W/')) headers.etag = `W/${etag}`;
    }
    const next2 = new Response(body, { status: res.status, statusText: res.statusText, headers });
    for (const cookie of cookies) next2.headers.append('set-cookie', cookie);
    c.res = undefined as unknown as Response; // replace, not merge: c.res's setter merges headers otherwise
    // Not marked as complete: the logging middleware, outside this one, still adds X-Request-Id to a page.
    c.res = next2;
  };
}
