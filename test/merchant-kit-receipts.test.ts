/**
 * The merchant kit's side of fiscal receipts (issue 24): `signPaymentLink` adds `receipt` and
 * `ext_md5` (and the other extension parameters), and the CHECK handler can answer with a receipt
 * that the gateway's judge of the answer reads back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMerchantHandler, signPaymentLink, type Receipt } from '../src/merchant/index.ts';
import { api2CheckRequest, judgeCheckApi2 } from '../src/protocol/onpay-api.ts';
import { extMd5Matches, parseLink } from '../src/protocol/link.ts';

const receipt: Receipt = {
  taxation: 'usn_income', customer: { email: 'buyer@shop.example' },
  items: [{ name: 'Чайник', price: '100.00', quantity: '1', amount: '100.00', vat: 'none', paymentMethod: 'full_prepayment', paymentObject: 'commodity' }],
};
const base = { gateway: 'https://pay.example.com/', merchantLogin: 'shop', secret: 'K-secret', price: '100', payFor: '42' };

test('signPaymentLink adds ext_md5 whenever it adds an extension parameter, and the gateway\'s parser verifies it', () => {
  const plain = signPaymentLink(base);
  assert.equal(plain.query.ext_md5, undefined);
  assert.equal(plain.attributes['ext-md5'], undefined);
  const link = signPaymentLink({ ...base, receipt, customer: 'c-42', capture: 'manual', saveMethod: 'optional' });
  for (const name of ['receipt', 'customer', 'capture', 'save_method', 'ext_md5']) assert.ok(link.query[name], name);
  assert.equal(link.attributes.receipt, link.query.receipt);
  assert.equal(link.attributes['save-method'], 'optional');
  assert.equal(link.attributes['ext-md5'], link.query.ext_md5);
  const parsed = parseLink(new URL(link.url).searchParams);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.link.receipt, receipt);
  assert.equal(parsed.value.link.capture, 'manual');
  assert.equal(extMd5Matches(parsed.value.link, 'K-secret'), true);
  assert.equal(extMd5Matches(parsed.value.link, 'another'), false);
});

test('signPaymentLink refuses a receipt breaking the model\'s rules, naming its path', () => {
  const bad = { ...receipt, items: [{ ...receipt.items[0]!, amount: '99.00' }] };
  assert.throws(() => signPaymentLink({ ...base, receipt: bad }), /receipt\.items\[0\]\.amount/);
});

test('the CHECK handler answers API 2 with the receipt it is given, and the gateway reads it back', async () => {
  const handle = createMerchantHandler({ secret: 'k', onCheck: () => ({ accept: true, receipt }), onPay: () => {} });
  const req = api2CheckRequest({ payFor: '42', orderAmount: '100.0', orderTicker: 'RUR', mode: 'fix', userEmail: '', userPhone: '', extraParams: {} }, 'k');
  const res = await handle(new Request('http://shop/api', { method: 'POST', headers: { 'content-type': 'application/json' }, body: req.body }));
  const body = await res.text();
  assert.deepEqual(judgeCheckApi2(body, { payFor: '42' }, 'k'), { kind: 'accepted', receipt });
  // A plain acceptance carries none.
  const plain = createMerchantHandler({ secret: 'k', onCheck: () => true, onPay: () => {} });
  const res2 = await plain(new Request('http://shop/api', { method: 'POST', headers: { 'content-type': 'application/json' }, body: req.body }));
  assert.deepEqual(judgeCheckApi2(await res2.text(), { payFor: '42' }, 'k'), { kind: 'accepted' });
});
