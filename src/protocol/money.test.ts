import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalAmount, convert, feeOf, formatAmount, formatRate, parseAmount, parseRate } from './money.ts';

test('canonical amounts of PROTOCOL.md §1', () => {
  const cases: [string, string][] = [['100', '100.0'], ['100.50', '100.5'], ['100.55', '100.55'], ['100.1155', '100.11'], ['0', '0.0'], ['1500.00', '1500.0'], ['0.01', '0.01'], ['0.10', '0.1'], ['7,5', '7.5'], ['100.', '100.0']];
  for (const [input, expected] of cases) {
    assert.equal(canonicalAmount(input), expected, input);
  }
});

test('rejects what is not a plain non-negative decimal', () => {
  for (const bad of ['', '-1', '+1', '1e3', '0x10', 'abc', '1.2.3', ' ', 'NaN', 'Infinity', '１００', '1 000', '10000000000000001']) {
    assert.equal(parseAmount(bad), null, JSON.stringify(bad));
  }
});

test('minor units are exact bigints', () => {
  assert.equal(parseAmount('123456789012.34'), 12345678901234n);
  assert.equal(formatAmount(12345678901234n), '123456789012.34');
  assert.equal(formatAmount(5n), '0.05');
  assert.throws(() => formatAmount(-1n));
});

test('conversion rounds down through exact rates', () => {
  const rur = parseRate('1')!;
  const usd = parseRate('90.5')!;
  assert.equal(convert(10000n, rur, usd), 110n); // 100 RUR = 1.1049… USD → 1.10
  assert.equal(convert(110n, usd, rur), 9955n); // 1.10 USD = 99.55 RUR
  assert.equal(formatRate(usd, rur), '90.5');
  assert.equal(formatRate(rur, usd), '0.011049');
  assert.equal(parseRate('0'), null);
  assert.equal(parseRate('1.123456789'), null);
});

test('fees round down', () => {
  assert.equal(feeOf(10000n, 200), 200n);
  assert.equal(feeOf(99n, 250), 2n);
  assert.equal(feeOf(10000n, 0), 0n);
});
