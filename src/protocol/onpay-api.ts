/**
 * The Onpay merchant protocol (PROTOCOL.md §3) for API 1 (form-encoded request, XML answer) and
 * API 2 (JSON), written once for both ends: the gateway builds CHECK and PAY requests and judges
 * the answers; the merchant kit verifies the requests and builds the answers. Each signature
 * formula is one function here; the PAY is one type (`PayData`). Pure functions: no I/O, no clock.
 *
 * @example
 * const req = payRequest(payData, { apiType: 2, apiMethod: 'POST', secret: K }); // exact bytes
 * const verdict = judgePay(answerBody, payAnswerKey(payData, 2), K); // { kind: 'delivered' } | …
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RawNumber, stringifyWithRawNumbers } from './exact-json.ts';

/** Upper-case hex MD5 of the UTF-8 text. */
export const md5u = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();
/** Lower-case hex SHA-1 of the UTF-8 text. */
export const sha1 = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex');

/**
 * Constant-time comparison of two secrets or signatures. Both sides are hashed first, so the
 * comparison time depends on neither their content nor their length.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** Case-insensitive constant-time comparison of hex signatures. */
export const safeEqualHex = (a: string, b: string): boolean => safeEqual(a.toLowerCase(), b.toLowerCase());

/** The payment link signature `md5("pay_mode;price;ticker;pay_for;convert;K")` (lower-case hex). */
export function linkSignature(p: { payMode: string; price: string; ticker: string; payFor: string; convert: string }, key: string): string {
  return createHash('md5').update(`${p.payMode};${p.price};${p.ticker};${p.payFor};${p.convert};${key}`, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Notification data: everything either API type needs, in domain names.

/** What a CHECK tells the merchant. Amount texts are canonical. */
export interface CheckData {
  payFor: string;
  /** Order amount in the order's ticker; `0.0` in free mode. */
  orderAmount: string;
  orderTicker: string;
  mode: 'fix' | 'free';
  userEmail: string;
  userPhone: string;
  extraParams: Record<string, string>;
}

/** What a PAY tells the merchant. Amount texts are canonical. */
export interface PayData {
  payFor: string;
  /** The integer payment number (`onpay_id`, `payment.id`). */
  onpayId: number;
  orderAmount: string;
  orderTicker: string;
  /** What the buyer paid, in `paidTicker` (the way's currency). */
  paidAmount: string;
  paidTicker: string;
  /** What reaches the merchant's balance. */
  balanceAmount: string;
  balanceTicker: string;
  /** `paidTicker → balanceTicker`, decimal text. */
  rate: string;
  /** ISO 8601 with offset. */
  paidAt: string;
  userEmail: string;
  userPhone: string;
  note: string;
  extraParams: Record<string, string>;
  /**
   * The order's first paid payment, when this PAY is a duplicate (the order was paid already):
   * API 2 sends its number as `duplicate_of`, webhooks its id as `data.duplicateOf`; API 1 nothing.
   */
  duplicateOf?: { id: string; onpayId: number };
}

export type ApiType = 1 | 2;

/** An outgoing request body in exact bytes. */
export interface WireRequest {
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  body: string;
}

// ----- Signatures: each formula written once, for the gateway (sending, judging) and the kit
// (verifying, answering) alike. `onpayId` is the text as sent (a number writes as itself).

/** API 2 CHECK request: `sha1("check;pay_for;amount;way;mode;K")`. */
export const api2CheckSignature = (payFor: string, amount: string, way: string, mode: string, key: string): string =>
  sha1(`check;${payFor};${amount};${way};${mode};${key}`);

/** API 2 PAY request: `sha1("pay;pay_for;payment.amount;payment.way;balance.amount;balance.way;K")`. */
export const api2PaySignature = (
  payFor: string, paidAmount: string, paidTicker: string, balanceAmount: string, balanceTicker: string, key: string,
): string => sha1(`pay;${payFor};${paidAmount};${paidTicker};${balanceAmount};${balanceTicker};${key}`);

/** API 1 CHECK request: `md5u("check;pay_for;order_amount;order_currency;K")`. */
export const api1CheckMd5 = (payFor: string, orderAmount: string, ticker: string, key: string): string =>
  md5u(`check;${payFor};${orderAmount};${ticker};${key}`);

/** API 1 PAY request: `md5u("pay;pay_for;onpay_id;order_amount;order_currency;K")`. */
export const api1PayMd5 = (payFor: string, onpayId: number | string, orderAmount: string, ticker: string, key: string): string =>
  md5u(`pay;${payFor};${onpayId};${orderAmount};${ticker};${key}`);

// ----- API 2 (JSON) -----

export function api2CheckRequest(d: CheckData, key: string): WireRequest {
  const signature = api2CheckSignature(d.payFor, d.orderAmount, d.orderTicker, d.mode, key);
  const body = {
    type: 'check',
    pay_for: d.payFor,
    amount: new RawNumber(d.orderAmount),
    way: d.orderTicker,
    mode: d.mode,
    user_email: d.userEmail,
    user_phone: d.userPhone,
    ...d.extraParams,
    signature,
  };
  return { contentType: 'application/json', body: stringifyWithRawNumbers(body) };
}

export function api2PayRequest(d: PayData, key: string): WireRequest {
  const signature = api2PaySignature(d.payFor, d.paidAmount, d.paidTicker, d.balanceAmount, d.balanceTicker, key);
  const body = {
    type: 'pay',
    signature,
    pay_for: d.payFor,
    user: { email: d.userEmail, phone: d.userPhone, note: d.note },
    payment: {
      id: d.onpayId,
      date_time: d.paidAt,
      amount: new RawNumber(d.paidAmount),
      way: d.paidTicker,
      rate: new RawNumber(d.rate),
      release_at: null,
    },
    balance: { amount: new RawNumber(d.balanceAmount), way: d.balanceTicker },
    order: {
      from_amount: new RawNumber(d.paidAmount),
      from_way: d.paidTicker,
      to_amount: new RawNumber(d.balanceAmount),
      to_way: d.balanceTicker,
    },
    additional_params: d.extraParams,
    // Not signed: the signature's fields stay as the protocol has them, so existing modules verify it.
    ...(d.duplicateOf ? { duplicate_of: d.duplicateOf.onpayId } : {}),
  };
  return { contentType: 'application/json', body: stringifyWithRawNumbers(body) };
}

/** `sha1("type;status;pay_for;K")`, the API 2 answer signature. */
export const api2AnswerSignature = (type: 'check' | 'pay', status: boolean, payFor: string, key: string): string =>
  sha1(`${type};${status};${payFor};${key}`);

// ----- API 1 (form request, XML answer) -----

export function api1CheckFields(d: CheckData, key: string): Record<string, string> {
  return {
    type: 'check',
    pay_for: d.payFor,
    amount: d.orderAmount,
    order_amount: d.orderAmount,
    order_currency: d.orderTicker,
    user_email: d.userEmail,
    user_phone: d.userPhone,
    ...d.extraParams,
    md5: api1CheckMd5(d.payFor, d.orderAmount, d.orderTicker, key),
  };
}

export function api1PayFields(d: PayData, key: string): Record<string, string> {
  return {
    type: 'pay',
    onpay_id: String(d.onpayId),
    pay_for: d.payFor,
    amount: d.orderAmount,
    order_amount: d.orderAmount,
    order_currency: d.orderTicker,
    paid_amount: d.paidAmount,
    balance_amount: d.balanceAmount,
    balance_currency: d.balanceTicker,
    exchange_rate: d.rate,
    paymentDateTime: d.paidAt,
    user_email: d.userEmail,
    user_phone: d.userPhone,
    note: d.note,
    ...d.extraParams,
    md5: api1PayMd5(d.payFor, d.onpayId, d.orderAmount, d.orderTicker, key),
  };
}

export const formBody = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

/** How a merchant takes its notifications: the API type, API 1's method, and the key K. */
export interface MerchantApi {
  apiType: ApiType;
  apiMethod: 'POST' | 'GET';
  secret: string;
}

/** A request in the merchant's API type and method, in exact bytes (a GET sends `body` as the query). */
export interface ApiRequest extends WireRequest {
  method: 'POST' | 'GET';
}

/** The CHECK request in the merchant's API type and method. */
export function checkRequest(d: CheckData, m: MerchantApi): ApiRequest {
  if (m.apiType === 2) return { method: 'POST', ...api2CheckRequest(d, m.secret) };
  return { method: m.apiMethod, contentType: 'application/x-www-form-urlencoded', body: formBody(api1CheckFields(d, m.secret)) };
}

/** The PAY request in the merchant's API type and method. */
export function payRequest(d: PayData, m: MerchantApi): ApiRequest {
  if (m.apiType === 2) return { method: 'POST', ...api2PayRequest(d, m.secret) };
  return { method: m.apiMethod, contentType: 'application/x-www-form-urlencoded', body: formBody(api1PayFields(d, m.secret)) };
}

// ----- Answers, as the merchant writes them -----

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** An API 1 answer document: `<result>` with the fields in this order. */
export const api1AnswerXml = (fields: Record<string, string>): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<result>${Object.entries(fields).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('')}</result>`;

/** The API 1 answer to CHECK, signed. */
export const api1CheckAnswer = (payFor: string, orderAmount: string, ticker: string, code: string, comment: string, key: string): string =>
  api1AnswerXml({ code, pay_for: payFor, comment, md5: api1CheckAnswerMd5(payFor, orderAmount, ticker, code, key) });

/** The API 1 answer to PAY, signed; `order_id` is the merchant's order (here: `pay_for`). */
export function api1PayAnswer(
  a: { payFor: string; onpayId: string; orderId: string; orderAmount: string; ticker: string; code: string; comment: string }, key: string,
): string {
  const signedId = /^\d{1,15}$/.test(a.onpayId) ? Number(a.onpayId) : 0;
  return api1AnswerXml({
    code: a.code, comment: a.comment, onpay_id: a.onpayId, pay_for: a.payFor, order_id: a.orderId,
    md5: api1PayAnswerMd5(a.payFor, signedId, a.orderId, a.orderAmount, a.ticker, a.code, key),
  });
}

/** The API 2 answer body to CHECK or PAY, signed. */
export const api2Answer = (type: 'check' | 'pay', status: boolean, payFor: string, key: string, comment?: string): Record<string, unknown> =>
  ({ status, pay_for: payFor, ...(comment ? { comment } : {}), signature: api2AnswerSignature(type, status, payFor, key) });

/** `md5u("check;pay_for;order_amount;order_currency;code;K")`, the API 1 CHECK answer signature. */
export const api1CheckAnswerMd5 = (payFor: string, orderAmount: string, ticker: string, code: string, key: string): string =>
  md5u(`check;${payFor};${orderAmount};${ticker};${code};${key}`);

/** `md5u("pay;pay_for;onpay_id;order_id;order_amount;order_currency;code;K")`, the API 1 PAY answer signature. */
export const api1PayAnswerMd5 = (
  payFor: string, onpayId: number | string, orderId: string, orderAmount: string, ticker: string, code: string, key: string,
): string => md5u(`pay;${payFor};${onpayId};${orderId};${orderAmount};${ticker};${code};${key}`);

/**
 * The longest API 1 answer that is read at all (the gateway's HTTP client stops at the same size).
 * Reading is linear in the answer, but bounding it first keeps one shop's answer from costing every
 * other buyer time on the shared event loop.
 */
export const MAX_API1_ANSWER_CHARS = 64 * 1024;

/** ASCII-only lower-casing: keeps every index of the text (`toLowerCase` may lengthen some letters). */
const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
const isXmlSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/**
 * Reads `<tag>value</tag>` from a merchant's XML leniently (warnings, blank lines, CDATA): the first
 * `<tag>` or `<tag attr…>` and the first `</tag>` after it; `''` for `<tag/>`; `undefined` without the
 * tag. A single forward scan with `indexOf` (no regular expression): a hostile answer such as
 * `"<code " × 10,900` costs linear time, where the former pattern backtracked quadratically.
 * Answers over `MAX_API1_ANSWER_CHARS` are not read (`undefined`).
 */
export function xmlField(xml: string, tag: string): string | undefined {
  if (xml.length > MAX_API1_ANSWER_CHARS) return undefined;
  const text = asciiLower(xml);
  const name = tag.toLowerCase();
  const open = `<${name}`;
  const close = `</${name}>`;
  for (let at = text.indexOf(open); at >= 0; at = text.indexOf(open, at + open.length)) {
    const next = text[at + open.length];
    if (next === '>' || isXmlSpace(next)) {
      // The open tag ends at the first '>' after it; if there is none, no later tag can end either.
      const gt = text.indexOf('>', at + open.length);
      if (gt < 0) break;
      const end = text.indexOf(close, gt + 1);
      // No closing tag after this one means none after any later one: the value is absent.
      if (end < 0) break;
      return xmlText(xml.slice(gt + 1, end));
    }
  }
  // No element with a value: `<tag/>` or `<tag />` anywhere is an empty one. Each candidate's run of
  // spaces ends before the next '<', so this pass is linear too.
  for (let at = text.indexOf(open); at >= 0; at = text.indexOf(open, at + open.length)) {
    let i = at + open.length;
    while (isXmlSpace(text[i])) i++;
    if (text[i] === '/' && text[i + 1] === '>') return '';
  }
  return undefined;
}

/** An element's text: trimmed, CDATA unwrapped, the five XML entities decoded. */
function xmlText(raw: string): string {
  let v = raw.trim();
  if (v.startsWith('<![CDATA[') && v.endsWith(']]>') && v.length >= 12) v = v.slice(9, -3);
  return v.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

// ---------------------------------------------------------------------------------------------
// Verdicts on merchant answers

/** What a merchant's answer to CHECK means. */
export type CheckVerdict =
  /**
   * `receipt`: the answer's optional fiscal receipt (API 2), as JSON, not yet checked; `capture`:
   * its optional `"capture"` (`"auto"` | `"manual"`, issue 25), not yet checked.
   */
  | { kind: 'accepted'; receipt?: unknown; capture?: unknown }
  | { kind: 'declined'; comment: string }
  | { kind: 'failed'; reason: string };

/** What a merchant's answer to PAY means. `final` failures are not retried (API 1 code 3). */
export type PayVerdict =
  | { kind: 'delivered' }
  | { kind: 'failed'; reason: string; final: boolean };

const MAX_REASON = 200;
const clip = (s: string): string => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON)}…` : s);

/** Judges an API 2 answer body to CHECK or PAY (type given). */
function judgeApi2(type: 'check' | 'pay', body: string, payFor: string, key: string):
  { ok: true; status: boolean; comment: string; receipt?: unknown; capture?: unknown } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.trim());
  } catch {
    return { ok: false, reason: `unreadable answer: ${clip(body.trim())}` };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'answer is not a JSON object' };
  const o = parsed as Record<string, unknown>;
  const status = o.status === true || o.status === 'true' ? true : o.status === false || o.status === 'false' ? false : undefined;
  if (status === undefined) return { ok: false, reason: 'answer has no boolean status' };
  const signature = typeof o.signature === 'string' ? o.signature : '';
  if (!safeEqualHex(signature, api2AnswerSignature(type, status, payFor, key))) {
    return { ok: false, reason: 'bad answer signature' };
  }
  const comment = typeof o.comment === 'string' ? o.comment : '';
  return { ok: true, status, comment, ...(o.receipt !== undefined ? { receipt: o.receipt } : {}), ...(o.capture !== undefined ? { capture: o.capture } : {}) };
}

