/**
 * `payment.authorized` and `payment.voided` (issue 25), the Standard Webhooks events a merchant with
 * `notifyStyle: "webhooks"` gets when a payment's money is held and when a hold is released. Sent
 * through the outbox like `payment.paid`: the dispatcher adds the timestamp and the signature at send
 * time. Onpay-protocol merchants (API 1 / API 2) get nothing: the protocol's PAY means money received,
 * and is sent at capture (payments/holds.ts).
 */
import { formatAmount } from '../../protocol/money.ts';
import type { Merchant, NewNotification, Payment } from '../types.ts';

export const AUTHORIZED_EVENT_TYPE = 'payment.authorized';
export const VOIDED_EVENT_TYPE = 'payment.voided';

/** The data of a `payment.authorized` / `payment.voided` event. */
export interface HoldEventData {
  id: string;
  number: number;
  payFor: string;
  way: string;
  status: 'authorized' | 'voided';
  /** What is (or was) held, in `ticker` (the way's currency). */
  heldAmount: string;
  ticker: string;
  /** Until when the money stays held (`authorized`), ISO 8601; null when not known. */
  holdExpiresAt: string | null;
  /** Why the hold was released (`voided`): the merchant's reason, or the gateway's expiry policy. */
  reason: string | null;
}

/**
 * The outbox row of a hold event for a payment (`p` as the event describes it), or null when the
 * merchant does not take webhooks. One message id per payment and event: a retry or resend keeps it.
 */
export function holdNotification(p: Payment, m: Merchant, at: number, event: 'authorized' | 'voided', reason: string | null = null): (NewNotification & { dueAt: number }) | null {
  if (m.notifyStyle !== 'webhooks' || !m.notifications || !m.apiUrl) return null;
  const data: HoldEventData = {
    id: p.id,
    number: p.number,
    payFor: p.payFor,
    way: p.way,
    status: event,
    heldAmount: formatAmount(p.amountMinor),
    ticker: p.wayTicker,
    holdExpiresAt: p.holdExpiresAt ? new Date(p.holdExpiresAt).toISOString() : null,
    reason,
  };
  return {
    paymentId: p.id,
    merchantLogin: m.login,
    kind: 'hold',
    style: 'webhooks',
    method: 'POST',
    url: m.apiUrl,
    contentType: 'application/json',
    body: JSON.stringify({ type: event === 'authorized' ? AUTHORIZED_EVENT_TYPE : VOIDED_EVENT_TYPE, timestamp: new Date(at).toISOString(), data }),
    headers: { 'webhook-id': `msg_${p.id}_${event}` },
    answerKey: null,
    dueAt: at,
  };
}
