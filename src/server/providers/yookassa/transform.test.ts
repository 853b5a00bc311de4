import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  actionFor, basicAuth, createPaymentBody, createRefundBody, cutDescription, errorReason, formatValue, fromYooKassaCurrency,
  ipAllowed, isOtherEvent, kindOf, METADATA_PAYMENT_ID, parseError, parseIpRanges, parseNotification, parsePayment, parsePaymentList,
  parseRefund, parseValue, retryAfterOf, toProviderStatus, toYooKassaCurrency, YOOKASSA_NOTIFY_IPS, type YkPayment,
} from './transform.ts';
import { yookassaConfigSchema } from './index.ts';

const PAYMENT = { id: 'pay_1', number: 7, merchantLogin: 'shop', amountMinor: 122400n, wayTicker: 'RUR' };
const YK_ID = '22e12f66-000f-5000-8000-18db351245c7';

test('amounts are strings with two decimals, from and to bigint minor units', () => {
  const cases: [bigint, string][] = [[122400n, '1224.00'], [1n, '0.01'], [10n, '0.10'], [100n, '1.00'], [12345678901234n, '123456789012.34'], [0n, '0.00']];
  for (const [minor, text] of cases) {
    assert.equal(formatValue(minor), text);
    assert.equal(parseValue(text), minor);
  }
  assert.equal(parseValue('2'), 200n);
  assert.equal(parseValue('2.5'), 250n);
  for (const bad of ['', '-1.00', '1.005', '1e3', ' 1.00', '1,00', 'abc', '.5']) assert.equal(parseValue(bad), null, bad);
  assert.throws(() => formatValue(-1n));
});

test('currencies map RUR to RUB at the edge and refuse what YooKassa does not take', () => {
  assert.equal(toYooKassaCurrency('RUR'), 'RUB');
  assert.equal(toYooKassaCurrency('USD'), 'USD');
  assert.equal(toYooKassaCurrency('TST'), null);
  assert.equal(fromYooKassaCurrency('RUB'), 'RUR');
  assert.equal(fromYooKassaCurrency('EUR'), 'EUR');
});

test('descriptions are cut to 128 characters without splitting a character', () => {
  assert.equal(cutDescription('a'.repeat(128)), 'a'.repeat(128));
  assert.equal(cutDescription('a'.repeat(200)).length, 128);
  const emoji = '😀'.repeat(130);
  assert.equal(Array.from(cutDescription(emoji)).length, 128);
  // `'😀'.repeat(3).slice(0, 5)` ends in half a pair: it is dropped, not sent.
  assert.equal(cutDescription('😀'.repeat(3).slice(0, 5)), '😀😀');
  assert.equal(cutDescription('Магазин: заказ 42'), 'Магазин: заказ 42');
});

test('the create body carries amount, capture, redirect confirmation, method, description and our payment id', () => {
  const r = createPaymentBody({ payment: PAYMENT, method: 'sbp', returnUrl: 'https://gw.example/return/pay_1', description: 'Shop: order 42' });
  assert.ok(r.ok);
  assert.deepEqual(r.body, {
    amount: { value: '1224.00', currency: 'RUB' },
    capture: true,
    confirmation: { type: 'redirect', return_url: 'https://gw.example/return/pay_1' },
    payment_method_data: { type: 'sbp' },
    description: 'Shop: order 42',
    metadata: { [METADATA_PAYMENT_ID]: 'pay_1', onpay_number: '7', onpay_merchant: 'shop' },
  });
  assert.deepEqual(createPaymentBody({ payment: { ...PAYMENT, wayTicker: 'TST' }, method: 'bank_card', returnUrl: 'https://x', description: '' }),
    { ok: false, reason: 'yookassa: currency TST is not supported' });
  assert.equal(createPaymentBody({ payment: PAYMENT, method: 'card', returnUrl: 'https://x', description: '' }).ok, false);
  assert.equal(createPaymentBody({ payment: { ...PAYMENT, amountMinor: 0n }, method: 'bank_card', returnUrl: 'https://x', description: '' }).ok, false);
});

