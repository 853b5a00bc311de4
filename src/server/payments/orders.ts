/**
 * One order paid once (issue 22). The merchant's `pay_for` is the order: while one of its payments
 * waits with instructions, a reload of its form resumes that payment (`pending`); the buyer may
 * leave it for another method (`abandon`: cancelled at its provider where the provider allows it,
 * `failed` as abandoned everywhere, never offered again); and money that pays an order already paid
 * is a duplicate, recorded with the first payment's id, told in PAY and, when the merchant asks for
 * it, refunded (audited).
 */
import { GatewayError } from '../errors.ts';
import { formatAmount, type Minor } from '../../protocol/money.ts';
import type { LinkParams } from '../../protocol/link.ts';
import type { PaymentView, PendingPayment } from '../../protocol/checkout-api.ts';
import type { CancelResult } from '../providers/contract.ts';
import { createRefunds, newRefundId, refundRow } from '../refunds/refunds.ts';
import type { Merchant, NewRefund, Payment } from '../types.ts';
import { buyerAction } from './buyer-action.ts';
import type { PaymentCore, TransitionExtra } from './core.ts';
import type { TokenPayload } from './form.ts';
import { paymentView } from './outcome.ts';

/** The status reason of an abandoned payment starts with this (the failure's reason code is `abandoned`). */
export const ABANDONED_REASON = 'abandoned';

/** The refund's actor in the audit when the gateway refunds a duplicate by the merchant's setting. */
export const DUPLICATE_REFUND_ACTOR = 'gateway (duplicates: refund)';

/** The idempotency key of a duplicate's refund: one per payment, so a repeat never refunds twice. */
const duplicateRefundKey = (p: Pick<Payment, 'id'>): string => `duplicate:${p.id}`;

/** How long a duplicate's refund may stay pending (its request under way) before the sweep asks again. */
export const DUPLICATE_REFUND_RETRY_MS = 60_000;

/** Whether a payment was left by its buyer for another method. */
export const isAbandoned = (p: Pick<Payment, 'status' | 'statusReason'>): boolean => p.status === 'failed' && p.statusReason.startsWith(ABANDONED_REASON);

export type Orders = ReturnType<typeof createOrders>;

