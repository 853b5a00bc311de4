/**
 * SBP by CloudPayments' QR link (`sbpFlow: "qr"`) against the emulator over loopback: the element's
 * instructions with CloudPayments' banks, the bank-app page paying (Check → Pay, applied once),
 * reconciliation reading the status when the notification is lost, bad answers unknown, expiry.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderHttp } from '../http.ts';
import type { ApplyOutcome, Connector, CreateRequest, IncomingNotification, NotifyContext, ProviderStatus } from '../contract.ts';
import type { Payment } from '../../types.ts';
import { cloudPaymentsModule } from './index.ts';
import { EMULATOR_SBP_BANKS, startCloudPaymentsEmulator, type CloudPaymentsEmulator } from './emulator.ts';
import { readSbpLinkAnswer, sbpLinkBody } from './sbp-link.ts';
import { fakePayment } from './test-helpers.ts';
import { oneLine } from '../receipt-fixtures.ts';

const PUBLIC_ID = 'pk_test_cp_sbp';
const API_SECRET = 'cp_sbp_api_secret_for_tests';
const T0 = fakePayment().createdAt + 1000;
let clock = T0;

/** The gateway's side, in small: payments by id; `apply` moves a payment once and says so. */
class Ctx implements NotifyContext {
  payments = new Map<string, Payment>();
  applied: ProviderStatus[] = [];
  outcomes: ApplyOutcome[] = [];
  async payment(id: string) {
    return this.payments.get(id);
  }
  async apply(id: string, status: ProviderStatus): Promise<ApplyOutcome> {
    const p = this.payments.get(id);
    let outcome: ApplyOutcome;
    if (!p) outcome = 'unknown_payment';
    else if (status.amountMinor !== undefined && status.amountMinor !== p.amountMinor) outcome = 'amount_mismatch';
    else if (p.status === status.state) outcome = 'unchanged';
    else {
      this.payments.set(id, { ...p, status: status.state as Payment['status'] });
      this.applied.push(status);
      outcome = 'applied';
    }
    this.outcomes.push(outcome);
    return outcome;
  }
}

let emulator: CloudPaymentsEmulator;
let notifyServer: http.Server;
let notifyBase = '';
let ctx: Ctx;

const sbpConnector = (sbpFlow?: string): Connector =>
  cloudPaymentsModule.create(
    cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: PUBLIC_ID, apiSecret: API_SECRET, apiUrl: emulator.url, ...(sbpFlow ? { sbpFlow } : {}) }),
    { http: createProviderHttp(), now: () => clock, publicUrl: 'http://gateway.test', timeoutMs: 2000 },
  );

function request(payment: Payment, key = `idem-${payment.id}`): CreateRequest {
  return {
    payment, method: 'sbp', idempotencyKey: key, notificationUrl: `${notifyBase}/providers/cp/notify`,
    successUrl: `http://gateway.test/return/${payment.id}/success`, failUrl: `http://gateway.test/return/${payment.id}/fail`, description: 'Shop: order-1',
  };
}

let seq = 0;
const newPayment = (overrides: Partial<Payment> = {}) => {
  const p = fakePayment({ id: `pay_cps_${++seq}`, way: 'CPS', expiresAt: T0 + 15 * 60_000, ...overrides });
  ctx.payments.set(p.id, p);
  return p;
};

/** Creates the payment by QR link; returns the QR code's page at the emulator and the result. */
async function start(connector: Connector, p: Payment) {
  const r = await connector.create(request(p));
  assert.equal(r.kind, 'started', JSON.stringify(r));
  if (r.kind !== 'started' || r.action.type !== 'instructions') throw new Error('not an instructions action');
  const page = emulator.sbpPageUrl(r.action.qr!.payload);
  assert.ok(page, 'the emulator knows its link');
  return { r, action: r.action, page };
}

const tap = (page: string, action: string) => fetch(page, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `action=${action}` });

