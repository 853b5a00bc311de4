/**
 * T-Bank Internet Acquiring API v2, the pure part: request signatures (`Token`), request bodies,
 * answers, statuses and notifications. No I/O here; `client.ts` sends what this builds.
 * The facts and the choices made where the documentation is silent are in README.md beside this file.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { numberText, readJsonObject } from '../../../protocol/exact-json.ts';
import type { ProviderStatus, SavedMethodReport } from '../contract.ts';
import type { FailureReason } from '../../../protocol/checkout-api.ts';

/** T-Bank takes roubles only; its numeric code is 643, our ticker `RUR`. */
export const TBANK_TICKER = 'RUR';
const NUMERIC_TO_TICKER: Record<string, string> = { '643': 'RUR' };

/** Our ticker for an ISO 4217 numeric code (`643` → `RUR`), or undefined. */
export function tickerFromNumeric(code: string | number): string | undefined {
  return NUMERIC_TO_TICKER[String(code)];
}

/** The numeric code for our ticker (`RUR` → `643`), or undefined. */
export function numericFromTicker(ticker: string): string | undefined {
  return Object.entries(NUMERIC_TO_TICKER).find(([, t]) => t === ticker)?.[0];
}

/** A value as it takes part in the token: root-level scalars only. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // A number read losslessly keeps the exact digits it arrived with.
  return numberText(v);
}

/**
 * The request signature: every root-level scalar field except `Token`, plus `Password`, sorted by
 * key, the values concatenated, SHA-256 over the UTF-8 bytes, lowercase hex. Nested objects and
 * arrays (`DATA`, `Receipt`, `Shops`) and nulls take no part; booleans are `true` / `false`.
 */
export function tbankToken(fields: Record<string, unknown>, password: string): string {
  const pairs: [string, string][] = [['Password', password]];
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'Token' || k === 'Password') continue;
    const text = scalarText(v);
    if (text !== undefined) pairs.push([k, text]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(pairs.map(([, v]) => v).join(''), 'utf8').digest('hex');
}

/** Whether `Token` in fields is the right one, compared in constant time. */
export function tokenMatches(fields: Record<string, unknown>, password: string): boolean {
  const given = fields.Token;
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{64}$/.test(given)) return false;
  const expected = Buffer.from(tbankToken(fields, password), 'hex');
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), expected);
}

/** Adds `Token` to a request body (a copy). */
export function signed<T extends Record<string, unknown>>(fields: T, password: string): T & { Token: string } {
  return { ...fields, Token: tbankToken(fields, password) };
}

export interface Credentials {
  terminalKey: string;
  password: string;
}

/** Kopecks as a JSON number; T-Bank's `Amount` is an integer number of kopecks. */
export function kopecks(minor: bigint): number {
  if (minor <= 0n || minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('amount out of range');
  return Number(minor);
}

/** `RedirectDueDate` in T-Bank's format (`YYYY-MM-DDTHH:MM:SS+00:00`, given in UTC). */
export function redirectDueDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export interface InitInput {
  amountMinor: bigint;
  /** Our payment id: unique per payment, the same on every retry. */
  orderId: string;
  description: string;
  successUrl: string;
  failUrl: string;
  notificationUrl: string;
  language: 'ru' | 'en';
  /** When the payment link (or the SBP QR) stops working, ms since the epoch. */
  dueAt?: number;
  /** Extra `DATA` pairs (key ≤ 20, value ≤ 100 characters, ≤ 20 pairs). */
  data?: Record<string, string>;
  /** T-Bank's `Receipt` object (receipt.ts): nested, so it takes no part in the `Token`. */
  receipt?: Record<string, unknown>;
  /** Saves the card for `Charge` (issue 26): `Recurrent: "Y"` with this `CustomerKey` (≤ 36 characters). */
  customerKey?: string;
  /** A hold (issue 25): two-stage, `PayType: "T"` (the money held at `AUTHORIZED`, taken by `Confirm`). */
  twoStage?: boolean;
}

/** The `Init` body: one-stage (`PayType: "O"`) or, for a hold, two-stage (`"T"`), signed. */
export function buildInit(c: Credentials, i: InitInput): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    TerminalKey: c.terminalKey,
    Amount: kopecks(i.amountMinor),
    OrderId: i.orderId,
    Description: i.description.slice(0, 140),
    PayType: i.twoStage ? 'T' : 'O',
    Language: i.language,
    NotificationURL: i.notificationUrl,
    SuccessURL: i.successUrl,
    FailURL: i.failUrl,
  };
  if (i.dueAt !== undefined) fields.RedirectDueDate = redirectDueDate(i.dueAt);
  if (i.data && Object.keys(i.data).length > 0) fields.DATA = i.data;
  if (i.receipt) fields.Receipt = i.receipt;
  // «Рекуррентный платеж»: the parent payment carries Recurrent "Y" and the customer's key; its paid
  // notification then names the card's RebillId.
  if (i.customerKey !== undefined) {
    fields.Recurrent = 'Y';
    fields.CustomerKey = i.customerKey;
  }
  return signed(fields, c.password);
}

