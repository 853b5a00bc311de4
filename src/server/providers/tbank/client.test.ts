/**
 * The T-Bank connector against the T-Bank emulator, over real loopback HTTP.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderHttp } from '../http.ts';
import type { ApplyOutcome, Connector, CreateRequest, NotifyContext, ProviderStatus } from '../contract.ts';
import type { Payment } from '../../types.ts';
import { createTbankConnector } from './client.ts';
import { tbankModule } from './index.ts';
import { ACS_PASSCODE, createManualScheduler, startTbankEmulator, type TbankEmulator } from './emulator.ts';
import { signed } from './transform.ts';

const TERMINAL = { terminalKey: 'TestTerminalDEMO', password: 'test-password-1' };
const clock = createManualScheduler();
let emu: TbankEmulator;
let connector: Connector;
let receiver: http.Server;
let notifyUrl = '';
let seq = 0;

/** What the gateway side saw: every apply, and how the fake context answered. */
const applied: { paymentId: string; status: ProviderStatus }[] = [];
const payments = new Map<string, Payment>();
const states = new Map<string, string>();
/** The receiver answers with this status code instead of handling (to exercise T-Bank's resends). */
let receiverDown = 0;

const ctx: NotifyContext = {
  payment: async (id) => payments.get(id),
  async apply(paymentId, status): Promise<ApplyOutcome> {
    applied.push({ paymentId, status });
    const p = payments.get(paymentId);
    if (!p) return 'unknown_payment';
    if (status.amountMinor !== undefined && (status.amountMinor !== p.amountMinor || status.currency !== p.wayTicker)) return 'amount_mismatch';
    if (states.get(paymentId) === status.state) return 'unchanged';
    states.set(paymentId, status.state);
    return 'applied';
  },
};

function makePayment(amountMinor: bigint, over: Partial<Payment> = {}): Payment {
  const id = `pay_${Date.now().toString(36)}_${++seq}`;
  const p: Payment = {
    id, number: 1000 + seq, merchantLogin: 'demo', payFor: `order-${seq}`, mode: 'fix', priceMinor: amountMinor, ticker: 'RUR',
    convert: false, priceFinal: false, note: '', ln: 'ru', urlSuccess: 'https://shop.example/ok', urlFail: 'https://shop.example/fail',
    userEmail: '', userPhone: '', extraParams: {}, way: 'TBC', wayTicker: 'RUR', amountMinor, feeMinor: 0n, balanceMinor: amountMinor,
    balanceTicker: 'RUR', rate: '1', status: 'awaiting_payment', statusReason: '', manual: false, action: null, idempotencyKey: null,
    requestHash: null, responseStatus: null, responseBody: null, expiresAt: null, paidAt: null, createdAt: clock.now(), updatedAt: clock.now(),
    providerId: null, providerPaymentId: null, amountMismatch: false, refundedMinor: 0n, paidLate: false, failureReason: null, lateUntil: null,
    ...over,
  };
  payments.set(p.id, p);
  return p;
}

function createRequest(p: Payment, method: string): CreateRequest {
  return {
    payment: p, method, idempotencyKey: p.id, notificationUrl: notifyUrl,
    successUrl: `http://gateway.test/return/${p.id}/success`, failUrl: `http://gateway.test/return/${p.id}/fail`,
    description: `Demo shop: ${p.payFor}`,
  };
}

async function started(p: Payment, method = 'card'): Promise<{ url: string; providerPaymentId: string }> {
  const r = await connector.create(createRequest(p, method));
  assert.equal(r.kind, 'started', JSON.stringify(r));
  if (r.kind !== 'started') throw new Error('not started');
  return { url: r.action.type === 'redirect' ? r.action.url : (r.action.qr?.payload ?? ''), providerPaymentId: r.providerPaymentId };
}

/** The buyer on T-Bank's form: opens it, enters a card; returns where the form sends them. */
async function payByCard(paymentUrl: string, pan: string): Promise<{ status: number; location: string | null; html: string }> {
  const page = await fetch(paymentUrl);
  assert.equal(page.status, 200);
  const res = await fetch(`${paymentUrl}/pay`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ pan, exp: '12/30', cvv: '123' }).toString(),
  });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

function appliedTo(id: string): string[] {
  return applied.filter((a) => a.paymentId === id).map((a) => `${a.status.state}:${a.status.providerState}`);
}

