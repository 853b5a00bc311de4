/**
 * Gateway configuration: a JSON file (`ONPAY_CONFIG` or `--config`) over built-in sandbox defaults,
 * validated with zod. A bad configuration throws `ConfigError` naming the key.
 */
import { receiptSettingsSchema } from '../protocol/receipt.ts';
import { z } from 'zod';
import { parseAmount, parseRate } from '../protocol/money.ts';
import { LANGUAGES, type Language } from '../protocol/languages.ts';
import { isProxyEntry } from './http/client-address.ts';
import { RATE_LIMIT_NAMES, type RateLimitName } from './http/rate-limit.ts';
import type { ConnectorModules } from './providers/contract.ts';
import { CONNECTOR_MODULES, SANDBOX_PROVIDER_ID } from './providers/modules.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './http/request-deadline.ts';

const limitSchema = z.object({
  points: z.number().int().min(1).max(1_000_000_000),
  durationS: z.number().int().min(1).max(86_400),
  blockS: z.number().int().min(1).max(86_400).optional(),
}).strict();

/** `rateLimits`: `enabled` (default true) and any of the limits of rate-limit.ts, each `{ points, durationS, blockS? }`. */
const rateLimitsSchema = z.object({
  enabled: z.boolean().default(true),
  ...Object.fromEntries(RATE_LIMIT_NAMES.map((n) => [n, limitSchema.optional()])) as Record<RateLimitName, z.ZodOptional<typeof limitSchema>>,
}).strict();

const TICKER = z.string().regex(/^[A-Z]{3}$/, 'a 3-letter upper-case currency code');

/** Whether a text parses as a URL whose scheme is http or https (nothing else is stored as a URL). */
export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
/** A shop origin (`https://shop.example`): http(s) only, so `javascript:` cannot become the origin `null`. */
export const originSchema = z.string().max(255).refine(isHttpUrl, 'an http(s) origin like https://shop.example');
/**
 * The shortest key K the cabinet and `npm run merchant` set without `--allow-short-secret`: a signed
 * link reveals md5 over K, so a short K can be found by trying them all.
 */
export const MIN_SECRET_LENGTH = 16;
const rateText = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v);
  if (parseRate(text) === null) {
    ctx.addIssue({ code: 'custom', message: 'a positive decimal rate with at most 8 decimals' });
    return z.NEVER;
  }
  return text;
});

/**
 * A text in any supported languages as keys (`{"ru": …, "kk": …}`), at least one; strict, so a
 * language we do not speak (`"fr"`) is refused by name instead of dropped without a word.
 */
export const localizedTextSchema = (max: number, what: string) =>
  z.object(Object.fromEntries(LANGUAGES.map((ln) => [ln, z.string().min(1).max(max).optional()])) as Record<Language, z.ZodOptional<z.ZodString>>).strict()
    .refine((t) => Object.values(t).some(Boolean), `${what} in at least one language (ru, en, uk, kk, be, uz, de)`);

/** A merchant's text its buyers read: one string, or per language (shown by `merchantText`'s rule). */
export const merchantTextSchema = (max: number) => z.union([z.string().min(1).max(max), localizedTextSchema(max, 'a text')]);