test('the refund body', () => {
  assert.deepEqual(createRefundBody(YK_ID, 4000n, 'RUR', 'customer asked'), { payment_id: YK_ID, amount: { value: '40.00', currency: 'RUB' }, description: 'customer asked' });
  assert.deepEqual(createRefundBody(YK_ID, 4000n, 'RUR', ''), { payment_id: YK_ID, amount: { value: '40.00', currency: 'RUB' } });
  assert.equal(createRefundBody(YK_ID, 1n, 'TST', ''), null);
});

function yk(over: Partial<YkPayment> = {}): YkPayment {
  return { id: YK_ID, status: 'pending', paid: false, amount: { value: '1224.00', currency: 'RUB' }, metadata: { [METADATA_PAYMENT_ID]: 'pay_1' }, ...over };
}

test('YooKassa statuses become the contract states', () => {
  const cases: [Partial<YkPayment>, string, string][] = [
    [{ status: 'pending' }, 'pending', 'pending'],
    // A hold (issue 25): the money held, with its deadline when YooKassa gives one.
    [{ status: 'waiting_for_capture' }, 'authorized', 'waiting_for_capture'],
    [{ status: 'succeeded' }, 'paid', 'succeeded'],
    [{ status: 'succeeded', refunded_amount: { value: '0.00', currency: 'RUB' } }, 'paid', 'succeeded'],
    [{ status: 'succeeded', refunded_amount: { value: '100.00', currency: 'RUB' } }, 'partially_refunded', 'succeeded'],
    [{ status: 'succeeded', refunded_amount: { value: '1224.00', currency: 'RUB' } }, 'refunded', 'succeeded'],
    [{ status: 'canceled', cancellation_details: { party: 'payment_network', reason: 'insufficient_funds' } }, 'failed', 'canceled: insufficient_funds'],
    [{ status: 'canceled', cancellation_details: { party: 'yoo_money', reason: 'expired_on_confirmation' } }, 'expired', 'canceled: expired_on_confirmation'],
    [{ status: 'canceled' }, 'failed', 'canceled'],
  ];
  for (const [over, state, providerState] of cases) {
    const s = toProviderStatus(yk(over));
    assert.equal(s.state, state, JSON.stringify(over));
    assert.equal(s.providerState, providerState);
    assert.equal(s.amountMinor, 122400n);
    assert.equal(s.currency, 'RUR');
    assert.equal(s.providerPaymentId, YK_ID);
  }
  assert.equal(toProviderStatus(yk({ status: 'succeeded', refunded_amount: { value: '100.00', currency: 'RUB' } })).refundedMinor, 10000n);
  assert.equal(toProviderStatus(yk({ status: 'waiting_for_capture', expires_at: '2026-12-05T12:00:00.000Z' })).holdExpiresAt, Date.UTC(2026, 11, 5, 12));
});

