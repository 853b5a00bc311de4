/**
 * Saved methods and merchant-initiated charges through YooKassa's emulator over loopback (issue 26):
 * `save_payment_method` on consent only, the method kept from the succeeded payment
 * (`payment_method.saved`, its card), charges with `payment_method_id` under an Idempotence-Key
 * derived from the caller's key (paid, insufficient funds, 3-D Secure asking for the buyer); no
 * revoke call at YooKassa (the gateway forgets the method).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from '../src/server/providers/yookassa/emulator.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { openTestStorage, TEST_SECRET, type TestStorage } from './helpers.ts';

const KEY = 'shop-cabinet-key-0123456789';
const SHOP = '100500';
const SECRET = 'test_yk_secret';
let emu: YooKassaEmulator;
let gw: RunningGateway;
let ts: TestStorage;

before(async () => {
  emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET, notificationUrl: undefined as never });
  ts = await openTestStorage('sqlite');
  await ts.database.close(); // the gateway opens it itself
  gw = await startGateway(parseConfig({
    port: 0, database: ts.url, secret: TEST_SECRET,
    providers: [{ id: 'yk', type: 'yookassa', shopId: SHOP, secretKey: SECRET, apiUrl: emu.apiUrl }],
    ways: [{ code: 'YKC', provider: 'yk', method: 'bank_card', ticker: 'RUR', title: { ru: 'Карта (ЮKassa)', en: 'Card (YooKassa)' } }],
    merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop-0123456789', apiKey: KEY, origins: [], checkLinkMd5: false, mode: 'live', savedMethods: { enabled: true } }],
  }), { dispatcher: false, log: () => {} });
  emu.notificationUrl = `${gw.url}/providers/yk/notify`;
});
after(async () => {
  await gw?.close();
  await emu?.close();
  await ts?.close();
});

async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const api = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...init.headers } });
const charge = (body: Record<string, unknown>, key: string) => api('/api/v1/charges', { method: 'POST', headers: { 'idempotency-key': key }, body: JSON.stringify(body) });

/** Pays a first order (with the consent or without) and gives back the gateway's payment id. */
async function payFirst(customer: string, saveMethod: boolean): Promise<string> {
  const q = new URLSearchParams(signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: 'K-shop-0123456789', price: '150', payFor: `first-${customer}`, customer }).query);
  const form = (await (await fetch(`${gw.url}/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
  const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'YKC', ...(saveMethod ? { saveMethod } : {}) }) });
  const created = (await res.json()) as { id: string };
  assert.equal(res.status, 201);
  const p = (await gw.storage.getPayment(created.id))!;
  assert.ok(emu.complete(p.providerPaymentId!, 'succeeded'));
  await until('paid', async () => (await gw.storage.getPayment(created.id))!.status === 'paid');
  return created.id;
}

test('a consented YooKassa payment saves the card; one without the consent asks YooKassa for nothing', async () => {
  await payFirst('yk-0', false);
  const [plainId] = emu.paymentIds().slice(-1);
  assert.equal((emu.payment(plainId!)?.payment_method as { saved: boolean }).saved, false, 'save_payment_method not sent');
  assert.deepEqual((await (await api('/api/v1/customers/yk-0/methods')).json()), { methods: [] });
  await payFirst('yk-1', true);
  await until('saved', async () => (await gw.storage.savedMethodsOf('shop', 'yk-1')).length === 1);
  const body = (await (await api('/api/v1/customers/yk-1/methods')).json()) as { methods: { card: unknown; provider: string }[] };
  assert.deepEqual(body.methods.map((m) => [m.provider, m.card]), [['yk', { first6: '555555', last4: '4477', expiry: '12/30' }]]);
});

test('YooKassa charges: paid once per Idempotency-Key, insufficient funds, 3-D Secure with the buyer\'s link', async () => {
  await payFirst('yk-2', true);
  await until('saved', async () => (await gw.storage.savedMethodsOf('shop', 'yk-2')).length === 1);
  const [m] = await gw.storage.savedMethodsOf('shop', 'yk-2');
  const body = { customer: 'yk-2', method: m!.id, amount: '250.00', ticker: 'RUR', payFor: 'yk-sub-1' };
  const before = emu.calls['POST /payments'] ?? 0;
  const first = (await (await charge(body, 'yk-k-1')).json()) as Record<string, any>;
  assert.equal(first.status, 'paid');
  const again = await charge(body, 'yk-k-1');
  assert.equal(again.status, 200);
  assert.equal(((await again.json()) as { id: string }).id, first.id);
  assert.equal((emu.calls['POST /payments'] ?? 0) - before, 1, 'one POST /payments for one key');
  const charged = emu.payment((await gw.storage.getPayment(first.id))!.providerPaymentId!)!;
  assert.deepEqual([charged.status, (charged.amount as { value: string }).value], ['succeeded', '250.00']);

  assert.ok(emu.chargeOutcome(m!.token, { party: 'payment_network', reason: 'insufficient_funds' }));
  const poor = (await (await charge({ ...body, amount: '10.00' }, 'yk-k-2')).json()) as Record<string, any>;
  assert.deepEqual([poor.status, poor.reason], ['failed', 'insufficient_funds']);
  assert.ok(emu.chargeOutcome(m!.token, { party: 'payment_network', reason: '3d_secure_required' }));
  const ds = (await (await charge({ ...body, amount: '11.00' }, 'yk-k-3')).json()) as Record<string, any>;
  assert.equal(ds.status, 'awaiting_payment');
  assert.ok(String(ds.action.url).startsWith(emu.url), ds.action.url);
});

test('deleting a YooKassa method forgets it (YooKassa has no call to revoke one)', async () => {
  await payFirst('yk-3', true);
  await until('saved', async () => (await gw.storage.savedMethodsOf('shop', 'yk-3')).length === 1);
  const [m] = await gw.storage.savedMethodsOf('shop', 'yk-3');
  const r = await api(`/api/v1/customers/yk-3/methods/${m!.id}`, { method: 'DELETE' });
  assert.deepEqual(await r.json(), { id: m!.id, removed: true, revokedAtProvider: false });
  assert.equal((await charge({ customer: 'yk-3', method: m!.id, amount: '10.00', ticker: 'RUR', payFor: 'x' }, 'yk-k-4')).status, 404);
});
