/**
 * Putting a gateway together from a configuration: the database, merchants from the file, the
 * HTTP server and the background loops. Used by the CLI and by tests that start the real thing.
 */
import { parseAmount } from '../protocol/money.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir } from './storage/file-modes.ts';
import { dirname } from 'node:path';
import type { Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { requestServerOptions, watchHeaderTimeouts } from './http/request-deadline.ts';
import { createGateway, type Gateway } from './app.ts';
import { ANY_STATUS_EVENT, SHUTDOWN_EVENT } from './payments/service.ts';
import { silentLogger, type Logger } from './logger.ts';
import { databaseReadiness } from './storage/readiness.ts';
import { parseConfig, resolveSecretRefs, ConfigError, type GatewayConfig, type MerchantConfig } from './config.ts';
import { openDatabase, type OpenDatabase } from './storage/db.ts';
import { createStorage, type Storage } from './storage/storage.ts';
import { withMerchantCache } from './storage/merchant-cache.ts';
import type { Merchant } from './types.ts';
import { hashApiKey } from './token.ts';
import type { Dispatcher } from './dispatcher/dispatcher.ts';
import { dispatcherFromConfig, processOwner } from './dispatcher/from-config.ts';
import { createReceiptChecker } from './dispatcher/receipt-checks.ts';
import { subscriptionSchedulerFromConfig } from './dispatcher/subscriptions.ts';
import { reconcilerFromConfig, type Reconciler } from './dispatcher/reconcile.ts';
import { CONNECTOR_MODULES } from './providers/modules.ts';
import { sandboxExposureWarning } from './merchants/merchant-rules.ts';

export function merchantFromConfig(m: MerchantConfig): Merchant {
  return {
    login: m.login,
    name: m.name,
    secret: m.secret,
    apiKeyHash: m.apiKey ? hashApiKey(m.apiKey) : null,
    notifications: m.notifications,
    apiUrl: m.apiUrl ?? null,
    apiType: m.apiType,
    apiMethod: m.apiMethod,
    notifyStyle: m.notifyStyle ?? 'onpay',
    checkLinkMd5: m.checkLinkMd5,
    origins: m.origins.map((o) => new URL(o).origin),
    mode: m.mode ?? null,
    fees: m.fees ?? null,
    duplicates: m.duplicates ?? null,
    returnUrls: m.returnUrls ?? [],
    receipts: m.receipts ?? null,
    savedMethods: m.savedMethods
      ? {
        enabled: m.savedMethods.enabled, ...(m.savedMethods.maxChargeAmount !== undefined ? { maxChargeMinor: parseAmount(m.savedMethods.maxChargeAmount)! } : {}),
        ...(m.savedMethods.retrySchedule !== undefined ? { retryScheduleDays: m.savedMethods.retrySchedule } : {}),
      }
      : null,
    capture: m.capture ?? null,
    holdExpiry: m.holdExpiry ?? null,
  };
}

/** The merchant every fresh sandbox gateway has, so that `npm start` shows something at once. */
export const DEMO_MERCHANT: MerchantConfig = {
  login: 'demo',
  name: 'Демо-магазин',
  secret: 'demo-secret-key',
  apiKey: 'demo-cabinet-key-0123456789',
  notifications: false,
  apiType: 2,
  apiMethod: 'POST',
  checkLinkMd5: false,
  origins: [],
};

/** The configuration file named by `--config path` or `ONPAY_CONFIG`, if any. */
export function configPath(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  const i = argv.indexOf('--config');
  return i >= 0 ? argv[i + 1] : env.ONPAY_CONFIG || undefined;
}

/** Environment variables that hold secrets: each may instead name a file, as `<NAME>_FILE` (container secrets). */
export const SECRET_ENV = ['ONPAY_SECRET', 'DATABASE_URL'] as const;

/**
 * The value of `name` in the environment, or the content of the file `<name>_FILE` names (without
 * its trailing newline). Both set is an error, as is an unreadable file; errors name the variable,
 * never a value.
 */
export function envOrFile(env: NodeJS.ProcessEnv, name: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) throw new ConfigError(name, `set ${name} or ${name}_FILE, not both`);
  if (!file) return direct || undefined;
  try {
    return readFile(file).replace(/\r?\n$/, '');
  } catch {
    throw new ConfigError(`${name}_FILE`, `cannot read ${file}`);
  }
}

