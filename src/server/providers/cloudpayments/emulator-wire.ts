/**
 * The CloudPayments emulator's own wire helpers: exact JSON in and out, decimal amounts, the
 * provider's date forms and the notification HMAC. Written apart from the connector's `transform.ts`
 * on purpose: the emulator is a second reading of the documentation, so a misreading in one cannot
 * hide in both (issue #23). Node built-ins and lossless-json only.
 */
import { createHmac } from 'node:crypto';
import { isLosslessNumber, parse as parseLossless, stringify as stringifyLossless, LosslessNumber } from 'lossless-json';

/** A parsed JSON value whose numbers are kept as their exact text (`LosslessNumber`). */
export type Json = null | boolean | string | LosslessNumber | Json[] | { [key: string]: Json };

/** Parses JSON keeping every number exact; `undefined` when the text is not JSON. */
export function readJson(text: string): Json | undefined {
  try {
    return parseLossless(text) as Json;
  } catch {
    return undefined;
  }
}

/** Writes JSON; `LosslessNumber` values keep their exact text (amounts as `1224.00`). */
export function writeJson(value: unknown): string {
  return stringifyLossless(value) ?? 'null';
}

/** A JSON number with exactly this text. */
export function num(text: string | number | bigint): LosslessNumber {
  return new LosslessNumber(String(text));
}

/** A request parameter as text: strings as they are, numbers by their exact text, booleans as `true`/`false`. */
export function scalar(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (isLosslessNumber(value)) return value.value;
  return undefined;
}

/**
 * Minor units as CloudPayments writes amounts, two decimals (`122400n` → `1224.00`).
 * @example amountText(5n) // '0.05'
 */
export function amountText(minor: bigint): string {
  return `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
}

/** An amount as a JSON number with two decimals. */
export function amountJson(minor: bigint): LosslessNumber {
  return num(amountText(minor));
}

/**
 * A request `Amount` (`10`, `10.5`, `"1224.00"`, `10.00000`) as minor units; `null` when it is not a
 * plain positive decimal with at most two significant decimals (the API takes amounts «up to 2
 * digits after the point»).
 */
export function readAmount(value: Json | undefined): bigint | null {
  const text = scalar(value);
  if (text === undefined) return null;
  const m = /^(\d{1,15})(?:\.(\d{1,10}))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? '';
  if (/[1-9]/.test(frac.slice(2))) return null;
  return BigInt(m[1]!) * 100n + BigInt(frac.slice(0, 2).padEnd(2, '0'));
}

/** `/Date(1401718880000)/`, the .NET form CloudPayments' models carry beside the ISO one. */
export function netDate(ms: number): string {
  return `/Date(${ms})/`;
}

/** `2014-08-09T11:49:41`, UTC without a zone, as the models' `…Iso` fields. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** `2014-08-09 11:49:41`, UTC, as the notifications' `DateTime`. */
export function notifyDate(ms: number): string {
  return isoDate(ms).replace('T', ' ');
}

/** base64(HMAC-SHA256(message, API Secret)), the value of `Content-HMAC` / `X-Content-HMAC`. */
export function hmacBase64(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('base64');
}

/** The Luhn check every card number passes. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Text safe inside HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
