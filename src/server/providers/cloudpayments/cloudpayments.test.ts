/**
 * The CloudPayments connector against its emulator over loopback: the emulator's notifications reach
 * a small notify endpoint that hands the exact received bytes to the connector with a fake
 * NotifyContext, as `/providers/{id}/notify` does in the gateway.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderHttp } from '../http.ts';
import type { ApplyOutcome, Connector, CreateRequest, IncomingNotification, NotifyContext, ProviderStatus } from '../contract.ts';
import type { Payment } from '../../types.ts';
import { cloudPaymentsModule } from './index.ts';
import { startCloudPaymentsEmulator, type CloudPaymentsEmulator } from './emulator.ts';
import { fakePayment } from './test-helpers.ts';

const PUBLIC_ID = 'pk_test_cp';
const API_SECRET = 'cp_api_secret_for_tests';
const NOW = fakePayment().createdAt + 1000;

/** A NotifyContext over a map of payments, recording every call; `apply` moves states the simple way. */
class FakeContext implements NotifyContext {
  payments = new Map<string, Payment>();
  calls: Array<{ fn: 'payment' | 'apply'; id: string; status?: ProviderStatus }> = [];
  failNextApply = false;

  add(p: Payment): Payment {
    this.payments.set(p.id, p);
    return p;
  }
  async payment(id: string) {
    this.calls.push({ fn: 'payment', id });
    return this.payments.get(id);
  }
  async apply(id: string, status: ProviderStatus): Promise<ApplyOutcome> {
    this.calls.push({ fn: 'apply', id, status });
    if (this.failNextApply) {
      this.failNextApply = false;
      throw new Error('storage down');
    }
    const p = this.payments.get(id);
    if (!p) return 'unknown_payment';
    if (status.amountMinor !== undefined && (status.amountMinor !== p.amountMinor || status.currency !== p.wayTicker)) return 'amount_mismatch';
    if (p.status === status.state) return 'unchanged';
    this.payments.set(id, { ...p, status: status.state as Payment['status'] });
    return 'applied';
  }
  applied(): ProviderStatus[] {
    return this.calls.filter((c) => c.fn === 'apply').map((c) => c.status!);
  }
}

let emulator: CloudPaymentsEmulator;
let notifyServer: http.Server;
let notifyBase = '';
let ctx: FakeContext;
let connector: Connector;
let scheduled: Array<{ fn: () => void; delayMs: number }> = [];

function connectorWith(overrides: { apiSecret?: string; timeoutMs?: number } = {}): Connector {
  const config = cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: PUBLIC_ID, apiSecret: overrides.apiSecret ?? API_SECRET, apiUrl: emulator.url });
  return cloudPaymentsModule.create(config, { http: createProviderHttp(), now: () => NOW, publicUrl: 'http://gateway.test', timeoutMs: overrides.timeoutMs ?? 2000 });
}

function createRequest(payment: Payment, key = `idem-${payment.id}`): CreateRequest {
  return {
    payment,
    method: 'card',
    idempotencyKey: key,
    notificationUrl: `${notifyBase}/providers/cp/notify`,
    successUrl: `http://gateway.test/return/${payment.id}/success`,
    failUrl: `http://gateway.test/return/${payment.id}/fail`,
    description: 'Shop: order-1',
  };
}

function incoming(body: Buffer | string, headers: Record<string, string>, url?: string): IncomingNotification & { url?: string } {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { rawBody: new Uint8Array(raw), body: raw.toString('utf8'), headers: new Headers(headers), remoteAddress: '127.0.0.1', ...(url ? { url } : {}) };
}

async function createAndPay(payment: Payment, card: string) {
  ctx.add(payment);
  const created = await connector.create(createRequest(payment));
  assert.equal(created.kind, 'started');
  if (created.kind !== 'started') throw new Error('not started');
  const result = await emulator.pay(created.providerPaymentId, card);
  await emulator.idle();
  return { created, result };
}

