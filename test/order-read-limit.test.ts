/**
 * The form payload's read of an order (the payment waiting to be resumed) carries its LIMIT as a
 * literal (issue #29). A bound LIMIT made SQLite, built with STAT4, re-prepare the statement at
 * every run to plan for the value: 10 µs of CPU against 3 µs a read, on every form. (That the read
 * finds the waiting payment is test/storage.test.ts's and the resume tests'.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CompiledQuery } from 'kysely';
import { openTestStorage, storageKinds, type TestStorage } from './helpers.ts';

for (const kind of storageKinds()) {
  describe(`the order's read on ${kind}`, () => {
    let ts: TestStorage;
    const texts: string[] = [];
    before(async () => {
      ts = await openTestStorage(kind);
      const db = ts.database.db;
      const execute = db.executeQuery.bind(db);
      // The statements the storage runs, as their SQL text.
      db.executeQuery = ((q: CompiledQuery) => {
        texts.push(q.sql);
        return execute(q);
      }) as typeof db.executeQuery;
    });
    after(() => ts.close());

    test('its LIMIT is in the SQL text, no value bound for it', async () => {
      texts.length = 0;
      assert.equal(await ts.storage.waitingPaymentOf('shop', 'order-1'), undefined);
      const read = texts.find((t) => /"pay_for" = /.test(t));
      assert.ok(read, 'the order was read');
      assert.match(read, /\blimit 50$/i);
      assert.doesNotMatch(read, /\blimit (\?|\$\d+)/i);
    });
  });
}
