/**
 * CloudPayments wire forms, pure: our payment → the provider's request bodies, the provider's
 * answers and notifications → our statuses. No I/O, no clock, no secrets held. `client.ts` does the
 * talking; README.md beside this file gives the sources and the choices.
 */
import type { FailureReason } from '../../../protocol/checkout-api.ts';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Payment } from '../../types.ts';
import type { ProviderStatus, SavedMethodReport } from '../contract.ts';
import { formatTwoDecimals } from '../../../protocol/money.ts';
import { flatJson, parseJsonExact, stringifyWithRawNumbers } from '../../../protocol/exact-json.ts';
import type { Receipt } from '../../../protocol/receipt.ts';
import { receiptJsonData } from './receipt.ts';

/** Check answer codes (CloudPayments «Check»: 0 accept, 10 invoice, 11 account, 12 amount, 13 not accepted, 20 expired). */
export const CHECK_CODES = { ok: 0, unknownInvoice: 10, wrongAccount: 11, wrongAmount: 12, notAccepted: 13, expired: 20 } as const;
export type CheckCode = (typeof CHECK_CODES)[keyof typeof CHECK_CODES];

/** The notification types CloudPayments sends (its «Notification Types» table). */
export type NotificationKind = 'check' | 'pay' | 'fail' | 'confirm' | 'refund' | 'recurrent' | 'cancel' | 'receipt';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['check', 'pay', 'fail', 'confirm', 'refund', 'recurrent', 'cancel', 'receipt'];

// ---------------------------------------------------------------------------------------------
// Money and currency

/**
 * Minor units as CloudPayments' decimal `Amount` with two decimals, exactly (`122400n` → `1224.00`):
 * the protocol's `formatTwoDecimals`, under the name the emulator imports.
 */
export { formatTwoDecimals as formatCpAmount } from '../../../protocol/money.ts';

const CP_AMOUNT_RE = /^(\d{1,15})(?:\.(\d{1,10}))?$/;

/**
 * A CloudPayments amount (`"10.00"`, `"10.00000"`, `"10"`) as minor units, or `null` when it is not
 * a plain non-negative decimal or has a non-zero digit past the second decimal (never rounded).
 */
export function parseCpAmount(text: string): bigint | null {
  const m = CP_AMOUNT_RE.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? '';
  if (/[1-9]/.test(frac.slice(2))) return null;
  return BigInt(m[1]!) * 100n + BigInt(frac.slice(0, 2).padEnd(2, '0'));
}

/** Our ticker → CloudPayments' currency code (`RUR` → `RUB`; others are ISO codes already). */
export function toCpCurrency(ticker: string): string {
  return ticker === 'RUR' ? 'RUB' : ticker;
}

/** CloudPayments' currency code → our ticker (`RUB` → `RUR`). */
export function fromCpCurrency(code: string): string {
  const upper = code.trim().toUpperCase();
  return upper === 'RUB' ? 'RUR' : upper;
}

// ---------------------------------------------------------------------------------------------
// JSON with exact numbers

