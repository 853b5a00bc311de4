/**
 * `payment.refunded`, the Standard Webhooks event a merchant with `notifyStyle: "webhooks"` gets when
 * a payment's refunded total rises (a refund made through the cabinet API, or one the provider
 * reports). Sent through the outbox like `payment.paid`: the dispatcher adds the timestamp and the
 * signature at send time. Onpay-protocol merchants (API 1 / API 2) get nothing: the protocol has no
 * refund notification (docs/API.md).
 */
import { formatAmount } from '../../protocol/money.ts';
import type { Merchant, NewNotification, Payment, RefundRecord } from '../types.ts';

export const REFUND_EVENT_TYPE = 'payment.refunded';

/** The data of a `payment.refunded` event. */
export interface RefundedEventData {
  id: string;
  number: number;
  payFor: string;
  way: string;
  /** `partially_refunded` or `refunded`. */
  status: string;
  /** What the buyer paid, in `ticker` (the way's currency). */
  paidAmount: string;
  /** Refunded so far in all, in `ticker`. */
  refundedAmount: string;
  ticker: string;
  /** The refund that raised the total, when it was made through the cabinet API; null for one the provider reported. */
  refund: { id: string; amount: string; reason: string } | null;
}

/** The message id: one per refunded total of a payment, so a retry or a resend keeps it. */
export const refundWebhookId = (p: Payment): string => `msg_${p.id}_refund_${p.refundedMinor}`;

/**
 * The outbox row of a `payment.refunded` event for a payment just changed (`p` after the change), or
 * null when the merchant does not take webhooks.
 */
export function refundNotification(p: Payment, m: Merchant, at: number, refund: RefundRecord | null): (NewNotification & { dueAt: number }) | null {
  if (m.notifyStyle !== 'webhooks' || !m.notifications || !m.apiUrl) return null;
  const timestamp = new Date(at).toISOString();
  const data: RefundedEventData = {
    id: p.id,
    number: p.number,
    payFor: p.payFor,
    way: p.way,
    status: p.status,
    paidAmount: formatAmount(p.amountMinor),
    refundedAmount: formatAmount(p.refundedMinor),
    ticker: p.wayTicker,
    refund: refund ? { id: refund.id, amount: formatAmount(refund.amountMinor), reason: refund.reason } : null,
  };
  return {
    paymentId: p.id,
    merchantLogin: m.login,
    kind: 'refund',
    style: 'webhooks',
    method: 'POST',
    url: m.apiUrl,
    contentType: 'application/json',
    body: JSON.stringify({ type: REFUND_EVENT_TYPE, timestamp, data }),
    headers: { 'webhook-id': refundWebhookId(p) },
    dueAt: at,
  };
}