export const merchantSchema = z.object({
  login: z.string().regex(/^[a-z0-9][a-z0-9_.-]{1,63}$/, 'lower-case latin letters, digits, "_", "-", "." (2–64)'),
  /** The shop's name its buyers see: a string, or `{"ru": …, "kk": …}` (see docs/CONFIGURATION.md). */
  name: merchantTextSchema(200),
  /** The secret key K of the Onpay protocol. */
  secret: z.string().min(4).max(200),
  /** The cabinet bearer key (stored hashed). */
  apiKey: z.string().min(16).max(200).optional(),
  notifications: z.boolean().default(false),
  apiUrl: z.string().max(1000).refine(isHttpUrl, 'an http(s) URL').optional(),
  apiType: z.union([z.literal(1), z.literal(2)]).default(2),
  apiMethod: z.enum(['POST', 'GET']).default('POST'),
  /** How PAY is delivered: the Onpay protocol (API 1 / API 2), or Standard Webhooks style. */
  notifyStyle: z.enum(['onpay', 'webhooks']).optional(),
  /** Refuse payment links without a valid md5. On unless turned off: an unsigned link's price is the buyer's. */
  checkLinkMd5: z.boolean().default(true),
  origins: z.array(originSchema).default([]),
  /** `test` may use the sandbox payment systems, `live` never; absent: `test` while `sandbox` is on. */
  mode: z.enum(['test', 'live']).optional(),
  /** Who pays the fees: `buyer`, `merchant`, or `link` (`price_final` decides); see README. */
  fees: z.enum(['buyer', 'merchant', 'link']).optional(),
  /** What a second paid payment of an order already paid gets: `flag` (default) or `refund` (where the provider refunds). */
  duplicates: z.enum(['flag', 'refund']).optional(),
  /** Where `url_success` / `url_fail` may lead: origins or URL prefixes; absent: `origins`. */
  returnUrls: z.array(z.string().url().regex(/^https?:/i, 'an http(s) URL').refine((u) => !/[?#]/.test(u), 'an origin or a URL prefix, without ? or #')).optional(),
  /** Fiscal receipts (54-ФЗ): the default one-line receipt and the fee line; see docs/CONFIGURATION.md. */
  receipts: receiptSettingsSchema.optional(),
  /** Saved payment methods and merchant-initiated charges (issue 26); see docs/CONFIGURATION.md. */
  savedMethods: z.object({
    enabled: z.boolean(),
    /** The largest merchant-initiated charge in roubles, a decimal string like "15000.00". */
    // Kept as its text (the parsed configuration is printed as JSON); minor units in merchantFromConfig.
    maxChargeAmount: z.string().regex(/^[0-9]{1,15}(\.[0-9]{1,2})?$/, 'a decimal amount in roubles like "15000.00"')
      .refine((v) => parseAmount(v)! > 0n, 'must be above zero').optional(),
    /** A subscription's failed period is retried these many days after its due time (whole days, ascending); default [1, 3, 5]. */
    retrySchedule: z.array(z.number().int('whole days').min(1, 'at least 1 day').max(60, 'at most 60 days')).max(10, 'at most 10 retries')
      .refine((a) => a.every((d, i) => i === 0 || d > a[i - 1]!), 'days must ascend').optional(),
  }).strict().optional(),
  /** `manual`: hold the money on the card and capture it later (issue 25); default `auto`. See docs/CONFIGURATION.md. */
  capture: z.enum(['auto', 'manual']).optional(),
  /** What the gateway does with a hold a day before its deadline: `void` (default) or `capture`. */
  holdExpiry: z.enum(['void', 'capture']).optional(),
}).strict().refine((m) => !m.notifications || m.apiUrl !== undefined, { message: 'apiUrl is required when notifications are on', path: ['apiUrl'] });
export type MerchantConfig = z.output<typeof merchantSchema>;

export const WAY_SYSTEMS = ['card', 'bank', 'expiring'] as const;
export type WaySystem = (typeof WAY_SYSTEMS)[number];

/**
 * A way: a sandbox system (`system`), or a method of a configured provider account (`provider` and
 * `method`). Exactly one of `system` and `provider`.
 */
export const waySchema = z.object({
  code: z.string().regex(/^[A-Z]{3}$/, 'a 3-letter upper-case code'),
  system: z.enum(WAY_SYSTEMS).optional(),
  /** The `id` of an entry of `providers`. */
  provider: z.string().min(1).max(32).optional(),
  /** One of the provider type's methods (`card`, `sbp`, …). */
  method: z.string().min(1).max(32).optional(),
  ticker: TICKER,
  feeBps: z.number().int().min(0).max(5000).default(0),
  // Shown by `wayTitle`'s rule.
  title: localizedTextSchema(500, 'a title'),
  /** How long an instructions way waits for the money. */
  ttlSeconds: z.number().int().positive().max(30 * 86400).default(86400),
  /**
   * Whether the system's page may be shown in a frame over the shop's page (redirect ways). `false`
   * for systems whose pages refuse framing (X-Frame-Options, frame-ancestors): the element opens them
   * in a popup at once instead.
   */
  frame: z.boolean().default(true),
}).strict().superRefine((w, ctx) => {
  if (w.system === undefined && w.provider === undefined) ctx.addIssue({ code: 'custom', path: ['provider'], message: 'a way needs a provider (with a method) or a sandbox system' });
  if (w.system !== undefined && w.provider !== undefined) ctx.addIssue({ code: 'custom', path: ['provider'], message: 'a way has either a sandbox system or a provider, not both' });
  if (w.system !== undefined && w.method !== undefined) ctx.addIssue({ code: 'custom', path: ['method'], message: 'a sandbox way takes no method: its system is the method' });
  if (w.provider !== undefined && w.method === undefined) ctx.addIssue({ code: 'custom', path: ['method'], message: `is required: one of the methods of provider ${w.provider}` });
});
export type WayConfig = z.output<typeof waySchema>;

/** The provider account of a way: `sandbox` for the sandbox systems. */
export const wayProvider = (w: WayConfig): string => w.provider ?? SANDBOX_PROVIDER_ID;
/** The way's method at its provider: the sandbox system's name for sandbox ways. */
export const wayMethod = (w: WayConfig): string => w.method ?? w.system!;

/** One entry of `providers` before its type's own schema: the rest is the connector module's to judge. */
const providerEntrySchema = z.looseObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case latin letters, digits, "_", "-" (1–32)'),
  type: z.string().min(1).max(32),
});

/** A provider account, as its module's `configSchema` parsed it. */
export type ProviderConfig = { id: string; type: string } & Record<string, unknown>;

// The sandbox's ways, titled in every language the buyer may read (config `title` takes any of them).
export const DEFAULT_WAYS: WayConfig[] = ([
  { code: 'CRD', system: 'card', ticker: 'RUR', feeBps: 200, title: { ru: 'Банковская карта (тест)', en: 'Bank card (test)', uk: 'Банківська картка (тест)', kk: 'Банк картасы (сынақ)', be: 'Банкаўская картка (тэст)', uz: 'Bank kartasi (sinov)', de: 'Bankkarte (Test)' }, ttlSeconds: 3600 },
  { code: 'USD', system: 'card', ticker: 'USD', feeBps: 300, title: { ru: 'Карта в долларах (тест)', en: 'Card in US dollars (test)', uk: 'Картка в доларах (тест)', kk: 'Доллардағы карта (сынақ)', be: 'Картка ў доларах (тэст)', uz: 'Dollardagi karta (sinov)', de: 'Karte in US-Dollar (Test)' }, ttlSeconds: 3600 },
  { code: 'EUR', system: 'bank', ticker: 'EUR', feeBps: 100, title: { ru: 'Банковский перевод в евро (тест)', en: 'Bank transfer in euros (test)', uk: 'Банківський переказ у євро (тест)', kk: 'Еуромен банктік аударым (сынақ)', be: 'Банкаўскі перавод у еўра (тэст)', uz: 'Yevroda bank oʻtkazmasi (sinov)', de: 'Banküberweisung in Euro (Test)' }, ttlSeconds: 3 * 86400 },
  { code: 'RUR', system: 'bank', ticker: 'RUR', feeBps: 0, title: { ru: 'Банковский перевод (тест)', en: 'Bank transfer (test)', uk: 'Банківський переказ (тест)', kk: 'Банктік аударым (сынақ)', be: 'Банкаўскі перавод (тэст)', uz: 'Bank oʻtkazmasi (sinov)', de: 'Banküberweisung (Test)' }, ttlSeconds: 3 * 86400 },
  { code: 'TST', system: 'expiring', ticker: 'TST', feeBps: 0, title: { ru: 'Тестовые деньги, истекают за минуту', en: 'Test money, expires in a minute', uk: 'Тестові гроші, спливають за хвилину', kk: 'Сынақ ақшасы, бір минутта мерзімі бітеді', be: 'Тэставыя грошы, сыходзяць за хвіліну', uz: 'Sinov pullari, bir daqiqada muddati tugaydi', de: 'Testgeld, verfällt in einer Minute' }, ttlSeconds: 60 },
] satisfies z.input<typeof waySchema>[]).map((w) => waySchema.parse(w));

export const DEFAULT_RATES: Record<string, string> = { RUR: '1', TST: '1', USD: '90.5', EUR: '98.25' };

/** The default retry schedule of PAY, in seconds from the first attempt's due time. */
export const DEFAULT_RETRY_SCHEDULE_S = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 259200];

