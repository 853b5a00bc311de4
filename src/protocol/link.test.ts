import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { elementAttributes, linkMd5Matches, linkQuery, parseLink, signLink, type ParsedLink } from './link.ts';

const parse = (q: string): ParsedLink => {
  const r = parseLink(new URLSearchParams(q));
  if (!r.ok) throw new Error(`${r.issues[0]!.field}: ${r.issues[0]!.message}`);
  return r.value;
};
const fieldOf = (q: string): string | undefined => {
  const r = parseLink(new URLSearchParams(q));
  if (r.ok) return undefined;
  assert.ok(r.issues.length > 0 && r.issues[0]!.message.length > 0);
  return r.issues[0]!.field;
};

test('defaults and canonical price', () => {
  const { link } = parse('price=100.50&pay_for=42');
  assert.deepEqual(link, {
    payMode: 'fix', price: '100.5', ticker: 'RUR', payFor: '42', convert: true, note: '', ln: 'ru', urlSuccess: '', urlFail: '',
    userEmail: '', userPhone: '', priceFinal: false, oneWay: '', extraParams: {},
  });
});

test('currency aliases: currency > ticker > to; RUB is RUR', () => {
  assert.equal(parse('price=1&pay_for=1&to=USD&ticker=EUR&currency=RUB').link.ticker, 'RUR');
  assert.equal(parse('price=1&pay_for=1&to=USD&ticker=EUR').link.ticker, 'EUR');
  assert.equal(parse('price=1&pay_for=1&to=usd').link.ticker, 'USD');
  assert.equal(fieldOf('price=1&pay_for=1&currency=XX'), 'currency');
});

test('_enc URLs take priority, in base64 or plain', () => {
  const enc = Buffer.from('https://shop.example/ok?a=1').toString('base64');
  const { link } = parse(`price=1&pay_for=1&url_success=https://x.example/&url_success_enc=${encodeURIComponent(enc)}&url_fail_enc=${encodeURIComponent('https://shop.example/fail')}`);
  assert.equal(link.urlSuccess, 'https://shop.example/ok?a=1');
  assert.equal(link.urlFail, 'https://shop.example/fail');
  assert.equal(fieldOf(`price=1&pay_for=1&url_fail_enc=${Buffer.from('javascript:alert(1)').toString('base64')}`), 'url_fail_enc');
  assert.equal(fieldOf('price=1&pay_for=1&url_success=javascript:alert(1)'), 'url_success');
});

test('extra params, price_final, one_way, free mode', () => {
  const { link } = parse('pay_mode=free&pay_for=9&onpay_ap_a1=w&onpay_ap_zz9=x&price_final=yes&one_way=crd&f=7');
  assert.deepEqual(link.extraParams, { onpay_ap_a1: 'w', onpay_ap_zz9: 'x' });
  assert.equal(link.priceFinal, true);
  assert.equal(link.oneWay, 'CRD');
  assert.equal(link.payMode, 'free');
  assert.equal(link.price, '0.0');
  assert.equal(fieldOf('price=1&pay_for=1&onpay_ap_BAD=1'), 'onpay_ap_BAD');
});

test('each bad parameter is named', () => {
  const cases: [string, string][] = [
    ['pay_for=1', 'price'], ['price=abc&pay_for=1', 'price'], ['price=0&pay_for=1', 'price'], ['price=1', 'pay_for'],
    ['price=1&pay_for=' + 'x'.repeat(101), 'pay_for'], ['price=1&pay_for=1&pay_mode=x', 'pay_mode'], ['price=1&pay_for=1&convert=maybe', 'convert'],
    ['price=1&pay_for=1&ln=d%3Ce', 'ln'], ['price=1&pay_for=1&user_email=nope', 'user_email'], ['price=1&pay_for=1&md5=zz', 'md5'],
    ['price=1&pay_for=1&price_final=perhaps', 'price_final'], ['price=1&pay_for=1&note=' + 'n'.repeat(256), 'note'],
    ['price=1&pay_for=a%00b', 'pay_for'], ['price=1&pay_for=1&one_way=toolong', 'one_way'],
  ];
  for (const [q, field] of cases) assert.equal(fieldOf(q), field, q);
});

test('link md5: canonical price, raw price text, case-insensitive', () => {
  assert.equal(linkMd5Matches(parse('pay_mode=fix&price=100&ticker=RUR&pay_for=123&md5=1206BE51154E8521F9A17344AB6FCA4D'), 'test'), true);
  // A module that hashed its raw price text "1500.00"
  const sig = createHash('md5').update('fix;1500.00;RUR;7;yes;test').digest('hex');
  assert.equal(linkMd5Matches(parse(`price=1500.00&pay_for=7&md5=${sig}`), 'test'), true);
  assert.equal(linkMd5Matches(parse('price=101&ticker=RUR&pay_for=123&md5=1206be51154e8521f9a17344ab6fca4d'), 'test'), false);
  assert.equal(linkMd5Matches(parse('price=100&ticker=RUR&pay_for=123'), 'test'), false);
});

test('the link vector of PROTOCOL.md §2 (K=test)', () => {
  const cases: [Parameters<typeof signLink>[0], string][] = [
    [{ payMode: 'fix', price: '100.0', ticker: 'RUR', payFor: '123', convert: true }, '1206be51154e8521f9a17344ab6fca4d'],
  ];
  for (const [link, md5] of cases) assert.equal(signLink(link, 'test'), md5);
});

test('price in minor units comes with the parsed link', () => {
  assert.equal(parse('price=100.50&pay_for=42').priceMinor, 10050n);
  assert.equal(parse('pay_mode=free&pay_for=42').priceMinor, 0n);
});

test('query and element attributes are written from the one table, and read back the same', () => {
  const { link } = parse('price=100.50&pay_for=42&note=n&ln=en&url_fail=https://s/f&price_final=yes&one_way=crd&onpay_ap_a1=w');
  const q = linkQuery({ ...link, md5: 'ab'.repeat(16) });
  assert.deepEqual(q, {
    pay_mode: 'fix', price: '100.5', ticker: 'RUR', pay_for: '42', convert: 'yes', md5: 'ab'.repeat(16), note: 'n', ln: 'en',
    url_fail: 'https://s/f', price_final: 'true', one_way: 'CRD', onpay_ap_a1: 'w',
  });
  assert.deepEqual(parse(new URLSearchParams(q).toString()).link, link);
  assert.deepEqual(elementAttributes('shop', link), {
    'merchant-login': 'shop', 'pay-mode': 'fix', price: '100.5', ticker: 'RUR', 'pay-for': '42', convert: 'yes', note: 'n', ln: 'en',
    'url-fail': 'https://s/f', 'price-final': 'true', 'one-way': 'CRD', params: 'onpay_ap_a1=w',
  });
});
