/**
 * The T-Bank connector through the whole gateway, against its emulator over loopback: the registry
 * builds it from `providers`, the payment is created at T-Bank after the form, the emulator's
 * notification arrives at /providers/tbank/notify and pays the payment; SBP gets its QR; an emulator
 * that is down leaves the payment for reconciliation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../src/server/bootstrap.ts';
import type { TbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { qrModules } from '../src/server/payments/qr.ts';
import { plainShop, startTbankGateway, tbankWays, until, type GatewayOnEmulator } from './provider-fixtures.ts';

let g: GatewayOnEmulator<TbankEmulator>;
let emu: TbankEmulator;
let gw: RunningGateway;

before(async () => {
  g = await startTbankGateway({
    ways: [
      ...tbankWays(),
      { code: 'TTA', provider: 'tbank', method: 'card', ticker: 'RUR', title: { ru: 'Карта, 10 минут', en: 'Card, 10 minutes' }, ttlSeconds: 600 },
      { code: 'TTB', provider: 'tbank', method: 'card', ticker: 'RUR', title: { ru: 'Карта, 5 секунд', en: 'Card, 5 seconds' }, ttlSeconds: 5 },
    ],
    merchants: [plainShop()],
  });
  ({ emu, gw } = g);
});
after(() => g?.close());

const tokenOf = async (payFor: string) => ((await (await fetch(`${gw.url}/pay/shop?price=150&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as { token: string }).token;

async function create(payFor: string, way: string, key?: string, token?: string) {
  return fetch(`${gw.url}/api/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify({ token: token ?? await tokenOf(payFor), way }),
  });
}


test('a card payment: created at T-Bank, paid by its notification through /providers/tbank/notify', async () => {
  const token = await tokenOf('tb-card-1');
  const res = await create('tb-card-1', 'TBC', 'tb-key-1', token);
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const created = JSON.parse(text) as { id: string; action: { type: string; url: string } };
  assert.equal(created.action.type, 'redirect');
  assert.ok(created.action.url.startsWith(emu.url), created.action.url);
  const again = await create('tb-card-1', 'TBC', 'tb-key-1', token);
  assert.equal(await again.text(), text, 'the same key, the same answer');
  const stored = (await gw.storage.getPayment(created.id))!;
  assert.equal(stored.providerId, 'tbank');
  assert.equal(emu.paymentsOfOrder(created.id).length, 1, 'one Init');
  const tp = emu.payment(stored.providerPaymentId!)!;
  assert.equal(tp.notificationUrl, `${gw.config.publicUrl}/providers/tbank/notify`);
  assert.equal(tp.successUrl, `${gw.config.publicUrl}/providers/tbank/return/${created.id}?result=success`);
  assert.ok(emu.pay(tp.paymentId, 'success'));
  await until('paid', async () => (await gw.storage.getPayment(created.id))!.status === 'paid');
  await emu.idle();
  assert.ok(emu.notifications.filter((n) => n.paymentId === tp.paymentId).every((n) => n.state === 'delivered'));
  const back = await (await fetch(`${gw.url}/providers/tbank/return/${created.id}?result=success`)).text();
  assert.match(back, /data-onpay-result="paid"/);
});

test('the buyer back before any notification: the return page asks T-Bank (GetState) and tells the truth', async () => {
  emu.dropNotifications = true;
  try {
    for (const [payFor, outcome, shown] of [['tb-ret-ok', 'success', 'paid'], ['tb-ret-no', 'decline', 'failed']] as const) {
      const created = (await (await create(payFor, 'TBC')).json()) as { id: string };
      const tp = emu.paymentsOfOrder(created.id)[0]!;
      assert.ok(emu.pay(tp.paymentId, outcome));
      assert.equal((await gw.storage.getPayment(created.id))!.status, 'awaiting_payment', 'no notification arrived');
      // The buyer claims success either way: the provider's word decides.
      const back = await (await fetch(`${gw.url}/providers/tbank/return/${created.id}?result=success`)).text();
      assert.match(back, new RegExp(`data-onpay-result="${shown}"`));
      assert.equal((await gw.storage.getPayment(created.id))!.status, shown);
    }
  } finally {
    emu.dropNotifications = false;
  }
});

test('an SBP payment gets its QR payload and deep link, and the QR code\'s modules for the element', async () => {
  const res = await create('tb-sbp-1', 'SBP');
  type Qr = { payload: string; deepLink: string; size: number; modules: string };
  const body = (await res.json()) as { id: string; action: { type: string; qr?: Qr } };
  assert.equal(res.status, 201, JSON.stringify(body));
  assert.equal(body.action.type, 'instructions');
  assert.ok(body.action.qr?.payload, JSON.stringify(body.action));
  assert.deepEqual({ size: body.action.qr.size, modules: body.action.qr.modules }, qrModules(body.action.qr.payload));
  assert.equal(body.action.qr.modules.length, body.action.qr.size ** 2);
  const view = (await (await fetch(`${gw.url}/api/v1/payments/${body.id}`)).json()) as { action: { qr?: Qr } };
  assert.deepEqual(view.action.qr, body.action.qr, 'the status API gives the same QR code');
  const stored = (await gw.storage.getPayment(body.id))!;
  assert.ok(stored.action?.type === 'instructions' && stored.action.qr && !('modules' in stored.action.qr), 'only the payload is stored');
});

test('T-Bank down at create: 502 provider_unavailable, the payment kept for reconciliation', async () => {
  emu.setFault({ kind: 'down' }, { methods: ['Init'] });
  try {
    const res = await create('tb-down-1', 'TBC');
    const body = (await res.json()) as { error: { code: string; paymentId: string } };
    assert.equal(res.status, 502, JSON.stringify(body));
    assert.ok(body.error.code === 'provider_unavailable' || body.error.code === 'provider_error', body.error.code);
    const p = (await gw.storage.getPayment(body.error.paymentId))!;
    if (body.error.code === 'provider_unavailable') {
      assert.equal(p.status, 'awaiting_payment');
      assert.equal(p.providerPaymentId, null);
    } else {
      assert.equal(p.status, 'failed');
    }
  } finally {
    emu.setFault(null);
  }
});

test('T-Bank refusing at create: 502 provider_error, the payment failed', async () => {
  emu.setFault({ kind: 'error', errorCode: '9999' }, { methods: ['Init'] });
  try {
    const res = await create('tb-err-1', 'TBC');
    const body = (await res.json()) as { error: { code: string; paymentId: string } };
    assert.equal(res.status, 502, JSON.stringify(body));
    assert.equal(body.error.code, 'provider_error');
    assert.equal((await gw.storage.getPayment(body.error.paymentId))!.status, 'failed');
  } finally {
    emu.setFault(null);
  }
});

test('a way\'s ttlSeconds is the payment\'s deadline and T-Bank\'s RedirectDueDate, never less than a minute ahead', async () => {
  const before = Date.now();
  const ten = (await (await create('tb-ttl-600', 'TTA')).json()) as { id: string };
  const p10 = (await gw.storage.getPayment(ten.id))!;
  const s10 = emu.payment(p10.providerPaymentId!)!;
  assert.ok(Math.abs(p10.expiresAt! - (p10.createdAt + 600_000)) < 1000, 'the gateway\'s deadline: 10 minutes');
  // RedirectDueDate is sent to the second.
  assert.ok(Math.abs(s10.dueAt - p10.expiresAt!) <= 1000, `T-Bank's link dies with it: ${s10.dueAt - before}`);
  const five = (await (await create('tb-ttl-5', 'TTB')).json()) as { id: string };
  const p5 = (await gw.storage.getPayment(five.id))!;
  const s5 = emu.payment(p5.providerPaymentId!)!;
  assert.ok(Math.abs(p5.expiresAt! - (p5.createdAt + 5000)) < 1000, 'the gateway gives up after 5 s');
  assert.ok(s5.dueAt >= p5.createdAt + 59_000, `T-Bank takes no less than a minute: ${s5.dueAt - p5.createdAt}`);
});
