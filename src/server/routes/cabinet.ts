/**
 * The cabinet API (`/api/v1/cabinet/*`: a bearer key for scripts, or the page's session cookie with
 * its CSRF token) and its page (`/cabinet`). Routes parse with zod, call the cabinet domain and
 * shape the answer; see docs/CABINET.md.
 */
import { HOLD_PATHS } from './holds.ts';
import { Hono } from 'hono';
import { z } from 'zod';
import {
  MANUAL_STATUSES, MAX_ACTOR_CHARS, MAX_REASON_CHARS,
} from '../cabinet/cabinet.ts';
import { capBody } from '../http/body-limit.ts';
import { fromZod, GatewayError } from '../errors.ts';
import { validJson } from '../http/validate.ts';
import { CABINET_CSP, cabinetLanguage, cabinetPage } from '../pages/cabinet-page.ts';
import { cabinetWays, providerDashboard } from '../cabinet/ways.ts';
import type { Merchant } from '../types.ts';
import type { GatewayConfig } from '../config.ts';
import { searchQuerySchema, toSearchQuery } from '../cabinet/search.ts';
import { assertSameOrigin, CSRF_HEADER } from '../cabinet/session.ts';
import { cabinetMoreRoutes, queryObject, type CabinetVars } from './cabinet-more.ts';
import type { CabinetFacade } from '../cabinet/facade.ts';
import { merchantMode } from '../merchants/merchant-rules.ts';
import { merchantWarnings } from '../merchants/merchant-warnings.ts';
import { createRateLimits, rateLimitHeaders, type LimitState, type RateLimits } from '../http/rate-limit.ts';

const MAX_BODY_BYTES = 8 * 1024;

/** Control characters (but tab and line breaks) have no place in a reason, a name or a search. */
const hasControl = (s: string): boolean => [...s].some((ch) => {
  const c = ch.charCodeAt(0);
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f;
});

const text = (max: number) => z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .max(max, `must be at most ${max} characters`)
  .refine((s) => !hasControl(s), 'must not contain control characters');

const actor = text(MAX_ACTOR_CHARS).transform((s) => s.trim()).optional();

const listQuery = searchQuerySchema.strict();

const signInBody = z.object({ key: z.string({ error: 'is required: the cabinet API key' }).min(1, 'is required: the cabinet API key').max(512, 'must be at most 512 characters') }).strict();

const statusBody = z.object({
  status: z.enum(MANUAL_STATUSES, { error: `must be one of ${MANUAL_STATUSES.join(', ')}` }),
  reason: text(MAX_REASON_CHARS).transform((s) => s.trim()).refine((s) => s.length > 0, 'is required: say why the status is set by hand'),
  actor,
}).strict();

const resendBody = z.object({
  reason: text(MAX_REASON_CHARS).transform((s) => s.trim()).optional(),
  actor,
}).strict();

export interface CabinetRouteDeps {
  cabinet: CabinetFacade;
  limits?: RateLimits;
  /** The gateway's sandbox is on: merchants without a mode are test merchants. */
  sandbox?: boolean;
  config: GatewayConfig;
  now: () => number;
  /** The gateway's rules for an opened link, which the link builder applies before signing. */
  checkLink?: (m: Merchant, params: URLSearchParams) => void;
}

/** The cabinet's language, remembered for a year (not a secret: no HttpOnly, readable by the page). */
const LN_COOKIE = 'onpay_cabinet_ln';
const LN_COOKIE_MAX_AGE_S = 365 * 86400;
const lnCookie = (cookie: string | undefined): string | null => /(?:^|;\s*)onpay_cabinet_ln=([A-Za-z-]{2,10})/.exec(cookie ?? '')?.[1] ?? null;

/** The path of sign-in: the one cabinet API call made without credentials. */
const SESSION_PATH = '/api/v1/cabinet/session';

