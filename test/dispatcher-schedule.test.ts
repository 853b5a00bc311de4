/**
 * The retry schedule: with an injected clock, walk the whole 72 hours in milliseconds against a
 * merchant that always fails, and check every attempt's time against the schedule (within jitter),
 * that nothing is sent early, and that the 10th failure gives up.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { ConfigError, DEFAULT_RETRY_SCHEDULE_S, parseConfig } from '../src/server/config.ts';
import { createDispatcher, type Dispatcher } from '../src/server/dispatcher/dispatcher.ts';
import { MAX_JITTER_MS, nextAttemptAt } from '../src/server/dispatcher/schedule.ts';
import { dispatcherFromConfig } from '../src/server/dispatcher/from-config.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import type { Storage } from '../src/server/storage/storage.ts';
import type { Merchant } from '../src/server/types.ts';
import { addMerchant, paidPayment } from './dispatcher-fixtures.ts';
import { openTestStorage, startMerchantStub, testClock, TEST_SECRET, type MerchantStub, type TestStorage } from './helpers.ts';

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const spreadMs = (s: readonly number[], k: number): number => (k === 0 ? 0 : Math.min((s[k]! - s[k - 1]!) * 1000 * 0.1, MAX_JITTER_MS));

/**
 * Drives one notification through its whole life: at each due time, first one ms early (nothing may
 * be claimed), then on time (exactly it is claimed). Returns the attempts' start times.
 */
async function walk(storage: Storage, d: Dispatcher, clock: ReturnType<typeof testClock>, paymentId: string) {
  const starts: number[] = [];
  for (let guard = 0; guard < 50; guard++) {
    const next = await storage.nextDueAt();
    if (next === null) break;
    clock.set(next - 1);
    assert.equal(await d.runOnce(), 0, `nothing is sent before its due time (attempt ${starts.length + 1})`);
    clock.set(next);
    assert.equal(await d.runOnce(), 1);
    starts.push(next);
    const [n] = await storage.notificationsOf(paymentId);
    assert.equal(n!.attempts, starts.length);
  }
  return starts;
}

