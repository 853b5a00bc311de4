import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  api1AnswerXml, api1CheckAnswer, api1CheckMd5, api1PayAnswer, api1PayMd5, api2Answer, api2CheckSignature, api2PaySignature,
  checkRequest, judgePay, payAnswerKey, payRequest,
  api1CheckAnswerMd5, api1CheckFields, api1PayAnswerMd5, api1PayFields, api2AnswerSignature, api2CheckRequest,
  api2PayRequest, judgeCheckApi1, judgeCheckApi2, judgePayApi1, judgePayApi2, linkSignature, md5u,
  safeEqual, sha1, xmlField, type CheckData, type PayData,
} from './onpay-api.ts';
import { RawNumber, stringifyWithRawNumbers } from './exact-json.ts';

describe('PROTOCOL.md test vectors (K=test)', () => {
  const vectors: [string, string, (s: string) => string][] = [
    ['fix;100.0;RUR;123;yes;test', '1206be51154e8521f9a17344ab6fca4d', (s) => md5u(s).toLowerCase()],
    ['check;55446;500.0;RUR;fix;test', '37eacbf65fa2982be8e2f82d1cb6aef23bf88aa0', sha1],
    ['check;true;55446;test', 'f6f250cd7d29ac9947ed97ddaeebb7934849d21e', sha1],
    ['pay;55446;102.0;USD;3378.39;RUR;test', '951e82110d1b796374ad3577f47e20a058c525dc', sha1],
    ['pay;true;55446;test', 'a25de68f9516e91ce8782b11abcd5801d7af20f4', sha1],
    ['check;123;100.0;RUR;test', 'F71F90E82A92C1C603A8C246D002925C', md5u],
    ['check;123;100.0;RUR;0;test', '0058B92D7B7E3C5227E8E1BDA720BEF5', md5u],
    ['pay;123;4567;100.0;RUR;test', 'EB5CDC8E4C2BB5F2D44AAC5D9A49A402', md5u],
    ['pay;123;4567;123;100.0;RUR;0;test', '464F86881E44A6B94E6FFBF9E2958117', md5u],
  ];
  for (const [input, expected, fn] of vectors) {
    test(`${input} → ${expected}`, () => assert.equal(fn(input), expected));
  }

  test('link signature is the PROTOCOL.md link vector', () => {
    assert.equal(linkSignature({ payMode: 'fix', price: '100.0', ticker: 'RUR', payFor: '123', convert: 'yes' }, 'test'), '1206be51154e8521f9a17344ab6fca4d');
  });
  test('answer signatures use the vectors', () => {
    assert.equal(api2AnswerSignature('check', true, '55446', 'test'), 'f6f250cd7d29ac9947ed97ddaeebb7934849d21e');
    assert.equal(api2AnswerSignature('pay', true, '55446', 'test'), 'a25de68f9516e91ce8782b11abcd5801d7af20f4');
    assert.equal(api1CheckAnswerMd5('123', '100.0', 'RUR', '0', 'test'), '0058B92D7B7E3C5227E8E1BDA720BEF5');
    assert.equal(api1PayAnswerMd5('123', 4567, '123', '100.0', 'RUR', '0', 'test'), '464F86881E44A6B94E6FFBF9E2958117');
  });
});

const check: CheckData = { payFor: '55446', orderAmount: '500.0', orderTicker: 'RUR', mode: 'fix', userEmail: 'a@b.ru', userPhone: '', extraParams: { onpay_ap_a1: 'w' } };
const pay: PayData = {
  payFor: '55446', onpayId: 7121064, orderAmount: '3378.39', orderTicker: 'RUR', paidAmount: '102.0', paidTicker: 'USD',
  balanceAmount: '3378.39', balanceTicker: 'RUR', rate: '33.121445', paidAt: '2013-12-05T12:07:09+04:00',
  userEmail: 'mail@mail.ru', userPhone: '9631478946', note: '', extraParams: { onpay_ap_a1: 'w' },
};