/** The `Charge` body: the saved card's `RebillId` on a payment just made by `Init`, signed. */
export function buildCharge(c: Credentials, paymentId: string, rebillId: string): Record<string, unknown> {
  return signed({ TerminalKey: c.terminalKey, PaymentId: paymentId, RebillId: rebillId }, c.password);
}

/** The `RemoveCard` body: a customer's card by `CardId`, signed. */
export function buildRemoveCard(c: Credentials, customerKey: string, cardId: string): Record<string, unknown> {
  return signed({ TerminalKey: c.terminalKey, CustomerKey: customerKey, CardId: cardId }, c.password);
}

/**
 * Our token of a saved T-Bank card: `RebillId` (what `Charge` takes) and `CardId` (what `RemoveCard`
 * takes), both from the paid notification. Never shown.
 */
export const tbankSavedToken = (rebillId: string, cardId: string): string => `${rebillId}:${cardId}`;

/** The two ids of a saved card's token; undefined for anything else. */
export function readSavedToken(token: string): { rebillId: string; cardId: string } | undefined {
  const m = /^(\d{1,20}):(\d{1,20})$/.exec(token);
  return m ? { rebillId: m[1]!, cardId: m[2]! } : undefined;
}

/**
 * The saved card a paid notification names (`RebillId`, `CardId`, the masked `Pan`
 * `220138******0013`, `ExpDate` `MMYY`), or undefined when it names none.
 */
export function savedCardOf(n: Pick<TbankNotification, 'RebillId' | 'CardId' | 'Pan' | 'ExpDate'>): SavedMethodReport | undefined {
  if (!n.RebillId || !n.CardId) return undefined;
  const pan = n.Pan && /^(\d{6})[*\d]*?(\d{4})$/.exec(n.Pan);
  const exp = n.ExpDate && /^(\d{2})(\d{2})$/.exec(n.ExpDate);
  return {
    token: tbankSavedToken(n.RebillId, n.CardId),
    ...(pan ? { first6: pan[1]!, last4: pan[2]! } : {}),
    ...(exp ? { expiry: `${exp[1]}/${exp[2]}` } : {}),
  };
}

export function buildGetState(c: Credentials, paymentId: string): Record<string, unknown> {
  return signed({ TerminalKey: c.terminalKey, PaymentId: paymentId }, c.password);
}

/** `CheckOrder`: every payment session T-Bank holds for one `OrderId`. */
export function buildCheckOrder(c: Credentials, orderId: string): Record<string, unknown> {
  return signed({ TerminalKey: c.terminalKey, OrderId: orderId }, c.password);
}

