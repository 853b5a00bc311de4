/**
 * Crash safety (DESIGN.md §5, "nothing is lost"): the real gateway as a child process on a SQLite
 * file, 2,000 payments made paid through its HTTP API while it is SIGKILLed at random moments and
 * restarted, against a slow loopback merchant. At the end every paid payment's PAY has reached the
 * merchant at least once; duplicates come only from attempts in flight at a kill.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { startMerchantStub, TEST_SECRET } from './helpers.ts';
import { killableGateway } from './killable-gateway.ts';

const PAYMENTS = 2000;
const MIN_KILLS = 5;
const CLIENTS = 24;
const DISPATCH_CONCURRENCY = 16;
const K = 'crash-test-secret-K';

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const a = s.address();
    s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
  });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`no PAY is lost: ${PAYMENTS} payments paid while the gateway is SIGKILLed at random moments`, { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-crash-'));
  const dbFile = join(dir, 'gateway.sqlite');
  const seen = new Map<string, number>();
  const stub = await startMerchantStub(async (req, res) => {
    await sleep(Math.random() * 50);
    const o = JSON.parse(req.body) as { type: string; pay_for: string };
    if (o.type === 'pay') seen.set(o.pay_for, (seen.get(o.pay_for) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature(o.type === 'pay' ? 'pay' : 'check', true, o.pay_for, K) }));
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({
    port, database: `sqlite:${dbFile}`, secret: TEST_SECRET, publicUrl: base, allowPrivateMerchantUrls: true,
    retrySchedule: [0, 1, 1, 2, 3, 5, 8, 13, 20, 30],
    dispatcher: { timeoutMs: 3000, leaseMs: 4000, pollMs: 50, concurrency: DISPATCH_CONCURRENCY, batchSize: DISPATCH_CONCURRENCY },
    merchants: [{ login: 'shop', name: 'Crash shop', secret: K, notifications: true, apiUrl: stub.url, apiType: 2, checkLinkMd5: false }],
  }));

  const gw = killableGateway(configFile, base);
  const { start, kill, call } = gw;

  const t0 = performance.now();
  await start();
  let confirmed = 0;
  let next = 0;
  let done = false;
  async function client(): Promise<void> {
    while (next < PAYMENTS) {
      const i = next++;
      for (let attempt = 0; ; attempt++) {
        const payFor = `crash-${i}-${attempt}`;
        const form = await call(`/pay/shop?price=100.0&ticker=RUR&pay_for=${payFor}`, { headers: { accept: 'application/json' } });
        if (form.status !== 200) continue;
        const { token } = (await form.json()) as { token: string };
        const created = await call('/api/v1/payments', {
          method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': payFor }, body: JSON.stringify({ token, way: 'CRD' }),
        });
        // Cut off by a kill mid-CHECK: the retried key says so; make a new payment for this order.
        if (created.status !== 201) continue;
        const { id } = (await created.json()) as { id: string };
        const paid = await call(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
        assert.equal(paid.status, 200, await paid.clone().text());
        assert.equal(((await paid.json()) as { status: string }).status, 'paid');
        confirmed++;
        break;
      }
    }
  }
  let kills = 0;
  async function killer(): Promise<void> {
    // Kill at random moments while payments are being made, at least MIN_KILLS times.
    while (!done || kills < MIN_KILLS) {
      await sleep(600 + Math.random() * 1500);
      if (done && kills >= MIN_KILLS) break;
      await kill();
      kills++;
      await start();
    }
  }
  const clients = Promise.all(Array.from({ length: CLIENTS }, client)).then(() => { done = true; });
  await Promise.all([clients, killer()]);
  const paidAt = performance.now();

  // Wait until the outbox is empty: every notification delivered (or the deadline passes).
  const db = new SQLite(dbFile, { readonly: true });
  let paidPayFors: string[] = [];
  let waiting: number;
  for (;;) {
    paidPayFors = (db.prepare("select pay_for from payments where status = 'paid'").all() as { pay_for: string }[]).map((r) => r.pay_for);
    waiting = (db.prepare("select count(*) as n from notifications where status <> 'delivered'").get() as { n: number }).n;
    if (waiting === 0 && paidPayFors.every((p) => seen.has(p))) break;
    assert.ok(performance.now() - paidAt < 60_000, `still ${waiting} notifications not delivered: ${gw.log().slice(-2000)}`);
    await sleep(100);
  }
  const notifications = (db.prepare('select count(*) as n from notifications').get() as { n: number }).n;
  const attempts = (db.prepare('select count(*) as n from attempts').get() as { n: number }).n;
  const gaveUp = (db.prepare("select count(*) as n from notifications where status = 'gave_up'").get() as { n: number }).n;
  db.close();
  await gw.stop();
  await stub.close();
  rmSync(dir, { recursive: true, force: true });

  const lost = paidPayFors.filter((p) => !seen.has(p));
  const duplicates = [...seen.values()].reduce((s, c) => s + (c - 1), 0);
  const unexpected = [...seen.keys()].filter((p) => !paidPayFors.includes(p));
  console.log(`crash test: ${paidPayFors.length} paid payments (${confirmed} confirmed to the client), ${kills} SIGKILLs, `
    + `${notifications} notifications, ${attempts} recorded attempts, ${lost.length} lost, ${duplicates} duplicate deliveries, `
    + `${gaveUp} gave up; payments ${((paidAt - t0) / 1000).toFixed(1)} s, drained ${((performance.now() - paidAt) / 1000).toFixed(1)} s`);

  assert.ok(kills >= MIN_KILLS);
  assert.equal(confirmed, PAYMENTS);
  assert.ok(paidPayFors.length >= PAYMENTS, 'every confirmed payment is paid in the database');
  assert.deepEqual(lost, [], 'no paid payment without its PAY');
  assert.deepEqual(unexpected, [], 'no PAY for a payment that is not paid');
  assert.equal(notifications, paidPayFors.length, 'one outbox row per paid payment');
  assert.equal(gaveUp, 0);
  // A duplicate is an attempt that reached the merchant but died with its process before being recorded.
  assert.ok(duplicates <= kills * DISPATCH_CONCURRENCY, `${duplicates} duplicates for ${kills} kills`);
});
