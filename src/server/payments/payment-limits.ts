/**
 * The rate limits on creating payments, as a middleware for `POST /api/v1/payments` and the no-JS
 * form (after `capBody`, so the body has been read and checked already): per client address, per
 * form token, and per merchant with CHECK on (each payment may send the merchant a CHECK). An
 * unreadable body or a token that does not verify passes through: the route refuses it itself.
 *
 * The token's and the merchant's points are taken before the request goes on, so that a burst of
 * parallel requests is bounded too, and given back when the answer says nothing was created and no
 * CHECK was sent (a refused body, way or amount, a foreign origin, an idempotency conflict): a
 * buyer who mistypes the amount does not use up the form.
 */
import type { MiddlewareHandler } from 'hono';
import type { Env } from '../env.ts';
import type { RateLimitName, RateLimits } from '../http/rate-limit.ts';
import type { Storage } from '../storage/storage.ts';
import { verifyToken } from '../token.ts';

/** Answers that mean the route created no payment and sent no CHECK. */
const NOTHING_CREATED = new Set([400, 403, 409, 410, 413, 415]);

function tokenOf(text: string, contentType: string): string | undefined {
  if (contentType.startsWith('application/json')) {
    try {
      const body = JSON.parse(text) as { token?: unknown } | null;
      return typeof body?.token === 'string' ? body.token : undefined;
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(text).get('token') ?? undefined;
}

/**
 * @example app.post('/api/v1/payments', capBody(16384), paymentLimits({ limits, storage, secret, now }), handler)
 */
export function paymentLimits(deps: { limits: RateLimits; storage: Storage; secret: string; now: () => number }): MiddlewareHandler<Env> {
  // Switched off: nothing to count, so the body is not parsed nor the token verified twice.
  if (!deps.limits.enabled) return async (_c, next) => { await next(); };
  return async (c, next) => {
    // The no-JS form is answered in HTML, a refusal too.
    if (c.req.path.endsWith('/continue')) c.set('html', true);
    const client = c.get('client');
    if (client !== undefined) await deps.limits.consume('paymentsPerAddress', client);
    const token = tokenOf(await c.req.text(), c.req.header('content-type') ?? '');
    const t = token ? verifyToken(token, deps.now(), deps.secret) : undefined;
    const counted: [RateLimitName, string][] = [];
    if (token && t?.ok) {
      // The token's MAC (after the dot) identifies it in 43 characters.
      const key = token.slice(token.indexOf('.') + 1);
      await deps.limits.consume('paymentsPerToken', key);
      counted.push(['paymentsPerToken', key]);
      const login = (t.payload as { m?: unknown } | null)?.m;
      if (typeof login === 'string') {
        const merchant = await deps.storage.getMerchant(login);
        if (merchant?.notifications) {
          try {
            await deps.limits.consume('checksPerMerchant', login);
          } catch (e) {
            await deps.limits.refund('paymentsPerToken', key);
            throw e;
          }
          counted.push(['checksPerMerchant', login]);
        }
      }
    }
    await next();
    if (NOTHING_CREATED.has(c.res.status)) for (const [name, key] of counted) await deps.limits.refund(name, key);
  };
}
