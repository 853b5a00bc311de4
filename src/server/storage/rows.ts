/** Database rows as domain records: one mapper per table, shared by the stores of every aggregate. */
import type { Selectable } from 'kysely';
import type { Receipt, ReceiptSettings } from '../../protocol/receipt.ts';
import { LANGUAGES, resolveLanguage, type MerchantText } from '../../protocol/languages.ts';
import type { FailureReason } from '../../protocol/checkout-api.ts';
import type { NotificationStatus, PaymentStatus } from '../states.ts';
import type { AttemptRecord, HoldOperation, Merchant, NotificationRecord, Payment, PaymentAction, ReceiptKind, ReceiptRecord, ReceiptStatus, RefundRecord, SavedMethod } from '../types.ts';
import type { HoldOperationTable, MerchantTable, NotificationTable, PaymentTable, AttemptTable, ReceiptTable, RefundTable, SavedMethodTable } from './schema.ts';

export const num = (v: string | number | bigint | null): number | null => (v === null ? null : Number(v));
export const big = (v: string | number | bigint): bigint => BigInt(v);

/**
 * A merchant text as the `name` column holds it: a plain string as is, per-language texts as their
 * JSON object (the column is text in both databases, so no migration).
 */
export const merchantTextColumn = (t: MerchantText): string => (typeof t === 'string' ? t : JSON.stringify(t));

/**
 * The column read back: a JSON object of supported languages' strings is per-language texts; anything
 * else (every name stored before, and a plain name that merely starts with "{") is the string itself.
 */
export function merchantTextOf(stored: string): MerchantText {
  if (!stored.startsWith('{')) return stored;
  try {
    const v = JSON.parse(stored) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v);
      if (entries.length > 0 && entries.every(([k, t]) => (LANGUAGES as readonly string[]).includes(k) && typeof t === 'string')) return v as Record<string, string>;
    }
  } catch { /* a plain name that starts with "{" */ }
  return stored;
}

export function toMerchant(r: Selectable<MerchantTable>): Merchant {
  return {
    login: r.login,
    name: merchantTextOf(r.name),
    secret: r.secret,
    apiKeyHash: r.api_key_hash,
    notifications: r.notifications === 1,
    apiUrl: r.api_url,
    apiType: r.api_type === 1 ? 1 : 2,
    apiMethod: r.api_method === 'GET' ? 'GET' : 'POST',
    notifyStyle: r.notify_style === 'webhooks' ? 'webhooks' : 'onpay',
    checkLinkMd5: r.check_link_md5 === 1,
    origins: JSON.parse(r.origins) as string[],
    previousSecret: r.previous_secret && r.previous_secret_until !== null && r.previous_secret_until !== undefined
      ? { secret: r.previous_secret, until: Number(r.previous_secret_until) }
      : null,
    mode: r.mode === 'test' || r.mode === 'live' ? r.mode : null,
    fees: r.fees === 'buyer' || r.fees === 'merchant' || r.fees === 'link' ? r.fees : null,
    returnUrls: JSON.parse(r.return_urls) as string[],
    duplicates: r.duplicates === 'flag' || r.duplicates === 'refund' ? r.duplicates : null,
    receipts: r.receipts ? (JSON.parse(r.receipts) as ReceiptSettings) : null,
    capture: r.capture === 'auto' || r.capture === 'manual' ? r.capture : null,
    holdExpiry: r.hold_expiry === 'void' || r.hold_expiry === 'capture' ? r.hold_expiry : null,
    savedMethods: savedSettingsOf(r.saved_methods),
  };
}

/** The stored `savedMethods` JSON (the maximum as a decimal string of minor units). */
function savedSettingsOf(text: string | null | undefined): Merchant['savedMethods'] {
  if (!text) return null;
  const o = JSON.parse(text) as { enabled: boolean; maxChargeMinor?: string; retryScheduleDays?: number[] };
  return {
    enabled: o.enabled === true, ...(o.maxChargeMinor !== undefined ? { maxChargeMinor: BigInt(o.maxChargeMinor) } : {}),
    ...(Array.isArray(o.retryScheduleDays) ? { retryScheduleDays: o.retryScheduleDays } : {}),
  };
}

/** `savedMethods` as stored: the maximum as a decimal string, never a float. */
export function savedSettingsText(s: Merchant['savedMethods']): string | null {
  if (!s) return null;
  return JSON.stringify({
    enabled: s.enabled, ...(s.maxChargeMinor !== undefined ? { maxChargeMinor: s.maxChargeMinor.toString() } : {}),
    ...(s.retryScheduleDays !== undefined ? { retryScheduleDays: s.retryScheduleDays } : {}),
  });
}

export function toSavedMethod(r: Selectable<SavedMethodTable>): SavedMethod {
  return {
    id: r.id, merchantLogin: r.merchant_login, customer: r.customer, providerId: r.provider_id, way: r.way, token: r.token,
    first6: r.first6, last4: r.last4, expiry: r.expiry, sourcePaymentId: r.source_payment_id,
    createdAt: Number(r.created_at), lastUsedAt: num(r.last_used_at),
  };
}