/** A scalar field as text (numbers keep their exact text), or `undefined`. */
export function text(record: Record<string, unknown>, key: string): string | undefined {
  const v = record[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The answer envelope `{Success, Message, Model}`

export interface CpEnvelope {
  success: boolean;
  message: string | null;
  model: unknown;
}

/** Reads CloudPayments' answer envelope; `null` when the body is not one (HTML, garbage, other JSON). */
export function parseEnvelope(body: string): CpEnvelope | null {
  const parsed = parseJsonExact(body);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const rec = parsed as Record<string, unknown>;
  if (typeof rec.Success !== 'boolean') return null;
  const message = typeof rec.Message === 'string' ? rec.Message : null;
  return { success: rec.Success, message, model: rec.Model };
}

// ---------------------------------------------------------------------------------------------
// Create: POST /orders/create

export interface CreateOrderInput {
  payment: Payment;
  description: string;
  successUrl: string;
  failUrl: string;
  /** The fiscal receipt, sent as `JsonData.CloudPayments.CustomerReceipt` (receipt.ts). */
  receipt?: Receipt | undefined;
  /**
   * The payer's `AccountId` (issue 26): CloudPayments ties the card token of the paid payment to it,
   * and `payments/tokens/charge` must name the same one. Sent only with the buyer's consent.
   */
  accountId?: string | undefined;
}

/**
 * The JSON body of `orders/create` («Invoice Creation»): one-stage, or for a manual-capture payment
 * two-stage (`RequireConfirmation: true`: the money `Authorized`, then `payments/confirm` or
 * `payments/void`; issue 25), no e-mail or SMS sent by CloudPayments, `InvoiceId` = our payment id so Check, Pay and `payments/find`
 * all name our payment.
 */
export function createOrderBody(input: CreateOrderInput): string {
  const p = input.payment;
  return flatJson({
    Amount: { raw: formatTwoDecimals(p.amountMinor) },
    Currency: toCpCurrency(p.wayTicker),
    Description: input.description,
    Email: p.userEmail || undefined,
    InvoiceId: p.id,
    AccountId: input.accountId,
    SendEmail: false,
    RequireConfirmation: p.captureMode === 'manual' ? true : undefined,
    CultureName: p.ln === 'en' ? 'en-US' : 'ru-RU',
    SuccessRedirectUrl: input.successUrl,
    FailRedirectUrl: input.failUrl,
    JsonData: input.receipt ? { raw: stringifyWithRawNumbers(receiptJsonData(input.receipt)) } : undefined,
  });
}

/** What an `orders/create` answer says. */
export type CreateAnswer =
  | { kind: 'order'; id: string; url: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'unknown'; reason: string };

/** Interprets the HTTP answer of `orders/create` (status and body). */
export function readCreateAnswer(status: number, body: string): CreateAnswer {
  if (status === 401 || status === 403) return { kind: 'refused', reason: `cloudpayments: authentication failed (HTTP ${status})` };
  const env = parseEnvelope(body);
  if (status >= 500 || status < 200) return { kind: 'unknown', reason: `cloudpayments: HTTP ${status}` };
  if (!env) return { kind: 'unknown', reason: `cloudpayments: unreadable answer (HTTP ${status})` };
  if (!env.success) return { kind: 'refused', reason: `cloudpayments: ${env.message ?? 'request refused'}` };
  const model = env.model;
  if (model === null || typeof model !== 'object') return { kind: 'unknown', reason: 'cloudpayments: answer without Model' };
  const rec = model as Record<string, unknown>;
  const id = text(rec, 'Id');
  const url = text(rec, 'Url');
  if (!id || !url || !/^https?:\/\//i.test(url)) return { kind: 'unknown', reason: 'cloudpayments: answer without Model.Id / Model.Url' };
  return { kind: 'order', id, url };
}

// ---------------------------------------------------------------------------------------------
// Status: POST /v2/payments/find

/**
 * Maps the latest operation `v2/payments/find` returns for an invoice to our status. `refundedMinor`
 * is given only when it is certain (see README: a refund operation names its own amount, no total).
 */
export function statusFromFind(status: number, body: string, payment: Payment): ProviderStatus | { state: 'unreachable'; reason: string } {
  if (status >= 500 || status < 200) return { state: 'unreachable', reason: `cloudpayments: HTTP ${status}` };
  const env = parseEnvelope(body);
  if (!env) return { state: 'unreachable', reason: `cloudpayments: unreadable answer (HTTP ${status})` };
  if (!env.success && (env.model === null || env.model === undefined || typeof env.model !== 'object')) {
    if (/not\s*found/i.test(env.message ?? '')) return { state: 'not_found', providerState: 'NotFound' };
    return { state: 'unreachable', reason: `cloudpayments: ${env.message ?? 'request refused'}` };
  }
  if (env.model === null || typeof env.model !== 'object') return { state: 'unreachable', reason: 'cloudpayments: answer without Model' };
  return statusFromTransaction(env.model as Record<string, unknown>, payment);
}

/** Our status from a CloudPayments transaction model (`Status`, `Amount`, `Currency`, `Type`, `Refunded`). */
export function statusFromTransaction(model: Record<string, unknown>, payment: Payment): ProviderStatus {
  const cpStatus = text(model, 'Status') ?? '';
  const amountText = text(model, 'Amount');
  const amountMinor = amountText === undefined ? undefined : parseCpAmount(amountText) ?? undefined;
  const currencyText = text(model, 'Currency');
  const currency = currencyText ? fromCpCurrency(currencyText) : undefined;
  const transactionId = text(model, 'TransactionId');
  const type = text(model, 'Type');
  const operationType = text(model, 'OperationType');
  const base = {
    ...(transactionId ? { providerPaymentId: transactionId } : {}),
    ...(currency ? { currency } : {}),
  };
  // A refund operation (Type 1 in transaction models, OperationType Refund in notifications).
  if (type === '1' || operationType === 'Refund') {
    const original = text(model, 'OriginalTransactionId') ?? text(model, 'PaymentTransactionId');
    const full = amountMinor !== undefined && amountMinor >= payment.amountMinor;
    return {
      state: full ? 'refunded' : 'partially_refunded',
      ...base,
      ...(original ? { providerPaymentId: original } : {}),
      // CloudPayments names this refund's amount, not a running total: the total is known only when
      // this one refund covers the whole payment (README, «Refunds»).
      ...(full ? { refundedMinor: payment.amountMinor } : {}),
      providerState: `Refund:${cpStatus || 'Completed'}`,
    };
  }
  const withAmount = { ...base, ...(amountMinor !== undefined ? { amountMinor } : {}) };
  switch (cpStatus) {
    case 'Completed':
      // `Refunded` says a refund exists, not how much: at least partly refunded is all that is certain.
      if (text(model, 'Refunded') === 'true') return { state: 'partially_refunded', ...withAmount, providerState: 'Completed+Refunded' };
      return { state: 'paid', ...withAmount, providerState: 'Completed', ...savedCardField(model) };
    case 'Declined':
    case 'Cancelled': {
      const failure = cpStatus === 'Cancelled' ? 'cancelled' : failureOfReasonCode(text(model, 'ReasonCode'));
      return { state: 'failed', ...withAmount, providerState: cpStatus, ...(failure ? { failure } : {}) };
    }
    // Authorized is the two-stage scheme: a hold for a payment that asked for one (issue 25; the 7
    // days are the gateway's CARD_HOLD_MS: the API names no deadline). Otherwise held money is not
    // paid money: pending until Confirm/Completed.
    case 'Authorized':
      if (payment.captureMode === 'manual') return { state: 'authorized', ...withAmount, providerState: cpStatus };
      return { state: 'pending', ...withAmount, providerState: cpStatus };
    case 'AwaitingAuthentication':
    default:
      return { state: 'pending', ...withAmount, providerState: cpStatus || 'Unknown' };
  }
}

/**
 * The card a paid transaction's `Token` stands for (issue 26), when it has an `AccountId`, with `CardFirstSix`, `CardLastFour`
 * and `CardExpDate` (`MM/YY`) as CloudPayments reports them. The gateway keeps it only with consent.
 */
function savedCardField(model: Record<string, unknown>): { savedMethod?: SavedMethodReport } {
  const token = text(model, 'Token');
  // A token is chargeable only with the AccountId it is tied to, which the connector sends only with
  // the buyer's consent: without one there is nothing to save.
  if (!token || !text(model, 'AccountId')) return {};
  const first6 = text(model, 'CardFirstSix');
  const last4 = text(model, 'CardLastFour');
  const expiry = text(model, 'CardExpDate');
  return {
    savedMethod: {
      token,
      ...(first6 && /^\d{6}$/.test(first6) ? { first6 } : {}),
      ...(last4 && /^\d{4}$/.test(last4) ? { last4 } : {}),
      ...(expiry && /^\d{2}\/\d{2}$/.test(expiry) ? { expiry } : {}),
    },
  };
}

/**
 * The JSON body of `payments/tokens/charge` («Оплата по токену (рекарринг)»): the saved card's
 * `Token` and the `AccountId` it is tied to, `TrInitiatorCode` 0 (the merchant initiates, required
 * since API 3.6.0) or 1 (the cardholder: a returning buyer paying on the page), `InvoiceId` = our
 * payment id so Pay and `payments/find` name it.
 */
export function tokenChargeBody(input: { payment: Payment; token: string; accountId: string; description: string; receipt?: Receipt | undefined; initiator?: 'buyer' | undefined }): string {
  const p = input.payment;
  return flatJson({
    Amount: { raw: formatTwoDecimals(p.amountMinor) },
    Currency: toCpCurrency(p.wayTicker),
    AccountId: input.accountId,
    Token: input.token,
    TrInitiatorCode: { raw: input.initiator === 'buyer' ? '1' : '0' },
    InvoiceId: p.id,
    Description: input.description,
    JsonData: input.receipt ? { raw: stringifyWithRawNumbers(receiptJsonData(input.receipt)) } : undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// Refund: POST /payments/refund

/** The JSON body of `payments/refund`, with the refund receipt in `JsonData` when there is one. */
export function refundBody(transactionId: string, amountMinor: bigint, receipt?: Receipt): string {
  return flatJson({
    TransactionId: { raw: transactionId },
    Amount: { raw: formatTwoDecimals(amountMinor) },
    JsonData: receipt ? { raw: stringifyWithRawNumbers(receiptJsonData(receipt)) } : undefined,
  });
}

/** The JSON body of `payments/confirm`: all of the hold or less, with the receipt for what is taken in `JsonData`. */
export function confirmBody(transactionId: string, amountMinor: bigint, receipt?: Receipt): string {
  return refundBody(transactionId, amountMinor, receipt);
}

/** A transaction id is a positive integer. */
export function isTransactionId(value: string): boolean {
  return /^[1-9]\d{0,18}$/.test(value);
}

// ---------------------------------------------------------------------------------------------
// Notifications

/**
 * base64(HMAC-SHA256(bytes, secret)), the value of `Content-HMAC`.
 * @example contentHmac('secret', new TextEncoder().encode('a=1'))
 */
export function contentHmac(secret: string, bytes: Uint8Array | string): string {
  return createHmac('sha256', secret).update(bytes).digest('base64');
}

/**
 * Whether `header` is the HMAC of exactly `bytes`, compared in constant time over the decoded digest.
 * A missing, empty or malformed header is `false`.
 */
export function verifyHmac(secret: string, bytes: Uint8Array, header: string | null | undefined): boolean {
  if (!header) return false;
  const given = header.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(given)) return false;
  const expected = createHmac('sha256', secret).update(bytes).digest();
  const actual = Buffer.from(given, 'base64');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * The notification's fields as text. Form bodies (CloudPayments' default format) through
 * URLSearchParams, JSON bodies with numbers kept exact. `null` when it is neither.
 */
export function parseNotificationFields(body: string, contentType: string | null): Record<string, string> | null {
  const trimmed = body.trim();
  const looksJson = (contentType ?? '').toLowerCase().includes('json') || trimmed.startsWith('{');
  if (looksJson) {
    const parsed = parseJsonExact(trimmed);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'boolean') out[k] = String(v);
      else if (v !== null && typeof v === 'object') out[k] = JSON.stringify(v);
    }
    return out;
  }
  if (trimmed === '') return null;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(trimmed)) if (!(k in out)) out[k] = v;
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Which notification a body is, from the fields CloudPayments' tables make required for each type:
 * Refund has `OperationType=Refund` / `PaymentTransactionId`; Fail has `ReasonCode`; Pay has
 * `TotalFee` (and `GatewayName`), which Check never carries (no fee exists before authorisation).
 * Anything else with a payment `Status` is a Check. `null` when it is none of the four we handle.
 */
export function classifyNotification(fields: Record<string, string>): NotificationKind | null {
  // A Receipt notification (issue 24) carries fiscal data and a `Type`, never a payment's `Status`.
  if (fields.FiscalSign !== undefined || (fields.DocumentNumber !== undefined && fields.QrCodeUrl !== undefined)) return 'receipt';
  if (fields.OperationType === 'Refund' || fields.PaymentTransactionId !== undefined) return 'refund';
  if (fields.Interval !== undefined && fields.Period !== undefined) return 'recurrent';
  if (fields.ReasonCode !== undefined && fields.TotalFee === undefined) return 'fail';
  if (fields.TotalFee !== undefined) return 'pay';
  if (fields.Status !== undefined && fields.TransactionId !== undefined) return 'check';
  return null;
}

/** The `kind` query the operator may add to the URL registered in CloudPayments' dashboard. */
export function kindFromUrl(url: string | undefined): NotificationKind | null | 'absent' {
  if (!url) return 'absent';
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://localhost');
  } catch {
    return 'absent';
  }
  const raw = parsed.searchParams.get('kind') ?? parsed.searchParams.get('event') ?? parsed.searchParams.get('type');
  if (raw === null) return 'absent';
  const k = raw.toLowerCase();
  return (NOTIFICATION_KINDS as readonly string[]).includes(k) ? (k as NotificationKind) : null;
}

/**
 * The Check answer for a payment: accepted only when the gateway's payment is awaiting payment, not
 * past its deadline, and the amount and currency are exactly the payment's.
 */
export function checkCode(payment: Payment | undefined, fields: Record<string, string>, now: number): CheckCode {
  if (!payment) return CHECK_CODES.unknownInvoice;
  if (payment.status === 'expired') return CHECK_CODES.expired;
  // A decline is not final at CloudPayments: the buyer may try another card on the same page, and
  // that attempt starts with a Check. A payment the provider declined (not one settled by hand) may
  // still be paid; the state table lets a verified Pay move it `failed → paid`.
  const retryAfterDecline = payment.status === 'failed' && !payment.manual;
  if (payment.status !== 'awaiting_payment' && !retryAfterDecline) return CHECK_CODES.notAccepted;
  if (payment.expiresAt !== null && now > payment.expiresAt) return CHECK_CODES.expired;
  const amount = fields.Amount === undefined ? null : parseCpAmount(fields.Amount);
  if (amount === null || amount !== payment.amountMinor) return CHECK_CODES.wrongAmount;
  const currency = fields.Currency === undefined ? null : fromCpCurrency(fields.Currency);
  if (currency !== payment.wayTicker) return CHECK_CODES.wrongAmount;
  return CHECK_CODES.ok;
}

/**
 * The checkout's reason for a decline, from CloudPayments' ReasonCode table («Коды ошибок»):
 * 5051 insufficient funds; 5206, 5207 3-D Secure failed / unavailable; 5054 expired card and the
 * other bank refusals: declined. Undefined when there is no code.
 */
export function failureOfReasonCode(code: string | undefined): FailureReason | undefined {
  if (code === undefined || code === '' || code === '0') return undefined;
  if (code === '5051') return 'insufficient_funds';
  if (code === '5206' || code === '5207') return '3ds_failed';
  return 'declined';
}

/** The JSON answer CloudPayments expects: `{"code":N}`. */
export function codeAnswer(code: number): string {
  return `{"code":${code}}`;
}
