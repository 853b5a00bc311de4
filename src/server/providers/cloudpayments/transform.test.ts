import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHECK_CODES,
  checkCode,
  classifyNotification,
  contentHmac,
  createOrderBody,
  formatCpAmount,
  fromCpCurrency,
  kindFromUrl,
  parseCpAmount,
  parseNotificationFields,
  readCreateAnswer,
  refundBody,
  statusFromFind,
  toCpCurrency,
  statusFromTransaction,
  tokenChargeBody,
  verifyHmac,
} from './transform.ts';
import { fakePayment } from './test-helpers.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

// Expected values computed independently with `printf %s "$body" | openssl dgst -sha256 -hmac "$key" -binary | base64`.
// The first row is the example of the page CloudPayments' «Notification Validation» links to for HMAC
// examples (key "secret", message "Message").
const HMAC_VECTORS: ReadonlyArray<[key: string, body: string, base64: string]> = [
  ['secret', 'Message', 'qnR8UCqJggD55PohusaBNviGoOJ67HC6Btry4qXLVZc='],
  ['test_api_secret', 'TransactionId=1001&Amount=1224.00&Currency=RUB&InvoiceId=pay_1&Status=Completed', '29fG2hDAdpiqVOQvBMTWCDLBNvg7DwULIGTROH0NrR0='],
  ['test_api_secret', '{"TransactionId":1001,"Amount":1224.00,"Currency":"RUB","InvoiceId":"pay_1","Status":"Completed"}', 'T4akuTDUV5S7hdCwzlXIrwLwJIsTaWb6zixumZ/+pn8='],
  // Content-HMAC (URL-encoded body as sent) and X-Content-HMAC (the same parameters decoded) differ.
  ['ключ', 'Description=%D0%9E%D0%BF%D0%BB%D0%B0%D1%82%D0%B0+%E2%84%961&Amount=10.00', 'liV7IJA0bs+nbF/BMEc8mVujtk8ezVT+sJxaOUhk2ao='],
  ['ключ', 'Description=Оплата №1&Amount=10.00', 'aUTR+ZGkeluVkdW8kw5x7CBVEZ+2QzxdkXUR5n4q4mU='],
  ['k', '', 'i7mQxAp9YcuXWXqUISUCW+UKyL63RDbjc1uYiTp/ZiA='],
];

test('Content-HMAC is base64(HMAC-SHA256(body, API secret)) for every vector', () => {
  for (const [key, body, expected] of HMAC_VECTORS) {
    assert.equal(contentHmac(key, utf8(body)), expected, body);
    assert.equal(verifyHmac(key, utf8(body), expected), true, body);
  }
});

test('a signature is refused when one byte of the body, the key or the signature differs', () => {
  for (const [key, body, expected] of HMAC_VECTORS) {
    const bytes = utf8(body);
    if (bytes.length > 0) {
      const altered = bytes.slice();
      altered[altered.length - 1] = altered[altered.length - 1]! ^ 1;
      assert.equal(verifyHmac(key, altered, expected), false);
    }
    assert.equal(verifyHmac(`${key}x`, bytes, expected), false);
    const flipped = (expected[0] === 'A' ? 'B' : 'A') + expected.slice(1);
    assert.equal(verifyHmac(key, bytes, flipped), false);
  }
});

test('a missing, empty, hex or truncated signature is refused', () => {
  const bytes = utf8('Message');
  for (const header of [null, undefined, '', ' ', 'aa747c502a898200f9e4fa21bac68136f886a0e27aec70ba06daf2e2a5cb5597', 'qnR8UCqJggD55PohusaBNviGoOJ67HC6Btry4qXLVZc', 'qnR8UCqJ']) {
    assert.equal(verifyHmac('secret', bytes, header), false, String(header));
  }
  assert.equal(verifyHmac('secret', bytes, ' qnR8UCqJggD55PohusaBNviGoOJ67HC6Btry4qXLVZc= '), true);
});

test('amounts go out with exactly two decimals and come back exactly', () => {
  const table: Array<[bigint, string]> = [[0n, '0.00'], [5n, '0.05'], [100n, '1.00'], [122400n, '1224.00'], [99999999999999n, '999999999999.99']];
  for (const [minor, textForm] of table) {
    assert.equal(formatCpAmount(minor), textForm);
    assert.equal(parseCpAmount(textForm), minor);
  }
  assert.equal(parseCpAmount('10.00000'), 1000n);
  assert.equal(parseCpAmount('10'), 1000n);
  assert.equal(parseCpAmount('10.5'), 1050n);
  for (const bad of ['10.005', '-1.00', '1e3', '', 'abc', '1,00', '0x10']) assert.equal(parseCpAmount(bad), null, bad);
});

