/**
 * The leased worker the claim loops share (reconciler, receipt checker, subscriptions' scheduler):
 * its timing driven through an injected sleep and clock (every wait it asks for is recorded and
 * released by the test), one case on real timers, and its validation at setup.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkLeaseLimits, createLeasedWorker, inLanes, MIN_WAIT_MS, type LeasedWorkerOptions } from '../src/server/dispatcher/leased-worker.ts';

/** Waits until `ok()` holds (checked every few ms), failing after `ms`: no race on a fixed sleep. */
async function until(ok: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * A worker over a scripted queue of claim answers (`null`: the claim throws), with a recorded
 * sleep that only the test (or a stop) ends, a fixed clock and a recorded log.
 */
function harness(o: { batches: (number[] | null)[]; nextDueAt?: () => number | null; work?: (item: number) => Promise<void> } & Partial<Omit<LeasedWorkerOptions<number>, 'work' | 'nextDueAt' | 'claim'>>) {
  const { batches, nextDueAt, work, ...options } = o;
  const events: string[] = [];
  const logs: string[] = [];
  const wakes: (() => void)[] = [];
  const worker = createLeasedWorker<number>({
    name: 'test loop', owner: 'w-1', batchSize: 3, leaseMs: 2000, callTimeoutMs: 1000, pollMs: 5000, now: () => 1_000_000,
    claim: async (now, n, owner, leaseMs) => {
      events.push(`claim ${n}`);
      assert.deepEqual([now, owner, leaseMs], [1_000_000, 'w-1', 2000]);
      const b = batches.length > 0 ? batches.shift()! : [];
      if (b === null) throw new Error('database down');
      return b;
    },
    work: async (item) => {
      events.push(`work ${item}`);
      await work?.(item);
    },
    label: (item) => `item ${item}`,
    nextDueAt: async () => {
      events.push('nextDueAt');
      return nextDueAt ? nextDueAt() : null;
    },
    sleep: (ms) => new Promise<void>((resolve) => {
      events.push(`sleep ${ms}`);
      wakes.push(resolve);
    }),
    log: (m) => logs.push(m),
    ...options,
  });
  const sleeps = () => events.filter((e) => e.startsWith('sleep')).length;
  /** Ends the wait under way, so the loop goes round once more. */
  const release = () => wakes.shift()!();
  return { worker, events, logs, sleeps, release };
}

describe('leased worker: the loop', () => {
  test('a full batch is followed by another claim at once; a partial one by a wait', async () => {
    const h = harness({ batches: [[1, 2, 3], [4, 5, 6], [7]] });
    h.worker.start();
    await until(() => h.sleeps() === 1, 'the first wait');
    await h.worker.stop();
    assert.deepEqual(h.events, [
      'claim 3', 'work 1', 'work 2', 'work 3',
      'claim 3', 'work 4', 'work 5', 'work 6',
      'claim 3', 'work 7', 'nextDueAt', 'sleep 5000',
    ]);
  });

  test('after a partial batch it waits until the next due time, at most pollMs and at least MIN_WAIT_MS', async () => {
    const dues = [1_000_300, 1_060_000, null, 999_000];
    const h = harness({ batches: [[1], [], [], []], nextDueAt: () => dues.shift() ?? null });
    h.worker.start();
    for (let i = 1; i <= 4; i++) {
      await until(() => h.sleeps() === i, `wait ${i}`);
      if (i < 4) h.release();
    }
    await h.worker.stop();
    assert.deepEqual(h.events.filter((e) => e.startsWith('sleep')), [
      'sleep 300', // due in 300 ms
      'sleep 5000', // due in a minute: looked at again after pollMs
      'sleep 5000', // nothing due
      `sleep ${MIN_WAIT_MS}`, // overdue (another process's clock): a short pause, not a busy loop
    ]);
  });

  test('an item that throws is logged under its label and the rest of the batch is worked', async () => {
    const h = harness({
      batches: [[1, 2, 3]],
      work: async (item) => {
        if (item === 2) throw new Error('provider said no');
      },
    });
    assert.equal(await h.worker.runOnce(), 3);
    assert.deepEqual(h.events, ['claim 3', 'work 1', 'work 2', 'work 3']);
    assert.deepEqual(h.logs, ['item 2: provider said no']);
  });

  test('a claim that throws is logged, waits pollMs, and the loop goes on', async () => {
    const h = harness({ batches: [null, [1]] });
    h.worker.start();
    await until(() => h.sleeps() === 1, 'the pause after the failed claim');
    assert.deepEqual(h.logs, ['test loop w-1: database down']);
    assert.deepEqual(h.events, ['claim 3', 'sleep 5000']);
    h.release();
    await until(() => h.sleeps() === 2, 'the wait after the next claim');
    await h.worker.stop();
    assert.deepEqual(h.events, ['claim 3', 'sleep 5000', 'claim 3', 'work 1', 'nextDueAt', 'sleep 5000']);
  });

  for (const [kind, batch] of [['full', [1, 2, 3]], ['partial', [1, 2]]] as const) {
    test(`stop() waits for the work in flight (a ${kind} batch) and looks at nothing more`, async () => {
      let finish!: () => void;
      const gate = new Promise<void>((r) => { finish = r; });
      let finished = false;
      const h = harness({
        batches: [[...batch], [4, 5, 6]],
        work: async (item) => {
          if (item === 2) {
            await gate;
            finished = true;
          }
        },
      });
      h.worker.start();
      await until(() => h.events.includes('work 2'), 'item 2 under way');
      let stopped = false;
      const stopping = h.worker.stop().then(() => { stopped = true; });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(stopped, false, 'stop() has not returned while item 2 is worked');
      finish();
      await stopping;
      assert.equal(finished, true);
      // The batch in flight is finished; neither a follow-up claim nor a look at the due times is made.
      assert.deepEqual(h.events, ['claim 3', ...batch.map((i) => `work ${i}`)]);
    });
  }

  test('a batch is worked in at most `concurrency` lanes', async () => {
    let inFlight = 0;
    let most = 0;
    const h = harness({
      batches: [[1, 2, 3, 4, 5]], batchSize: 5, concurrency: 2,
      work: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
    });
    assert.equal(await h.worker.runOnce(), 5);
    assert.equal(most, 2);
    assert.equal(h.events.filter((e) => e.startsWith('work')).length, 5);
  });

  test('on real timers, a row due shortly is claimed when due, not after pollMs', async () => {
    const claims: number[] = [];
    const startedAt = Date.now();
    const w = createLeasedWorker<number>({
      name: 'timer loop', owner: 'w-2', batchSize: 10, leaseMs: 2000, callTimeoutMs: 1000, pollMs: 60_000, now: Date.now,
      claim: async () => {
        claims.push(Date.now());
        return [];
      },
      work: async () => {},
      label: String,
      nextDueAt: async () => startedAt + 80,
    });
    w.start();
    try {
      await until(() => claims.length >= 2, 'the claim at the due time', 10_000);
    } finally {
      await w.stop();
    }
    const gap = claims[1]! - startedAt;
    assert.ok(gap >= 70, `not before the due time (${gap} ms)`);
    assert.ok(gap < 10_000, `long before pollMs (${gap} ms)`);
  });
});

describe('leased worker: limits checked at setup', () => {
  const base = { owner: 'w-1', batchSize: 1, leaseMs: 2000, callTimeoutMs: 1000 };
  test('an owner of 1–64 characters', () => {
    assert.throws(() => checkLeaseLimits({ ...base, owner: '' }), { name: 'RangeError', message: /owner/ });
    assert.throws(() => checkLeaseLimits({ ...base, owner: 'x'.repeat(65) }), { name: 'RangeError', message: /owner/ });
    assert.doesNotThrow(() => checkLeaseLimits({ ...base, owner: 'x'.repeat(64) }));
  });
  test('at least one row a batch and one lane', () => {
    assert.throws(() => checkLeaseLimits({ ...base, batchSize: 0 }), { name: 'RangeError', message: /batchSize/ });
    assert.throws(() => checkLeaseLimits({ ...base, batchSize: Number.NaN }), { name: 'RangeError', message: /batchSize/ });
    assert.throws(() => checkLeaseLimits({ ...base, concurrency: 0 }), { name: 'RangeError', message: /concurrency/ });
  });
  test('a lease longer than one call, with the caller\'s reason', () => {
    assert.throws(() => checkLeaseLimits({ ...base, leaseMs: 1000 }), { name: 'RangeError', message: /leaseMs/ });
    assert.throws(() => checkLeaseLimits({ ...base, leaseMs: 500, leaseTooShort: 'a slow charge would be tried twice' }), { name: 'RangeError', message: 'a slow charge would be tried twice' });
    assert.doesNotThrow(() => checkLeaseLimits({ ...base, leaseMs: 1001 }));
  });
  test('createLeasedWorker checks them', () => {
    const o = { name: 'n', owner: 'w', batchSize: 1, leaseMs: 1000, callTimeoutMs: 1000, pollMs: 10, now: Date.now, claim: async () => [], work: async () => {}, label: String, nextDueAt: async () => null };
    assert.throws(() => createLeasedWorker(o), RangeError);
    assert.throws(() => createLeasedWorker({ ...o, leaseMs: 2000, owner: '' }), RangeError);
    assert.throws(() => createLeasedWorker({ ...o, leaseMs: 2000, concurrency: 0 }), RangeError);
    assert.equal(createLeasedWorker({ ...o, leaseMs: 2000 }).owner, 'w');
  });
});

test('inLanes works every item once, and nothing for no items', async () => {
  const seen: number[] = [];
  await inLanes([1, 2, 3, 4, 5, 6, 7], 3, async (i) => {
    await new Promise((r) => setTimeout(r, 8 - i));
    seen.push(i);
  });
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5, 6, 7]);
  await inLanes([], 3, async () => assert.fail('no items, no work'));
});
