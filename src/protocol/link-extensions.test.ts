/**
 * The signed extension parameters of the payment link (PROTOCOL.md §5): `ext_md5` over the ones
 * present, the receipt decoded and held to the order, written back as query and attributes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { elementAttributes, extMd5Matches, extSignature, linkQuery, parseLink } from './link.ts';
import { encodeReceiptParam, type Receipt } from './receipt.ts';

const K = 'test';
const receipt: Receipt = {
  taxation: 'usn_income', customer: {}, items: [
    { name: 'Чайник', price: '600.00', quantity: '2', amount: '1200.00', vat: 'vat22', paymentMethod: 'full_payment', paymentObject: 'commodity' },
  ],
};
const enc = encodeReceiptParam(receipt);
const base = 'price=1200&pay_for=42';
const parse = (q: string) => parseLink(new URLSearchParams(q));

test('the ext_md5 vector of PROTOCOL.md §5 (K=test)', () => {
  assert.equal(extSignature({ customer: 'c-42', capture: 'manual' }, K), 'faa16304425630856eb0f64635e27baf');
});

test('ext_md5 is over the percent-decoded values sorted by name, compared case-insensitively', () => {
  const sig = extSignature({ customer: 'клиент 7', receipt: enc }, K);
  const r = parse(`${base}&receipt=${enc}&customer=${encodeURIComponent('клиент-7')}&ext_md5=${sig.toUpperCase()}`);
  assert.ok(r.ok);
  // The decoded value is what is signed: the signature over 'клиент 7' does not cover 'клиент-7'.
  assert.equal(extMd5Matches(r.value.link, K), false);
  const good = parse(`${base}&customer=${encodeURIComponent('c-7')}&receipt=${enc}&ext_md5=${extSignature({ customer: 'c-7', receipt: enc }, K).toUpperCase()}`);
  assert.ok(good.ok);
  assert.equal(extMd5Matches(good.value.link, K), true);
  assert.equal(extMd5Matches(good.value.link, 'other'), false);
  assert.deepEqual(good.value.link.receipt, receipt);
  assert.equal(good.value.link.customer, 'c-7');
});

test('an extension parameter without ext_md5 is refused naming ext_md5; ext_md5 alone is ignored', () => {
  for (const q of [`receipt=${enc}`, 'customer=c-1', 'save_method=optional', 'capture=manual']) {
    const r = parse(`${base}&${q}`);
    assert.ok(!r.ok, q);
    assert.equal(r.issues[0]!.field, 'ext_md5', q);
  }
  const alone = parse(`${base}&ext_md5=${'a'.repeat(32)}`);
  assert.ok(alone.ok);
  assert.equal(alone.value.link.extensions, undefined);
  assert.equal(extMd5Matches(alone.value.link, K), true);
  // Empty values are absent (an element writing every attribute).
  const empty = parse(`${base}&receipt=&customer=&ext_md5=`);
  assert.ok(empty.ok);
  assert.equal(empty.value.link.extensions, undefined);
});

test('bad extension values are named; the receipt by its path', () => {
  const md5 = 'b'.repeat(32);
  const cases: [string, string][] = [
    ['customer=bell%07', 'customer'],
    [`customer=${'x'.repeat(65)}`, 'customer'],
    ['save_method=always', 'save_method'],
    ['capture=later', 'capture'],
    ['receipt=not+base64url!', 'receipt'],
    [`receipt=${encodeReceiptParam({ ...receipt, items: [{ ...receipt.items[0]!, vat: 'vat20' as 'vat22' }] })}`, 'receipt.items[0].vat'],
    [`receipt=${Buffer.from(JSON.stringify({ ...receipt, items: [{ ...receipt.items[0]!, price: 600 }] })).toString('base64url')}`, 'receipt.items[0].price'],
  ];
  for (const [q, field] of cases) {
    const r = parse(`${base}&${q}&ext_md5=${md5}`);
    assert.ok(!r.ok, q);
    assert.equal(r.issues[0]!.field, field, q);
  }
  const short = parse(`${base}&receipt=${enc}&ext_md5=abc`);
  assert.ok(!short.ok && short.issues[0]!.field === 'ext_md5');
});

test('the receipt is held to the order: its sum in fix mode, roubles only', () => {
  const sig = (r: string) => extSignature({ receipt: r }, K);
  const off = parse(`price=1200.01&pay_for=42&receipt=${enc}&ext_md5=${sig(enc)}`);
  assert.ok(!off.ok);
  assert.equal(off.issues[0]!.field, 'receipt.items');
  const usd = parse(`price=1200&ticker=USD&pay_for=42&receipt=${enc}&ext_md5=${sig(enc)}`);
  assert.ok(!usd.ok);
  assert.equal(usd.issues[0]!.field, 'receipt');
  // Free mode: the amount is typed later; the sum is checked when the payment is created.
  assert.ok(parse(`pay_mode=free&pay_for=42&receipt=${enc}&ext_md5=${sig(enc)}`).ok);
});

test('the extension parameters are written back in the query and as element attributes', () => {
  const ext_md5 = extSignature({ receipt: enc, capture: 'manual' }, K);
  const r = parse(`${base}&receipt=${enc}=&capture=manual&ext_md5=${ext_md5}`);
  // `=` padding is optional but signed as given.
  assert.ok(r.ok);
  const r2 = parse(`${base}&receipt=${enc}&capture=manual&ext_md5=${ext_md5}`);
  assert.ok(r2.ok);
  const q = linkQuery(r2.value.link);
  assert.equal(q.receipt, enc);
  assert.equal(q.capture, 'manual');
  assert.equal(q.ext_md5, ext_md5);
  const a = elementAttributes('shop', r2.value.link);
  assert.equal(a.receipt, enc);
  assert.equal(a['ext-md5'], ext_md5);
  // Read back, the same link.
  const again = parseLink(new URLSearchParams(q));
  assert.ok(again.ok);
  assert.deepEqual(again.value.link, r2.value.link);
});
