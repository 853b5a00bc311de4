/**
 * The cabinet's daily-work API (issue 14): page sessions, the overview, search and the CSV export,
 * the integration tester, the link builder and the settings with both rotations. Mounted by
 * `cabinetRoutes` behind its authentication (bearer key or page session). Routes parse with zod,
 * call the cabinet modules and shape the answer; see docs/CABINET.md.
 */
import { receiptSettingsSchema } from '../../protocol/receipt.ts';
import { LANGUAGES } from '../../protocol/languages.ts';
import type { Hono } from 'hono';
import type { Env } from '../env.ts';
import { validJson } from '../http/validate.ts';
import { buyerEmail } from '../../protocol/email.ts';
import { fromZod } from '../errors.ts';
import { z } from 'zod';
import { isHttpUrl, type GatewayConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import type { Merchant } from '../types.ts';
import { capBody } from '../http/body-limit.ts';
import { csvContentType, csvProfile, isTimeZone } from '../cabinet/export-csv.ts';
import { buildLink } from '../cabinet/link-builder.ts';
import { searchQuerySchema, toSearchQuery, type SearchQuery } from '../cabinet/search.ts';
import { MAX_GRACE_HOURS } from '../cabinet/settings.ts';
import { defaultPeriod } from '../cabinet/summary.ts';
import { instant } from '../cabinet/search.ts';
import type { CabinetFacade, CabinetSession } from '../cabinet/facade.ts';

export interface CabinetMoreDeps {
  cabinet: CabinetFacade;
  config: GatewayConfig;
  now: () => number;
  /** The gateway's rules for an opened link, which the link builder applies before signing. */
  checkLink?: (m: Merchant, params: URLSearchParams) => void;
}

export type CabinetVars = { Variables: Env['Variables'] & { merchant: Merchant; session: CabinetSession | undefined } };

const MAX_BODY_BYTES = 8 * 1024;
/** Control characters (but tab and line breaks) have no place in a reason, a name or a search. */
const hasControl = (s: string): boolean => [...s].some((ch) => {
  const c = ch.charCodeAt(0);
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f;
});

const text = (max: number) => z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .max(max, `must be at most ${max} characters`).refine((s) => !hasControl(s), 'must not contain control characters');
const actor = text(100).transform((s) => s.trim()).optional();
// Parsed, not only pattern-matched: a stored URL that does not parse (`http://[`) would fail later.
const httpUrl = (max: number) => text(max).refine(isHttpUrl, 'must be an http(s) URL');

/** Query parameters as an object; empty values count as absent, repeats are refused. */
export function queryObject(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(url).searchParams) {
    if (Object.hasOwn(out, k)) throw new GatewayError(400, 'invalid_param', `${k.slice(0, 64)}: given more than once`, k.slice(0, 64));
    if (v !== '') out[k] = v;
  }
  return out;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, code: 'invalid_param' | 'invalid_body'): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw fromZod(r.error, code);
  return r.data;
}

const summaryQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  tz: z.string().regex(/^-?\d{1,4}$/, 'must be the offset from UTC in minutes, -720 to 840').transform(Number)
    .pipe(z.number().min(-720, 'must be from -720 to 840').max(840, 'must be from -720 to 840')).optional(),
}).strict();

const csvQuery = searchQuerySchema.extend({
  encoding: z.enum(['utf-8', 'windows-1251'], { error: 'must be utf-8 or windows-1251' }).optional(),
  separator: z.enum([',', ';', 'comma', 'semicolon'], { error: 'must be , or ;' }).optional(),
  profile: z.enum(['machine', 'excel'], { error: 'must be machine or excel' }).optional(),
  timeZone: z.string().max(64, 'must be an IANA time zone such as Europe/Moscow').refine(isTimeZone, 'must be an IANA time zone such as Europe/Moscow').optional(),
}).omit({ cursor: true, limit: true }).strict().refine((q) => q.timeZone === undefined || q.profile === 'excel', {
  path: ['timeZone'], message: 'only with profile=excel (the machine profile writes UTC)',
});

const integrationBody = z.object({
  payFor: text(100).refine((s) => s.length > 0, 'must not be empty').optional(),
  amount: z.string().regex(/^\d{1,13}(\.\d{1,2})?$/, 'must be an amount like 100.0').optional(),
  ticker: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter currency code').optional(),
  actor,
}).strict();

const linkBody = z.object({
  price: z.string({ error: 'is required: an amount like 100.0' }).max(32, 'must be at most 32 characters'),
  ticker: z.string().regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code').optional(),
  payFor: text(100).refine((s) => s.length > 0, 'is required'),
  payMode: z.enum(['fix', 'free'], { error: 'must be fix or free' }).optional(),
  convert: z.boolean({ error: 'must be true or false' }).optional(),
  note: text(255).optional(),
  ln: z.enum(LANGUAGES, { error: `must be one of ${LANGUAGES.join(', ')}` }).optional(),
  urlSuccess: httpUrl(255).optional(),
  urlFail: httpUrl(255).optional(),
  userEmail: buyerEmail().optional(),
  priceFinal: z.boolean({ error: 'must be true or false' }).optional(),
  oneWay: z.string().regex(/^[A-Za-z]{3}$/, 'must be a payment system code').transform((s) => s.toUpperCase()).optional(),
  // The fiscal receipt (issue 24): held to the model's rules when the link is signed, named by its path.
  receipt: z.record(z.string(), z.unknown(), { error: 'must be a receipt object (docs/PROTOCOL.md §5)' }).optional(),
}).strict();