test('RUR is RUB at CloudPayments, both ways', () => {
  assert.equal(toCpCurrency('RUR'), 'RUB');
  assert.equal(toCpCurrency('USD'), 'USD');
  assert.equal(fromCpCurrency('RUB'), 'RUR');
  assert.equal(fromCpCurrency('eur'), 'EUR');
});

test('orders/create carries the exact amount, RUB, our payment id and the return URLs', () => {
  const body = createOrderBody({ payment: fakePayment(), description: 'Shop: order-1', successUrl: 'https://gw/ok', failUrl: 'https://gw/fail' });
  assert.match(body, /"Amount":1224\.00,/);
  const parsed = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual(
    { Currency: parsed.Currency, InvoiceId: parsed.InvoiceId, Email: parsed.Email, SuccessRedirectUrl: parsed.SuccessRedirectUrl, FailRedirectUrl: parsed.FailRedirectUrl, SendEmail: parsed.SendEmail },
    { Currency: 'RUB', InvoiceId: 'pay_cp_1', Email: 'buyer@example.com', SuccessRedirectUrl: 'https://gw/ok', FailRedirectUrl: 'https://gw/fail', SendEmail: false },
  );
  assert.equal('RequireConfirmation' in parsed, false);
});

test('create answers: order, refusal with the message, and everything else unknown', () => {
  assert.deepEqual(readCreateAnswer(200, '{"Model":{"Id":"f2K8LV6reGE9WBFn","Number":61,"Url":"https://orders.cloudpayments.ru/d/f2K8LV6reGE9WBFn"},"Success":true}'), {
    kind: 'order',
    id: 'f2K8LV6reGE9WBFn',
    url: 'https://orders.cloudpayments.ru/d/f2K8LV6reGE9WBFn',
  });
  assert.deepEqual(readCreateAnswer(200, '{"Success":false,"Message":"Invalid Amount value"}'), { kind: 'refused', reason: 'cloudpayments: Invalid Amount value' });
  assert.equal(readCreateAnswer(401, '').kind, 'refused');
  for (const [status, body] of [[200, '<html>oops</html>'], [502, '<html>Bad Gateway</html>'], [200, 'garbage'], [500, '{"Success":false,"Message":"x"}'], [200, '{"Success":true}'], [200, '{"Success":true,"Model":{"Id":"x","Url":"javascript:alert(1)"}}']] as const) {
    assert.equal(readCreateAnswer(status, body).kind, 'unknown', body);
  }
});

test('which notification a body is, from the fields each type requires', () => {
  const common = 'TransactionId=1&Amount=10.00&Currency=RUB&InvoiceId=p&OperationType=Payment';
  const cases: Array<[string, string | null]> = [
    [`${common}&Status=Completed`, 'check'],
    [`${common}&Status=Completed&GatewayName=Test&TotalFee=0.00`, 'pay'],
    [`${common}&Status=Declined&Reason=InsufficientFunds&ReasonCode=5051`, 'fail'],
    ['TransactionId=2&PaymentTransactionId=1&Amount=1.00&OperationType=Refund&InvoiceId=p', 'refund'],
    ['Id=sc_1&Interval=Month&Period=1&Status=Active', 'recurrent'],
    ['hello=world', null],
  ];
  for (const [body, kind] of cases) assert.equal(classifyNotification(parseNotificationFields(body, 'application/x-www-form-urlencoded')!), kind, body);
  const json = parseNotificationFields('{"TransactionId":1,"Amount":10.00,"Currency":"RUB","InvoiceId":"p","Status":"Completed","TotalFee":0}', 'application/json')!;
  assert.equal(json.Amount, '10.00');
  assert.equal(classifyNotification(json), 'pay');
  assert.equal(parseNotificationFields('not json {', 'application/json'), null);
  assert.equal(parseNotificationFields('', null), null);
});

test('the kind in the registered URL is read from ?kind=', () => {
  assert.equal(kindFromUrl('https://gw/providers/cp/notify?kind=check'), 'check');
  assert.equal(kindFromUrl('/providers/cp/notify?kind=PAY'), 'pay');
  assert.equal(kindFromUrl('/providers/cp/notify?kind=bogus'), null);
  assert.equal(kindFromUrl('/providers/cp/notify'), 'absent');
  assert.equal(kindFromUrl(undefined), 'absent');
});

