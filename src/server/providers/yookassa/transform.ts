/**
 * YooKassa API v3, pure: our payment into YooKassa's request bodies, and YooKassa's answers
 * (payment, refund, list, error, notification) back into the contract's terms. No I/O here; every
 * function is table-tested in `transform.test.ts`. Wire field names (snake_case) stay in this file.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { FailureReason } from '../../../protocol/checkout-api.ts';
import type { ActionKind, ProviderStatus, SavedMethodReport } from '../contract.ts';
import type { Payment, PaymentAction } from '../../types.ts';
import { formatTwoDecimals } from '../../../protocol/money.ts';
import type { Receipt } from '../../../protocol/receipt.ts';
import { receiptOutcomeOf, yookassaReceipt } from './receipt.ts';
import { qrInstructions } from '../qr-instructions.ts';

/** YooKassa's production API. */
export const YOOKASSA_API_URL = 'https://api.yookassa.ru/v3';

/**
 * The methods a way may name: YooKassa's `payment_method_data.type`, except `mir_pay` (Mir Pay has no
 * type of its own: YooKassa shows its button on the `bank_card` page on Android, README.md).
 */
export const YOOKASSA_METHODS = ['bank_card', 'sbp', 'yoo_money', 'tinkoff_bank', 'sberbank', 'mir_pay'] as const;
export type YooKassaMethod = (typeof YOOKASSA_METHODS)[number];

/** The `metadata` key naming the gateway's payment id (YooKassa: ≤ 16 keys, key ≤ 32 characters). */
export const METADATA_PAYMENT_ID = 'onpay_payment_id';

/** YooKassa's description limit (`description`: not more than 128 characters). */
export const DESCRIPTION_MAX = 128;

/**
 * How long the buyer has to pay: YooKassa's payment-methods page gives «Срок оплаты 1 час» for bank
 * cards, YooMoney and SBP; a payment still `pending` then is canceled with `expired_on_confirmation`.
 */
export const CONFIRMATION_TTL_MS = 60 * 60 * 1000;

/** The notification IP ranges YooKassa publishes (yookassa.ru/developers/using-api/webhooks). */
export const YOOKASSA_NOTIFY_IPS = [
  '185.71.76.0/27', '185.71.77.0/27', '77.75.153.0/25', '77.75.156.11', '77.75.156.35', '77.75.154.128/25', '2a02:5180::/32',
] as const;

/** Our tickers → ISO 4217 codes YooKassa takes. `RUR` is the gateway's rouble; other tickers are not accepted. */
const CURRENCY_TO_YK: Record<string, string> = { RUR: 'RUB', USD: 'USD', EUR: 'EUR' };
const CURRENCY_FROM_YK: Record<string, string> = { RUB: 'RUR', USD: 'USD', EUR: 'EUR' };

/** The ISO code for one of our tickers, or `null` when YooKassa does not take it. */
export function toYooKassaCurrency(ticker: string): string | null {
  return CURRENCY_TO_YK[ticker] ?? null;
}

/** Our ticker for YooKassa's ISO code (`RUB` → `RUR`); unknown codes pass through unchanged. */
export function fromYooKassaCurrency(code: string): string {
  return CURRENCY_FROM_YK[code] ?? code;
}

/**
 * Minor units → YooKassa's `amount.value`, a string with exactly two decimals and a point: the
 * protocol's `formatTwoDecimals`, under the name the emulator imports.
 */
export { formatTwoDecimals as formatValue } from '../../../protocol/money.ts';

const VALUE_RE = /^(\d{1,15})(?:\.(\d{1,2}))?$/;

/** YooKassa's `amount.value` → minor units; `null` for anything but a plain decimal with ≤ 2 places. */
export function parseValue(text: string): bigint | null {
  const m = VALUE_RE.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/**
 * Cuts a description to YooKassa's 128 characters, never through a surrogate pair; a half pair left
 * by an earlier cut in UTF-16 units is dropped.
 */
export function cutDescription(text: string): string {
  const chars = Array.from(text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, ''));
  return chars.slice(0, DESCRIPTION_MAX).join('');
}

