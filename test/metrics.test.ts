/**
 * /metrics of a running gateway, on each database: the expired-lease gauge follows a lease that ran
 * out with no attempt recorded, and on PostgreSQL the process's pool is reported (connections by
 * state, its maximum, queries waiting); SQLite, with no pool, reports none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { openTestStorage, storageKinds, TEST_SECRET } from './helpers.ts';

const gauge = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

for (const kind of storageKinds()) {
  test(`/metrics on ${kind}: expired leases, and the pool where there is one`, async () => {
    const ts = await openTestStorage(kind);
    const url = ts.url;
    await ts.database.close(); // the gateway opens it itself
    const gw = await startGateway(parseConfig({
      port: 0, database: url, databasePoolSize: 3, secret: TEST_SECRET,
      merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop', origins: [], checkLinkMd5: false }],
    }), { dispatcher: false, log: () => {} });
    try {
      const metrics = async () => (await fetch(`${gw.url}/metrics`)).text();
      const before = await metrics();
      assert.equal(gauge(before, 'onpay_notification_leases_expired'), 0);
      if (kind === 'postgres') {
        assert.equal(gauge(before, 'onpay_db_pool_max'), 3);
        assert.equal(gauge(before, 'onpay_db_pool_waiting'), 0);
        const busy = gauge(before, 'onpay_db_pool_connections{state="busy"}')!;
        const idle = gauge(before, 'onpay_db_pool_connections{state="idle"}')!;
        assert.ok(busy + idle >= 1 && busy + idle <= 3, `busy ${busy} + idle ${idle}`);
      } else {
        assert.doesNotMatch(before, /onpay_db_pool/);
      }

      // A payment with a PAY due now, claimed by a worker that then dies: its 1 s lease runs out.
      const token = ((await (await fetch(`${gw.url}/pay/shop?price=10&pay_for=lease`, { headers: { accept: 'application/json' } })).json()) as { token: string }).token;
      const created = (await (await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) })).json()) as { id: string };
      await gw.storage.addNotification({ paymentId: created.id, merchantLogin: 'shop', kind: 'pay', style: 'onpay', method: 'POST', url: 'http://127.0.0.1:9/api', contentType: 'application/json', body: '{}', headers: {}, dueAt: Date.now() }, Date.now());
      assert.equal((await gw.storage.claimDue(Date.now(), 10, 'dead-worker', 1000)).length, 1);
      assert.equal(gauge(await metrics(), 'onpay_notification_leases_expired'), 0, 'lease still running');
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(gauge(await metrics(), 'onpay_notification_leases_expired'), 1, 'lease ran out');
    } finally {
      await gw.close();
      await ts.close().catch(() => {}); // PostgreSQL: drops the test database
    }
  });
}
