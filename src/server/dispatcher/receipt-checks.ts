/**
 * The receipt checker (issue 24): asks providers what became of receipts they took (`sent`), on the
 * leased worker (`leased-worker.ts`), as the reconciler. The due time lives in the database (`receipts.check_at`, set when a
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
import { createLeasedWorker, type LeasedLoopOptions, type LeasedWorker } from './leased-worker.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Storage } from '../storage/storage.ts';
import type { ReceiptRecord } from '../types.ts';

export interface ReceiptCheckerOptions extends LeasedLoopOptions {
  storage: Storage;
  service: Pick<PaymentService, 'checkReceipt'>;
  now: () => number;
}

/** Claims one batch of due receipts, asks their providers and applies the answers (`runOnce` returns how many); `stop` waits for questions in flight. */
export type ReceiptChecker = LeasedWorker;

/** @example const c = createReceiptChecker({ storage, service, now: clock.now, owner: 'test' }); await c.runOnce(); */
export function createReceiptChecker(o: ReceiptCheckerOptions): ReceiptChecker {
  const batchSize = o.batchSize ?? 20;
  const callTimeoutMs = o.callTimeoutMs ?? 10_000;
  // Receipts are asked one after another: each must end within the lease (a YooKassa list, one call).
  const leaseMs = o.leaseMs ?? batchSize * (callTimeoutMs + 1000) + 30_000;
  const pollMs = o.pollMs ?? 5000;
  const log = o.log ?? (() => {});

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

  return createLeasedWorker({
    name: 'receipt checker', owner: o.owner, batchSize, leaseMs, callTimeoutMs, pollMs, now: o.now, sleep: o.sleep, log,
    leaseTooShort: 'leaseMs must be longer than a provider call, or a slow question would be asked twice',
    claim: (now, n, owner, lease) => o.storage.claimReceiptChecks(now, n, owner, lease),
    work: checkOne,
    label: (r) => `receipt ${r.id}`,
    nextDueAt: () => o.storage.nextReceiptCheckAt(),
  });
}
