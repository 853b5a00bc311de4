/**
 * Leases, on SQLite and PostgreSQL: two dispatchers with different owners on one database (each on
 * its own connection) never both send one notification; one that dies mid-send leaves its
 * notification due again when the lease ends, and another takes over; the dead one's late answer is
 * not recorded. And the background loop: starts, delivers, sleeps until the next due time, stops.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDispatcher } from '../src/server/dispatcher/dispatcher.ts';
import { createMerchantHttp, type MerchantResponse } from '../src/server/merchants/merchant-http.ts';
import { openDatabase, type OpenDatabase } from '../src/server/storage/db.ts';
import { createStorage, type Storage } from '../src/server/storage/storage.ts';
import { addMerchant, paidPayment, payAnswer, readPay, send } from './dispatcher-fixtures.ts';
import { openTestStorage, startMerchantStub, storageKinds, testClock, type MerchantStub, type TestStorage } from './helpers.ts';

for (const kind of storageKinds()) {
  describe(`dispatcher leases on ${kind}`, () => {
    let ts: TestStorage;
    let second: OpenDatabase;
    let storageB: Storage;
    let stub: MerchantStub;
    before(async () => {
      ts = await openTestStorage(kind);
      second = await openDatabase(ts.url);
      storageB = createStorage(second.db, second.dialect);
      stub = await startMerchantStub();
    });
    after(async () => {
      await stub.close();
      await second.close();
      await ts.close();
    });

    test('two dispatchers on one database never both send one notification', async () => {
      const clock = testClock();
      const m = await addMerchant(ts.storage, stub.url, { login: 'race' });
      const seen = new Map<string, number>();
      stub.handle(async (req, res) => {
        const { payFor } = readPay(req);
        seen.set(payFor, (seen.get(payFor) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, Math.random() * 15));
        send(res, 200, payAnswer(req));
      });
      const N = 80;
      const payFors: string[] = [];
      for (let i = 0; i < N; i++) payFors.push((await paidPayment(ts.storage, m, clock.now(), `race-${i}`)).payment.payFor);
      const http = createMerchantHttp({ allowPrivate: true });
      const common = { now: clock.now, merchantHttp: http, random: () => 0.5, batchSize: 7, concurrency: 3, timeoutMs: 2000 };
      const a = createDispatcher({ ...common, storage: ts.storage, owner: 'worker-a' });
      const b = createDispatcher({ ...common, storage: storageB, owner: 'worker-b' });
      const drain = async (d: typeof a) => {
        let total = 0;
        for (;;) {
          const n = await d.runOnce();
          if (n === 0) return total;
          total += n;
        }
      };
      const [na, nb] = await Promise.all([drain(a), drain(b)]);
      assert.equal(na + nb, N, 'every notification claimed exactly once');
      assert.ok(na > 0 && nb > 0, `both worked (${na} / ${nb})`);
      assert.deepEqual([...seen.keys()].sort(), [...payFors].sort());
      assert.ok([...seen.values()].every((c) => c === 1), 'no notification was sent twice');
      assert.equal(await ts.storage.countNotifications('delivered'), N);
      // Leftover state: no lease held, nothing due.
      assert.equal(await ts.storage.nextDueAt(), null);
    });

    test('a dispatcher that dies mid-send leaves the notification due again after the lease; another takes over', async () => {
      const clock = testClock();
      const m = await addMerchant(ts.storage, stub.url, { login: 'dies' });
      stub.handle((req, res) => send(res, 200, payAnswer(req)));
      const before = stub.requests.length;
      const { notification } = await paidPayment(ts.storage, m, clock.now(), 'dies-1');
      const LEASE = 60_000;
      // The dying dispatcher: its request never comes back (a hung process, a cut network).
      let release!: (r: MerchantResponse) => void;
      const hung = new Promise<MerchantResponse>((resolve) => { release = resolve; });
      const logs: string[] = [];
      const dying = createDispatcher({
        storage: ts.storage, now: clock.now, random: () => 0.5, owner: 'dying', leaseMs: LEASE, timeoutMs: 15_000,
        merchantHttp: () => hung, log: (msg) => logs.push(msg),
      });
      const dyingRun = dying.runOnce();
      for (let i = 0; i < 100; i++) {
        const [n] = await ts.storage.notificationsOf(notification.paymentId);
        if (n!.leaseOwner === 'dying') break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const [held] = await ts.storage.notificationsOf(notification.paymentId);
      assert.equal(held!.leaseOwner, 'dying');
      assert.equal(held!.nextAttemptAt, clock.now() + LEASE);

      const taker = createDispatcher({ storage: storageB, now: clock.now, random: () => 0.5, owner: 'taker', leaseMs: LEASE, timeoutMs: 2000, merchantHttp: createMerchantHttp({ allowPrivate: true }) });
      assert.equal(await taker.runOnce(), 0, 'leased: not claimed by another');
      clock.advance(LEASE - 1);
      assert.equal(await taker.runOnce(), 0, 'still leased 1 ms before the end');
      clock.advance(1);
      assert.equal(await taker.runOnce(), 1, 'due again when the lease ends');
      const [n] = await ts.storage.notificationsOf(notification.paymentId);
      assert.equal(n!.status, 'delivered');
      assert.equal(stub.requests.length - before, 1);

      // The dead one comes back with an answer: its lease is gone, so nothing is recorded.
      release({ ok: true, status: 500, body: 'late', durationMs: 1 });
      assert.equal(await dyingRun, 1);
      const attempts = await ts.storage.attemptsOf(notification.id);
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0]!.verdict, 'delivered');
      const [still] = await ts.storage.notificationsOf(notification.paymentId);
      assert.equal(still!.status, 'delivered');
      assert.ok(logs.some((l) => /lease on notification \d+ was lost/.test(l)));
    });

    test('a group commit records only the attempts whose lease the writer still holds', async () => {
      const clock = testClock(Date.UTC(2027, 0, 1));
      const m = await addMerchant(ts.storage, stub.url, { login: 'group' });
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await paidPayment(ts.storage, m, clock.now(), `group-${i}`)).notification.id);
      const mine = await ts.storage.claimDue(clock.now(), 2, 'g1', 60_000);
      const theirs = await storageB.claimDue(clock.now(), 5, 'g2', 60_000);
      assert.deepEqual([...mine, ...theirs].map((n) => n.id).sort((a, b) => a - b), ids);
      const outcome = (status: 'delivered' | 'retrying', next: number | null) => ({
        startedAt: clock.now(), durationMs: 7, httpStatus: 200, excerpt: 'ok', verdict: status === 'delivered' ? 'delivered' : 'failed: x',
        status, nextAttemptAt: next, deliveredAt: status === 'delivered' ? clock.now() + 7 : null,
      });
      const flags = await ts.storage.recordAttempts('g1', [
        { id: mine[0]!.id, outcome: outcome('delivered', null) },
        { id: theirs[0]!.id, outcome: outcome('delivered', null) },
        { id: mine[1]!.id, outcome: outcome('retrying', clock.now() + 5000) },
      ]);
      assert.deepEqual(flags, [true, false, true]);
      const [a] = await ts.storage.notificationsOf(mine[0]!.paymentId);
      assert.deepEqual([a!.status, a!.attempts, a!.deliveredAt, a!.nextAttemptAt, a!.leaseOwner], ['delivered', 1, clock.now() + 7, null, null]);
      const [b] = await ts.storage.notificationsOf(mine[1]!.paymentId);
      assert.deepEqual([b!.status, b!.attempts, b!.nextAttemptAt], ['retrying', 1, clock.now() + 5000]);
      const [c] = await ts.storage.notificationsOf(theirs[0]!.paymentId);
      assert.deepEqual([c!.status, c!.attempts, c!.leaseOwner], ['pending', 0, 'g2']);
      assert.equal((await ts.storage.attemptsOf(theirs[0]!.id)).length, 0);
      assert.equal((await ts.storage.attemptsOf(mine[1]!.id))[0]!.verdict, 'failed: x');
      assert.deepEqual(await ts.storage.recordAttempts('g1', []), []);
      // Leave nothing leased for the next test.
      await storageB.recordAttempt(theirs[0]!.id, 'g2', outcome('delivered', null));
      clock.advance(5000);
      const [again] = await ts.storage.claimDue(clock.now(), 5, 'g1', 60_000);
      await ts.storage.recordAttempt(again!.id, 'g1', outcome('delivered', null));
    });

    test('the loop delivers what becomes due, waits for the next due time (no busy polling), and stops cleanly', async () => {
      const m = await addMerchant(ts.storage, stub.url, { login: 'looping' });
      stub.handle((req, res) => send(res, 200, payAnswer(req)));
      let claims = 0;
      const counted: Storage = { ...ts.storage, claimDue: (...args) => { claims++; return ts.storage.claimDue(...args); } };
      const d = createDispatcher({ storage: counted, now: Date.now, random: Math.random, owner: 'loop', pollMs: 100, timeoutMs: 2000, merchantHttp: createMerchantHttp({ allowPrivate: true }) });
      d.start();
      const { notification } = await paidPayment(ts.storage, m, Date.now(), 'loop-1');
      const t0 = Date.now();
      for (;;) {
        const [n] = await ts.storage.notificationsOf(notification.paymentId);
        if (n!.status === 'delivered') break;
        assert.ok(Date.now() - t0 < 3000, 'delivered within a few polls');
        await new Promise((r) => setTimeout(r, 10));
      }
      // Idle for 600 ms with a 100 ms poll: a handful of claims, not a spin.
      const c0 = claims;
      await new Promise((r) => setTimeout(r, 600));
      assert.ok(claims - c0 <= 8, `${claims - c0} claims while idle`);
      assert.ok(claims - c0 >= 3, 'but it does keep looking');
      await d.stop();
      const c1 = claims;
      await paidPayment(ts.storage, m, Date.now(), 'loop-2');
      await new Promise((r) => setTimeout(r, 250));
      assert.equal(claims, c1, 'a stopped dispatcher claims nothing');
      // wake() makes a started dispatcher look at once instead of at the next poll.
      const slow = createDispatcher({ storage: ts.storage, now: Date.now, random: Math.random, owner: 'loop2', pollMs: 60_000, timeoutMs: 2000, merchantHttp: createMerchantHttp({ allowPrivate: true }) });
      slow.start();
      await new Promise((r) => setTimeout(r, 50));
      const { notification: n3 } = await paidPayment(ts.storage, m, Date.now(), 'loop-3');
      slow.wake();
      const t1 = Date.now();
      for (;;) {
        const [n] = await ts.storage.notificationsOf(n3.paymentId);
        if (n!.status === 'delivered') break;
        assert.ok(Date.now() - t1 < 2000, 'woken, not waiting a minute');
        await new Promise((r) => setTimeout(r, 10));
      }
      await slow.stop();
    });
  });
}