/** `Cancel`: a full refund without `amountMinor`, a partial one with it; `receipt` is the refund receipt. */
export function buildCancel(c: Credentials, paymentId: string, amountMinor?: bigint, externalRequestId?: string, receipt?: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = { TerminalKey: c.terminalKey, PaymentId: paymentId };
  if (amountMinor !== undefined) fields.Amount = kopecks(amountMinor);
  if (externalRequestId) fields.ExternalRequestId = externalRequestId;
  if (receipt) fields.Receipt = receipt;
  return signed(fields, c.password);
}

/**
 * `Confirm` of a hold (`AUTHORIZED`): all of it without `amountMinor`, less with it («Сумма списания
 * может быть меньше или равна сумме авторизации»); `receipt` for what is taken.
 */
export function buildConfirm(c: Credentials, paymentId: string, amountMinor?: bigint, receipt?: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = { TerminalKey: c.terminalKey, PaymentId: paymentId };
  if (amountMinor !== undefined) fields.Amount = kopecks(amountMinor);
  if (receipt) fields.Receipt = receipt;
  return signed(fields, c.password);
}

const MSK_OFFSET_MS = 3 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/**
 * When a T-Bank hold lapses: «холдировать … до 7 дней, включая день авторизации» (NSPK rules, T-Bank's
 * T-Pay scenario page): the end of the seventh Moscow day counting the day of authorisation. T-Bank's
 * answers carry no deadline, so it is counted from when the gateway first learns of the hold.
 */
export function tbankHoldDeadline(authorizedAt: number): number {
  const dayStart = Math.floor((authorizedAt + MSK_OFFSET_MS) / DAY_MS) * DAY_MS - MSK_OFFSET_MS;
  return dayStart + 7 * DAY_MS;
}

/** `SendClosingReceipt` (the cashbox API): the closing receipt of a paid payment. */
export function buildSendClosingReceipt(c: Credentials, paymentId: string, receipt: Record<string, unknown>): Record<string, unknown> {
  return signed({ TerminalKey: c.terminalKey, PaymentId: paymentId, Receipt: receipt }, c.password);
}

/**
 * The cashbox API's base (`SendClosingReceipt`) beside the acquiring API's: T-Bank serves it at
 * `…/cashbox` where the acquiring API is `…/v2`.
 * @example cashboxUrl('https://securepay.tinkoff.ru/v2') // 'https://securepay.tinkoff.ru/cashbox'
 */
export function cashboxUrl(apiUrl: string): string {
  const base = apiUrl.replace(/\/+$/, '');
  return /\/v2$/.test(base) ? `${base.slice(0, -3)}/cashbox` : `${base}/cashbox`;
}

/** `GetQr` asking for the payload (the link to encode), not an SVG image. */
export function buildGetQr(c: Credentials, paymentId: string): Record<string, unknown> {
  return signed({ TerminalKey: c.terminalKey, PaymentId: paymentId, DataType: 'PAYLOAD' }, c.password);
}

/** One payment session of an order, as `CheckOrder` lists it. */
export interface OrderPayment {
  PaymentId: string;
  Status: string;
  Amount?: bigint;
}

/** The fields of a T-Bank answer that we read. */
export interface TbankAnswer {
  Success: boolean;
  ErrorCode: string;
  Message?: string;
  Details?: string;
  Status?: string;
  PaymentId?: string;
  OrderId?: string;
  PaymentURL?: string;
  Data?: string;
  Amount?: bigint;
  OriginalAmount?: bigint;
  NewAmount?: bigint;
  Payments?: OrderPayment[];
}

