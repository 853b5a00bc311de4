/**
 * What providers report about payments, applied: signed notifications, the status asked on the
 * buyer's return, reconciliation's answers, and the expiry sweep. Amount and currency are checked
 * before anything moves; money a provider took is never dropped.
 */
import { LATE_CHECK_DEFAULT_MS, type ApplyOutcome, type CancelResult, type HttpAnswer, type IncomingNotification, type NotifyContext, type ProviderStatus } from '../providers/contract.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { payNotification } from './notify.ts';
import { refundNotification } from '../refunds/refund-event.ts';
import { canTransition, LATE_MONEY_STATUSES, PAID_STATUSES, type PaymentStatus } from '../states.ts';
import type { FailureReason } from '../../protocol/checkout-api.ts';
import { nextReconcileAt } from './reconcile-schedule.ts';
import { GatewayError } from '../errors.ts';
import type { Payment } from '../types.ts';
import { PAYMENT_ID, STALE_GRACE_MS, type PaymentCore, type TransitionExtra } from './core.ts';
import { interruptedOutcome, providerUnavailableOutcome, remember } from './outcome.ts';
import { createOrders } from './orders.ts';
import { createReceiptStatus } from './receipt-status.ts';
import type { SavedMethods } from './saved-methods.ts';
import { createHolds } from './holds.ts';
import { subscriptionOfCharge } from '../subscriptions/charge-key.ts';

/** Where provider states lead; null: nothing to do (still pending, or not handled here yet). */
const TARGET: Record<ProviderStatus['state'], PaymentStatus | null> = {
  pending: null,
  // Holds are applied by holds.ts before this table is read.
  authorized: null,
  voided: null,
  paid: 'paid',
  failed: 'failed',
  expired: 'expired',
  refunded: 'refunded',
  partially_refunded: 'partially_refunded',
  not_found: null,
};

/** Providers asked at once by the expiry sweep. */
const EXPIRY_CONCURRENCY = 4;

