/**
 * PAY in the style of Standard Webhooks (https://www.standardwebhooks.com), for merchants whose
 * `notifyStyle` is `webhooks`: a JSON event, and three headers — `webhook-id` (one per event, kept
 * across retries), `webhook-timestamp` (seconds, at send time) and `webhook-signature`
 * (`v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`).
 *
 * The signing key is the UTF-8 bytes of the merchant's secret K. In Standard Webhooks terms the
 * merchant's secret is `whsec_` + base64(K), which is what `webhookSecret(K)` returns and what the
 * merchant passes to a Standard Webhooks library (`new Webhook(webhookSecret(K)).verify(body, headers)`).
 */
import { createHmac } from 'node:crypto';
import type { PayData } from './onpay-api.ts';

/** The event type of a PAY. */
export const PAY_EVENT_TYPE = 'payment.paid';

/** The Standard Webhooks secret (`whsec_…`) that corresponds to a merchant's secret K. */
export const webhookSecret = (merchantSecret: string): string => `whsec_${Buffer.from(merchantSecret, 'utf8').toString('base64')}`;

/** The message id of a payment's PAY event; the same for every retry and resend of that event. */
export const webhookId = (paymentId: string): string => `msg_${paymentId}`;

/** `v1,` + base64 HMAC-SHA256 over the exact bytes `${id}.${timestampS}.${body}`. */
export function signWebhook(merchantSecret: string, id: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', Buffer.from(merchantSecret, 'utf8')).update(`${id}.${timestampS}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * The data of a `payment.paid` event: the PAY (`PayData`) in the gateway's own camelCase names,
 * with the payment's id and way; `number` is `onpayId`, `amount`/`ticker` the order's.
 */
export interface PaidEventData extends Omit<PayData, 'onpayId' | 'orderAmount' | 'orderTicker' | 'duplicateOf'> {
  id: string;
  number: number;
  amount: string;
  ticker: string;
  way: string;
  /** The order's first paid payment's id, when this payment paid the order again. */
  duplicateOf?: string;
}

/** The exact body of a payment's `payment.paid` event; `paidAtMs` gives its timestamp. */
export function webhookPayBody(d: PayData, payment: { id: string; way: string }, paidAtMs: number): string {
  const at = new Date(paidAtMs).toISOString();
  const data: PaidEventData = {
    id: payment.id,
    number: d.onpayId,
    payFor: d.payFor,
    amount: d.orderAmount,
    ticker: d.orderTicker,
    way: payment.way,
    paidAmount: d.paidAmount,
    paidTicker: d.paidTicker,
    balanceAmount: d.balanceAmount,
    balanceTicker: d.balanceTicker,
    rate: d.rate,
    paidAt: at,
    userEmail: d.userEmail,
    userPhone: d.userPhone,
    note: d.note,
    extraParams: d.extraParams,
    ...(d.duplicateOf ? { duplicateOf: d.duplicateOf.id } : {}),
  };
  return JSON.stringify({ type: PAY_EVENT_TYPE, timestamp: at, data });
}

/** The headers to send with one attempt of a webhook notification (its stored `webhook-id` kept). */
export function webhookHeaders(stored: Record<string, string>, merchantSecret: string, nowMs: number, body: string): Record<string, string> {
  const id = stored['webhook-id'] ?? '';
  const ts = Math.floor(nowMs / 1000);
  return { ...stored, 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(merchantSecret, id, ts, body) };
}