/**
 * When reconciliation asks a provider about a payment still waiting, in seconds after the payment's
 * creation: 1 min, 5 min, 30 min, 2 h, 8 h, and after the last slot again every last gap (6 h) until
 * the payment's deadline. `reconcileSchedule` in the configuration replaces it (same rule).
 */
export const DEFAULT_RECONCILE_SCHEDULE_S = [60, 300, 1800, 7200, 28800];

export const configSchema = z.object({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().default('127.0.0.1'),
  publicUrl: z.string().url().optional(),
  database: z.string().regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, '"sqlite:<path>" or "postgres://…"').default('sqlite:./data/onpay.sqlite'),
  /** PostgreSQL: connections per process (gateway or worker). */
  databasePoolSize: z.number().int().min(1).max(500).default(10),
  /** Signs form tokens and sandbox callbacks; at least 32 characters. Generated into ./data when absent. */
  secret: z.string().min(32, 'at least 32 characters').optional(),
  sandbox: z.boolean().default(true),
  allowPrivateMerchantUrls: z.boolean().default(false),
  retrySchedule: z.array(z.number().int().min(0)).min(1).optional()
    .refine((s) => !s || s.every((v, i) => i === 0 || v >= s[i - 1]!), 'seconds from the first attempt, non-decreasing'),
  /**
   * Reconciliation (asking providers about payments whose notification is late): seconds after a
   * payment's creation; after the last slot it repeats every last gap until the payment's deadline.
   */
  reconcileSchedule: z.array(z.number().int().min(1)).min(1).optional()
    .refine((s) => !s || s.every((v, i) => i === 0 || v > s[i - 1]!), 'seconds after creation, increasing'),
  /** The reconciler's limits (src/server/dispatcher/reconcile.ts); it runs where the dispatcher runs. */
  reconcile: z.object({
    batchSize: z.number().int().min(1).max(1000).optional(),
    concurrency: z.number().int().min(1).max(100).optional(),
    /** Must be longer than one provider call (10 s). */
    leaseMs: z.number().int().min(10_001).optional(),
    pollMs: z.number().int().min(10).max(60_000).optional(),
  }).strict().optional(),
  /** The subscriptions' scheduler (src/server/dispatcher/subscriptions.ts); it runs where the dispatcher runs. */
  subscriptions: z.object({
    batchSize: z.number().int().min(1).max(1000).optional(),
    /** Must be longer than one charge at a provider (10 s): a claim held by a process that died is free again after it. */
    leaseMs: z.number().int().min(10_001).optional(),
    pollMs: z.number().int().min(10).max(60_000).optional(),
  }).strict().optional(),
  /** The PAY dispatcher (see src/server/dispatcher/dispatcher.ts for the defaults). */
  dispatcher: z.object({
    /** Run it inside the gateway process (default); false when only `npm run worker` processes deliver. */
    inProcess: z.boolean().optional(),
    timeoutMs: z.number().int().min(100).max(120_000).optional(),
    concurrency: z.number().int().min(1).max(1000).optional(),
    batchSize: z.number().int().min(1).max(10_000).optional(),
    leaseMs: z.number().int().min(200).optional(),
    pollMs: z.number().int().min(10).max(60_000).optional(),
  }).strict().optional(),
  /**
   * `/metrics`: `token` (a secret value) requires `Authorization: Bearer <token>`; `port` (with an
   * optional `host`, default 127.0.0.1) serves it on a listener of its own and nowhere else.
   */
  metrics: z.object({
    token: z.string().min(16, 'at least 16 characters').max(512, 'at most 512 characters')
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces (it travels in an Authorization header)').optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
  }).strict().default({}),
  /** How long a gateway keeps a merchant read from the database; changes from elsewhere show within it. 0: no cache. */
  merchantCacheMs: z.number().int().min(0).max(60_000).default(1000),
  /** Rate limits, per gateway process (see src/server/rate-limit.ts for the names and defaults). */
  rateLimits: rateLimitsSchema.default({ enabled: true }),
  /**
   * Reverse proxies in front of the gateway (addresses or CIDR ranges). When the connection comes
   * from one, the client address is the rightmost untrusted hop of X-Forwarded-For.
   */
  trustProxy: z.array(z.string().refine(isProxyEntry, 'an IP address or CIDR range like 10.0.0.0/8')
    .refine((e) => !/\/0+$/.test(e.trim()), 'a range of every address (/0) would let any client write its own address; list the proxies')).default([]),
  /**
   * SQLite: how long a request waits for another process's write lock (retrying asynchronously,
   * never blocking the event loop) before it is answered 503 storage_busy.
   */
  storageBusyMs: z.number().int().min(10).max(60_000).default(5000),
  checkTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** How long a client may take to send a whole request, headers and body; then 408 (src/server/http/request-deadline.ts). */
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
  /** SIGTERM: how long the gateway (or a worker) may take to finish what is in flight before it exits anyway. */
  shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(25_000),
  tokenTtlSeconds: z.number().int().min(60).max(7 * 86400).default(86400),
  rates: z.record(TICKER, rateText).default(DEFAULT_RATES),
  /** Provider accounts (`{id, type, …}`); each entry is validated by its type's connector module. */
  providers: z.array(providerEntrySchema).default([]),
  ways: z.array(waySchema).min(1).default(DEFAULT_WAYS),
  merchants: z.array(merchantSchema).default([]),
}).strict().superRefine((c, ctx) => {
  c.ways.forEach((w, i) => {
    if (c.rates[w.ticker] === undefined) ctx.addIssue({ code: 'custom', path: ['ways', i, 'ticker'], message: `no rate for ${w.ticker} in rates` });
  });
  if (c.metrics.host !== undefined && c.metrics.port === undefined) {
    ctx.addIssue({ code: 'custom', path: ['metrics', 'port'], message: 'is required with metrics.host: /metrics gets a listener of its own on that host and port' });
  }
  if (c.metrics.port !== undefined && c.metrics.port !== 0 && c.metrics.port === c.port) {
    ctx.addIssue({ code: 'custom', path: ['metrics', 'port'], message: 'must differ from port: it is a listener of its own (leave it out to serve /metrics on the main port)' });
  }
  const codes = new Set<string>();
  c.ways.forEach((w, i) => {
    if (codes.has(w.code)) ctx.addIssue({ code: 'custom', path: ['ways', i, 'code'], message: `duplicate way ${w.code}` });
    codes.add(w.code);
  });
});

