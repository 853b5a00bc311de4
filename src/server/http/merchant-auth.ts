/**
 * The merchant a request was authenticated as (the cabinet's Bearer-key middleware sets `merchant`),
 * for routes mounted behind it: one guard, so a route mounted without that middleware refuses with
 * a 401 rather than answering unauthenticated.
 * @example app.get('/api/v1/subscriptions/:id', async (c) => c.json(await subs.get(merchantOf(c), id)));
 */
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.ts';
import type { Merchant } from '../types.ts';

type WithMerchant = { get(k: 'merchant'): Merchant | undefined };

/** The authenticated merchant; a 401 naming `Authorization` when there is none. */
export function merchantOf(c: WithMerchant): Merchant {
  const m = c.get('merchant');
  if (!m) throw new GatewayError(401, 'unauthorized', 'Authorization: a Bearer key is required', 'Authorization');
  return m;
}

/** The same guard as middleware: before a body is parsed, so an unauthenticated request learns only that. */
export const authenticated: MiddlewareHandler = async (c, next) => {
  merchantOf(c as unknown as WithMerchant);
  await next();
};