export function judgeCheckApi2(body: string, d: Pick<CheckData, 'payFor'>, key: string): CheckVerdict {
  const r = judgeApi2('check', body, d.payFor, key);
  if (!r.ok) return { kind: 'failed', reason: r.reason };
  if (!r.status) return { kind: 'declined', comment: r.comment };
  return { kind: 'accepted', ...(r.receipt !== undefined ? { receipt: r.receipt } : {}), ...(r.capture !== undefined ? { capture: r.capture } : {}) };
}

/**
 * What judging a PAY answer needs of the PAY that was sent: the API type and the fields the
 * answer's signature covers. The outbox keeps it beside the request.
 */
export interface PayAnswerKey {
  apiType: ApiType;
  payFor: string;
  onpayId: number;
  orderAmount: string;
  orderTicker: string;
}

/** The answer key of a PAY about to be sent in `apiType`. */
export const payAnswerKey = (d: PayData, apiType: ApiType): PayAnswerKey =>
  ({ apiType, payFor: d.payFor, onpayId: d.onpayId, orderAmount: d.orderAmount, orderTicker: d.orderTicker });

type AnswerFields = Pick<PayData, 'payFor' | 'onpayId' | 'orderAmount' | 'orderTicker'>;

/** Judges a merchant's answer to a PAY in the API type it was sent in. */
export const judgePay = (body: string, k: PayAnswerKey, key: string): PayVerdict =>
  (k.apiType === 2 ? judgePayApi2(body, k, key) : judgePayApi1(body, k, key));

