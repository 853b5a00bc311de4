/**
 * The receipt checker (issue 24): asks providers what became of receipts they took (`sent`), on the
 * reconciler's machinery. The due time lives in the database (`receipts.check_at`, set when a
 * receipt is given to a provider with a status call: YooKassa, CloudPayments); a claim takes a lease
 * (`check_owner`, `check_until`; PostgreSQL `FOR UPDATE SKIP LOCKED`), so several gateways and
 * `npm run worker` processes share the work and never ask about one receipt twice in one slot; a
 * checker that dies leaves its claims due again when the lease ends. The schedule and the give-up
 * time are `payments/receipt-status.ts`'s; what the provider says is applied there (once).
 *
 * @example
 * const c = createReceiptChecker({ storage, service, now: Date.now, owner: 'gw-1' });
 * c.start(); … await c.stop();
 */
import { createLoop } from './loop.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Storage } from '../storage/storage.ts';
import type { ReceiptRecord } from '../types.ts';

export interface ReceiptCheckerOptions {
  storage: Storage;
  service: Pick<PaymentService, 'checkReceipt'>;
  now: () => number;
  /** Who holds the leases; unique per process (≤ 64 characters). */
  owner: string;
  /** Receipts claimed at once. */
  batchSize?: number;
  /** How long a claim holds a receipt; must outlast a provider call. */
  leaseMs?: number;
  /** The deadline of one call to a provider (the gateway's), for the lease check. */
  callTimeoutMs?: number;
  /** The longest wait between looks at the due times. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export interface ReceiptChecker {
  readonly owner: string;
  /** Claims one batch of due receipts, asks their providers and applies the answers; returns how many. */
  runOnce(): Promise<number>;
  start(): void;
  /** Stops the loop and waits for questions in flight. */
  stop(): Promise<void>;
}

/** @example const c = createReceiptChecker({ storage, service, now: clock.now, owner: 'test' }); await c.runOnce(); */
export function createReceiptChecker(o: ReceiptCheckerOptions): ReceiptChecker {
  const batchSize = o.batchSize ?? 20;
  const callTimeoutMs = o.callTimeoutMs ?? 10_000;
  // Receipts are asked one after another: each must end within the lease (a YooKassa list, one call).
  const leaseMs = o.leaseMs ?? batchSize * (callTimeoutMs + 1000) + 30_000;
  const pollMs = o.pollMs ?? 5000;
  const log = o.log ?? (() => {});
  if (!o.owner || o.owner.length > 64) throw new RangeError('owner: 1–64 characters');
  if (!(batchSize >= 1)) throw new RangeError('batchSize: at least 1');
  if (leaseMs <= callTimeoutMs) throw new RangeError('leaseMs must be longer than a provider call, or a slow question would be asked twice');

  async function checkOne(r: ReceiptRecord): Promise<void> {
    let next: number | null;
    try {
      next = await o.service.checkReceipt(r, o.now());
    } catch (e) {
      // Not applied (storage down): asked again at the lease's end.
      log(`receipt ${r.id}: not checked: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (!(await o.storage.finishReceiptCheck(r.id, o.owner, next))) log(`receipt ${r.id}: lease lost before the next check was recorded`);
  }

  async function runOnce(): Promise<number> {
    const claimed = await o.storage.claimReceiptChecks(o.now(), batchSize, o.owner, leaseMs);
    for (const r of claimed) await checkOne(r);
    return claimed.length;
  }

  const background = createLoop(loop, o.sleep);

  async function loop(): Promise<void> {
    while (background.running) {
      try {
        const n = await runOnce();
        if (n === batchSize) continue;
        if (!background.running) break;
        const next = await o.storage.nextReceiptCheckAt();
        await background.pause(next === null ? pollMs : Math.min(pollMs, Math.max(5, next - o.now())));
      } catch (e) {
        log(`receipt checker ${o.owner}: ${e instanceof Error ? e.message : String(e)}`);
        await background.pause(pollMs);
      }
    }
  }

  return { owner: o.owner, runOnce, start: background.start, stop: background.stop };
}
