/**
 * The icon every page of the gateway and the demo shop answers `/favicon.ico` with (issue 28
 * item 6): browsers ask for it by themselves, and a 404 on every page is noise in a shop owner's
 * console and logs. One small ICO (16 and 32 px PNGs) in the assets; the providers' emulators read
 * the same file themselves (they import nothing of the gateway).
 *
 * @example app.get('/favicon.ico', () => faviconResponse());
 */
import { readFileSync } from 'node:fs';

/** The icon's bytes, read once. */
export const FAVICON_ICO: Uint8Array = new Uint8Array(readFileSync(new URL('../assets/favicon.ico', import.meta.url)));

/** Headers of the icon: it changes with a release at most, so a day in caches. */
export const FAVICON_HEADERS = { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' } as const;

/** The icon as a fetch-API response. */
export const faviconResponse = (): Response => new Response(FAVICON_ICO.slice(), { headers: FAVICON_HEADERS });