before(async () => {
  notifyServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      connector.handleNotification(incoming(Buffer.concat(chunks), headers, req.url), ctx).then((a) => {
        res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body);
      });
    });
  });
  await new Promise<void>((r) => notifyServer.listen(0, '127.0.0.1', r));
  notifyBase = `http://127.0.0.1:${(notifyServer.address() as AddressInfo).port}`;
  const url = `${notifyBase}/providers/cp/notify`;
  emulator = await startCloudPaymentsEmulator({
    publicId: PUBLIC_ID,
    apiSecret: API_SECRET,
    notify: { check: `${url}?kind=check`, pay: `${url}?kind=pay`, fail: `${url}?kind=fail`, refund: `${url}?kind=refund` },
    schedule: (fn, delayMs) => void scheduled.push({ fn, delayMs }),
    now: () => NOW,
  });
});

after(async () => {
  await emulator.close();
  await new Promise<void>((r) => notifyServer.close(() => r()));
});

beforeEach(() => {
  ctx = new FakeContext();
  scheduled = [];
  emulator.faults = { api: 'none', slowMs: 30_000, dropNotifications: false, forgeNotifications: false };
  emulator.deliveries.length = 0;
  connector = connectorWith();
});

let seq = 0;
const newPayment = (overrides: Partial<Payment> = {}) => fakePayment({ id: `pay_cp_${++seq}`, ...overrides });

describe('module', () => {
  test('validates its entry strictly, defaults apiUrl and names its secret', () => {
    const parsed = cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: 'pk', apiSecret: 's' });
    assert.equal(parsed.apiUrl, 'https://api.cloudpayments.ru');
    assert.throws(() => cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: 'pk', apiSecret: 's', extra: 1 }));
    assert.throws(() => cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: 'pk' }));
    assert.deepEqual(cloudPaymentsModule.secretKeys, ['apiSecret']);
    assert.deepEqual([...cloudPaymentsModule.methods], ['card', 'sbp']);
    assert.equal(cloudPaymentsModule.notificationUrlInDashboard, true);
  });
});

describe('create', () => {
  test('creates an order and hands the buyer its hosted page', async () => {
    const p = newPayment();
    const r = await connector.create(createRequest(p));
    assert.equal(r.kind, 'started');
    if (r.kind !== 'started') return;
    assert.equal(r.action.type, 'redirect');
    const order = emulator.orders.get(r.providerPaymentId)!;
    assert.equal(r.action.type === 'redirect' && r.action.url, `${emulator.url}/d/${order.id}`);
    assert.deepEqual([order.amountMinor, order.currency, order.invoiceId, order.email], [122400n, 'RUB', p.id, 'buyer@example.com']);
    assert.equal(order.successRedirectUrl, `http://gateway.test/return/${p.id}/success`);
    assert.equal(r.expiresAt, p.expiresAt);
  });

  test('a retry with the same idempotency key returns the same order and creates no second one', async () => {
    const p = newPayment();
    const before = emulator.orders.size;
    const a = await connector.create(createRequest(p));
    const b = await connector.create(createRequest(p));
    assert.equal(a.kind, 'started');
    assert.deepEqual(b, a);
    assert.equal(emulator.orders.size, before + 1);
  });

  const faults: Array<[string, () => void, 'unknown' | 'refused']> = [
    ['down', () => (emulator.faults.api = 'down'), 'unknown'],
    ['slow past the deadline', () => Object.assign(emulator.faults, { api: 'slow', slowMs: 1500 }), 'unknown'],
    ['garbage', () => (emulator.faults.api = 'garbage'), 'unknown'],
    ['HTML', () => (emulator.faults.api = 'html'), 'unknown'],
    ['HTTP 500', () => (emulator.faults.api = 'http500'), 'unknown'],
    ['an error answer', () => (emulator.faults.api = 'error'), 'refused'],
  ];
  for (const [name, arrange, kind] of faults) {
    test(`the API ${name} at create gives ${kind}`, async () => {
      arrange();
      connector = connectorWith({ timeoutMs: 400 });
      const r = await connector.create(createRequest(newPayment()));
      assert.equal(r.kind, kind, JSON.stringify(r));
      assert.match((r as { reason: string }).reason, /^cloudpayments: /);
    });
  }

  test('wrong credentials are a refusal, and a provider refusal carries its Message', async () => {
    connector = connectorWith({ apiSecret: 'wrong' });
    const r = await connector.create(createRequest(newPayment()));
    assert.deepEqual(r, { kind: 'refused', reason: 'cloudpayments: authentication failed (HTTP 401)' });
    connector = connectorWith();
    const zero = await connector.create(createRequest(newPayment({ amountMinor: 0n })));
    assert.deepEqual(zero, { kind: 'refused', reason: 'cloudpayments: Invalid Amount value' });
  });
});