before(async () => {
  notifyServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const raw = Buffer.concat(chunks);
      const n: IncomingNotification & { url?: string } = { rawBody: new Uint8Array(raw), body: raw.toString('utf8'), headers: new Headers(headers), remoteAddress: '127.0.0.1', url: req.url ?? '' };
      void sbpConnector('qr').handleNotification(n, ctx).then((a) => res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body));
    });
  });
  await new Promise<void>((r) => notifyServer.listen(0, '127.0.0.1', r));
  notifyBase = `http://127.0.0.1:${(notifyServer.address() as AddressInfo).port}`;
  const url = `${notifyBase}/providers/cp/notify`;
  emulator = await startCloudPaymentsEmulator({
    publicId: PUBLIC_ID, apiSecret: API_SECRET,
    notify: { check: `${url}?kind=check`, pay: `${url}?kind=pay`, fail: `${url}?kind=fail`, refund: `${url}?kind=refund` },
    schedule: () => {}, now: () => clock,
  });
});

after(async () => {
  await emulator.close();
  await new Promise<void>((r) => notifyServer.close(() => r()));
});

beforeEach(() => {
  ctx = new Ctx();
  clock = T0;
  emulator.faults = { api: 'none', slowMs: 30_000, dropNotifications: false, forgeNotifications: false };
  emulator.deliveries.length = 0;
});

describe('sbpFlow', () => {
  test('page by default (the hosted order page, as before); qr makes the sbp way instructions; a bad value names the key', () => {
    assert.equal(cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: 'pk', apiSecret: 's' }).sbpFlow, 'page');
    assert.equal(sbpConnector().kind('sbp'), 'redirect');
    assert.equal(sbpConnector('qr').kind('sbp'), 'instructions');
    assert.equal(sbpConnector('qr').kind('card'), 'redirect');
    const bad = cloudPaymentsModule.configSchema.safeParse({ id: 'cp', type: 'cloudpayments', publicId: 'pk', apiSecret: 's', sbpFlow: 'widget' });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues.map((i) => i.path.join('.')), ['sbpFlow']);
  });

  test('without it an sbp payment still goes to the hosted order page', async () => {
    const r = await sbpConnector().create(request(newPayment()));
    assert.equal(r.kind === 'started' && r.action.type, 'redirect');
  });
});

