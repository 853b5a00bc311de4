import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildCancel, buildGetQr, buildGetState, buildInit, describeError, mapStatus, numericFromTicker, parseAnswer,
  parseNotification, pickOrderPayment, redirectDueDate, savedCardOf, signed, tbankToken, tickerFromNumeric, tokenMatches,
} from './transform.ts';

test('Token: the examples published by T-Bank', () => {
  const table: { name: string; fields: Record<string, unknown>; password: string; token: string }[] = [
    {
      // «Токен» section of the API reference (Init, DATA and Receipt left out).
      name: 'Init example, nested DATA and Receipt left out',
      fields: {
        TerminalKey: 'MerchantTerminalKey', Amount: 19200, OrderId: '21090', Description: 'Подарочная карта на 1000 рублей',
        DATA: { Phone: '+71234567890', Email: 'a@test.com' },
        Receipt: { Email: 'a@test.ru', Taxation: 'osn', Items: [{ Name: 'x', Price: 10000, Quantity: 1, Amount: 10000, Tax: 'vat10' }] },
      },
      password: 'usaf8fw8fsw21g',
      token: '0024a00af7c350a3a67ca168ce06502aa72772456662e38696d48b56ee9c97d9',
    },
    {
      name: 'Init example with Amount as text',
      fields: { TerminalKey: 'MerchantTerminalKey', Amount: '19200', OrderId: '21090', Description: 'Подарочная карта на 1000 рублей' },
      password: 'usaf8fw8fsw21g',
      token: '0024a00af7c350a3a67ca168ce06502aa72772456662e38696d48b56ee9c97d9',
    },
    {
      // The older «Подпись запроса» page (oplata.tinkoff.ru …/request_sign).
      name: 'TokenExample of the old signature page',
      fields: { TerminalKey: 'TinkoffBankTest', Amount: '100000', OrderId: 'TokenExample', Description: 'test' },
      password: '123456',
      token: '597c160c8c348fb14c63c820c54b712468923a74fd111ac6b0ecda01fb5f4716',
    },
  ];
  for (const row of table) assert.equal(tbankToken(row.fields, row.password), row.token, row.name);
});

test('Token: an existing Token is left out, booleans are true/false, nulls and arrays take no part', () => {
  const base = { TerminalKey: 'T', Amount: 100, OrderId: 'o1' };
  assert.equal(tbankToken({ ...base, Token: 'whatever', Shops: [{ a: 1 }], X: null }, 'p'), tbankToken(base, 'p'));
  // Success=true → "true" among the sorted values: Amount, OrderId, Password, Success, TerminalKey.
  const expected = tbankToken({ Amount: '100', OrderId: 'o1', Success: 'true', TerminalKey: 'T' }, 'p');
  assert.equal(tbankToken({ ...base, Success: true }, 'p'), expected);
  assert.notEqual(tbankToken({ ...base, Success: false }, 'p'), expected);
});

test('tokenMatches: right, wrong, upper case, missing, malformed', () => {
  const body = signed({ TerminalKey: 'T', PaymentId: '1' }, 'pw');
  assert.equal(tokenMatches(body, 'pw'), true);
  assert.equal(tokenMatches({ ...body, Token: body.Token.toUpperCase() }, 'pw'), true);
  assert.equal(tokenMatches(body, 'other'), false);
  assert.equal(tokenMatches({ ...body, PaymentId: '2' }, 'pw'), false);
  assert.equal(tokenMatches({ TerminalKey: 'T' }, 'pw'), false);
  assert.equal(tokenMatches({ ...body, Token: 'zz' }, 'pw'), false);
});

