/**
 * Subscriptions in the merchant's API (issue 26 item 4), with the cabinet's bearer key (or the
 * cabinet page's session) under the cabinet's rate limits (the cabinet routes' middleware
 * authenticates these paths too):
 * - `POST /api/v1/subscriptions` → 201
 * - `GET /api/v1/subscriptions?customer=` (the merchant's, newest first, at most 100)
 * - `GET /api/v1/subscriptions/{id}`, `PATCH` (amount, nextChargeAt), `DELETE` (cancel)
 * - `POST /api/v1/subscriptions/{id}/manage-link` → `{ url, expiresAt }`: the customer's signed link
 * And the customer's page that link opens, with no account: `GET /subscriptions/{id}/manage?exp&ln&sig`
 * and its cancel button, `POST` to the same address.
 * Parses, calls the subscriptions' domain, shapes the answer. Another merchant's subscription is a 404.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import { capBody } from '../http/body-limit.ts';
import { GatewayError } from '../errors.ts';
import { validForm, validJson } from '../http/validate.ts';
import { parseAmount } from '../../protocol/money.ts';
import { parseReceipt } from '../../protocol/receipt.ts';
import type { Subscriptions } from '../subscriptions/subscriptions.ts';
import { MANAGE_LINK_MAX_DAYS } from '../subscriptions/manage-link.ts';
import { LANGUAGES, resolveLanguage } from '../../protocol/languages.ts';
import { subscriptionLinkProblemPage, subscriptionPage } from '../pages/subscription-page.ts';
import type { Merchant } from '../types.ts';
import { authenticated, merchantOf } from '../http/merchant-auth.ts';

const MAX_BODY_BYTES = 16 * 1024;
/** The shop's customer id, as the link's `customer` extension takes it. */
const CUSTOMER = /^[^\p{Cc}]{1,64}$/u;
const METHOD_ID = /^pm_[A-Za-z0-9_-]{10,60}$/;
const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9_-]{10,60}$/;
const AMOUNT = /^[0-9]{1,15}(\.[0-9]{1,2})?$/;

const amount = z.string({ error: 'must be a string like "499.00"' }).regex(AMOUNT, 'must be a decimal amount like "499.00" (at most 2 decimals)')
  .refine((v) => parseAmount(v)! > 0n, 'must be above zero');
/** ISO 8601 with a time zone (`Z` or an offset), as ms since the epoch. */
const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, like "2027-01-31T09:00:00+03:00"' }).transform((v) => Date.parse(v));

const createBody = z.object({
  customer: z.string({ error: 'is required' }).regex(CUSTOMER, 'must be 1 to 64 printable characters'),
  method: z.string({ error: 'is required' }).regex(METHOD_ID, 'must be a saved method\'s id (pm_…)'),
  amount,
  ticker: z.literal('RUR', { error: 'must be RUR' }),
  interval: z.enum(['day', 'week', 'month', 'year'], { error: 'must be day, week, month or year' }),
  every: z.number({ error: 'must be a whole number from 1 to 365' }).int('must be a whole number from 1 to 365').min(1, 'must be a whole number from 1 to 365').max(365, 'must be a whole number from 1 to 365').default(1),
  startAt: instant,
  maxPeriods: z.number({ error: 'must be a whole number from 1 to 10000' }).int('must be a whole number from 1 to 10000').min(1, 'must be a whole number from 1 to 10000').max(10_000, 'must be a whole number from 1 to 10000').optional(),
  payFor: z.string({ error: 'is required' }).min(1, 'is required').max(100, 'must be at most 100 characters').regex(/^[^\p{Cc}]+$/u, 'must not contain control characters'),
  receipt: z.unknown().optional(),
}).strict();

const patchBody = z.object({ amount: amount.optional(), nextChargeAt: instant.optional() }).strict()
  .refine((b) => b.amount !== undefined || b.nextChargeAt !== undefined, { message: 'give amount, nextChargeAt or both', path: ['amount'] });

const linkBody = z.object({
  days: z.number({ error: `must be a whole number of days from 1 to ${MANAGE_LINK_MAX_DAYS}` }).int(`must be a whole number of days from 1 to ${MANAGE_LINK_MAX_DAYS}`)
    .min(1, `must be a whole number of days from 1 to ${MANAGE_LINK_MAX_DAYS}`).max(MANAGE_LINK_MAX_DAYS, `must be a whole number of days from 1 to ${MANAGE_LINK_MAX_DAYS}`).optional(),
  ln: z.enum(LANGUAGES, { error: `must be one of ${LANGUAGES.join(', ')}` }).default('ru'),
}).strict();