before(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (receiverDown > 0) {
        receiverDown--;
        res.writeHead(500).end('down');
        return;
      }
      const raw = Buffer.concat(chunks);
      void connector.handleNotification({ rawBody: raw, body: raw.toString('utf8'), headers: new Headers(), remoteAddress: '127.0.0.1' }, ctx)
        .then((a) => res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body));
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/providers/tbank/notify`;
  emu = await startTbankEmulator({ terminals: [TERMINAL], scheduler: clock });
  const config = tbankModule.configSchema.parse({ id: 'tbank', type: 'tbank', ...TERMINAL, apiUrl: emu.apiUrl });
  connector = tbankModule.create(config, { http: createProviderHttp(), now: clock.now, publicUrl: 'http://gateway.test', timeoutMs: 1500 });
});

after(async () => {
  await emu.close();
  await new Promise<void>((r) => {
    receiver.closeAllConnections();
    receiver.close(() => r());
  });
});

beforeEach(() => {
  emu.setFault(null);
  emu.dropNotifications = false;
  receiverDown = 0;
});

describe('module', () => {
  test('config: strict, apiUrl defaults to production, password is the secret', () => {
    const c = tbankModule.configSchema.parse({ id: 'tbank', type: 'tbank', terminalKey: 'TK', password: 'pw' });
    assert.equal(c.apiUrl, 'https://securepay.tinkoff.ru/v2');
    assert.equal(tbankModule.configSchema.safeParse({ id: 'tbank', type: 'tbank', terminalKey: 'TK', password: 'pw', extra: 1 }).success, false);
    assert.equal(tbankModule.configSchema.safeParse({ id: 'tbank', type: 'tbank', terminalKey: 'TK' }).success, false);
    assert.deepEqual(tbankModule.secretKeys, ['password']);
    assert.deepEqual(tbankModule.methods, ['card', 'sbp', 'tpay', 'sberpay']);
    assert.equal(tbankModule.notificationUrlInDashboard, false);
    assert.equal(connector.kind('card'), 'redirect');
    assert.equal(connector.kind('sbp'), 'instructions');
  });
});

describe('card', () => {
  test('create: Init in kopecks with our id as OrderId, redirect to PaymentURL; paid by a test card, notified', async () => {
    const p = makePayment(10050n);
    const r = await connector.create(createRequest(p, 'card'));
    assert.equal(r.kind, 'started');
    if (r.kind !== 'started' || r.action.type !== 'redirect') throw new Error('expected a redirect');
    assert.ok(r.action.url.startsWith(`${emu.url}/new/`));
    assert.equal(r.action.frame, false);
    assert.equal(r.expiresAt, clock.now() + 24 * 3_600_000);
    const at = emu.payment(r.providerPaymentId);
    assert.equal(at?.orderId, p.id);
    assert.equal(at?.amount, 10050);
    assert.equal(at?.notificationUrl, notifyUrl);

    const done = await payByCard(r.action.url, '2200 7702 3909 7761');
    assert.equal(done.status, 303);
    assert.equal(done.location, `http://gateway.test/return/${p.id}/success`);
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), ['pending:AUTHORIZED', 'paid:CONFIRMED']);
    const paid = applied.find((a) => a.paymentId === p.id && a.status.state === 'paid');
    assert.equal(paid?.status.amountMinor, 10050n);
    assert.equal(paid?.status.currency, 'RUR');
    assert.equal(paid?.status.providerPaymentId, r.providerPaymentId);
    assert.ok(emu.notifications.filter((n) => n.paymentId === r.providerPaymentId).every((n) => n.state === 'delivered'));
  });

  test('a declined card fails the payment and sends the buyer to FailURL', async () => {
    const p = makePayment(5000n);
    const { url } = await started(p);
    const done = await payByCard(url, '2201382000000831');
    assert.equal(done.location, `http://gateway.test/return/${p.id}/fail`);
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), ['failed:REJECTED']);
  });

  test('3-D Secure challenge with the published passcode', async () => {
    const p = makePayment(7000n);
    const { url } = await started(p);
    const challenge = await payByCard(url, '2201382000000047');
    assert.equal(challenge.status, 200);
    assert.match(challenge.html, /3-D Secure|Подтверждение/);
    const res = await fetch(`${url}/acs`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ otp: ACS_PASSCODE }).toString(),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `http://gateway.test/return/${p.id}/success`);
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), ['pending:AUTHORIZED', 'paid:CONFIRMED']);
  });

  test('emu.pay drives a payment without the pages (load and crash tests)', async () => {
    const p = makePayment(1500n);
    const { providerPaymentId } = await started(p);
    assert.equal(emu.pay(providerPaymentId), true);
    assert.equal(emu.pay(providerPaymentId), false, 'no longer open');
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), ['pending:AUTHORIZED', 'paid:CONFIRMED']);
  });

  test('a way in another currency is refused without calling T-Bank', async () => {
    const r = await connector.create(createRequest(makePayment(100n, { wayTicker: 'USD' }), 'card'));
    assert.equal(r.kind, 'refused');
  });
});