describe('created', () => {
  test('the QR link as instructions: NSPK link as QR and deep link, CloudPayments\' banks, the transaction as provider id, the deadline as asked', async () => {
    const p = newPayment({ ln: 'en', payFor: 'order-77' });
    const { r, action } = await start(sbpConnector('qr'), p);
    const qr = [...emulator.sbpQrs.values()].at(-1)!;
    assert.equal(action.qr!.payload, qr.link);
    assert.equal(action.qr!.deepLink, qr.link);
    assert.match(qr.link, /^https:\/\/qr\.nspk\.ru\/[A-Z0-9]{32}\?type=02&bank=\d{12}&sum=122400&cur=RUB&crc=[0-9A-F]{4}$/);
    assert.deepEqual(action.qr!.banks, EMULATOR_SBP_BANKS.dictionary.map((b) => ({ ...b })));
    assert.equal(r.providerPaymentId, String(qr.transactionId));
    assert.deepEqual([action.title, action.amount, action.ticker, action.details], ['Pay with SBP (Faster Payments)', '1224.0', 'RUR', [{ key: 'order', label: 'Order', value: 'order-77' }]]);
    // The QR code lives exactly as long as the payment (TtlMinutes = the 15 minutes left, rounded up).
    assert.equal(r.expiresAt, p.expiresAt);
    assert.equal(action.expiresAt, new Date(p.expiresAt!).toISOString());
    assert.equal(qr.expiresAt, T0 + 15 * 60_000);
    const tx = emulator.transactions.find((t) => t.transactionId === qr.transactionId)!;
    assert.deepEqual([tx.invoiceId, tx.status, tx.amountMinor, tx.currency], [p.id, 'AwaitingAuthentication', 122400n, 'RUB']);
  });

  test('a retry with the same key is the same QR code (X-Request-ID), no second transaction', async () => {
    const p = newPayment();
    const c = sbpConnector('qr');
    const a = await c.create(request(p));
    const count = emulator.transactions.length;
    const b = await c.create(request(p));
    assert.deepEqual(b, a);
    assert.equal(emulator.transactions.length, count);
  });

  test('the request: amount exact, Scheme charge, TtlMinutes rounded up and at least one, the receipt in JsonData', () => {
    const p = fakePayment({ amountMinor: 1005n, expiresAt: T0 + 61_000 });
    const body = JSON.parse(sbpLinkBody({ publicId: 'pk', req: request(p), expiresAt: p.expiresAt!, now: T0 })) as Record<string, unknown>;
    assert.deepEqual([body.Amount, body.Currency, body.Scheme, body.TtlMinutes, body.InvoiceId, body.PublicId], [10.05, 'RUB', 'charge', 2, p.id, 'pk']);
    assert.match(sbpLinkBody({ publicId: 'pk', req: request(p), expiresAt: T0 - 5000, now: T0 }), /"TtlMinutes":1,/);
    assert.match(sbpLinkBody({ publicId: 'pk', req: request(fakePayment({ amountMinor: 1005n })), expiresAt: T0, now: T0 }), /"Amount":10\.05,/);
    const withReceipt = JSON.parse(sbpLinkBody({ publicId: 'pk', req: { ...request(p), receipt: oneLine('10.05') }, expiresAt: p.expiresAt!, now: T0 })) as { JsonData: { CloudPayments: { CustomerReceipt: { Items: { amount: number }[] } } } };
    assert.deepEqual(withReceipt.JsonData.CloudPayments.CustomerReceipt.Items.map((i) => i.amount), [10.05]);
  });

  test('the emulator takes the receipt with the QR link and checks it against the amount', async () => {
    const p = newPayment({ amountMinor: 1005n });
    assert.equal((await sbpConnector('qr').create({ ...request(p), receipt: oneLine('10.05') })).kind, 'started');
    const wrong = await sbpConnector('qr').create({ ...request(newPayment({ amountMinor: 1005n })), receipt: oneLine('10.00') });
    assert.equal(wrong.kind, 'refused');
  });

  test('CloudPayments\' refusal is refused with its message; a manual-capture SBP payment is refused before any call', async () => {
    const usd = await sbpConnector('qr').create(request(newPayment({ wayTicker: 'USD' })));
    assert.deepEqual(usd, { kind: 'refused', reason: 'cloudpayments: Invalid Currency value' });
    const count = emulator.transactions.length;
    const held = await sbpConnector('qr').create({ ...request(newPayment()), capture: 'manual' });
    assert.equal(held.kind, 'refused');
    assert.equal(emulator.transactions.length, count);
  });
});

describe('bad answers are unknown, never started or paid', () => {
  for (const fault of ['garbage', 'html', 'http500', 'down'] as const) {
    test(`API ${fault}`, async () => {
      emulator.faults.api = fault;
      const r = await sbpConnector('qr').create(request(newPayment()));
      assert.equal(r.kind, 'unknown', JSON.stringify(r));
    });
  }

  test('an envelope that says Success but lacks the transaction or an https link', () => {
    const ok = (model: unknown) => readSbpLinkAnswer(200, JSON.stringify({ Model: model, Success: true, Message: null }));
    const link = 'https://qr.nspk.ru/AD10006M7E2TQ8SB8TS9KQ8ISU0RLAR2?type=02';
    assert.equal(ok({ QrUrl: link, TransactionId: 504 }).kind, 'link');
    for (const model of [null, [], { QrUrl: link }, { QrUrl: link, TransactionId: 'abc' }, { TransactionId: 504 }, { QrUrl: 'http://qr.nspk.ru/AD1', TransactionId: 504 }, { QrUrl: 'javascript:alert(1)', TransactionId: 504 }]) {
      assert.equal(ok(model).kind, 'unknown', JSON.stringify(model));
    }
    assert.equal(readSbpLinkAnswer(200, '{"Success":false,"Message":"Sbp is not enabled"}').kind, 'refused');
    assert.equal(readSbpLinkAnswer(401, '').kind, 'refused');
    assert.equal(readSbpLinkAnswer(502, '<html>').kind, 'unknown');
  });
});

