/**
 * Reconciliation (issue 11, contract point 3) with an injected clock, on SQLite and PostgreSQL: the
 * schedule (1 min, 5 min, 30 min, 2 h, then every 6 h until the deadline; `reconcileSchedule`
 * overrides it), what a report does (paid with one PAY, the amount checked, an unknown create found),
 * healing a create cut off by a crash, and lease contention — two reconcilers on separate connections
 * never both ask the provider about one payment in one slot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGateway, type Gateway } from '../src/server/app.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { DEFAULT_RECONCILE_SCHEDULE_S, parseConfig } from '../src/server/config.ts';
import { createReconciler, nextReconcileAt } from '../src/server/dispatcher/reconcile.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import { moduleTable } from '../src/server/providers/modules.ts';
import { sandboxModule } from '../src/server/providers/sandbox/sandbox.ts';
import { openDatabase } from '../src/server/storage/db.ts';
import { createStorage, type Storage } from '../src/server/storage/storage.ts';
import { fakeModule } from './fake-connector.ts';
import { merchant, openTestStorage, storageKinds, testClock, TEST_SECRET, type TestStorage } from './helpers.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('the reconciliation schedule', () => {
  const at = (elapsedMs: number, expiresAt: number | null = null, scheduleS = DEFAULT_RECONCILE_SCHEDULE_S) =>
    nextReconcileAt({ createdAt: 0, now: elapsedMs, scheduleS, expiresAt });

  test('1 min, 5 min, 30 min, 2 h, then every 6 h', () => {
    assert.equal(at(0), MIN);
    assert.equal(at(MIN), 5 * MIN, 'the slot just asked is not asked again');
    assert.equal(at(5 * MIN + 1), 30 * MIN);
    assert.equal(at(30 * MIN), 2 * HOUR);
    assert.equal(at(2 * HOUR), 8 * HOUR);
    assert.equal(at(8 * HOUR), 14 * HOUR);
    assert.equal(at(14 * HOUR + 5), 20 * HOUR);
    assert.equal(at(100 * HOUR), 104 * HOUR);
  });

  test('ends at the deadline; passed slots are skipped, not caught up', () => {
    assert.equal(at(2 * HOUR, 10 * HOUR), 8 * HOUR);
    assert.equal(at(8 * HOUR, 10 * HOUR), null);
    assert.equal(at(3 * HOUR), 8 * HOUR, 'a reconciler down for an hour asks at the next slot');
  });

  test('a configured schedule repeats its last gap', () => {
    assert.equal(at(0, null, [2, 4, 10]), 2000);
    assert.equal(at(10_000, null, [2, 4, 10]), 16_000);
    assert.equal(at(25_000, null, [5]), 30_000);
  });

  test('reconcileSchedule is validated', () => {
    assert.throws(() => parseConfig({ secret: TEST_SECRET, reconcileSchedule: [60, 30] }), /reconcileSchedule/);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, reconcileSchedule: [] }), /reconcileSchedule/);
    assert.deepEqual(parseConfig({ secret: TEST_SECRET, reconcileSchedule: [10, 20] }).reconcileSchedule, [10, 20]);
  });
});

for (const kind of storageKinds()) {
  describe(`reconciliation on ${kind}`, () => {
    const fake = fakeModule();
    const modules = moduleTable([sandboxModule, fake.module]);
    const clock = testClock();
    let ts: TestStorage;
    let gateway: Gateway;

    before(async () => {
      ts = await openTestStorage(kind);
      const config = parseConfig({
        secret: TEST_SECRET, publicUrl: 'http://gateway.test', allowPrivateMerchantUrls: true, checkTimeoutMs: 2000,
        providers: [{ id: 'fk', type: 'fake', password: 'fake-password-1' }],
        ways: [{ code: 'FKC', provider: 'fk', method: 'card', ticker: 'RUR', title: { ru: 'Фейк', en: 'Fake' } }],
        merchants: [merchant({ notifications: true, apiUrl: 'http://127.0.0.1:9/api', origins: [] })],
      }, undefined, modules);
      for (const m of config.merchants) await ts.storage.upsertMerchant(merchantFromConfig(m), clock.now());
      gateway = createGateway({ config: { ...config, merchants: config.merchants }, storage: ts.storage, now: clock.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), connectorModules: modules, log: () => {} });
    });
    after(async () => { await ts?.close(); });

    let n = 0;
    /** A payment saved and started at the fake provider (CHECK skipped: written as `created`, then moved). */
    async function waiting(opts: { providerPaymentId?: string | null; status?: 'created' | 'checking' | 'awaiting_payment' } = {}) {
      const id = `pay_reconcile${kind}${String(n++).padStart(6, '0')}`;
      const now = clock.now();
      await ts.storage.createPayment({
        id, merchantLogin: 'shop', payFor: `o-${id}`, mode: 'fix', priceMinor: 15000n, ticker: 'RUR', convert: false, priceFinal: false, note: '', ln: 'ru',
        urlSuccess: 'https://shop.example/ok', urlFail: 'https://shop.example/fail', userEmail: '', userPhone: '', extraParams: {}, way: 'FKC', wayTicker: 'RUR',
        amountMinor: 15000n, feeMinor: 0n, balanceMinor: 15000n, balanceTicker: 'RUR', rate: '1', status: opts.status === 'awaiting_payment' || opts.status === undefined ? 'created' : opts.status,
        idempotencyKey: `k-${id}`, requestHash: 'h', expiresAt: null, createdAt: now, updatedAt: now, providerId: 'fk', reconcileAt: now + MIN,
      });
      if ((opts.status ?? 'awaiting_payment') === 'awaiting_payment') {
        const providerPaymentId = opts.providerPaymentId === undefined ? `fake-${id}` : opts.providerPaymentId;
        await ts.storage.transition(id, { from: 'created', to: 'awaiting_payment', at: now, expiresAt: now + 24 * HOUR, ...(providerPaymentId ? { providerPaymentId } : {}) });
      }
      return id;
    }
    const reconciler = (owner: string, storage: Storage = ts.storage) => createReconciler({ storage, service: gateway.service, now: clock.now, owner, batchSize: 50, concurrency: 8 });

    test('asks only when due, on the schedule; a pending answer waits for the next slot', async () => {
      fake.statusAnswer((p) => ({ state: 'pending', providerPaymentId: `fake-${p.id}`, providerState: 'NEW' }));
      const id = await waiting();
      const asked = () => fake.asked.filter((x) => x === id).length;
      const r = reconciler('rc-schedule');
      clock.advance(30_000);
      await r.runOnce();
      assert.equal(asked(), 0, 'not before 1 min');
      clock.advance(31_000);
      await r.runOnce();
      assert.equal(asked(), 1, 'at 1 min');
      await r.runOnce();
      assert.equal(asked(), 1, 'once per slot');
      clock.advance(4 * MIN);
      await r.runOnce();
      assert.equal(asked(), 2, 'at 5 min');
      clock.advance(25 * MIN);
      await r.runOnce();
      assert.equal(asked(), 3, 'at 30 min');
      assert.equal((await ts.storage.getPayment(id))!.status, 'awaiting_payment');
    });

    test('a lost notification: the provider says paid, the payment is paid with one PAY; the amount is checked', async () => {
      const good = await waiting();
      const wrong = await waiting();
      fake.statusAnswer((p) => ({ state: 'paid', providerPaymentId: `fake-${p.id}`, amountMinor: p.id === wrong ? 14000n : p.amountMinor, currency: 'RUR', providerState: 'CONFIRMED' }));
      clock.advance(MIN + 1);
      await reconciler('rc-paid').runOnce();
      const p = (await ts.storage.getPayment(good))!;
      assert.equal(p.status, 'paid');
      assert.equal((await ts.storage.notificationsOf(good)).length, 1);
      const w = (await ts.storage.getPayment(wrong))!;
      assert.equal(w.status, 'awaiting_payment', 'another amount is not paid');
      assert.equal(w.amountMismatch, true);
      assert.equal((await ts.storage.notificationsOf(wrong)).length, 0);
      // Paid: not asked again, however late.
      const before = fake.asked.filter((x) => x === good).length;
      clock.advance(10 * HOUR);
      await reconciler('rc-paid-2').runOnce();
      assert.equal(fake.asked.filter((x) => x === good).length, before);
    });

    test('an unknown create (no provider id) found at the provider: its id is kept, then it is paid', async () => {
      const id = await waiting({ providerPaymentId: null });
      let paid = false;
      fake.statusAnswer((p, pid) => (p.id !== id ? { state: 'unreachable', reason: 'other' }
        : paid ? { state: 'paid', providerPaymentId: 'fk-found-1', amountMinor: p.amountMinor, currency: 'RUR', providerState: 'CONFIRMED' }
          : pid === null ? { state: 'pending', providerPaymentId: 'fk-found-1', providerState: 'NEW' } : { state: 'unreachable', reason: 'unexpected' }));
      clock.advance(MIN + 1);
      await reconciler('rc-unknown').runOnce();
      assert.equal((await ts.storage.getPayment(id))!.providerPaymentId, 'fk-found-1');
      paid = true;
      clock.advance(5 * MIN);
      await reconciler('rc-unknown').runOnce();
      assert.equal((await ts.storage.getPayment(id))!.status, 'paid');
    });

    test('a create cut off by a crash heals: known to the provider it waits for the money; unknown, it is rejected as interrupted', async () => {
      const known = await waiting({ status: 'checking' });
      const unknown = await waiting({ status: 'checking' });
      fake.statusAnswer((p) => (p.id === known ? { state: 'pending', providerPaymentId: 'fk-cut-1', providerState: 'NEW' } : { state: 'not_found', providerState: 'ORDER_NOT_FOUND' }));
      // The expiry sweep leaves payments at a real provider to reconciliation.
      clock.advance(MIN + 1);
      await gateway.service.expireDue();
      assert.equal((await ts.storage.getPayment(known))!.status, 'checking');
      await reconciler('rc-heal').runOnce();
      const k = (await ts.storage.getPayment(known))!;
      assert.equal(k.status, 'awaiting_payment');
      assert.equal(k.providerPaymentId, 'fk-cut-1');
      assert.equal(k.responseStatus, 502, 'its key answers provider_unavailable');
      assert.ok(k.expiresAt !== null);
      const u = (await ts.storage.getPayment(unknown))!;
      assert.equal(u.status, 'rejected');
      assert.equal(u.responseStatus, 424);
    });

    test('a provider that cannot be reached: asked again at the next slot', async () => {
      const id = await waiting();
      fake.statusAnswer(() => ({ state: 'unreachable', reason: 'down' }));
      clock.advance(MIN + 1);
      await reconciler('rc-down').runOnce();
      const row = await ts.database.db.selectFrom('payments').select(['reconcile_at', 'reconcile_attempts', 'reconcile_owner']).where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(Number(row.reconcile_attempts), 1);
      assert.equal(row.reconcile_owner, null, 'the lease is given back');
      assert.equal(Number(row.reconcile_at), (await ts.storage.getPayment(id))!.createdAt + 5 * MIN);
    });

    test('lease contention: two reconcilers on separate connections never both ask about one payment in one slot', async () => {
      const second = await openDatabase(ts.url);
      try {
        const other = createStorage(second.db, second.dialect);
        const ids: string[] = [];
        for (let i = 0; i < 40; i++) ids.push(await waiting());
        const mine = new Set(ids);
        fake.statusAnswer(async (p) => {
          await new Promise((r) => setTimeout(r, 20));
          return { state: 'pending', providerPaymentId: `fake-${p.id}`, providerState: 'NEW' };
        });
        const start = fake.asked.length;
        clock.advance(MIN + 1);
        const a = createReconciler({ storage: ts.storage, service: gateway.service, now: clock.now, owner: 'rc-a', batchSize: 7, concurrency: 3 });
        const b = createReconciler({ storage: other, service: gateway.service, now: clock.now, owner: 'rc-b', batchSize: 7, concurrency: 3 });
        const drain = async (r: typeof a) => { while ((await r.runOnce()) > 0) { /* next batch */ } };
        await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
        const asked = fake.asked.slice(start).filter((x) => mine.has(x));
        assert.equal(asked.length, ids.length, 'every payment asked');
        assert.equal(new Set(asked).size, ids.length, 'none asked twice in the slot');
        assert.ok(a.asked > 0 && b.asked > 0, `both took part (${a.asked}, ${b.asked})`);
      } finally {
        await second.close();
      }
    });

    test('a reconciler that dies mid-question leaves the payment due again when its lease ends', async () => {
      const id = await waiting();
      clock.advance(MIN + 1);
      const claimed = await ts.storage.claimReconcile(clock.now(), 100, 'rc-dead', 30_000);
      assert.ok(claimed.some((p) => p.id === id));
      assert.equal((await ts.storage.claimReconcile(clock.now(), 100, 'rc-live', 30_000)).length, 0, 'held by the lease');
      clock.advance(30_001);
      const again = await ts.storage.claimReconcile(clock.now(), 100, 'rc-live', 30_000);
      assert.ok(again.some((p) => p.id === id), 'due again after the lease');
      assert.equal(await ts.storage.finishReconcile(id, 'rc-dead', null), false, 'the dead one\'s lease is lost');
      assert.equal(await ts.storage.finishReconcile(id, 'rc-live', clock.now() + MIN), true);
    });
  });
}