export function cabinetRoutes(deps: CabinetRouteDeps) {
  const { cabinet, config } = deps;
  const limits = deps.limits ?? createRateLimits({}, false);
  const app = new Hono<CabinetVars>();
  const limit = capBody(MAX_BODY_BYTES);
  const { sessions } = cabinet;
  const ownOrigins = (url: string): string[] => [...new Set([new URL(url).origin, new URL(config.publicUrl).origin])];

  app.get('/cabinet', (c) => {
    c.set('html', true);
    c.header('content-security-policy', CABINET_CSP);
    c.header('cache-control', 'no-store');
    // The language: `?ln=` (the page's switch), remembered in a cookie; else the one remembered; else Russian.
    const asked = new URL(c.req.url).searchParams.get('ln');
    const ln = cabinetLanguage(asked ?? lnCookie(c.req.header('cookie')));
    if (asked !== null) c.header('set-cookie', `${LN_COOKIE}=${ln}; Path=/cabinet; Max-Age=${LN_COOKIE_MAX_AGE_S}; SameSite=Lax`);
    return c.html(cabinetPage(ln, cabinetWays(config, ln)));
  });

  /** The key's merchant, counted by the rate limits: a wrong key counts against the address. */
  async function byKey(client: string | undefined, authorization: string | undefined): Promise<Merchant> {
    if (client !== undefined) await limits.ensureNotBlocked('cabinetFailuresPerAddress', client);
    try {
      return await cabinet.authenticate(authorization);
    } catch (e) {
      if (client !== undefined && e instanceof GatewayError && e.status === 401) await limits.consume('cabinetFailuresPerAddress', client);
      throw e;
    }
  }

  // Rate limits (rate-limit.ts): an address that sent too many wrong keys is refused for a while,
  // right key or not; every call counts per address and per merchant. Credentials: a bearer key
  // (scripts) or the page's session cookie (with the CSRF checks on changes, session.ts).
  // The merchant's receipts (routes/receipts.ts) authenticate the same way (issue 24).
  // Saved methods and charges (routes/saved-methods.ts, issue 26), holds (routes/holds.ts, issue 25) and subscriptions (routes/subscriptions.ts) too.
  for (const path of ['/api/v1/cabinet/*', '/api/v1/payments/:id/receipts', '/api/v1/customers/*', '/api/v1/charges', '/api/v1/subscriptions', '/api/v1/subscriptions/*', ...HOLD_PATHS]) app.use(path, async (c, next) => {
    const client = c.get('client');
    const states: (LimitState | null)[] = [];
    if (client !== undefined) states.push(await limits.consume('cabinetPerAddress', client));
    const signIn = c.req.method === 'POST' && new URL(c.req.url).pathname === SESSION_PATH;
    const authorization = c.req.header('authorization');
    if (signIn) {
      if (client !== undefined) await limits.ensureNotBlocked('cabinetFailuresPerAddress', client);
    } else if (authorization !== undefined) {
      const merchant = await byKey(client, authorization);
      states.push(await limits.consume('cabinetPerMerchant', merchant.login));
      c.set('merchant', merchant);
      c.set('session', undefined);
    } else {
      const s = await sessions.fromRequest({
        method: c.req.method, cookie: c.req.header('cookie'), csrfToken: c.req.header(CSRF_HEADER),
        origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), ownOrigins: ownOrigins(c.req.url),
      });
      const m = s && await sessions.merchantOf(s);
      // No session: the same 401 as a missing key.
      if (!s || !m) await byKey(client, undefined);
      states.push(await limits.consume('cabinetPerMerchant', m!.login));
      c.set('merchant', m!);
      c.set('session', s);
    }
    await next();
    c.header('cache-control', 'no-store');
    // The limit nearest to running out is the one the client should pace itself by.
    const tightest = states.filter((s): s is LimitState => s !== null).sort((a, b) => a.remaining - b.remaining)[0];
    if (tightest) for (const [name, value] of Object.entries(rateLimitHeaders(tightest))) c.header(name, value);
  });

  // Sign in: the key once, then the session cookie. Only from the gateway's own pages.
  app.post(SESSION_PATH, limit, async (c, next) => {
    assertSameOrigin({ origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), ownOrigins: ownOrigins(c.req.url) });
    await next();
  }, validJson(signInBody), async (c) => {
    const m = await byKey(c.get('client'), `Bearer ${c.req.valid('json').key}`);
    const s = await sessions.signIn(m.login);
    c.header('set-cookie', s.cookie);
    return c.json({ login: m.login, name: m.name, csrfToken: s.csrfToken, expiresAt: new Date(s.expiresAt).toISOString() });
  });

  app.get(SESSION_PATH, (c) => {
    const s = c.get('session');
    if (!s) throw new GatewayError(404, 'not_found', 'no page session: this request used a bearer key', 'session');
    const m = c.get('merchant');
    return c.json({ login: m.login, name: m.name, csrfToken: s.csrfToken, expiresAt: new Date(s.expiresAt).toISOString() });
  });

  app.delete(SESSION_PATH, async (c) => {
    const s = c.get('session');
    if (s) c.header('set-cookie', (await sessions.signOut(s.tokenHash)).cookie);
    return c.body(null, 204);
  });

  app.get('/api/v1/cabinet/me', (c) => {
    const m = c.get('merchant');
    const mode = merchantMode(m, deps.sandbox ?? true);
    return c.json({ login: m.login, name: m.name, notifications: m.notifications, apiUrl: m.apiUrl, checkLinkMd5: m.checkLinkMd5, warnings: merchantWarnings(m), mode, testMode: mode === 'test' });
  });

  app.get('/api/v1/cabinet/payments', async (c) => {
    const r = listQuery.safeParse(queryObject(c.req.url));
    if (!r.success) throw fromZod(r.error, 'invalid_param');
    return c.json(await cabinet.search(c.get('merchant'), toSearchQuery(r.data)));
  });

  cabinetMoreRoutes(app, deps);

  app.get('/api/v1/cabinet/payments/:id', async (c) => {
    const detail = await cabinet.get(c.get('merchant'), c.req.param('id'));
    // The provider request log adds its source here once it exists (TimelineSource).
    return c.json({
      ...detail, providerDashboardUrl: providerDashboard(config, detail.provider),
      receipts: await cabinet.receipts(detail.id), timeline: await cabinet.timeline(detail.id),
    });
  });

  app.post('/api/v1/cabinet/payments/:id/status', limit, validJson(statusBody), async (c) => (
    c.json(await cabinet.setStatus(c.get('merchant'), c.req.param('id'), c.req.valid('json')))));

  app.post('/api/v1/cabinet/payments/:id/resend', limit, validJson(resendBody, { emptyAs: {} }), async (c) => (
    c.json(await cabinet.resend(c.get('merchant'), c.req.param('id'), c.req.valid('json')), 201)));

  return app;
}
