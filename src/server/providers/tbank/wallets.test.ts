/**
 * T-Pay and SberPay through T-Bank: the answers read (table tests), the emulator's TinkoffPay and
 * SberPay calls and bank app pages, and the connector against the emulator over loopback.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderHttp } from '../http.ts';
import type { Connector, ProviderHttp } from '../contract.ts';
import type { Payment } from '../../types.ts';
import { tbankModule } from './index.ts';
import { createManualScheduler, startTbankEmulator, type TbankEmulator } from './emulator.ts';
import { parseTpayStatus, parseWalletLink, sberPayLinkPath, tpayLinkPath, tpayStatusPath } from './wallets.ts';
import { TPAY_STATUS_TIMEOUT_MS, TPAY_STATUS_TTL_MS } from './wallet-client.ts';

const TERMINAL = { terminalKey: 'WalletTermDEMO', password: 'wallet-password-1' };
const OTHER = { terminalKey: 'NoTpayTermDEMO', password: 'wallet-password-2' };
const clock = createManualScheduler();
let emu: TbankEmulator;
let receiver: http.Server;
let notifyUrl = '';
let seq = 0;
const notified: Record<string, unknown>[] = [];

function connectorFor(terminal: typeof TERMINAL, send: ProviderHttp = createProviderHttp(), timeoutMs = 1500): Connector {
  const config = tbankModule.configSchema.parse({ id: 'tbank', type: 'tbank', ...terminal, apiUrl: emu.apiUrl });
  return tbankModule.create(config, { http: send, now: clock.now, publicUrl: 'http://gateway.test', timeoutMs });
}

function makePayment(amountMinor: bigint, ln: Payment['ln'] = 'ru'): Payment {
  const id = `pay_w${Date.now().toString(36)}_${++seq}`;
  return {
    id, number: 2000 + seq, merchantLogin: 'demo', payFor: `order-w${seq}`, mode: 'fix', priceMinor: amountMinor, ticker: 'RUR',
    convert: false, priceFinal: false, note: '', ln, urlSuccess: 'https://shop.example/ok', urlFail: 'https://shop.example/fail',
    userEmail: '', userPhone: '', extraParams: {}, way: 'TPY', wayTicker: 'RUR', amountMinor, feeMinor: 0n, balanceMinor: amountMinor,
    balanceTicker: 'RUR', rate: '1', status: 'awaiting_payment', statusReason: '', manual: false, action: null, idempotencyKey: null,
    requestHash: null, responseStatus: null, responseBody: null, expiresAt: null, paidAt: null, createdAt: clock.now(), updatedAt: clock.now(),
    providerId: null, providerPaymentId: null, amountMismatch: false, refundedMinor: 0n, paidLate: false, failureReason: null, lateUntil: null,
  };
}

async function create(c: Connector, p: Payment, method: string) {
  return c.create({
    payment: p, method, idempotencyKey: p.id, notificationUrl: notifyUrl, description: `Demo shop: ${p.payFor}`,
    successUrl: `http://gateway.test/return/${p.id}/success`, failUrl: `http://gateway.test/return/${p.id}/fail`,
  });
}

before(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      notified.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
  emu = await startTbankEmulator({ terminals: [TERMINAL, OTHER], scheduler: clock });
  emu.wallets.setTpayStatus(OTHER.terminalKey, { allowed: false });
});

after(async () => {
  await emu.close();
  await new Promise<void>((r) => {
    receiver.closeAllConnections();
    receiver.close(() => r());
  });
});

describe('reading the answers (wallets.ts)', () => {
  test('paths follow the reference, ids escaped', () => {
    assert.equal(tpayStatusPath('TK 1'), 'TinkoffPay/terminals/TK%201/status');
    assert.equal(tpayLinkPath('700001702044', '2.0'), 'TinkoffPay/transactions/700001702044/versions/2.0/link');
    assert.equal(sberPayLinkPath('700001702044'), 'SberPay/transactions/700001702044/link');
  });

  for (const [name, body, want] of [
    ['allowed 2.0', '{"Success":true,"ErrorCode":"0","Params":{"Allowed":true,"Version":"2.0"}}', { allowed: true, version: '2.0' }],
    ['allowed 1.0', '{"Success":true,"ErrorCode":"0","Params":{"Allowed":true,"Version":"1.0"}}', { allowed: true, version: '1.0' }],
    ['not allowed', '{"Success":true,"ErrorCode":"0","Params":{"Allowed":false}}', false],
    ['allowed without a version', '{"Success":true,"ErrorCode":"0","Params":{"Allowed":true}}', false],
    ['an error', '{"Success":false,"ErrorCode":"501","Message":"Терминал не найден"}', false],
    ['not JSON', '<html>502</html>', false],
    ['Allowed as a string', '{"Success":true,"ErrorCode":"0","Params":{"Allowed":"true","Version":"2.0"}}', false],
  ] as const) {
    test(`status: ${name}`, () => {
      const s = parseTpayStatus(body);
      if (want === false) assert.equal(s.allowed, false);
      else assert.deepEqual(s, want);
    });
  }

  test('link: RedirectUrl taken; errors refused; a javascript: link or none is unreadable', () => {
    assert.deepEqual(parseWalletLink('{"Success":true,"ErrorCode":"0","Params":{"RedirectUrl":"https://www.tbank.ru/tpay/1","WebQR":"https://x/qr"}}', 'tpay'),
      { kind: 'link', url: 'https://www.tbank.ru/tpay/1' });
    assert.deepEqual(parseWalletLink('{"Success":true,"ErrorCode":"0","Params":{"RedirectUrl":"sberpay://invoicing/v2?bankInvoiceId=1"}}', 'sberpay'),
      { kind: 'link', url: 'sberpay://invoicing/v2?bankInvoiceId=1' });
    const refused = parseWalletLink('{"Success":false,"ErrorCode":"8","Message":"Неверный статус транзакции"}', 'sberpay');
    assert.equal(refused.kind, 'refused');
    assert.match((refused as { reason: string }).reason, /SberPay link: T-Bank error 8: Неверный статус транзакции/);
    assert.equal(parseWalletLink('{"Success":true,"ErrorCode":"0","Params":{"RedirectUrl":"javascript://alert(1)"}}', 'tpay').kind, 'unreadable');
    assert.equal(parseWalletLink('{"Success":true,"ErrorCode":"0","Params":{}}', 'tpay').kind, 'unreadable');
    assert.equal(parseWalletLink('garbage', 'tpay').kind, 'unreadable');
  });
});

describe('the emulator', () => {
  test('status: allowed 2.0 by default, a switched-off terminal not allowed, an unknown one 501', async () => {
    const get = async (key: string) => (await fetch(`${emu.apiUrl}/TinkoffPay/terminals/${key}/status`)).json() as Promise<Record<string, unknown>>;
    assert.deepEqual(await get(TERMINAL.terminalKey), { Success: true, ErrorCode: '0', Params: { Allowed: true, Version: '2.0' } });
    assert.deepEqual(await get(OTHER.terminalKey), { Success: true, ErrorCode: '0', Params: { Allowed: false } });
    assert.equal((await get('Nobody')).ErrorCode, '501');
    assert.equal((await fetch(`${emu.apiUrl}/TinkoffPay/terminals/${TERMINAL.terminalKey}/status`, { method: 'POST' })).status, 405);
  });

  test('a link for an unknown payment is 255, for the wrong version 1, and the QR is an SVG of the link', async () => {
    const unknown = await (await fetch(`${emu.apiUrl}/SberPay/transactions/1/link`)).json() as Record<string, unknown>;
    assert.equal(unknown.ErrorCode, '255');
    const r = await create(connectorFor(TERMINAL), makePayment(15000n), 'sberpay');
    assert.equal(r.kind, 'started');
    if (r.kind !== 'started') return;
    const wrong = await (await fetch(`${emu.apiUrl}/TinkoffPay/transactions/${r.providerPaymentId}/versions/1.0/link`)).json() as Record<string, unknown>;
    assert.equal(wrong.ErrorCode, '1');
    const svg = await fetch(`${emu.apiUrl}/SberPay/${r.providerPaymentId}/QR`);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.match(await svg.text(), /^<svg/);
    // Once paid through SberPay, the session cannot be paid through T-Pay as well.
    const tpayLink = await (await fetch(`${emu.apiUrl}/TinkoffPay/transactions/${r.providerPaymentId}/versions/2.0/link`)).json() as Record<string, unknown>;
    assert.equal(tpayLink.ErrorCode, '8');
  });
});

describe('the connector', () => {
  test('T-Pay: the link as a button and a QR code, named; paid in the app → CONFIRMED notified', async () => {
    const c = connectorFor(TERMINAL);
    assert.equal(c.kind('tpay'), 'instructions');
    assert.equal(await c.offered!('tpay'), true);
    const p = makePayment(24900n);
    const r = await create(c, p, 'tpay');
    assert.equal(r.kind, 'started', JSON.stringify(r));
    if (r.kind !== 'started' || r.action.type !== 'instructions') return assert.fail('no instructions');
    assert.equal(r.action.wallet?.name, 'T-Pay');
    assert.equal(r.action.title, 'Оплата через T-Pay');
    assert.equal(r.action.amount, '249.0');
    const link = r.action.qr?.deepLink ?? '';
    assert.equal(link, `${emu.url}/tpay/${r.providerPaymentId}`);
    assert.equal(r.action.qr?.payload, link);
    const app = await fetch(link);
    assert.equal(app.status, 200);
    assert.match(await app.text(), /249\.00 ₽/);
    const paid = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' });
    assert.match(await paid.text(), /Оплачено/);
    await emu.idle();
    const n = notified.find((x) => x.OrderId === p.id && x.Status === 'CONFIRMED');
    assert.ok(n, 'CONFIRMED notified');
    assert.equal(n.Amount, 24900);
    const st = await c.fetchStatus(p, r.providerPaymentId);
    assert.equal(st.state, 'paid');
  });

  test('SberPay in English; declined in the app → REJECTED', async () => {
    const c = connectorFor(TERMINAL);
    assert.equal(await c.offered!('sberpay'), true);
    const p = makePayment(5000n, 'en');
    const r = await create(c, p, 'sberpay');
    if (r.kind !== 'started' || r.action.type !== 'instructions') return assert.fail(JSON.stringify(r));
    assert.equal(r.action.title, 'Pay with SberPay');
    assert.equal(r.action.wallet?.name, 'SberPay');
    const link = r.action.qr?.deepLink ?? '';
    assert.equal(link, `${emu.url}/sberpay/${r.providerPaymentId}`);
    await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=decline' });
    const st = await c.fetchStatus(p, r.providerPaymentId);
    assert.equal(st.state, 'failed');
  });

  test('a terminal without T-Pay: not offered, and a create is refused before any link', async () => {
    const c = connectorFor(OTHER);
    assert.equal(await c.offered!('tpay'), false);
    assert.equal(await c.offered!('sberpay'), true, 'SberPay has no status call: the way configuration decides');
    const r = await create(c, makePayment(15000n), 'tpay');
    assert.equal(r.kind, 'refused');
    assert.match((r as { reason: string }).reason, /not allowed/);
  });

  test('the status answer is kept for minutes, asked once for forms opened together, asked again after', async () => {
    const c = connectorFor(TERMINAL);
    const before = emu.wallets.statusCalls;
    assert.deepEqual(await Promise.all([c.offered!('tpay'), c.offered!('tpay'), c.offered!('tpay')]), [true, true, true]);
    assert.equal(emu.wallets.statusCalls, before + 1);
    emu.wallets.setTpayStatus(TERMINAL.terminalKey, { allowed: false });
    try {
      assert.equal(await c.offered!('tpay'), true, 'still the kept answer');
      clock.advance(TPAY_STATUS_TTL_MS);
      assert.equal(await c.offered!('tpay'), false, 'asked again');
      assert.equal(emu.wallets.statusCalls, before + 2);
    } finally {
      emu.wallets.setTpayStatus(TERMINAL.terminalKey, { allowed: true, version: '2.0' });
    }
  });

  test('T-Bank unreachable for the status: T-Pay withheld, never offered on a guess; the form waits 2 s at most', async () => {
    const deadlines: number[] = [];
    const down: ProviderHttp = async (req) => {
      deadlines.push(req.timeoutMs);
      return { ok: false, error: 'connect ECONNREFUSED', durationMs: 1 };
    };
    assert.equal(await connectorFor(TERMINAL, down, 10_000).offered!('tpay'), false);
    assert.deepEqual(deadlines, [TPAY_STATUS_TIMEOUT_MS], 'the status call has its own short deadline, not the 10 s of a create');
  });

  test('the link call lost after Init: unknown (the session exists at T-Bank), never refused', async () => {
    const real = createProviderHttp();
    const lostLink: ProviderHttp = async (req) => (req.method === 'GET' && req.url.includes('/link') ? { ok: false, error: 'socket hang up', durationMs: 1 } : real(req));
    const r = await create(connectorFor(TERMINAL, lostLink), makePayment(15000n), 'sberpay');
    assert.equal(r.kind, 'unknown');
  });
});
