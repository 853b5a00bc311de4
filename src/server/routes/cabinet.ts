/**
 * The cabinet API (`/api/v1/cabinet/*`, key in `Authorization: Bearer <key>`) and its page
 * (`/cabinet`). Routes parse with zod, call the cabinet domain and shape the answer; see
 * docs/CABINET.md.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import {
  MANUAL_STATUSES, MAX_ACTOR_CHARS, MAX_REASON_CHARS, type Cabinet,
} from '../cabinet/cabinet.ts';
import { capBody } from '../body-limit.ts';
import { GatewayError, type ErrorCode } from '../errors.ts';
import { CABINET_CSP, cabinetPage } from '../pages/cabinet-page.ts';
import type { GatewayConfig } from '../config.ts';
import type { MerchantHttp } from '../merchant-http.ts';
import type { Storage } from '../storage/storage.ts';
import { searchPayments, searchQuerySchema, toSearchQuery } from '../cabinet/search.ts';
import { assertSameOrigin, createCabinetSessions, CSRF_HEADER } from '../cabinet/session.ts';
import { timeline } from '../cabinet/timeline.ts';
import { cabinetMoreRoutes, type CabinetVars } from './cabinet-more.ts';

const MAX_BODY_BYTES = 8 * 1024;

/** Control characters other than tab and line breaks have no place in a reason or a name. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const text = (max: number) => z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .max(max, `must be at most ${max} characters`)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters');

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

/** The first zod issue as a 400 naming its field, unknown keys included. */
function invalid(error: z.ZodError, code: ErrorCode): GatewayError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!.slice(0, 64);
    return new GatewayError(400, code, `${key}: is not a known parameter`, key);
  }
  const field = issue.path.map(String).join('.') || (code === 'invalid_body' ? 'body' : undefined);
  return new GatewayError(400, code, field ? `${field}: ${issue.message}` : issue.message, field);
}

/** Query parameters as an object; empty values count as absent (a form's blank filter), repeats are refused. */
function queryObject(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(url).searchParams) {
    if (Object.hasOwn(out, k)) throw new GatewayError(400, 'invalid_param', `${k.slice(0, 64)}: given more than once`, k.slice(0, 64));
    if (v !== '') out[k] = v;
  }
  return out;
}

/** A JSON object body; an empty body is `{}` when `optional`. */
async function jsonBody(req: { text(): Promise<string>; header(name: string): string | undefined }, optional: boolean): Promise<unknown> {
  const raw = await req.text();
  if (optional && raw.trim() === '') return {};
  const type = req.header('content-type') ?? '';
  if (!type.startsWith('application/json')) throw new GatewayError(415, 'unsupported_media_type', 'content-type: send application/json', 'content-type');
  try {
    return JSON.parse(raw);
  } catch {
    throw new GatewayError(400, 'invalid_body', 'body: not valid JSON', 'body');
  }
}

export interface CabinetRouteDeps {
  cabinet: Cabinet;
  storage: Storage;
  config: GatewayConfig;
  now: () => number;
  merchantHttp: MerchantHttp;
}

/** The path of sign-in: the one cabinet API call made without credentials. */
const SESSION_PATH = '/api/v1/cabinet/session';

export function cabinetRoutes(deps: CabinetRouteDeps) {
  const { cabinet, storage, config, now } = deps;
  const app = new Hono<CabinetVars>();
  const limit = capBody(MAX_BODY_BYTES);
  const sessions = createCabinetSessions({ storage, now, secureCookies: config.publicUrl.startsWith('https:') });
  const ownOrigins = (url: string): string[] => [...new Set([new URL(url).origin, new URL(config.publicUrl).origin])];

  app.get('/cabinet', (c) => {
    c.set('html', true);
    c.header('content-security-policy', CABINET_CSP);
    c.header('cache-control', 'no-store');
    const ln = new URL(c.req.url).searchParams.get('ln') === 'en' ? 'en' : 'ru';
    return c.html(cabinetPage(ln));
  });

  // Sign in: the key once, then the session cookie. Only from the gateway's own pages.
  app.post(SESSION_PATH, limit, async (c) => {
    assertSameOrigin({ origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), ownOrigins: ownOrigins(c.req.url) });
    const r = signInBody.safeParse(await jsonBody(c.req, false));
    if (!r.success) throw invalid(r.error, 'invalid_body');
    const m = await cabinet.authenticate(`Bearer ${r.data.key}`);
    const s = await sessions.signIn(m.login);
    c.header('set-cookie', s.cookie);
    c.header('cache-control', 'no-store');
    return c.json({ login: m.login, name: m.name, csrfToken: s.csrfToken, expiresAt: new Date(s.expiresAt).toISOString() });
  });

  // Every other call: a bearer key (scripts) or the page's session cookie (with CSRF checks on changes).
  app.use('/api/v1/cabinet/*', async (c, next) => {
    if (c.req.method === 'POST' && new URL(c.req.url).pathname === SESSION_PATH) return next();
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      c.set('merchant', await cabinet.authenticate(authorization));
      c.set('session', undefined);
    } else {
      const s = await sessions.fromRequest({
        method: c.req.method, cookie: c.req.header('cookie'), csrfToken: c.req.header(CSRF_HEADER),
        origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), ownOrigins: ownOrigins(c.req.url),
      });
      const m = s && await storage.getMerchant(s.merchantLogin);
      if (!s || !m) throw await cabinet.authenticate(undefined).catch((e: unknown) => e);
      c.set('merchant', m);
      c.set('session', s);
    }
    await next();
    c.header('cache-control', 'no-store');
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
    return c.json({ login: m.login, name: m.name, notifications: m.notifications, apiUrl: m.apiUrl });
  });

  app.get('/api/v1/cabinet/payments', async (c) => {
    const r = listQuery.safeParse(queryObject(c.req.url));
    if (!r.success) throw invalid(r.error, 'invalid_param');
    return c.json(await searchPayments(storage, c.get('merchant'), toSearchQuery(r.data)));
  });

  cabinetMoreRoutes(app, deps);

  app.get('/api/v1/cabinet/payments/:id', async (c) => {
    const detail = await cabinet.get(c.get('merchant'), c.req.param('id'));
    const p = (await storage.getPayment(detail.id))!;
    // Refunds and the provider request log add their sources here once they exist (TimelineSource).
    return c.json({ ...detail, timeline: await timeline(storage, p) });
  });

  app.post('/api/v1/cabinet/payments/:id/status', limit, async (c) => {
    const r = statusBody.safeParse(await jsonBody(c.req, false));
    if (!r.success) throw invalid(r.error, 'invalid_body');
    return c.json(await cabinet.setStatus(c.get('merchant'), c.req.param('id'), r.data));
  });

  app.post('/api/v1/cabinet/payments/:id/resend', limit, async (c) => {
    const r = resendBody.safeParse(await jsonBody(c.req, true));
    if (!r.success) throw invalid(r.error, 'invalid_body');
    return c.json(await cabinet.resend(c.get('merchant'), c.req.param('id'), r.data), 201);
  });

  return app;
}
