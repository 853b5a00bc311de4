/**
 * SIGTERM on the real gateway and worker processes: what is in flight is finished and answered,
 * status streams end with a final event, no lease is left held, and the process exits 0 within
 * `shutdownTimeoutMs`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase } from '../src/server/storage/db.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import { addMerchant, K, paidPayment } from './dispatcher-fixtures.ts';
import { TEST_SECRET } from './helpers.ts';
import { createPayment, payPayment, spawnGateway, spawnTs, startShop } from './ops-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-shutdown-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const shopConfig = (apiUrl: string) => ({ login: 'shop', name: 'Shop', secret: K, notifications: true, apiUrl, apiType: 2, checkLinkMd5: false, origins: ['https://shop.example'] });

test('SIGTERM on the gateway: a payment whose CHECK is in flight is answered 201, PAY in flight is recorded, streams get a final event, exit 0', { timeout: 60_000 }, async () => {
  const shop = await startShop(K, { checkMs: 1500, payMs: 1500 });
  const url = `sqlite:${join(dir, 'gw.sqlite')}`;
  const gw = await spawnGateway(join(dir, 'gw.json'), {
    port: 0, database: url, secret: TEST_SECRET, allowPrivateMerchantUrls: true, shutdownTimeoutMs: 10_000,
    dispatcher: { pollMs: 50 }, merchants: [shopConfig(shop.url)],
  }, { LOG_LEVEL: 'silent' });
  try {
    // A payment paid, whose PAY the slow shop is answering when SIGTERM comes.
    const first = await createPayment(gw.url, 'shop', 'before-1');
    assert.equal(first.status, 201, JSON.stringify(first.body));
    // A payment waiting for the buyer's money, whose status stream is open.
    const waiting = await createPayment(gw.url, 'shop', 'waiting-1');
    assert.equal(waiting.status, 201);
    const streamRes = await fetch(`${gw.url}/api/v1/payments/${waiting.body.id}/events`, { headers: { origin: 'https://shop.example' } });
    assert.equal(streamRes.status, 200);
    const reader = streamRes.body!.getReader();
    let streamText = '';
    const streamDone = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        streamText += Buffer.from(value).toString();
      }
    })();
    assert.equal(await payPayment(gw.url, first.body.id), 200);
    // A new payment whose CHECK takes 1.5 s.
    const second = createPayment(gw.url, 'shop', 'before-2');
    while (!shop.requests.some((r) => r.body.includes('before-2')) || !shop.requests.some((r) => r.body.includes('"pay"'))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = Date.now();
    gw.child.kill('SIGTERM');
    const answer = await second;
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'awaiting_payment');
    const { code } = await gw.exit;
    assert.equal(code, 0, gw.output());
    assert.ok(Date.now() - t0 < 10_000, 'exited within the deadline');
    await streamDone;
    assert.match(streamText, /event: shutdown/);
    // New connections are refused once it stopped.
    await assert.rejects(fetch(`${gw.url}/health/live`));
    const database = await openDatabase(url);
    try {
      const rows = await database.db.selectFrom('notifications').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.status, 'delivered', 'the PAY in flight was finished and recorded');
      assert.equal(rows[0]!.lease_owner, null, 'no lease left held');
      const p = await database.db.selectFrom('payments').select(['pay_for', 'status']).orderBy('pay_for').execute();
      assert.deepEqual(p.map((r) => [r.pay_for, r.status]), [['before-1', 'paid'], ['before-2', 'awaiting_payment'], ['waiting-1', 'awaiting_payment']]);
    } finally {
      await database.close();
    }
  } finally {
    gw.child.kill('SIGKILL');
    await shop.close();
  }
});

test('SIGTERM on a worker whose PAY outlasts shutdownTimeoutMs: exits 0 in time and gives its lease back', { timeout: 60_000 }, async () => {
  const shop = await startShop(K, { payMs: 20_000 });
  const url = `sqlite:${join(dir, 'worker.sqlite')}`;
  const database = await openDatabase(url);
  const storage = createStorage(database.db, database.dialect);
  try {
    const m = await addMerchant(storage, shop.url, { login: 'shop', secret: K });
    await paidPayment(storage, m, Date.now(), 'slow-1');
    const file = join(dir, 'worker.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ database: url, secret: TEST_SECRET, allowPrivateMerchantUrls: true, shutdownTimeoutMs: 800, dispatcher: { pollMs: 50, timeoutMs: 30_000 } }));
    const w = spawnTs('src/cli/worker.ts', ['--config', file], { LOG_LEVEL: 'silent' });
    await w.waitFor(/onpay-checkout worker/);
    while (shop.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
    const held = await database.db.selectFrom('notifications').select(['lease_owner']).executeTakeFirstOrThrow();
    assert.ok(held.lease_owner, 'the worker holds the lease while it sends');
    const t0 = Date.now();
    w.child.kill('SIGTERM');
    const { code } = await w.exit;
    assert.equal(code, 0, w.output());
    assert.ok(Date.now() - t0 < 3000, `exited ${Date.now() - t0} ms after SIGTERM`);
    const n = await database.db.selectFrom('notifications').selectAll().executeTakeFirstOrThrow();
    assert.equal(n.lease_owner, null, 'lease given back');
    assert.equal(n.status, 'pending', 'still to be delivered: nothing lost');
    assert.ok(Number(n.next_attempt_at) <= Date.now(), 'due again at once, for another dispatcher');
  } finally {
    await database.close();
    await shop.close();
  }
});