describe('paying by the bank-app page', () => {
  test('Check, then Pay: applied once as paid with the transaction; a second tap is refused; Pay sent again changes nothing', async () => {
    const p = newPayment();
    const { r, page } = await start(sbpConnector('qr'), p);
    const shown = await (await fetch(page)).text();
    assert.match(shown, /1224\.00/);
    const paid = await tap(page, 'pay');
    assert.equal(paid.status, 200);
    await emulator.idle();
    assert.deepEqual(emulator.deliveries.map((d) => [d.kind, d.accepted]), [['check', true], ['pay', true]]);
    assert.equal(ctx.applied.length, 1);
    assert.deepEqual([ctx.applied[0]!.state, ctx.applied[0]!.providerPaymentId, ctx.applied[0]!.amountMinor, ctx.applied[0]!.currency], ['paid', r.kind === 'started' ? r.providerPaymentId : '', 122400n, 'RUR']);
    assert.equal(ctx.payments.get(p.id)!.status, 'paid');
    // The Pay body carries no card: an SBP payment has none.
    assert.doesNotMatch(emulator.deliveries[1]!.body, /CardFirstSix/);

    assert.equal((await tap(page, 'pay')).status, 409);
    // CloudPayments resending the same Pay: acknowledged, nothing applied again.
    const again = emulator.deliveries[1]!;
    const answer = await fetch(again.url, { method: 'POST', headers: again.headers, body: again.body });
    assert.deepEqual(await answer.json(), { code: 0 });
    assert.equal(ctx.applied.length, 1);
    assert.deepEqual(ctx.outcomes, ['applied', 'unchanged']);
  });

  test('declined in the bank app: Fail, the payment failed', async () => {
    const p = newPayment();
    const { page } = await start(sbpConnector('qr'), p);
    await tap(page, 'decline');
    await emulator.idle();
    assert.deepEqual(emulator.deliveries.map((d) => d.kind), ['fail']);
    assert.equal(ctx.payments.get(p.id)!.status, 'failed');
  });

  test('past its TtlMinutes the QR code pays nothing', async () => {
    const p = newPayment();
    const { page } = await start(sbpConnector('qr'), p);
    clock = p.expiresAt! + 1;
    assert.equal((await tap(page, 'pay')).status, 410);
    await emulator.idle();
    assert.deepEqual(emulator.deliveries, []);
    assert.equal((await sbpConnector('qr').fetchStatus(p, null)).state, 'pending');
  });

  test('Check refused by the gateway (the payment expired there): Fail, no Pay', async () => {
    const p = newPayment();
    const { page } = await start(sbpConnector('qr'), p);
    ctx.payments.set(p.id, { ...p, status: 'expired' });
    await tap(page, 'pay');
    await emulator.idle();
    assert.deepEqual(emulator.deliveries.map((d) => [d.kind, d.answer]), [['check', '{"code":20}'], ['fail', '{"code":0}']]);
  });
});

describe('reconciliation', () => {
  test('the notification lost: v2/payments/find by our invoice reads pending, then paid with the transaction and amount', async () => {
    const p = newPayment();
    const c = sbpConnector('qr');
    const { r, page } = await start(c, p);
    assert.equal((await c.fetchStatus(p, r.kind === 'started' ? r.providerPaymentId : null)).state, 'pending');
    emulator.faults.dropNotifications = true;
    await tap(page, 'pay');
    await emulator.idle();
    assert.deepEqual(emulator.deliveries, []);
    assert.equal(ctx.applied.length, 0);
    const s = await c.fetchStatus(p, null);
    assert.equal(s.state, 'paid');
    if (s.state !== 'paid') return;
    assert.deepEqual([s.providerPaymentId, s.amountMinor, s.currency], [r.kind === 'started' ? r.providerPaymentId : '', 122400n, 'RUR']);
    assert.equal('savedMethod' in s, false, 'nothing to save from an SBP payment');
  });

  test('a paid SBP payment is refunded through its transaction', async () => {
    const p = newPayment();
    const c = sbpConnector('qr');
    const { r, page } = await start(c, p);
    await tap(page, 'pay');
    await emulator.idle();
    const refund = await c.refund({ payment: { ...p, status: 'paid' }, providerPaymentId: r.kind === 'started' ? r.providerPaymentId : '', amountMinor: 22400n, idempotencyKey: `rf-${p.id}`, reason: 'test' });
    assert.equal(refund.kind, 'done');
  });
});