function idText(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  const exact = numberText(v);
  if (exact !== undefined) return exact;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function kopecksOf(v: unknown): bigint | undefined {
  const text = typeof v === 'string' ? v : numberText(v) ?? (typeof v === 'number' ? String(v) : undefined);
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  return BigInt(text);
}

function optText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Parses one answer of the API; a reason when it is not one (HTML, garbage, no `Success`). */
export function parseAnswer(text: string): { ok: true; answer: TbankAnswer } | { ok: false; reason: string } {
  const o = readJsonObject(text);
  if (!o) return { ok: false, reason: /^\s*</.test(text) ? 'answer is HTML, not JSON' : 'answer is not a JSON object' };
  if (typeof o.Success !== 'boolean') return { ok: false, reason: 'answer has no Success' };
  const errorCode = idText(o.ErrorCode) ?? (o.Success ? '0' : undefined);
  if (errorCode === undefined) return { ok: false, reason: 'answer has no ErrorCode' };
  const a: TbankAnswer = { Success: o.Success, ErrorCode: errorCode };
  const set = <K extends keyof TbankAnswer>(k: K, v: TbankAnswer[K] | undefined): void => {
    if (v !== undefined) a[k] = v;
  };
  set('Message', optText(o.Message));
  set('Details', optText(o.Details));
  set('Status', optText(o.Status));
  set('PaymentId', idText(o.PaymentId));
  set('OrderId', idText(o.OrderId));
  set('PaymentURL', optText(o.PaymentURL));
  set('Data', optText(o.Data));
  set('Amount', kopecksOf(o.Amount));
  set('OriginalAmount', kopecksOf(o.OriginalAmount));
  set('NewAmount', kopecksOf(o.NewAmount));
  if (Array.isArray(o.Payments)) {
    const list: OrderPayment[] = [];
    for (const p of o.Payments as unknown[]) {
      if (p === null || typeof p !== 'object') continue;
      const r = p as Record<string, unknown>;
      const id = idText(r.PaymentId);
      const status = optText(r.Status);
      if (!id || !status) continue;
      const amount = kopecksOf(r.Amount);
      list.push(amount === undefined ? { PaymentId: id, Status: status } : { PaymentId: id, Status: status, Amount: amount });
    }
    a.Payments = list;
  }
  return { ok: true, answer: a };
}

/** A refusal's text for the timeline: code, message, details. */
export function describeError(a: TbankAnswer): string {
  return [`T-Bank error ${a.ErrorCode}`, a.Message, a.Details && a.Details !== a.Message ? a.Details : undefined]
    .filter((s) => s !== undefined && s !== '' && s !== 'None')
    .join(': ');
}

/**
 * Our state for a T-Bank status; `undefined` for a status we do not know. `twoStage`: the payment
 * was created with `PayType: "T"` (a hold), so `AUTHORIZED` is money held for us to confirm.
 */
export function mapStatus(status: string, twoStage = false): ProviderStatus['state'] | undefined {
  switch (status) {
    // A hold (issue 25): AUTHORIZED is the money held; REVERSED its release (Cancel, or lapsed).
    case 'AUTHORIZED':
      return twoStage ? 'authorized' : 'pending';
    case 'REVERSED':
      return twoStage ? 'voided' : undefined;
    case 'CONFIRMED':
      return 'paid';
    // A refund in progress leaves the payment paid until T-Bank reports REFUNDED / PARTIAL_REFUNDED.
    case 'REFUNDING':
    case 'ASYNC_REFUNDING':
      return 'paid';
    case 'REFUNDED':
      return 'refunded';
    case 'PARTIAL_REFUNDED':
      return 'partially_refunded';
    case 'REJECTED':
    case 'AUTH_FAIL':
    case 'CANCELED':
      return 'failed';
    case 'DEADLINE_EXPIRED':
    case 'EXPIRED':
    case 'ATTEMPTS_EXPIRED':
      return 'expired';
    // A one-stage payment may pass through AUTHORIZED on its way to CONFIRMED (above): "not paid
    // yet". PARTIAL_REVERSED (a hold released in part) is not followed: the gateway never asks it.
    case 'NEW':
    case 'FORM_SHOWED':
    case 'AUTHORIZING':
    case '3DS_CHECKING':
    case '3DS_CHECKED':
    case 'CONFIRMING':
      return 'pending';
    default:
      return undefined;
  }
}

/**
 * The checkout's reason for a declined session, from T-Bank's ErrorCode («Коды ошибок»): 1051
 * insufficient funds; 101 3-D Secure authentication refused by the issuer; other non-zero codes
 * (1006, 1005, …): declined by the bank. Undefined for `0` (no error named).
 */
export function failureOfErrorCode(code: string): FailureReason | undefined {
  if (code === '' || code === '0') return undefined;
  if (code === '1051') return 'insufficient_funds';
  if (code === '101') return '3ds_failed';
  return 'declined';
}

/** Statuses after which nothing more happens to a session unless the merchant refunds. */
const LIVE = new Set(['NEW', 'FORM_SHOWED', 'AUTHORIZING', '3DS_CHECKING', '3DS_CHECKED', 'AUTHORIZED', 'CONFIRMING']);
const PAID = new Set(['CONFIRMED', 'REFUNDING', 'ASYNC_REFUNDING', 'REFUNDED', 'PARTIAL_REFUNDED']);

/**
 * What an order is, from all its sessions (`CheckOrder`): a retried `Init` with the same `OrderId`
 * opens another session, so one order may hold several. A session that took money wins; else a live
 * one (the buyer may still pay); else the latest.
 */
export function pickOrderPayment(payments: readonly OrderPayment[]): OrderPayment | undefined {
  return payments.find((p) => PAID.has(p.Status)) ?? payments.find((p) => LIVE.has(p.Status)) ?? payments[payments.length - 1];
}

/** A verified payment notification. */
export interface TbankNotification {
  TerminalKey: string;
  OrderId: string;
  PaymentId: string;
  Status: string;
  Success: boolean;
  ErrorCode: string;
  Amount: bigint | undefined;
  /** The saved card (issue 26): on AUTHORIZED / CONFIRMED of a `Recurrent` payment. */
  RebillId?: string;
  CardId?: string;
  /** The masked card number (`220138******0013`). */
  Pan?: string;
  ExpDate?: string;
}

export type NotificationParse =
  | { ok: true; notification: TbankNotification }
  /** Signed correctly, but not a payment status (card binding, receipt, …): answered OK, not applied. */
  | { ok: true; notification: null; reason: string }
  | { ok: false; reason: 'unreadable' | 'bad_token' | 'wrong_terminal'; detail: string };

/** Reads and verifies a notification body (JSON) for one terminal. */
export function parseNotification(body: string, c: Credentials): NotificationParse {
  const o = readJsonObject(body);
  if (!o) return { ok: false, reason: 'unreadable', detail: 'body is not a JSON object' };
  if (typeof o.Token !== 'string') return { ok: false, reason: 'unreadable', detail: 'no Token' };
  if (!tokenMatches(o, c.password)) return { ok: false, reason: 'bad_token', detail: 'Token does not match' };
  if (o.TerminalKey !== c.terminalKey) return { ok: false, reason: 'wrong_terminal', detail: 'TerminalKey is not this terminal' };
  const orderId = idText(o.OrderId);
  const paymentId = idText(o.PaymentId);
  const status = optText(o.Status);
  if (!orderId || !paymentId || !status) return { ok: true, notification: null, reason: 'not a payment notification' };
  return {
    ok: true,
    notification: {
      TerminalKey: c.terminalKey,
      OrderId: orderId,
      PaymentId: paymentId,
      Status: status,
      Success: o.Success === true,
      ErrorCode: idText(o.ErrorCode) ?? '0',
      Amount: kopecksOf(o.Amount),
      ...(idText(o.RebillId) ? { RebillId: idText(o.RebillId)! } : {}),
      ...(idText(o.CardId) ? { CardId: idText(o.CardId)! } : {}),
      ...(optText(o.Pan) ? { Pan: optText(o.Pan)! } : {}),
      ...(idText(o.ExpDate) ? { ExpDate: idText(o.ExpDate)! } : {}),
    },
  };
}

/** What T-Bank needs to hear to stop resending a notification. */
export const NOTIFICATION_OK = 'OK';
