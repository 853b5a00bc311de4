/**
 * The icon every page of the gateway, the demo shop and the providers' emulators answers
 * `/favicon.ico` with (issue 28 item 6): browsers ask for it by themselves, and a 404 on every page
 * is noise in a shop owner's console and logs. One small ICO (16 and 32 px PNGs) in the assets.
 *
 * @example if (serveFavicon(req, res)) return; // in a node:http handler
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The icon's bytes, read once. */
export const FAVICON_ICO: Uint8Array = new Uint8Array(readFileSync(new URL('../assets/favicon.ico', import.meta.url)));

/** Headers of the icon: it changes with a release at most, so a day in caches. */
export const FAVICON_HEADERS = { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' } as const;

/** The icon as a fetch-API response. */
export const faviconResponse = (): Response => new Response(FAVICON_ICO.slice(), { headers: FAVICON_HEADERS });

/** Answers `GET /favicon.ico` on a node:http server; false for any other request. */
export function serveFavicon(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if ((req.url ?? '').split('?')[0] !== '/favicon.ico') return false;
  res.writeHead(200, { ...FAVICON_HEADERS, 'content-length': String(FAVICON_ICO.byteLength) });
  res.end(req.method === 'HEAD' ? undefined : FAVICON_ICO);
  return true;
}
