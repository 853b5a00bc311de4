/**
 * `subscription.*` events (issue 26 item 4), Standard Webhooks events for merchants with
 * `notifyStyle: "webhooks"`, written through the outbox in the transaction that changes the
 * subscription (the dispatcher signs and delivers them as it does `payment.paid`). Onpay-protocol
 * merchants get none (the protocol has no such notification): they get the PAY of every paid charge.
 */
import { formatAmount } from '../../protocol/money.ts';
import type { Merchant, NewNotification, Subscription } from '../types.ts';

/** The events a subscription sends. */
export type SubscriptionEventType = 'created' | 'charged' | 'failed' | 'past_due' | 'cancelled' | 'completed';

/** What a charge event adds: the period, the attempt, the payment and, on failure, why. */
export interface ChargeDetail {
  period: number;
  attempt: number;
  paymentId: string | null;
  reason?: string;
}

/**
 * The outbox row of one event, or none for a merchant that does not take webhooks. Its
 * `webhook-id` is unique per subscription, event, period and attempt: a retry keeps it.
 */
export function subscriptionEvent(m: Merchant, s: Subscription, type: SubscriptionEventType, at: number, charge?: ChargeDetail): (NewNotification & { dueAt: number })[] {
  if (m.notifyStyle !== 'webhooks' || !m.notifications || !m.apiUrl) return [];
  const data = {
    id: s.id, customer: s.customer, status: s.status, amount: formatAmount(s.amountMinor), ticker: s.ticker,
    ...(charge ? { period: charge.period, attempt: charge.attempt, paymentId: charge.paymentId, ...(charge.reason !== undefined ? { reason: charge.reason.slice(0, 500) } : {}) } : {}),
  };
  const suffix = charge ? `_${charge.period}_${charge.attempt}` : '';
  return [{
    paymentId: s.id, merchantLogin: m.login, kind: 'subscription', style: 'webhooks', method: 'POST', url: m.apiUrl, contentType: 'application/json',
    body: JSON.stringify({ type: `subscription.${type}`, timestamp: new Date(at).toISOString(), data }),
    headers: { 'webhook-id': `msg_${s.id}_${type}${suffix}` },
    dueAt: at,
  }];
}