export function judgePayApi2(body: string, d: Pick<PayData, 'payFor'>, key: string): PayVerdict {
  const r = judgeApi2('pay', body, d.payFor, key);
  if (!r.ok) return { kind: 'failed', reason: r.reason, final: false };
  return r.status ? { kind: 'delivered' } : { kind: 'failed', reason: 'status false', final: false };
}

function readApi1(body: string): { code: string; comment: string; md5: string } | { reason: string } {
  const code = xmlField(body, 'code');
  if (code === undefined || !/^\d+$/.test(code)) return { reason: `unreadable answer: ${clip(body.trim())}` };
  return { code, comment: xmlField(body, 'comment') ?? '', md5: xmlField(body, 'md5') ?? '' };
}

export function judgeCheckApi1(body: string, d: CheckData, key: string): CheckVerdict {
  const r = readApi1(body);
  if ('reason' in r) return { kind: 'failed', reason: r.reason };
  if (!safeEqualHex(r.md5, api1CheckAnswerMd5(d.payFor, d.orderAmount, d.orderTicker, r.code, key))) {
    return { kind: 'failed', reason: `bad answer signature (code ${r.code})` };
  }
  if (r.code === '0') return { kind: 'accepted' };
  if (r.code === '2') return { kind: 'declined', comment: r.comment };
  return { kind: 'failed', reason: `code ${r.code}${r.comment ? `: ${clip(r.comment)}` : ''}` };
}

export function judgePayApi1(body: string, d: AnswerFields, key: string): PayVerdict {
  const r = readApi1(body);
  if ('reason' in r) return { kind: 'failed', reason: r.reason, final: false };
  const orderId = xmlField(body, 'order_id') ?? '';
  if (!safeEqualHex(r.md5, api1PayAnswerMd5(d.payFor, d.onpayId, orderId, d.orderAmount, d.orderTicker, r.code, key))) {
    return { kind: 'failed', reason: `bad answer signature (code ${r.code})`, final: false };
  }
  if (r.code === '0') return { kind: 'delivered' };
  return { kind: 'failed', reason: `code ${r.code}${r.comment ? `: ${clip(r.comment)}` : ''}`, final: r.code === '3' };
}