describe('API 2 requests', () => {
  test('CHECK body carries the amount as the JSON number 500.0 and the vector signature', () => {
    const r = api2CheckRequest(check, 'test');
    assert.match(r.body, /"amount":500\.0,/);
    const body = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(body.type, 'check');
    assert.equal(body.way, 'RUR');
    assert.equal(body.mode, 'fix');
    assert.equal(body.onpay_ap_a1, 'w');
    assert.equal(body.signature, '37eacbf65fa2982be8e2f82d1cb6aef23bf88aa0');
  });
  test('PAY body fills payment, balance and order consistently with the vector signature', () => {
    const r = api2PayRequest(pay, 'test');
    assert.match(r.body, /"payment":\{"id":7121064,"date_time":"2013-12-05T12:07:09\+04:00","amount":102\.0,"way":"USD","rate":33\.121445,"release_at":null\}/);
    assert.match(r.body, /"balance":\{"amount":3378\.39,"way":"RUR"\}/);
    assert.match(r.body, /"order":\{"from_amount":102\.0,"from_way":"USD","to_amount":3378\.39,"to_way":"RUR"\}/);
    const body = JSON.parse(r.body) as Record<string, any>;
    assert.equal(body.signature, '951e82110d1b796374ad3577f47e20a058c525dc');
    assert.deepEqual(body.user, { email: 'mail@mail.ru', phone: '9631478946', note: '' });
    assert.deepEqual(body.additional_params, { onpay_ap_a1: 'w' });
  });
  test('raw numbers survive nesting and strings that look like markers stay strings', () => {
    assert.equal(stringifyWithRawNumbers({ a: [new RawNumber('1.0')], b: 'raw:2' }), '{"a":[1.0],"b":"raw:2"}');
    assert.throws(() => new RawNumber('1e5'));
  });
});

describe('API 1 requests', () => {
  test('CHECK fields and md5', () => {
    const f = api1CheckFields({ ...check, payFor: '123', orderAmount: '100.0' }, 'test');
    assert.equal(f.md5, 'F71F90E82A92C1C603A8C246D002925C');
    assert.equal(f.amount, '100.0');
    assert.equal(f.order_amount, '100.0');
    assert.equal(f.order_currency, 'RUR');
    assert.equal(f.onpay_ap_a1, 'w');
  });
  test('PAY has every field, non-empty where merchants require, and the vector md5', () => {
    const f = api1PayFields({ ...pay, payFor: '123', onpayId: 4567, orderAmount: '100.0', orderTicker: 'RUR' }, 'test');
    assert.equal(f.md5, 'EB5CDC8E4C2BB5F2D44AAC5D9A49A402');
    for (const k of ['type', 'onpay_id', 'pay_for', 'amount', 'order_amount', 'order_currency', 'paid_amount', 'balance_amount', 'balance_currency', 'exchange_rate', 'paymentDateTime', 'user_email']) {
      assert.ok(f[k], `${k} is filled`);
    }
    assert.ok('user_phone' in f && 'note' in f);
  });
});