/** The reporting side of the payment wing. */
export function createPaymentReports(core: PaymentCore, reconcileScheduleS: readonly number[], saved?: SavedMethods) {
  const { deps, transitionOrThrow, merchantOf, paymentOf, emit } = core;
  const { storage, config, connectors } = deps;
  // Duplicates of a paid order (orders.ts): found before a payment is paid, settled after.
  const orders = createOrders(core);
  // Holds (issue 25): a report about a held payment, or of money held, is the holds' to apply.
  const holds = createHolds(core);
  // Receipts' registration status (issue 24): from payment reports, receipt notifications, the checker.
  const receipts = createReceiptStatus({ storage, connectors, now: deps.now, merchantOf, ...(deps.log ? { log: deps.log } : {}) });

  /**
   * A verified provider report: the payment moved (`applyPaymentReport`), then the registration
   * status of its receipt when the report carries one (YooKassa's `receipt_registration`). A report
   * that was not the payment's (unknown, or its amount wrong) says nothing of its receipt.
   */
  async function applyReport(p: Payment, s: ProviderStatus): Promise<ApplyOutcome> {
    const outcome = await applyPaymentReport(p, s);
    if (s.receipt && outcome !== 'amount_mismatch' && outcome !== 'unknown_payment') await receipts.fromPaymentReport(p, s.receipt);
    if (outcome === 'applied') await wakeSubscription(p);
    return outcome;
  }

  /**
   * A subscription's charge that waited for its buyer (3-D Secure) or its provider has ended: the
   * subscription is made due now, so the period is recorded (and the shop told) at once.
   */
  async function wakeSubscription(p: Payment): Promise<void> {
    const id = subscriptionOfCharge(p.idempotencyKey);
    if (id) await storage.wakeSubscription(id, p.id, deps.now()).catch((e: unknown) => deps.log?.(`subscription ${id}: not woken: ${(e as Error).message}`));
  }

  /** Moves a payment as a verified provider report says; the amount and currency checked first. */
  async function applyPaymentReport(p: Payment, s: ProviderStatus): Promise<ApplyOutcome> {
    const held = await holds.applyHoldReport(p, s);
    if (held !== undefined) return held;
    const target = TARGET[s.state];
    if (target === null) return 'unchanged';
    // Paying needs the amount; any other report is checked against what it names.
    const wrongAmount = target === 'paid' ? s.amountMinor !== p.amountMinor : s.amountMinor !== undefined && s.amountMinor !== p.amountMinor;
    if (wrongAmount || (s.currency !== undefined && s.currency !== p.wayTicker)) {
      await storage.flagAmountMismatch(p.id);
      return 'amount_mismatch';
    }
    if (target === 'refunded' || target === 'partially_refunded') return applyRefundReport(p, target, s);
    // Money already applied (a repeated Pay after a refund, say): nothing more to do, and it is said so.
    if (target === 'paid' && PAID_STATUSES.includes(p.status)) {
      // A repeated paid report may be the first to name the saved method (kept once, with consent).
      await saved?.keepFromReport(p, s);
      return 'unchanged';
    }
    // A decline or a deadline reported for a payment that already ended without money: nothing to
    // do but keep the most precise reason (the notification may name what a status read did not).
    if (target !== 'paid' && LATE_MONEY_STATUSES.includes(p.status)) {
      if (s.failure && p.status === 'failed' && !p.manual && (p.failureReason === null || p.failureReason === 'declined') && s.failure !== p.failureReason) {
        await storage.refineFailureReason(p.id, s.failure);
      }
      return 'unchanged';
    }
    if (!canTransition(p.status, target, 'provider')) return 'invalid_state';
    const providerPaymentId = p.providerPaymentId === null && s.providerPaymentId ? { providerPaymentId: s.providerPaymentId } : {};
    let ok: boolean;
    if (target === 'paid') {
      const now = deps.now();
      const merchant = await merchantOf(p.merchantLogin);
      // Money for an order already paid: still paid, and PAY still sent (the shop decides), but marked.
      const first = await orders.duplicateOfFor(p);
      // Money after the payment had ended (expired, failed, rejected): paid late, the timeline keeps why.
      const late = paidLateChange(p, s);
      const reasons = [
        ...(late.reason ? [late.reason] : []),
        ...(first ? [`duplicate: order ${p.payFor.slice(0, 100)} was paid by ${first.id}`] : []),
      ];
      ok = await transitionOrThrow(p, 'paid', {
        paidAt: now,
        ...providerPaymentId,
        ...late,
        ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
        ...(first ? orders.duplicateChange(p, first, merchant) : {}),
        ...(merchant.notifications && merchant.apiUrl ? { notification: { ...payNotification(p, merchant, now, first), dueAt: now } } : {}),
      }, 'provider');
      if (ok && LATE_MONEY_STATUSES.includes(p.status)) {
        deps.log?.(`payment ${p.id}: paid late: ${p.providerId ?? 'provider'} reported ${s.providerState.slice(0, 100)} for a payment ${p.status}; applied, PAY sent`);
      }
      if (ok) await saved?.keepFromReport(p, s);
      if (ok && first) {
        const paid = await storage.getPayment(p.id);
        if (paid) await orders.settleDuplicate(paid, first, merchant);
      } else if (ok) {
        await orders.markConcurrentDuplicates(p, merchant);
      }
    } else {
      const reason = target === 'failed' ? 'declined by the payment system' : 'expired at the payment system';
      const failureReason: FailureReason = s.failure ?? (target === 'failed' ? 'declined' : 'expired');
      ok = await transitionOrThrow(p, target, { reason: `${reason} (${s.providerState.slice(0, 100)})`, failureReason, ...providerPaymentId }, 'provider');
    }
    if (ok) return 'applied';
    // Another request moved it first (the same report twice at once): the same state is a repeat.
    const after = await storage.getPayment(p.id);
    return after?.status === target || (target === 'paid' && after !== undefined && PAID_STATUSES.includes(after.status)) ? 'unchanged' : 'invalid_state';
  }

  /**
   * A provider's report of a refund: the refunded total raised to what it says (`refundedMinor`, a
   * total; a `refunded` report with none means all of it), never lowered; the state follows the
   * total. A `payment.refunded` event goes to webhooks merchants when the total rises.
   */
  async function applyRefundReport(p: Payment, target: 'refunded' | 'partially_refunded', s: ProviderStatus): Promise<ApplyOutcome> {
    if (p.status !== 'paid' && p.status !== 'partially_refunded' && p.status !== 'refunded') return 'invalid_state';
    const merchant = await merchantOf(p.merchantLogin);
    const totalMinor = s.refundedMinor ?? (target === 'refunded' ? p.amountMinor : 0n);
    const r = await storage.raiseRefunded(p.id, {
      totalMinor,
      at: deps.now(),
      reason: `refund reported by the payment system (${s.providerState.slice(0, 100)})`,
      event: (after) => refundNotification(after, merchant, deps.now(), null),
    });
    if (r === 'applied') {
      const after = await storage.getPayment(p.id);
      if (after) emit({ id: p.id, status: after.status });
    }
    return r;
  }

  /**
   * The change that makes an ended payment (`expired`, `failed`, `rejected`) paid by a provider's
   * report of money taken: `paidLate`, and a timeline line that keeps the earlier state and the
   * report. Empty for a payment that was still waiting. (Issue 22; the duplicate check of the same
   * order is a separate step.)
   */
  function paidLateChange(p: Payment, s: ProviderStatus): Pick<TransitionExtra, 'paidLate' | 'reason' | 'audit'> {
    if (!LATE_MONEY_STATUSES.includes(p.status)) return {};
    const reason = `paid late: ${s.providerState.slice(0, 100)} reported after the payment was ${p.status} (${p.statusReason.slice(0, 200)})`;
    return { paidLate: true, reason, audit: { actor: `provider:${p.providerId ?? 'unknown'}`, action: 'paid_late', reason } };
  }

  /**
   * Expires one payment whose deadline passed. A payment at a real provider is asked about first
   * (the reconciliation read): what the provider already knows (paid, declined, expired) is applied
   * instead. Still open there, it is cancelled where the provider allows it, then expired; it keeps
   * being asked about until the provider's own deadline (`lastPaymentAt`), so money taken after the
   * gateway's deadline is still applied (paid late).
   */
  async function expireOne(p: Payment): Promise<boolean> {
    const connector = p.providerId && p.providerId !== SANDBOX_PROVIDER_ID ? connectors.connector(p.providerId) : undefined;
    if (!connector) return transitionOrThrow(p, 'expired', { reason: 'the payment deadline passed', failureReason: 'expired' });
    let s: ProviderStatus | { state: 'unreachable'; reason: string };
    try {
      s = await connector.fetchStatus(p, p.providerPaymentId);
    } catch (e) {
      s = { state: 'unreachable', reason: (e as Error).message };
    }
    if (s.state !== 'unreachable' && s.state !== 'pending' && s.state !== 'not_found') {
      const r = await applyReport(p, s);
      if (r === 'applied') return true;
      if (r === 'unchanged') return false;
    }
    let cancelled = '';
    // `not_found`: nobody has started paying (CloudPayments knows no transaction of an unpaid order).
    if ((s.state === 'pending' || s.state === 'not_found') && connector.cancel && p.providerPaymentId) {
      const c = await connector.cancel(p, p.providerPaymentId).catch((e: unknown): CancelResult => ({ kind: 'unknown', reason: (e as Error).message }));
      cancelled = c.kind === 'cancelled' ? '; cancelled at the payment system' : `; not cancelled at the payment system (${c.reason.slice(0, 100)})`;
    }
    const now = deps.now();
    const lateUntil = connector.lastPaymentAt?.(p) ?? (p.expiresAt ?? now) + LATE_CHECK_DEFAULT_MS;
    const asked = s.state === 'unreachable' ? `the payment system did not answer: ${s.reason.slice(0, 100)}` : `the payment system said ${s.providerState.slice(0, 60)}`;
    return transitionOrThrow(p, 'expired', {
      reason: `the payment deadline passed (${asked}${cancelled})`,
      failureReason: 'expired',
      ...(lateUntil > now ? { lateCheck: { reconcileAt: lateCheckAt(p, now, lateUntil), lateUntil } } : {}),
    });
  }

  /** The next time to ask about an expired payment: the reconciliation schedule's next slot, within `lateUntil`. */
  function lateCheckAt(p: Payment, now: number, lateUntil: number): number {
    const slot = nextReconcileAt({ createdAt: p.createdAt, now, scheduleS: reconcileScheduleS, expiresAt: lateUntil });
    return slot ?? lateUntil;
  }

  /** Rejects a payment whose creating request was cut off: its idempotency key then answers check_failed. */
  const rejectInterrupted = (p: Payment): Promise<boolean> =>
    transitionOrThrow(p, 'rejected', { reason: 'check_failed: interrupted before the payment could start', failureReason: 'check_failed', ...remember(p, interruptedOutcome(p.id)) });

  /**
   * What reconciliation learnt from the provider about a payment it holds (`p`, as claimed). A
   * payment whose creating request was cut off (still `created` / `checking` past the CHECK timeout)
   * is healed: known to the provider, it becomes `awaiting_payment` with its provider id (the buyer's
   * create answered `provider_unavailable`), then the report is applied; unknown to it, it is rejected
   * as interrupted, as the expiry sweep does with the sandbox's. `not_yet`: too young to judge.
   */
  async function reconcileReport(p: Payment, s: ProviderStatus): Promise<ApplyOutcome | 'not_yet'> {
    if (p.status === 'created' || p.status === 'checking') {
      if (p.createdAt > deps.now() - config.checkTimeoutMs - STALE_GRACE_MS) return 'not_yet';
      if (s.state === 'not_found') return (await rejectInterrupted(p)) ? 'applied' : 'invalid_state';
      const entry = connectors.way(p.way);
      const moved = await transitionOrThrow(p, 'awaiting_payment', {
        reason: 'provider_unavailable: interrupted during create; found at the payment system by reconciliation',
        expiresAt: deps.now() + (entry?.way.ttlSeconds ?? 86400) * 1000,
        ...(s.providerPaymentId ? { providerPaymentId: s.providerPaymentId } : {}),
        ...remember(p, providerUnavailableOutcome(p.id)),
      });
      if (!moved) return 'invalid_state';
      const now = await storage.getPayment(p.id);
      return now ? applyReport(now, s) : 'unknown_payment';
    }
    if (p.status === 'awaiting_payment' && p.providerPaymentId === null && s.providerPaymentId && TARGET[s.state] === null) {
      // An unknown create, found still pending: keep the provider's id for the next questions.
      await storage.transition(p.id, { from: 'awaiting_payment', to: 'awaiting_payment', at: deps.now(), providerPaymentId: s.providerPaymentId });
      return 'unchanged';
    }
    return applyReport(p, s);
  }

  /** The gateway's side of one provider account's notifications. */
  function notifyContext(providerId: string): NotifyContext {
    const own = async (id: string): Promise<Payment | undefined> => {
      const p = PAYMENT_ID.test(id) ? await storage.getPayment(id) : undefined;
      if (!p || p.providerId !== providerId) return undefined;
      if (providerId === SANDBOX_PROVIDER_ID) await core.assertSandboxMayChange(p, 'paymentId');
      return p;
    };
    return {
      payment: own,
      async apply(id, status) {
        const p = await own(id);
        return p ? applyReport(p, status) : 'unknown_payment';
      },
      async receipt(id, report) {
        const p = await own(id);
        return p ? receipts.fromReceiptReport(p, report) : 'unknown_payment';
      },
    };
  }

  return {
    notifyContext,
    reconcileReport,
    /** Asks a provider about one claimed receipt (the receipt checker); returns when to ask next. */
    checkReceipt: receipts.checkOne,
    /** Applies a verified report of a payment (merchant-initiated charges report their provider's answer through it). */
    applyReport,
    holds,

    /**
     * Hands a notification to the provider account's connector, which verifies it and reports through
     * the gateway's `NotifyContext`. Undefined when no provider has this id.
     */
    async handleNotification(providerId: string, n: IncomingNotification): Promise<HttpAnswer | undefined> {
      const connector = connectors.connector(providerId);
      return connector ? connector.handleNotification(n, notifyContext(providerId)) : undefined;
    },

    /**
     * The payment a provider sends its buyer back with (404 unless it is this provider's). The buyer
     * often arrives before the provider's notification, and some providers (YooKassa) have one
     * return URL for both outcomes: a payment still awaiting is asked about once (the provider's
     * status, applied as a notification would be), so the page tells what the provider knows.
     */
    async returningPayment(providerId: string, id: string): Promise<Payment> {
      const p = await paymentOf(id);
      if (p.providerId !== providerId) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
      const connector = connectors.connector(providerId);
      if (p.status !== 'awaiting_payment' || !p.providerPaymentId || !connector) return p;
      try {
        const s = await connector.fetchStatus(p, p.providerPaymentId);
        if (s.state === 'unreachable' || (await applyReport(p, s)) !== 'applied') return p;
      } catch (e) {
        deps.log?.(`payment ${p.id}: status at ${providerId} on return failed: ${(e as Error).message}`);
        return p;
      }
      return (await storage.getPayment(id)) ?? p;
    },

    /**
     * Expires payments whose deadline passed, and rejects payments whose creating request was cut
     * off (a crash between saving and answering): their idempotency key then answers check_failed.
     * A payment at a real provider is asked about first (`expireAtProvider`). Returns how many changed.
     */
    async expireDue(limit = 100): Promise<number> {
      const now = deps.now();
      let n = 0;
      const due = await storage.dueExpirations(now, limit);
      // Provider questions a few at a time: one slow provider must not hold the sweep for long.
      let i = 0;
      const lane = async (): Promise<void> => {
        while (i < due.length) {
          const p = due[i++]!;
          try {
            if (await expireOne(p)) n++;
          } catch (e) {
            deps.log?.(`payment ${p.id}: expiry failed: ${(e as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(EXPIRY_CONCURRENCY, due.length) }, lane));
      // Payments at a real provider are not judged here: the provider may have them (a crash during
      // create); reconciliation asks it first (`reconcileReport`).
      for (const p of await storage.staleUnfinished(now - config.checkTimeoutMs - STALE_GRACE_MS, limit, { sandboxOnly: true })) {
        if (await rejectInterrupted(p)) n++;
      }
      return n;
    },
  };
}
