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
 *
 * Group commit: a lone write (an `insert`, `update` or `delete` outside any transaction) is not run
 * at once but queued, and the writes queued in one turn of the event loop are run in one
 * transaction (`begin immediate` … `commit`), each answered only once that commit is done. Writes of
 * payments that arrive together share their index pages, so the WAL takes each page once per commit
 * instead of once per write: the three writes of a payment with CHECK took ≈ 1,150 µs with a commit
 * each and ≈ 380 µs grouped, 32 payments in flight (`bench/sqlite-writes.ts`). A lone queued write
 * runs by itself, as before.
 * A statement that fails (a constraint) is undone by SQLite alone, the others commit; an error that
 * ends the whole transaction fails every write in it. Nothing is answered before it is committed,
 * so a write that was answered survives a kill as before.
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

/** How many prepared statements a connection keeps (the gateway runs a few dozen distinct texts). */
export const STATEMENT_CACHE_SIZE = 256;

type PreparedStatement = ReturnType<SqliteLike['prepare']>;
const statementCaches = new WeakMap<SqliteLike, Map<string, PreparedStatement>>();

/**
 * The connection's prepared statement for `sql`, prepared once: Kysely's driver prepares every
 * statement anew, and SQLite's prepare cost more than running the statement (an order's payments,
 * read for every form payload: 35 µs of a request's CPU, bench/README.md issue #29). Statements are
 * run to completion synchronously (`all`, `run`), so one is never used twice at once; SQLite
 * re-prepares a cached one itself after a schema change. The least recently used is dropped past
 * STATEMENT_CACHE_SIZE, so texts with varying lists (`in (?, ?, …)`) cannot grow it without bound.
 */
function prepared(db: SqliteLike, sql: string): PreparedStatement {
  let cache = statementCaches.get(db);
  if (!cache) statementCaches.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (stmt) {
    cache.delete(sql);
  } else {
    stmt = db.prepare(sql);
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(sql, stmt);
  return stmt;
}

/** Runs one statement on better-sqlite3, as Kysely's own SQLite driver does (its statement prepared once). */
function runStatement(db: SqliteLike, q: CompiledQuery): QueryResult<unknown> {
  const stmt = prepared(db, q.sql);
  if (stmt.reader) return { rows: stmt.all(q.parameters) as unknown[] };
  const { changes, lastInsertRowid } = stmt.run(q.parameters);
  return {
    numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
    insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    rows: [],
  };
}

/** Statements group commit may take: plain writes (not DDL, pragmas, `vacuum` or transaction control). */
const GROUPABLE = /^\s*(?:with\b[\s\S]*?\b)?(?:insert|update|delete)\b/i;

/** A write waiting for the next group commit. */
interface QueuedWrite {
  q: CompiledQuery;
  deadline: number;
  resolve: (r: QueryResult<unknown>) => void;
  reject: (e: unknown) => void;
}

/**
 * Runs `op` on `db`, retrying SQLITE_BUSY with backoff until `deadline`. Outside a transaction the
 * mutex is handed on while it waits, so that others use the connection meanwhile.
 */
async function withBusyRetry<T>(op: () => T, c: { deadline: number; clock: () => number; inTransaction: boolean; mutex: DeadlineMutex; holdsLock: boolean }): Promise<T> {
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      return op();
    } catch (e) {
      if (!isBusy(e)) throw e;
      const left = c.deadline - c.clock();
      if (left <= 0) throw new StorageBusyError();
      const wait = Math.min(backoff, left);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      if (c.inTransaction) {
        await sleep(wait);
      } else {
        // Nothing of ours is open on the connection: let others use it while we wait.
        c.mutex.unlock();
        c.holdsLock = false;
        await sleep(wait);
        await c.mutex.lock(c.deadline, c.clock); // past the deadline: throws, holding nothing
        c.holdsLock = true;
      }
    }
  }
}

