/**
 * Holds in the merchant API (issue 25): `POST /api/v1/payments/{id}/capture` (`{amount?, reason?,
 * actor?}`) and `POST /api/v1/payments/{id}/void` (`{reason?, actor?}`), `Idempotency-Key`
 * optional, and `GET /api/v1/payments/{id}/holds` (the payment's captures and voids). Authenticated
 * as the cabinet API: `Authorization: Bearer <apiKey>`, or the cabinet page's session with its CSRF
 * token (the cabinet's middleware runs for these paths too). Parses, calls the domain
 * (payments/holds.ts), shapes the answer.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import { capBody } from '../http/body-limit.ts';
import type { Cabinet } from '../cabinet/cabinet.ts';
import { GatewayError } from '../errors.ts';
import { MAX_HOLD_REASON_CHARS, type Holds } from '../payments/holds.ts';
import type { Merchant } from '../types.ts';
import { validJson } from '../http/validate.ts';

/** The paths of a payment's hold operations (the cabinet's middleware authenticates them too). */
export const HOLD_PATHS = ['/api/v1/payments/:id/capture', '/api/v1/payments/:id/void', '/api/v1/payments/:id/holds'] as const;
const MAX_BODY_BYTES = 64 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Control characters other than tab and line breaks have no place in a reason or a name. */
const hasControl = (s: string): boolean => [...s].some((ch) => {
  const c = ch.charCodeAt(0);
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f;
});
const text = (max: number) => z.string({ error: 'must be a string' })
  .max(max, `must be at most ${max} characters`)
  .refine((s) => !hasControl(s), 'must not contain control characters')
  .transform((s) => s.trim());

const captureBody = z.object({
  amount: z.string({ error: 'must be a string like "40.0"' })
    .regex(/^[0-9]{1,15}(\.[0-9]{1,2})?$/, 'must be a decimal amount like "40.0" in the payment\'s currency (at most 2 decimals)').optional(),
  reason: text(MAX_HOLD_REASON_CHARS).optional(),
  actor: text(100).optional(),
  // The receipt of a smaller capture (the model's rules are the domain's, which names the path).
  receipt: z.record(z.string(), z.unknown(), { error: 'must be a receipt object' }).optional(),
}).strict();

const voidBody = z.object({
  reason: text(MAX_HOLD_REASON_CHARS).optional(),
  actor: text(100).optional(),
}).strict();

/** The request's `Idempotency-Key`, checked. */
function idempotencyKey(header: string | undefined): string | undefined {
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) throw new GatewayError(400, 'invalid_param', 'Idempotency-Key: 1–255 printable ASCII characters', 'Idempotency-Key');
  return header;
}

export function holdRoutes(deps: { cabinet: Cabinet; holds: Holds }) {
  const { cabinet, holds } = deps;
  const app = new Hono<Env & { Variables: { merchant: Merchant } }>();

  // Authenticated before the body is judged, as the refunds are.
  for (const path of HOLD_PATHS) {
    app.use(path, async (c, next) => {
      if (!c.get('merchant')) c.set('merchant', await cabinet.authenticate(c.req.header('authorization')));
      await next();
      c.header('cache-control', 'no-store');
    });
  }

  app.post(HOLD_PATHS[0], capBody(MAX_BODY_BYTES), validJson(captureBody), async (c) => {
    const key = idempotencyKey(c.req.header('idempotency-key'));
    const r = await holds.capture(c.get('merchant'), c.req.param('id'), c.req.valid('json'), key);
    return c.json({ operation: r.operation, payment: r.payment }, r.httpStatus);
  });

  app.post(HOLD_PATHS[1], capBody(MAX_BODY_BYTES), validJson(voidBody), async (c) => {
    const key = idempotencyKey(c.req.header('idempotency-key'));
    const r = await holds.void(c.get('merchant'), c.req.param('id'), c.req.valid('json'), key);
    return c.json({ operation: r.operation, payment: r.payment }, r.httpStatus);
  });

  app.get(HOLD_PATHS[2], async (c) => c.json(await holds.operations(c.get('merchant'), c.req.param('id'))));

  // The held list with deadlines (behind the cabinet's middleware, which authenticates /api/v1/cabinet/*).
  app.get('/api/v1/cabinet/holds', async (c) => {
    c.header('cache-control', 'no-store');
    return c.json(await holds.held(c.get('merchant')));
  });

  return app;
}
