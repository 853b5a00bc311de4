/**
 * Compiled reads on SQLite run at once when nobody holds the connection (issue #29: the form
 * payload's read of an order went through Kysely's connection, driver and mutex, each a promise):
 * a real database file, the driver's `acquireConnection` counted. A read while a transaction holds the
 * connection still waits for it and never sees the transaction's uncommitted rows; writes and reads
 * inside a transaction go the usual way.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, sql, type Driver } from 'kysely';
import { compiledQuery } from '../src/server/storage/compiled.ts';
import { BusyRetrySqliteDialect, withImmediateReads, type SqliteLike } from '../src/server/storage/sqlite-busy.ts';

interface Schema { t: { id: number; v: string } }

/** The gateway's dialect, its driver's acquisitions of the connection counted. */
class CountingDialect extends BusyRetrySqliteDialect {
  acquired = 0;
  override createDriver(): Driver {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = () => {
      this.acquired++;
      return acquire();
    };
    return driver;
  }
}

describe('compiled reads on a free SQLite connection', () => {
  let dir: string;
  let raw: Database.Database;
  let dialect: CountingDialect;
  let db: Kysely<Schema>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-read-now-'));
    raw = new Database(join(dir, 'db.sqlite'));
    raw.pragma('journal_mode = WAL');
    dialect = new CountingDialect(raw as unknown as SqliteLike, 1000);
    db = withImmediateReads(new Kysely<Schema>({ dialect }), dialect);
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
    await db.insertInto('t').values({ id: 1, v: 'one' }).execute();
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('run without taking the connection through the driver, with the rows Kysely gives', async () => {
    const byId = compiledQuery(db, ['id'], (v) => db.selectFrom('t').select(['id', 'v']).where('id', '=', v.id));
    const before = dialect.acquired;
    assert.deepEqual((await byId({ id: 1 })).rows, [{ id: 1, v: 'one' }]);
    assert.deepEqual((await byId({ id: 2 })).rows, []);
    assert.equal(dialect.acquired, before, 'no acquisition for a read on a free connection');
    assert.deepEqual((await byId({ id: 1 })).rows, await db.selectFrom('t').select(['id', 'v']).where('id', '=', 1).execute());
  });

  test('a write still goes through the driver (group commit), and is read back', async () => {
    const insert = compiledQuery(db, ['id', 'v'], (v) => db.insertInto('t').values(v));
    const byId = compiledQuery(db, ['id'], (v) => db.selectFrom('t').select('v').where('id', '=', v.id));
    const before = dialect.acquired;
    await insert({ id: 3, v: 'three' });
    assert.equal(dialect.acquired, before + 1);
    assert.deepEqual((await byId({ id: 3 })).rows, [{ v: 'three' }]);
  });

  test('while a transaction holds the connection, a read waits for it and sees only committed rows', async () => {
    const byId = compiledQuery(db, ['id'], (v) => db.selectFrom('t').select('v').where('id', '=', v.id));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedP = new Promise<void>((resolve) => (inserted = resolve));
    const trx = db.transaction().execute(async (tx) => {
      await tx.insertInto('t').values({ id: 4, v: 'four' }).execute();
      // Inside the transaction the compiled read runs on it, and sees its own row.
      assert.deepEqual((await byId({ id: 4 }, tx)).rows, [{ v: 'four' }]);
      inserted();
      await held;
      throw new Error('rolled back on purpose');
    });
    await insertedP;
    let answered: { v: string }[] | undefined;
    const read = byId({ id: 4 }).then((r) => (answered = r.rows as { v: string }[]));
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, undefined, 'the read waits for the connection');
    release();
    await assert.rejects(trx, /rolled back on purpose/);
    await read;
    assert.deepEqual(answered, [], 'the rolled-back row was never seen');
  });
});
