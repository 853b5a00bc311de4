/**
 * Subscriptions survive crashes (issue 26): two real gateway processes on one database (PostgreSQL
 * when TEST_DATABASE_URL is set, else a SQLite file), both running the subscriptions' scheduler,
 * SIGKILLed at random moments while subscriptions' periods fall due. Every period is charged exactly
 * once (one payment, paid) and every paid charge's PAY reaches the real loopback shop.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { signPaymentLink } from '../src/merchant/link.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { openTestStorage, startMerchantStub, TEST_SECRET } from './helpers.ts';
import { killableGateway, type KillableGateway } from './killable-gateway.ts';

const SUBSCRIPTIONS = 10;
const PERIODS = 3;
const MIN_KILLS = 4;
const K = 'subs-crash-secret-K';
const KEY = 'subs-crash-cabinet-key-0123456789';
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const a = s.address();
    s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
  });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`two gateways on ${onPostgres ? 'PostgreSQL' : 'SQLite'}, SIGKILLed at random: every subscription period charged once, every PAY delivered`, { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-subs-crash-'));
  const ts = await openTestStorage(onPostgres ? 'postgres' : 'sqlite');
  const seen = new Map<string, number>();
  const shop = await startMerchantStub((req, res) => {
    const o = JSON.parse(req.body) as { type: string; pay_for: string };
    if (o.type === 'pay') seen.set(o.pay_for, (seen.get(o.pay_for) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature(o.type === 'pay' ? 'pay' : 'check', true, o.pay_for, K) }));
  });
  const gateways: KillableGateway[] = [];
  for (const name of ['a', 'b']) {
    const port = await freePort();
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({
      port, database: ts.url, secret: TEST_SECRET, publicUrl: `http://127.0.0.1:${port}`, allowPrivateMerchantUrls: true,
      retrySchedule: [0, 1, 1, 2, 3, 5, 8], dispatcher: { timeoutMs: 2000, leaseMs: 3000, pollMs: 50 },
      subscriptions: { leaseMs: 10_001, pollMs: 100 },
      merchants: [{ login: 'shop', name: 'Crash shop', secret: K, apiKey: KEY, notifications: true, apiUrl: shop.url, apiType: 2, checkLinkMd5: false, origins: [], savedMethods: { enabled: true } }],
    }));
    gateways.push(killableGateway(file, `http://127.0.0.1:${port}`));
  }
  const [a, b] = gateways as [KillableGateway, KillableGateway];
  await Promise.all([a.start(), b.start()]);
  const any = () => gateways[Math.floor(Math.random() * 2)]!;
  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

  try {
    // Cards saved with consent through the sandbox, then a daily subscription each, starting in two seconds.
    const ids: string[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const q = new URLSearchParams(signPaymentLink({ gateway: 'http://x', merchantLogin: 'shop', secret: K, price: '100', payFor: `save-${i}`, customer: `c-${i}` }).query).toString();
      const { token } = (await (await a.call(`/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
      const created = await a.call('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD', saveMethod: true }) });
      const { id } = (await created.json()) as { id: string };
      assert.equal((await a.call(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' })).status, 200);
      const { methods } = (await (await a.call(`/api/v1/customers/c-${i}/methods`, { headers: auth })).json()) as { methods: { id: string }[] };
      const sub = await a.call('/api/v1/subscriptions', {
        method: 'POST', headers: auth,
        body: JSON.stringify({ customer: `c-${i}`, method: methods[0]!.id, amount: '10.00', ticker: 'RUR', interval: 'day', startAt: new Date(Date.now() + 2000).toISOString(), maxPeriods: PERIODS, payFor: `cr${i}-{period}` }),
      });
      assert.equal(sub.status, 201, await sub.clone().text());
      ids.push(((await sub.json()) as { id: string }).id);
    }

    let done = false;
    let kills = 0;
    const killer = (async () => {
      while (!done || kills < MIN_KILLS) {
        await sleep(500 + Math.random() * 1200);
        const g = any();
        await g.kill();
        kills++;
        await g.start();
      }
    })();
    // Periods a day apart, brought forward: once a period is charged, the shop moves the next one to now.
    const t0 = Date.now();
    for (;;) {
      const views = await Promise.all(ids.map(async (id) => (await (await any().call(`/api/v1/subscriptions/${id}`, { headers: auth })).json()) as { status: string; nextChargeAt: string | null }));
      if (views.every((v) => v.status === 'completed')) break;
      assert.ok(Date.now() - t0 < 180_000, `not completed: ${JSON.stringify(views.map((v) => v.status))} ${a.log().slice(-1500)} ${b.log().slice(-1500)}`);
      await Promise.all(views.map(async (v, i) => {
        if (v.status === 'active' && v.nextChargeAt && Date.parse(v.nextChargeAt) > Date.now() + 60_000) {
          // 409 while a charge of it is under way: the next round tries again.
          await any().call(`/api/v1/subscriptions/${ids[i]}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ nextChargeAt: new Date(Date.now() + 200).toISOString() }) });
        }
      }));
      await sleep(300);
    }
    done = true;
    await killer;

    const payments = (await ts.storage.listPayments({ merchantLogin: 'shop', limit: 1000 })).filter((p) => /^cr\d+-\d$/.test(p.payFor));
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      for (let period = 1; period <= PERIODS; period++) {
        const of = payments.filter((p) => p.payFor === `cr${i}-${period}`);
        assert.deepEqual(of.map((p) => p.status), ['paid'], `subscription ${i} period ${period}: charged exactly once`);
      }
    }
    assert.equal(payments.length, SUBSCRIPTIONS * PERIODS);
    const deadline = Date.now() + 60_000;
    while (!payments.every((p) => seen.has(p.payFor))) {
      assert.ok(Date.now() < deadline, `PAYs missing: ${payments.filter((p) => !seen.has(p.payFor)).map((p) => p.payFor).join(', ')}`);
      await sleep(100);
    }
    const unexpected = [...seen.keys()].filter((k) => /^cr/.test(k) && !payments.some((p) => p.payFor === k));
    assert.deepEqual(unexpected, []);
    const duplicates = [...seen.entries()].filter(([k]) => /^cr/.test(k)).reduce((s, [, n]) => s + n - 1, 0);
    console.log(`subscriptions crash test: ${SUBSCRIPTIONS} subscriptions × ${PERIODS} periods, ${kills} SIGKILLs, ${payments.length} payments, `
      + `${duplicates} duplicate PAY deliveries (attempts in flight at a kill), ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(kills >= MIN_KILLS);
  } finally {
    await Promise.all(gateways.map((g) => g.stop().catch(() => {})));
    await shop.close();
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