test('Check is accepted only for an awaiting payment of that amount and currency, in time', () => {
  const now = fakePayment().createdAt + 1000;
  const ok = { Amount: '1224.00', Currency: 'RUB' };
  const cases: Array<[string, Parameters<typeof checkCode>[0], Record<string, string>, number]> = [
    ['accepted', fakePayment(), ok, CHECK_CODES.ok],
    ['accepted with trailing zeros', fakePayment(), { Amount: '1224.00000', Currency: 'RUB' }, CHECK_CODES.ok],
    ['unknown invoice', undefined, ok, CHECK_CODES.unknownInvoice],
    ['other amount', fakePayment(), { Amount: '1224.01', Currency: 'RUB' }, CHECK_CODES.wrongAmount],
    ['unreadable amount', fakePayment(), { Amount: '1e3', Currency: 'RUB' }, CHECK_CODES.wrongAmount],
    ['other currency', fakePayment(), { Amount: '1224.00', Currency: 'USD' }, CHECK_CODES.wrongAmount],
    ['already paid', fakePayment({ status: 'paid' }), ok, CHECK_CODES.notAccepted],
    ['rejected', fakePayment({ status: 'rejected' }), ok, CHECK_CODES.notAccepted],
    ['declined before: a new attempt on the same page', fakePayment({ status: 'failed' }), ok, CHECK_CODES.ok],
    ['failed by hand', fakePayment({ status: 'failed', manual: true }), ok, CHECK_CODES.notAccepted],
    ['expired', fakePayment({ status: 'expired' }), ok, CHECK_CODES.expired],
    ['past its deadline', fakePayment({ expiresAt: now - 1 }), ok, CHECK_CODES.expired],
  ];
  for (const [name, payment, fields, code] of cases) assert.equal(checkCode(payment, fields, now), code, name);
});

test('payments/find: Completed is paid, Declined failed, Authorized pending, a refund operation refunded, not found', () => {
  const p = fakePayment();
  const find = (model: string, success = true) => statusFromFind(200, `{"Model":${model},"Success":${success},"Message":null}`, p);
  assert.deepEqual(find('{"TransactionId":504,"Amount":1224.00000,"Currency":"RUB","Status":"Completed","Type":0}'), {
    state: 'paid',
    providerPaymentId: '504',
    currency: 'RUR',
    amountMinor: 122400n,
    providerState: 'Completed',
  });
  assert.equal((find('{"TransactionId":504,"Amount":1224.00,"Currency":"RUB","Status":"Declined","ReasonCode":5051}', false) as { state: string }).state, 'failed');
  assert.equal((find('{"TransactionId":504,"Amount":1224.00,"Currency":"RUB","Status":"Authorized"}') as { state: string }).state, 'pending');
  assert.deepEqual(find('{"TransactionId":600,"Amount":1224.00,"Currency":"RUB","Status":"Completed","Type":1,"OriginalTransactionId":504}'), {
    state: 'refunded',
    providerPaymentId: '504',
    currency: 'RUR',
    refundedMinor: 122400n,
    providerState: 'Refund:Completed',
  });
  assert.equal((find('{"TransactionId":601,"Amount":100.00,"Currency":"RUB","Status":"Completed","Type":1,"OriginalTransactionId":504}') as { state: string }).state, 'partially_refunded');
  assert.deepEqual(statusFromFind(200, '{"Success":false,"Message":"Not found"}', p), { state: 'not_found', providerState: 'NotFound' });
  assert.equal(statusFromFind(502, '<html></html>', p).state, 'unreachable');
  assert.equal(statusFromFind(200, 'garbage', p).state, 'unreachable');
});

test('payments/refund carries the transaction id and the exact amount', () => {
  assert.equal(refundBody('504', 1050n), '{"TransactionId":504,"Amount":10.50}');
});

test('a paid transaction names its saved card only with an AccountId (issue 26); the charge body is the merchant\'s', () => {
  const payment = fakePayment({ id: 'pay_saved_0000000001', amountMinor: 12000n, wayTicker: 'RUR' });
  const model = { Status: 'Completed', Amount: '120.00', Currency: 'RUB', TransactionId: '77', Token: 'tk_0123456789abcdef0123456789abc', CardFirstSix: '424242', CardLastFour: '4242', CardExpDate: '12/30' };
  assert.equal(statusFromTransaction(model, payment).savedMethod, undefined, 'no AccountId: the token is not chargeable');
  assert.deepEqual(statusFromTransaction({ ...model, AccountId: 'c_x' }, payment).savedMethod, { token: 'tk_0123456789abcdef0123456789abc', first6: '424242', last4: '4242', expiry: '12/30' });
  assert.deepEqual(JSON.parse(tokenChargeBody({ payment, token: 'tk_1', accountId: 'c_x', description: 'Shop: sub' })), {
    Amount: 120, Currency: 'RUB', AccountId: 'c_x', Token: 'tk_1', TrInitiatorCode: 0, InvoiceId: 'pay_saved_0000000001', Description: 'Shop: sub',
  });
  assert.match(tokenChargeBody({ payment, token: 'tk_1', accountId: 'c_x', description: 'x' }), /"Amount":120\.00,/);
  // A returning buyer paying on the page is the cardholder initiating (issue 26).
  assert.equal(JSON.parse(tokenChargeBody({ payment, token: 'tk_1', accountId: 'c_x', description: 'x', initiator: 'buyer' })).TrInitiatorCode, 1);
});
