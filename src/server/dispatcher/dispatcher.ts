/**
 * The PAY dispatcher (DESIGN.md §3, §5): claims due notifications from the outbox with a lease,
 * sends them with bounded concurrency, judges the merchant's answer, records every attempt and
 * schedules the next one. The due time lives in the database only — no timer per notification —
 * so a restart loses nothing and a million waiting retries cost no memory.
 *
 * Several dispatchers (in the gateway process and in `npm run worker` processes) may share one
 * database: a claim moves the notification's due time to the end of the lease (PostgreSQL: `FOR
 * UPDATE SKIP LOCKED`; SQLite: one writer), and an attempt is recorded only while its dispatcher
 * still holds the lease. A dispatcher that dies mid-send leaves the notification due again when the
 * lease ends, so another one takes over: at-least-once delivery, duplicates only from attempts that
 * were in flight at the moment of a crash.
 *
 * @example
 * const dispatcher = createDispatcher({ storage, now: Date.now, merchantHttp, owner: 'gw-1', random: Math.random });
 * dispatcher.start();
 * // …
 * await dispatcher.stop();
 */
import { createLoop } from './loop.ts';
import { checkLeaseLimits, inLanes, type LeasedWorker } from './leased-worker.ts';
import { DEFAULT_RETRY_SCHEDULE_S } from '../config.ts';
import type { MerchantHttp } from '../merchants/merchant-http.ts';
import type { NotificationStatus } from '../states.ts';
import type { AttemptOutcome, Storage } from '../storage/storage.ts';
import type { Merchant, NotificationRecord } from '../types.ts';
import { webhookHeaders } from '../../protocol/webhooks.ts';
import { excerptOf, judgeAnswer, verdictText, type Judgement } from './judge.ts';
import { nextAttemptAt } from './schedule.ts';
import { urlForLog, type Logger } from '../logger.ts';

/** Every attempt waits at most this long for the whole answer. */
export const PAY_TIMEOUT_MS = 15_000;
/** At most this many attempts are written in one transaction. */
const MAX_GROUP_COMMIT = 200;

export interface DispatcherOptions {
  storage: Storage;
  /** The clock, in ms since the epoch. */
  now: () => number;
  merchantHttp: MerchantHttp;
  /** Seconds from the first due time of each attempt; `[0, 5, 300, …, 259200]` by default. */
  scheduleS?: readonly number[];
  /** Deadline of one attempt (connect, headers and the whole body). */
  timeoutMs?: number;
  /** Who holds the leases; unique per dispatcher (≤ 64 characters). */
  owner: string;
  /** Notifications claimed at once. */
  batchSize?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** How long a claim holds a notification; must outlast the attempt, so it is checked at setup. */
  leaseMs?: number;
  /** `[0, 1)`, for jitter. */
  random: () => number;
  /** Waits between polls; tests inject it. */
  sleep?: (ms: number) => Promise<void>;
  /** The longest wait between looks at the outbox (new notifications show up at most this late). */
  pollMs?: number;
  /** Operational messages (never secrets). */
  log?: (message: string) => void;
  /** Structured log lines, one per PAY attempt; none when absent. */
  logger?: Logger;
}

/**
 * Claims due notifications, sends them and records the attempts (`runOnce`: one batch, returns how
 * many); `stop` waits for attempts in flight to be recorded. Its background loop is a pool refilled
 * as slots free up, not the leased worker's batch after batch.
 */
export interface Dispatcher extends LeasedWorker {
  /** Looks at the outbox now instead of at the next poll (e.g. right after a payment is paid). */
  wake(): void;
}

/**
 * @example
 * const d = createDispatcher({ storage, now: clock.now, merchantHttp, owner: 'test', random: () => 0.5 });
 * await d.runOnce();
 */
