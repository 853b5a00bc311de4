/**
 * Queries compiled once (src/server/storage/compiled.ts): the same rows as Kysely's own path on
 * SQLite and PostgreSQL, each run with its own values, inside a transaction when given one, and a
 * build that would not come out as one parameter per value is refused at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { compiledByShape, compiledQuery } from '../src/server/storage/compiled.ts';
import { openTestStorage, storageKinds, type TestStorage } from './helpers.ts';

const T0 = 1_800_000_000_000;

for (const kind of storageKinds()) {
  describe(`compiled queries on ${kind}`, () => {
    let ts: TestStorage;
    before(async () => {
      ts = await openTestStorage(kind);
    });
    after(() => ts.close());

    const audit = (i: number) => ({ merchant_login: 'm', at: T0 + i, actor: `actor-${i}`, action: 'test', details: `{"i":${i}}` });

    test('an insert and a select run again and again with other values, as Kysely itself would', async () => {
      const { db } = ts.database;
      const insert = compiledQuery(db, ['merchant_login', 'at', 'actor', 'action', 'details'], (v) => db.insertInto('merchant_audit').values(v));
      const byActor = compiledQuery(db, ['actor'], (v) => db.selectFrom('merchant_audit').select(['actor', 'details', 'at']).where('actor', '=', v.actor));
      for (let i = 0; i < 5; i++) await insert(audit(i));
      for (let i = 0; i < 5; i++) {
        const { rows } = await byActor({ actor: `actor-${i}` });
        const direct = await db.selectFrom('merchant_audit').select(['actor', 'details', 'at']).where('actor', '=', `actor-${i}`).execute();
        assert.deepEqual(rows, direct);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.details, `{"i":${i}}`);
        assert.equal(Number(rows[0]!.at), T0 + i);
      }
      // A value that looks like SQL stays a value.
      await insert({ ...audit(9), actor: "x'); drop table merchant_audit; --" });
      assert.equal((await byActor({ actor: "x'); drop table merchant_audit; --" })).rows.length, 1);
    });

    test('constants of the build stay in the query, beside the values', async () => {
      const { db } = ts.database;
      const insert = compiledQuery(db, ['at', 'actor'], (v) => db.insertInto('merchant_audit').values({ merchant_login: 'const', at: v.at, actor: v.actor, action: 'fixed', details: '{}' }));
      await insert({ at: T0, actor: 'c1' });
      await insert({ at: T0 + 1, actor: 'c2' });
      const rows = await db.selectFrom('merchant_audit').select(['actor', 'action', 'merchant_login']).where('merchant_login', '=', 'const').orderBy('at').execute();
      assert.deepEqual(rows, [{ actor: 'c1', action: 'fixed', merchant_login: 'const' }, { actor: 'c2', action: 'fixed', merchant_login: 'const' }]);
    });

    test('run on a transaction, it is part of it: rolled back with it', async () => {
      const { db } = ts.database;
      const insert = compiledQuery(db, ['merchant_login', 'at', 'actor', 'action', 'details'], (v) => db.insertInto('merchant_audit').values(v));
      await assert.rejects(db.transaction().execute(async (trx) => {
        await insert({ ...audit(20), actor: 'in-trx' }, trx);
        throw new Error('roll back');
      }), /roll back/);
      assert.equal((await db.selectFrom('merchant_audit').select('actor').where('actor', '=', 'in-trx').execute()).length, 0);
      await db.transaction().execute(async (trx) => insert({ ...audit(21), actor: 'committed' }, trx));
      assert.equal((await db.selectFrom('merchant_audit').select('actor').where('actor', '=', 'committed').execute()).length, 1);
    });

    test('by shape: one compiled query per set of columns, each with its own SQL', async () => {
      const { db } = ts.database;
      const update = compiledByShape();
      await db.insertInto('merchant_audit').values({ ...audit(30), actor: 'shape' }).execute();
      const run = (columns: string[], values: Record<string, unknown>) => update(columns.join(','), db, [...columns, 'who'], (v) => db.updateTable('merchant_audit')
        .set(Object.fromEntries(columns.map((c) => [c, v[c]!]))).where('actor', '=', v.who!))({ ...values, who: 'shape' });
      assert.equal(Number((await run(['action'], { action: 'a1' })).numAffectedRows), 1);
      assert.equal(Number((await run(['action', 'details'], { action: 'a2', details: '{"d":2}' })).numAffectedRows), 1);
      assert.equal(Number((await run(['action'], { action: 'a3' })).numAffectedRows), 1);
      const row = await db.selectFrom('merchant_audit').select(['action', 'details']).where('actor', '=', 'shape').executeTakeFirstOrThrow();
      assert.deepEqual(row, { action: 'a3', details: '{"d":2}' });
    });

    test('a value put into the SQL text, or used twice, is refused when the query is built', () => {
      const { db } = ts.database;
      assert.throws(() => compiledQuery(db, ['name'], (v) => db.selectFrom('merchant_audit').select('actor').where(sql.ref(v.name as string), '=', 1)), /into the SQL text/);
      assert.throws(() => compiledQuery(db, ['a'], (v) => db.selectFrom('merchant_audit').select('actor').where('actor', '=', v.a).where('action', '=', v.a)), /a became 2 parameters/);
      assert.throws(() => compiledQuery(db, ['a', 'unused'], (v) => db.selectFrom('merchant_audit').select('actor').where('actor', '=', v.a)), /unused became 0 parameters/);
    });
  });
}