describe('hosted page and notifications', () => {
  test('a success card: Check answered 0, Pay marks the payment paid, the buyer goes to SuccessRedirectUrl', async () => {
    const p = newPayment();
    const { result } = await createAndPay(p, '4242 4242 4242 4242');
    assert.equal(result.outcome, 'paid');
    assert.equal(result.redirectUrl, `http://gateway.test/return/${p.id}/success`);
    const [check, pay] = emulator.deliveries;
    assert.deepEqual([check!.kind, check!.answer, pay!.kind, pay!.answer], ['check', '{"code":0}', 'pay', '{"code":0}']);
    assert.equal(pay!.headers['content-type'], 'application/x-www-form-urlencoded; charset=utf-8');
    const applied = ctx.applied();
    assert.equal(applied.length, 1);
    assert.deepEqual(applied[0], { state: 'paid', providerPaymentId: String(result.transactionId), currency: 'RUR', amountMinor: 122400n, providerState: 'Completed' });
    assert.equal(ctx.payments.get(p.id)!.status, 'paid');
  });

  test('a decline card: Check 0, then Fail marks the payment failed and the buyer goes to FailRedirectUrl', async () => {
    const p = newPayment();
    const { result } = await createAndPay(p, '4012888888881881');
    assert.deepEqual([result.outcome, result.reasonCode], ['declined', 5051]);
    assert.equal(result.redirectUrl, `http://gateway.test/return/${p.id}/fail`);
    assert.deepEqual(emulator.deliveries.map((d) => [d.kind, d.answer]), [['check', '{"code":0}'], ['fail', '{"code":0}']]);
    assert.equal(ctx.applied()[0]!.state, 'failed');
    assert.match(ctx.applied()[0]!.providerState, /^Declined:5051/);
  });

  const checks: Array<[string, (p: Payment) => Payment | undefined, number, number]> = [
    ['an unknown invoice', () => undefined, 10, 3001],
    ['another amount', (p) => ({ ...p, amountMinor: 100n }), 12, 3003],
    ['an expired payment', (p) => ({ ...p, status: 'expired' }), 20, 3004],
    ['a payment past its deadline', (p) => ({ ...p, expiresAt: NOW - 1 }), 20, 3004],
    ['a payment already paid', (p) => ({ ...p, status: 'paid' }), 13, 3008],
  ];
  for (const [name, gatewaySide, code, reasonCode] of checks) {
    test(`Check for ${name} is answered ${code} and the payment is declined`, async () => {
      const p = newPayment();
      const created = await connector.create(createRequest(p));
      assert.equal(created.kind, 'started');
      if (created.kind !== 'started') return;
      const known = gatewaySide(p);
      if (known) ctx.add(known);
      const result = await emulator.pay(created.providerPaymentId, '4242424242424242');
      await emulator.idle();
      assert.deepEqual([result.outcome, result.reasonCode], ['declined', reasonCode]);
      assert.equal(emulator.deliveries[0]!.answer, `{"code":${code}}`);
      assert.equal(emulator.deliveries.some((d) => d.kind === 'pay'), false);
    });
  }

  test('a duplicate Pay changes nothing and is answered 0', async () => {
    const p = newPayment();
    await createAndPay(p, '4111111111111111');
    const pay = emulator.deliveries.find((d) => d.kind === 'pay')!;
    const again = await connector.handleNotification(incoming(pay.body, pay.headers, '/providers/cp/notify?kind=pay'), ctx);
    assert.deepEqual(again, { status: 200, contentType: 'application/json', body: '{"code":0}' });
    assert.equal(ctx.payments.get(p.id)!.status, 'paid');
    assert.equal(ctx.applied().length, 2);
  });

  test('a Pay whose amount differs is handed over for the amount check (answered 0), one for an unknown payment gets 10', async () => {
    const p = newPayment();
    await createAndPay(p, '4111111111111111');
    const pay = emulator.deliveries.find((d) => d.kind === 'pay')!;
    ctx = new FakeContext();
    ctx.add(newPayment({ id: p.id, amountMinor: 122300n }));
    const a = await connector.handleNotification(incoming(pay.body, pay.headers), ctx);
    assert.equal(a.body, '{"code":0}');
    assert.equal(ctx.applied()[0]!.amountMinor, 122400n);
    assert.equal(ctx.payments.get(p.id)!.status, 'awaiting_payment');
    ctx = new FakeContext();
    assert.equal((await connector.handleNotification(incoming(pay.body, pay.headers), ctx)).body, '{"code":10}');
    assert.equal(ctx.applied().length, 0);
  });

  test('forged notifications (wrong key) are refused and the gateway is never asked', async () => {
    emulator.faults.forgeNotifications = true;
    const p = newPayment();
    ctx.add(p);
    const created = await connector.create(createRequest(p));
    if (created.kind !== 'started') throw new Error('not started');
    const result = await emulator.pay(created.providerPaymentId, '4242424242424242');
    await emulator.idle();
    assert.equal(result.outcome, 'declined');
    assert.ok(emulator.deliveries.length >= 2);
    for (const d of emulator.deliveries) assert.equal(d.answer, '{"code":13}');
    assert.equal(ctx.calls.length, 0);
    assert.equal(ctx.payments.get(p.id)!.status, 'awaiting_payment');
  });

  test('a Pay body altered by one byte, or without its HMAC, is refused and the gateway is never asked', async () => {
    const p = newPayment();
    await createAndPay(p, '4111111111111111');
    const pay = emulator.deliveries.find((d) => d.kind === 'pay')!;
    ctx = new FakeContext();
    ctx.add(newPayment({ id: p.id }));
    const bytes = Buffer.from(pay.body, 'utf8');
    for (let i = 0; i < bytes.length; i += 7) {
      const altered = Buffer.from(bytes);
      altered[i] = altered[i]! ^ 0x01;
      const a = await connector.handleNotification(incoming(altered, pay.headers), ctx);
      assert.equal(a.body, '{"code":13}', `byte ${i}`);
    }
    const { 'content-hmac': _c, 'x-content-hmac': _x, ...unsigned } = pay.headers;
    assert.equal((await connector.handleNotification(incoming(pay.body, unsigned), ctx)).body, '{"code":13}');
    assert.equal(ctx.calls.length, 0);
  });

  test('a signed body sent to the URL of another kind is refused (the URL is not signed)', async () => {
    const p = newPayment();
    await createAndPay(p, '4111111111111111');
    const check = emulator.deliveries.find((d) => d.kind === 'check')!;
    ctx = new FakeContext();
    ctx.add(newPayment({ id: p.id }));
    const a = await connector.handleNotification(incoming(check.body, check.headers, '/providers/cp/notify?kind=pay'), ctx);
    assert.equal(a.body, '{"code":13}');
    assert.equal(ctx.calls.length, 0);
  });

  test('X-Content-HMAC (computed over the decoded text) does not verify an encoded form body on its own', async () => {
    const p = newPayment();
    await createAndPay(p, '4111111111111111');
    const check = emulator.deliveries.find((d) => d.kind === 'check')!;
    // This form body has encoded characters, so its X-Content-HMAC (over decoded text) differs.
    assert.notEqual(check.headers['content-hmac'], check.headers['x-content-hmac']);
    const { 'content-hmac': _c, ...onlyX } = check.headers;
    assert.equal((await connector.handleNotification(incoming(check.body, onlyX), ctx)).body, '{"code":13}');
  });

  test('the retry schedule: an unanswered Pay is sent again until it gets {"code":0}', async () => {
    const p = newPayment();
    ctx.add(p);
    ctx.failNextApply = true;
    const created = await connector.create(createRequest(p));
    if (created.kind !== 'started') throw new Error('not started');
    await emulator.pay(created.providerPaymentId, '5555555555554444');
    await emulator.idle();
    const first = emulator.deliveries.filter((d) => d.kind === 'pay');
    assert.deepEqual(first.map((d) => [d.status, d.accepted]), [[503, false]]);
    assert.equal(scheduled.length, 1);
    scheduled.shift()!.fn();
    await emulator.idle();
    const all = emulator.deliveries.filter((d) => d.kind === 'pay');
    assert.deepEqual(all.map((d) => [d.attempt, d.accepted]), [[1, false], [2, true]]);
    assert.equal(all[0]!.body, all[1]!.body);
    assert.equal(ctx.payments.get(p.id)!.status, 'paid');
    assert.equal(scheduled.length, 0);
  });

  test('the hosted page lists the test cards, pays by form and redirects with 303', async () => {
    const p = newPayment();
    ctx.add(p);
    const created = await connector.create(createRequest(p));
    if (created.kind !== 'started' || created.action.type !== 'redirect') throw new Error('not started');
    const page = await fetch(created.action.url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /4242 4242 4242 4242/);
    assert.match(html, /1224\.00 RUB/);
    const paid = await fetch(`${created.action.url}/pay`, { method: 'POST', body: new URLSearchParams({ cardNumber: '4242424242424242' }), redirect: 'manual' });
    assert.equal(paid.status, 303);
    assert.equal(paid.headers.get('location'), `http://gateway.test/return/${p.id}/success`);
    await emulator.idle();
    assert.equal(ctx.payments.get(p.id)!.status, 'paid');
    assert.equal((await fetch(`${created.action.url}/pay`, { method: 'POST', body: 'cardNumber=1234', redirect: 'manual' })).status, 409);
  });
});