/** The order side of the payment wing. */
export function createOrders(core: PaymentCore) {
  const { deps } = core;
  const { storage, connectors } = deps;
  const log = deps.log ?? (() => {});
  const refunds = createRefunds({ storage, connectors, now: deps.now, sandbox: deps.config.sandbox, emitStatus: core.emit, log });

  /**
   * The order's first paid payment, when `p`, about to be paid, pays the order again: a second
   * attempt paid, or late money. Undefined for the order's first payment.
   */
  async function duplicateOfFor(p: Payment): Promise<Payment | undefined> {
    return storage.firstPaidOf(p.merchantLogin, p.payFor, p.id);
  }

  /** The refund a duplicate gets by the merchant's `duplicates: "refund"`: all of it. */
  function duplicateRefund(p: Payment, first: Payment, merchant: Merchant): NewRefund | undefined {
    if (merchant.duplicates !== 'refund') return undefined;
    const reason = `duplicate payment of order ${p.payFor.slice(0, 100)}, first paid by ${first.id}`;
    return refundRow(merchant, p, { amountMinor: p.amountMinor, reason, actor: DUPLICATE_REFUND_ACTOR }, duplicateRefundKey(p), deps.now(), newRefundId());
  }

  /**
   * What paying a duplicate writes with the change: the first payment's id and, by the merchant's
   * `duplicates: "refund"`, its refund as `pending`, so that a crash right after cannot lose it
   * (`settleDuplicatesDue` asks it again).
   */
  function duplicateChange(p: Payment, first: Payment, merchant: Merchant): TransitionExtra {
    const refund = duplicateRefund(p, first, merchant);
    return { duplicateOf: first.id, ...(refund ? { refund } : {}) };
  }

  /**
   * What follows a duplicate once it is paid: with the merchant's `duplicates: "refund"`, all of it
   * is refunded at its provider (the refund row written with the payment, the gateway as actor,
   * audited like any refund; its idempotency key is the payment's, so a repeat never refunds twice).
   * A refusal is logged and left to the merchant (the payment stays at the head of the attention
   * list); no answer leaves the refund pending for `settleDuplicatesDue`.
   */
  async function settleDuplicate(p: Payment, first: Payment, merchant: Merchant): Promise<void> {
    const row = duplicateRefund(p, first, merchant);
    if (!row) return;
    try {
      const r = await refunds.refund(merchant, p.id, { amount: formatAmount(row.amountMinor), reason: row.reason, actor: DUPLICATE_REFUND_ACTOR }, row.idempotencyKey);
      log(`payment ${p.id}: duplicate of ${first.id}; refund ${r.refund.id} ${r.refund.status}`);
    } catch (e) {
      log(`payment ${p.id}: duplicate of ${first.id}; the refund failed: ${(e as Error).message}`);
    }
  }

  /**
   * After `p` was paid with no earlier paid payment of its order in sight: another payment of the
   * order may have been paid at the same moment, each request checking before the other's change
   * was stored. Both requests look again once their own change is stored, so the later look sees
   * both; every paid payment after the order's first (by time paid, then number) is marked a
   * duplicate of it and settled as one. Its PAY, written with the change, has no marker.
   */
  async function markConcurrentDuplicates(p: Payment, merchant: Merchant): Promise<void> {
    const [first, ...later] = await storage.paidOfOrder(p.merchantLogin, p.payFor);
    if (!first) return;
    for (const d of later) {
      if (d.duplicateOf || !(await storage.markDuplicate(d.id, first.id, deps.now(), duplicateRefund(d, first, merchant)))) continue;
      log(`payment ${d.id}: paid at the same moment as ${first.id} for order ${d.payFor.slice(0, 100)}: marked a duplicate after its PAY`);
      core.emit({ id: d.id, status: d.status });
      await settleDuplicate({ ...d, duplicateOf: first.id }, first, merchant);
    }
  }

  const sameOrder = (p: Payment, link: LinkParams, priceMinor: Minor): boolean =>
    p.ticker === link.ticker && p.mode === link.payMode && (link.payMode !== 'fix' || p.priceMinor === priceMinor);

  /**
   * The order's payment for the form to resume instead of a second one: its money held on the
   * buyer's card (`authorized`: the order is taken, the form shows the hold), else the one the buyer
   * was handed instructions for and that still waits (its way still configured, its deadline not
   * passed). Either for the same merchant, order, price and currency (a changed price is a new payment).
   */
  async function pendingFor(merchant: Merchant, link: LinkParams, priceMinor: Minor): Promise<PendingPayment | undefined> {
    const p = await storage.resumablePaymentOf(merchant.login, link.payFor);
    if (p?.status === 'authorized') return sameOrder(p, link, priceMinor) ? { id: p.id, way: p.way } : undefined;
    if (!p || p.action?.type !== 'instructions' || !connectors.way(p.way)) return undefined;
    if (p.expiresAt !== null && p.expiresAt <= deps.now()) return undefined;
    if (!sameOrder(p, link, priceMinor)) return undefined;
    return { id: p.id, way: p.way, action: buyerAction(p.action) };
  }

  /** Asks the provider to close the payment, where its connector can; a throwing connector counts as unknown. */
  async function cancelAtProvider(p: Payment): Promise<CancelResult | null> {
    const connector = p.providerId ? connectors.connector(p.providerId) : undefined;
    if (!connector?.cancel || p.providerPaymentId === null) return null;
    try {
      return await connector.cancel(p, p.providerPaymentId);
    } catch (e) {
      return { kind: 'unknown', reason: `the connector failed: ${(e as Error).message}` };
    }
  }

  const notAbandonable = (p: Payment): GatewayError =>
    new GatewayError(409, 'invalid_state', `status: the payment is ${p.status}; only a waiting payment can be left for another method`, 'status', { status: p.status });

  /**
   * The buyer leaves a waiting payment for another method («Выбрать другой способ»). `token` is the
   * form's token, verified (`openToken`): it must bind the payment's merchant and order. The payment is cancelled at its
   * provider where the provider allows it (T-Bank), then becomes `failed` as abandoned; a provider
   * that says the buyer is already paying (or paid) keeps it waiting and answers 409. Idempotent: an
   * abandoned payment answers its view again.
   */
  async function abandon(id: string, token: TokenPayload, origin: string | undefined): Promise<PaymentView> {
    const { m: login, l: link } = token;
    const p = await core.paymentOf(id);
    if (p.merchantLogin !== login || p.payFor !== link.payFor) {
      throw new GatewayError(403, 'token_mismatch', 'token: the form is for another order than this payment', 'token');
    }
    core.allowOrigin(await core.merchantOf(login), origin);
    if (isAbandoned(p)) return paymentView(p);
    if (p.status !== 'awaiting_payment') throw notAbandonable(p);
    const cancel = await cancelAtProvider(p);
    if (cancel?.kind === 'not_cancellable') {
      log(`payment ${p.id}: not abandoned: ${p.providerId} cannot cancel it (${cancel.reason})`);
      throw new GatewayError(409, 'invalid_state', 'status: the buyer may already be paying this payment at its payment system; wait for its outcome', 'status', { status: p.status });
    }
    const how = cancel === null ? 'marked abandoned, not offered again'
      : cancel.kind === 'cancelled' ? `cancelled at ${p.providerId}` : `cancel at ${p.providerId} not confirmed (${cancel.reason.slice(0, 100)})`;
    const moved = await core.transitionOrThrow(p, 'failed', { reason: `${ABANDONED_REASON}: the buyer chose another method; ${how}`, failureReason: 'abandoned' });
    const after = (await storage.getPayment(p.id)) ?? p;
    if (moved || isAbandoned(after)) return paymentView(after);
    // Paid, expired or failed between the read and the change: that state stands.
    throw notAbandonable(after);
  }

  /**
   * Asks again the duplicates' refunds still pending after `olderThanMs` (the gateway stopped
   * between writing one and its answer, or the provider gave none), under their own keys: the
   * provider refunds once whatever the number of asks. Returns how many were asked.
   */
  async function settleDuplicatesDue(olderThanMs = DUPLICATE_REFUND_RETRY_MS, limit = 20): Promise<number> {
    let n = 0;
    for (const r of await storage.pendingRefunds(duplicateRefundKey({ id: '' }), deps.now() - olderThanMs, limit)) {
      const p = await storage.getPayment(r.paymentId);
      const merchant = await storage.getMerchant(r.merchantLogin);
      if (!p || !merchant) continue;
      n++;
      try {
        const a = await refunds.refund(merchant, p.id, { amount: formatAmount(r.amountMinor), reason: r.reason, actor: DUPLICATE_REFUND_ACTOR }, r.idempotencyKey);
        log(`payment ${p.id}: the duplicate's refund ${a.refund.id} asked again: ${a.refund.status}`);
      } catch (e) {
        log(`payment ${p.id}: the duplicate's refund asked again: ${(e as Error).message}`);
      }
    }
    return n;
  }

  return { duplicateOfFor, duplicateChange, settleDuplicate, markConcurrentDuplicates, settleDuplicatesDue, pendingFor, abandon };
}