export type GatewayConfig = Omit<z.output<typeof configSchema>, 'providers'> & {
  publicUrl: string;
  secret: string;
  publicUrlFromPort?: boolean;
  /** Provider accounts, parsed by their modules' schemas. */
  providers: ProviderConfig[];
};


/**
 * Each provider entry through its module's schema (errors name the key, `providers.0.password`),
 * ids unique; each provider way's provider configured and its method one of the module's.
 */
function parseProviders(c: z.output<typeof configSchema>, modules: ConnectorModules): ProviderConfig[] {
  const ids = new Set<string>();
  const providers = c.providers.map((entry, i): ProviderConfig => {
    if (entry.id === SANDBOX_PROVIDER_ID) throw new ConfigError(`providers.${i}.id`, `"${SANDBOX_PROVIDER_ID}" is the built-in sandbox; choose another id`);
    if (ids.has(entry.id)) throw new ConfigError(`providers.${i}.id`, `duplicate provider ${entry.id}`);
    ids.add(entry.id);
    const module = entry.type === SANDBOX_PROVIDER_ID ? undefined : modules.get(entry.type);
    if (!module) {
      const known = [...modules.keys()].filter((t) => t !== SANDBOX_PROVIDER_ID);
      throw new ConfigError(`providers.${i}.type`, `unknown provider type ${JSON.stringify(entry.type)}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
    }
    const r = module.configSchema.safeParse(entry);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const key = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : issue.path.map(String);
      throw new ConfigError(['providers', i, ...key].join('.'), issue.code === 'unrecognized_keys' ? 'is not a known key' : issue.message);
    }
    return r.data as ProviderConfig;
  });
  c.ways.forEach((w, i) => {
    if (w.provider === undefined) return;
    const p = providers.find((x) => x.id === w.provider);
    if (!p) throw new ConfigError(`ways.${i}.provider`, `no provider ${JSON.stringify(w.provider)} in providers`);
    const methods = modules.get(p.type)!.methods;
    if (!methods.includes(w.method!)) throw new ConfigError(`ways.${i}.method`, `provider ${p.id} (${p.type}) has no method ${JSON.stringify(w.method)} (one of ${methods.join(', ')})`);
  });
  return providers;
}

/**
 * The configuration with every secret masked (`***`): merchants' keys, the gateway secret and each
 * provider's `secretKeys`. For logs and command output.
 */
export function redactConfig(c: GatewayConfig, modules: ConnectorModules = CONNECTOR_MODULES): Record<string, unknown> {
  const mask = '***';
  return {
    ...c,
    secret: mask,
    metrics: c.metrics.token !== undefined ? { ...c.metrics, token: mask } : c.metrics,
    merchants: c.merchants.map((m) => ({ ...m, secret: mask, ...(m.apiKey !== undefined ? { apiKey: mask } : {}) })),
    providers: c.providers.map((p) => {
      const keys = modules.get(p.type)?.secretKeys ?? [];
      return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, keys.includes(k) && v !== undefined ? mask : v]));
    }),
  };
}

/** A configuration that cannot start the gateway; `key` is the dotted path of the offending key. */
export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(`configuration: ${key || '(root)'}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Where `{ "env": NAME }` and `{ "file": path }` secret values are read from. */
export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

const isSecretRef = (v: unknown): v is { env: string } | { file: string } => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file') && typeof (v as Record<string, unknown>)[keys[0]] === 'string';
};

/**
 * Replaces every secret reference in a raw configuration — an object that is exactly
 * `{ "env": "NAME" }` or `{ "file": "/path" }` where a string is expected — by the value it names
 * (a file's content without its trailing newline). A missing variable or unreadable file throws
 * `ConfigError` naming the key, never the value.
 * @example resolveSecretRefs({ secret: { env: 'ONPAY_SECRET' } }, { env: process.env, readFile: (p) => readFileSync(p, 'utf8') })
 */
export function resolveSecretRefs(raw: unknown, sources: SecretSources, path: (string | number)[] = []): unknown {
  if (isSecretRef(raw)) {
    const key = path.join('.');
    if ('env' in raw) {
      const value = sources.env[raw.env];
      if (value === undefined || value === '') throw new ConfigError(key, `the environment variable ${raw.env} is not set`);
      return value;
    }
    let text: string;
    try {
      text = sources.readFile(raw.file);
    } catch {
      throw new ConfigError(key, `cannot read the secret file ${raw.file}`);
    }
    return text.replace(/\r?\n$/, '');
  }
  if (Array.isArray(raw)) return raw.map((v, i) => resolveSecretRefs(v, sources, [...path, i]));
  if (typeof raw === 'object' && raw !== null) {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, resolveSecretRefs(v, sources, [...path, k])]));
  }
  return raw;
}

/**
 * Validates a raw configuration object and fills in defaults. Secret references must have been
 * resolved first (`resolveSecretRefs`).
 * @example parseConfig({ port: 8080, secret: 'x'.repeat(32) })
 */
export function parseConfig(raw: unknown, fallbackSecret?: string, modules: ConnectorModules = CONNECTOR_MODULES): GatewayConfig {
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(issue.path.join('.'), issue.message);
  }
  const secret = r.data.secret ?? fallbackSecret;
  if (!secret) throw new ConfigError('secret', 'required (at least 32 characters)');
  const providers = parseProviders(r.data, modules);
  const publicUrl = (r.data.publicUrl ?? `http://localhost:${r.data.port}`).replace(/\/+$/, '');
  return { ...r.data, providers, secret, publicUrl, publicUrlFromPort: r.data.publicUrl === undefined };
}
