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