const cancelForm = z.object({ action: z.literal('cancel', { error: 'must be cancel' }) });

function idParam(value: string): string {
  // Not a subscription id at all: as unknown as any other.
  if (!SUBSCRIPTION_ID.test(value)) throw new GatewayError(404, 'not_found', 'no such subscription', 'id');
  return value;
}

/** @example app.route('/', subscriptionRoutes({ subscriptions: service.subscriptions })) */
export function subscriptionRoutes(deps: { subscriptions: Subscriptions }) {
  const { subscriptions } = deps;
  const app = new Hono<Env & { Variables: { merchant: Merchant } }>();

  app.post('/api/v1/subscriptions', capBody(MAX_BODY_BYTES), authenticated, validJson(createBody), async (c) => {
    const b = c.req.valid('json');
    let receipt;
    if (b.receipt !== undefined) {
      const r = parseReceipt(b.receipt, 'receipt');
      if (!r.ok) throw new GatewayError(400, 'invalid_param', `${r.issue.field}: ${r.issue.message}`, r.issue.field);
      receipt = r.receipt;
    }
    const view = await subscriptions.create({
      merchant: merchantOf(c), customer: b.customer, methodId: b.method, amountMinor: parseAmount(b.amount)!, ticker: b.ticker, interval: b.interval,
      every: b.every, startAt: b.startAt, payFor: b.payFor, ...(b.maxPeriods !== undefined ? { maxPeriods: b.maxPeriods } : {}), ...(receipt ? { receipt } : {}),
    });
    return c.json(view, 201);
  });

  app.get('/api/v1/subscriptions', async (c) => {
    const customer = c.req.query('customer');
    if (customer !== undefined && !CUSTOMER.test(customer)) throw new GatewayError(400, 'invalid_param', 'customer: must be 1 to 64 printable characters', 'customer');
    return c.json(await subscriptions.list(merchantOf(c), customer));
  });

  app.get('/api/v1/subscriptions/:id', async (c) => c.json(await subscriptions.get(merchantOf(c), idParam(c.req.param('id')))));

  app.patch('/api/v1/subscriptions/:id', capBody(MAX_BODY_BYTES), authenticated, validJson(patchBody), async (c) => {
    const b = c.req.valid('json');
    return c.json(await subscriptions.update(merchantOf(c), idParam(c.req.param('id')), {
      ...(b.amount !== undefined ? { amountMinor: parseAmount(b.amount)! } : {}), ...(b.nextChargeAt !== undefined ? { nextChargeAt: b.nextChargeAt } : {}),
    }));
  });

  app.delete('/api/v1/subscriptions/:id', async (c) => c.json(await subscriptions.cancel(merchantOf(c), idParam(c.req.param('id')))));

  app.post('/api/v1/subscriptions/:id/manage-link', capBody(MAX_BODY_BYTES), authenticated, validJson(linkBody, { emptyAs: {} }), async (c) => {
    const b = c.req.valid('json');
    return c.json(await subscriptions.manageLink(merchantOf(c), idParam(c.req.param('id')), { ln: b.ln, ...(b.days !== undefined ? { days: b.days } : {}) }), 201);
  });

  // The customer's page: the signature is the only credential, so every problem is the same page (no hint which part was wrong).
  async function customerPage(c: Context, cancelNow: boolean) {
    c.set('html', true);
    const ln = resolveLanguage(c.req.query('ln'));
    const id = c.req.param('id') ?? '';
    const link = { exp: c.req.query('exp'), sig: c.req.query('sig'), query: new URL(c.req.url).search.slice(1) };
    const r = SUBSCRIPTION_ID.test(id) ? await subscriptions.customerPage(id, link, cancelNow) : { problem: 'invalid' as const };
    const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    if ('problem' in r) return c.html(subscriptionLinkProblemPage(ln, r.problem), r.problem === 'expired' ? 410 : 403, headers);
    return c.html(subscriptionPage(ln, r.page), 200, headers);
  }

  app.get('/subscriptions/:id/manage', (c) => customerPage(c, false));
  app.post('/subscriptions/:id/manage', capBody(1024), async (c, next) => {
    c.set('html', true);
    await next();
  }, validForm(cancelForm), (c) => customerPage(c, true));

  return app;
}
