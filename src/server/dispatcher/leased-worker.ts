/**
 * The shape the claim loops share (the reconciler, the receipt checker, the subscriptions'
 * scheduler): claim a batch of due rows under a lease, work each one, and keep at it in the
 * background. The rows, their due times and what working one means are the caller's; the lease
 * arithmetic and the loop's timing are here, once:
 *
 * - a full batch means more may be due: claim again at once;
 * - a partial batch: sleep until the next due time, but never longer than `pollMs` (rows made due by
 *   another process show up at most that late), nor shorter than `MIN_WAIT_MS`;
 * - an item that throws is logged and the others go on (its lease runs out and it is due again);
 * - a claim that throws (the database down) is logged and tried again `pollMs` later;
 * - `stop()` waits for the batch in flight.
 *
 * @example
 * const w = createLeasedWorker({
 *   name: 'receipt checker', owner: 'gw-1', batchSize: 20, leaseMs: 250_000, callTimeoutMs: 10_000, pollMs: 5000,
 *   claim: (now, n, owner, leaseMs) => storage.claimReceiptChecks(now, n, owner, leaseMs),
 *   work: (r) => checkOne(r), label: (r) => `receipt ${r.id}`,
 *   nextDueAt: () => storage.nextReceiptCheckAt(), now: Date.now,
 * });
 * w.start(); … await w.stop();
 */
import { createLoop } from './loop.ts';

/** The shortest wait before a row that is due now or already overdue is claimed: no busy loop on a clock skew. */
export const MIN_WAIT_MS = 5;

/** The options every leased loop offers its callers (its defaults are its own). */
export interface LeasedLoopOptions {
  /** Who holds the leases; unique per process (≤ 64 characters). */
  owner: string;
  /** Rows claimed at once. */
  batchSize?: number;
  /** How long a claim holds a row; must outlast one provider call (checked at setup). */
  leaseMs?: number;
  /** The deadline of one call to a provider (the gateway's), for the lease check. */
  callTimeoutMs?: number;
  /** The longest wait between looks at the due times. */
  pollMs?: number;
  /** The clock's sleep (tests); a timer by default. */
  sleep?: (ms: number) => Promise<void>;
  /** Operational messages (never secrets). */
  log?: (message: string) => void;
}

/** What `createLeasedWorker` needs: the limits already resolved (each loop has its own defaults) and the row's own I/O. */
export interface LeasedWorkerOptions<T> {
  /** What the loop is, in its log lines: `${name} ${owner}: …`. */
  name: string;
  /** Who holds the leases; unique per process (≤ 64 characters). */
  owner: string;
  /** Rows claimed at once; a claim that returns this many is followed by another at once. */
  batchSize: number;
  /** Rows worked at once within a batch (1: one after another). */
  concurrency?: number;
  /** How long a claim holds a row; must be longer than `callTimeoutMs`. */
  leaseMs: number;
  /** The deadline of one call the work makes, for the lease check. */
  callTimeoutMs: number;
  /** The longest wait between looks at the due times, and the pause after a failed claim. */
  pollMs: number;
  /** The message of the lease check's RangeError: what a too short lease would cause. */
  leaseTooShort?: string;
  /** Takes up to `n` due rows for `owner` until `now + leaseMs`. */
  claim(now: number, n: number, owner: string, leaseMs: number): Promise<readonly T[]>;
  /** Works one claimed row; what it throws is logged under `label(item)`. */
  work(item: T): Promise<void>;
  /** The row in a log line, e.g. `reconcile pay_1`. */
  label(item: T): string;
  /** The earliest due time of any row (claimed or not), or null when none is due ever. */
  nextDueAt(): Promise<number | null>;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

/** A claim loop: one batch on demand (`runOnce`, tests and CLIs) or in the background (`start` / `stop`). */
export interface LeasedWorker {
  readonly owner: string;
  /** Claims one batch of due rows and works them; returns how many were claimed. */
  runOnce(): Promise<number>;
  /** Starts the background loop (idempotent). */
  start(): void;
  /** Stops the loop and waits for the batch in flight. */
  stop(): Promise<void>;
}

/** An error's message for a log line. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Works `items` in at most `lanes` lanes: each lane takes the next item when its last one is done.
 * @example await inLanes(claimed, 4, (p) => ask(p));
 */
export async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const lane = async (): Promise<void> => {
    while (i < items.length) await work(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/**
 * Throws a RangeError naming the first bad limit: an owner of 1–64 characters (the lease columns'
 * width), at least one row a batch and one lane, and a lease longer than one call (else a slow call
 * outlives its claim and another process works the same row meanwhile).
 * @example checkLeaseLimits({ owner: 'gw-1', batchSize: 20, leaseMs: 60_000, callTimeoutMs: 10_000 });
 */
export function checkLeaseLimits(o: { owner: string; batchSize: number; concurrency?: number; leaseMs: number; callTimeoutMs: number; leaseTooShort?: string }): void {
  if (!o.owner || o.owner.length > 64) throw new RangeError('owner: 1–64 characters');
  if (!(o.batchSize >= 1)) throw new RangeError('batchSize: at least 1');
  if (o.concurrency !== undefined && !(o.concurrency >= 1)) throw new RangeError('concurrency: at least 1');
  if (!(o.leaseMs > o.callTimeoutMs)) {
    throw new RangeError(o.leaseTooShort ?? 'leaseMs must be longer than callTimeoutMs, or a slow call would be made twice');
  }
}

/**
 * A claim-and-work loop under a lease; throws a RangeError on bad limits (see `checkLeaseLimits`).
 * @example const w = createLeasedWorker({ name: 'scheduler', owner, batchSize: 10, leaseMs, callTimeoutMs, pollMs, claim, work, label, nextDueAt, now }); await w.runOnce();
 */
export function createLeasedWorker<T>(o: LeasedWorkerOptions<T>): LeasedWorker {
  const { owner, batchSize, leaseMs, pollMs } = o;
  const concurrency = o.concurrency ?? 1;
  const log = o.log ?? (() => {});
  checkLeaseLimits({ owner, batchSize, concurrency, leaseMs, callTimeoutMs: o.callTimeoutMs, leaseTooShort: o.leaseTooShort });

  async function workOne(item: T): Promise<void> {
    try {
      await o.work(item);
    } catch (e) {
      // Its lease runs out and it is due again; the rest of the batch goes on.
      log(`${o.label(item)}: ${messageOf(e)}`);
    }
  }

  async function runOnce(): Promise<number> {
    const claimed = await o.claim(o.now(), batchSize, owner, leaseMs);
    await inLanes(claimed, concurrency, workOne);
    return claimed.length;
  }

  const background = createLoop(loop, o.sleep);

  async function loop(): Promise<void> {
    while (background.running) {
      try {
        if ((await runOnce()) === batchSize) continue;
        if (!background.running) break;
        const next = await o.nextDueAt();
        await background.pause(next === null ? pollMs : Math.min(pollMs, Math.max(MIN_WAIT_MS, next - o.now())));
      } catch (e) {
        log(`${o.name} ${owner}: ${messageOf(e)}`);
        await background.pause(pollMs);
      }
    }
  }

  return { owner, runOnce, start: background.start, stop: background.stop };
}
