/**
 * `receipt.failed`, the Standard Webhooks event a merchant with `notifyStyle: "webhooks"` gets when
 * one of its fiscal receipts is refused (issue 24): the shop must act, as the law wants a receipt
 * for every payment and refund. Sent through the outbox like `payment.paid`. Onpay-protocol
 * merchants get nothing (the protocol has no such notification); the cabinet's attention list
 * shows it to everyone.
 */
import type { Merchant, NewNotification, Payment, ReceiptRecord } from '../types.ts';
import type { Storage } from '../storage/storage.ts';

export const RECEIPT_FAILED_EVENT_TYPE = 'receipt.failed';

/** The data of a `receipt.failed` event. */
export interface ReceiptFailedEventData {
  /** The payment's id, number and order. */
  id: string;
  number: number;
  payFor: string;
  receipt: { id: number; kind: ReceiptRecord['kind']; refundId: string | null; reason: string };
}

/** The outbox row of a `receipt.failed` event, or null when the merchant does not take webhooks. */
export function receiptFailedNotification(p: Payment, m: Merchant, r: Pick<ReceiptRecord, 'id' | 'kind' | 'refundId'>, reason: string, at: number): (NewNotification & { dueAt: number }) | null {
  if (m.notifyStyle !== 'webhooks' || !m.notifications || !m.apiUrl) return null;
  const data: ReceiptFailedEventData = { id: p.id, number: p.number, payFor: p.payFor, receipt: { id: r.id, kind: r.kind, refundId: r.refundId, reason: reason.slice(0, 500) } };
  return {
    paymentId: p.id, merchantLogin: m.login, kind: 'receipt', style: 'webhooks', method: 'POST', url: m.apiUrl, contentType: 'application/json',
    body: JSON.stringify({ type: RECEIPT_FAILED_EVENT_TYPE, timestamp: new Date(at).toISOString(), data }),
    // One per receipt: a retry or a resend keeps it.
    headers: { 'webhook-id': `msg_${p.id}_receipt_${r.id}` },
    dueAt: at,
  };
}

/** Records a receipt as failed and queues its event; `false` when it was registered already (nothing sent). */
export async function failReceipt(storage: Storage, p: Payment, m: Merchant, r: Pick<ReceiptRecord, 'id' | 'kind' | 'refundId'>, reason: string, at: number): Promise<boolean> {
  const changed = await storage.setReceiptStatus(r.id, { status: 'failed', reason, at });
  const n = changed ? receiptFailedNotification(p, m, r, reason, at) : null;
  if (n) await storage.addNotification(n, at);
  return changed;
}
