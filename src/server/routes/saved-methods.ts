/**
 * Saved methods and merchant-initiated charges in the merchant's API (issue 26), with the cabinet's
 * bearer key (or the cabinet page's session), under the cabinet's rate limits (the cabinet routes'
 * middleware authenticates these paths too):
 * - `GET /api/v1/customers/{customer}/methods`
 * - `DELETE /api/v1/customers/{customer}/methods/{id}`
 * - `POST /api/v1/charges` (`Idempotency-Key` required)
 * Parses, calls the payment service, shapes the answer.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import { capBody } from '../http/body-limit.ts';
import { GatewayError } from '../errors.ts';
import { validJson } from '../http/validate.ts';
import { parseAmount } from '../../protocol/money.ts';
import { parseReceipt } from '../../protocol/receipt.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Merchant } from '../types.ts';
import { authenticated, merchantOf } from '../http/merchant-auth.ts';

const MAX_BODY_BYTES = 16 * 1024;
/** The shop's customer id, as the link's `customer` extension takes it. */
const CUSTOMER = /^[^\p{Cc}]{1,64}$/u;
const METHOD_ID = /^pm_[A-Za-z0-9_-]{10,60}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const chargeBody = z.object({
  customer: z.string({ error: 'is required' }).regex(CUSTOMER, 'must be 1 to 64 printable characters'),
  method: z.string({ error: 'is required' }).regex(METHOD_ID, 'must be a saved method\'s id (pm_…)'),
  amount: z.string({ error: 'must be a string like "499.00"' }).regex(/^[0-9]{1,15}(\.[0-9]{1,2})?$/, 'must be a decimal amount like "499.00" (at most 2 decimals)'),
  ticker: z.literal('RUR', { error: 'must be RUR' }),
  payFor: z.string({ error: 'is required' }).min(1, 'is required').max(100, 'must be at most 100 characters').regex(/^[^\p{Cc}]+$/u, 'must not contain control characters'),
  receipt: z.unknown().optional(),
}).strict();

function customerParam(value: string): string {
  if (!CUSTOMER.test(value)) throw new GatewayError(400, 'invalid_param', 'customer: must be 1 to 64 printable characters', 'customer');
  return value;
}

export function savedMethodRoutes(deps: { service: PaymentService }) {
  const { service } = deps;
  const app = new Hono<Env & { Variables: { merchant: Merchant } }>();

  app.get('/api/v1/customers/:customer/methods', async (c) =>
    c.json(await service.savedMethods.list(merchantOf(c), customerParam(c.req.param('customer')))));

  app.delete('/api/v1/customers/:customer/methods/:id', async (c) => {
    const id = c.req.param('id');
    if (!METHOD_ID.test(id)) throw new GatewayError(404, 'not_found', 'no such saved method of this customer', 'id');
    return c.json(await service.savedMethods.remove(merchantOf(c), customerParam(c.req.param('customer')), id));
  });

  app.post('/api/v1/charges', capBody(MAX_BODY_BYTES), authenticated, validJson(chargeBody), async (c) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined) throw new GatewayError(400, 'invalid_param', 'Idempotency-Key: is required for a charge', 'Idempotency-Key');
    if (!IDEMPOTENCY_KEY.test(key)) throw new GatewayError(400, 'invalid_param', 'Idempotency-Key: 1–255 printable ASCII characters', 'Idempotency-Key');
    const b = c.req.valid('json');
    let receipt;
    if (b.receipt !== undefined) {
      const r = parseReceipt(b.receipt, 'receipt');
      if (!r.ok) throw new GatewayError(400, 'invalid_param', `${r.issue.field}: ${r.issue.message}`, r.issue.field);
      receipt = r.receipt;
    }
    const answer = await service.chargeSavedMethod({
      merchant: merchantOf(c), customer: b.customer, methodId: b.method, amountMinor: parseAmount(b.amount)!, ticker: b.ticker,
      payFor: b.payFor, idempotencyKey: key, ...(receipt ? { receipt } : {}),
    });
    return c.json(answer.payment, answer.created ? 201 : 200);
  });

  return app;
}