test('answers are parsed strictly enough: garbage and other shapes are not payments', () => {
  const doc = JSON.stringify({
    id: YK_ID, status: 'pending', paid: false, amount: { value: '2.00', currency: 'RUB' },
    confirmation: { type: 'redirect', return_url: 'https://www.example.com/return_url', confirmation_url: 'https://yoomoney.ru/payments/external/confirmation?orderId=' + YK_ID },
    created_at: '2018-07-18T10:51:18.139Z', description: 'Заказ №72', metadata: {}, recipient: { account_id: '100500', gateway_id: '100700' }, refundable: false, test: false,
  });
  assert.equal(parsePayment(doc)?.confirmation?.confirmation_url, `https://yoomoney.ru/payments/external/confirmation?orderId=${YK_ID}`);
  for (const bad of ['', 'not json', '<html></html>', '{}', '{"id":"x","status":"paid","amount":{"value":"1.00","currency":"RUB"}}',
    '{"id":"x","status":"pending","amount":{"value":"1.005","currency":"RUB"}}', 'null', '[]']) {
    assert.equal(parsePayment(bad), null, bad);
  }
  assert.equal(parseRefund(JSON.stringify({ id: YK_ID, payment_id: YK_ID, status: 'succeeded', amount: { value: '2.00', currency: 'RUB' } }))?.status, 'succeeded');
  assert.equal(parseRefund('{"id":"x"}'), null);
  const list = parsePaymentList(JSON.stringify({ type: 'list', items: [JSON.parse(doc), { junk: true }], next_cursor: 'abc' }));
  assert.equal(list?.items.length, 1);
  assert.equal(list?.nextCursor, 'abc');
  assert.equal(parsePaymentList('{"items":[]}'), null);
});

test('a 202 answer\'s retry_after (milliseconds), or nothing', () => {
  assert.equal(retryAfterOf('{"type":"processing","description":"wait","retry_after":1800}'), 1800);
  for (const text of ['{"type":"processing"}', '{"retry_after":"1800"}', '{"retry_after":-1}', 'not json', '[]', 'null']) {
    assert.equal(retryAfterOf(text), undefined, text);
  }
});

test('the error object becomes the payment reason', () => {
  const e = parseError(JSON.stringify({ type: 'error', id: 'ab5a11cd-13cc-4e33-af8b-75a74e18dd09', code: 'invalid_request', description: 'Idempotence key duplicated', parameter: 'Idempotence-Key' }));
  assert.ok(e);
  assert.equal(errorReason(e, 400), 'yookassa 400 invalid_request: Idempotence key duplicated (parameter Idempotence-Key)');
  assert.equal(errorReason({ type: 'error', code: 'too_many_requests' }, 429), 'yookassa 429 too_many_requests');
  assert.equal(parseError('{"type":"notification"}'), null);
  assert.equal(parseError('<html>502</html>'), null);
});

test('notifications name only an event and a YooKassa payment id', () => {
  const cases: [unknown, ReturnType<typeof parseNotification>][] = [
    [{ type: 'notification', event: 'payment.succeeded', object: { id: YK_ID, status: 'succeeded' } }, { event: 'payment.succeeded', providerPaymentId: YK_ID }],
    [{ type: 'notification', event: 'payment.canceled', object: { id: YK_ID } }, { event: 'payment.canceled', providerPaymentId: YK_ID }],
    [{ type: 'notification', event: 'refund.succeeded', object: { id: '216749f7-0016-50be-b000-078d43a63ae4', payment_id: YK_ID } }, { event: 'refund.succeeded', providerPaymentId: YK_ID }],
    [{ type: 'notification', event: 'refund.succeeded', object: { id: YK_ID } }, null],
    [{ type: 'notification', event: 'payout.succeeded', object: { id: YK_ID } }, null],
    [{ type: 'notification', event: 'payment.succeeded', object: { id: '../../etc/passwd' } }, null],
    [{ type: 'error', event: 'payment.succeeded', object: { id: YK_ID } }, null],
    [{ event: 'payment.succeeded', object: { id: YK_ID } }, null],
    ['not json', null],
  ];
  for (const [body, expected] of cases) assert.deepEqual(parseNotification(typeof body === 'string' ? body : JSON.stringify(body)), expected, JSON.stringify(body));
  assert.equal(isOtherEvent(JSON.stringify({ type: 'notification', event: 'payout.succeeded', object: { id: 'po-1' } })), true);
  assert.equal(isOtherEvent(JSON.stringify({ type: 'notification', event: 'payment_method.active', object: { id: 'pm-1' } })), true);
  assert.equal(isOtherEvent(JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: 'x' } })), false);
  assert.equal(isOtherEvent('not json'), false);
});