const originText = z.string().max(255, 'must be at most 255 characters').refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s.replace(/\/$/, '');
  } catch {
    return false;
  }
}, 'must be an origin like https://shop.example').transform((s) => s.replace(/\/$/, ''));

const settingsBody = z.object({
  notifications: z.boolean({ error: 'must be true or false' }).optional(),
  apiUrl: httpUrl(500).nullable().optional(),
  apiType: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).optional(),
  apiMethod: z.enum(['POST', 'GET'], { error: 'must be POST or GET' }).optional(),
  notifyStyle: z.enum(['onpay', 'webhooks'], { error: 'must be onpay or webhooks' }).optional(),
  origins: z.array(originText, { error: 'must be a list of origins' }).max(20, 'must have at most 20 origins').optional(),
  duplicates: z.enum(['flag', 'refund'], { error: 'must be flag or refund' }).optional(),
  /** The fiscal receipts' settings (issue 24); null turns them off. */
  receipts: receiptSettingsSchema.nullable().optional(),
  actor,
}).strict();

const rotateKeyBody = z.object({ actor }).strict();
const rotateSecretBody = z.object({
  graceHours: z.number({ error: `must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}` }).int(`must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}`)
    .min(0, `must be from 0 to ${MAX_GRACE_HOURS}`).max(MAX_GRACE_HOURS, `must be from 0 to ${MAX_GRACE_HOURS}`),
  actor,
}).strict();

/** The CSV file name: the merchant and the day, nothing from the query. */
const csvFileName = (login: string, now: number): string => `payments-${login.replace(/[^A-Za-z0-9_-]/g, '_')}-${new Date(now).toISOString().slice(0, 10)}.csv`;

/** Adds the routes to the cabinet app (behind its authentication middleware). */
export function cabinetMoreRoutes(app: Hono<CabinetVars>, deps: CabinetMoreDeps): void {
  const { cabinet, config, now } = deps;
  const limit = capBody(MAX_BODY_BYTES);

  app.get('/api/v1/cabinet/summary', async (c) => {
    const q = parse(summaryQuery, queryObject(c.req.url), 'invalid_param');
    const offsetMinutes = q.tz ?? 0;
    const period = defaultPeriod(now(), offsetMinutes);
    return c.json(await cabinet.overview(c.get('merchant'), { from: q.from ?? period.from, to: q.to ?? period.to, offsetMinutes }));
  });

  app.get('/api/v1/cabinet/payments.csv', async (c) => {
    const q = parse(csvQuery, queryObject(c.req.url), 'invalid_param');
    const { encoding, separator, profile, timeZone, ...filters } = q;
    const search: SearchQuery = toSearchQuery(filters);
    // The profile's options; an explicit encoding or separator still wins (scripts written before profiles).
    const options = csvProfile(profile ?? 'machine', timeZone);
    if (encoding) options.encoding = encoding;
    if (separator) options.separator = separator === ';' || separator === 'semicolon' ? ';' : ',';
    const m = c.get('merchant');
    return new Response(cabinet.exportCsv(m, search, options), {
      headers: {
        'content-type': csvContentType(options.encoding),
        'content-disposition': `attachment; filename="${csvFileName(m.login, now())}"`,
        'cache-control': 'no-store',
      },
    });
  });

  app.post('/api/v1/cabinet/integration-test', limit, validJson(integrationBody, { emptyAs: {} }), async (c) => {
    const b = c.req.valid('json');
    const m = c.get('merchant');
    return c.json(await cabinet.integrationTest(m, b));
  });

  app.post('/api/v1/cabinet/links', limit, validJson(linkBody), async (c) => {
    const b = c.req.valid('json');
    return c.json(buildLink({ publicUrl: config.publicUrl, ...(deps.checkLink ? { checkLink: deps.checkLink } : {}) }, c.get('merchant'), b), 201);
  });

  app.get('/api/v1/cabinet/settings', async (c) => c.json(await cabinet.settingsView(c.get('merchant'))));

  app.patch('/api/v1/cabinet/settings', limit, validJson(settingsBody), async (c) => {
    const { actor: who, ...patch } = c.req.valid('json');
    const m = c.get('merchant');
    return c.json(await cabinet.changeSettings(m, patch, who));
  });

  app.post('/api/v1/cabinet/settings/cabinet-key', limit, validJson(rotateKeyBody, { emptyAs: {} }), async (c) => {
    const b = c.req.valid('json');
    return c.json(await cabinet.rotateCabinetKey(c.get('merchant'), { actor: b.actor, keepSession: c.get('session')?.tokenHash }), 201);
  });

  app.post('/api/v1/cabinet/settings/secret', limit, validJson(rotateSecretBody), async (c) => {
    const b = c.req.valid('json');
    return c.json(await cabinet.rotateSecret(c.get('merchant'), { graceHours: b.graceHours, actor: b.actor }), 201);
  });
}
