/**
 * Property tests for money (src/protocol/money.ts): the canonical amount text of PROTOCOL.md §1
 * against an independent string-based oracle, exact round trips, and conversions that round down by
 * less than one minor unit — all checked with bigint arithmetic, never floats.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalAmount, convert, feeOf, formatAmount, formatRate, MAX_AMOUNT_MINOR, parseAmount, parseRate, RATE_DECIMALS } from '../src/protocol/money.ts';

const NUM_RUNS = 2000;
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const minor = fc.bigInt({ min: 0n, max: MAX_AMOUNT_MINOR });

/**
 * The canonical form, by string manipulation only: whole part without leading zeros, the fraction
 * cut (not rounded) to 2 digits, trailing zeros dropped, at least one digit.
 */
function oracle(whole: string, frac: string): string {
  const w = whole.replace(/^0+(?=\d)/, '');
  const f = frac.slice(0, 2).replace(/0+$/, '');
  return `${w}.${f === '' ? '0' : f}`;
}

/** A decimal text as an exact fraction `num / 10^scale`. */
function exact(text: string): { num: bigint; scale: bigint } {
  const [w, f = ''] = text.trim().split(/[.,]/);
  return { num: BigInt(`${w}${f}` || '0'), scale: 10n ** BigInt(f.length) };
}

test('formatAmount writes the canonical form the string oracle writes', () => {
  fc.assert(fc.property(minor, (m) => {
    const s = m.toString().padStart(3, '0');
    assert.equal(formatAmount(m), oracle(s.slice(0, -2), s.slice(-2)));
  }), { numRuns: NUM_RUNS });
});

test('canonicalAmount of any decimal text is the oracle: rounded down to 2 decimals, trailing zeros dropped', () => {
  fc.assert(fc.property(digits(1, 13), fc.option(fc.tuple(fc.constantFrom('.', ','), digits(0, 12)), { nil: undefined }), (whole, tail) => {
    const text = tail ? `${whole}${tail[0]}${tail[1]}` : whole;
    assert.equal(canonicalAmount(text), oracle(whole, tail?.[1] ?? ''), text);
  }), { numRuns: NUM_RUNS });
});

test('parseAmount rounds down by less than one minor unit', () => {
  fc.assert(fc.property(digits(1, 13), digits(0, 12), (whole, frac) => {
    const text = frac === '' ? whole : `${whole}.${frac}`;
    const m = parseAmount(text);
    assert.notEqual(m, null, text);
    const { num, scale } = exact(text);
    // m/100 <= num/scale < (m+1)/100, in integers.
    assert.ok(m! * scale <= num * 100n, `${text} → ${m} is above the value`);
    assert.ok(num * 100n < (m! + 1n) * scale, `${text} → ${m} is more than a minor unit below`);
  }), { numRuns: NUM_RUNS });
});

test('parseAmount and formatAmount round-trip every amount exactly, up to the largest', () => {
  fc.assert(fc.property(minor, (m) => {
    assert.equal(parseAmount(formatAmount(m)), m);
    assert.equal(canonicalAmount(formatAmount(m)), formatAmount(m));
  }), { numRuns: NUM_RUNS });
  // Above 2^53, where a float would lose the last digits.
  for (const m of [MAX_AMOUNT_MINOR, MAX_AMOUNT_MINOR - 1n, 2n ** 53n + 1n, 9_007_199_254_740_993n]) {
    if (m <= MAX_AMOUNT_MINOR) assert.equal(parseAmount(formatAmount(m)), m);
  }
  assert.equal(parseAmount(formatAmount(MAX_AMOUNT_MINOR + 1n)), null);
});

test('parseAmount accepts only plain non-negative decimals, and nothing above the largest amount', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...'0123456789.,-+eE xX_'), maxLength: 20 })), (text) => {
    const m = parseAmount(text);
    if (m === null) return;
    assert.match(text.trim(), /^\d+([.,]\d*)?$/);
    assert.ok(m >= 0n && m <= MAX_AMOUNT_MINOR);
    const { num, scale } = exact(text);
    assert.ok(m * scale <= num * 100n && num * 100n < (m + 1n) * scale, text);
  }), { numRuns: NUM_RUNS });
});

