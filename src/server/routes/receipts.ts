/**
 * Fiscal receipts in the merchant API (issue 24): `POST /api/v1/payments/{id}/receipts`
 * (`{type: "full_payment", items?}`, `Idempotency-Key` optional) issues the closing receipt, and
 * `GET …/receipts` lists a payment's receipts with their registration status. Authenticated as the
 * cabinet API: `Authorization: Bearer <apiKey>`, or the cabinet page's session with its CSRF token
 * (the cabinet's middleware runs for this path too). Parses, calls the domain, shapes the answer.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import { capBody } from '../http/body-limit.ts';
import type { Cabinet } from '../cabinet/cabinet.ts';
import { GatewayError } from '../errors.ts';
import type { ClosingReceipts } from '../refunds/closing-receipt.ts';
import type { Merchant } from '../types.ts';
import { validJson } from '../http/validate.ts';

/** The path of a payment's receipts. */
export const RECEIPTS_PATH = '/api/v1/payments/:id/receipts';
const MAX_BODY_BYTES = 64 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const closingBody = z.object({
  type: z.literal('full_payment', { error: 'must be full_payment (the closing receipt of a prepayment)' }),
  // Each line is held to the receipt model's rules by the domain, which names it by its path.
  items: z.array(z.unknown(), { error: 'must be a list of receipt lines' }).min(1, 'must have at least one line').max(100, 'at most 100 lines').optional(),
  actor: z.string().max(100, 'must be at most 100 characters').optional(),
}).strict();

export function receiptRoutes(deps: { cabinet: Cabinet; closing: ClosingReceipts }) {
  const { cabinet, closing } = deps;
  const app = new Hono<Env & { Variables: { merchant: Merchant } }>();

  // Authenticated before the body is judged, as the refunds are.
  app.use(RECEIPTS_PATH, async (c, next) => {
    if (!c.get('merchant')) c.set('merchant', await cabinet.authenticate(c.req.header('authorization')));
    await next();
    c.header('cache-control', 'no-store');
  });

  app.post(RECEIPTS_PATH, capBody(MAX_BODY_BYTES), validJson(closingBody), async (c) => {
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new GatewayError(400, 'invalid_param', 'Idempotency-Key: 1–255 printable ASCII characters', 'Idempotency-Key');
    const { actor, ...input } = c.req.valid('json');
    const r = await closing.issue(c.get('merchant'), c.req.param('id'), input, key, actor);
    return c.json({ receipt: r.receipt }, r.created ? 201 : 200);
  });

  app.get(RECEIPTS_PATH, async (c) => c.json(await closing.list(c.get('merchant'), c.req.param('id'))));

  return app;
}
