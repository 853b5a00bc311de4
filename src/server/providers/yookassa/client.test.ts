/**
 * The YooKassa connector against its emulator over loopback: create per method, idempotent retries,
 * unsigned notifications verified by a GET (genuine, forged, wrong source, duplicate), reconciliation
 * after a dropped notification, refunds, and the create fault matrix.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createProviderHttp } from '../http.ts';
import type { ApplyOutcome, Connector, IncomingNotification, NotifyContext, ProviderStatus } from '../contract.ts';
import type { Payment } from '../../types.ts';
import { createYooKassaConnector, idempotenceKey } from './client.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from './emulator.ts';
import { YOOKASSA_NOTIFY_IPS } from './transform.ts';

const SHOP_ID = '100500';
const SECRET = 'test_secret_key_0123456789';
const TIMEOUT_MS = 1200;
const YK_SOURCE = '185.71.76.5';

let n = 0;
function makePayment(over: Partial<Payment> = {}): Payment {
  n += 1;
  const now = Date.now();
  // `as`: the fields the connector reads; columns the payment record gains elsewhere do not matter here.
  return {
    id: `pay_${n}_${Math.random().toString(36).slice(2, 8)}`, number: 1000 + n, merchantLogin: 'shop', payFor: `order-${n}`, mode: 'fix',
    priceMinor: 122400n, ticker: 'RUR', convert: false, priceFinal: false, note: '', ln: 'ru',
    urlSuccess: 'https://shop.example/ok', urlFail: 'https://shop.example/fail', userEmail: '', userPhone: '', extraParams: {},
    way: 'YKC', wayTicker: 'RUR', amountMinor: 122400n, feeMinor: 0n, balanceMinor: 122400n, balanceTicker: 'RUR', rate: '1',
    status: 'awaiting_payment', statusReason: '', manual: false, action: null, idempotencyKey: null, requestHash: null,
    responseStatus: null, responseBody: null, expiresAt: null, paidAt: null, createdAt: now, updatedAt: now,
    ...over,
  } as Payment;
}

function createRequest(payment: Payment, method: string, key = `create-${payment.id}`) {
  return {
    payment, method, idempotencyKey: key,
    notificationUrl: 'http://gw.test/providers/yk/notify',
    successUrl: `http://gw.test/return/${payment.id}/success`, failUrl: `http://gw.test/return/${payment.id}/fail`,
    description: `Shop: order ${payment.payFor}`,
  };
}

/** The gateway's side, as the payment service would be: payments by id, idempotent apply. */
function fakeContext(payments: Payment[]) {
  const byId = new Map(payments.map((p) => [p.id, p]));
  const state = new Map<string, string>();
  const applied: { paymentId: string; status: ProviderStatus; outcome: ApplyOutcome }[] = [];
  const ctx: NotifyContext = {
    payment: async (id) => byId.get(id),
    apply: async (id, status) => {
      const p = byId.get(id);
      let outcome: ApplyOutcome;
      if (!p) outcome = 'unknown_payment';
      else if (status.amountMinor !== p.amountMinor || status.currency !== p.wayTicker) outcome = 'amount_mismatch';
      else if (state.get(id) === status.state + String(status.refundedMinor ?? '')) outcome = 'unchanged';
      else {
        state.set(id, status.state + String(status.refundedMinor ?? ''));
        outcome = 'applied';
      }
      applied.push({ paymentId: id, status, outcome });
      return outcome;
    },
  };
  return { ctx, applied };
}

function incoming(body: string, ...source: [string | undefined] | []): IncomingNotification {
  const remoteAddress = source.length === 0 ? YK_SOURCE : source[0];
  return { rawBody: new TextEncoder().encode(body), body, headers: new Headers({ 'content-type': 'application/json' }), remoteAddress };
}

