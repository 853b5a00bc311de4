/**
 * The emulator on its own, spoken to as T-Bank's documentation describes (raw HTTP, no connector).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createManualScheduler, DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator } from './emulator.ts';
import { createTbankConnector } from './client.ts';
import { createProviderHttp } from '../http.ts';
import { signed, tokenMatches } from './transform.ts';

const T = DEFAULT_TERMINAL;
const clock = createManualScheduler();
let emu: TbankEmulator;

before(async () => {
  emu = await startTbankEmulator({ scheduler: clock });
});
after(() => emu.close());

async function call(method: string, fields: Record<string, unknown>, password = T.password): Promise<Record<string, unknown>> {
  const r = await fetch(`${emu.apiUrl}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed(fields, password)) });
  assert.equal(r.status, 200);
  return (await r.json()) as Record<string, unknown>;
}

test('Init: errors of the documentation, then a NEW payment with a PaymentURL', async () => {
  assert.equal((await call('Init', { TerminalKey: 'Nope', Amount: 1000, OrderId: 'a' })).ErrorCode, '501');
  assert.equal((await call('Init', { TerminalKey: T.terminalKey, Amount: 1000, OrderId: 'a' }, 'wrong')).ErrorCode, '204');
  assert.equal((await call('Init', { TerminalKey: T.terminalKey, OrderId: 'a' })).ErrorCode, '2');
  assert.equal((await call('Init', { TerminalKey: T.terminalKey, Amount: 1000, OrderId: 'x'.repeat(37) })).ErrorCode, '212');
  assert.equal((await call('Init', { TerminalKey: T.terminalKey, Amount: 50, OrderId: 'a' })).ErrorCode, '251');
  const ok = await call('Init', { TerminalKey: T.terminalKey, Amount: 1000, OrderId: 'emu-1', Description: 'd' });
  assert.equal(ok.Success, true);
  assert.equal(ok.ErrorCode, '0');
  assert.equal(ok.Status, 'NEW');
  assert.equal(typeof ok.PaymentId, 'string');
  assert.match(String(ok.PaymentURL), /\/new\//);
  const state = await call('GetState', { TerminalKey: T.terminalKey, PaymentId: ok.PaymentId });
  assert.equal(state.Status, 'NEW');
  assert.equal((await call('GetState', { TerminalKey: T.terminalKey, PaymentId: '1' })).ErrorCode, '255');
  assert.equal((await call('CheckOrder', { TerminalKey: T.terminalKey, OrderId: 'none' })).ErrorCode, '335');
  // Cancelling an unpaid session: CANCELED, Amount ignored; then nothing more to cancel.
  const cancel = await call('Cancel', { TerminalKey: T.terminalKey, PaymentId: ok.PaymentId, Amount: 10 });
  assert.equal(cancel.Status, 'CANCELED');
  assert.equal((await call('Cancel', { TerminalKey: T.terminalKey, PaymentId: ok.PaymentId })).ErrorCode, '8');
  assert.equal((await call('GetQr', { TerminalKey: T.terminalKey, PaymentId: ok.PaymentId, DataType: 'PAYLOAD' })).ErrorCode, '8');
});

test('notifications it sends carry a Token by the documented rule; dropped ones are recorded, not sent', async () => {
  const got: string[] = [];
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      got.push(b);
      res.end('OK');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/n`;
  const init = await call('Init', { TerminalKey: T.terminalKey, Amount: 1000, OrderId: 'emu-2', NotificationURL: url });
  await call('Cancel', { TerminalKey: T.terminalKey, PaymentId: init.PaymentId });
  await emu.idle();
  assert.equal(got.length, 1);
  const n = JSON.parse(got[0] as string) as Record<string, unknown>;
  assert.equal(n.Status, 'CANCELED');
  assert.equal(n.OrderId, 'emu-2');
  assert.equal(typeof n.PaymentId, 'number');
  assert.equal(tokenMatches(n, T.password), true);

  emu.dropNotifications = true;
  const init2 = await call('Init', { TerminalKey: T.terminalKey, Amount: 1000, OrderId: 'emu-3', NotificationURL: url });
  await call('Cancel', { TerminalKey: T.terminalKey, PaymentId: init2.PaymentId });
  await emu.idle();
  emu.dropNotifications = false;
  assert.equal(got.length, 1);
  assert.equal(emu.notifications.at(-1)?.state, 'dropped');
  await new Promise<void>((r) => server.close(() => r()));
});

test('the connector answers any notification body with a 4xx or OK, never applies an unsigned one (fuzz)', async () => {
  const connector = createTbankConnector({ id: 'tbank', type: 'tbank', ...T, apiUrl: emu.apiUrl }, { http: createProviderHttp(), now: clock.now, publicUrl: '', timeoutMs: 1000 });
  let applied = 0;
  const ctx = { payment: async () => undefined, apply: async () => { applied++; return 'unknown_payment' as const; } };
  await fc.assert(fc.asyncProperty(
    fc.oneof(fc.string(), fc.json(), fc.dictionary(fc.constantFrom('TerminalKey', 'OrderId', 'Status', 'PaymentId', 'Amount', 'Token', 'Success'), fc.jsonValue()).map((o) => JSON.stringify(o))),
    async (body) => {
      const a = await connector.handleNotification({ rawBody: Buffer.from(body), body, headers: new Headers(), remoteAddress: undefined }, ctx);
      assert.ok(a.status === 400 || a.status === 403, `${a.status} for ${body}`);
    },
  ), { numRuns: 300 });
  assert.equal(applied, 0);
});

/** A body as PHP's `http_build_query` writes it (T-Bank's older `TinkoffMerchantAPI` class). */
function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

