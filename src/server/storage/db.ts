/**
 * Opens the database named by a URL (`sqlite:<path>` or `postgres://…`) and brings its schema up to
 * date. Migrations take Kysely's migration lock, so several instances may start at once.
 */
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import { BusyRetrySqliteDialect } from './sqlite-busy.ts';
import { ensurePrivateDir, ensurePrivateFile } from './file-modes.ts';
import pg from 'pg';
import { migrationProvider, type Database, type Dialect } from './schema.ts';

/** A connection pool's state (PostgreSQL). */
export interface PoolStats {
  /** Connections open. */
  total: number;
  /** Of those, not in use. */
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  /** The most it may open (databasePoolSize). */
  max: number;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The pool's state; undefined on SQLite (one connection, no pool). */
  poolStats?: () => PoolStats;
  close(): Promise<void>;
}

/** Prepared SQLite statements kept per SQL text (the set is small: queries are built from fixed shapes). */
const STATEMENT_CACHE_SIZE = 500;

/** How long a new PostgreSQL connection may take before the query waiting for it fails. */
export const CONNECT_TIMEOUT_MS = 5000;

/** Options for PostgreSQL pools. */
export interface DatabaseOptions {
  /** Maximum connections in the pool (PostgreSQL). */
  poolSize?: number;
  /** SQLite: how long an operation retries another process's lock before StorageBusyError (ms). */
  busyMs?: number;
  /** SQLite: lone writes of one event-loop turn share a commit (sqlite-busy.ts); default on. */
  groupCommit?: boolean;
}

const DEFAULT_BUSY_MS = 5000;

/**
 * @example const { db, close } = await openDatabase('sqlite:./data/onpay.sqlite');
 */
export async function openDatabase(url: string, options: DatabaseOptions = {}): Promise<OpenDatabase> {
  let db: Kysely<Database>;
  let dialect: Dialect;
  let poolStats: (() => PoolStats) | undefined;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    // A new data folder is 0700 and a new database file 0600 (SQLite gives its -wal / -shm the same
    // mode): they hold every merchant's K (file-modes.ts).
    if (path !== ':memory:') {
      ensurePrivateDir(dirname(path));
      ensurePrivateFile(path);
    }
    const sqlite = new SQLite(path);
    // WAL: readers never block the writer; a killed process loses no committed transaction.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    // No busy wait inside SQLite: it would hold the event loop. A busy statement is retried
    // asynchronously until `busyMs` (sqlite-busy.ts), then answered 503 storage_busy.
    sqlite.pragma('busy_timeout = 0');
    sqlite.pragma('foreign_keys = ON');
    // Kysely prepares every query anew; compiling the SQL was a quarter of a form payload's time.
    // Statements run synchronously (all/run) under Kysely's connection mutex, so reusing one is safe.
    const statements = new Map<string, SQLite.Statement>();
    const database = {
      close: () => sqlite.close(),
      get inTransaction() {
        return sqlite.inTransaction;
      },
      prepare(sqlText: string): SQLite.Statement {
        // Kysely opens transactions with a deferred `begin`. Ours all write, and a deferred one that
        // upgrades to writing while another connection (another instance on the same file) writes
        // fails at once with SQLITE_BUSY instead of waiting: take the write lock up front.
        const text = sqlText === 'begin' ? 'begin immediate' : sqlText;
        let stmt = statements.get(text);
        if (!stmt) {
          if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
          stmt = sqlite.prepare(text);
          statements.set(text, stmt);
        }
        return stmt;
      },
    };
    db = new Kysely<Database>({ dialect: new BusyRetrySqliteDialect(database, options.busyMs ?? DEFAULT_BUSY_MS, undefined, options.groupCommit ?? true) });
    dialect = 'sqlite';
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const max = options.poolSize ?? 10;
    // A server that does not answer a connect fails the query after CONNECT_TIMEOUT_MS instead of
    // holding the request (pg waits forever by default).
    const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max });
    // A dropped idle connection must not crash the process: the pool replaces it.
    pool.on('error', () => {});
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    dialect = 'postgres';
  } else {
    throw new Error('database URL must be "sqlite:<path>" or "postgres://…"');
  }
  // Unordered: migrations numbered by branch (0012 holds, 0014 subscriptions) land after databases
  // already ran 0015; each only adds its own tables and columns, so running a lower one later is safe.
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), allowUnorderedMigrations: true });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return { db, dialect, ...(poolStats ? { poolStats } : {}), close: () => db.destroy() };
}
