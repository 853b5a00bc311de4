/**
 * Reconciliation (issue 11, contract point 3): asks each provider about its payments still waiting
 * whose notification is late, so a lost notification never loses a payment and a crash during create
 * or during a notification heals by itself. It runs on the dispatcher's machinery: the due time lives
 * in the database (`payments.reconcile_at`), a claim takes a lease (`reconcile_owner`,
 * `reconcile_until`; PostgreSQL `FOR UPDATE SKIP LOCKED`), so several gateways and `npm run worker`
 * processes share the work and two of them never ask about one payment in one slot. A reconciler that
 * dies leaves its claims due again when their lease ends.
 *
 * What the provider says goes through the same door as a notification: `service.reconcileReport`,
 * which applies it with `notifyContext(...).apply`'s amount and currency checks (and heals payments
 * whose creating request was cut off).
 *
 * Schedule (`reconcileSchedule`, seconds after the payment's creation; default 1 min, 5 min, 30 min,
 * 2 h, 8 h): after its last slot it repeats every last gap (6 h by default) until the payment's
 * deadline (`expiresAt`). A slot that has passed (the reconcilers were down) is skipped, not caught up.
 * A payment the gateway expired is asked about on the same schedule until its provider's own deadline
 * (`lateUntil`, each connector's README), or until the provider says it is closed: money taken late is
 * applied (paid late).
 *
 * @example
 * const r = createReconciler({ storage, service, now: Date.now, owner: 'gw-1' });
 * r.start(); … await r.stop();
 */
import { createLeasedWorker, type LeasedLoopOptions, type LeasedWorker } from './leased-worker.ts';
import { nextReconcileAt } from '../payments/reconcile-schedule.ts';
import type { GatewayConfig } from '../config.ts';
import type { ProviderStatus } from '../providers/contract.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Storage } from '../storage/storage.ts';
import type { Payment } from '../types.ts';
import { HOLD_POLICY_LEAD_MS } from '../payments/holds.ts';

/** How soon a hold's payment is asked about again when something is still open (a partial capture settling, a policy unanswered). */
const HOLD_RECHECK_MS = 5 * 60_000;

export interface ReconcilerOptions extends LeasedLoopOptions {
  storage: Storage;
  service: Pick<PaymentService, 'reconcileReport' | 'connectors' | 'reconcileScheduleS'> & { holds?: Pick<PaymentService['holds'], 'expiryDue' | 'expireHold'> };
  now: () => number;
  /** Provider questions in flight at once. */
  concurrency?: number;
}

/** Claims one batch of due payments, asks their providers and applies the answers (`runOnce` returns how many); `stop` waits for questions in flight. */
export interface Reconciler extends LeasedWorker {
  /** How many provider questions this reconciler has asked (tests, metrics). */
  readonly asked: number;
}

// The schedule's arithmetic is the payment wing's (its expiry keeps asking about late money with it).
export { nextReconcileAt };

