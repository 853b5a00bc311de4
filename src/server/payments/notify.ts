/**
 * A payment as the data of its CHECK and PAY (mapped here, once), and the outbox row of its PAY in
 * the merchant's style, API type and method. The wire itself is `src/protocol/`. Pure: the clock's
 * reading comes in as an argument.
 */
import { formatAmount } from '../../protocol/money.ts';
import {
  checkRequest as apiCheckRequest, payAnswerKey, payRequest, type ApiRequest, type CheckData, type PayData,
} from '../../protocol/onpay-api.ts';
import { webhookId, webhookPayBody } from '../../protocol/webhooks.ts';
import type { Merchant, NewNotification, Payment } from '../types.ts';

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

/**
 * The PAY data of a paid payment; `first`: the order's first paid payment when this one is a
 * duplicate of it.
 */
export function payData(p: Payment, paidAt: number, first?: Pick<Payment, 'id' | 'number'>): PayData {
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
    ...(first ? { duplicateOf: { id: first.id, onpayId: first.number } } : {}),
  };
}

/** The request of a CHECK in the merchant's API type and method. */
export const checkRequest = (p: Payment, m: Merchant): ApiRequest => apiCheckRequest(checkData(p), m);

/**
 * The outbox row of a PAY, with its exact bytes and what judging the answer needs; `first`: the
 * order's first paid payment when this one is a duplicate (the PAY then says so).
 */
export function payNotification(p: Payment, m: Merchant, paidAt: number, first?: Pick<Payment, 'id' | 'number'>): NewNotification {
  const d = payData({ ...p, paidAt }, paidAt, first);
  const base = { paymentId: p.id, merchantLogin: m.login, kind: 'pay' as const, url: m.apiUrl ?? '' };
  if (m.notifyStyle === 'webhooks') {
    // Standard Webhooks: the id is stored with the event and kept across retries; the timestamp and
    // signature are added at send time by the dispatcher.
    return {
      ...base, style: 'webhooks', method: 'POST', contentType: 'application/json',
      body: webhookPayBody(d, p, paidAt), headers: { 'webhook-id': webhookId(p.id) }, answerKey: null,
    };
  }
  return { ...base, style: 'onpay', headers: {}, ...payRequest(d, m), answerKey: payAnswerKey(d, m.apiType) };
}
