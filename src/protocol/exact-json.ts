/**
 * JSON with exact numbers, for every reader and writer of amounts on the wire (the Onpay API 2
 * bodies, the merchant kit, the connectors). An amount must never pass through a binary float:
 * numbers are read with their exact digits (lossless-json) and written with the exact text given.
 */
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';

/**
 * One JSON number written with exactly this text (`500.0` stays `500.0`, a 19-digit id stays whole).
 * A plain `{ raw }` object has the same shape, for writers that take it structurally (`flatJson`).
 */
export class RawNumber {
  constructor(readonly raw: string) {
    if (!/^-?\d+(\.\d+)?$/.test(raw)) throw new RangeError(`not a JSON number: ${raw}`);
  }
}

const RAW_MARK = '\u0001raw:';

/**
 * JSON.stringify that writes `RawNumber` values with their exact text, because the other side
 * hashes or reads the number as written (`500.0`, never `500`).
 * @example stringifyWithRawNumbers({ amount: new RawNumber('500.0') }) // '{"amount":500.0}'
 */
export function stringifyWithRawNumbers(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (v instanceof RawNumber ? `${RAW_MARK}${v.raw}` : v));
  return json.replace(/"\\u0001raw:(-?\d+(?:\.\d+)?)"/g, '$1');
}

/**
 * A flat JSON object whose `{ raw }` values are written as JSON numbers with their exact text;
 * undefined values are left out, as JSON.stringify does.
 * @example flatJson({ TransactionId: { raw: '504' }, Amount: { raw: '10.00' } }) // '{"TransactionId":504,"Amount":10.00}'
 */
export function flatJson(fields: Record<string, string | boolean | { readonly raw: string } | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = typeof value === 'object' ? value.raw : JSON.stringify(value);
    parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Reads one JSON object keeping every number's exact digits (numbers stay lossless-json numbers:
 * `numberText` reads them); undefined for anything but a JSON object.
 */
export function readJsonObject(text: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = parseLossless(text);
  } catch {
    return undefined;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isLosslessNumber(v) ? (v as Record<string, unknown>) : undefined;
}

/** The exact text of a number read by `readJsonObject`; undefined for anything else. */
export const numberText = (v: unknown): string | undefined => (isLosslessNumber(v) ? v.value : undefined);

/**
 * Parses any JSON keeping every number's exact text, then turns numbers into strings so amounts are
 * read as decimals. `undefined` when the text is not JSON.
 */
export function parseJsonExact(text: string): unknown {
  try {
    return numbersAsText(parseLossless(text));
  } catch {
    return undefined;
  }
}

function numbersAsText(value: unknown): unknown {
  if (isLosslessNumber(value)) return value.value;
  if (Array.isArray(value)) return value.map(numbersAsText);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = numbersAsText(v);
    return out;
  }
  return value;
}
