/**
 * Group commit on SQLite (src/server/storage/sqlite-busy.ts): lone writes made in the same turn of
 * the event loop share one transaction, each is answered only once it is committed (another
 * connection sees it then), a write that fails a constraint fails alone, a write made alone runs
 * alone, and transactions and reads are not held up by the queue.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { openDatabase } from '../src/server/storage/db.ts';
import type { Database } from '../src/server/storage/schema.ts';
import { BusyRetrySqliteDialect, type SqliteLike } from '../src/server/storage/sqlite-busy.ts';

const T0 = 1_800_000_000_000;

describe('group commit of lone SQLite writes', () => {
  let dir: string;
  let file: string;
  let raw: SQLite.Database;
  let db: Kysely<Database>;
  /** The statements the driver ran, in order (only `begin…`, `commit` and `rollback`). */
  const control: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-group-'));
    file = join(dir, 'g.sqlite');
    await (await openDatabase(`sqlite:${file}`)).close(); // the schema
    raw = new SQLite(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('busy_timeout = 0');
    // The same database object as db.ts hands the driver, noting the transaction statements it runs.
    const database: SqliteLike = {
      close: () => raw.close(),
      get inTransaction() {
        return raw.inTransaction;
      },
      prepare(text: string) {
        const sqlText = text === 'begin' ? 'begin immediate' : text;
        if (/^(begin|commit|rollback)/.test(sqlText)) control.push(sqlText);
        return raw.prepare(sqlText);
      },
    } as unknown as SqliteLike;
    db = new Kysely<Database>({ dialect: new BusyRetrySqliteDialect(database, 2000) });
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const audit = (actor: string) => db.insertInto('merchant_audit').values({ merchant_login: 'g', at: T0, actor, action: 'group', details: '{}' }).execute();
  /** Rows as another connection sees them: only what is committed. */
  const committed = (actor: string) => {
    const other = new SQLite(file, { readonly: true });
    try {
      return (other.prepare('select count(*) as n from merchant_audit where actor = ?').get(actor) as { n: number }).n;
    } finally {
      other.close();
    }
  };

  test('writes made together share one transaction, and each is committed when it is answered', async () => {
    control.length = 0;
    const actors = Array.from({ length: 20 }, (_, i) => `together-${i}`);
    const seen: number[] = [];
    await Promise.all(actors.map(async (a) => {
      await audit(a);
      seen.push(committed(a));
    }));
    assert.deepEqual(seen, actors.map(() => 1), 'every answered write is visible to another connection');
    assert.deepEqual(control, ['begin immediate', 'commit'], 'twenty writes, one transaction');
  });

  test('a write made alone runs alone, in autocommit', async () => {
    control.length = 0;
    await audit('alone');
    assert.equal(committed('alone'), 1);
    assert.deepEqual(control, []);
  });

  test('a write that fails a constraint fails alone; the others of its commit are kept', async () => {
    await db.insertInto('merchants').values({
      login: 'dup', name: 'Dup', secret: 'K', api_key_hash: null, notifications: 0, api_url: '', api_type: 2, api_method: 'POST',
      notify_style: 'onpay', check_link_md5: 0, origins: '[]', created_at: T0, updated_at: T0,
    }).execute();
    control.length = 0;
    const dup = db.insertInto('merchants').values({
      login: 'dup', name: 'Again', secret: 'K', api_key_hash: null, notifications: 0, api_url: '', api_type: 2, api_method: 'POST',
      notify_style: 'onpay', check_link_md5: 0, origins: '[]', created_at: T0, updated_at: T0,
    }).execute();
    const [a, d, b] = await Promise.allSettled([audit('beside-1'), dup, audit('beside-2')]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'fulfilled');
    assert.equal(d.status, 'rejected');
    assert.match(String((d as PromiseRejectedResult).reason), /UNIQUE constraint failed: merchants.login/);
    assert.equal(committed('beside-1'), 1);
    assert.equal(committed('beside-2'), 1);
    assert.equal((raw.prepare("select name from merchants where login = 'dup'").get() as { name: string }).name, 'Dup');
    assert.deepEqual(control, ['begin immediate', 'commit']);
  });

  test('a connection kept for several statements takes the connection back after a queued write', async () => {
    // Without that, its next statement would run while another caller's transaction is open, inside it.
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let read = -1;
    const kept = db.connection().execute(async (conn) => {
      await conn.insertInto('merchant_audit').values({ merchant_login: 'g', at: T0, actor: 'kept', action: 'group', details: '{}' }).execute();
      read = (await conn.selectFrom('merchant_audit').select('actor').where('actor', '=', 'rolled-back').execute()).length;
    });
    // Holds the connection while the queued write waits, so that the next transaction queues behind its commit.
    const first = db.transaction().execute(async () => { await sleep(50); });
    await sleep(10);
    const rolledBack = db.transaction().execute(async (t) => {
      await t.insertInto('merchant_audit').values({ merchant_login: 'g', at: T0, actor: 'rolled-back', action: 'group', details: '{}' }).execute();
      await sleep(50);
      throw new Error('roll back');
    });
    await Promise.all([kept, first, assert.rejects(rolledBack, /roll back/)]);
    assert.equal(read, 0, 'the kept connection read only after the other transaction ended');
    assert.equal(committed('kept'), 1);
    assert.equal(committed('rolled-back'), 0);
  });

  test('an update answers how many rows it changed, as in autocommit', async () => {
    await audit('count-me');
    const [hit, miss] = await Promise.all([
      db.updateTable('merchant_audit').set({ action: 'changed' }).where('actor', '=', 'count-me').executeTakeFirst(),
      db.updateTable('merchant_audit').set({ action: 'changed' }).where('actor', '=', 'nobody').executeTakeFirst(),
    ]);
    assert.equal(Number(hit.numUpdatedRows), 1);
    assert.equal(Number(miss.numUpdatedRows), 0);
  });

  test('a transaction and a read go on while writes wait in the queue, and the queue keeps its order', async () => {
    const order: string[] = [];
    const queued = audit('queued').then(() => order.push('queued write'));
    const trx = db.transaction().execute(async (t) => {
      await t.insertInto('merchant_audit').values({ merchant_login: 'g', at: T0, actor: 'in-trx', action: 'group', details: '{}' }).execute();
    }).then(() => order.push('transaction'));
    const read = db.selectFrom('merchant_audit').select('actor').where('actor', '=', 'alone').execute().then((r) => order.push(`read ${r.length}`));
    await Promise.all([queued, trx, read]);
    assert.equal(committed('queued'), 1);
    assert.equal(committed('in-trx'), 1);
    assert.deepEqual([...order].sort(), ['queued write', 'read 1', 'transaction']);
    // Writes queued one after another by the same caller are committed in that order.
    await audit('first');
    await audit('second');
    const ids = raw.prepare("select actor from merchant_audit where actor in ('first', 'second') order by id").all() as { actor: string }[];
    assert.deepEqual(ids.map((r) => r.actor), ['first', 'second']);
  });
});
