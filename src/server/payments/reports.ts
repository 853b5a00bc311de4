/**
 * What providers report about payments, applied: signed notifications, the status asked on the
 * buyer's return, reconciliation's answers, and the expiry sweep. Amount and currency are checked
 * before anything moves; money a provider took is never dropped.
 */
import type { ApplyOutcome, HttpAnswer, IncomingNotification, NotifyContext, ProviderStatus } from '../providers/contract.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { payNotification } from './notify.ts';
import { refundNotification } from '../refunds/refund-event.ts';
import { canTransition, type PaymentStatus } from './states.ts';
import { GatewayError } from '../errors.ts';
import type { Payment } from '../types.ts';
import { PAYMENT_ID, STALE_GRACE_MS, type PaymentCore } from './core.ts';
import { interruptedOutcome, providerUnavailableOutcome, remember } from './outcome.ts';
import { createOrders } from './orders.ts';

/** Where provider states lead; null: nothing to do (still pending, or not handled here yet). */
const TARGET: Record<ProviderStatus['state'], PaymentStatus | null> = {
  pending: null,
  paid: 'paid',
  failed: 'failed',
  expired: 'expired',
  refunded: 'refunded',
  partially_refunded: 'partially_refunded',
  not_found: null,
};

/** The reporting side of the payment wing. */
export function createPaymentReports(core: PaymentCore) {
  const { deps, transitionOrThrow, merchantOf, paymentOf, emit } = core;
  const { storage, config, connectors } = deps;
  // Duplicates of a paid order (orders.ts): found before a payment is paid, settled after.
  const orders = createOrders(core);

  /** Moves a payment as a verified provider report says; the amount and currency checked first. */
  async function applyReport(p: Payment, s: ProviderStatus): Promise<ApplyOutcome> {
    const target = TARGET[s.state];
    if (target === null) return 'unchanged';
    // Paying needs the amount; any other report is checked against what it names.
    const wrongAmount = target === 'paid' ? s.amountMinor !== p.amountMinor : s.amountMinor !== undefined && s.amountMinor !== p.amountMinor;
    if (wrongAmount || (s.currency !== undefined && s.currency !== p.wayTicker)) {
      await storage.flagAmountMismatch(p.id);
      return 'amount_mismatch';
    }
    if (target === 'refunded' || target === 'partially_refunded') return applyRefundReport(p, target, s);
    if (p.status === target) return 'unchanged';
    if (!canTransition(p.status, target, 'provider')) return 'invalid_state';
    // `failed → paid` is for a provider's decline that was not final; a payment the merchant failed by
    // hand stays as the merchant settled it (a person reconciles the money).
    if (p.status === 'failed' && p.manual) return 'invalid_state';
    const providerPaymentId = p.providerPaymentId === null && s.providerPaymentId ? { providerPaymentId: s.providerPaymentId } : {};
    let ok: boolean;
    if (target === 'paid') {
      const now = deps.now();
      const merchant = await merchantOf(p.merchantLogin);
      // Money for an order already paid: still paid, and PAY still sent (the shop decides), but marked.
      const first = await orders.duplicateOfFor(p);
      const reasons = [
        // A decline that was not final (paid after `failed`): the timeline says so.
        ...(p.status === 'failed' ? [`paid after a decline (${s.providerState.slice(0, 100)})`] : []),
        ...(first ? [`duplicate: order ${p.payFor.slice(0, 100)} was paid by ${first.id}`] : []),
      ];
      ok = await transitionOrThrow(p, 'paid', {
        paidAt: now,
        ...providerPaymentId,
        ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
        ...(first ? orders.duplicateChange(p, first, merchant) : {}),
        ...(merchant.notifications && merchant.apiUrl ? { notification: { ...payNotification(p, merchant, now, first), dueAt: now } } : {}),
      }, 'provider');
      if (ok && first) {
        const paid = await storage.getPayment(p.id);
        if (paid) await orders.settleDuplicate(paid, first, merchant);
      } else if (ok) {
        await orders.markConcurrentDuplicates(p, merchant);
      }
    } else {
      const reason = target === 'failed' ? 'declined by the payment system' : 'expired at the payment system';
      ok = await transitionOrThrow(p, target, { reason, ...providerPaymentId }, 'provider');
    }
    if (ok) return 'applied';
    // Another request moved it first (the same report twice at once): the same state is a repeat.
    const after = await storage.getPayment(p.id);
    return after?.status === target ? 'unchanged' : 'invalid_state';
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

  /** Rejects a payment whose creating request was cut off: its idempotency key then answers check_failed. */
  const rejectInterrupted = (p: Payment): Promise<boolean> =>
    transitionOrThrow(p, 'rejected', { reason: 'check_failed: interrupted before the payment could start', ...remember(p, interruptedOutcome(p.id)) });

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
    };
  }

  return {
    notifyContext,
    reconcileReport,

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
     * Returns how many changed.
     */
    async expireDue(limit = 100): Promise<number> {
      const now = deps.now();
      let n = 0;
      for (const p of await storage.dueExpirations(now, limit)) {
        if (await transitionOrThrow(p, 'expired', { reason: 'the payment deadline passed' })) n++;
      }
      // Payments at a real provider are not judged here: the provider may have them (a crash during
      // create); reconciliation asks it first (`reconcileReport`).
      for (const p of await storage.staleUnfinished(now - config.checkTimeoutMs - STALE_GRACE_MS, limit, { sandboxOnly: true })) {
        if (await rejectInterrupted(p)) n++;
      }
      return n;
    },
  };
}