describe('sbp', () => {
  test('the instructions speak the payment\'s language, Kazakh and Uzbek too', async () => {
    for (const [ln, title, order] of [['kk', 'СБП арқылы төлеу', 'Тапсырыс'], ['uz', 'SBP (tezkor toʻlovlar tizimi) orqali toʻlash', 'Buyurtma'], ['de', 'Mit SBP (Schnellzahlungssystem) bezahlen', 'Bestellung']] as const) {
      const p = makePayment(25000n, { way: 'SBP', ln });
      const r = await connector.create(createRequest(p, 'sbp'));
      if (r.kind !== 'started' || r.action.type !== 'instructions') throw new Error(`expected instructions: ${JSON.stringify(r)}`);
      assert.equal(r.action.title, title, ln);
      assert.deepEqual(r.action.details, [{ key: 'order', label: order, value: p.payFor }], ln);
    }
  });

  test('create: Init, then GetQr PAYLOAD; instructions carry the Data link as QR payload and deep link; paid on the scan page', async () => {
    const p = makePayment(25000n, { way: 'SBP' });
    const r = await connector.create(createRequest(p, 'sbp'));
    if (r.kind !== 'started' || r.action.type !== 'instructions') throw new Error(`expected instructions: ${JSON.stringify(r)}`);
    assert.equal(r.action.amount, '250.0');
    assert.equal(r.action.ticker, 'RUR');
    assert.equal(r.action.expiresAt, new Date(r.expiresAt).toISOString());
    // The order is the shop's own number (pay_for), as the buyer knows it, not the gateway's.
    assert.deepEqual(r.action.details, [{ key: 'order', label: 'Заказ', value: p.payFor }]);
    assert.equal(r.action.title, 'Оплата по СБП');
    const qr = r.action.qr;
    assert.ok(qr);
    assert.equal(qr.deepLink, qr.payload);
    assert.equal(emu.payment(r.providerPaymentId)?.method, 'sbp');
    // GetQr's Data is NSPK's link, passed on unchanged: what the element draws is what T-Bank gives.
    assert.match(qr.payload, /^https:\/\/qr\.nspk\.ru\/[A-Z0-9]{32}\?type=02&bank=\d{12}&sum=25000&cur=RUB&crc=[0-9A-F]{4}$/);
    // A phone scanning it opens the buyer's bank; offline that is the emulator's page for the link.
    const scan = emu.sbpPageUrl(qr.payload);
    assert.ok(scan);
    const page = await fetch(scan);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Оплатить/);
    const pay = await fetch(scan, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay',
    });
    assert.equal(pay.status, 200);
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), ['paid:CONFIRMED']);
  });

  test('below the SBP minimum: GetQr error code → refused', async () => {
    const r = await connector.create(createRequest(makePayment(500n), 'sbp'));
    assert.equal(r.kind, 'refused');
    if (r.kind === 'refused') assert.match(r.reason, /3016/);
  });

  test('GetQr answer lost after Init → unknown', async () => {
    emu.setFault({ kind: 'lost' }, { methods: ['GetQr'] });
    const r = await connector.create(createRequest(makePayment(20000n), 'sbp'));
    emu.setFault(null);
    assert.equal(r.kind, 'unknown');
  });
});