describe('PAY retry schedule over 72 hours (injected clock)', () => {
  let ts: TestStorage;
  let stub: MerchantStub;
  let m: Merchant;
  before(async () => {
    stub = await startMerchantStub((_req, res) => { res.writeHead(500).end('down for maintenance'); });
  });
  after(() => stub.close());
  beforeEach(async () => {
    ts = await openTestStorage('sqlite');
    m = await addMerchant(ts.storage, stub.url, { apiType: 2 });
  });
  afterEach(() => ts.close());

  for (const [label, random] of [
    ['seeded jitter', seeded(42)], ['earliest jitter', () => 0], ['latest jitter', () => 0.999999], ['another seed', seeded(7)],
  ] as const) {
    test(`an always failing merchant gets 10 attempts on the default schedule, then gave_up (${label})`, async () => {
      const clock = testClock();
      const d = createDispatcher({ storage: ts.storage, now: clock.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'schedule', random, timeoutMs: 1000 });
      const { notification } = await paidPayment(ts.storage, m, clock.now());
      const before = stub.requests.length;
      const starts = await walk(ts.storage, d, clock, notification.paymentId);

      const s = DEFAULT_RETRY_SCHEDULE_S;
      assert.equal(starts.length, 10);
      assert.equal(stub.requests.length - before, 10);
      starts.forEach((at, k) => {
        const offset = at - notification.firstDueAt;
        const spread = spreadMs(s, k);
        assert.ok(Math.abs(offset - s[k]! * 1000) <= spread + 1, `attempt ${k + 1} at ${offset} ms, schedule ${s[k]! * 1000} ± ${spread}`);
        if (k > 0) assert.ok(at >= starts[k - 1]!, 'never before the previous attempt');
      });
      assert.equal(starts[0], notification.firstDueAt, 'the first attempt is due at once');
      assert.ok(starts[9]! - notification.firstDueAt <= 72 * 3600_000 + MAX_JITTER_MS, 'the last try is at about 72 h');
      assert.ok(starts[9]! - notification.firstDueAt >= 72 * 3600_000 - MAX_JITTER_MS);

      const [n] = await ts.storage.notificationsOf(notification.paymentId);
      assert.equal(n!.status, 'gave_up');
      assert.equal(n!.nextAttemptAt, null);
      const attempts = await ts.storage.attemptsOf(notification.id);
      assert.deepEqual(attempts.map((a) => a.startedAt), starts);
      assert.ok(attempts.every((a) => a.httpStatus === 500 && a.verdict === 'failed: HTTP 500' && a.excerpt === 'down for maintenance'));

      // Given up is final: a week later nothing is sent.
      clock.advance(7 * 86400_000);
      assert.equal(await d.runOnce(), 0);
      assert.equal(stub.requests.length - before, 10);
    });
  }

  test('while waiting for a retry the notification is `retrying`, due at its slot', async () => {
    const clock = testClock();
    const d = createDispatcher({ storage: ts.storage, now: clock.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'schedule', random: () => 0.5, timeoutMs: 1000 });
    const { notification } = await paidPayment(ts.storage, m, clock.now());
    assert.equal(notification.status, 'pending');
    await d.runOnce();
    let [n] = await ts.storage.notificationsOf(notification.paymentId);
    assert.equal(n!.status, 'retrying');
    assert.equal(n!.nextAttemptAt, notification.firstDueAt + 5000);
    clock.set(n!.nextAttemptAt!);
    await d.runOnce();
    [n] = await ts.storage.notificationsOf(notification.paymentId);
    assert.equal(n!.status, 'retrying');
    assert.equal(n!.nextAttemptAt, notification.firstDueAt + 300_000);
  });

  test('`retrySchedule` from the configuration overrides the default', async () => {
    const clock = testClock();
    const config = parseConfig({ secret: TEST_SECRET, retrySchedule: [0, 60, 600, 3600] });
    const d = dispatcherFromConfig(config, ts.storage, { owner: 'configured', now: clock.now, random: seeded(3), merchantHttp: createMerchantHttp({ allowPrivate: true }) });
    const { notification } = await paidPayment(ts.storage, m, clock.now());
    const starts = await walk(ts.storage, d, clock, notification.paymentId);
    assert.equal(starts.length, 4);
    starts.forEach((at, k) => {
      const offset = at - notification.firstDueAt;
      assert.ok(Math.abs(offset - config.retrySchedule![k]! * 1000) <= spreadMs(config.retrySchedule!, k) + 1, `attempt ${k + 1} at ${offset} ms`);
    });
    const [n] = await ts.storage.notificationsOf(notification.paymentId);
    assert.equal(n!.status, 'gave_up');
  });

  test('a schedule that goes back in time is a configuration error', () => {
    assert.throws(() => parseConfig({ secret: TEST_SECRET, retrySchedule: [0, 60, 30] }), (e: unknown) => e instanceof ConfigError && e.key === 'retrySchedule');
    assert.throws(() => createDispatcher({ storage: ts.storage, now: Date.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'x', random: Math.random, scheduleS: [] }), RangeError);
    assert.throws(() => createDispatcher({ storage: ts.storage, now: Date.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'x', random: Math.random, timeoutMs: 5000, leaseMs: 5000 }), RangeError);
  });

  test('an attempt already overdue (the dispatcher was down) is spaced from now by its gap, not sent at once', () => {
    // Attempt 3 (slot 300 s, gap 295 s) found overdue at 1 h: about 295 s after now (jitter takes up to 10 % off).
    const at = nextAttemptAt({ firstDueAt: 0, attemptsDone: 2, scheduleS: DEFAULT_RETRY_SCHEDULE_S, finishedAt: 3600_000, random: () => 0 });
    assert.equal(at, 3600_000 + 295_000);
    assert.equal(nextAttemptAt({ firstDueAt: 0, attemptsDone: 2, scheduleS: DEFAULT_RETRY_SCHEDULE_S, finishedAt: 3600_000, random: () => 0.999999 }), 3600_000 + 265_500);
    // Late in the window the attempts left are spread evenly over what remains: 8 left, 6 min to go.
    const late = nextAttemptAt({ firstDueAt: 0, attemptsDone: 2, scheduleS: DEFAULT_RETRY_SCHEDULE_S, finishedAt: 258_840_000, random: () => 0 }); // 71.9 h
    assert.equal(late, 258_840_000 + 360_000 / 8);
    // Past the last slot there is nothing left to try.
    assert.equal(nextAttemptAt({ firstDueAt: 0, attemptsDone: 4, scheduleS: DEFAULT_RETRY_SCHEDULE_S, finishedAt: 73 * 3600_000, random: () => 0 }), null);
    assert.equal(nextAttemptAt({ firstDueAt: 0, attemptsDone: 10, scheduleS: DEFAULT_RETRY_SCHEDULE_S, finishedAt: 0, random: () => 0 }), null);
  });

  test('property: across any dispatcher outage the attempts keep their spacing, all fit in the window, and without one the schedule is unchanged', () => {
    const s = DEFAULT_RETRY_SCHEDULE_S;
    const lastMs = s.at(-1)! * 1000;
    const hour = 3600_000;
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 80 * hour }), fc.integer({ min: 0, max: 80 * hour }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 30_000 }),
      (startA, lengthB, seed, durationMs) => {
        const outage = { from: startA, to: startA + lengthB };
        const random = seeded(seed);
        const starts: number[] = [];
        // The first attempt is due at 0; one due inside the outage runs when it ends.
        let due: number | null = 0;
        while (due !== null && starts.length < 20) {
          const at: number = due >= outage.from && due < outage.to ? outage.to : due;
          starts.push(at);
          due = nextAttemptAt({ firstDueAt: 0, attemptsDone: starts.length, scheduleS: s, finishedAt: at + durationMs, random });
          if (due !== null) assert.ok(due >= at + durationMs, 'never before the attempt that just finished');
        }
        assert.ok(starts.length <= s.length);
        // Every attempt started before the last slot leads to all of them being made.
        if (outage.to < lastMs - 10 * durationMs && starts.every((t) => t < lastMs)) assert.equal(starts.length, s.length, `attempts ${starts.map((t) => Math.round(t / 1000)).join(', ')} s`);
        for (let k = 1; k < starts.length; k++) {
          const prevEnd = starts[k - 1]! + durationMs;
          const slotted = Math.abs(starts[k]! - s[k]! * 1000) <= spreadMs(s, k) + 1;
          const gap = (s[k]! - s[k - 1]!) * 1000;
          const even = (lastMs - prevEnd) / (s.length - k);
          const respaced = starts[k]! - prevEnd >= 0.9 * Math.min(gap, even) - 1 && starts[k]! - prevEnd <= Math.min(gap, even) + 1;
          const afterOutage = starts[k] === outage.to;
          assert.ok(slotted || respaced || afterOutage, `attempt ${k + 1} at ${starts[k]} ms: neither on its slot, nor spaced again, nor at the outage's end`);
          if (!afterOutage && starts[k - 1]! < lastMs) assert.ok(starts[k]! <= lastMs + MAX_JITTER_MS, 'none after the window');
        }
        // With no outage and instant attempts the schedule is exactly the old one.
        if (lengthB === 0 && durationMs === 0) starts.forEach((t, k) => assert.ok(Math.abs(t - s[k]! * 1000) <= spreadMs(s, k) + 1));
      },
    ), { numRuns: 500 });
  });
});