export function toPayment(r: Selectable<PaymentTable>): Payment {
  return {
    id: r.id,
    number: Number(r.number),
    merchantLogin: r.merchant_login,
    payFor: r.pay_for,
    mode: r.mode === 'free' ? 'free' : 'fix',
    priceMinor: big(r.price_minor),
    ticker: r.ticker,
    convert: r.convert === 1,
    priceFinal: r.price_final === 1,
    note: r.note,
    ln: resolveLanguage(r.ln),
    urlSuccess: r.url_success,
    urlFail: r.url_fail,
    userEmail: r.user_email,
    userPhone: r.user_phone,
    extraParams: JSON.parse(r.extra_params) as Record<string, string>,
    way: r.way,
    wayTicker: r.way_ticker,
    amountMinor: big(r.amount_minor),
    feeMinor: big(r.fee_minor),
    balanceMinor: big(r.balance_minor),
    balanceTicker: r.balance_ticker,
    rate: r.rate,
    status: r.status as PaymentStatus,
    statusReason: r.status_reason,
    manual: r.manual === 1,
    action: r.action === null ? null : (JSON.parse(r.action) as PaymentAction),
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    responseStatus: r.response_status,
    responseBody: r.response_body,
    expiresAt: num(r.expires_at),
    paidAt: num(r.paid_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    providerId: r.provider_id,
    providerPaymentId: r.provider_payment_id,
    amountMismatch: Number(r.amount_mismatch) === 1,
    duplicateOf: r.duplicate_of ?? null,
    refundedMinor: big(r.refunded_minor ?? 0),
    paidLate: Number(r.paid_late ?? 0) === 1,
    failureReason: (r.failure_reason ?? null) as FailureReason | null,
    lateUntil: num(r.late_until ?? null),
    captureMode: r.capture_mode === 'manual' ? 'manual' : null,
    holdExpiresAt: num(r.hold_expires_at ?? null),
    heldMinor: r.held_minor === null || r.held_minor === undefined ? null : big(r.held_minor),
  };
}

export function toHoldOperation(r: Selectable<HoldOperationTable>): HoldOperation {
  return {
    id: r.id,
    paymentId: r.payment_id,
    merchantLogin: r.merchant_login,
    kind: r.kind === 'void' ? 'void' : 'capture',
    amountMinor: big(r.amount_minor),
    reason: r.reason,
    actor: r.actor,
    status: r.status === 'succeeded' ? 'succeeded' : r.status === 'failed' ? 'failed' : 'pending',
    failureReason: r.failure_reason,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    receipt: r.receipt ? (JSON.parse(r.receipt) as Receipt) : null,
  };
}

export function toRefund(r: Selectable<RefundTable>): RefundRecord {
  return {
    id: r.id,
    paymentId: r.payment_id,
    merchantLogin: r.merchant_login,
    amountMinor: big(r.amount_minor),
    ticker: r.ticker,
    reason: r.reason,
    actor: r.actor,
    status: r.status === 'succeeded' ? 'succeeded' : r.status === 'failed' ? 'failed' : 'pending',
    providerRefundId: r.provider_refund_id,
    failureReason: r.failure_reason,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toNotification(r: Selectable<NotificationTable>): NotificationRecord {
  return {
    id: Number(r.id),
    paymentId: r.payment_id,
    merchantLogin: r.merchant_login,
    kind: r.kind === 'refund' || r.kind === 'receipt' || r.kind === 'hold' || r.kind === 'subscription' ? r.kind : 'pay',
    style: r.style === 'webhooks' ? 'webhooks' : 'onpay',
    method: r.method === 'GET' ? 'GET' : 'POST',
    url: r.url,
    contentType: r.content_type,
    body: r.body,
    headers: JSON.parse(r.headers) as Record<string, string>,
    answerKey: r.api_type === 1 || r.api_type === 2
      ? {
        apiType: r.api_type, payFor: r.answer_pay_for ?? '', onpayId: Number(r.answer_onpay_id ?? 0),
        orderAmount: r.answer_order_amount ?? '', orderTicker: r.answer_order_ticker ?? '',
      }
      : null,
    status: r.status as NotificationStatus,
    attempts: r.attempts,
    nextAttemptAt: num(r.next_attempt_at),
    firstDueAt: Number(r.first_due_at),
    leaseOwner: r.lease_owner,
    leaseUntil: num(r.lease_until),
    deliveredAt: num(r.delivered_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toAttempt(r: Selectable<AttemptTable>): AttemptRecord {
  return {
    id: Number(r.id),
    notificationId: Number(r.notification_id),
    startedAt: Number(r.started_at),
    durationMs: r.duration_ms,
    httpStatus: r.http_status,
    excerpt: r.excerpt,
    verdict: r.verdict,
  };
}

export function toReceipt(r: Selectable<ReceiptTable>): ReceiptRecord {
  return {
    id: Number(r.id),
    paymentId: r.payment_id,
    merchantLogin: r.merchant_login,
    kind: r.kind as ReceiptKind,
    refundId: r.refund_id,
    receipt: JSON.parse(r.receipt) as Receipt,
    status: r.status as ReceiptStatus,
    providerReceiptId: r.provider_receipt_id,
    reason: r.reason,
    idempotencyKey: r.idempotency_key,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