export function createDispatcher(o: DispatcherOptions): Dispatcher {
  const scheduleS = o.scheduleS ?? DEFAULT_RETRY_SCHEDULE_S;
  const timeoutMs = o.timeoutMs ?? PAY_TIMEOUT_MS;
  const batchSize = o.batchSize ?? 100;
  const concurrency = o.concurrency ?? 16;
  const pollMs = o.pollMs ?? 500;
  const log = o.log ?? (() => {});
  // runOnce sends a batch in ceil(batch / concurrency) waves; each must end within the lease.
  const leaseMs = o.leaseMs ?? Math.ceil(batchSize / concurrency) * (timeoutMs + 1000) + 30_000;

  if (scheduleS.length === 0 || scheduleS.some((s, i) => !Number.isInteger(s) || s < 0 || (i > 0 && s < scheduleS[i - 1]!))) {
    throw new RangeError('scheduleS: non-decreasing whole seconds, at least one');
  }
  if (!(timeoutMs >= 1)) throw new RangeError('timeoutMs: at least 1');
  checkLeaseLimits({ owner: o.owner, batchSize, concurrency, leaseMs, callTimeoutMs: timeoutMs, leaseTooShort: 'leaseMs must be longer than timeoutMs, or a slow attempt would be sent twice' });

  /** Merchants of one claim, looked up once each. */
  function merchantLookup(): (login: string) => Promise<Merchant | undefined> {
    const cache = new Map<string, Promise<Merchant | undefined>>();
    return (login) => {
      let m = cache.get(login);
      if (!m) {
        m = o.storage.getMerchant(login);
        cache.set(login, m);
      }
      return m;
    };
  }

  // Group commit: outcomes that finish while a write is under way go together in the next
  // transaction. One attempt alone is written at once; under load, many share one commit.
  let queue: { id: number; outcome: AttemptOutcome; done: (ok: boolean) => void; fail: (e: unknown) => void }[] = [];
  let writing = false;
  function record(id: number, outcome: AttemptOutcome): Promise<boolean> {
    return new Promise<boolean>((done, fail) => {
      queue.push({ id, outcome, done, fail });
      // After the I/O callbacks of this turn of the event loop, so answers that arrived together share one write.
      if (!writing) {
        writing = true;
        setImmediate(() => void flush());
      }
    });
  }
  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_GROUP_COMMIT);
      queue = queue.slice(batch.length);
      try {
        const applied = await o.storage.recordAttempts(o.owner, batch);
        batch.forEach((b, i) => b.done(applied[i] === true));
      } catch (e) {
        batch.forEach((b) => b.fail(e));
      }
    }
    writing = false;
  }

  async function deliver(n: NotificationRecord, merchantOf: (login: string) => Promise<Merchant | undefined>): Promise<void> {
    const merchant = await merchantOf(n.merchantLogin);
    const startedAt = o.now();
    let judgement: Judgement;
    let httpStatus: number | null = null;
    let excerpt = '';
    let durationMs = 0;
    if (!merchant) {
      judgement = { kind: 'failed', reason: 'the merchant is not known' };
    } else {
      const headers = n.style === 'webhooks' ? webhookHeaders(n.headers, merchant.secret, startedAt, n.body) : n.headers;
      const r = await o.merchantHttp({ url: n.url, method: n.method, contentType: n.contentType, body: n.body, headers, timeoutMs });
      durationMs = r.durationMs;
      if (r.ok) {
        httpStatus = r.status;
        excerpt = excerptOf(r.body, merchant.secret);
      } else {
        excerpt = excerptOf(r.error, merchant.secret);
      }
      judgement = judgeAnswer(n, merchant, r, startedAt + durationMs);
    }
    const finishedAt = startedAt + durationMs;
    let status: NotificationStatus;
    let next: number | null = null;
    if (judgement.kind === 'delivered') status = 'delivered';
    else if (judgement.kind === 'refused') status = 'gave_up';
    else {
      next = nextAttemptAt({ firstDueAt: n.firstDueAt, attemptsDone: n.attempts + 1, scheduleS, finishedAt, random: o.random, retryAfterMs: judgement.retryAfterMs });
      status = next === null ? 'gave_up' : 'retrying';
    }
    const recorded = await record(n.id, {
      startedAt,
      durationMs,
      httpStatus,
      excerpt,
      verdict: verdictText(judgement),
      status,
      nextAttemptAt: next,
      deliveredAt: status === 'delivered' ? finishedAt : null,
    });
    o.logger?.info({
      notificationId: n.id, paymentId: n.paymentId, merchantLogin: n.merchantLogin, attempt: n.attempts + 1, url: urlForLog(n.url),
      httpStatus, durationMs, verdict: verdictText(judgement), status, recorded, dispatcher: o.owner,
    }, 'pay attempt');
    if (!recorded) log(`dispatcher ${o.owner}: lease on notification ${n.id} was lost before its attempt was recorded`);
  }

  const safeDeliver = (n: NotificationRecord, merchantOf: (login: string) => Promise<Merchant | undefined>): Promise<void> =>
    deliver(n, merchantOf).catch((e: unknown) => {
      // The lease runs out and the notification becomes due again: nothing is lost.
      log(`dispatcher ${o.owner}: notification ${n.id} not recorded: ${e instanceof Error ? e.message : String(e)}`);
    });

  async function runOnce(): Promise<number> {
    const claimed = await o.storage.claimDue(o.now(), batchSize, o.owner, leaseMs);
    const merchantOf = merchantLookup();
    await inLanes(claimed, concurrency, (n) => safeDeliver(n, merchantOf));
    return claimed.length;
  }

  // ----- the loop: a pool of `concurrency` attempts, refilled from the outbox as slots free up -----
  const inFlight = new Map<number, Promise<void>>();
  const background = createLoop(loop, o.sleep);
  const { wake, pause } = background;

  async function loop(): Promise<void> {
    while (background.running) {
      try {
        const free = concurrency - inFlight.size;
        // Refill when at least half the pool is free (or it is empty): fewer, larger claims.
        if (free > 0 && (inFlight.size === 0 || free * 2 >= concurrency)) {
          const claimed = await o.storage.claimDue(o.now(), Math.min(free, batchSize), o.owner, leaseMs);
          const merchantOf = merchantLookup();
          for (const n of claimed) {
            if (inFlight.has(n.id)) continue;
            const p = safeDeliver(n, merchantOf).finally(() => {
              inFlight.delete(n.id);
              wake();
            });
            inFlight.set(n.id, p);
          }
          if (claimed.length > 0 && claimed.length === Math.min(free, batchSize)) continue;
        }
        if (!background.running) break;
        if (concurrency - inFlight.size <= 0 || inFlight.size > 0) {
          // Busy: wait for a slot, but look at the outbox at least every poll.
          await pause(pollMs);
          continue;
        }
        const next = await o.storage.nextDueAt();
        const wait = next === null ? pollMs : Math.min(pollMs, Math.max(5, next - o.now()));
        await pause(wait);
      } catch (e) {
        log(`dispatcher ${o.owner}: ${e instanceof Error ? e.message : String(e)}`);
        await pause(pollMs);
      }
    }
    await Promise.all(inFlight.values());
  }

  return {
    owner: o.owner,
    runOnce,
    wake,
    start: background.start,
    stop: background.stop,
  };
}
