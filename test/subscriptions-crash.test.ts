/**
 * Subscriptions survive crashes (issue 26): two real gateway processes and two `npm run worker`
 * processes on one database (PostgreSQL when TEST_DATABASE_URL is set, else a SQLite file), all four
 * running the subscriptions' scheduler, SIGKILLed at random moments while subscriptions' periods
 * fall due. The customers' cards are saved at the CloudPayments emulator (a real HTTP server), which
 * charges each period's token charge. Counted at the emulator and at the real loopback shop: every
 * period charged exactly once (one completed token charge, one paid payment) and every PAY delivered.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { signPaymentLink } from '../src/merchant/link.ts';
import { notifyUrlsFor, startCloudPaymentsEmulator } from '../src/server/providers/cloudpayments/emulator.ts';
import { openTestStorage, TEST_SECRET } from './helpers.ts';
import { freePort, killableGateway, startCrashShop, type KillableGateway } from './killable-gateway.ts';

const SUBSCRIPTIONS = 10;
const PERIODS = 3;
const MIN_KILLS = 6;
const K = 'subs-crash-secret-K';
const KEY = 'subs-crash-cabinet-key-0123456789';
const CP = { publicId: 'pk_subs_crash', apiSecret: 'subs_crash_api_secret' };
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`two gateways and two workers on ${onPostgres ? 'PostgreSQL' : 'SQLite'}, SIGKILLed at random: every subscription period charged once at CloudPayments, every PAY delivered`, { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-subs-crash-'));
  const ts = await openTestStorage(onPostgres ? 'postgres' : 'sqlite');
  const seen = new Map<string, number>();
  const shop = await startCrashShop(K, (o) => { if (o.type === 'pay') seen.set(o.pay_for, (seen.get(o.pay_for) ?? 0) + 1); });
  const emu = await startCloudPaymentsEmulator({ ...CP, notify: {}, retryDelaysMs: [200, 500, 1000, 2000, 3000, 5000, 8000] });
  const ports = [await freePort(), await freePort()];
  const configFor = (name: string, port: number) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({
      port, database: ts.url, secret: TEST_SECRET, publicUrl: `http://127.0.0.1:${port}`, allowPrivateMerchantUrls: true,
      retrySchedule: [0, 1, 1, 2, 3, 5, 8], reconcileSchedule: [2, 5, 10], reconcile: { leaseMs: 10_001, pollMs: 200 },
      dispatcher: { timeoutMs: 2000, leaseMs: 3000, pollMs: 50 },
      subscriptions: { leaseMs: 10_001, pollMs: 100 },
      providers: [{ id: 'cp', type: 'cloudpayments', ...CP, apiUrl: emu.url }],
      ways: [{ code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title: { ru: 'Карта', en: 'Card' } }],
      merchants: [{ login: 'shop', name: 'Crash shop', secret: K, apiKey: KEY, notifications: true, apiUrl: shop.url, apiType: 2, checkLinkMd5: false, origins: [], mode: 'live', savedMethods: { enabled: true } }],
    }));
    return file;
  };
  const files = [configFor('a', ports[0]!), configFor('b', ports[1]!)];
  const gateways = files.map((f, i) => killableGateway(f, `http://127.0.0.1:${ports[i]}`));
  const workers = files.map((f, i) => killableGateway(f, `http://127.0.0.1:${ports[i]}`, { script: 'src/cli/worker.ts', ready: 'delivering' }));
  const all: KillableGateway[] = [...gateways, ...workers];
  const [a] = gateways as [KillableGateway, KillableGateway];
  await Promise.all(all.map((p) => p.start()));
  // CloudPayments' notifications go to the first gateway's address (its dashboard has one).
  emu.notify = notifyUrlsFor(`http://127.0.0.1:${ports[0]}`, 'cp');
  const anyGateway = () => gateways[Math.floor(Math.random() * 2)]!;
  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

  try {
    // Cards saved with consent at CloudPayments, then a daily subscription each, starting in two seconds.
    const ids: string[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const q = new URLSearchParams(signPaymentLink({ gateway: 'http://x', merchantLogin: 'shop', secret: K, price: '100', payFor: `save-${i}`, customer: `c-${i}` }).query).toString();
      const { token } = (await (await a.call(`/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
      const created = await a.call('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CPC', saveMethod: true }) });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };
      assert.equal((await emu.pay((await ts.storage.getPayment(id))!.providerPaymentId!, '4242424242424242')).outcome, 'paid');
      let methods: { id: string }[] = [];
      for (let n = 0; methods.length === 0; n++) {
        assert.ok(n < 200, `card ${i} never saved: ${a.log().slice(-1500)}`);
        await sleep(50);
        methods = ((await (await a.call(`/api/v1/customers/c-${i}/methods`, { headers: auth })).json()) as { methods: { id: string }[] }).methods;
      }
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
        await sleep(400 + Math.random() * 1000);
        const p = all[Math.floor(Math.random() * all.length)]!;
        await p.kill();
        kills++;
        await p.start();
      }
    })();
    // Periods a day apart, brought forward: once a period is charged, the shop moves the next one to now.
    const t0 = Date.now();
    for (;;) {
      const views = await Promise.all(ids.map(async (id) => (await (await anyGateway().call(`/api/v1/subscriptions/${id}`, { headers: auth })).json()) as { status: string; nextChargeAt: string | null }));
      if (views.every((v) => v.status === 'completed')) break;
      assert.ok(Date.now() - t0 < 240_000, `not completed: ${JSON.stringify(views)} ${all.map((p) => p.log().slice(-800)).join('\n')}`);
      await Promise.all(views.map(async (v, i) => {
        if (v.status === 'active' && v.nextChargeAt && Date.parse(v.nextChargeAt) > Date.now() + 60_000) {
          // 409 while a charge of it is under way: the next round tries again.
          await anyGateway().call(`/api/v1/subscriptions/${ids[i]}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ nextChargeAt: new Date(Date.now() + 200).toISOString() }) });
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
        assert.deepEqual(of.map((p) => p.status), ['paid'], `subscription ${i} period ${period}: one payment, paid`);
        const charged = emu.transactions.filter((t) => t.invoiceId === of[0]!.id && t.status === 'Completed');
        assert.equal(charged.length, 1, `subscription ${i} period ${period}: charged once at CloudPayments`);
        assert.equal(charged[0]!.trInitiatorCode, '0', 'a merchant-initiated token charge');
      }
    }
    assert.equal(payments.length, SUBSCRIPTIONS * PERIODS);
    const tokenCharges = emu.transactions.filter((t) => t.trInitiatorCode === '0' && t.status === 'Completed');
    assert.equal(tokenCharges.length, SUBSCRIPTIONS * PERIODS, 'no charge at CloudPayments beyond one per period');
    const deadline = Date.now() + 60_000;
    while (!payments.every((p) => seen.has(p.payFor))) {
      assert.ok(Date.now() < deadline, `PAYs missing: ${payments.filter((p) => !seen.has(p.payFor)).map((p) => p.payFor).join(', ')}`);
      await sleep(100);
    }
    const unexpected = [...seen.keys()].filter((k) => /^cr/.test(k) && !payments.some((p) => p.payFor === k));
    assert.deepEqual(unexpected, []);
    const duplicates = [...seen.entries()].filter(([k]) => /^cr/.test(k)).reduce((s, [, n]) => s + n - 1, 0);
    console.log(`subscriptions crash test: ${SUBSCRIPTIONS} subscriptions × ${PERIODS} periods through 2 gateways and 2 workers, ${kills} SIGKILLs, `
      + `${tokenCharges.length} token charges at CloudPayments, ${payments.length} payments, ${duplicates} duplicate PAY deliveries (attempts in flight at a kill), ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(kills >= MIN_KILLS);
  } finally {
    await Promise.all(all.map((p) => p.stop().catch(() => {})));
    await emu.close();
    await shop.close();
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
