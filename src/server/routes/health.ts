/**
 * Probes for a load balancer or an orchestrator:
 * - `GET /health/live`: 200 while the process serves HTTP at all (restart it when this fails);
 * - `GET /health/ready`: 200 only when the database answers and its migrations are current, and the
 *   gateway is not shutting down; otherwise 503 `{ ready: false, reason }`. The reason is one of a
 *   few fixed phrases: it names no host, no user and no secret (the details go to the log).
 * `/health` stays as it was (200 when the database answers) for existing monitors.
 */
import { Hono } from 'hono';
import { sql, type Kysely } from 'kysely';
import { migrationProvider, type Database, type Dialect } from '../storage/schema.ts';

/** How long the readiness probe waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 2000;

/** What the readiness probe asks; `check` resolves to null when ready, else the public reason. */
export interface Readiness {
  check(): Promise<string | null>;
  /** True once shutdown began: ready answers 503 so that the balancer stops sending. */
  draining?: () => boolean;
}

/**
 * Readiness of an open database: a query on Kysely's migration table, compared with the migrations
 * this code knows. `onError` receives the underlying error (for the log, never for the answer).
 * @example const readiness = databaseReadiness(database.db, database.dialect, { draining: () => stopping });
 */
export function databaseReadiness(db: Kysely<Database>, dialect: Dialect, opts: { timeoutMs?: number; draining?: () => boolean; onError?: (e: unknown) => void } = {}): Readiness {
  const timeoutMs = opts.timeoutMs ?? READY_TIMEOUT_MS;
  let expected: string[] | undefined;
  return {
    ...(opts.draining ? { draining: opts.draining } : {}),
    async check() {
      expected ??= Object.keys(await migrationProvider(dialect).getMigrations());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
      try {
        const rows = await Promise.race([
          sql<{ name: string }>`select name from kysely_migration`.execute(db).then((r) => r.rows),
          timeout,
        ]);
        if (rows === 'timeout') return `database did not answer within ${timeoutMs} ms`;
        const done = new Set(rows.map((r) => r.name));
        const pending = expected.filter((n) => !done.has(n)).length;
        return pending === 0 ? null : `migrations pending: ${pending}`;
      } catch (e) {
        opts.onError?.(e);
        return 'database unavailable';
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `GET /health/live` and `GET /health/ready`. */
export function healthRoutes(deps: { readiness: Readiness }): Hono {
  const app = new Hono();
  const noStore = { 'cache-control': 'no-store' };
  app.get('/health/live', (c) => c.json({ ok: true, live: true }, 200, noStore));
  app.get('/health/ready', async (c) => {
    if (deps.readiness.draining?.()) return c.json({ ready: false, reason: 'shutting down' }, 503, noStore);
    const reason = await deps.readiness.check();
    return reason === null ? c.json({ ready: true }, 200, noStore) : c.json({ ready: false, reason }, 503, noStore);
  });
  return app;
}
