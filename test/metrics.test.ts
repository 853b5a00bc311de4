/**
 * /metrics of a running gateway, on each database: the expired-lease gauge follows a lease that ran
 * out with no attempt recorded, and on PostgreSQL the process's pool is reported (connections by
 * state, its maximum, queries waiting); SQLite, with no pool, reports none. Kept private by the
 * `metrics` key: a bearer token, a listener of its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startGateway } from '../src/server/bootstrap.ts';
import { parseConfig, redactConfig } from '../src/server/config.ts';
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

describe('/metrics kept private (issue 30 item 9)', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  const start = (metrics: Record<string, unknown>) => startGateway(parseConfig({
    port: 0, database: `sqlite:${join(mkdtempSync(join(tmpdir(), 'onpay-metrics-')), 'gw.sqlite')}`, secret: TEST_SECRET, metrics,
    merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop-0123456789', origins: [], checkLinkMd5: false }],
  }), { dispatcher: false, log: () => {} });

  test('without configuration /metrics answers anyone on the main listener (as before)', async () => {
    const gw = await start({});
    try {
      assert.equal(gw.metricsUrl, null);
      assert.equal((await fetch(`${gw.url}/metrics`)).status, 200);
    } finally {
      await gw.close();
    }
  });

  test('with a token: 401 without it or with another, 200 with Authorization: Bearer <token>', async () => {
    const gw = await start({ token: TOKEN });
    try {
      for (const auth of [undefined, 'Bearer wrong-token-0123456789abcdef', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
        const res = await fetch(`${gw.url}/metrics`, { headers: auth ? { authorization: auth } : {} });
        assert.equal(res.status, 401, String(auth));
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        const body = await res.text();
        assert.match(body, /"field":"Authorization"/);
        assert.doesNotMatch(body, /onpay_payments|metrics-token/);
      }
      const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /onpay_payments\{status="paid"\} 0/);
      // The rest of the gateway does not need it.
      assert.equal((await fetch(`${gw.url}/health`)).status, 200);
    } finally {
      await gw.close();
    }
  });

  test('with its own port: served only there (the public listener answers 404), the token applying there too', async () => {
    const gw = await start({ host: '127.0.0.1', port: 0, token: TOKEN });
    try {
      assert.ok(gw.metricsUrl, 'a metrics URL');
      assert.notEqual(new URL(gw.metricsUrl).port, String(gw.port));
      assert.equal((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
      assert.equal((await fetch(gw.metricsUrl)).status, 401);
      const ok = await fetch(gw.metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /onpay_notifications/);
      // Nothing else is served on the metrics listener.
      const base = gw.metricsUrl.replace(/\/metrics$/, '');
      assert.equal((await fetch(`${base}/api/v1/cabinet/me`)).status, 404);
      assert.equal((await fetch(`${base}/pay/shop?price=1&pay_for=1`)).status, 404);
    } finally {
      await gw.close();
    }
  });

  test('configuration: a host needs a port, the port differs from the main one, the token is long enough; printed masked', () => {
    assert.throws(() => parseConfig({ secret: TEST_SECRET, metrics: { host: '127.0.0.1' } }), /metrics\.port/);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, port: 9100, metrics: { port: 9100 } }), /metrics\.port/);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, metrics: { token: 'short' } }), /metrics\.token/);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, metrics: { path: '/m' } }), /metrics/);
    const c = parseConfig({ secret: TEST_SECRET, metrics: { token: TOKEN, port: 9464 } });
    const printed = JSON.stringify(redactConfig(c));
    assert.doesNotMatch(printed, new RegExp(TOKEN));
    assert.match(printed, /"metrics":\{"token":"\*\*\*","port":9464\}/);
  });
});