test('the buyer action: a redirect for cards and YooMoney, a QR with a phone link for SBP', () => {
  const url = `https://yoomoney.ru/checkout/payments/v2/contract?orderId=${YK_ID}`;
  const expiresAt = Date.UTC(2026, 0, 1, 12);
  assert.deepEqual(actionFor('bank_card', url, { amountMinor: 122400n, wayTicker: 'RUR', ln: 'ru' }, expiresAt, false), { type: 'redirect', url, frame: false });
  assert.deepEqual(actionFor('sbp', url, { amountMinor: 122450n, wayTicker: 'RUR', ln: 'en' }, expiresAt, false), {
    type: 'instructions', title: 'Pay with SBP (Faster Payments)', amount: '1224.5', ticker: 'RUR', expiresAt: '2026-01-01T12:00:00.000Z', details: [],
    qr: { payload: url, deepLink: url },
  });
  assert.equal(kindOf('sbp'), 'instructions');
  assert.equal(kindOf('yoo_money'), 'redirect');
});

test('HTTP Basic with shopId and secretKey', () => {
  assert.equal(basicAuth('100500', 'test_secret'), `Basic ${Buffer.from('100500:test_secret').toString('base64')}`);
});

test('notifyIps: YooKassa\'s published ranges, IPv4-mapped IPv6 included', () => {
  const ranges = parseIpRanges(YOOKASSA_NOTIFY_IPS);
  const cases: [string | undefined, boolean][] = [
    ['185.71.76.1', true], ['185.71.76.31', true], ['185.71.76.32', false], ['185.71.77.10', true], ['77.75.153.127', true],
    ['77.75.153.128', false], ['77.75.156.11', true], ['77.75.156.12', false], ['77.75.154.200', true], ['2a02:5180::1', true],
    ['2a02:5181::1', false], ['::ffff:185.71.76.5', true], ['::ffff:127.0.0.1', false], ['127.0.0.1', false], ['not an ip', false], [undefined, false], ['', false],
  ];
  for (const [ip, allowed] of cases) assert.equal(ipAllowed(ip, ranges), allowed, String(ip));
  assert.throws(() => parseIpRanges(['10.0.0.0/33']));
  assert.equal(ipAllowed('127.0.0.1', parseIpRanges(['127.0.0.1'])), true);
  assert.equal(ipAllowed('::1', parseIpRanges(['127.0.0.1'])), false);
});

test('the configuration entry is strict, with apiUrl defaulted and notifyIps checked', () => {
  const ok = yookassaConfigSchema.parse({ id: 'yk', type: 'yookassa', shopId: '100500', secretKey: 's' });
  assert.equal(ok.apiUrl, 'https://api.yookassa.ru/v3');
  assert.equal(yookassaConfigSchema.parse({ id: 'yk', type: 'yookassa', shopId: '1', secretKey: 's', apiUrl: 'http://127.0.0.1:9/v3/' }).apiUrl, 'http://127.0.0.1:9/v3');
  assert.deepEqual(yookassaConfigSchema.parse({ id: 'yk', type: 'yookassa', shopId: '1', secretKey: 's', notifyIps: [...YOOKASSA_NOTIFY_IPS] }).notifyIps, [...YOOKASSA_NOTIFY_IPS]);
  for (const bad of [
    { id: 'yk', type: 'yookassa', shopId: '1' },
    { id: 'yk', type: 'yookassa', shopId: '1', secretKey: 's', extra: 1 },
    { id: 'yk', type: 'tbank', shopId: '1', secretKey: 's' },
    { id: 'yk', type: 'yookassa', shopId: '1', secretKey: 's', notifyIps: ['nope'] },
    { id: 'yk', type: 'yookassa', shopId: '1', secretKey: 's', apiUrl: 'not a url' },
  ]) assert.equal(yookassaConfigSchema.safeParse(bad).success, false, JSON.stringify(bad));
});