describe('idempotent create', () => {
  test('Init answer lost → unknown; the retry uses the same OrderId; the dead first session does not expire the order', async () => {
    const p = makePayment(12000n);
    // The guarded client may resend once on a cut kept-alive connection: each try reaches T-Bank.
    emu.setFault({ kind: 'lost' }, { methods: ['Init'] });
    const first = await connector.create(createRequest(p, 'card'));
    emu.setFault(null);
    assert.equal(first.kind, 'unknown');
    const taken = emu.paymentsOfOrder(p.id).length;
    assert.ok(taken >= 1, 'T-Bank did take the first Init');
    const { url, providerPaymentId } = await started(p);
    assert.equal(emu.paymentsOfOrder(p.id).length, taken + 1);
    await payByCard(url, '2200770239097761');
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), ['pending:AUTHORIZED', 'paid:CONFIRMED']);

    // A third try after the order was paid: T-Bank refuses Init (623); the paid session is recovered.
    const again = await connector.create(createRequest(p, 'card'));
    assert.equal(again.kind, 'started');
    if (again.kind === 'started') {
      assert.equal(again.providerPaymentId, providerPaymentId);
      assert.deepEqual(again.action, { type: 'redirect', url: createRequest(p, 'card').successUrl, frame: false });
    }
    assert.equal(emu.paymentsOfOrder(p.id).length, taken + 1, 'no new session, no second charge');

    // The orphan first session runs out (DEADLINE_EXPIRED, notified); the order stays paid.
    clock.advance(25 * 3_600_000);
    await emu.idle();
    const orphans = emu.paymentsOfOrder(p.id).filter((x) => x.paymentId !== providerPaymentId);
    assert.ok(orphans.length >= 1 && orphans.every((o) => o.status === 'DEADLINE_EXPIRED'));
    for (const o of orphans) assert.ok(emu.notifications.some((n) => n.paymentId === o.paymentId && n.status === 'DEADLINE_EXPIRED' && n.state === 'delivered'));
    assert.deepEqual(appliedTo(p.id), ['pending:AUTHORIZED', 'paid:CONFIRMED']);
  });

  test('fetchStatus(null) after an unknown create finds the order by OrderId, or says not_found', async () => {
    const p = makePayment(3000n);
    emu.setFault({ kind: 'lost' }, { methods: ['Init'] });
    assert.equal((await connector.create(createRequest(p, 'card'))).kind, 'unknown');
    emu.setFault(null);
    const s = await connector.fetchStatus(p, null);
    assert.equal(s.state, 'pending');
    assert.equal((s as ProviderStatus).providerState, 'NEW');
    const never = makePayment(3000n);
    emu.setFault({ kind: 'down' }, { methods: ['Init'] });
    assert.equal((await connector.create(createRequest(never, 'card'))).kind, 'unknown');
    emu.setFault(null);
    assert.equal((await connector.fetchStatus(never, null)).state, 'not_found');
  });
});

