/**
 * Money without binary floats. Amounts are integer minor units (kopecks, cents) held in `bigint`;
 * the wire form is the canonical text of PROTOCOL.md §1: rounded down to 2 decimals, trailing zeros
 * dropped, at least one digit after the point (`100` → `100.0`, `100.1155` → `100.11`).
 */

/** Integer minor units (1/100 of the currency unit). */
export type Minor = bigint;

const AMOUNT_RE = /^(\d{1,15})(?:[.,](\d*))?$/;
/** The largest amount we accept: 10^13 units keeps every product below 2^63 with 8-decimal rates. */
export const MAX_AMOUNT_MINOR: Minor = 10n ** 15n;

/**
 * Parses a decimal amount text into minor units, rounding down to 2 decimals.
 * Returns `null` for anything that is not a plain non-negative decimal (no signs, exponents, spaces).
 * @example parseAmount('100.1155') // 10011n
 */
export function parseAmount(text: string): Minor | null {
  const m = AMOUNT_RE.exec(text.trim());
  if (!m) return null;
  const whole = BigInt(m[1]!);
  const frac = (m[2] ?? '').padEnd(2, '0').slice(0, 2);
  const minor = whole * 100n + BigInt(frac);
  return minor > MAX_AMOUNT_MINOR ? null : minor;
}

/**
 * Minor units with exactly two decimals: the amount text of providers' APIs (YooKassa's
 * `amount.value`, CloudPayments' `Amount`) and of the merchant kit's prices given as minor units.
 * @example formatTwoDecimals(122400n) // '1224.00'
 */
export function formatTwoDecimals(minor: Minor): string {
  if (minor < 0n) throw new RangeError('negative amount');
  return `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
}

/**
 * Writes minor units in the canonical protocol form.
 * @example formatAmount(10050n) // '100.5'
 */
export function formatAmount(minor: Minor): string {
  if (minor < 0n) throw new RangeError('negative amount');
  const whole = minor / 100n;
  const cents = minor % 100n;
  if (cents === 0n) return `${whole}.0`;
  const frac = cents.toString().padStart(2, '0').replace(/0$/, '');
  return `${whole}.${frac}`;
}

/** Canonical form of an amount text (`1500.00` → `1500.0`), or `null` when it is not an amount. */
export function canonicalAmount(text: string): string | null {
  const minor = parseAmount(text);
  return minor === null ? null : formatAmount(minor);
}

/** A positive decimal rate held exactly as `units / 10^RATE_SCALE`. */
export type Rate = bigint;
export const RATE_DECIMALS = 8;
const RATE_SCALE = 10n ** BigInt(RATE_DECIMALS);
const RATE_RE = /^(\d{1,9})(?:\.(\d{1,8}))?$/;

/** Parses a positive decimal rate (`"90.5"`, up to 8 decimals); `null` when invalid or zero. */
export function parseRate(text: string): Rate | null {
  const m = RATE_RE.exec(text.trim());
  if (!m) return null;
  const rate = BigInt(m[1]!) * RATE_SCALE + BigInt((m[2] ?? '').padEnd(RATE_DECIMALS, '0'));
  return rate > 0n ? rate : null;
}

/**
 * Converts an amount between currencies given each currency's rate against a common base
 * (roubles per unit), rounding down: `minor * fromRate / toRate`.
 */
export function convert(minor: Minor, fromRate: Rate, toRate: Rate): Minor {
  return (minor * fromRate) / toRate;
}

/** The exchange rate `from → to` as a decimal text with up to 6 decimals (rounded down). */
export function formatRate(fromRate: Rate, toRate: Rate): string {
  const scaled = (fromRate * 1_000_000n) / toRate;
  const whole = scaled / 1_000_000n;
  const frac = (scaled % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${whole}.${frac || '0'}`;
}

/** Basis points: 1 bp = 0.01 %. */
export type Bps = number;

/** The fee on an amount, rounded down. */
export function feeOf(minor: Minor, feeBps: Bps): Minor {
  return (minor * BigInt(feeBps)) / 10_000n;
}