/** `Authorization` for HTTP Basic with the shop id as user and the secret key as password. */
export function basicAuth(shopId: string, secretKey: string): string {
  return `Basic ${Buffer.from(`${shopId}:${secretKey}`, 'utf8').toString('base64')}`;
}

/**
 * What the buyer gets for a method: SBP and SberPay show a QR code and a phone button
 * (instructions); cards, Mir Pay, YooMoney and T-Pay go to YooKassa's page (T-Pay's only documented
 * confirmation is `redirect`; the page shows the QR code or the app button itself).
 */
export function kindOf(method: string): ActionKind {
  return method === 'sbp' || method === 'sberbank' ? 'instructions' : 'redirect';
}

/**
 * `confirmation` of a create. SberPay takes `qr`: the gateway creates the payment before it knows
 * the buyer's device, and the `confirmation_data` link both opens SberBank's app on a phone and is
 * what a desktop's QR code carries (README.md, «T-Pay, SberPay, Mir Pay»). The rest: `redirect`.
 */
export function confirmationFor(method: string, returnUrl: string): Record<string, unknown> {
  return method === 'sberbank' ? { type: 'qr' } : { type: 'redirect', return_url: returnUrl };
}

/** `payment_method_data.type` for a way's method. */
export const methodType = (method: string): string => (method === 'mir_pay' ? 'bank_card' : method);

export interface CreateBodyInput {
  payment: Pick<Payment, 'id' | 'number' | 'merchantLogin' | 'amountMinor' | 'wayTicker'>;
  method: string;
  returnUrl: string;
  description: string;
  /** The fiscal receipt (54-ФЗ), sent as `receipt` (receipt.ts). */
  receipt?: Receipt | undefined;
  /** The buyer consented to saving the method (issue 26): `save_payment_method: true`. */
  save?: boolean;
  /** A hold (issue 25): `capture: false`, the money `waiting_for_capture` until `/capture` or `/cancel`. */
  hold?: boolean;
}

/** The body of `POST /payments`, or why it cannot be built (a currency YooKassa does not take). */
export function createPaymentBody(input: CreateBodyInput): { ok: true; body: Record<string, unknown> } | { ok: false; reason: string } {
  const currency = toYooKassaCurrency(input.payment.wayTicker);
  if (!currency) return { ok: false, reason: `yookassa: currency ${input.payment.wayTicker} is not supported` };
  if (!(YOOKASSA_METHODS as readonly string[]).includes(input.method)) return { ok: false, reason: `yookassa: method ${input.method} is not supported` };
  if (input.payment.amountMinor <= 0n) return { ok: false, reason: 'yookassa: amount must be positive' };
  let receipt: Record<string, unknown> | undefined;
  try {
    receipt = input.receipt ? yookassaReceipt(input.receipt, currency) : undefined;
  } catch (e) {
    return { ok: false, reason: `yookassa: ${(e as Error).message}` };
  }
  return {
    ok: true,
    body: {
      amount: { value: formatTwoDecimals(input.payment.amountMinor), currency },
      capture: input.hold !== true,
      confirmation: confirmationFor(input.method, input.returnUrl),
      payment_method_data: { type: methodType(input.method) },
      description: cutDescription(input.description),
      metadata: {
        [METADATA_PAYMENT_ID]: input.payment.id,
        onpay_number: String(input.payment.number),
        onpay_merchant: input.payment.merchantLogin,
      },
      ...(receipt ? { receipt } : {}),
      ...(input.save ? { save_payment_method: true } : {}),
    },
  };
}

/**
 * The body of a merchant-initiated `POST /payments` with a saved method (issue 26): `payment_method_id`
 * instead of `payment_method_data`; with a `confirmation` so that an issuer asking for 3-D Secure
 * leaves the payment `pending` with a link for the buyer (without one YooKassa cancels it).
 */
export function chargeBody(input: Omit<CreateBodyInput, 'method' | 'save'> & { paymentMethodId: string }): { ok: true; body: Record<string, unknown> } | { ok: false; reason: string } {
  const built = createPaymentBody({ ...input, method: 'bank_card' });
  if (!built.ok) return built;
  const { payment_method_data: _data, ...rest } = built.body;
  return { ok: true, body: { ...rest, payment_method_id: input.paymentMethodId } };
}

