/**
 * Saved cards and merchant-initiated charges through CloudPayments' emulator over loopback (issue
 * 26): the order's AccountId only with the consent, the card's Token kept from Pay, charges by
 * `payments/tokens/charge` (TrInitiatorCode 0) under X-Request-ID (paid once per Idempotency-Key;
 * insufficient funds; 3-D Secure not offered, so failed); no revoke call (the gateway forgets it).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../src/server/bootstrap.ts';
import type { CloudPaymentsEmulator } from '../src/server/providers/cloudpayments/emulator.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { providerCustomerKey } from '../src/server/payments/saved-methods.ts';
import { createFirstPayment, merchantApi, savedMethod, SAVING_SHOP_SECRET, savingShop, startCloudPaymentsGateway, untilPaid, type GatewayOnEmulator } from './provider-fixtures.ts';

let g: GatewayOnEmulator<CloudPaymentsEmulator>;
let emu: CloudPaymentsEmulator;
let gw: RunningGateway;

before(async () => {
  g = await startCloudPaymentsGateway({
    emulator: { publicId: 'pk_saved', apiSecret: 'saved_api_secret', schedule: (fn, ms) => { setTimeout(fn, Math.min(ms, 50)).unref(); } },
    ways: [{ code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title: { ru: 'Карта (CloudPayments)', en: 'Card (CloudPayments)' } }],
    merchants: [savingShop()],
  });
  ({ emu, gw } = g);
});
after(() => g?.close());

const { api, charge } = merchantApi(() => gw);

/** Pays a first order on the hosted page (with the consent or without); the gateway's payment id. */
async function payFirst(customer: string, saveMethod: boolean): Promise<string> {
  const { id } = await createFirstPayment(gw, customer, 'CPC', saveMethod);
  const p = (await gw.storage.getPayment(id))!;
  assert.equal(emu.orders.get(p.providerPaymentId!)?.accountId ?? '', saveMethod ? providerCustomerKey('shop', customer) : '', 'AccountId only with the consent');
  assert.equal((await emu.pay(p.providerPaymentId!, '4242424242424242')).outcome, 'paid');
  await untilPaid(gw, id);
  return id;
}

test('CloudPayments: the card is kept only with the consent, listed with its mask and expiry', async () => {
  await payFirst('cp-0', false);
  assert.deepEqual(await (await api('/api/v1/customers/cp-0/methods')).json(), { methods: [] });
  await payFirst('cp-1', true);
  await savedMethod(gw, 'cp-1');
  const body = (await (await api('/api/v1/customers/cp-1/methods')).json()) as { methods: { card: { first6: string; last4: string; expiry: string | null } }[] };
  assert.equal(body.methods.length, 1);
  assert.deepEqual([body.methods[0]!.card.first6, body.methods[0]!.card.last4], ['424242', '4242']);
  assert.match(body.methods[0]!.card.expiry ?? '', /^\d{2}\/\d{2}$/);
  assert.ok(!JSON.stringify(body).includes('tk_'), 'no token in the answer');
});

test('CloudPayments charges: paid once per Idempotency-Key; insufficient funds; 3-D Secure ends failed', async () => {
  await payFirst('cp-2', true);
  const m = await savedMethod(gw, 'cp-2');
  const body = { customer: 'cp-2', method: m.id, amount: '120.00', ticker: 'RUR', payFor: 'cp-sub-1' };
  const first = (await (await charge(body, 'cp-k-1')).json()) as Record<string, any>;
  assert.equal(first.status, 'paid', JSON.stringify(first));
  const again = await charge(body, 'cp-k-1');
  assert.equal(again.status, 200);
  assert.equal(((await again.json()) as { id: string }).id, first.id);
  assert.equal(emu.transactions.filter((t) => t.invoiceId === first.id).length, 1, 'one token charge');
  assert.equal(emu.transactions.find((t) => t.invoiceId === first.id)?.trInitiatorCode, '0', 'the merchant initiated it');
  emu.cards.get(m.token)!.outcome = 'insufficient_funds';
  const poor = (await (await charge({ ...body, amount: '10.00' }, 'cp-k-2')).json()) as Record<string, any>;
  assert.deepEqual([poor.status, poor.reason], ['failed', 'insufficient_funds']);
  emu.cards.get(m.token)!.outcome = '3ds';
  const ds = (await (await charge({ ...body, amount: '11.00' }, 'cp-k-3')).json()) as Record<string, any>;
  assert.deepEqual([ds.status, ds.reason], ['failed', '3ds_failed']);
});

test('CloudPayments: a returning buyer pays with the saved card on the page (TrInitiatorCode 1), paid at once', async () => {
  await payFirst('cp-3', true);
  const m = await savedMethod(gw, 'cp-3');
  const q = new URLSearchParams(signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: SAVING_SHOP_SECRET, price: '90', payFor: 'cp-3-again', customer: 'cp-3' }).query);
  const form = (await (await fetch(`${gw.url}/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as { token: string; savedMethods?: { id: string }[] };
  assert.deepEqual(form.savedMethods?.map((s) => s.id), [m.id]);
  const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CPC', savedMethod: m.id }) });
  const paid = (await res.json()) as Record<string, any>;
  assert.equal(res.status, 201, JSON.stringify(paid));
  assert.deepEqual([paid.status, paid.action], ['paid', null]);
  const tx = emu.transactions.filter((t) => t.invoiceId === paid.id);
  assert.equal(tx.length, 1);
  assert.equal(tx[0]!.trInitiatorCode, '1', 'the cardholder initiated it');
});
