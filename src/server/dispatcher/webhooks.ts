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
import { formatAmount } from '../money.ts';
import type { Payment } from '../types.ts';

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

/** The data of a `payment.paid` event: the gateway's own camelCase names, amounts as canonical text. */
export interface PaidEventData {
  id: string;
  number: number;
  payFor: string;
  amount: string;
  ticker: string;
  way: string;
  paidAmount: string;
  paidTicker: string;
  balanceAmount: string;
  balanceTicker: string;
  rate: string;
  paidAt: string;
  userEmail: string;
  userPhone: string;
  note: string;
  extraParams: Record<string, string>;
}

/** The exact body of a payment's `payment.paid` event. */
export function webhookPayBody(p: Payment, paidAt: number): string {
  const at = new Date(paidAt).toISOString();
  const data: PaidEventData = {
    id: p.id,
    number: p.number,
    payFor: p.payFor,
    amount: formatAmount(p.priceMinor),
    ticker: p.ticker,
    way: p.way,
    paidAmount: formatAmount(p.amountMinor),
    paidTicker: p.wayTicker,
    balanceAmount: formatAmount(p.balanceMinor),
    balanceTicker: p.balanceTicker,
    rate: p.rate,
    paidAt: at,
    userEmail: p.userEmail,
    userPhone: p.userPhone,
    note: p.note,
    extraParams: p.extraParams,
  };
  return JSON.stringify({ type: PAY_EVENT_TYPE, timestamp: at, data });
}

/** The headers to send with one attempt of a webhook notification (its stored `webhook-id` kept). */
export function webhookHeaders(stored: Record<string, string>, merchantSecret: string, nowMs: number, body: string): Record<string, string> {
  const id = stored['webhook-id'] ?? '';
  const ts = Math.floor(nowMs / 1000);
  return { ...stored, 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(merchantSecret, id, ts, body) };
}