describe('answers', () => {
  const okCheck1 = `<?xml version="1.0" encoding="UTF-8"?>\n<result><code>0</code><pay_for>55446</pay_for><comment>OK</comment><md5>${api1CheckAnswerMd5('55446', '500.0', 'RUR', '0', 'test')}</md5></result>`;
  test('API 1 CHECK: code 0 with md5 accepted, even after PHP warnings and with a lower-case md5', () => {
    assert.deepEqual(judgeCheckApi1(okCheck1, check, 'test'), { kind: 'accepted' });
    assert.deepEqual(judgeCheckApi1(`\n\nWarning: something in x.php on line 3\n   ${okCheck1.toLowerCase().replace('<?xml', '<?xml')}`, check, 'test').kind, 'accepted');
  });
  test('API 1 CHECK: code 2 declined with comment; 3, 7, 10 and unknown codes fail; bad md5 fails', () => {
    const answer = (code: string, comment = 'x', md5 = api1CheckAnswerMd5('55446', '500.0', 'RUR', code, 'test')) =>
      `<result><code>${code}</code><comment>${comment}</comment><md5>${md5}</md5></result>`;
    assert.deepEqual(judgeCheckApi1(answer('2', 'Заказ отменён'), check, 'test'), { kind: 'declined', comment: 'Заказ отменён' });
    for (const code of ['3', '7', '10', '11']) assert.equal(judgeCheckApi1(answer(code), check, 'test').kind, 'failed', code);
    assert.equal(judgeCheckApi1(answer('0', 'OK', 'BAD'), check, 'test').kind, 'failed');
    assert.equal(judgeCheckApi1('<html>500</html>', check, 'test').kind, 'failed');
  });
  test('API 2 CHECK: status true/"true" accepted, false declined, bad signature and garbage fail', () => {
    const sig = (s: boolean) => api2AnswerSignature('check', s, '55446', 'test');
    assert.equal(judgeCheckApi2(JSON.stringify({ status: true, pay_for: '55446', signature: sig(true) }), check, 'test').kind, 'accepted');
    assert.equal(judgeCheckApi2(JSON.stringify({ status: 'true', pay_for: '55446', signature: sig(true).toUpperCase() }), check, 'test').kind, 'accepted');
    assert.deepEqual(judgeCheckApi2(JSON.stringify({ status: false, pay_for: '55446', signature: sig(false), comment: 'нет' }), check, 'test'), { kind: 'declined', comment: 'нет' });
    assert.equal(judgeCheckApi2(JSON.stringify({ status: true, signature: sig(false) }), check, 'test').kind, 'failed');
    assert.equal(judgeCheckApi2('not json', check, 'test').kind, 'failed');
    assert.equal(judgeCheckApi2('[]', check, 'test').kind, 'failed');
  });
  test('PAY verdicts: API 1 code 3 is final, other failures are retried', () => {
    const p = { ...pay, payFor: '123', onpayId: 4567, orderAmount: '100.0', orderTicker: 'RUR' };
    const a1 = (code: string, orderId = '123') => `<result><code>${code}</code><comment>c</comment><onpay_id>4567</onpay_id><pay_for>123</pay_for><order_id>${orderId}</order_id><md5>${api1PayAnswerMd5('123', 4567, orderId, '100.0', 'RUR', code, 'test')}</md5></result>`;
    assert.deepEqual(judgePayApi1(a1('0'), p, 'test'), { kind: 'delivered' });
    assert.deepEqual(judgePayApi1(a1('3'), p, 'test'), { kind: 'failed', reason: 'code 3: c', final: true });
    assert.deepEqual(judgePayApi1(a1('10'), p, 'test'), { kind: 'failed', reason: 'code 10: c', final: false });
    const noOrderId = `<result><code>0</code><md5>${api1PayAnswerMd5('123', 4567, '', '100.0', 'RUR', '0', 'test')}</md5></result>`;
    assert.deepEqual(judgePayApi1(noOrderId, p, 'test'), { kind: 'delivered' });
    const sig = api2AnswerSignature('pay', true, '55446', 'test');
    assert.deepEqual(judgePayApi2(JSON.stringify({ status: true, pay_for: '55446', signature: sig }), pay, 'test'), { kind: 'delivered' });
    assert.equal(judgePayApi2(JSON.stringify({ status: false, signature: api2AnswerSignature('pay', false, '55446', 'test') }), pay, 'test').kind, 'failed');
  });
  test('xmlField reads CDATA and entities, and tells a missing tag from an empty one', () => {
    assert.equal(xmlField('<r><comment><![CDATA[a<b]]></comment></r>', 'comment'), 'a<b');
    assert.equal(xmlField('<r><comment>a &amp; b</comment></r>', 'comment'), 'a & b');
    assert.equal(xmlField('<r><order_id/></r>', 'order_id'), '');
    assert.equal(xmlField('<r></r>', 'order_id'), undefined);
  });
  test('xmlField reads attributes, any case, warnings before the document, and <tag /> as empty', () => {
    assert.equal(xmlField('Warning: x in y.php\n\n<?xml version="1.0"?><RESULT><Code a="1">\n 0 \n</Code></RESULT>', 'code'), '0');
    assert.equal(xmlField('<r><code/><code>2</code></r>', 'code'), '2');
    assert.equal(xmlField('<r><codex>1</codex><code >3</code></r>', 'code'), '3');
    assert.equal(xmlField('<r><order_id  /></r>', 'order_id'), '');
    assert.equal(xmlField('<r><code>1</r>', 'code'), undefined);
    assert.equal(xmlField('<r><comment><![CDATA[]]></comment></r>', 'comment'), '');
  });
  test('a hostile 64 KB API 1 answer ("<code " × 10,900) is read in under 5 ms, and a larger one is not read', () => {
    const hostile = '<code '.repeat(10_900);
    assert.ok(hostile.length <= 64 * 1024);
    const d: CheckData = { payFor: '1', orderAmount: '100.0', orderTicker: 'RUR', mode: 'fix', userEmail: '', userPhone: '', extraParams: {} };
    const key = { apiType: 1 as const, payFor: '1', onpayId: 1, orderAmount: '100.0', orderTicker: 'RUR' };
    // Several shapes that made the former pattern backtrack: unclosed open tags, open tags without
    // '>', and a closing-tag prefix repeated.
    const bodies = [hostile, `${'<code>'.repeat(10_900)}`, `<code>${'</code'.repeat(10_900)}`, `${'<code\n'.repeat(10_000)}>`];
    // The fastest of many reads: a shared, loaded machine only ever adds time, so the minimum is the
    // parser's own cost (the former pattern took ≈ 800 ms on the first body, every time).
    const fastestMs = (body: string, reads = 30): number => {
      let best = Infinity;
      for (let i = 0; i < reads; i++) {
        const started = performance.now();
        assert.equal(i % 2 === 0 ? judgeCheckApi1(body, d, 'K').kind : judgePay(body, key, 'K').kind, 'failed');
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    for (const body of bodies) {
      const ms = fastestMs(body);
      assert.ok(ms < 5, `${JSON.stringify(body.slice(0, 12))}…: ${ms.toFixed(2)} ms per answer`);
    }
    // Linear, not quadratic: four times the hostile input costs about four times as much (sixteen
    // times for the former pattern). Bounded loosely, with a floor for timer resolution.
    const quarter = fastestMs('<code '.repeat(2_725), 60);
    const whole = fastestMs(hostile, 60);
    assert.ok(whole < Math.max(quarter, 0.05) * 10, `4× the input: ${quarter.toFixed(3)} → ${whole.toFixed(3)} ms`);
    const signed = api1CheckAnswer('1', '100.0', 'RUR', '0', '', 'K');
    assert.equal(judgeCheckApi1(signed, d, 'K').kind, 'accepted');
    assert.equal(judgeCheckApi1(signed + ' '.repeat(64 * 1024), d, 'K').kind, 'failed', 'an answer over 64 KiB is not read');
  });
  test('safeEqual compares exactly', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', ''), true);
  });
});

describe('each signature formula, as request and as verification (PROTOCOL.md vectors, K=test)', () => {
  const vectors: [string, () => string, string][] = [
    ['API 2 CHECK', () => api2CheckSignature('55446', '500.0', 'RUR', 'fix', 'test'), '37eacbf65fa2982be8e2f82d1cb6aef23bf88aa0'],
    ['API 2 PAY', () => api2PaySignature('55446', '102.0', 'USD', '3378.39', 'RUR', 'test'), '951e82110d1b796374ad3577f47e20a058c525dc'],
    ['API 1 CHECK', () => api1CheckMd5('123', '100.0', 'RUR', 'test'), 'F71F90E82A92C1C603A8C246D002925C'],
    ['API 1 PAY', () => api1PayMd5('123', 4567, '100.0', 'RUR', 'test'), 'EB5CDC8E4C2BB5F2D44AAC5D9A49A402'],
    ['API 1 PAY, onpay_id as sent', () => api1PayMd5('123', '4567', '100.0', 'RUR', 'test'), 'EB5CDC8E4C2BB5F2D44AAC5D9A49A402'],
  ];
  for (const [name, sign, expected] of vectors) test(`${name} → ${expected}`, () => assert.equal(sign(), expected));
});

describe('answers as merchants write them, judged by the gateway', () => {
  test('API 1 CHECK and PAY answers carry the vector md5 and are accepted', () => {
    const c = api1CheckAnswer('123', '100.0', 'RUR', '0', 'OK', 'test');
    assert.match(c, /<md5>0058B92D7B7E3C5227E8E1BDA720BEF5<\/md5>/);
    assert.deepEqual(judgeCheckApi1(c, { ...check, payFor: '123', orderAmount: '100.0', orderTicker: 'RUR' }, 'test'), { kind: 'accepted' });
    const p = api1PayAnswer({ payFor: '123', onpayId: '4567', orderId: '123', orderAmount: '100.0', ticker: 'RUR', code: '0', comment: 'OK' }, 'test');
    assert.match(p, /<md5>464F86881E44A6B94E6FFBF9E2958117<\/md5>/);
    const key = payAnswerKey({ ...pay, payFor: '123', onpayId: 4567, orderAmount: '100.0', orderTicker: 'RUR' }, 1);
    assert.deepEqual(judgePay(p, key, 'test'), { kind: 'delivered' });
    assert.equal(api1AnswerXml({ code: '3', comment: '<&>' }), '<?xml version="1.0" encoding="UTF-8"?>\n<result><code>3</code><comment>&lt;&amp;&gt;</comment></result>');
  });
  test('API 2 answers carry the vector signature and are accepted', () => {
    assert.deepEqual(api2Answer('check', true, '55446', 'test'), { status: true, pay_for: '55446', signature: 'f6f250cd7d29ac9947ed97ddaeebb7934849d21e' });
    const body = JSON.stringify(api2Answer('pay', true, '55446', 'test'));
    assert.deepEqual(judgePay(body, payAnswerKey(pay, 2), 'test'), { kind: 'delivered' });
    assert.deepEqual(judgePay(body, { ...payAnswerKey(pay, 2), payFor: 'other' }, 'test').kind, 'failed');
  });
  test('requests in the merchant\'s API type and method', () => {
    assert.deepEqual(checkRequest(check, { apiType: 2, apiMethod: 'GET', secret: 'test' }), { method: 'POST', ...api2CheckRequest(check, 'test') });
    const r = payRequest(pay, { apiType: 1, apiMethod: 'GET', secret: 'test' });
    assert.equal(r.method, 'GET');
    assert.equal(r.contentType, 'application/x-www-form-urlencoded');
    assert.equal(new URLSearchParams(r.body).get('onpay_id'), '7121064');
  });
});
