/**
 * Turns a payment into the exact bytes of its CHECK and PAY requests for the merchant's API type
 * and method (PROTOCOL.md §3). Pure: the clock's reading comes in as an argument.
 */
import { formatAmount } from '../protocol/money.ts';
import {
  api1CheckFields, api1PayFields, api2CheckRequest, api2PayRequest, formBody,
  type CheckData, type PayData,
} from '../protocol/onpay-api.ts';
import type { Merchant, NewNotification, Payment } from './types.ts';
import { webhookId, webhookPayBody } from '../protocol/webhooks.ts';

/** The CHECK data of a payment. */
export function checkData(p: Payment): CheckData {
  return {
    payFor: p.payFor,
    orderAmount: p.mode === 'free' ? '0.0' : formatAmount(p.priceMinor),
    orderTicker: p.ticker,
    mode: p.mode,
    userEmail: p.userEmail,
    userPhone: p.userPhone,
    extraParams: p.extraParams,
  };
}

/** ISO 8601 with an explicit offset, as merchants parse it (`2026-11-28T15:00:00+00:00`). */
export const isoWithOffset = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** The PAY data of a paid payment. */
export function payData(p: Payment, paidAt: number): PayData {
  return {
    payFor: p.payFor,
    onpayId: p.number,
    orderAmount: formatAmount(p.priceMinor),
    orderTicker: p.ticker,
    paidAmount: formatAmount(p.amountMinor),
    paidTicker: p.wayTicker,
    balanceAmount: formatAmount(p.balanceMinor),
    balanceTicker: p.balanceTicker,
    rate: p.rate,
    paidAt: isoWithOffset(paidAt),
    userEmail: p.userEmail,
    userPhone: p.userPhone,
    note: p.note,
    extraParams: p.extraParams,
  };
}

/** The request of a CHECK in the merchant's API type and method. */
export function checkRequest(p: Payment, m: Merchant): { method: 'POST' | 'GET'; contentType: string; body: string } {
  const d = checkData(p);
  if (m.apiType === 2) return { method: 'POST', ...api2CheckRequest(d, m.secret) };
  return { method: m.apiMethod, contentType: 'application/x-www-form-urlencoded', body: formBody(api1CheckFields(d, m.secret)) };
}

/** The outbox row of a PAY, with its exact bytes. */
export function payNotification(p: Payment, m: Merchant, paidAt: number): NewNotification {
  const d = payData({ ...p, paidAt }, paidAt);
  const base = { paymentId: p.id, merchantLogin: m.login, kind: 'pay' as const, style: 'onpay' as const, url: m.apiUrl ?? '', headers: {} };
  if (m.notifyStyle === 'webhooks') {
    // Standard Webhooks: the id is stored with the event and kept across retries; the timestamp and
    // signature are added at send time by the dispatcher.
    return { ...base, style: 'webhooks', method: 'POST', contentType: 'application/json', body: webhookPayBody(p, paidAt), headers: { 'webhook-id': webhookId(p.id) } };
  }
  if (m.apiType === 2) {
    const r = api2PayRequest(d, m.secret);
    return { ...base, method: 'POST', contentType: r.contentType, body: r.body };
  }
  return { ...base, method: m.apiMethod, contentType: 'application/x-www-form-urlencoded', body: formBody(api1PayFields(d, m.secret)) };
}
