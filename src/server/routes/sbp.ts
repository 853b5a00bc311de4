/**
 * `GET /sbp/banks.json`: the banks that take SBP payments (NSPK's C2B members dictionary, the
 * snapshot of src/server/sbp/banks.ts), for the element's bank chooser. The bytes are made once;
 * a week's `max-age`, then asked again with the `ETag` (a `304` while it still matches). Any shop's
 * page reads it, so it is open to every origin: it is public data and carries nothing of a payment.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import type { SbpBanksAsset } from '../sbp/banks.ts';

/** A week: the dictionary changes with a release of the gateway (or `npm run sbp-banks -- update` and a restart). */
export const SBP_BANKS_CACHE = 'public, max-age=604800';

/** Whether `If-None-Match` names `etag` (or `*`), weak or strong. */
const matches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  !!ifNoneMatch && ifNoneMatch.split(',').some((t) => ['*', etag].includes(t.trim().replace(/^W\//, '')));

/** @param banks the answer, made once at start (`sbpBanksAsset(readSbpBanksSnapshot())`). */
export function sbpRoutes(banks: SbpBanksAsset) {
  const app = new Hono<Env>();
  app.get('/sbp/banks.json', (c) => {
    const headers: Record<string, string> = {
      'cache-control': SBP_BANKS_CACHE,
      etag: banks.etag,
      'access-control-allow-origin': '*',
    };
    if (matches(c.req.header('if-none-match'), banks.etag)) return new Response(null, { status: 304, headers });
    return new Response(c.req.method === 'HEAD' ? null : banks.body, { headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } });
  });
  return app;
}