describe('notifications', () => {
  async function deliver(body: string): Promise<{ status: number; body: string }> {
    const a = await connector.handleNotification({ rawBody: Buffer.from(body), body, headers: new Headers(), remoteAddress: '127.0.0.1' }, ctx);
    return { status: a.status, body: a.body };
  }

  test('a duplicate is answered OK again and changes nothing', async () => {
    const p = makePayment(4000n);
    const { url, providerPaymentId } = await started(p);
    await payByCard(url, '2200770239097761');
    await emu.idle();
    const confirmed = emu.notifications.find((n) => n.paymentId === providerPaymentId && n.status === 'CONFIRMED');
    assert.ok(confirmed);
    const before = applied.length;
    assert.deepEqual(await deliver(confirmed.body), { status: 200, body: 'OK' });
    assert.equal(applied.length, before + 1);
    assert.equal(states.get(p.id), 'paid');
  });

  test('a bad token, another terminal or an unreadable body: refused, apply not called', async () => {
    const fields = { TerminalKey: TERMINAL.terminalKey, OrderId: 'x', Success: true, Status: 'CONFIRMED', PaymentId: 1, ErrorCode: '0', Amount: 100 };
    const before = applied.length;
    assert.equal((await deliver(JSON.stringify(signed(fields, 'wrong-password')))).status, 403);
    assert.equal((await deliver(JSON.stringify({ ...signed(fields, TERMINAL.password), Amount: 99 }))).status, 403);
    assert.equal((await deliver(JSON.stringify(signed({ ...fields, TerminalKey: 'Other' }, TERMINAL.password)))).status, 403);
    for (const body of ['', 'OK', '{"Status":', '[]', 'null', '{"TerminalKey":"x"}', '\u0000\u00ff']) {
      const a = await deliver(body);
      assert.ok(a.status >= 400 && a.status < 500, body);
      assert.notEqual(a.body, 'OK');
    }
    assert.equal(applied.length, before);
  });

  test('an amount differing from the payment is passed on as reported; the context decides', async () => {
    const p = makePayment(4000n);
    const body = JSON.stringify(signed({
      TerminalKey: TERMINAL.terminalKey, OrderId: p.id, Success: true, Status: 'CONFIRMED', PaymentId: 777, ErrorCode: '0', Amount: 100,
    }, TERMINAL.password));
    assert.deepEqual(await deliver(body), { status: 200, body: 'OK' });
    const last = applied[applied.length - 1];
    assert.equal(last?.paymentId, p.id);
    assert.equal(last?.status.amountMinor, 100n);
    assert.equal(states.get(p.id), undefined, 'not marked paid');
  });

  test('a payment unknown to us is acknowledged OK', async () => {
    const body = JSON.stringify(signed({
      TerminalKey: TERMINAL.terminalKey, OrderId: 'not-ours', Success: true, Status: 'CONFIRMED', PaymentId: 778, ErrorCode: '0', Amount: 100,
    }, TERMINAL.password));
    assert.deepEqual(await deliver(body), { status: 200, body: 'OK' });
  });

  test('T-Bank resends hourly until OK, and gives up after 24 hours', async () => {
    const p = makePayment(6000n);
    const { url, providerPaymentId } = await started(p);
    receiverDown = 2;
    await payByCard(url, '2200770239097761');
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), []);
    clock.advance(3_600_000);
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), ['pending:AUTHORIZED', 'paid:CONFIRMED']);
    const sent = emu.notifications.filter((n) => n.paymentId === providerPaymentId);
    assert.deepEqual(sent.map((n) => [n.status, n.attempts.length, n.state]), [['AUTHORIZED', 2, 'delivered'], ['CONFIRMED', 2, 'delivered']]);

    const q = makePayment(6000n);
    const second = await started(q);
    receiverDown = 1000;
    await payByCard(second.url, '2200770239097761');
    for (let h = 0; h < 26; h++) {
      await emu.idle();
      clock.advance(3_600_000);
    }
    await emu.idle();
    const dumped = emu.notifications.filter((n) => n.paymentId === second.providerPaymentId);
    assert.ok(dumped.every((n) => n.state === 'dumped' && n.attempts.length === 25), JSON.stringify(dumped.map((n) => n.attempts.length)));
    receiverDown = 0;
  });
});

describe('reconciliation', () => {
  test('fetchStatus after a dropped notification: GetState says paid', async () => {
    const p = makePayment(8000n);
    const { url, providerPaymentId } = await started(p);
    emu.dropNotifications = true;
    await payByCard(url, '2200770239097761');
    await emu.idle();
    assert.deepEqual(appliedTo(p.id), []);
    const s = await connector.fetchStatus(p, providerPaymentId);
    assert.deepEqual(s, { state: 'paid', providerPaymentId, providerState: 'CONFIRMED', amountMinor: 8000n, currency: 'RUR' });
    assert.equal((await connector.fetchStatus(p, null)).state, 'paid');
    assert.equal((await connector.fetchStatus(p, '1')).state, 'not_found');
    emu.setFault({ kind: 'down' });
    assert.equal((await connector.fetchStatus(p, providerPaymentId)).state, 'unreachable');
  });
});

