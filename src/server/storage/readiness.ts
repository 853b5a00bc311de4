/**
 * The database side of `/health/ready` (routes/health.ts): whether the database answers in time and
 * its migrations are current. Here beside the schema, so the route never touches storage.
 */
import { sql, type Kysely } from 'kysely';
import type { Readiness } from '../types.ts';
import { migrationProvider, type Database, type Dialect } from './schema.ts';

/** How long the readiness probe waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 2000;

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