/**
 * The method a succeeded payment saved (`payment_method.saved: true`): its id is the token, the card
 * as YooKassa reports it (`first6`, `last4`, `expiry_month`, `expiry_year`).
 */
export function savedMethodOf(p: YkPayment): SavedMethodReport | undefined {
  const m = p.payment_method as (Record<string, unknown> & { type: string }) | undefined;
  if (!m || m.saved !== true || typeof m.id !== 'string' || m.id === '') return undefined;
  const card = (m.card && typeof m.card === 'object' ? m.card : {}) as Record<string, unknown>;
  const text = (v: unknown, re: RegExp): string | undefined => (typeof v === 'string' && re.test(v) ? v : undefined);
  const first6 = text(card.first6, /^\d{6}$/);
  const last4 = text(card.last4, /^\d{4}$/);
  const month = text(card.expiry_month, /^\d{2}$/);
  const year = text(card.expiry_year, /^\d{4}$/);
  return { token: m.id, ...(first6 ? { first6 } : {}), ...(last4 ? { last4 } : {}), ...(month && year ? { expiry: `${month}/${year.slice(2)}` } : {}) };
}

/** The body of `POST /payments/{id}/capture`: the amount to take (all of the hold, or less), and its receipt. */
export function captureBody(amountMinor: bigint, ticker: string, receipt?: Receipt): Record<string, unknown> | null {
  const currency = toYooKassaCurrency(ticker);
  if (!currency) return null;
  return { amount: { value: formatTwoDecimals(amountMinor), currency }, ...(receipt ? { receipt: yookassaReceipt(receipt, currency) } : {}) };
}

/** The body of `POST /refunds`, with the refund receipt when there is one (it may throw a `RangeError` naming its field). */
export function createRefundBody(providerPaymentId: string, amountMinor: bigint, ticker: string, description: string, receipt?: Receipt): Record<string, unknown> | null {
  const currency = toYooKassaCurrency(ticker);
  if (!currency) return null;
  const body: Record<string, unknown> = { payment_id: providerPaymentId, amount: { value: formatTwoDecimals(amountMinor), currency } };
  if (description) body.description = cutDescription(description);
  if (receipt) body.receipt = yookassaReceipt(receipt, currency);
  return body;
}

// ---- YooKassa's answers ------------------------------------------------------------------------

const amountSchema = z.object({ value: z.string(), currency: z.string() });

const paymentSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['pending', 'waiting_for_capture', 'succeeded', 'canceled']),
  paid: z.boolean().optional(),
  amount: amountSchema,
  refunded_amount: amountSchema.optional(),
  confirmation: z.object({ type: z.string(), confirmation_url: z.string().optional(), confirmation_data: z.string().optional() }).passthrough().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  cancellation_details: z.object({ party: z.string().optional(), reason: z.string().optional() }).passthrough().optional(),
  payment_method: z.object({ type: z.string() }).passthrough().optional(),
  created_at: z.string().optional(),
  /** A `waiting_for_capture` payment's hold deadline. */
  expires_at: z.string().optional(),
}).passthrough();

export type YkPayment = z.infer<typeof paymentSchema>;

const refundSchema = z.object({
  id: z.string().min(1),
  payment_id: z.string().min(1),
  status: z.enum(['pending', 'succeeded', 'canceled']),
  amount: amountSchema,
  cancellation_details: z.object({ party: z.string().optional(), reason: z.string().optional() }).passthrough().optional(),
}).passthrough();

export type YkRefund = z.infer<typeof refundSchema>;

const errorSchema = z.object({
  type: z.literal('error'),
  id: z.string().optional(),
  code: z.string(),
  description: z.string().optional(),
  parameter: z.string().optional(),
}).passthrough();

export type YkError = z.infer<typeof errorSchema>;

const listSchema = z.object({
  type: z.literal('list'),
  items: z.array(z.unknown()),
  next_cursor: z.string().optional(),
}).passthrough();

const notificationSchema = z.object({
  type: z.literal('notification'),
  event: z.string().min(1),
  object: z.object({ id: z.string().min(1), payment_id: z.string().optional() }).passthrough(),
}).passthrough();

