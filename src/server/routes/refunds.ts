/**
 * Refunds in the cabinet API: `POST /api/v1/cabinet/payments/{id}/refunds` (`{amount, reason}`,
 * `Idempotency-Key` optional) and `GET …/refunds`, with the cabinet's bearer key. Parses, calls the
 * refunds domain (src/server/refunds/refunds.ts), shapes the answer. Kept apart from the rest of the
 * cabinet routes, and authenticating by itself, so either can change without the other.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import { capBody } from '../http/body-limit.ts';
import type { Cabinet } from '../cabinet/cabinet.ts';
import { GatewayError } from '../errors.ts';
import { MAX_REFUND_REASON_CHARS, type Refunds } from '../refunds/refunds.ts';
import type { Merchant } from '../types.ts';
import { validJson } from '../http/validate.ts';

const MAX_BODY_BYTES = 8 * 1024;
/** Control characters other than tab and line breaks have no place in a reason or a name. */
const hasControl = (s: string): boolean => [...s].some((ch) => {
  const c = ch.charCodeAt(0);
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f;
});
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const text = (max: number) => z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .max(max, `must be at most ${max} characters`)
  .refine((s) => !hasControl(s), 'must not contain control characters');

const refundBody = z.object({
  // Optional when `items` names what goes back (issue 24): the amount is then theirs.
  amount: z.string({ error: 'must be a string like "40.0"' })
    .regex(/^[0-9]{1,15}(\.[0-9]{1,2})?$/, 'must be a decimal amount like "40.0" in the payment\'s currency (at most 2 decimals)').optional(),
  items: z.array(z.object({
    index: z.number({ error: 'must be the line\'s position in the payment\'s receipt, from 0' }).int('must be a whole number').min(0, 'must be 0 or more'),
    quantity: z.string({ error: 'must be a string like "1" or "0.5"' }).max(16, 'at most 16 characters'),
  }).strict(), { error: 'must be a list of {index, quantity}' }).min(1, 'must name at least one line').max(100, 'at most 100 lines').optional(),
  reason: text(MAX_REFUND_REASON_CHARS).transform((s) => s.trim()).refine((s) => s.length > 0, 'is required: say why the money goes back'),
  actor: text(100).transform((s) => s.trim()).optional(),
}).strict();

export function refundRoutes(deps: { cabinet: Cabinet; refunds: Refunds }) {
  const { cabinet, refunds } = deps;
  const app = new Hono<Env & { Variables: { merchant: Merchant } }>();
  const path = '/api/v1/cabinet/payments/:id/refunds';

  // Authenticated before the body is judged: an unknown key learns nothing about the input rules.
  app.use(path, async (c, next) => {
    // Behind the cabinet's routes the merchant is already known (a bearer key, or the page's session
    // with its CSRF checks); mounted alone, these routes take a bearer key.
    if (!c.get('merchant')) c.set('merchant', await cabinet.authenticate(c.req.header('authorization')));
    await next();
    c.header('cache-control', 'no-store');
  });

  app.post(path, capBody(MAX_BODY_BYTES), validJson(refundBody), async (c) => {
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new GatewayError(400, 'invalid_param', 'Idempotency-Key: 1–255 printable ASCII characters', 'Idempotency-Key');
    const r = await refunds.refund(c.get('merchant'), c.req.param('id'), c.req.valid('json'), key);
    return c.json({ refund: r.refund, payment: r.payment }, r.httpStatus);
  });

  app.get(path, async (c) => c.json(await refunds.list(c.get('merchant'), c.req.param('id'))));

  return app;
}