test('T-Bank\'s own PHP class: form-encoded, string Amount, posted to /v2/Init/ with a trailing slash', async () => {
  const fields = { TerminalKey: T.terminalKey, Amount: '15000', OrderId: 'php-1', Description: 'Заказ' };
  const token = signed(fields, T.password).Token;
  // Nested keys (DATA[…]) take no part in the token, as for JSON.
  const body = `${formBody({ ...fields, Token: token })}&DATA%5BEmail%5D=a%40example.com`;
  const r = await fetch(`${emu.apiUrl}/Init/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  assert.equal(r.status, 200);
  const a = (await r.json()) as Record<string, unknown>;
  assert.equal(a.ErrorCode, '0', JSON.stringify(a));
  assert.equal(a.Amount, 15000);
  // GetState through the trailing-slash URL too; a JSON string Amount is taken as well.
  const s = await fetch(`${emu.apiUrl}/GetState/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed({ TerminalKey: T.terminalKey, PaymentId: a.PaymentId }, T.password)) });
  assert.equal(((await s.json()) as Record<string, unknown>).Status, 'NEW');
  assert.equal((await call('Init', { TerminalKey: T.terminalKey, Amount: '15000', OrderId: 'json-string-amount' })).ErrorCode, '0');
  assert.equal((await call('Init', { TerminalKey: T.terminalKey, Amount: '150.00', OrderId: 'bad-amount' })).ErrorCode, '251');
  // A wrong token in a form body is still a wrong token; a body that is neither JSON nor a form is 9999.
  const forged = await fetch(`${emu.apiUrl}/Init`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formBody({ ...fields, Amount: '1', Token: token }) });
  assert.equal(((await forged.json()) as Record<string, unknown>).ErrorCode, '204');
  const junk = await fetch(`${emu.apiUrl}/Init`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Amount=1' });
  assert.equal(((await junk.json()) as Record<string, unknown>).ErrorCode, '9999');
});

test('a hold lapses after 7 days, the day of authorisation included (Moscow time): REVERSED, Confirm refused', async () => {
  const kept = await call('Init', { TerminalKey: T.terminalKey, Amount: 5000, OrderId: 'hold-kept', PayType: 'T' });
  const lapsed = await call('Init', { TerminalKey: T.terminalKey, Amount: 5000, OrderId: 'hold-lapsed', PayType: 'T' });
  assert.equal(emu.pay(String(kept.PaymentId)), true);
  assert.equal(emu.pay(String(lapsed.PaymentId)), true);
  assert.equal(emu.payment(String(kept.PaymentId))?.status, 'AUTHORIZED');
  const until = emu.payment(String(lapsed.PaymentId))!.holdUntil!;
  // The deadline is a Moscow midnight (21:00 UTC), 7 days on counting the first.
  assert.equal(new Date(until).getUTCHours(), 21);
  assert.ok(until - clock.now() > 6 * 24 * 3_600_000 && until - clock.now() <= 7 * 24 * 3_600_000);
  clock.advance(until - clock.now() - 60_000);
  assert.equal((await call('Confirm', { TerminalKey: T.terminalKey, PaymentId: kept.PaymentId })).Status, 'CONFIRMED');
  clock.advance(60_000);
  assert.equal(emu.payment(String(lapsed.PaymentId))?.status, 'REVERSED');
  assert.equal((await call('Confirm', { TerminalKey: T.terminalKey, PaymentId: lapsed.PaymentId })).ErrorCode, '8');
  assert.equal((await call('GetState', { TerminalKey: T.terminalKey, PaymentId: kept.PaymentId })).Status, 'CONFIRMED');
});