describe('JSON notifications', () => {
  test('Check and Pay sent as JSON are verified and handled the same', async () => {
    const url = `${notifyBase}/providers/cp/notify`;
    const jsonEmulator = await startCloudPaymentsEmulator({ publicId: PUBLIC_ID, apiSecret: API_SECRET, format: 'json', notify: { check: url, pay: url, fail: url, refund: url }, now: () => NOW });
    try {
      const config = cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: PUBLIC_ID, apiSecret: API_SECRET, apiUrl: jsonEmulator.url });
      connector = cloudPaymentsModule.create(config, { http: createProviderHttp(), now: () => NOW, publicUrl: 'http://gateway.test', timeoutMs: 2000 });
      const p = newPayment();
      ctx.add(p);
      const created = await connector.create(createRequest(p));
      if (created.kind !== 'started') throw new Error('not started');
      await jsonEmulator.pay(created.providerPaymentId, '4242424242424242');
      await jsonEmulator.idle();
      const [check, pay] = jsonEmulator.deliveries;
      assert.equal(check!.headers['content-type'], 'application/json; charset=utf-8');
      assert.match(pay!.body, /"Amount":1224\.00,/);
      assert.equal(check!.headers['content-hmac'], check!.headers['x-content-hmac']);
      assert.deepEqual([check!.answer, pay!.answer], ['{"code":0}', '{"code":0}']);
      assert.equal(ctx.payments.get(p.id)!.status, 'paid');
      const { 'content-hmac': _c, ...onlyX } = pay!.headers;
      assert.equal((await connector.handleNotification(incoming(pay!.body, onlyX), ctx)).body, '{"code":0}');
    } finally {
      await jsonEmulator.close();
    }
  });
});