test('buildInit: kopecks as an integer, our id as OrderId, one-stage, URLs, language, token', () => {
  const c = { terminalKey: 'TK', password: 'pw' };
  const body = buildInit(c, {
    amountMinor: 12345n, orderId: 'pay_1', description: 'd'.repeat(200), successUrl: 'https://g/s', failUrl: 'https://g/f',
    notificationUrl: 'https://g/providers/tbank/notify', language: 'en', dueAt: Date.UTC(2030, 0, 2, 3, 4, 5),
  });
  assert.equal(body.Amount, 12345);
  assert.equal(body.OrderId, 'pay_1');
  assert.equal(body.PayType, 'O');
  assert.equal(body.Language, 'en');
  assert.equal((body.Description as string).length, 140);
  assert.equal(body.NotificationURL, 'https://g/providers/tbank/notify');
  assert.equal(body.SuccessURL, 'https://g/s');
  assert.equal(body.FailURL, 'https://g/f');
  assert.equal(body.RedirectDueDate, '2030-01-02T03:04:05+00:00');
  assert.equal(tokenMatches(body, 'pw'), true);
  assert.throws(() => buildInit(c, { amountMinor: 0n, orderId: 'x', description: '', successUrl: '', failUrl: '', notificationUrl: '', language: 'ru' }));
});

test('GetState, Cancel (full / partial), GetQr bodies', () => {
  const c = { terminalKey: 'TK', password: 'pw' };
  assert.deepEqual(Object.keys(buildGetState(c, '13660')).sort(), ['PaymentId', 'TerminalKey', 'Token']);
  const full = buildCancel(c, '13660');
  assert.equal('Amount' in full, false);
  const part = buildCancel(c, '13660', 5000n, 'r-1');
  assert.equal(part.Amount, 5000);
  assert.equal(part.ExternalRequestId, 'r-1');
  assert.equal(tokenMatches(part, 'pw'), true);
  const qr = buildGetQr(c, '10063');
  assert.equal(qr.DataType, 'PAYLOAD');
  assert.equal(tokenMatches(qr, 'pw'), true);
  assert.equal(redirectDueDate(0), '1970-01-01T00:00:00+00:00');
});

test('parseAnswer: success, error code, HTML, garbage, big ids kept exactly', () => {
  const ok = parseAnswer('{"Success":true,"ErrorCode":"0","TerminalKey":"TK","Status":"NEW","PaymentId":"13660","OrderId":"21050","Amount":140000,"PaymentURL":"https://securepay.tinkoff.ru/new/fU1ppgqa"}');
  assert.ok(ok.ok);
  assert.equal(ok.answer.PaymentId, '13660');
  assert.equal(ok.answer.Amount, 140000n);
  assert.equal(ok.answer.PaymentURL, 'https://securepay.tinkoff.ru/new/fU1ppgqa');
  const big = parseAnswer('{"Success":true,"ErrorCode":"0","PaymentId":123456789012345678901}');
  assert.ok(big.ok);
  assert.equal(big.answer.PaymentId, '123456789012345678901');
  const err = parseAnswer('{"Success":false,"ErrorCode":"204","Message":"Неверный токен","Details":"Проверьте пару TerminalKey/SecretKey"}');
  assert.ok(err.ok);
  assert.equal(err.answer.Success, false);
  assert.equal(describeError(err.answer), 'T-Bank error 204: Неверный токен: Проверьте пару TerminalKey/SecretKey');
  for (const text of ['<html><body>502 Bad Gateway</body></html>', 'garbage', '[]', '"x"', '{"ErrorCode":"0"}', '']) {
    assert.equal(parseAnswer(text).ok, false, text);
  }
  const order = parseAnswer('{"Success":true,"ErrorCode":"0","OrderId":"o","Payments":[{"PaymentId":"1","Status":"DEADLINE_EXPIRED","Amount":100},{"PaymentId":2,"Status":"CONFIRMED"}]}');
  assert.ok(order.ok);
  assert.deepEqual(order.answer.Payments, [{ PaymentId: '1', Status: 'DEADLINE_EXPIRED', Amount: 100n }, { PaymentId: '2', Status: 'CONFIRMED' }]);
});