function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A payment object from YooKassa's answer text, or `null` when it is not one. */
export function parsePayment(text: string | unknown): YkPayment | null {
  const r = paymentSchema.safeParse(typeof text === 'string' ? json(text) : text);
  return r.success && parseValue(r.data.amount.value) !== null ? r.data : null;
}

/** A refund object from YooKassa's answer text, or `null`. */
export function parseRefund(text: string): YkRefund | null {
  const r = refundSchema.safeParse(json(text));
  return r.success && parseValue(r.data.amount.value) !== null ? r.data : null;
}

/** YooKassa's error object `{type: "error", id, code, description, parameter}`, or `null`. */
export function parseError(text: string): YkError | null {
  const r = errorSchema.safeParse(json(text));
  return r.success ? r.data : null;
}

/**
 * The wait a 202 "processing" answer asks for: `{type: "processing", description, retry_after}`,
 * `retry_after` in milliseconds. `undefined` when the body names none.
 * @example retryAfterOf('{"type":"processing","retry_after":1800}') // 1800
 */
export function retryAfterOf(text: string): number | undefined {
  const o = json(text) as { retry_after?: unknown } | undefined;
  const v = o && typeof o === 'object' ? o.retry_after : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** A list answer `{type: "list", items, next_cursor}` with its payments, or `null`. */
export function parsePaymentList(text: string): { items: YkPayment[]; nextCursor: string | undefined } | null {
  const r = listSchema.safeParse(json(text));
  if (!r.success) return null;
  const items: YkPayment[] = [];
  for (const item of r.data.items) {
    const p = parsePayment(item);
    if (p) items.push(p);
  }
  return { items, nextCursor: r.data.next_cursor };
}

/**
 * What an (untrusted) notification body names: its event and the YooKassa payment it concerns
 * (`object.id` for `payment.*`, `object.payment_id` for `refund.*`). Nothing else in it is used.
 */
export function parseNotification(text: string): { event: string; providerPaymentId: string } | null {
  const r = notificationSchema.safeParse(json(text));
  if (!r.success) return null;
  const { event, object } = r.data;
  const providerPaymentId = event.startsWith('refund.') ? object.payment_id : event.startsWith('payment.') ? object.id : undefined;
  if (!providerPaymentId || !YK_ID_RE.test(providerPaymentId)) return null;
  return { event, providerPaymentId };
}

/**
 * Whether a body is a well-formed notification of an event this connector does not act on
 * (`payout.succeeded`, `deal.closed`, `payment_method.active`, …): those are acknowledged with 200
 * and nothing else, so that YooKassa does not repeat them for 24 hours.
 */
export function isOtherEvent(text: string): boolean {
  const r = notificationSchema.safeParse(json(text));
  return r.success && !r.data.event.startsWith('payment.') && !r.data.event.startsWith('refund.');
}

/** YooKassa object ids are UUID-shaped (`22e12f66-000f-5000-8000-18db351245c7`); anything else is refused before a GET. */
const YK_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a text is shaped like a YooKassa object id. */
export function isYooKassaId(text: string): boolean {
  return YK_ID_RE.test(text);
}

/** Our payment id from a YooKassa payment's metadata, if it names one. */
export function ourPaymentId(p: YkPayment): string | undefined {
  const v = p.metadata?.[METADATA_PAYMENT_ID];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A reason text for the payment's timeline from YooKassa's error object. */
export function errorReason(e: YkError, httpStatus: number): string {
  const head = `yookassa ${httpStatus} ${e.code}`;
  const text = e.description ? `${head}: ${e.description}` : head;
  return e.parameter ? `${text} (parameter ${e.parameter})` : text;
}

/** `canceled` reasons that mean the buyer ran out of time rather than being declined. */
const EXPIRY_REASONS = new Set(['expired_on_confirmation']);

/**
 * YooKassa's payment as the contract's status. `succeeded` with a `refunded_amount` is refunded in
 * full or in part; `canceled` for want of confirmation is `expired`, any other cancellation `failed`.
 * `waiting_for_capture` is money held but not captured (a hold, `capture: false`, issue 25): reported
 * `authorized` with its `expires_at`; the gateway applies it only to a payment it asked to hold.
 */
export function toProviderStatus(p: YkPayment): ProviderStatus {
  const amountMinor = parseValue(p.amount.value) ?? undefined;
  const refundedMinor = p.refunded_amount ? parseValue(p.refunded_amount.value) ?? undefined : undefined;
  const receipt = receiptOutcomeOf(p.receipt_registration);
  const base = {
    providerPaymentId: p.id,
    ...(amountMinor !== undefined ? { amountMinor } : {}),
    currency: fromYooKassaCurrency(p.amount.currency),
    ...(refundedMinor !== undefined ? { refundedMinor } : {}),
    ...(receipt ? { receipt } : {}),
  };
  switch (p.status) {
    case 'pending':
      return { state: 'pending', ...base, providerState: p.status };
    case 'waiting_for_capture': {
      const until = p.expires_at === undefined ? NaN : Date.parse(p.expires_at);
      return { state: 'authorized', ...base, ...(Number.isFinite(until) ? { holdExpiresAt: until } : {}), providerState: p.status };
    }
    case 'succeeded': {
      const state = refundedMinor !== undefined && refundedMinor > 0n
        ? (amountMinor !== undefined && refundedMinor >= amountMinor ? 'refunded' : 'partially_refunded')
        : 'paid';
      const saved = state === 'paid' ? savedMethodOf(p) : undefined;
      return { state, ...base, providerState: p.status, ...(saved ? { savedMethod: saved } : {}) };
    }
    case 'canceled': {
      const reason = p.cancellation_details?.reason;
      const state = reason && EXPIRY_REASONS.has(reason) ? 'expired' : 'failed';
      return { state, ...base, providerState: reason ? `canceled: ${reason}` : 'canceled', failure: failureOfCancellation(reason) };
    }
  }
}

/**
 * The checkout's reason for a canceled payment, from `cancellation_details.reason` («Неуспешные
 * платежи»): `insufficient_funds`; `3d_secure_failed`; the expiry reasons; `canceled_by_merchant`
 * (cancelled); any other (general_decline, card_expired, fraud_suspected, …): declined.
 */
export function failureOfCancellation(reason: string | undefined): FailureReason {
  if (reason === 'insufficient_funds') return 'insufficient_funds';
  if (reason === '3d_secure_failed') return '3ds_failed';
  if (reason && EXPIRY_REASONS.has(reason)) return 'expired';
  if (reason === 'canceled_by_merchant' || reason === 'permission_revoked') return 'cancelled';
  return 'declined';
}


/**
 * The buyer's action for a created payment: YooKassa's `confirmation_url` as a redirect, or for SBP
 * as the QR payload and the phone link (YooKassa's SBP page picks the bank on a phone and shows the
 * QR on a desktop, so the same URL serves both).
 */
export function actionFor(method: string, confirmationUrl: string, payment: Pick<Payment, 'amountMinor' | 'wayTicker' | 'ln'>, expiresAt: number, frame: boolean): PaymentAction {
  if (kindOf(method) === 'redirect') return { type: 'redirect', url: confirmationUrl, frame };
  const qr = { payload: confirmationUrl, deepLink: confirmationUrl };
  // YooKassa's own page names the order: no order line.
  return qrInstructions({ ...payment, payFor: '' }, expiresAt, qr, method === 'sberbank' ? { wallet: 'SberPay', title: 'sberPayTitle', order: false } : { order: false });
}

/** Parsed `notifyIps` entries (addresses and CIDR ranges). Throws on an entry that is neither. */
export type IpRanges = readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

export function parseIpRanges(entries: readonly string[]): IpRanges {
  return entries.map((e) => {
    if (ipaddr.isValidCIDR(e)) return ipaddr.parseCIDR(e);
    if (ipaddr.isValid(e)) {
      const a = ipaddr.parse(e);
      return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    }
    throw new RangeError(`not an IP address or CIDR range: ${e}`);
  });
}

/** Whether an address (IPv4, IPv6 or IPv4-mapped IPv6) lies in one of the ranges. */
export function ipAllowed(address: string | undefined, ranges: IpRanges): boolean {
  if (!address) return false;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return false;
  }
  return ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
}
