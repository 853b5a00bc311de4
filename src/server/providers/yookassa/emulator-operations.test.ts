/**
 * The YooKassa emulator's operations over raw HTTP on loopback, as YooKassa documents them and its
 * official SDKs send them: bodiless `cancel` / `capture`, the refund list, the method left to the
 * buyer, 202 "processing", OAuth, holds and their expiry, 54-ФЗ receipts with their errors, and the
 * saved-method lifecycle.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startYooKassaEmulator, type YooKassaEmulator } from './emulator.ts';

const SHOP = '100500';
const SECRET = 'test_secret';
const TOKEN = 'partner-oauth-token';
const BASIC = `Basic ${Buffer.from(`${SHOP}:${SECRET}`).toString('base64')}`;
let keys = 0;

function payment(over: Record<string, unknown> = {}) {
  return {
    amount: { value: '300.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: 'http://shop.test/back' },
    payment_method_data: { type: 'bank_card' }, ...over,
  };
}

/** One API call; `body: null` sends a POST with no body at all, as the official PHP and Python SDKs send `cancel`. */
async function call(emu: YooKassaEmulator, method: string, path: string, opts: { body?: unknown; key?: string; auth?: string } = {}) {
  const headers: Record<string, string> = { authorization: opts.auth ?? BASIC };
  if (method === 'POST') headers['idempotence-key'] = opts.key ?? `k-${++keys}`;
  if (opts.body !== undefined && opts.body !== null) headers['content-type'] = 'application/json';
  const r = await fetch(`${emu.apiUrl}${path}`, { method, headers, ...(opts.body !== undefined && opts.body !== null ? { body: JSON.stringify(opts.body) } : {}) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

async function paid(emu: YooKassaEmulator, over: Record<string, unknown> = {}): Promise<string> {
  const r = await call(emu, 'POST', '/payments', { body: payment(over) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const id = String(r.json.id);
  assert.ok(emu.complete(id, 'succeeded'));
  return id;
}

test('the emulator is an independent reading: its files import only node built-ins and each other', () => {
  const dir = new URL('.', import.meta.url);
  const files = readdirSync(dir).filter((f) => /^emulator(-[a-z]+)?\.ts$/.test(f));
  assert.ok(files.includes('emulator.ts') && files.length >= 5, files.join(', '));
  for (const f of files) {
    const specifiers = [...readFileSync(new URL(f, dir), 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    assert.ok(specifiers.length > 0, f);
    for (const spec of specifiers) assert.match(spec, /^(node:|\.\/emulator(-[a-z]+)?\.ts$)/, `${f} imports ${spec}`);
  }
});

describe('operations the issue found missing', () => {
  let emu: YooKassaEmulator;
  before(async () => { emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET, oauthTokens: [TOKEN], methods: ['bank_card', 'sbp'] }); });
  after(() => emu.close());

  test('cancel and capture exist and take a POST with no body at all', async () => {
    const held = await paid(emu, { capture: false });
    assert.equal(emu.payment(held)!.status, 'waiting_for_capture');
    const captured = await call(emu, 'POST', `/payments/${held}/capture`, { body: null });
    assert.equal(captured.status, 200, JSON.stringify(captured.json));
    assert.equal(captured.json.status, 'succeeded');
    const other = await paid(emu, { capture: false });
    const canceled = await call(emu, 'POST', `/payments/${other}/cancel`, { body: null });
    assert.equal(canceled.status, 200);
    assert.deepEqual(canceled.json.cancellation_details, { party: 'merchant', reason: 'canceled_by_merchant' });
    // Same key again: the same answer; an unknown payment: 404.
    const missing = await call(emu, 'POST', '/payments/2f000000-000f-5000-8000-000000000000/cancel', { body: null });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'not_found');
  });

  test('GET /refunds lists by payment_id, newest first, with the cursor', async () => {
    const a = await paid(emu);
    const b = await paid(emu);
    for (const v of ['10.00', '20.00', '30.00']) assert.equal((await call(emu, 'POST', '/refunds', { body: { payment_id: a, amount: { value: v, currency: 'RUB' } } })).status, 200);
    await call(emu, 'POST', '/refunds', { body: { payment_id: b, amount: { value: '1.00', currency: 'RUB' } } });
    const first = await call(emu, 'GET', `/refunds?payment_id=${a}&limit=2`);
    assert.equal(first.json.type, 'list');
    const items = first.json.items as { amount: { value: string }; payment_id: string }[];
    assert.deepEqual(items.map((r) => r.amount.value), ['30.00', '20.00']);
    const next = await call(emu, 'GET', `/refunds?payment_id=${a}&limit=2&cursor=${String(first.json.next_cursor)}`);
    assert.deepEqual((next.json.items as { amount: { value: string } }[]).map((r) => r.amount.value), ['10.00']);
    assert.equal(next.json.next_cursor, undefined);
  });

  test('without payment_method_data there is no payment_method until the buyer picks one of the shop\'s methods', async () => {
    const r = await call(emu, 'POST', '/payments', { body: payment({ payment_method_data: undefined }) });
    assert.equal(r.json.payment_method, undefined);
    const url = (r.json.confirmation as { confirmation_url: string }).confirmation_url;
    const html = await (await fetch(url)).text();
    assert.match(html, /method=bank_card/);
    assert.match(html, /method=sbp/);
    assert.doesNotMatch(html, /method=yoo_money/, 'only the methods the shop has on');
    const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ method: 'sbp', action: 'pay' }), redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal((emu.payment(String(r.json.id))!.payment_method as { type: string }).type, 'sbp');
    // A method the shop does not have is refused when named.
    const refused = await call(emu, 'POST', '/payments', { body: payment({ payment_method_data: { type: 'yoo_money' } }) });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.parameter, 'payment_method_data.type');
  });

  test('202 processing: the request is handled meanwhile, and the same key then answers the payment', async () => {
    emu.fault({ kind: 'processing', retryAfterMs: 300 }, 1, 'POST /payments');
    const count = emu.paymentIds().length;
    const first = await call(emu, 'POST', '/payments', { body: payment(), key: 'proc-1' });
    assert.equal(first.status, 202);
    assert.deepEqual({ ...first.json, description: undefined }, { type: 'processing', description: undefined, retry_after: 300 });
    const again = await call(emu, 'POST', '/payments', { body: payment(), key: 'proc-1' });
    assert.equal(again.status, 200);
    assert.equal(again.json.status, 'pending');
    assert.equal(emu.paymentIds().length, count + 1);
  });

  test('OAuth: a Bearer token works for payments; webhooks and /me take nothing else', async () => {
    const bearer = `Bearer ${TOKEN}`;
    assert.equal((await call(emu, 'POST', '/payments', { body: payment(), auth: bearer })).status, 200);
    assert.equal((await call(emu, 'GET', '/me', { auth: bearer })).json.account_id, SHOP);
    const basic = await call(emu, 'GET', '/me');
    assert.equal(basic.status, 403);
    assert.equal(basic.json.code, 'forbidden');
    const wrong = await call(emu, 'GET', '/me', { auth: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.code, 'invalid_credentials');
    const hook = await call(emu, 'POST', '/webhooks', { auth: bearer, body: { event: 'payment.sold', url: 'http://shop.test/hook' } });
    assert.equal(hook.status, 400);
    assert.equal(hook.json.parameter, 'event');
  });
});

describe('holds', () => {
  test('capture in part releases the rest; above the amount or in another state is refused; holds expire after 7 days', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const events: string[] = [];
    const emu = await startYooKassaEmulator({
      shopId: SHOP, secretKey: SECRET, now: () => clock, notificationUrl: 'http://gw.test/n', schedule: (_ms, run) => run(),
      send: async (_u, b) => { events.push(String((JSON.parse(b) as { event: string }).event)); return 200; },
    });
    try {
      const id = await paid(emu, { capture: false });
      const held = emu.payment(id)!;
      assert.equal(held.paid, true);
      assert.equal(held.expires_at, new Date(clock + 7 * 24 * 3_600_000).toISOString());
      assert.deepEqual(events, ['payment.waiting_for_capture']);
      const above = await call(emu, 'POST', `/payments/${id}/capture`, { body: { amount: { value: '300.01', currency: 'RUB' } } });
      assert.equal(above.status, 400);
      assert.equal(above.json.parameter, 'amount.value');
      const part = await call(emu, 'POST', `/payments/${id}/capture`, { body: { amount: { value: '120.50', currency: 'RUB' } } });
      assert.deepEqual(part.json.amount, { value: '120.50', currency: 'RUB' });
      const twice = await call(emu, 'POST', `/payments/${id}/capture`, { body: null });
      assert.equal(twice.status, 400);
      assert.equal(twice.json.code, 'invalid_request');
      const pending = await call(emu, 'POST', '/payments', { body: payment({ capture: false }) });
      assert.equal((await call(emu, 'POST', `/payments/${String(pending.json.id)}/cancel`, { body: null })).status, 400);

      const late = await paid(emu, { capture: false });
      clock += 7 * 24 * 3_600_000;
      const expired = await call(emu, 'GET', `/payments/${late}`);
      assert.equal(expired.json.status, 'canceled');
      assert.deepEqual(expired.json.cancellation_details, { party: 'yoo_money', reason: 'expired_on_capture' });
      assert.equal(events.at(-1), 'payment.canceled');
    } finally {
      await emu.close();
    }
  });
});

describe('54-ФЗ receipts', () => {
  let emu: YooKassaEmulator;
  before(async () => { emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET, receiptsRequired: true }); });
  after(() => emu.close());
  const item = (over: Record<string, unknown> = {}) => ({ description: 'Tea', quantity: '2.000', amount: { value: '150.00', currency: 'RUB' }, vat_code: 4, ...over });
  const receipt = (over: Record<string, unknown> = {}) => ({ customer: { phone: '79001234567' }, items: [item()], ...over });

  test('each documented refusal names its parameter, and creates nothing', async () => {
    const cases: [unknown, string, string?][] = [
      [undefined, 'receipt', 'Receipt is missing or illegal'],
      [receipt({ items: [item({ amount: { value: '149.99', currency: 'RUB' } })] }), 'receipt.items.amount'],
      [receipt({ items: [item({ vat_code: 13 })] }), 'receipt.items.vat_code'],
      [receipt({ items: [item({ vat_code: '1' })] }), 'receipt.items.vat_code'],
      [receipt({ customer: { full_name: 'Ivan' } }), 'receipt.customer'],
      [receipt({ customer: { phone: '+7 (900) 123-45-67' } }), 'receipt.customer.phone'],
      [receipt({ items: [] }), 'receipt.items'],
      [receipt({ items: [item({ payment_subject: 'stuff' })] }), 'receipt.items.payment_subject'],
      [receipt({ items: [item({ quantity: '0' })] }), 'receipt.items.quantity'],
    ];
    const before = emu.paymentIds().length;
    for (const [r, parameter, description] of cases) {
      const res = await call(emu, 'POST', '/payments', { body: payment({ receipt: r }) });
      assert.equal(res.status, 400, parameter);
      assert.equal(res.json.type, 'error');
      assert.equal(res.json.code, 'invalid_request');
      assert.equal(res.json.parameter, parameter);
      if (description) assert.equal(res.json.description, description);
    }
    assert.equal(emu.paymentIds().length, before);
  });

  test('a good receipt (fractional quantities summed to the kopeck) is registered; refunds need their own', async () => {
    const id = await paid(emu, { receipt: receipt({ items: [item({ quantity: '1.5', amount: { value: '100.00', currency: 'RUB' } }), item()] }), amount: { value: '450.00', currency: 'RUB' } });
    assert.equal(emu.payment(id)!.receipt_registration, 'succeeded');
    const noReceipt = await call(emu, 'POST', '/refunds', { body: { payment_id: id, amount: { value: '50.00', currency: 'RUB' } } });
    assert.equal(noReceipt.status, 400);
    assert.equal(noReceipt.json.parameter, 'receipt');
    const wrongSum = await call(emu, 'POST', '/refunds', { body: { payment_id: id, amount: { value: '50.00', currency: 'RUB' }, receipt: receipt() } });
    assert.equal(wrongSum.json.parameter, 'receipt.items.amount');
    const ok = await call(emu, 'POST', '/refunds', {
      body: { payment_id: id, amount: { value: '50.00', currency: 'RUB' }, receipt: receipt({ items: [item({ quantity: 1, amount: { value: '50.00', currency: 'RUB' } })] }) },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const listed = await call(emu, 'GET', `/receipts?payment_id=${id}`);
    assert.deepEqual((listed.json.items as { type: string }[]).map((r) => r.type), ['refund', 'payment']);
    assert.equal((await call(emu, 'GET', '/receipts')).status, 400);
  });
});

describe('saved methods', () => {
  test('saved after a paid payment; charges succeed, decline, need 3-D Secure, or lack funds', async () => {
    const emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET });
    try {
      const unsaved = await paid(emu);
      assert.equal((emu.payment(unsaved)!.payment_method as { saved: boolean }).saved, false);
      const first = await paid(emu, { save_payment_method: true });
      const method = emu.payment(first)!.payment_method as { id: string; saved: boolean };
      assert.equal(method.saved, true);
      const charge = (over: Record<string, unknown> = {}) => call(emu, 'POST', '/payments', { body: { amount: { value: '99.00', currency: 'RUB' }, payment_method_id: method.id, ...over } });
      const ok = await charge();
      assert.equal(ok.json.status, 'succeeded');
      assert.equal(ok.json.confirmation, undefined);
      const held = await charge({ capture: false });
      assert.equal(held.json.status, 'waiting_for_capture');

      emu.chargeOutcome(method.id, { party: 'payment_network', reason: 'insufficient_funds' });
      assert.deepEqual((await charge()).json.cancellation_details, { party: 'payment_network', reason: 'insufficient_funds' });

      emu.chargeOutcome(method.id, { party: 'payment_network', reason: '3d_secure_required' });
      assert.deepEqual((await charge()).json.cancellation_details, { party: 'payment_network', reason: '3d_secure_failed' });
      const withConfirmation = await charge({ confirmation: { type: 'redirect', return_url: 'http://shop.test/back' } });
      assert.equal(withConfirmation.json.status, 'pending');
      const url = (withConfirmation.json.confirmation as { confirmation_url: string }).confirmation_url;
      assert.match(await (await fetch(url)).text(), /Подтверждение 3-D Secure/);
      await fetch(url, { method: 'POST', body: new URLSearchParams({ action: 'pay' }), redirect: 'manual' });
      assert.equal(emu.payment(String(withConfirmation.json.id))!.status, 'succeeded');

      const unknown = await call(emu, 'POST', '/payments', { body: { amount: { value: '1.00', currency: 'RUB' }, payment_method_id: 'nope' } });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.json.parameter, 'payment_method_id');
      const noConfirmation = await call(emu, 'POST', '/payments', { body: { amount: { value: '1.00', currency: 'RUB' } } });
      assert.equal(noConfirmation.json.parameter, 'confirmation');
    } finally {
      await emu.close();
    }
  });
});
