/**
 * T-Pay (`tinkoff_bank`), SberPay (`sberbank`) and Mir Pay (`mir_pay`) through YooKassa: the create
 * bodies, the emulator's confirmations and bank app page, and the connector against the emulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createProviderHttp } from '../http.ts';
import type { Connector } from '../contract.ts';
import type { Payment } from '../../types.ts';
import { createYooKassaConnector } from './client.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from './emulator.ts';
import { createPaymentBody, kindOf } from './transform.ts';
import { yookassaModule } from './index.ts';

const SHOP_ID = '100777';
const SECRET = 'wallet_secret_key_0123456789';
let n = 0;
let emu: YooKassaEmulator;
let connector: Connector;

function makePayment(ln: Payment['ln'] = 'ru'): Payment {
  n += 1;
  const now = Date.now();
  return {
    id: `pay_yw${n}_${Math.random().toString(36).slice(2, 8)}`, number: 3000 + n, merchantLogin: 'shop', payFor: `order-yw${n}`, mode: 'fix',
    priceMinor: 50000n, ticker: 'RUR', convert: false, priceFinal: false, note: '', ln,
    urlSuccess: 'https://shop.example/ok', urlFail: 'https://shop.example/fail', userEmail: '', userPhone: '', extraParams: {},
    way: 'YKT', wayTicker: 'RUR', amountMinor: 50000n, feeMinor: 0n, balanceMinor: 50000n, balanceTicker: 'RUR', rate: '1',
    status: 'awaiting_payment', statusReason: '', manual: false, action: null, idempotencyKey: null, requestHash: null,
    responseStatus: null, responseBody: null, expiresAt: null, paidAt: null, createdAt: now, updatedAt: now,
  } as Payment;
}

const create = (p: Payment, method: string) => connector.create({
  payment: p, method, idempotencyKey: `create-${p.id}`, notificationUrl: 'http://gw.test/providers/yk/notify',
  successUrl: `http://gw.test/return/${p.id}/success`, failUrl: `http://gw.test/return/${p.id}/fail`, description: `Shop: ${p.payFor}`,
});

async function api(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${emu.apiUrl}/payments`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'idempotence-key': `k-${++n}`, authorization: `Basic ${Buffer.from(`${SHOP_ID}:${SECRET}`).toString('base64')}` },
  });
  return { status: r.status, json: await r.json() as Record<string, unknown> };
}
const amount = { value: '100.00', currency: 'RUB' };

before(async () => {
  emu = await startYooKassaEmulator({ shopId: SHOP_ID, secretKey: SECRET, send: async () => 200, schedule: (_ms, run) => run() });
  connector = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: emu.apiUrl },
    { http: createProviderHttp(), now: () => Date.now(), publicUrl: 'http://gw.test', timeoutMs: 1500 });
});
after(() => emu.close());

describe('create bodies (transform.ts)', () => {
  const payment = { id: 'pay_1', number: 1, merchantLogin: 'shop', amountMinor: 10000n, wayTicker: 'RUR' };
  for (const [method, type, confirmation, kind] of [
    ['tinkoff_bank', 'tinkoff_bank', { type: 'redirect', return_url: 'http://gw.test/r' }, 'redirect'],
    ['sberbank', 'sberbank', { type: 'qr' }, 'instructions'],
    ['mir_pay', 'bank_card', { type: 'redirect', return_url: 'http://gw.test/r' }, 'redirect'],
  ] as const) {
    test(`${method}: payment_method_data.type ${type}, confirmation ${confirmation.type}, ${kind}`, () => {
      const b = createPaymentBody({ payment, method, returnUrl: 'http://gw.test/r', description: 'd' });
      assert.ok(b.ok);
      assert.deepEqual(b.body.payment_method_data, { type });
      assert.deepEqual(b.body.confirmation, confirmation);
      assert.equal(kindOf(method), kind);
    });
  }
  test('the module accepts the new methods', () => {
    for (const m of ['tinkoff_bank', 'sberbank', 'mir_pay']) assert.ok(yookassaModule.methods.includes(m), m);
  });
});

describe('the emulator', () => {
  test('SberPay: qr gives confirmation_data, mobile_application a confirmation_url to the app; T-Pay takes redirect only', async () => {
    const qr = await api({ amount, payment_method_data: { type: 'sberbank' }, confirmation: { type: 'qr' } });
    assert.equal(qr.status, 200);
    assert.deepEqual(qr.json.confirmation, { type: 'qr', confirmation_data: `${emu.url}/bank-app?orderId=${String(qr.json.id)}` });
    const app = await api({ amount, payment_method_data: { type: 'sberbank' }, confirmation: { type: 'mobile_application', return_url: 'http://shop.test/back' } });
    assert.deepEqual(app.json.confirmation, { type: 'mobile_application', return_url: 'http://shop.test/back', confirmation_url: `${emu.url}/bank-app?orderId=${String(app.json.id)}` });
    const tpayQr = await api({ amount, payment_method_data: { type: 'tinkoff_bank' }, confirmation: { type: 'qr' } });
    assert.equal(tpayQr.status, 400);
    assert.equal(tpayQr.json.parameter, 'confirmation.type');
    const noUrl = await api({ amount, payment_method_data: { type: 'sberbank' }, confirmation: { type: 'mobile_application' } });
    assert.equal(noUrl.json.parameter, 'confirmation.return_url');
    const unknown = await api({ amount, payment_method_data: { type: 'sberbank' }, confirmation: { type: 'embedded' } });
    assert.equal(unknown.json.parameter, 'confirmation.type');
  });

  test('the bank app page: pay → succeeded and back to return_url; decline → canceled', async () => {
    const r = await api({ amount, payment_method_data: { type: 'sberbank' }, confirmation: { type: 'mobile_application', return_url: 'http://shop.test/back' } });
    const url = (r.json.confirmation as { confirmation_url: string }).confirmation_url;
    assert.match(await (await fetch(url)).text(), /SberPay[\s\S]*100\.00/);
    const paid = await fetch(url, { method: 'POST', body: new URLSearchParams({ action: 'pay' }), redirect: 'manual' });
    assert.equal(paid.status, 303);
    assert.equal(paid.headers.get('location'), 'http://shop.test/back');
    assert.equal(emu.payment(String(r.json.id))!.status, 'succeeded');
    const again = await fetch(url);
    assert.equal(again.status, 410);
    const d = await api({ amount, payment_method_data: { type: 'sberbank' }, confirmation: { type: 'qr' } });
    const dUrl = (d.json.confirmation as { confirmation_data: string }).confirmation_data;
    assert.match(await (await fetch(dUrl, { method: 'POST', body: new URLSearchParams({ action: 'decline' }) })).text(), /отклонён/);
    assert.equal(emu.payment(String(d.json.id))!.status, 'canceled');
    assert.equal((await fetch(`${emu.url}/bank-app?orderId=nope`)).status, 404);
  });
});

describe('the connector against the emulator', () => {
  test('SberPay: instructions named SberPay, the QR and the button carry the app link; paid in the app → paid', async () => {
    const p = makePayment();
    const r = await create(p, 'sberbank');
    if (r.kind !== 'started' || r.action.type !== 'instructions') return assert.fail(JSON.stringify(r));
    assert.equal(r.action.title, 'Оплата через SberPay');
    assert.deepEqual(r.action.wallet, { name: 'SberPay' });
    const link = r.action.qr?.deepLink ?? '';
    assert.equal(link, `${emu.url}/bank-app?orderId=${r.providerPaymentId}`);
    assert.equal(r.action.qr?.payload, link);
    await fetch(link, { method: 'POST', body: new URLSearchParams({ action: 'pay' }) });
    const st = await connector.fetchStatus(p, r.providerPaymentId);
    assert.equal(st.state, 'paid');
  });

  test('T-Pay: a redirect to YooKassa\'s page, which offers the app; paid in the app → back to the gateway, paid', async () => {
    const p = makePayment('en');
    const r = await create(p, 'tinkoff_bank');
    if (r.kind !== 'started' || r.action.type !== 'redirect') return assert.fail(JSON.stringify(r));
    assert.equal(r.action.frame, false);
    const page = await (await fetch(r.action.url)).text();
    const app = /href="([^"]*\/bank-app\?orderId=[^"]*)"/.exec(page)?.[1]?.replace(/&#38;|&amp;/g, '&');
    assert.ok(app, 'YooKassa\'s page links to the app');
    const paid = await fetch(app, { method: 'POST', body: new URLSearchParams({ action: 'pay' }), redirect: 'manual' });
    assert.equal(paid.headers.get('location'), `http://gw.test/return/${p.id}/success`);
    assert.equal((await connector.fetchStatus(p, r.providerPaymentId)).state, 'paid');
  });

  test('Mir Pay: YooKassa\'s card page (it shows the Mir Pay button on Android)', async () => {
    const r = await create(makePayment(), 'mir_pay');
    if (r.kind !== 'started' || r.action.type !== 'redirect') return assert.fail(JSON.stringify(r));
    assert.equal((emu.payment(r.providerPaymentId)!.payment_method as { type: string }).type, 'bank_card');
  });

  test('a confirmation_data that is not a link for a buyer (javascript:) is never handed over: unknown', async () => {
    const answer = (data: string) => JSON.stringify({ id: '2f000000-000f-5000-8000-000000000001', status: 'pending', amount: { value: '500.00', currency: 'RUB' }, confirmation: { type: 'qr', confirmation_data: data } });
    for (const [data, kind] of [['javascript://%0Aalert(1)', 'unknown'], ['not a link', 'unknown'], ['sberpay://invoicing/v2?bankInvoiceId=1', 'started']] as const) {
      const c = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: emu.apiUrl },
        { http: async () => ({ ok: true, status: 200, headers: {}, body: answer(data), durationMs: 1 }), now: () => Date.now(), publicUrl: 'http://gw.test', timeoutMs: 1500 });
      const p = makePayment();
      const r = await c.create({ payment: p, method: 'sberbank', idempotencyKey: `k-${p.id}`, notificationUrl: 'http://gw.test/n', successUrl: 'http://gw.test/s', failUrl: 'http://gw.test/f', description: 'd' });
      assert.equal(r.kind, kind, data);
    }
  });

  test('a shop without SberPay: YooKassa refuses the create, the payment fails with its reason', async () => {
    const shop = await startYooKassaEmulator({ shopId: SHOP_ID, secretKey: SECRET, methods: ['bank_card'], send: async () => 200 });
    try {
      const c = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: shop.apiUrl },
        { http: createProviderHttp(), now: () => Date.now(), publicUrl: 'http://gw.test', timeoutMs: 1500 });
      const p = makePayment();
      const r = await c.create({ payment: p, method: 'sberbank', idempotencyKey: `k-${p.id}`, notificationUrl: 'http://gw.test/n', successUrl: 'http://gw.test/s', failUrl: 'http://gw.test/f', description: 'd' });
      assert.equal(r.kind, 'refused');
      assert.match((r as { reason: string }).reason, /payment_method_data\.type/);
    } finally {
      await shop.close();
    }
  });
});
