/**
 * The YooKassa emulator on its own, over loopback: what its documentation promises (auth, the
 * idempotence rules, error objects, the list, refunds), the buyer's pages with YooKassa's test
 * cards, notification retries on an injected clock and scheduler, expiry and the fault switches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DECLINE_CARDS, NOTIFY_RETRY_MS, SUCCESS_CARDS, startYooKassaEmulator, type YooKassaEmulator } from './emulator.ts';

const SHOP = '100500';
const SECRET = 'test_secret';
const AUTH = `Basic ${Buffer.from(`${SHOP}:${SECRET}`).toString('base64')}`;

function body(over: Record<string, unknown> = {}) {
  return {
    amount: { value: '1224.00', currency: 'RUB' }, capture: true,
    confirmation: { type: 'redirect', return_url: 'http://shop.test/back' },
    payment_method_data: { type: 'bank_card' }, description: 'Order 1', metadata: { onpay_payment_id: 'pay_1' },
    ...over,
  };
}

async function call(emu: YooKassaEmulator, method: string, path: string, opts: { body?: unknown; key?: string; auth?: string } = {}) {
  const headers: Record<string, string> = { authorization: opts.auth ?? AUTH, 'content-type': 'application/json' };
  if (opts.key !== undefined) headers['idempotence-key'] = opts.key;
  const r = await fetch(`${emu.apiUrl}${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('the emulated API', () => {
  let emu: YooKassaEmulator;
  before(async () => { emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET }); });
  after(() => emu.close());

  test('refuses a wrong or missing HTTP Basic with 401 invalid_credentials', async () => {
    for (const auth of [`Basic ${Buffer.from(`${SHOP}:wrong`).toString('base64')}`, '', 'Bearer x', `Basic ${Buffer.from(`999:${SECRET}`).toString('base64')}`]) {
      const r = await call(emu, 'POST', '/payments', { body: body(), key: 'k-auth', auth });
      assert.equal(r.status, 401);
      assert.equal(r.json.type, 'error');
      assert.equal(r.json.code, 'invalid_credentials');
    }
    assert.equal(emu.paymentIds().length, 0);
  });

  test('creates a pending payment with a confirmation_url, as documented', async () => {
    const r = await call(emu, 'POST', '/payments', { body: body(), key: 'k-create' });
    assert.equal(r.status, 200);
    assert.match(String(r.json.id), /^[0-9a-f]{8}-000f-5000-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(r.json.status, 'pending');
    assert.equal(r.json.paid, false);
    assert.deepEqual(r.json.amount, { value: '1224.00', currency: 'RUB' });
    assert.deepEqual(r.json.metadata, { onpay_payment_id: 'pay_1' });
    const c = r.json.confirmation as Record<string, string>;
    assert.equal(c.type, 'redirect');
    assert.equal(c.return_url, 'http://shop.test/back');
    assert.equal(c.confirmation_url, `${emu.url}/checkout/payments/v2/contract?orderId=${r.json.id}`);
    assert.equal(r.json.test, true);
    const got = await call(emu, 'GET', `/payments/${r.json.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.id, r.json.id);
  });

  test('idempotence: same key and body answers the first result; another body is a duplicated key', async () => {
    const a = await call(emu, 'POST', '/payments', { body: body(), key: 'k-same' });
    const b = await call(emu, 'POST', '/payments', { body: body(), key: 'k-same' });
    assert.equal(a.json.id, b.json.id);
    const c = await call(emu, 'POST', '/payments', { body: body({ description: 'Other' }), key: 'k-same' });
    assert.equal(c.status, 400);
    assert.deepEqual({ ...c.json, id: undefined }, { type: 'error', id: undefined, code: 'invalid_request', description: 'Idempotence key duplicated', parameter: 'Idempotence-Key' });
    const missing = await call(emu, 'POST', '/payments', { body: body() });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.parameter, 'Idempotence-Key');
    const long = await call(emu, 'POST', '/payments', { body: body(), key: 'x'.repeat(65) });
    assert.equal(long.status, 400);
    assert.equal(long.json.parameter, 'Idempotence-Key');
  });

  test('validates the body with error objects naming the parameter', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: { value: '12.345', currency: 'RUB' } }, 'amount.value'],
      [{ amount: { value: '0.00', currency: 'RUB' } }, 'amount.value'],
      [{ amount: { value: '1.00', currency: 'rub' } }, 'amount.currency'],
      [{ confirmation: { type: 'redirect' } }, 'confirmation.return_url'],
      [{ payment_method_data: { type: 'cash' } }, 'payment_method_data.type'],
      [{ description: 'x'.repeat(129) }, 'description'],
      [{ metadata: { k: 1 } }, 'metadata.k'],
    ];
    let i = 0;
    for (const [over, parameter] of cases) {
      const r = await call(emu, 'POST', '/payments', { body: body(over), key: `k-bad-${i++}` });
      assert.equal(r.status, 400, parameter);
      assert.equal(r.json.type, 'error');
      assert.equal(r.json.parameter, parameter);
    }
  });

  test('an unknown payment is 404 not_found', async () => {
    const r = await call(emu, 'GET', '/payments/2f000000-000f-5000-8000-000000000000');
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 'not_found');
  });

  test('lists payments newest first within created_at bounds, with a cursor', async () => {
    const ids: unknown[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call(emu, 'POST', '/payments', { body: body(), key: `k-list-${i}` })).json.id);
    const from = new Date(Date.now() - 60_000).toISOString();
    const page1 = await call(emu, 'GET', `/payments?created_at.gte=${from}&limit=2`);
    assert.equal(page1.json.type, 'list');
    const items1 = page1.json.items as { id: string }[];
    assert.equal(items1.length, 2);
    assert.equal(items1[0]!.id, ids[2]);
    assert.ok(page1.json.next_cursor);
    const page2 = await call(emu, 'GET', `/payments?created_at.gte=${from}&limit=2&cursor=${String(page1.json.next_cursor)}`);
    assert.ok((page2.json.items as unknown[]).length >= 1);
    const none = await call(emu, 'GET', `/payments?created_at.lte=${new Date(0).toISOString()}`);
    assert.deepEqual(none.json.items, []);
    assert.equal((await call(emu, 'GET', '/payments?limit=0')).status, 400);
  });

  test('refunds: only a succeeded payment, never above what remains, idempotent', async () => {
    const p = await call(emu, 'POST', '/payments', { body: body(), key: 'k-refund' });
    const id = String(p.json.id);
    const early = await call(emu, 'POST', '/refunds', { body: { payment_id: id, amount: { value: '1.00', currency: 'RUB' } }, key: 'r-0' });
    assert.equal(early.status, 400);
    emu.complete(id, 'succeeded');
    const r1 = await call(emu, 'POST', '/refunds', { body: { payment_id: id, amount: { value: '224.00', currency: 'RUB' } }, key: 'r-1' });
    assert.equal(r1.status, 200);
    assert.equal(r1.json.status, 'succeeded');
    assert.equal(r1.json.payment_id, id);
    const r1again = await call(emu, 'POST', '/refunds', { body: { payment_id: id, amount: { value: '224.00', currency: 'RUB' } }, key: 'r-1' });
    assert.equal(r1again.json.id, r1.json.id);
    const over = await call(emu, 'POST', '/refunds', { body: { payment_id: id, amount: { value: '1000.01', currency: 'RUB' } }, key: 'r-2' });
    assert.equal(over.status, 400);
    assert.equal(over.json.code, 'invalid_request');
    const after = await call(emu, 'GET', `/payments/${id}`);
    assert.deepEqual(after.json.refunded_amount, { value: '224.00', currency: 'RUB' });
    assert.equal(after.json.refundable, true);
    assert.equal((await call(emu, 'GET', `/refunds/${String(r1.json.id)}`)).json.id, r1.json.id);
  });

  test('faults: down, garbage, HTML, error statuses, each for the calls asked', async () => {
    emu.fault({ kind: 'status', status: 429 }, 1, 'POST /payments');
    const r429 = await call(emu, 'POST', '/payments', { body: body(), key: 'k-f1' });
    assert.equal(r429.status, 429);
    assert.equal(r429.json.code, 'too_many_requests');
    assert.equal((await call(emu, 'POST', '/payments', { body: body(), key: 'k-f1' })).status, 200);
    emu.fault({ kind: 'garbage' }, 1);
    const g = await fetch(`${emu.apiUrl}/payments/x`, { headers: { authorization: AUTH } });
    const garbage = await g.text();
    assert.throws(() => JSON.parse(garbage));
    emu.fault({ kind: 'html' }, 1);
    const h = await fetch(`${emu.apiUrl}/payments/x`, { headers: { authorization: AUTH } });
    assert.equal(h.status, 502);
    assert.match(await h.text(), /<html>/);
    emu.fault({ kind: 'down' }, 1);
    await assert.rejects(fetch(`${emu.apiUrl}/payments/x`, { headers: { authorization: AUTH } }));
  });
});

describe('the buyer\'s pages', () => {
  let emu: YooKassaEmulator;
  const sent: { event: string; status: string; reason?: string }[] = [];
  before(async () => {
    emu = await startYooKassaEmulator({
      shopId: SHOP, secretKey: SECRET, notificationUrl: 'http://gw.test/notify', schedule: (_ms, run) => run(),
      send: async (_url, b) => {
        const o = JSON.parse(b) as { event: string; object: { status: string; cancellation_details?: { reason: string } } };
        sent.push({ event: o.event, status: o.object.status, ...(o.object.cancellation_details ? { reason: o.object.cancellation_details.reason } : {}) });
        return 200;
      },
    });
  });
  after(() => emu.close());

  async function create(method: string): Promise<string> {
    const r = await call(emu, 'POST', '/payments', { body: body({ payment_method_data: { type: method } }), key: `page-${method}-${Math.random()}` });
    return String(r.json.id);
  }
  const pageUrl = (id: string) => `${emu.url}/checkout/payments/v2/contract?orderId=${id}`;
  const submit = (id: string, form: Record<string, string>) =>
    fetch(pageUrl(id), { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

  test('the card page pays with a success test card and returns the buyer to return_url', async () => {
    const id = await create('bank_card');
    const pageRes = await fetch(pageUrl(id));
    assert.equal(pageRes.status, 200);
    assert.equal(pageRes.headers.get('x-frame-options'), 'DENY');
    const html = await pageRes.text();
    assert.match(html, /1224\.00 RUB/);
    assert.match(html, /5555 5555 5555 4477/);
    const r = await submit(id, { action: 'pay', card: '5555 5555 5555 4477', expiry: '12/30', cvc: '123' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), 'http://shop.test/back');
    assert.equal(emu.payment(id)!.status, 'succeeded');
    assert.deepEqual(sent.at(-1), { event: 'payment.succeeded', status: 'succeeded' });
    assert.equal((emu.payment(id)!.payment_method as { card: { last4: string } }).card.last4, '4477');
  });

  test('every published success card pays; the decline cards cancel with their documented reason', async () => {
    for (const card of SUCCESS_CARDS.slice(0, 3)) {
      const id = await create('bank_card');
      await submit(id, { action: 'pay', card, expiry: '12/30', cvc: '123' });
      assert.equal(emu.payment(id)!.status, 'succeeded', card);
    }
    for (const card of ['5555555555554600', '5555555555554592', '5555555555554584']) {
      const id = await create('bank_card');
      await submit(id, { action: 'pay', card, expiry: '12/30', cvc: '123' });
      const p = emu.payment(id)!;
      assert.equal(p.status, 'canceled');
      assert.deepEqual(p.cancellation_details, DECLINE_CARDS[card]);
    }
    assert.equal(DECLINE_CARDS['5555555555554600']!.reason, 'insufficient_funds');
  });

  test('a form error keeps the payment pending', async () => {
    const id = await create('bank_card');
    const r = await submit(id, { action: 'pay', card: '123', expiry: '12/30', cvc: '123' });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /role="alert"/);
    assert.equal(emu.payment(id)!.status, 'pending');
  });

  test('the SBP page pays or declines; the wallet page pays', async () => {
    const sbp = await create('sbp');
    assert.match(await (await fetch(pageUrl(sbp))).text(), /СБП/);
    await submit(sbp, { action: 'pay' });
    assert.equal(emu.payment(sbp)!.status, 'succeeded');
    const declined = await create('sbp');
    await submit(declined, { action: 'cancel' });
    assert.equal(emu.payment(declined)!.status, 'canceled');
    const wallet = await create('yoo_money');
    await submit(wallet, { action: 'pay' });
    assert.equal(emu.payment(wallet)!.status, 'succeeded');
  });

  test('a finished payment is not paid twice from its page', async () => {
    const id = await create('yoo_money');
    await submit(id, { action: 'pay' });
    const count = sent.length;
    const r = await submit(id, { action: 'cancel' });
    assert.equal(r.status, 303);
    assert.equal(emu.payment(id)!.status, 'succeeded');
    assert.equal(sent.length, count);
  });
});

describe('notifications as YooKassa sends them', () => {
  test('repeated until HTTP 200, on the schedule, then no more', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const queue: { at: number; run: () => void }[] = [];
    const answers = [500, 0, 404, 200];
    const attempts: number[] = [];
    const emu = await startYooKassaEmulator({
      shopId: SHOP, secretKey: SECRET, notificationUrl: 'http://gw.test/notify', now: () => clock,
      schedule: (ms, run) => queue.push({ at: clock + ms, run }),
      send: async () => {
        attempts.push(clock);
        const s = answers.shift() ?? 200;
        return s === 0 ? null : s;
      },
    });
    try {
      const r = await call(emu, 'POST', '/payments', { body: body(), key: 'n-1' });
      const start = clock;
      emu.complete(String(r.json.id), 'succeeded');
      while (queue.length > 0) {
        queue.sort((a, b) => a.at - b.at);
        const next = queue.shift()!;
        clock = next.at;
        next.run();
        await new Promise((res) => setImmediate(res));
      }
      assert.deepEqual(attempts.map((t) => t - start), NOTIFY_RETRY_MS.slice(0, 4));
      assert.deepEqual(emu.deliveries.map((d) => d.status), [500, null, 404, 200]);
      assert.deepEqual(emu.deliveries.map((d) => d.event), ['payment.succeeded', 'payment.succeeded', 'payment.succeeded', 'payment.succeeded']);
    } finally {
      await emu.close();
    }
  });

  test('given up after 24 hours; dropped when switched off; forged on request', async () => {
    let clock = 0;
    const queue: { at: number; run: () => void }[] = [];
    const bodies: string[] = [];
    const emu = await startYooKassaEmulator({
      shopId: SHOP, secretKey: SECRET, notificationUrl: 'http://gw.test/notify', now: () => clock + Date.parse('2026-01-01T00:00:00Z'),
      schedule: (ms, run) => queue.push({ at: clock + ms, run }),
      send: async (_u, b) => { bodies.push(b); return 503; },
    });
    try {
      const r = await call(emu, 'POST', '/payments', { body: body(), key: 'n-2' });
      emu.complete(String(r.json.id), 'succeeded');
      while (queue.length > 0) {
        queue.sort((a, b) => a.at - b.at);
        const next = queue.shift()!;
        clock = next.at;
        next.run();
        await new Promise((res) => setImmediate(res));
      }
      assert.equal(emu.deliveries.length, NOTIFY_RETRY_MS.length);
      assert.ok(emu.deliveries.every((d) => d.at - Date.parse('2026-01-01T00:00:00Z') <= 24 * 3_600_000));

      emu.dropNotifications = true;
      const r2 = await call(emu, 'POST', '/payments', { body: body(), key: 'n-3' });
      emu.complete(String(r2.json.id), 'succeeded');
      assert.equal(queue.length, 0);

      const before = bodies.length;
      assert.equal(await emu.forge({ type: 'notification', event: 'payment.succeeded', object: { id: 'forged' } }), 503);
      assert.equal(bodies.length, before + 1);
      assert.match(bodies.at(-1)!, /forged/);
    } finally {
      await emu.close();
    }
  });

  test('a pending payment is canceled after the hour to confirm, with expired_on_confirmation', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const events: string[] = [];
    const emu = await startYooKassaEmulator({
      shopId: SHOP, secretKey: SECRET, notificationUrl: 'http://gw.test/notify', now: () => clock, schedule: (_ms, run) => run(),
      send: async (_u, b) => { events.push(b); return 200; },
    });
    try {
      const r = await call(emu, 'POST', '/payments', { body: body(), key: 'e-1' });
      clock += 59 * 60_000;
      assert.equal((await call(emu, 'GET', `/payments/${String(r.json.id)}`)).json.status, 'pending');
      clock += 60_000;
      const got = await call(emu, 'GET', `/payments/${String(r.json.id)}`);
      assert.equal(got.json.status, 'canceled');
      assert.deepEqual(got.json.cancellation_details, { party: 'yoo_money', reason: 'expired_on_confirmation' });
      assert.equal(events.length, 1);
      assert.match(events[0]!, /payment\.canceled/);
    } finally {
      await emu.close();
    }
  });
});
