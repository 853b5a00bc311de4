/**
 * Operator endpoints: `/health` and `/metrics` (Prometheus text format: payments by status, the PAY
 * backlog, expired leases, amount mismatches, this process's database pool). The numbers come in through `read`; this
 * module only shapes them.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
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

/**
 * @example app.route('/', opsRoutes({ health: () => storage.nextDueAt(), metrics: readMetrics }));
 */
export function opsRoutes(opts: {
  /** Resolves when the database answers (a cheap query); rejects otherwise. */
  health: () => Promise<unknown>;
  metrics: () => Promise<MetricsSnapshot>;
}) {
  const app = new Hono<Env>();
  app.get('/health', async (c) => {
    await opts.health();
    return c.json({ ok: true });
  });
  app.get('/metrics', async (c) => c.text(formatMetrics(await opts.metrics()), 200, { 'content-type': 'text/plain; version=0.0.4' }));
  return app;
}