/** One use of the connection (one query or one transaction), with its deadline. */
class BusyRetryConnection implements DatabaseConnection {
  inTransaction = false;
  /** Whether this use holds the connection's mutex (a queued write hands it on while it waits). */
  holdsLock = true;
  constructor(readonly db: SqliteLike, readonly mutex: DeadlineMutex, readonly deadline: number, readonly clock: () => number, readonly group: GroupCommit | null) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.holdsLock) {
      // A later statement on the same use of the connection (Kysely's `connection()`) after a queued
      // write: take the connection back first, as any other user would.
      await this.mutex.lock(this.deadline, this.clock);
      this.holdsLock = true;
    }
    if (this.group && !this.inTransaction && GROUPABLE.test(q.sql)) {
      // Queued for the next group commit; the connection is free for others meanwhile.
      this.mutex.unlock();
      this.holdsLock = false;
      return this.group.enqueue(q, this.deadline) as Promise<QueryResult<R>>;
    }
    return withBusyRetry(() => runStatement(this.db, q), this) as Promise<QueryResult<R>>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used with SQLite here');
  }
}

/**
 * The queue of lone writes and its flush: all writes queued before the flush runs (it is scheduled
 * with `setImmediate` when the first one arrives) share one transaction.
 */
class GroupCommit {
  #queue: QueuedWrite[] = [];
  constructor(readonly db: SqliteLike, readonly mutex: DeadlineMutex, readonly clock: () => number) {}

  enqueue(q: CompiledQuery, deadline: number): Promise<QueryResult<unknown>> {
    return new Promise((resolve, reject) => {
      if (this.#queue.push({ q, deadline, resolve, reject }) === 1) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const deadline = Math.max(...batch.map((w) => w.deadline));
    try {
      await this.mutex.lock(deadline, this.clock);
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    const use = { deadline, clock: this.clock, inTransaction: false, mutex: this.mutex, holdsLock: true };
    const results: ({ ok: true; r: QueryResult<unknown> } | { ok: false; e: unknown })[] = [];
    try {
      if (batch.length === 1) {
        // Alone: in autocommit, as without group commit.
        results.push({ ok: true, r: await withBusyRetry(() => runStatement(this.db, batch[0]!.q), use) });
      } else {
        await withBusyRetry(() => this.db.prepare('begin immediate').run([]), use);
        for (const w of batch) {
          try {
            results.push({ ok: true, r: runStatement(this.db, w.q) });
          } catch (e) {
            // A failed statement is undone by itself; an error that ended the transaction undoes all.
            if (this.db.inTransaction === false) throw e;
            results.push({ ok: false, e });
          }
        }
        this.db.prepare('commit').run([]);
      }
    } catch (e) {
      if (this.db.inTransaction) this.db.prepare('rollback').run([]);
      if (use.holdsLock) this.mutex.unlock();
      const error = isBusy(e) ? new StorageBusyError() : e;
      for (const w of batch) w.reject(error);
      return;
    }
    this.mutex.unlock();
    for (const [i, w] of batch.entries()) {
      const r = results[i]!;
      if (r.ok) w.resolve(r.r);
      else w.reject(r.e);
    }
  }
}

class BusyRetryDriver implements Driver {
  readonly #mutex = new DeadlineMutex();
  readonly #group: GroupCommit | null;
  constructor(readonly db: SqliteLike, readonly busyMs: number, readonly clock: () => number, groupCommit: boolean) {
    this.#group = groupCommit ? new GroupCommit(db, this.#mutex, clock) : null;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const deadline = this.clock() + this.busyMs;
    await this.#mutex.lock(deadline, this.clock);
    return new BusyRetryConnection(this.db, this.#mutex, deadline, this.clock, this.#group);
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    const c = connection as BusyRetryConnection;
    await withBusyRetry(() => runStatement(c.db, CompiledQuery.raw('begin')), c);
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as BusyRetryConnection;
    await withBusyRetry(() => runStatement(c.db, CompiledQuery.raw('commit')), c);
    c.inTransaction = false;
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

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as BusyRetryConnection;
    if (c.holdsLock) this.#mutex.unlock();
    c.holdsLock = false;
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
  /** `groupCommit: false` runs every lone write at once in autocommit (the benchmark's comparison). */
  constructor(readonly database: SqliteLike, readonly busyMs: number, readonly clock: () => number = () => performance.now(), readonly groupCommit = true) {
    super({ database });
  }

  override createDriver(): Driver {
    return new BusyRetryDriver(this.database, this.busyMs, this.clock, this.groupCommit);
  }
}