/** @example const r = createReconciler({ storage, service, now: clock.now, owner: 'test' }); await r.runOnce(); */
export function createReconciler(o: ReconcilerOptions): Reconciler {
  const batchSize = o.batchSize ?? 20;
  const concurrency = o.concurrency ?? 4;
  const callTimeoutMs = o.callTimeoutMs ?? 10_000;
  // A fetchStatus may make a few calls (T-Bank: CheckOrder, then GetState); each wave must end in the lease.
  const leaseMs = o.leaseMs ?? Math.ceil(batchSize / concurrency) * (3 * callTimeoutMs + 1000) + 30_000;
  const pollMs = o.pollMs ?? 1000;
  const log = o.log ?? (() => {});
  let asked = 0;

  async function reconcileOne(p: Payment): Promise<void> {
    const connector = p.providerId ? o.service.connectors.connector(p.providerId) : undefined;
    if (!connector) {
      // A provider removed from the configuration: nothing to ask; a person settles it.
      log(`reconcile ${p.id}: no provider ${p.providerId ?? '(none)'} configured; not asked again`);
      await o.storage.finishReconcile(p.id, o.owner, null);
      return;
    }
    let status: ProviderStatus | { state: 'unreachable'; reason: string };
    try {
      asked++;
      status = await connector.fetchStatus(p, p.providerPaymentId);
    } catch (e) {
      status = { state: 'unreachable', reason: e instanceof Error ? e.message : String(e) };
    }
    if (status.state === 'unreachable') log(`reconcile ${p.id}: ${connector.id} unreachable: ${status.reason}`);
    else {
      try {
        await o.service.reconcileReport(p, status);
      } catch (e) {
        log(`reconcile ${p.id}: not applied: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // A hold (issue 25): once the provider's word is applied, the expiry policy acts a day before the
    // deadline. This reconciler holds the payment's lease, so no other instance acts on it meanwhile.
    const held = p.status === 'authorized' || p.status === 'partially_captured' ? await o.storage.getPayment(p.id) : undefined;
    if (held && held.status === 'authorized' && o.service.holds?.expiryDue(held, o.now())) {
      try {
        log(`reconcile ${p.id}: hold expiry policy: ${await o.service.holds.expireHold(held)}`);
      } catch (e) {
        log(`reconcile ${p.id}: hold expiry not applied: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (held) {
      const after = await o.storage.getPayment(p.id);
      const next = after?.status === 'authorized'
        ? Math.max(o.now() + HOLD_RECHECK_MS, (after.holdExpiresAt ?? 0) - HOLD_POLICY_LEAD_MS)
        : after?.status === 'partially_captured' ? o.now() + HOLD_RECHECK_MS : null;
      // A hold still due (its policy refused or unanswered) is asked again shortly, not left.
      const dueAgain = after?.status === 'authorized' && o.service.holds?.expiryDue(after, o.now()) ? o.now() + HOLD_RECHECK_MS : next;
      if (!(await o.storage.finishReconcile(p.id, o.owner, dueAgain))) log(`reconcile ${p.id}: lease lost before the next slot was recorded`);
      return;
    }
    // An expired payment is asked about until its provider's own deadline (`lateUntil`), or until
    // the provider says it is closed for good: late money is applied, never dropped.
    const closedAtProvider = p.status === 'expired' && status.state !== 'unreachable' && status.state !== 'pending';
    const next = closedAtProvider ? null : nextReconcileAt({
      createdAt: p.createdAt, now: o.now(), scheduleS: o.service.reconcileScheduleS, expiresAt: p.status === 'expired' ? p.lateUntil ?? 0 : p.expiresAt,
    });
    if (!(await o.storage.finishReconcile(p.id, o.owner, next))) log(`reconcile ${p.id}: lease lost before the next slot was recorded`);
  }

  const worker = createLeasedWorker({
    name: 'reconciler', owner: o.owner, batchSize, concurrency, leaseMs, callTimeoutMs, pollMs, now: o.now, sleep: o.sleep, log,
    leaseTooShort: 'leaseMs must be longer than a provider call, or a slow question would be asked twice',
    claim: (now, n, owner, lease) => o.storage.claimReconcile(now, n, owner, lease),
    work: reconcileOne,
    label: (p) => `reconcile ${p.id}`,
    nextDueAt: () => o.storage.nextReconcileAt(),
  });

  return {
    ...worker,
    get asked() {
      return asked;
    },
  };
}

/**
 * The reconciler as the gateway process and `npm run worker` run it: the configured limits, the
 * service's schedule, the real clock.
 * @example const r = reconcilerFromConfig(config, storage, gateway.service, { owner: processOwner('gw') }); r.start();
 */
export function reconcilerFromConfig(
  config: GatewayConfig,
  storage: Storage,
  service: ReconcilerOptions['service'],
  opts: { owner: string; log?: (m: string) => void; now?: () => number; callTimeoutMs?: number },
): Reconciler {
  const c = config.reconcile ?? {};
  return createReconciler({
    storage,
    service,
    now: opts.now ?? Date.now,
    owner: opts.owner,
    ...(opts.callTimeoutMs !== undefined ? { callTimeoutMs: opts.callTimeoutMs } : {}),
    ...(c.batchSize !== undefined ? { batchSize: c.batchSize } : {}),
    ...(c.concurrency !== undefined ? { concurrency: c.concurrency } : {}),
    ...(c.leaseMs !== undefined ? { leaseMs: c.leaseMs } : {}),
    ...(c.pollMs !== undefined ? { pollMs: c.pollMs } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}