describe('fetchStatus', () => {
  test('heals a dropped Pay: the payment is found paid with its amount', async () => {
    emulator.faults.dropNotifications = true;
    const p = newPayment();
    const { result } = await createAndPay(p, '4242424242424242');
    assert.equal(emulator.deliveries.length, 0);
    assert.equal(ctx.payments.get(p.id)!.status, 'awaiting_payment');
    const s = await connector.fetchStatus(p, null);
    assert.deepEqual(s, { state: 'paid', providerPaymentId: String(result.transactionId), currency: 'RUR', amountMinor: 122400n, providerState: 'Completed' });
  });

  test('a declined payment is failed, an unknown one not_found, a down API unreachable', async () => {
    emulator.faults.dropNotifications = true;
    const p = newPayment();
    await createAndPay(p, '5404000000000043');
    assert.equal(((await connector.fetchStatus(p, null)) as ProviderStatus).state, 'failed');
    assert.deepEqual(await connector.fetchStatus(newPayment(), null), { state: 'not_found', providerState: 'NotFound' });
    emulator.faults.api = 'html';
    assert.equal((await connector.fetchStatus(p, null)).state, 'unreachable');
  });
});

describe('refund', () => {
  async function paidPayment() {
    const p = newPayment();
    const { created, result } = await createAndPay(p, '4242424242424242');
    return { p: ctx.payments.get(p.id)!, created, transactionId: String(result.transactionId) };
  }

  test('a full refund: done, Refund notification marks it refunded', async () => {
    const { p, transactionId } = await paidPayment();
    const r = await connector.refund({ payment: p, providerPaymentId: transactionId, amountMinor: 122400n, idempotencyKey: `rf-${p.id}`, reason: 'return' });
    assert.equal(r.kind, 'done');
    await emulator.idle();
    const refund = emulator.deliveries.find((d) => d.kind === 'refund')!;
    assert.equal(refund.answer, '{"code":0}');
    assert.deepEqual(ctx.applied().at(-1), { state: 'refunded', providerPaymentId: transactionId, refundedMinor: 122400n, providerState: 'Refund:Completed' });
    assert.equal(((await connector.fetchStatus(p, transactionId)) as ProviderStatus).state, 'refunded');
  });

  test('a partial refund, idempotent on retry; the transaction is found from the order id too', async () => {
    const { p, created } = await paidPayment();
    const req = { payment: p, providerPaymentId: created.kind === 'started' ? created.providerPaymentId : '', amountMinor: 10050n, idempotencyKey: `rf-part-${p.id}`, reason: 'part' };
    const a = await connector.refund(req);
    const b = await connector.refund(req);
    assert.equal(a.kind, 'done');
    assert.deepEqual(b, a);
    assert.equal(a.kind === 'done' && a.refundedMinor, undefined, 'a refund\'s own amount is not the refunded total');
    await emulator.idle();
    assert.equal(emulator.transactions.filter((t) => t.type === 1 && t.invoiceId === p.id).length, 1);
    assert.equal(ctx.applied().at(-1)!.state, 'partially_refunded');
    assert.equal(ctx.applied().at(-1)!.refundedMinor, undefined);
  });

  test('a refund above what was paid is refused, locally and by CloudPayments', async () => {
    const { p, transactionId } = await paidPayment();
    const above = await connector.refund({ payment: p, providerPaymentId: transactionId, amountMinor: 122401n, idempotencyKey: `rf-a-${p.id}`, reason: 'x' });
    assert.deepEqual(above, { kind: 'refused', reason: 'refund amount is above what was paid' });
    const first = await connector.refund({ payment: p, providerPaymentId: transactionId, amountMinor: 100000n, idempotencyKey: `rf-b-${p.id}`, reason: 'x' });
    assert.equal(first.kind, 'done');
    const second = await connector.refund({ payment: p, providerPaymentId: transactionId, amountMinor: 30000n, idempotencyKey: `rf-c-${p.id}`, reason: 'x' });
    assert.deepEqual(second, { kind: 'refused', reason: 'cloudpayments: Refund amount is greater than the available amount' });
  });

  test('a refund when the API is down is unknown, never guessed', async () => {
    const { p, transactionId } = await paidPayment();
    emulator.faults.api = 'down';
    const r = await connector.refund({ payment: p, providerPaymentId: transactionId, amountMinor: 100n, idempotencyKey: `rf-d-${p.id}`, reason: 'x' });
    assert.equal(r.kind, 'unknown');
  });
});

describe('bad input to the notification handler', () => {
  test('any body with any header gets the refusal, never a throw, and changes nothing', async () => {
    const bodies = ['', 'garbage', '{', '[]', 'null', '{"Status":"Completed"}', 'a=1&a=2', '\u0000\uffff', 'x'.repeat(5000)];
    for (const body of bodies) {
      const headerSets: Array<Record<string, string>> = [{}, { 'content-hmac': 'x' }, { 'content-hmac': 'qnR8UCqJggD55PohusaBNviGoOJ67HC6Btry4qXLVZc=', 'content-type': 'application/json' }];
      for (const headers of headerSets) {
        const a = await connector.handleNotification(incoming(body, headers), ctx);
        assert.equal(a.status, 200);
        assert.equal(a.body, '{"code":13}');
      }
    }
    assert.equal(ctx.calls.length, 0);
  });
});