test('receipts: FFD 1.2 fields, the Payments kinds against the items, a receipt with no items', async () => {
  const item = { Name: 'Чай', Price: 1000, Quantity: 1, Amount: 1000, Tax: 'vat20' };
  const base = { TerminalKey: T.terminalKey, Amount: 1000 };
  const code = async (Receipt: unknown, OrderId: string): Promise<unknown> => (await call('Init', { ...base, OrderId, Receipt })).ErrorCode;
  assert.equal(await code({ Email: 'a@example.com', Taxation: 'osn', Items: [item] }, 'r-ok'), '0');
  assert.equal(await code({ Phone: '+79001234567', Taxation: 'osn', FfdVersion: '1.2', Items: [item] }, 'r-12'), '201');
  assert.equal(await code({ Phone: '+79001234567', Taxation: 'osn', FfdVersion: '1.2', Items: [{ ...item, PaymentMethod: 'full_payment', PaymentObject: 'commodity', MeasurementUnit: 'шт' }] }, 'r-12-ok'), '0');
  assert.equal(await code({ Email: 'a@example.com', Taxation: 'osn', Items: [item], Payments: { Electronic: 900 } }, 'r-pay'), '308');
  assert.equal(await code({ Email: 'a@example.com', Taxation: 'osn', Items: [] }, 'r-empty'), '309');
  assert.equal(await code({ Email: 'a@example.com', Taxation: 'vmenennyi', Items: [item] }, 'r-tax'), '1');
  // A refused Init opens no session.
  assert.equal((await call('CheckOrder', { TerminalKey: T.terminalKey, OrderId: 'r-tax' })).ErrorCode, '335');
});

test('receipts: the 2026 rates vat22 / vat122 taken; SendClosingReceipt on the cashbox API, for a paid payment, summing to it', async () => {
  const item = { Name: 'Чай', Price: 1000, Quantity: 1, Amount: 1000, Tax: 'vat22' };
  const base = { TerminalKey: T.terminalKey, Amount: 1000 };
  const init = await call('Init', { ...base, OrderId: 'r-22', Receipt: { Email: 'a@example.com', Taxation: 'osn', Items: [item] } });
  assert.equal(init.ErrorCode, '0');
  assert.equal((await call('Init', { ...base, OrderId: 'r-122', Receipt: { Email: 'a@example.com', Taxation: 'osn', Items: [{ ...item, Tax: 'vat122' }] } })).ErrorCode, '0');
  const closing = async (Receipt: unknown, password = T.password): Promise<Record<string, unknown>> => {
    const r = await fetch(`${emu.url}/cashbox/SendClosingReceipt`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed({ TerminalKey: T.terminalKey, PaymentId: init.PaymentId, Receipt }, password)),
    });
    return (await r.json()) as Record<string, unknown>;
  };
  const receipt = { Email: 'a@example.com', Taxation: 'osn', Items: [{ ...item, PaymentMethod: 'full_payment' }], Payments: { Electronic: 0, AdvancePayment: 1000 } };
  assert.equal((await closing(receipt)).ErrorCode, '8', 'not paid yet');
  assert.ok(emu.pay(String(init.PaymentId)));
  assert.equal((await closing(receipt, 'wrong')).ErrorCode, '204');
  assert.equal((await closing({ ...receipt, Items: [{ ...item, Amount: 900, Price: 900 }], Payments: { AdvancePayment: 900 } })).ErrorCode, '334');
  assert.equal((await closing({ ...receipt, Email: undefined })).ErrorCode, '329');
  assert.equal((await closing({ ...receipt, Items: [{ ...item, Tax: 'vat18' }] })).ErrorCode, '1');
  const ok = await closing(receipt);
  assert.equal(ok.Success, true);
  assert.equal(emu.closingReceipts.at(-1)!.paymentId, init.PaymentId);
  // Only the cashbox API has it; the acquiring API does not.
  const v2 = await fetch(`${emu.apiUrl}/SendClosingReceipt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed({ TerminalKey: T.terminalKey, PaymentId: init.PaymentId, Receipt: receipt }, T.password)) });
  assert.equal(v2.status, 404);
});

test('SBP: GetQr gives an NSPK link; the emulator lists open codes at /sbp and serves the page for the link', async () => {
  const init = await call('Init', { TerminalKey: T.terminalKey, Amount: 12250, OrderId: 'sbp-list', Description: 'Чай' });
  const qr = await call('GetQr', { TerminalKey: T.terminalKey, PaymentId: init.PaymentId, DataType: 'PAYLOAD' });
  const link = new URL(String(qr.Data));
  assert.equal(link.origin, 'https://qr.nspk.ru');
  assert.match(link.pathname, /^\/[A-Z0-9]{32}$/);
  assert.equal(link.searchParams.get('type'), '02');
  assert.equal(link.searchParams.get('sum'), '12250');
  assert.equal(link.searchParams.get('cur'), 'RUB');
  assert.match(link.searchParams.get('crc') ?? '', /^[0-9A-F]{4}$/);
  // The same code on a second GetQr: one payment, one QR id.
  assert.equal((await call('GetQr', { TerminalKey: T.terminalKey, PaymentId: init.PaymentId })).Data, qr.Data);
  const list = await (await fetch(`${emu.url}/sbp`)).text();
  assert.ok(list.includes(`/sbp${link.pathname}`), list);
  assert.equal(emu.sbpPageUrl(String(qr.Data)), `${emu.url}/sbp${link.pathname}`);
  assert.equal(emu.sbpPageUrl('https://qr.nspk.ru/AD1000000000000000000000000000ZZ?type=02'), undefined);
});