/** Rates as the configuration writes them: up to 9 whole digits and 8 decimals, above zero. */
const rateText = fc.tuple(digits(1, 9), fc.option(digits(1, RATE_DECIMALS), { nil: undefined })).map(([w, f]) => (f ? `${w}.${f}` : w));
const rate = rateText.map((t) => ({ text: t, rate: parseRate(t) })).filter((r) => r.rate !== null).map((r) => ({ text: r.text, rate: r.rate! }));

test('parseRate holds the rate exactly as units / 10^8', () => {
  fc.assert(fc.property(rate, ({ text, rate: r }) => {
    const { num, scale } = exact(text);
    assert.equal(r * scale, num * 10n ** BigInt(RATE_DECIMALS));
  }), { numRuns: NUM_RUNS });
});

test('convert never exceeds the exact value and is within one minor unit below it', () => {
  fc.assert(fc.property(minor, rate, rate, (m, from, to) => {
    const out = convert(m, from.rate, to.rate);
    assert.equal(typeof out, 'bigint');
    // Exact value: m * from / to (rates in the same scale). out <= exact < out + 1.
    assert.ok(out * to.rate <= m * from.rate, `${m} ${from.text}→${to.text}: ${out} is above the exact value`);
    assert.ok(m * from.rate < (out + 1n) * to.rate, `${m} ${from.text}→${to.text}: ${out} is a minor unit or more below`);
  }), { numRuns: NUM_RUNS });
});

test('convert is exact far beyond float precision, and identity at equal rates', () => {
  fc.assert(fc.property(minor, rate, (m, r) => {
    assert.equal(convert(m, r.rate, r.rate), m);
  }), { numRuns: NUM_RUNS });
  // 10^15 minor at 999999999.99999999 → 1: a 32-digit intermediate, exact.
  const big = parseRate('999999999.99999999')!;
  assert.equal(convert(MAX_AMOUNT_MINOR, big, parseRate('1')!), 999_999_999_999_999_990_000_000n);
  assert.equal(convert(999_999_999_999_999n, parseRate('90.5')!, parseRate('98.25')!), 921_119_592_875_317n); // 921119592875317.30…
});

test('fees and the displayed rate round down by less than one unit of their last digit', () => {
  fc.assert(fc.property(minor, fc.integer({ min: 0, max: 5000 }), (m, bps) => {
    const fee = feeOf(m, bps);
    assert.ok(fee * 10_000n <= m * BigInt(bps) && m * BigInt(bps) < (fee + 1n) * 10_000n);
  }), { numRuns: NUM_RUNS });
  fc.assert(fc.property(rate, rate, (from, to) => {
    const text = formatRate(from.rate, to.rate);
    assert.match(text, /^\d+\.\d{1,6}$/);
    const { num, scale } = exact(text);
    // num/scale <= from/to < num/scale + 10^-6
    assert.ok(num * to.rate <= from.rate * scale, text);
    assert.ok(from.rate * 1_000_000n < (num * 1_000_000n / scale + 1n) * to.rate, text);
  }), { numRuns: NUM_RUNS });
});

test('no binary floating point on the money path', () => {
  const source = readFileSync(new URL('../src/protocol/money.ts', import.meta.url), 'utf8').replace(/\/\*\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  for (const banned of ['parseFloat', 'Number(', 'Math.', 'toFixed', 'toPrecision', '* 100)', '/ 100)']) {
    assert.ok(!source.includes(banned), `money.ts uses ${banned}`);
  }
  // Every exported computation answers bigints for bigint input.
  assert.equal(typeof parseAmount('1.23'), 'bigint');
  assert.equal(typeof convert(1n, 1n, 1n), 'bigint');
  assert.equal(typeof feeOf(1n, 1), 'bigint');
  assert.equal(typeof parseRate('1.5'), 'bigint');
});
