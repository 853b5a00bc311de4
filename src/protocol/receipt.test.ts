/**
 * The receipt model's rules (issue 24): every refusal names its field as a path, sums are exact
 * whatever the items, and the link's base64url form round-trips.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  checkReceiptForPayment, decodeReceiptParam, defaultReceipt, encodeReceiptParam, lineAmountMinor, parseReceipt, receiptTotalMinor, withFeeItem,
  type Receipt, type ReceiptSettings,
} from './receipt.ts';
import { formatTwoDecimals } from './money.ts';

const item = { name: 'Чайник', price: '1200.00', quantity: '1', amount: '1200.00', vat: 'vat22', paymentMethod: 'full_payment', paymentObject: 'commodity' };
const good = { taxation: 'osn', customer: { email: 'buyer@example.ru' }, items: [item] };
const withItem = (i: number, patch: Record<string, unknown>) => ({ ...good, items: [...Array.from({ length: i }, () => item), { ...item, ...patch }] });

test('a valid receipt passes, its customer defaulting to none given', () => {
  const r = parseReceipt(good);
  assert.ok(r.ok);
  assert.equal(receiptTotalMinor(r.receipt), 120000n);
  const bare = parseReceipt({ taxation: 'usn_income', items: [item] });
  assert.ok(bare.ok);
  assert.deepEqual(bare.receipt.customer, {});
});

test('every refusal names its field as a path', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['withdrawn 20 %', withItem(2, { vat: 'vat20' }), 'receipt.items[2].vat', /no longer in force/],
    ['withdrawn 20/120', withItem(1, { vat: 'vat120' }), 'receipt.items[1].vat', /no longer in force/],
    ['unknown vat', withItem(0, { vat: 'vat18' }), 'receipt.items[0].vat', /must be one of/],
    ['price as a number', withItem(0, { price: 1200 }), 'receipt.items[0].price', /never a number/],
    ['price with 3 decimals', withItem(0, { price: '1200.001' }), 'receipt.items[0].price', /at most 2 decimals/],
    ['negative price', withItem(0, { price: '-1.00' }), 'receipt.items[0].price', /decimal string/],
    ['price with exponent', withItem(0, { price: '1e3' }), 'receipt.items[0].price', /decimal string/],
    ['quantity with 4 decimals', withItem(0, { quantity: '0.1255' }), 'receipt.items[0].quantity', /at most 3 decimals/],
    ['zero quantity', withItem(0, { quantity: '0' }), 'receipt.items[0].quantity', /above zero/],
    ['amount not price × quantity', withItem(1, { quantity: '2', amount: '1200.00' }), 'receipt.items[1].amount', /2400\.00/],
    ['name too long', withItem(0, { name: 'я'.repeat(129) }), 'receipt.items[0].name', /128/],
    ['empty name', withItem(0, { name: '' }), 'receipt.items[0].name', /required/],
    ['unknown payment method', withItem(0, { paymentMethod: 'cash' }), 'receipt.items[0].paymentMethod', /must be one of/],
    ['unknown payment object', withItem(0, { paymentObject: 'thing' }), 'receipt.items[0].paymentObject', /must be one of/],
    ['unknown item field', withItem(0, { colour: 'red' }), 'receipt.items[0].colour', /not a receipt field/],
    ['mark code under FFD 1.05', withItem(0, { markCode: '0104600...' }), 'receipt.items[0].markCode', /ffd 1.2/],
    ['measure under FFD 1.05', withItem(0, { measure: 'kilogram' }), 'receipt.items[0].measure', /ffd 1.2/],
    ['unknown taxation', { ...good, taxation: 'usn' }, 'receipt.taxation', /must be one of/],
    ['unknown ffd', { ...good, ffd: '1.1' }, 'receipt.ffd', /1.05 or 1.2/],
    ['no items', { ...good, items: [] }, 'receipt.items', /at least one/],
    ['bad e-mail', { ...good, customer: { email: 'nobody' } }, 'receipt.customer.email', /e-mail/],
    ['bad phone', { ...good, customer: { phone: '8 900' } }, 'receipt.customer.phone', /phone/],
    ['not an object', 'receipt', 'receipt', /.+/],
  ];
  for (const [what, value, field, message] of cases) {
    const r = parseReceipt(value);
    assert.ok(!r.ok, what);
    assert.equal(r.issue.field, field, what);
    assert.match(r.issue.message, message, what);
  }
});

test('FFD 1.2 takes measure and marking codes', () => {
  assert.ok(parseReceipt({ ...good, ffd: '1.2', items: [{ ...item, measure: 'piece', markCode: '010460043993125621JgXJ5.T' }] }).ok);
});

test('the receipt is held to its payment: roubles, the total, a contact', () => {
  const r = parseReceipt({ ...good, customer: {} });
  assert.ok(r.ok);
  const cases: [string, Parameters<typeof checkReceiptForPayment>[1], string, RegExp][] = [
    ['order in USD', { ticker: 'USD', priceMinor: 120000n, userEmail: 'a@b.ru' }, 'receipt', /RUR only/],
    ['paid in USD', { ticker: 'RUR', wayTicker: 'USD', priceMinor: 120000n, userEmail: 'a@b.ru' }, 'way', /RUR only/],
    ['sum differs', { ticker: 'RUR', priceMinor: 120001n, userEmail: 'a@b.ru' }, 'receipt.items', /1200\.00.*1200\.01/],
    ['no contact at all', { ticker: 'RUR', priceMinor: 120000n }, 'receipt.customer', /e-mail or a phone/],
  ];
  for (const [what, facts, field, message] of cases) {
    const c = checkReceiptForPayment(r.receipt, facts);
    assert.ok(!c.ok, what);
    assert.equal(c.issue.field, field, what);
    assert.match(c.issue.message, message, what);
  }
  const filled = checkReceiptForPayment(r.receipt, { ticker: 'RUR', wayTicker: 'RUR', priceMinor: 120000n, userEmail: 'buyer@shop.ru' });
  assert.ok(filled.ok);
  assert.deepEqual(filled.receipt.customer, { email: 'buyer@shop.ru' });
  // A contact the shop gave is kept over the buyer's.
  const kept = checkReceiptForPayment(parseReceipt(good).ok ? (parseReceipt(good) as { receipt: Receipt }).receipt : r.receipt, { ticker: 'RUR', priceMinor: 120000n, userEmail: 'x@y.ru' });
  assert.ok(kept.ok);
  assert.deepEqual(kept.receipt.customer, { email: 'buyer@example.ru' });
});

test('weighed items round price × quantity half up to kopecks', () => {
  assert.equal(lineAmountMinor('10.01', '0.333'), 333n); // 3.33333
  assert.equal(lineAmountMinor('0.05', '0.5'), 3n); // 0.025 → 0.03
  assert.equal(lineAmountMinor('1200.00', '1'), 120000n);
  assert.ok(parseReceipt(withItem(0, { price: '10.01', quantity: '0.333', amount: '3.33' })).ok);
});

const moneyText = fc.bigInt({ min: 0n, max: 10_000_000n }).map(formatTwoDecimals);
const quantityText = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }))
  .filter(([w, f]) => w + f > 0)
  .map(([w, f]) => (f === 0 ? String(w) : `${w}.${String(f).padStart(3, '0')}`));
const itemArb = fc.record({ price: moneyText, quantity: quantityText, name: fc.string({ minLength: 1, maxLength: 128, unit: fc.constantFrom('а', 'b', ' ', '7') }) })
  .map(({ price, quantity, name }) => ({ ...item, name, price, quantity, amount: formatTwoDecimals(lineAmountMinor(price, quantity)) }));

test('property: the items built by the rules always pass and sum exactly to their total', () => {
  fc.assert(fc.property(fc.array(itemArb, { minLength: 1, maxLength: 20 }), (items) => {
    const r = parseReceipt({ ...good, items });
    assert.ok(r.ok, r.ok ? '' : `${r.issue.field}: ${r.issue.message}`);
    const total = items.reduce((s, i) => s + BigInt(i.amount.replace('.', '')), 0n);
    assert.equal(receiptTotalMinor(r.receipt), total);
    assert.ok(checkReceiptForPayment(r.receipt, { ticker: 'RUR', wayTicker: 'RUR', priceMinor: total }).ok);
    // One kopeck off either way is refused, naming the items.
    const off = checkReceiptForPayment(r.receipt, { ticker: 'RUR', priceMinor: total + 1n });
    assert.ok(!off.ok && off.issue.field === 'receipt.items');
  }), { numRuns: 300 });
});

test('property: an amount other than price × quantity is refused, naming that item', () => {
  fc.assert(fc.property(fc.array(itemArb, { minLength: 1, maxLength: 5 }), fc.nat(), fc.bigInt({ min: 1n, max: 1000n }), (items, at, delta) => {
    const i = at % items.length;
    const broken = items.map((x, k) => (k === i ? { ...x, amount: formatTwoDecimals(lineAmountMinor(x.price, x.quantity) + delta) } : x));
    const r = parseReceipt({ ...good, items: broken });
    assert.ok(!r.ok);
    assert.equal(r.issue.field, `receipt.items[${i}].amount`);
  }), { numRuns: 200 });
});

test('property: the default receipt plus the fee item sums to price + fee', () => {
  const s: ReceiptSettings = { enabled: true, taxation: 'usn_income', vat: 'none', paymentObject: 'service', paymentMethod: 'full_payment', itemName: 'Оплата заказа {pay_for}', feeItemName: 'Комиссия', ffd: '1.05' };
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 9n }), (price, fee) => {
    const r = withFeeItem(defaultReceipt(s, '42', price), s, fee);
    assert.equal(receiptTotalMinor(r), price + fee);
    assert.equal(r.items.length, fee > 0n ? 2 : 1);
    assert.ok(parseReceipt(r).ok);
  }), { numRuns: 300 });
  assert.equal(defaultReceipt(s, '42', 100n).items[0]!.name, 'Оплата заказа 42');
});

test('the link form: base64url with optional padding round-trips; anything else is refused naming receipt', () => {
  const r = parseReceipt(good);
  assert.ok(r.ok);
  const text = encodeReceiptParam(r.receipt);
  assert.deepEqual(decodeReceiptParam(text), r);
  const padded = text.padEnd(Math.ceil(text.length / 4) * 4, '=');
  assert.ok(padded !== text || text.length % 4 === 0);
  assert.ok(decodeReceiptParam(padded).ok);
  for (const bad of ['not base64!', Buffer.from('{oops').toString('base64url'), Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url'), 'a']) {
    const d = decodeReceiptParam(bad);
    assert.ok(!d.ok);
    assert.equal(d.issue.field, 'receipt');
  }
  // Standard base64's + and / are not base64url.
  assert.ok(!decodeReceiptParam('ab+/').ok);
  // A rule broken inside is named by its path.
  const inner = decodeReceiptParam(Buffer.from(JSON.stringify(withItem(0, { vat: 'vat20' }))).toString('base64url'));
  assert.ok(!inner.ok && inner.issue.field === 'receipt.items[0].vat');
});
