/**
 * The subscriptions' scheduler on real storage (SQLite and, when available, PostgreSQL) with an
 * injected clock, through the sandbox's saved card, its PAYs delivered by the real dispatcher to a
 * real loopback shop: twelve monthly periods with a decline in period 3 recovered by dunning; every
 * retry failing → `past_due` with the webhook merchant's `subscription.*` events; two schedulers
 * (each on its own connection) racing, and one whose lease ran out mid-charge, charging each period
 * exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGateway } from '../src/server/app.ts';
import { createDispatcher } from '../src/server/dispatcher/dispatcher.ts';
import { createSubscriptionScheduler } from '../src/server/dispatcher/subscriptions.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import { openDatabase, type OpenDatabase } from '../src/server/storage/db.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import { storageKinds, type MerchantStub, type TestGateway } from './helpers.ts';
import { api, HOOKS_KEY, saveCard, startShop, startSubscriptionGateway } from './subscriptions-fixtures.ts';

const DAY = 86_400_000;

for (const kind of storageKinds()) {
  describe(`subscriptions' scheduler on ${kind}`, () => {
    let t: TestGateway;
    let shop: MerchantStub;
    let second: OpenDatabase;

    before(async () => {
      shop = await startShop();
      t = await startSubscriptionGateway(kind, shop);
    });
    after(async () => {
      await second?.close();
      await t.close();
      await shop.close();
    });

    const scheduler = (owner: string, leaseMs?: number) =>
      createSubscriptionScheduler({ storage: t.storage, subscriptions: t.gateway.service.subscriptions, now: t.clock.now, owner, ...(leaseMs ? { leaseMs, callTimeoutMs: 1 } : {}) });
    /** Delivers every due notification to the shop, as the gateway's dispatcher does. */
    const deliver = async () => {
      const d = createDispatcher({ storage: t.storage, now: t.clock.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'test-dispatcher', random: () => 0.5 });
      while ((await d.runOnce()) > 0);
    };
    const paysAtShop = (payFor: RegExp) => shop.requests.filter((r) => {
      const b = JSON.parse(r.body) as { type: string; pay_for?: string };
      return b.type === 'pay' && payFor.test(b.pay_for ?? '');
    });

    test('twelve monthly periods keep the day, each charged once with its PAY; a decline in period 3 is recovered by dunning', async () => {
      const method = await saveCard(t, 'shop', 'm-1');
      t.clock.set(Date.parse('2027-01-30T00:00:00Z'));
      const c = await api(t, 'POST', '/api/v1/subscriptions', {
        customer: 'm-1', method, amount: '100.00', ticker: 'RUR', interval: 'month', startAt: '2027-01-31T09:00:00Z', maxPeriods: 12, payFor: 'm1-{period}',
      });
      assert.equal(c.status, 201, JSON.stringify(c.json));
      const url = `/api/v1/subscriptions/${c.json.id}`;
      const s = scheduler('gw-a');
      assert.equal(await s.runOnce(), 0, 'nothing due before the start');
      const dates = ['01-31', '02-28', '03-31', '04-30', '05-31', '06-30', '07-31', '08-31', '09-30', '10-31', '11-30', '12-31'].map((d) => `2027-${d}T09:00:00.000Z`);
      for (const [i, date] of dates.entries()) {
        const period = i + 1;
        const before = await api(t, 'GET', url);
        assert.deepEqual([before.json.period, before.json.nextChargeAt, before.json.status], [period, date, 'active']);
        t.clock.set(Date.parse(date) - 1000);
        assert.equal(await s.runOnce(), 0, `period ${period} is not charged early`);
        t.clock.set(Date.parse(date));
        // Period 3: the card has too little money (the sandbox declines amounts ending in .51).
        if (period === 3) assert.equal((await api(t, 'PATCH', url, { amount: '100.51' })).status, 200);
        assert.equal(await s.runOnce(), 1, `period ${period} charged`);
        if (period === 3) {
          const failed = await api(t, 'GET', url);
          assert.deepEqual([failed.json.status, failed.json.period, failed.json.retry], ['active', 3, { failedAttempts: 1, nextAttemptAt: '2027-04-01T09:00:00.000Z' }]);
          // The customer tops the card up; the shop sets the price back. The retry is due a day after the period's date.
          assert.equal((await api(t, 'PATCH', url, { amount: '100.00' })).status, 200);
          t.clock.set(Date.parse('2027-04-01T09:00:00Z') - 1000);
          assert.equal(await s.runOnce(), 0, 'the retry waits for its day');
          t.clock.set(Date.parse('2027-04-01T09:00:00Z'));
          assert.equal(await s.runOnce(), 1, 'the retry is made');
        }
        assert.equal(await s.runOnce(), 0, `period ${period} is charged once`);
      }
      const done = await api(t, 'GET', url);
      assert.deepEqual([done.json.status, done.json.period, done.json.nextChargeAt], ['completed', 13, null]);
      const payments = await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 });
      const ours = payments.filter((p) => /^m1-\d+$/.test(p.payFor));
      for (let period = 1; period <= 12; period++) {
        const of = ours.filter((p) => p.payFor === `m1-${period}`);
        assert.equal(of.filter((p) => p.status === 'paid').length, 1, `period ${period}: one paid charge`);
        assert.equal(of.length, period === 3 ? 2 : 1, `period ${period}: ${of.map((p) => p.status).join(',')}`);
      }
      assert.equal(ours.find((p) => p.payFor === 'm1-3' && p.status === 'failed')?.failureReason, 'insufficient_funds');
      assert.equal(ours.find((p) => p.payFor === 'm1-5')?.createdAt, Date.parse(dates[4]!), 'charged at its date');
      await deliver();
      const pays = paysAtShop(/^m1-\d+$/);
      assert.equal(pays.length, 12, 'a PAY for each paid period, none for the decline');
      assert.equal(new Set(pays.map((r) => (JSON.parse(r.body) as { pay_for: string }).pay_for)).size, 12);
      t.clock.set(Date.parse('2028-06-01T00:00:00Z'));
      assert.equal(await s.runOnce(), 0, 'a completed subscription charges nothing more');
    });

    test('every retry failing makes it past_due, and the webhook merchant is told each step', async () => {
      const method = await saveCard(t, 'hooks', 'h-1', HOOKS_KEY);
      t.clock.set(Date.parse('2028-01-10T00:00:00Z'));
      const startAt = '2028-01-10T12:00:00.000Z';
      const c = await api(t, 'POST', '/api/v1/subscriptions', {
        customer: 'h-1', method, amount: '10.05', ticker: 'RUR', interval: 'week', every: 2, startAt, payFor: 'h1-{period}',
      }, HOOKS_KEY);
      assert.equal(c.status, 201, JSON.stringify(c.json));
      const s = scheduler('gw-h');
      // The merchant's retrySchedule is [1, 2]: the period's date, a day after, two days after.
      for (const at of [0, DAY, 2 * DAY]) {
        t.clock.set(Date.parse(startAt) + at);
        assert.equal(await s.runOnce(), 1);
      }
      const pastDue = await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`, undefined, HOOKS_KEY);
      assert.deepEqual([pastDue.json.status, pastDue.json.nextChargeAt, pastDue.json.period], ['past_due', null, 1]);
      t.clock.set(Date.parse(startAt) + 30 * DAY);
      assert.equal(await s.runOnce(), 0, 'a past_due subscription is not charged');
      assert.equal((await t.storage.listPayments({ merchantLogin: 'hooks', payFor: 'h1-1', limit: 10 })).length, 3, 'three attempts, three declined payments');
      assert.equal((await api(t, 'DELETE', `/api/v1/subscriptions/${c.json.id}`, undefined, HOOKS_KEY)).json.status, 'cancelled');
      await deliver();
      const events = shop.requests.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> }).filter((b) => b.type.startsWith('subscription.') && b.data.id === c.json.id);
      assert.deepEqual(events.map((e) => [e.type, e.data.attempt ?? null]), [
        ['subscription.created', null], ['subscription.failed', 0], ['subscription.failed', 1], ['subscription.failed', 2], ['subscription.past_due', null], ['subscription.cancelled', null],
      ]);
      assert.equal(events[1]!.data.reason, 'declined');
      const signed = shop.requests.filter((r) => r.body.includes('"subscription.failed"'));
      assert.ok(signed.every((r) => typeof r.headers['webhook-signature'] === 'string' && /^msg_sub_/.test(String(r.headers['webhook-id']))), 'Standard Webhooks headers');
    });

    test('a past_due subscription given a new date is charged afresh, under a new key, not answered with its old decline', async () => {
      const method = await saveCard(t, 'shop', 'pd-1');
      t.clock.set(Date.parse('2030-01-01T00:00:00Z'));
      const startAt = Date.parse('2030-01-01T08:00:00Z');
      const c = await api(t, 'POST', '/api/v1/subscriptions', { customer: 'pd-1', method, amount: '40.05', ticker: 'RUR', interval: 'month', startAt: new Date(startAt).toISOString(), payFor: 'pd1-{period}' });
      const url = `/api/v1/subscriptions/${c.json.id}`;
      const s = scheduler('gw-pd');
      for (const days of [0, 1, 3, 5]) { // the default schedule: the date, then 1, 3 and 5 days after it
        t.clock.set(startAt + days * DAY);
        assert.equal(await s.runOnce(), 1, `attempt on day ${days}`);
      }
      assert.equal((await api(t, 'GET', url)).json.status, 'past_due');
      const next = startAt + 10 * DAY;
      const p = await api(t, 'PATCH', url, { amount: '40.00', nextChargeAt: new Date(next).toISOString() });
      assert.deepEqual([p.json.status, p.json.period, p.json.retry, p.json.nextChargeAt], ['active', 1, null, new Date(next).toISOString()]);
      t.clock.set(next);
      assert.equal(await s.runOnce(), 1);
      const after = await api(t, 'GET', url);
      assert.deepEqual([after.json.status, after.json.period, after.json.nextChargeAt], ['active', 2, '2030-02-11T08:00:00.000Z']);
      const payments = await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'pd1-1', limit: 10 });
      assert.deepEqual(payments.map((x) => x.status).sort(), ['failed', 'failed', 'failed', 'failed', 'paid']);
    });

    test('the webhook merchant is told each charge and the end: subscription.charged, subscription.completed', async () => {
      const method = await saveCard(t, 'hooks', 'h-2', HOOKS_KEY);
      t.clock.set(Date.parse('2028-05-01T00:00:00Z'));
      const c = await api(t, 'POST', '/api/v1/subscriptions', {
        customer: 'h-2', method, amount: '15.00', ticker: 'RUR', interval: 'year', startAt: '2028-05-01T10:00:00Z', maxPeriods: 2, payFor: 'h2-{period}',
      }, HOOKS_KEY);
      const s = scheduler('gw-h2');
      for (const at of ['2028-05-01T10:00:00Z', '2029-05-01T10:00:00Z']) {
        t.clock.set(Date.parse(at));
        assert.equal(await s.runOnce(), 1);
      }
      await deliver();
      const events = shop.requests.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> }).filter((b) => b.type.startsWith('subscription.') && b.data.id === c.json.id);
      assert.deepEqual(events.map((e) => [e.type, e.data.period ?? null, e.data.status]), [
        ['subscription.created', null, 'active'], ['subscription.charged', 1, 'active'], ['subscription.charged', 2, 'completed'], ['subscription.completed', null, 'completed'],
      ]);
      const paid = await t.storage.listPayments({ merchantLogin: 'hooks', payFor: 'h2-2', limit: 5 });
      assert.equal(events[2]!.data.paymentId, paid[0]!.id);
      assert.equal(shop.requests.filter((r) => r.body.includes('"payment.paid"') && r.body.includes(paid[0]!.id)).length, 1, 'the charge\'s own payment.paid too');
    });

    test('a scheduler dying between the provider\'s answer and its record: a minute on the provider is asked, the period recorded, charged once', async () => {
      const method = await saveCard(t, 'shop', 'cut-1');
      const startAt = t.clock.now() + 400 * DAY; // after every other test's periods
      const c = await api(t, 'POST', '/api/v1/subscriptions', {
        customer: 'cut-1', method, amount: '40.00', ticker: 'RUR', interval: 'day', startAt: new Date(startAt).toISOString(), maxPeriods: 2, payFor: 'cut1-{period}',
      });
      assert.equal(c.status, 201, JSON.stringify(c.json));
      t.clock.set(startAt);
      const real = t.storage.getPayment.bind(t.storage);
      t.storage.getPayment = async (id: string) => {
        const p = await real(id);
        if (p?.payFor === 'cut1-1' && p.status === 'awaiting_payment') throw new Error('the process died here');
        return p;
      };
      const s = scheduler('cut', 5000);
      try {
        await s.runOnce();
      } finally {
        t.storage.getPayment = real;
      }
      const [cut] = await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'cut1-1', limit: 5 });
      assert.deepEqual([cut?.status, cut?.action], ['awaiting_payment', null], 'marked waiting, the answer not applied');
      t.clock.advance(6000);
      await s.runOnce(); // the lease ran out: claimed again
      assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`)).json.period, 1, 'within the minute it may still be under way');
      t.clock.advance(61_000);
      await s.runOnce(); // due again within a minute, not an hour
      const v = await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`);
      assert.deepEqual([v.json.period, v.json.lastPaymentId], [2, cut!.id]);
      assert.deepEqual((await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'cut1-1', limit: 5 })).map((p) => p.status), ['paid']);
    });

    test('a period whose charge waits for the buyer\'s 3-D Secure is recorded as soon as the buyer pays, not at the next hourly look', async () => {
      const method = await saveCard(t, 'shop', 'tds-1');
      const startAt = t.clock.now() + 800 * DAY; // after every other test's periods
      const c = await api(t, 'POST', '/api/v1/subscriptions', {
        // 10.33: the sandbox's card asks for 3-D Secure.
        customer: 'tds-1', method, amount: '10.33', ticker: 'RUR', interval: 'day', startAt: new Date(startAt).toISOString(), maxPeriods: 2, payFor: 'tds1-{period}',
      });
      assert.equal(c.status, 201, JSON.stringify(c.json));
      t.clock.set(startAt);
      const s = scheduler('tds');
      await s.runOnce();
      const [waiting] = await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'tds1-1', limit: 5 });
      assert.equal(waiting?.status, 'awaiting_payment');
      assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`)).json.lastPaymentId, waiting!.id);
      t.clock.advance(60_000);
      await s.runOnce();
      assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`)).json.period, 1, 'nothing due before the buyer acts');
      // The buyer passes 3-D Secure on the card page the charge's link opens.
      const r = await t.request(`/sandbox/card/${waiting!.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' });
      assert.equal(r.status, 303);
      assert.equal((await t.storage.getPayment(waiting!.id))!.status, 'paid');
      await s.runOnce();
      const v = await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`);
      assert.deepEqual([v.json.period, v.json.lastPaymentId], [2, waiting!.id], 'recorded at once, well within the hour');
    });

    test('two schedulers on their own connections racing charge each period once; a lease lost mid-charge charges nothing more', async () => {
      second = await openDatabase(t.databaseUrl);
      const storageB = createStorage(second.db, second.dialect);
      const gatewayB = createGateway({ config: t.config, storage: storageB, now: t.clock.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), log: () => {} });
      const a = scheduler('race-a');
      const b = createSubscriptionScheduler({ storage: storageB, subscriptions: gatewayB.service.subscriptions, now: t.clock.now, owner: 'race-b', batchSize: 3 });
      t.clock.set(Date.parse('2029-03-01T00:00:00Z'));
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const method = await saveCard(t, 'shop', `r-${i}`);
        const c = await api(t, 'POST', '/api/v1/subscriptions', {
          customer: `r-${i}`, method, amount: '20.00', ticker: 'RUR', interval: 'day', startAt: '2029-03-01T06:00:00Z', maxPeriods: 3, payFor: `r${i}-{period}`,
        });
        ids.push(c.json.id as string);
      }
      for (let day = 0; day < 3; day++) {
        t.clock.set(Date.parse('2029-03-01T06:00:00Z') + day * DAY);
        let claimed = 0;
        for (;;) {
          const [x, y] = await Promise.all([a.runOnce(), b.runOnce()]);
          if (x + y === 0) break;
          claimed += x + y;
        }
        assert.equal(claimed, 6, `day ${day}: each subscription claimed once between the two`);
      }
      for (const id of ids) assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${id}`)).json.status, 'completed');
      const payments = (await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 })).filter((p) => /^r\d-\d$/.test(p.payFor));
      assert.equal(payments.length, 18, 'six subscriptions, three periods, one payment each');
      assert.equal(new Set(payments.map((p) => p.payFor)).size, 18);
      assert.ok(payments.every((p) => p.status === 'paid'));

      // A scheduler whose lease runs out while it charges (stalled, or killed after the charge):
      // another claims the period and charges it under the same key: one payment, recorded once.
      const method = await saveCard(t, 'shop', 'l-1');
      const c = await api(t, 'POST', '/api/v1/subscriptions', {
        customer: 'l-1', method, amount: '30.00', ticker: 'RUR', interval: 'day', startAt: '2029-03-10T06:00:00Z', maxPeriods: 2, payFor: 'l1-{period}',
      });
      t.clock.set(Date.parse('2029-03-10T06:00:00Z'));
      const [stale] = await t.storage.claimDueSubscriptions(t.clock.now(), 1, 'stalled', 1000);
      assert.equal(stale?.id, c.json.id);
      assert.equal(await a.runOnce(), 0, 'held by the lease');
      t.clock.advance(2000);
      await t.gateway.service.subscriptions.chargeDue(stale!, 'stalled'); // charged; its record refused (the lease ran out)
      assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`)).json.period, 1, 'not recorded by the stalled one');
      assert.equal(await b.runOnce(), 1, 'the lease ran out: another takes the period');
      const after = await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`);
      assert.deepEqual([after.json.period, after.json.status], [2, 'active']);
      assert.equal((await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'l1-1', limit: 10 })).length, 1, 'charged once');

      await deliver();
      const pays = paysAtShop(/^(r\d-\d|l1-1)$/);
      assert.equal(pays.length, 19, 'one PAY per paid period');
      assert.equal(new Set(pays.map((r) => (JSON.parse(r.body) as { pay_for: string }).pay_for)).size, 19);
    });
  });
}