test('mapStatus: the status model', () => {
  const table: [string, string | undefined][] = [
    ['CONFIRMED', 'paid'], ['REJECTED', 'failed'], ['AUTH_FAIL', 'failed'], ['CANCELED', 'failed'],
    ['DEADLINE_EXPIRED', 'expired'], ['EXPIRED', 'expired'], ['ATTEMPTS_EXPIRED', 'expired'],
    ['REFUNDED', 'refunded'], ['PARTIAL_REFUNDED', 'partially_refunded'], ['REFUNDING', 'paid'], ['ASYNC_REFUNDING', 'paid'],
    ['NEW', 'pending'], ['FORM_SHOWED', 'pending'], ['AUTHORIZING', 'pending'], ['3DS_CHECKING', 'pending'],
    ['3DS_CHECKED', 'pending'], ['CONFIRMING', 'pending'], ['AUTHORIZED', 'pending'],
    ['REVERSED', undefined], ['SOMETHING', undefined],
  ];
  for (const [status, state] of table) assert.equal(mapStatus(status), state, status);
});

test('pickOrderPayment: money first, then a live session, then the latest', () => {
  assert.equal(pickOrderPayment([{ PaymentId: '1', Status: 'NEW' }, { PaymentId: '2', Status: 'CONFIRMED' }])?.PaymentId, '2');
  assert.equal(pickOrderPayment([{ PaymentId: '1', Status: 'DEADLINE_EXPIRED' }, { PaymentId: '2', Status: 'FORM_SHOWED' }])?.PaymentId, '2');
  assert.equal(pickOrderPayment([{ PaymentId: '1', Status: 'REJECTED' }, { PaymentId: '2', Status: 'DEADLINE_EXPIRED' }])?.PaymentId, '2');
  assert.equal(pickOrderPayment([]), undefined);
});

test('parseNotification: good, bad token, other terminal, unreadable, not a payment', () => {
  const c = { terminalKey: 'TinkoffBankTest', password: 'TinkoffBankTest' };
  // The documentation's NotificationPayment example, re-signed with the test terminal's password.
  const fields = {
    TerminalKey: 'TinkoffBankTest', Amount: 100000, OrderId: '21050', Success: true, Status: 'CONFIRMED', PaymentId: 13660,
    ErrorCode: '0', RebillId: 3207469334, CardId: 10452089, Pan: '430000******0777', ExpDate: '0229',
    DATA: { Route: 'TCB', Source: 'Installment', CreditAmount: 10000 },
  };
  const good = JSON.stringify(signed(fields, c.password));
  const r = parseNotification(good, c);
  assert.ok(r.ok && r.notification);
  assert.deepEqual(r.notification, {
    TerminalKey: 'TinkoffBankTest', OrderId: '21050', PaymentId: '13660', Status: 'CONFIRMED', Success: true, ErrorCode: '0', Amount: 100000n,
    // The saved card (issue 26): RebillId and CardId as text, the mask and expiry as sent.
    RebillId: '3207469334', CardId: '10452089', Pan: '430000******0777', ExpDate: '0229',
  });
  assert.deepEqual(savedCardOf(r.notification), { token: '3207469334:10452089', first6: '430000', last4: '0777', expiry: '02/29' });
  assert.equal(savedCardOf({ CardId: '1' }), undefined, 'no RebillId: nothing saved for charges');
  const bad = JSON.stringify({ ...signed(fields, c.password), Amount: 1 });
  assert.deepEqual(parseNotification(bad, c), { ok: false, reason: 'bad_token', detail: 'Token does not match' });
  const other = JSON.stringify(signed({ ...fields, TerminalKey: 'Other' }, c.password));
  assert.equal((parseNotification(other, c) as { reason: string }).reason, 'wrong_terminal');
  for (const body of ['', 'OK', '{', '[1]', '{"Amount":1}']) {
    assert.equal((parseNotification(body, c) as { reason: string }).reason, 'unreadable', body);
  }
  const receipt = JSON.stringify(signed({ TerminalKey: 'TinkoffBankTest', Status: 'COMPLETED', Success: true, ErrorCode: '0', CustomerKey: 'k' }, c.password));
  const rr = parseNotification(receipt, c);
  assert.ok(rr.ok && rr.notification === null);
});

test('currency: RUR ↔ 643', () => {
  assert.equal(tickerFromNumeric('643'), 'RUR');
  assert.equal(tickerFromNumeric(643), 'RUR');
  assert.equal(tickerFromNumeric('840'), undefined);
  assert.equal(numericFromTicker('RUR'), '643');
  assert.equal(numericFromTicker('USD'), undefined);
});
