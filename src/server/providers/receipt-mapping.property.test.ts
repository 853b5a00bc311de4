/**
 * Property tests of the three providers' receipt mappings: for any receipt whose lines are exact
 * (`amount` = `price` × `quantity`), what each provider adds up — T-Bank's `Amount`s in kopecks,
 * YooKassa's unit `amount.value` × `quantity`, CloudPayments' `amount`s as written on the wire — is
 * the receipt's total to the kopeck, and the closing receipts' prepayment is that total too. All
 * checked with bigint arithmetic on the texts sent, never floats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatTwoDecimals } from '../../protocol/money.ts';
import { parseJsonExact, stringifyWithRawNumbers } from '../../protocol/exact-json.ts';
import type { Receipt, ReceiptItem } from '../../protocol/receipt.ts';
import { tbankReceipt } from './tbank/receipt.ts';
import { closingReceiptBody, yookassaReceipt } from './yookassa/receipt.ts';
import { cpCustomerReceipt } from './cloudpayments/receipt.ts';

const NUM_RUNS = 500;

/** Thousandths as a decimal text (`1250` → `1.25`). */
function milliText(milli: bigint): string {
  const whole = milli / 1000n;
  const frac = (milli % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}

/** A decimal text as thousandths. */
function toMilli(text: string): bigint {
  const [w, f = ''] = text.split('.');
  return BigInt(w!) * 1000n + BigInt(f.padEnd(3, '0').slice(0, 3));
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/**
 * A line whose amount is exactly price × quantity in kopecks: quantity in thousandths, the price a
 * multiple of what makes the product whole (1000 / gcd(quantity, 1000) kopecks).
 */
const line = fc.record({ k: fc.bigInt({ min: 1n, max: 50_000n }), qtyMilli: fc.bigInt({ min: 1n, max: 50_000n }) })
  .map(({ k, qtyMilli }): ReceiptItem => {
    const unit = k * (1000n / gcd(qtyMilli, 1000n));
    return {
      name: 'Товар', price: formatTwoDecimals(unit), quantity: milliText(qtyMilli), amount: formatTwoDecimals((unit * qtyMilli) / 1000n),
      vat: 'vat22', paymentMethod: 'full_prepayment', paymentObject: 'commodity',
    };
  });

const receiptArb = fc.record({ items: fc.array(line, { minLength: 1, maxLength: 8 }), ffd12: fc.boolean() }).map(({ items, ffd12 }): Receipt => ({
  taxation: 'osn', customer: { email: 'buyer@example.ru' }, ...(ffd12 ? { ffd: '1.2' as const } : {}), items,
}));

const totalOf = (r: Receipt): bigint => r.items.reduce((s, i) => s + toMilli(i.amount) / 10n, 0n);

test('every provider adds the mapped receipt up to its total, to the kopeck', () => {
  fc.assert(fc.property(receiptArb, (r) => {
    const total = totalOf(r);
    const tb = tbankReceipt(r).Items as { Amount: number; Price: number; Quantity: number }[];
    assert.equal(tb.reduce((s, i) => s + BigInt(i.Amount), 0n), total, 'T-Bank');
    const yk = JSON.parse(JSON.stringify(yookassaReceipt(r, 'RUB'))) as { items: { amount: { value: string }; quantity: string }[] };
    assert.equal(yk.items.reduce((s, i) => s + toMilli(i.amount.value) * toMilli(i.quantity), 0n), total * 10n * 1000n, 'YooKassa: unit × quantity');
    const cp = parseJsonExact(stringifyWithRawNumbers(cpCustomerReceipt(r))) as { Items: { amount: string }[] };
    assert.equal(cp.Items.reduce((s, i) => s + toMilli(i.amount) / 10n, 0n), total, 'CloudPayments');
    const yClose = closingReceiptBody('id', r, 'RUB') as { settlements: { amount: { value: string } }[] };
    assert.equal(toMilli(yClose.settlements[0]!.amount.value) / 10n, total, 'YooKassa settlement');
    assert.equal(BigInt((tbankReceipt(r, { closing: true }).Payments as { AdvancePayment: number }).AdvancePayment), total, 'T-Bank AdvancePayment');
    const cpClose = parseJsonExact(stringifyWithRawNumbers(cpCustomerReceipt(r, { closing: true }))) as { amounts: { advancePayment: string } };
    assert.equal(toMilli(cpClose.amounts.advancePayment) / 10n, total, 'CloudPayments advancePayment');
  }), { numRuns: NUM_RUNS });
});
