/**
 * Operator endpoints: `/health` and `/metrics` (Prometheus text format: payments by status, the PAY
 * backlog, expired leases, amount mismatches, this process's database pool). The numbers come in through `read`; this
 * module only shapes them.
 *
 * `/metrics` tells anyone who reads it how much business the gateway does and which merchants'
 * notifications fail, so the configuration's `metrics` key keeps it private: with a `token` it
 * needs `Authorization: Bearer <token>` (401 otherwise); with its own `port` (and `host`) it is
 * served only on that listener (`metricsRoutes`), and the public one answers 404.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';
import { NOTIFICATION_STATUSES, PAYMENT_STATUSES } from '../states.ts';

/** What /metrics shows, read when it is asked for. */
export interface MetricsSnapshot {
  payments: Record<string, number>;
  notifications: Record<string, number>;
  /** How long the oldest due notification has waited, in seconds (0 when none is due). */
  oldestDueSeconds: number;
  leasesExpired: number;
  /** Provider reports whose amount or currency differed (not applied). */
  amountMismatches: number;
  /** This process's database pool (PostgreSQL). */
  pool?: { total: number; idle: number; waiting: number; max: number } | undefined;
}

/** The Prometheus text of a snapshot. */
export function formatMetrics(m: MetricsSnapshot): string {
  const lines = ['# TYPE onpay_payments gauge'];
  for (const s of PAYMENT_STATUSES) lines.push(`onpay_payments{status="${s}"} ${m.payments[s] ?? 0}`);
  lines.push('# TYPE onpay_notifications gauge');
  for (const s of NOTIFICATION_STATUSES) lines.push(`onpay_notifications{status="${s}"} ${m.notifications[s] ?? 0}`);
  lines.push('# TYPE onpay_notification_oldest_due_seconds gauge');
  lines.push(`onpay_notification_oldest_due_seconds ${m.oldestDueSeconds}`);
  // A worker that died or stalled mid-send: its lease ran out with no attempt recorded.
  lines.push('# TYPE onpay_notification_leases_expired gauge');
  lines.push(`onpay_notification_leases_expired ${m.leasesExpired}`);
  // Provider reports whose amount or currency differed: not applied, for a person to settle.
  lines.push('# TYPE onpay_payments_amount_mismatch gauge');
  lines.push(`onpay_payments_amount_mismatch ${m.amountMismatches}`);
  const pool = m.pool;
  if (pool) {
    // This process's PostgreSQL pool: waiting queries with every connection busy mean the pool
    // (databasePoolSize) or the server is the limit.
    lines.push('# TYPE onpay_db_pool_connections gauge');
    lines.push(`onpay_db_pool_connections{state="busy"} ${pool.total - pool.idle}`);
    lines.push(`onpay_db_pool_connections{state="idle"} ${pool.idle}`);
    lines.push('# TYPE onpay_db_pool_max gauge');
    lines.push(`onpay_db_pool_max ${pool.max}`);
    lines.push('# TYPE onpay_db_pool_waiting gauge');
    lines.push(`onpay_db_pool_waiting ${pool.waiting}`);
  }
  return `${lines.join('\n')}\n`;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Requires `Authorization: Bearer <token>`, compared in constant time (both sides hashed first, so
 * neither the content nor the length of the token shows in the time taken). 401 otherwise.
 */
export function bearerToken(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(c.req.header('authorization') ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      throw new GatewayError(401, 'unauthorized', 'Authorization: the metrics token is required (Authorization: Bearer <token>)', 'Authorization', {}, { 'www-authenticate': 'Bearer realm="metrics"' });
    }
    await next();
  };
}

/** What /metrics needs: the numbers, and the token when one is configured. */
export interface MetricsRouteOptions {
  metrics: () => Promise<MetricsSnapshot>;
  /** `metrics.token` of the configuration: requests without it get 401. */
  token?: string | undefined;
}

/**
 * `GET /metrics` alone: mounted on the public app, or served by the metrics listener of its own.
 * @example app.route('/', metricsRoutes({ metrics: readMetrics, token: config.metrics.token }));
 */
export function metricsRoutes(opts: MetricsRouteOptions) {
  const app = new Hono<Env>();
  if (opts.token !== undefined) app.use('/metrics', bearerToken(opts.token));
  app.get('/metrics', async (c) => {
    c.header('cache-control', 'no-store');
    return c.text(formatMetrics(await opts.metrics()), 200, { 'content-type': 'text/plain; version=0.0.4' });
  });
  return app;
}

/**
 * @example app.route('/', opsRoutes({ health: () => storage.nextDueAt(), metrics: readMetrics }));
 */
export function opsRoutes(opts: MetricsRouteOptions & {
  /** Resolves when the database answers (a cheap query); rejects otherwise. */
  health: () => Promise<unknown>;
  /** False when /metrics has a listener of its own (`metrics.port`): the public app does not serve it. */
  serveMetrics?: boolean;
}) {
  const app = new Hono<Env>();
  app.get('/health', async (c) => {
    await opts.health();
    return c.json({ ok: true });
  });
  if (opts.serveMetrics !== false) app.route('/', metricsRoutes(opts));
  return app;
}