describe('YooKassa connector against the emulator', () => {
  let emu: YooKassaEmulator;
  let sent: string[] = [];
  let connector: Connector;
  const http = createProviderHttp();
  const deps = { http, now: () => Date.now(), publicUrl: 'http://gw.test', timeoutMs: TIMEOUT_MS };
  const sleeps: number[] = [];

  before(async () => {
    emu = await startYooKassaEmulator({
      shopId: SHOP_ID, secretKey: SECRET, notificationUrl: 'http://gw.test/providers/yk/notify',
      // Notifications are captured here and handed to the connector by the tests; 200 ends the retries.
      send: async (_url, body) => {
        sent.push(body);
        return 200;
      },
      schedule: (_ms, run) => run(),
    });
    connector = createYooKassaConnector(
      { id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: emu.apiUrl, notifyIps: [...YOOKASSA_NOTIFY_IPS] },
      deps,
      { sleep: (ms) => { sleeps.push(ms); return new Promise((r) => setTimeout(r, ms)); } },
    );
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.clearFaults();
    emu.dropNotifications = false;
    sent = [];
    sleeps.length = 0;
  });

  test('creates a card payment: the buyer is sent to YooKassa\'s page, in a popup', async () => {
    const p = makePayment();
    const r = await connector.create(createRequest(p, 'bank_card'));
    assert.equal(r.kind, 'started');
    assert.ok(r.kind === 'started');
    assert.equal(r.action.type, 'redirect');
    assert.ok(r.action.type === 'redirect' && r.action.url.startsWith(`${emu.url}/checkout/payments/v2/contract?orderId=${r.providerPaymentId}`));
    assert.ok(r.action.type === 'redirect' && r.action.frame === false);
    assert.ok(r.expiresAt > Date.now() + 59 * 60_000);
    const at = emu.payment(r.providerPaymentId)!;
    assert.deepEqual(at.amount, { value: '1224.00', currency: 'RUB' });
    assert.deepEqual(at.metadata, { onpay_payment_id: p.id, onpay_number: String(p.number), onpay_merchant: 'shop' });
    assert.equal(at.description, `Shop: order ${p.payFor}`);
    assert.equal((at.payment_method as { type: string }).type, 'bank_card');
    assert.equal(connector.kind('bank_card'), 'redirect');
    assert.equal(connector.frame('bank_card'), false);
  });

  test('creates a YooMoney payment as a redirect', async () => {
    const r = await connector.create(createRequest(makePayment(), 'yoo_money'));
    assert.ok(r.kind === 'started' && r.action.type === 'redirect');
    assert.equal((emu.payment(r.providerPaymentId)!.payment_method as { type: string }).type, 'yoo_money');
  });

  test('creates an SBP payment as instructions with a QR payload and a phone link', async () => {
    const p = makePayment({ amountMinor: 50050n });
    const r = await connector.create(createRequest(p, 'sbp'));
    assert.ok(r.kind === 'started');
    assert.equal(connector.kind('sbp'), 'instructions');
    assert.ok(r.action.type === 'instructions');
    const url = `${emu.url}/checkout/payments/v2/contract?orderId=${r.providerPaymentId}`;
    assert.deepEqual(r.action.qr, { payload: url, deepLink: url });
    assert.equal(r.action.amount, '500.5');
    assert.equal(r.action.ticker, 'RUR');
    assert.equal(r.action.expiresAt, new Date(r.expiresAt).toISOString());
  });

  test('a retried create with the same key returns the same YooKassa payment', async () => {
    const p = makePayment();
    const before = emu.paymentIds().length;
    const a = await connector.create(createRequest(p, 'bank_card'));
    const b = await connector.create(createRequest(p, 'bank_card'));
    assert.ok(a.kind === 'started' && b.kind === 'started');
    assert.equal(a.providerPaymentId, b.providerPaymentId);
    assert.equal(emu.paymentIds().length, before + 1);
  });

  test('the same key with another body is YooKassa\'s duplicated-key refusal', async () => {
    const p = makePayment();
    await connector.create(createRequest(p, 'bank_card', 'shared-key'));
    const r = await connector.create(createRequest({ ...p, amountMinor: 100n }, 'bank_card', 'shared-key'));
    assert.deepEqual(r, { kind: 'refused', reason: 'yookassa 400 invalid_request: Idempotence key duplicated (parameter Idempotence-Key)' });
  });

  test('an idempotency key longer than YooKassa\'s 64 characters is sent hashed, stably', async () => {
    const p = makePayment();
    const key = 'k'.repeat(100);
    assert.equal(idempotenceKey(key).length, 64);
    assert.equal(idempotenceKey(key), idempotenceKey(key));
    const a = await connector.create(createRequest(p, 'bank_card', key));
    const b = await connector.create(createRequest(p, 'bank_card', key));
    assert.ok(a.kind === 'started' && b.kind === 'started' && a.providerPaymentId === b.providerPaymentId);
  });

  async function started(method = 'bank_card', over: Partial<Payment> = {}) {
    const p = makePayment(over);
    const r = await connector.create(createRequest(p, method));
    assert.ok(r.kind === 'started');
    return { p, ykId: r.providerPaymentId };
  }

  test('a genuine payment.succeeded is verified with a GET and applied', async () => {
    const { p, ykId } = await started();
    assert.ok(emu.complete(ykId, 'succeeded'));
    assert.equal(sent.length, 1);
    const { ctx, applied } = fakeContext([p]);
    const gets = emu.calls['GET /payments/{id}'] ?? 0;
    const answer = await connector.handleNotification(incoming(sent[0]!), ctx);
    assert.equal(answer.status, 200);
    assert.equal(emu.calls['GET /payments/{id}'], gets + 1);
    assert.equal(applied.length, 1);
    assert.equal(applied[0]!.paymentId, p.id);
    assert.equal(applied[0]!.outcome, 'applied');
    assert.deepEqual({ ...applied[0]!.status }, { state: 'paid', providerPaymentId: ykId, amountMinor: 122400n, currency: 'RUR', providerState: 'succeeded' });
  });

  test('a duplicate notification changes nothing and is still answered 200', async () => {
    const { p, ykId } = await started();
    emu.complete(ykId, 'succeeded');
    const { ctx, applied } = fakeContext([p]);
    const first = await connector.handleNotification(incoming(sent[0]!), ctx);
    const second = await connector.handleNotification(incoming(sent[0]!), ctx);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.deepEqual(applied.map((a) => a.outcome), ['applied', 'unchanged']);
  });

  test('a declined card becomes failed with YooKassa\'s reason', async () => {
    const { p, ykId } = await started();
    emu.complete(ykId, { party: 'payment_network', reason: 'insufficient_funds' });
    const { ctx, applied } = fakeContext([p]);
    assert.equal((await connector.handleNotification(incoming(sent[0]!), ctx)).status, 200);
    assert.equal(applied[0]!.status.state, 'failed');
    assert.equal(applied[0]!.status.providerState, 'canceled: insufficient_funds');
  });

  test('a forged payment.succeeded for a payment YooKassa reports pending changes nothing', async () => {
    const { p, ykId } = await started();
    const forged = JSON.stringify({
      type: 'notification', event: 'payment.succeeded',
      object: { id: ykId, status: 'succeeded', paid: true, amount: { value: '1224.00', currency: 'RUB' }, metadata: { onpay_payment_id: p.id } },
    });
    const { ctx, applied } = fakeContext([p]);
    const answer = await connector.handleNotification(incoming(forged), ctx);
    assert.equal(answer.status, 200);
    assert.deepEqual(applied, []);
    assert.equal(emu.payment(ykId)!.status, 'pending');
  });

  test('a flood of notifications about one payment costs one read per few seconds; a read that does not show the claim is not reused', async () => {
    let clock = Date.now();
    const open = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: emu.apiUrl }, { ...deps, now: () => clock });
    const { p, ykId } = await started();
    const forged = JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: ykId, status: 'succeeded', metadata: { onpay_payment_id: p.id } } });
    const { ctx, applied } = fakeContext([p]);
    const gets = emu.calls['GET /payments/{id}'] ?? 0;
    // 40 at once from anywhere (no notifyIps): one GET; the first is answered from it (still pending),
    // the others are asked to come again, since a remembered "pending" cannot prove anything later.
    const answers = await Promise.all(Array.from({ length: 40 }, () => open.handleNotification(incoming(forged, '127.0.0.1'), ctx)));
    assert.equal(emu.calls['GET /payments/{id}'], gets + 1, 'one read');
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    assert.equal(answers.filter((a) => a.status === 503).length, 39);
    assert.equal(applied.length, 0);
    // The buyer pays; YooKassa's genuine notification within the few seconds is asked to come again
    // (YooKassa resends), and applied once the remembered read has expired.
    emu.complete(ykId, 'succeeded');
    assert.equal((await open.handleNotification(incoming(sent.at(-1)!, '127.0.0.1'), ctx)).status, 503);
    clock += 5001;
    assert.equal((await open.handleNotification(incoming(sent.at(-1)!, '127.0.0.1'), ctx)).status, 200);
    assert.deepEqual(applied.map((a) => a.outcome), ['applied']);
    // Repeats of the applied event within the few seconds are answered from the read that shows it.
    const more = await Promise.all(Array.from({ length: 20 }, () => open.handleNotification(incoming(sent.at(-1)!, '127.0.0.1'), ctx)));
    assert.ok(more.every((a) => a.status === 200));
    assert.equal(emu.calls['GET /payments/{id}'], gets + 2, 'two reads in all');
  });

  test('a forged notification naming our payment in a body with another YooKassa id applies only what YooKassa says of that id', async () => {
    const { p } = await started();
    const other = await started();
    emu.complete(other.ykId, 'succeeded');
    const { ctx, applied } = fakeContext([p, other.p]);
    const forged = JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: other.ykId, metadata: { onpay_payment_id: p.id } } });
    assert.equal((await connector.handleNotification(incoming(forged), ctx)).status, 200);
    assert.deepEqual(applied.map((a) => a.paymentId), [other.p.id]);
  });

  test('a notification from outside notifyIps is refused before anything is asked or changed', async () => {
    const { p, ykId } = await started();
    emu.complete(ykId, 'succeeded');
    const { ctx, applied } = fakeContext([p]);
    const gets = emu.calls['GET /payments/{id}'] ?? 0;
    for (const source of ['203.0.113.9', '127.0.0.1', undefined]) {
      const answer = await connector.handleNotification(incoming(sent[0]!, source), ctx);
      assert.equal(answer.status, 403, String(source));
    }
    assert.equal(emu.calls['GET /payments/{id}'] ?? 0, gets);
    assert.deepEqual(applied, []);
    assert.equal((await connector.handleNotification(incoming(sent[0]!, '::ffff:77.75.156.11'), ctx)).status, 200);
  });

  test('without notifyIps any source is accepted (the GET still decides)', async () => {
    const open = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: emu.apiUrl }, deps);
    const { p, ykId } = await started();
    emu.complete(ykId, 'succeeded');
    const { ctx, applied } = fakeContext([p]);
    assert.equal((await open.handleNotification(incoming(sent[0]!, '127.0.0.1'), ctx)).status, 200);
    assert.equal(applied[0]!.status.state, 'paid');
  });

  test('bad bodies, unknown ids and payments of no gateway get 4xx and change nothing', async () => {
    const { ctx, applied } = fakeContext([]);
    const unknownId = '2f000000-000f-5000-8000-000000000000';
    const cases: [string, number][] = [
      ['', 400], ['not json', 400], ['{}', 400], ['[]', 400], ['{"type":"notification","event":"payment.succeeded"}', 400],
      [JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: 'x/../../v3/refunds' } }), 400],
      [JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: unknownId } }), 404],
    ];
    for (const [body, status] of cases) assert.equal((await connector.handleNotification(incoming(body), ctx)).status, status, body);
    // A well-formed notification of an event we do not act on is acknowledged, so YooKassa stops repeating it.
    assert.equal((await connector.handleNotification(incoming(JSON.stringify({ type: 'notification', event: 'payout.succeeded', object: { id: 'po-1' } })), ctx)).status, 200);
    // A real YooKassa payment whose metadata names a payment this gateway does not have.
    const { ykId } = await started();
    emu.complete(ykId, 'succeeded');
    assert.equal((await connector.handleNotification(incoming(sent[0]!), ctx)).status, 404);
    assert.deepEqual(applied, []);
  });

  test('YooKassa unreachable while verifying: 503, so that YooKassa sends the notification again', async () => {
    const { p, ykId } = await started();
    emu.complete(ykId, 'succeeded');
    // Twice: the HTTP client sends once more on a fresh connection when a kept-alive one is cut.
    emu.fault({ kind: 'down' }, 2, 'GET /payments/{id}');
    const { ctx, applied } = fakeContext([p]);
    assert.equal((await connector.handleNotification(incoming(sent[0]!), ctx)).status, 503);
    assert.deepEqual(applied, []);
    assert.equal((await connector.handleNotification(incoming(sent[0]!), ctx)).status, 200);
  });

  test('a refund.succeeded notification reports the refunded amount', async () => {
    const { p, ykId } = await started();
    emu.complete(ykId, 'succeeded');
    const r = await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 4000n, idempotencyKey: `refund-${p.id}-1`, reason: 'asked' });
    assert.equal(r.kind, 'done');
    const note = sent.find((s) => s.includes('refund.succeeded'))!;
    const { ctx, applied } = fakeContext([p]);
    assert.equal((await connector.handleNotification(incoming(note), ctx)).status, 200);
    assert.equal(applied[0]!.status.state, 'partially_refunded');
    assert.equal(applied[0]!.status.refundedMinor, 4000n);
  });

  test('fetchStatus heals a dropped notification', async () => {
    const { p, ykId } = await started();
    emu.dropNotifications = true;
    emu.complete(ykId, 'succeeded');
    assert.equal(sent.length, 0);
    const s = await connector.fetchStatus(p, ykId);
    assert.ok('amountMinor' in s && s.state === 'paid' && s.amountMinor === 122400n && s.currency === 'RUR');
  });

  test('fetchStatus without a YooKassa id finds the payment by our id in its metadata', async () => {
    const { p, ykId } = await started();
    await started(); // another payment created around the same time
    emu.dropNotifications = true;
    emu.complete(ykId, 'succeeded');
    const s = await connector.fetchStatus(p, null);
    assert.ok('providerPaymentId' in s && s.state === 'paid' && s.providerPaymentId === ykId);
    assert.equal((await connector.fetchStatus(makePayment(), null)).state, 'not_found');
    assert.equal((await connector.fetchStatus(makePayment(), '2f000000-000f-5000-8000-000000000000')).state, 'not_found');
  });

  test('fetchStatus says unreachable when YooKassa does not answer', async () => {
    const { p, ykId } = await started();
    emu.fault({ kind: 'html' }, 1, 'GET /payments/{id}');
    const s = await connector.fetchStatus(p, ykId);
    assert.equal(s.state, 'unreachable');
  });

  test('full and partial refunds; a retried refund is not made twice', async () => {
    const { p, ykId } = await started();
    emu.complete(ykId, 'succeeded');
    const part = await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 4000n, idempotencyKey: `r-${p.id}-1`, reason: '' });
    assert.ok(part.kind === 'done');
    assert.equal(part.refundedMinor, 4000n);
    const again = await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 4000n, idempotencyKey: `r-${p.id}-1`, reason: '' });
    assert.ok(again.kind === 'done' && again.providerRefundId === part.providerRefundId && again.refundedMinor === 4000n);
    const rest = await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 118400n, idempotencyKey: `r-${p.id}-2`, reason: '' });
    assert.ok(rest.kind === 'done');
    assert.equal(rest.refundedMinor, 122400n);
    const s = await connector.fetchStatus(p, ykId);
    assert.equal(s.state, 'refunded');
  });

  test('a refund above what was paid is refused, by us and by YooKassa', async () => {
    const { p, ykId } = await started();
    emu.complete(ykId, 'succeeded');
    const posts = emu.calls['POST /refunds'] ?? 0;
    const above = await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 122401n, idempotencyKey: `r-${p.id}-x`, reason: '' });
    assert.deepEqual(above, { kind: 'refused', reason: 'refund amount is above what was paid' });
    assert.equal(emu.calls['POST /refunds'] ?? 0, posts);
    await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 100000n, idempotencyKey: `r-${p.id}-1`, reason: '' });
    const rest = await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 30000n, idempotencyKey: `r-${p.id}-2`, reason: '' });
    assert.equal(rest.kind, 'refused');
    assert.ok(rest.kind === 'refused' && /invalid_request/.test(rest.reason));
    assert.equal((await connector.fetchStatus(p, ykId)).state, 'partially_refunded');
  });

  test('a refund of an unpaid payment is refused by YooKassa', async () => {
    const { p, ykId } = await started();
    const r = await connector.refund({ payment: p, providerPaymentId: ykId, amountMinor: 100n, idempotencyKey: `r-${p.id}`, reason: '' });
    assert.equal(r.kind, 'refused');
  });

  describe('faults at create', () => {
    test('YooKassa down: unknown, never guessed', async () => {
      emu.fault({ kind: 'down' }, Infinity, 'POST /payments');
      const r = await connector.create(createRequest(makePayment(), 'bank_card'));
      assert.equal(r.kind, 'unknown');
    });

    test('slow past the deadline: unknown, and reconciliation finds what YooKassa made', async () => {
      const p = makePayment();
      emu.fault({ kind: 'slow', delayMs: TIMEOUT_MS + 500 }, 1, 'POST /payments');
      const r = await connector.create(createRequest(p, 'bank_card'));
      assert.equal(r.kind, 'unknown');
      assert.ok(r.kind === 'unknown' && /no answer within/.test(r.reason));
      const s = await connector.fetchStatus(p, null);
      assert.equal(s.state, 'pending');
      // The gateway's retry of the same create gets the same payment.
      const again = await connector.create(createRequest(p, 'bank_card'));
      assert.ok(again.kind === 'started' && s.state === 'pending' && again.providerPaymentId === s.providerPaymentId);
    });

    test('garbage: unknown', async () => {
      emu.fault({ kind: 'garbage' }, 1, 'POST /payments');
      const r = await connector.create(createRequest(makePayment(), 'bank_card'));
      assert.equal(r.kind, 'unknown');
    });

    test('an HTML page from a proxy (502): retried, then unknown', async () => {
      emu.fault({ kind: 'html' }, Infinity, 'POST /payments');
      const calls = emu.calls['POST /payments'] ?? 0;
      const r = await connector.create(createRequest(makePayment(), 'bank_card'));
      assert.equal(r.kind, 'unknown');
      assert.ok((emu.calls['POST /payments'] ?? 0) - calls >= 2);
    });

    test('an HTML page with 200: unknown', async () => {
      emu.fault({ kind: 'html', status: 200 }, 1, 'POST /payments');
      assert.equal((await connector.create(createRequest(makePayment(), 'bank_card'))).kind, 'unknown');
    });

    test('YooKassa\'s error object: refused with its code, description and parameter', async () => {
      emu.fault({ kind: 'status', status: 400, code: 'invalid_request', description: 'Invalid amount value', parameter: 'amount.value' }, 1, 'POST /payments');
      const r = await connector.create(createRequest(makePayment(), 'bank_card'));
      assert.deepEqual(r, { kind: 'refused', reason: 'yookassa 400 invalid_request: Invalid amount value (parameter amount.value)' });
    });

    test('wrong credentials: refused with invalid_credentials', async () => {
      const wrong = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: 'wrong', apiUrl: emu.apiUrl }, deps);
      const r = await wrong.create(createRequest(makePayment(), 'bank_card'));
      assert.equal(r.kind, 'refused');
      assert.ok(r.kind === 'refused' && r.reason.startsWith('yookassa 401 invalid_credentials'));
    });

    test('429 then success: retried with the same key, one payment', async () => {
      const before = emu.paymentIds().length;
      const calls = emu.calls['POST /payments'] ?? 0;
      emu.fault({ kind: 'status', status: 429 }, 1, 'POST /payments');
      const r = await connector.create(createRequest(makePayment(), 'bank_card'));
      assert.equal(r.kind, 'started');
      assert.equal((emu.calls['POST /payments'] ?? 0) - calls, 2);
      assert.equal(emu.paymentIds().length, before + 1);
      assert.deepEqual(sleeps, [200]);
    });

    test('202 processing: waits its retry_after, repeats with the same key, and gets the one payment', async () => {
      const before = emu.paymentIds().length;
      emu.fault({ kind: 'processing', retryAfterMs: 350 }, 1, 'POST /payments');
      const r = await connector.create(createRequest(makePayment(), 'bank_card'));
      assert.equal(r.kind, 'started');
      assert.deepEqual(sleeps, [350]);
      assert.equal(emu.paymentIds().length, before + 1);
    });

    test('202 processing until the deadline: unknown, since YooKassa has the request', async () => {
      emu.fault({ kind: 'processing', retryAfterMs: 100 }, Infinity, 'POST /payments');
      assert.equal((await connector.create(createRequest(makePayment(), 'bank_card'))).kind, 'unknown');
    });

    test('500 then success: retried with the same key', async () => {
      emu.fault({ kind: 'status', status: 500 }, 2, 'POST /payments');
      assert.equal((await connector.create(createRequest(makePayment(), 'bank_card'))).kind, 'started');
    });

    test('429 until the deadline: refused, since YooKassa did not take it', async () => {
      emu.fault({ kind: 'status', status: 429 }, Infinity, 'POST /payments');
      const r = await connector.create(createRequest(makePayment(), 'bank_card'));
      assert.equal(r.kind, 'refused');
      assert.ok(r.kind === 'refused' && /too_many_requests/.test(r.reason));
    });

    test('5xx until the deadline: unknown, since YooKassa says the result is unknown', async () => {
      emu.fault({ kind: 'status', status: 500 }, Infinity, 'POST /payments');
      assert.equal((await connector.create(createRequest(makePayment(), 'bank_card'))).kind, 'unknown');
    });

    test('a currency YooKassa does not take: refused without a call', async () => {
      const calls = emu.calls['POST /payments'] ?? 0;
      const r = await connector.create(createRequest(makePayment({ wayTicker: 'TST' }), 'bank_card'));
      assert.equal(r.kind, 'refused');
      assert.equal(emu.calls['POST /payments'] ?? 0, calls);
    });
  });
});

