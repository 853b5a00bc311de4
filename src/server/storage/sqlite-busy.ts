/**
 * SQLite without a frozen event loop. better-sqlite3 is synchronous: with SQLite's own busy timeout,
 * a write that meets another process's lock (`BEGIN EXCLUSIVE` in a maintenance shell, a second
 * gateway on the same file) sleeps inside SQLite, and the whole gateway with it. This driver runs
 * with no busy timeout and retries a busy statement asynchronously, with backoff, until the
 * operation's deadline; past it the operation fails with `StorageBusyError` (`503 storage_busy`,
 * `Retry-After`), and a transaction is rolled back by Kysely as for any error, so nothing is
 * half-written.
 *
 * The deadline: `busyMs` from the moment an operation asks for the connection (one query, or one
 * whole transaction), covering the wait for this process's own connection too. While a statement
 * outside a transaction (a lone write, or the `begin` of one) backs off, the connection is handed to
 * whoever waits, so reads, which WAL never blocks, go on meanwhile; inside a transaction it is kept.
 */
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase, type TransactionSettings } from 'kysely';
import { GatewayError } from '../errors.ts';

/** The database could not be reached within the deadline: another process holds its lock. */
export class StorageBusyError extends GatewayError {
  constructor(retryAfterS = 1) {
    super(503, 'storage_busy', 'the database is busy (locked by another process); try again shortly', undefined, {}, { 'retry-after': String(retryAfterS) });
    this.name = 'StorageBusyError';
  }
}

/** better-sqlite3's database as db.ts wraps it: `prepare`, `close`, and whether a transaction is open. */
export type SqliteLike = SqliteDatabase & { readonly inTransaction?: boolean };

const isBusy = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED');
};

const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 50;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A mutex whose waiters give up at a deadline. */
class DeadlineMutex {
  #locked = false;
  #waiters: (() => void)[] = [];

  lock(deadline: number, clock: () => number): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(wake);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new StorageBusyError());
      }, Math.max(0, deadline - clock()));
      this.#waiters.push(wake);
    });
  }

  /** Hands the lock to the next waiter, if any. */
  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}

/** One use of the connection (one query or one transaction), with its deadline. */
class BusyRetryConnection implements DatabaseConnection {
  inTransaction = false;
  constructor(readonly db: SqliteLike, readonly mutex: DeadlineMutex, readonly deadline: number, readonly clock: () => number) {}

  #run(q: CompiledQuery): QueryResult<unknown> {
    const stmt = this.db.prepare(q.sql);
    if (stmt.reader) return { rows: stmt.all(q.parameters) as unknown[] };
    const { changes, lastInsertRowid } = stmt.run(q.parameters);
    return {
      numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
      insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
      rows: [],
    };
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      try {
        return this.#run(q) as QueryResult<R>;
      } catch (e) {
        if (!isBusy(e)) throw e;
        const left = this.deadline - this.clock();
        if (left <= 0) throw new StorageBusyError();
        const wait = Math.min(backoff, left);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        if (this.inTransaction) {
          await sleep(wait);
        } else {
          // Nothing of ours is open on the connection: let others use it while we wait.
          this.mutex.unlock();
          await sleep(wait);
          await this.mutex.lock(this.deadline, this.clock);
        }
      }
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used with SQLite here');
  }
}

class BusyRetryDriver implements Driver {
  readonly #mutex = new DeadlineMutex();
  constructor(readonly db: SqliteLike, readonly busyMs: number, readonly clock: () => number) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const deadline = this.clock() + this.busyMs;
    await this.#mutex.lock(deadline, this.clock);
    return new BusyRetryConnection(this.db, this.#mutex, deadline, this.clock);
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
    (connection as BusyRetryConnection).inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
    (connection as BusyRetryConnection).inTransaction = false;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as BusyRetryConnection;
    try {
      // A failed commit may have ended the transaction already.
      if (c.db.inTransaction !== false) c.db.prepare('rollback').run([]);
    } finally {
      c.inTransaction = false;
    }
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async destroy(): Promise<void> {
    this.db.close();
  }
}

/**
 * Kysely's SQLite dialect with the busy-retrying driver above.
 * @example new Kysely<Database>({ dialect: new BusyRetrySqliteDialect(database, 5000) })
 */
export class BusyRetrySqliteDialect extends SqliteDialect {
  constructor(readonly database: SqliteLike, readonly busyMs: number, readonly clock: () => number = () => performance.now()) {
    super({ database });
  }

  override createDriver(): Driver {
    return new BusyRetryDriver(this.database, this.busyMs, this.clock);
  }
}
