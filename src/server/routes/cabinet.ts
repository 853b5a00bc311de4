/**
 * The cabinet API (`/api/v1/cabinet/*`, key in `Authorization: Bearer <key>`) and its page
 * (`/cabinet`). Routes parse with zod, call the cabinet domain and shape the answer; see
 * docs/CABINET.md.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import {
  MANUAL_STATUSES, MAX_ACTOR_CHARS, MAX_PAGE_SIZE, MAX_REASON_CHARS, type Cabinet,
} from '../cabinet/cabinet.ts';
import { capBody } from '../body-limit.ts';
import { fromZod, GatewayError } from '../errors.ts';
import { validJson } from '../validate.ts';
import { CABINET_CSP, cabinetPage } from '../pages/cabinet-page.ts';
import { PAYMENT_STATUSES } from '../states.ts';
import type { Merchant } from '../types.ts';
import { merchantMode } from '../merchant-rules.ts';
import { merchantWarnings } from '../merchant-warnings.ts';
import { createRateLimits, rateLimitHeaders, type LimitState, type RateLimits } from '../rate-limit.ts';

const MAX_BODY_BYTES = 8 * 1024;

/** Control characters other than tab and line breaks have no place in a reason or a name. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const text = (max: number) => z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .max(max, `must be at most ${max} characters`)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters');

const actor = text(MAX_ACTOR_CHARS).transform((s) => s.trim()).optional();

/** A point in time: an ISO 8601 date (midnight UTC) or date-time with an offset. */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date or date-time like 2026-11-28T00:00:00+03:00' })
  .transform((s) => Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s));

const listQuery = z.object({
  status: z.enum(PAYMENT_STATUSES, { error: `must be one of ${PAYMENT_STATUSES.join(', ')}` }).optional(),
  pay_for: z.string().max(100, 'must be at most 100 characters').optional(),
  from: instant.optional(),
  to: instant.optional(),
  cursor: z.string().regex(/^[1-9][0-9]{0,14}$/, 'must be the nextCursor of a previous page').transform(Number).optional(),
  limit: z.string().regex(/^[0-9]{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`).transform(Number)
    .pipe(z.number().min(1, `must be from 1 to ${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`)).optional(),
}).strict().refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'must be later than from', path: ['to'] });

const statusBody = z.object({
  status: z.enum(MANUAL_STATUSES, { error: `must be one of ${MANUAL_STATUSES.join(', ')}` }),
  reason: text(MAX_REASON_CHARS).transform((s) => s.trim()).refine((s) => s.length > 0, 'is required: say why the status is set by hand'),
  actor,
}).strict();

const resendBody = z.object({
  reason: text(MAX_REASON_CHARS).transform((s) => s.trim()).optional(),
  actor,
}).strict();

/** Query parameters as an object; empty values count as absent (a form's blank filter), repeats are refused. */
function queryObject(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(url).searchParams) {
    if (Object.hasOwn(out, k)) throw new GatewayError(400, 'invalid_param', `${k.slice(0, 64)}: given more than once`, k.slice(0, 64));
    if (v !== '') out[k] = v;
  }
  return out;
}

export function cabinetRoutes(deps: { cabinet: Cabinet; limits?: RateLimits; sandbox?: boolean }) {
  const { cabinet } = deps;
  const limits = deps.limits ?? createRateLimits({}, false);
  const app = new Hono<Env & { Variables: { merchant: Merchant } }>();
  const limit = capBody(MAX_BODY_BYTES);

  app.get('/cabinet', (c) => {
    c.set('html', true);
    c.header('content-security-policy', CABINET_CSP);
    c.header('cache-control', 'no-store');
    const ln = new URL(c.req.url).searchParams.get('ln') === 'en' ? 'en' : 'ru';
    return c.html(cabinetPage(ln));
  });

  // Rate limits (rate-limit.ts): an address that sent too many wrong keys is refused for a while,
  // right key or not; every call counts per address and per merchant.
  app.use('/api/v1/cabinet/*', async (c, next) => {
    const client = c.get('client');
    const states: (LimitState | null)[] = [];
    if (client !== undefined) {
      await limits.ensureNotBlocked('cabinetFailuresPerAddress', client);
      states.push(await limits.consume('cabinetPerAddress', client));
    }
    let merchant: Merchant;
    try {
      merchant = await cabinet.authenticate(c.req.header('authorization'));
    } catch (e) {
      if (client !== undefined && e instanceof GatewayError && e.status === 401) await limits.consume('cabinetFailuresPerAddress', client);
      throw e;
    }
    states.push(await limits.consume('cabinetPerMerchant', merchant.login));
    c.set('merchant', merchant);
    await next();
    c.header('cache-control', 'no-store');
    // The limit nearest to running out is the one the client should pace itself by.
    const tightest = states.filter((s): s is LimitState => s !== null).sort((a, b) => a.remaining - b.remaining)[0];
    if (tightest) for (const [name, value] of Object.entries(rateLimitHeaders(tightest))) c.header(name, value);
  });

  app.get('/api/v1/cabinet/me', (c) => {
    const m = c.get('merchant');
    const mode = merchantMode(m, deps.sandbox ?? true);
    return c.json({ login: m.login, name: m.name, notifications: m.notifications, apiUrl: m.apiUrl, checkLinkMd5: m.checkLinkMd5, warnings: merchantWarnings(m), mode, testMode: mode === 'test' });
  });

  app.get('/api/v1/cabinet/payments', async (c) => {
    const r = listQuery.safeParse(queryObject(c.req.url));
    if (!r.success) throw fromZod(r.error, 'invalid_param');
    const q = r.data;
    return c.json(await cabinet.list(c.get('merchant'), { status: q.status, payFor: q.pay_for, from: q.from, to: q.to, cursor: q.cursor, limit: q.limit }));
  });

  app.get('/api/v1/cabinet/payments/:id', async (c) => c.json(await cabinet.get(c.get('merchant'), c.req.param('id'))));

  app.post('/api/v1/cabinet/payments/:id/status', limit, validJson(statusBody), async (c) => (
    c.json(await cabinet.setStatus(c.get('merchant'), c.req.param('id'), c.req.valid('json')))));

  app.post('/api/v1/cabinet/payments/:id/resend', limit, validJson(resendBody, { emptyAs: {} }), async (c) => (
    c.json(await cabinet.resend(c.get('merchant'), c.req.param('id'), c.req.valid('json')), 201)));

  return app;
}