/** Options of `loadConfig` beyond argv and environment. */
export interface LoadOptions {
  /** Without a configured secret, generate one into ./data beside SQLite (default true; `npm run config` passes false and writes nothing). */
  persistSecret?: boolean;
}

/** What `loadConfig` uses when it may not write a generated secret (`npm run config`). */
export const UNWRITTEN_SECRET = '(generated into the data directory at first start)';

/**
 * Reads the configuration: `--config path` or `ONPAY_CONFIG`, else the built-in sandbox defaults
 * with the demo merchant. Environment: `PORT`, `DATABASE_URL` (or `DATABASE_URL_FILE`),
 * `DATABASE_POOL_SIZE`, `PUBLIC_URL`, `ONPAY_SECRET` (or `ONPAY_SECRET_FILE`).
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv, defaults: Record<string, unknown> = { merchants: [DEMO_MERCHANT] }, options: LoadOptions = {}): GatewayConfig {
  const path = configPath(argv, env);
  let raw: Record<string, unknown> = defaults;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new ConfigError('', `cannot read the configuration file ${path}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError('', `${path} is not valid JSON (${(e as Error).message})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('', 'the configuration must be a JSON object');
    raw = resolveSecretRefs(raw, { env, readFile: (p) => readFileSync(p, 'utf8') }) as Record<string, unknown>;
  }
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) throw new ConfigError('PORT', 'must be a whole number');
    raw = { ...raw, port };
  }
  const databaseUrl = envOrFile(env, 'DATABASE_URL');
  if (databaseUrl) raw = { ...raw, database: databaseUrl };
  if (env.DATABASE_POOL_SIZE) {
    const size = Number(env.DATABASE_POOL_SIZE);
    if (!Number.isInteger(size)) throw new ConfigError('DATABASE_POOL_SIZE', 'must be a whole number');
    raw = { ...raw, databasePoolSize: size };
  }
  if (env.PUBLIC_URL) raw = { ...raw, publicUrl: env.PUBLIC_URL };
  const secret = envOrFile(env, 'ONPAY_SECRET');
  if (secret) raw = { ...raw, secret };
  const database = typeof raw.database === 'string' ? raw.database : 'sqlite:./data/onpay.sqlite';
  return parseConfig(raw, raw.secret === undefined ? persistentSecret(database, options.persistSecret ?? true) : undefined);
}

/** A generated gateway secret kept beside the SQLite file, so tokens survive restarts. */
function persistentSecret(database: string, write: boolean): string | undefined {
  if (!database.startsWith('sqlite:') || database === 'sqlite::memory:') return undefined;
  const file = `${dirname(database.slice('sqlite:'.length))}/gateway-secret`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (!write) return UNWRITTEN_SECRET;
  ensurePrivateDir(dirname(file));
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export interface RunningGateway {
  gateway: Gateway;
  /** The configuration in force (public URL filled in when it follows the port). */
  config: GatewayConfig;
  storage: Storage;
  database: OpenDatabase;
  /** The PAY dispatcher running in this process, or null when disabled. */
  dispatcher: Dispatcher | null;
  /** The reconciler running in this process (with the dispatcher), or null. */
  reconciler: Reconciler | null;
  url: string;
  port: number;
  /** `…/metrics` on its own listener when `metrics.port` is set; null when /metrics is on the main one. */
  metricsUrl: string | null;
  /** True once `close` began (`/health/ready` then answers 503). */
  readonly stopping: boolean;
  /**
   * Shuts down gracefully: readiness goes 503, the listener stops accepting connections, open status
   * streams get a final `shutdown` event, requests in flight (a CHECK under way) are answered, the
   * dispatcher finishes its attempts, then the database closes. Whatever is still running after
   * `deadlineMs` (default `config.shutdownTimeoutMs`) is cut: connections closed, the dispatcher's
   * leases given back (due again at once, for another process). Resolves whether or not it was cut.
   */
  close(opts?: { deadlineMs?: number }): Promise<{ cut: boolean }>;
}

/** Resolves true when `p` settles within `ms`, false when the time ran out first. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), Math.max(0, ms)); });
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops a dispatcher within `ms`: its attempts in flight are finished and recorded; if they do not
 * end in time, its leases are given back so another dispatcher takes those notifications at once.
 */
export async function stopDispatcher(dispatcher: Dispatcher, storage: Storage, ms: number, log?: (m: string) => void): Promise<boolean> {
  const done = await settlesWithin(dispatcher.stop(), ms);
  if (!done) {
    const n = await storage.releaseLeases(dispatcher.owner, Date.now()).catch(() => 0);
    log?.(`dispatcher ${dispatcher.owner}: shutdown deadline reached, ${n} lease(s) given back`);
  }
  return done;
}

const EXPIRY_SWEEP_MS = 1000;
const DUPLICATE_SWEEP_MS = 30_000;

/**
 * Opens the database, seeds the configured merchants, serves HTTP and runs the expiry loop and the
 * PAY dispatcher (unless `opts.dispatcher` or `config.dispatcher.inProcess` is false: then
 * `npm run worker` processes deliver).
 */
export async function startGateway(config: GatewayConfig, opts: { cdnDir?: string; cacheAssets?: boolean; log?: (m: string) => void; dispatcher?: boolean; logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = opts.logger ?? silentLogger;
  const database = await openDatabase(config.database, { poolSize: config.databasePoolSize, busyMs: config.storageBusyMs });
  // Merchants are read on every request: cached briefly (changes made through `storage` show at once).
  const storage = withMerchantCache(createStorage(database.db, database.dialect), { ttlMs: config.merchantCacheMs });
  const now = Date.now();
  for (const m of config.merchants) await storage.upsertMerchant(merchantFromConfig(m), now);
  // Listen first: with port 0 the public URL is only known once the port is.
  let gateway: Gateway | undefined;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({
      fetch: (request, env) => gateway!.fetch(request, env), port: config.port, hostname: config.host,
      serverOptions: requestServerOptions(config.requestTimeoutMs),
    }, () => resolve(s));
  });
  watchHeaderTimeouts(server as Server, (remoteAddress) => logger.warn({ status: 408, remoteAddress }, 'request: the headers did not arrive within requestTimeoutMs'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const effective = config.publicUrlFromPort ? { ...config, port, publicUrl: `http://localhost:${port}` } : config;
  let stopping = false;
  const readiness = databaseReadiness(database.db, database.dialect, {
    draining: () => stopping,
    onError: (e) => logger.warn({ err: e }, 'readiness: the database did not answer'),
  });
  gateway = createGateway({ config: effective, storage, logger, readiness, ...(database.poolStats ? { poolStats: database.poolStats } : {}), ...(opts.cdnDir ? { cdnDir: opts.cdnDir } : {}), ...(opts.cacheAssets !== undefined ? { cacheAssets: opts.cacheAssets } : {}), ...(opts.log && !opts.logger ? { log: opts.log } : {}) });
  // /metrics on a listener of its own (an address the public cannot reach), and nowhere else.
  const metricsServer: ServerType | null = config.metrics.port === undefined ? null : await new Promise((resolve) => {
    const s = serve({ fetch: (request) => gateway!.metricsFetch(request), port: config.metrics.port!, hostname: config.metrics.host ?? '127.0.0.1' }, () => resolve(s));
  });
  const metricsAddress = metricsServer?.address();
  const metricsUrl = metricsServer && typeof metricsAddress === 'object' && metricsAddress
    ? `http://${metricsAddress.family === 'IPv6' ? `[${metricsAddress.address}]` : metricsAddress.address}:${metricsAddress.port}/metrics`
    : null;
  // Providers whose notification URL is set in their own dashboard: say which URL to set there.
  for (const p of effective.providers) {
    const module = CONNECTOR_MODULES.get(p.type);
    if (!module?.notificationUrlInDashboard) continue;
    const url = `${effective.publicUrl}/providers/${p.id}/notify`;
    opts.log?.(`provider ${p.id} (${p.type}): in the provider's dashboard, ${module.dashboardNotificationHint?.(url) ?? `set the notification URL (POST) to ${url}`}`);
  }
  // Sandbox on and reachable from elsewhere: say which merchants' payments the sandbox can mark paid.
  const exposure = sandboxExposureWarning(effective, await storage.listMerchants());
  if (exposure) (opts.log ?? ((m: string) => logger.warn(m)))(exposure);
  let stopped = false;
  // One sweep at a time: expiry now asks providers first, and a slow one must not start a second
  // sweep asking about the same payments.
  let sweeping = false;
  const sweep = setInterval(() => {
    if (stopped || sweeping) return;
    sweeping = true;
    gateway.service.expireDue()
      .catch((e: unknown) => opts.log?.(`expiry sweep failed: ${(e as Error).message}`))
      .finally(() => { sweeping = false; });
  }, EXPIRY_SWEEP_MS);
  sweep.unref();
  // Duplicates' refunds left pending (issue 22): asked again, less often than the expiry sweep.
  const duplicates = setInterval(() => {
    if (stopped) return;
    gateway.service.settleDuplicatesDue().catch((e: unknown) => opts.log?.(`duplicates' refund sweep failed: ${(e as Error).message}`));
  }, DUPLICATE_SWEEP_MS);
  duplicates.unref();
  const dispatcher = (opts.dispatcher ?? config.dispatcher?.inProcess ?? true)
    ? dispatcherFromConfig(config, storage, { owner: processOwner('gw'), logger, ...(opts.log ? { log: opts.log } : {}) })
    : null;
  dispatcher?.start();
  // Reconciliation runs where the dispatcher runs (it is the same machinery: due times and leases).
  const reconciler = dispatcher ? reconcilerFromConfig(effective, storage, gateway.service, { owner: processOwner('gw-rc'), log: opts.log && !opts.logger ? opts.log : (m) => logger.warn(m) }) : null;
  reconciler?.start();
  // Receipts' registration status asked of the providers, on the same machinery (issue 24).
  const receiptChecker = dispatcher ? createReceiptChecker({ storage, service: gateway.service, now: Date.now, owner: processOwner('gw-rcpt'), log: opts.log && !opts.logger ? opts.log : (m) => logger.warn(m) }) : null;
  receiptChecker?.start();
  // Subscriptions' periods charged on the same machinery (issue 26): each period once, whoever claims it.
  const subscriptionScheduler = dispatcher
    ? subscriptionSchedulerFromConfig(effective, storage, gateway.service.subscriptions, { owner: processOwner('gw-sub'), log: opts.log && !opts.logger ? opts.log : (m) => logger.warn(m) })
    : null;
  subscriptionScheduler?.start();
  // A payment just paid has its PAY due now: look at the outbox at once rather than at the next poll.
  if (dispatcher) gateway.service.events.on(ANY_STATUS_EVENT, (p: { status: string }) => { if (p.status === 'paid') dispatcher.wake(); });
  return {
    gateway,
    config: effective,
    storage,
    database,
    dispatcher,
    reconciler,
    port,
    metricsUrl,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    get stopping() { return stopping; },
    async close(closeOpts = {}) {
      if (stopping) return { cut: false };
      stopping = true;
      const deadline = Date.now() + (closeOpts.deadlineMs ?? config.shutdownTimeoutMs);
      stopped = true;
      clearInterval(sweep);
      clearInterval(duplicates);
      const http = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      // No new connections; requests in flight run to their answer.
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      metricsServer?.close();
      (metricsServer as { closeAllConnections?: () => void } | null)?.closeAllConnections?.();
      // Status streams end with a final event instead of being cut.
      gateway.service.events.emit(SHUTDOWN_EVENT);
      // Keep-alive connections that fall idle are closed as they do, so draining ends when the last answer is out.
      const idle = setInterval(() => http.closeIdleConnections?.(), 50);
      http.closeIdleConnections?.();
      const [served, delivered] = await Promise.all([
        settlesWithin(drained, deadline - Date.now()),
        dispatcher ? stopDispatcher(dispatcher, storage, deadline - Date.now(), (m) => logger.warn(m)) : Promise.resolve(true),
        // Questions in flight end; one cut off leaves its payment due again when the lease ends.
        reconciler ? settlesWithin(reconciler.stop(), deadline - Date.now()) : Promise.resolve(true),
        receiptChecker ? settlesWithin(receiptChecker.stop(), deadline - Date.now()) : Promise.resolve(true),
        // A charge in flight finishes and is recorded; one cut off is made again under the same key.
        subscriptionScheduler ? settlesWithin(subscriptionScheduler.stop(), deadline - Date.now()) : Promise.resolve(true),
      ]);
      clearInterval(idle);
      if (!served) {
        logger.warn('shutdown deadline reached: closing the connections still open');
        http.closeAllConnections?.();
        await settlesWithin(drained, 1000);
      }
      await database.close();
      return { cut: !served || !delivered };
    },
  };
}