describe('refunds', () => {
  test('partial, then above what is left refused, above the amount refused, then the rest; a retry refunds once', async () => {
    const p = makePayment(10050n);
    const { url, providerPaymentId } = await started(p);
    await payByCard(url, '2200770239097761');
    await emu.idle();
    const refund = (amountMinor: bigint, key: string) => connector.refund({ payment: p, providerPaymentId, amountMinor, idempotencyKey: key, reason: 'test' });

    assert.deepEqual(await refund(3000n, 'r1'), { kind: 'done', providerRefundId: `${providerPaymentId}:r1`, refundedMinor: 3000n });
    assert.deepEqual(await refund(3000n, 'r1'), { kind: 'done', providerRefundId: `${providerPaymentId}:r1`, refundedMinor: 3000n });
    assert.equal(emu.payment(providerPaymentId)?.remaining, 7050);
    assert.equal((await connector.fetchStatus(p, providerPaymentId)).state, 'partially_refunded');
    const above = await refund(8000n, 'r2');
    assert.equal(above.kind, 'refused');
    if (above.kind === 'refused') assert.match(above.reason, /330/);
    assert.equal((await refund(20000n, 'r3')).kind, 'refused');
    assert.equal((await refund(0n, 'r4')).kind, 'refused');
    assert.deepEqual(await refund(7050n, 'r5'), { kind: 'done', providerRefundId: `${providerPaymentId}:r5`, refundedMinor: 10050n }, 'the total refunded, not this refund');
    assert.equal((await connector.fetchStatus(p, providerPaymentId)).state, 'refunded');
    await emu.idle();
    assert.deepEqual(appliedTo(p.id).slice(-2), ['partially_refunded:PARTIAL_REFUNDED', 'refunded:REFUNDED']);
  });

  test('a full refund at once; provider down → unknown', async () => {
    const p = makePayment(2000n);
    const { url, providerPaymentId } = await started(p);
    await payByCard(url, '2200770239097761');
    await emu.idle();
    emu.setFault({ kind: 'down' });
    assert.equal((await connector.refund({ payment: p, providerPaymentId, amountMinor: 2000n, idempotencyKey: 'f0', reason: '' })).kind, 'unknown');
    emu.setFault(null);
    assert.deepEqual(await connector.refund({ payment: p, providerPaymentId, amountMinor: 2000n, idempotencyKey: 'f1', reason: '' }), { kind: 'done', providerRefundId: `${providerPaymentId}:f1`, refundedMinor: 2000n });
  });
});

describe('faults at create', () => {
  const table: { name: string; fault: Parameters<TbankEmulator['setFault']>[0]; kind: 'unknown' | 'refused'; reason: RegExp }[] = [
    { name: 'down (connection cut)', fault: { kind: 'down' }, kind: 'unknown', reason: /Init/ },
    { name: 'slow (past the deadline)', fault: { kind: 'slow', delayMs: 2500 }, kind: 'unknown', reason: /Init/ },
    { name: 'garbage', fault: { kind: 'garbage' }, kind: 'unknown', reason: /not a JSON object/ },
    { name: 'HTML error page', fault: { kind: 'html' }, kind: 'unknown', reason: /HTTP 502, answer is HTML/ },
    { name: 'error code', fault: { kind: 'error' }, kind: 'refused', reason: /T-Bank error 9999/ },
  ];
  for (const row of table) {
    test(row.name, async () => {
      emu.setFault(row.fault, { methods: ['Init'] });
      const r = await connector.create(createRequest(makePayment(1000n), 'card'));
      assert.equal(r.kind, row.kind, JSON.stringify(r));
      assert.match((r as { reason: string }).reason, row.reason);
    });
  }

  test('a wrong password (204) and an unknown terminal (501) are refused', async () => {
    const http = createProviderHttp();
    const wrong = createTbankConnector({ id: 't', type: 'tbank', terminalKey: TERMINAL.terminalKey, password: 'nope', apiUrl: emu.apiUrl }, { http, now: clock.now, publicUrl: '', timeoutMs: 1500 });
    const r1 = await wrong.create(createRequest(makePayment(1000n), 'card'));
    assert.equal(r1.kind, 'refused');
    if (r1.kind === 'refused') assert.match(r1.reason, /204/);
    const unknown = createTbankConnector({ id: 't', type: 'tbank', terminalKey: 'NoSuchTerminal', password: 'x', apiUrl: emu.apiUrl }, { http, now: clock.now, publicUrl: '', timeoutMs: 1500 });
    const r2 = await unknown.create(createRequest(makePayment(1000n), 'card'));
    assert.equal(r2.kind, 'refused');
    if (r2.kind === 'refused') assert.match(r2.reason, /501/);
  });

  test('nothing listening → unknown', async () => {
    const dead = createTbankConnector({ id: 't', type: 'tbank', ...TERMINAL, apiUrl: 'http://127.0.0.1:9/v2' }, { http: createProviderHttp(), now: clock.now, publicUrl: '', timeoutMs: 1500 });
    assert.equal((await dead.create(createRequest(makePayment(1000n), 'card'))).kind, 'unknown');
  });
});