test('nothing listens: create is unknown or refused, never thrown', async () => {
  const emu = await startYooKassaEmulator({ shopId: SHOP_ID, secretKey: SECRET });
  const apiUrl = emu.apiUrl;
  await emu.close();
  const c = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl }, {
    http: createProviderHttp(), now: () => Date.now(), publicUrl: 'http://gw.test', timeoutMs: 600,
  });
  const r = await c.create(createRequest(makePayment(), 'bank_card'));
  assert.equal(r.kind, 'refused'); // connection refused: nothing reached YooKassa
  assert.equal((await c.fetchStatus(makePayment(), null)).state, 'unreachable');
});

test('a clock that does not move cannot make create retry for ever', async () => {
  const emu = await startYooKassaEmulator({ shopId: SHOP_ID, secretKey: SECRET });
  try {
    emu.fault({ kind: 'status', status: 429 }, Infinity, 'POST /payments');
    const c = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: emu.apiUrl }, {
      http: createProviderHttp(), now: () => 1_780_000_000_000, publicUrl: 'http://gw.test', timeoutMs: 5000,
    }, { sleep: async () => {} });
    const r = await c.create(createRequest(makePayment(), 'bank_card'));
    assert.equal(r.kind, 'refused');
    assert.equal(emu.calls['POST /payments'], 8);
  } finally {
    await emu.close();
  }
});
