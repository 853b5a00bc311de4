/**
 * The SQLite driver prepares each statement text once per connection (issue #29: preparing cost as
 * much as running the form payload's one read): a real database file, better-sqlite3's `prepare`
 * counted. A cached statement stays right after the table changes under it, and the cache keeps at
 * most STATEMENT_CACHE_SIZE texts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { BusyRetrySqliteDialect, STATEMENT_CACHE_SIZE, type SqliteLike } from '../src/server/storage/sqlite-busy.ts';

describe('prepared statements, once per text', () => {
  let dir: string;
  let raw: Database.Database;
  let db: Kysely<{ t: { id: number; v: string } }>;
  const prepared = new Map<string, number>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-stmt-'));
    raw = new Database(join(dir, 'db.sqlite'));
    raw.pragma('journal_mode = WAL');
    // better-sqlite3's own prepare, counted per text.
    const counting = new Proxy(raw, {
      get(target, key) {
        if (key === 'prepare') return (text: string) => { prepared.set(text, (prepared.get(text) ?? 0) + 1); return target.prepare(text); };
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as unknown as SqliteLike;
    db = new Kysely({ dialect: new BusyRetrySqliteDialect(counting, 1000) });
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const readQuery = (id: number) => db.selectFrom('t').select(['id', 'v']).where('id', '=', id);
  const read = (id: number) => readQuery(id).execute();

  test('the same read a hundred times is prepared once, and reads what was written in between', async () => {
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    const text = readQuery(1).compile().sql;
    for (let i = 0; i < 100; i++) {
      await db.updateTable('t').set({ v: `v${i}` }).where('id', '=', 1).execute();
      assert.deepEqual(await read(1), [{ id: 1, v: `v${i}` }]);
    }
    assert.equal(prepared.get(text), 1);
  });

  test('a cached read stays right after the table changes under it', async () => {
    await read(1);
    await sql`alter table t add column w text not null default 'x'`.execute(db);
    await sql`create index t_v on t (v)`.execute(db);
    assert.deepEqual(await read(1), [{ id: 1, v: 'v99' }]);
    const all = await sql<{ id: number; v: string; w: string }>`select * from t`.execute(db);
    assert.deepEqual(all.rows, [{ id: 1, v: 'v99', w: 'x' }]);
  });

  test(`at most ${STATEMENT_CACHE_SIZE} texts are kept: the least recently used is prepared again`, async () => {
    const first = readQuery(1).compile().sql;
    await read(1);
    const before = prepared.get(first)!;
    for (let i = 0; i < STATEMENT_CACHE_SIZE; i++) await sql.raw(`select ${i} as n`).execute(db);
    await read(1);
    assert.equal(prepared.get(first), before + 1, 'dropped and prepared again');
    await read(1);
    assert.equal(prepared.get(first), before + 1, 'then kept');
  });
});
