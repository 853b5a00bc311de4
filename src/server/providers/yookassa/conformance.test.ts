/**
 * Conformance: a published YooKassa client, `@webzaytsev/yookassa-ts-sdk` (pinned as a dev
 * dependency, used unchanged but for its `endpoint`), against the emulator as a real HTTP server on
 * loopback. Whatever the client rejects is a failing test: create, read, pay through the emulator's
 * page as a buyer would (plain HTTP, following its forms), decline, refunds full and partial, holds
 * (capture in full and in part, cancel), lists with the client's own paging, receipts, saved
 * methods, webhooks and `/me` over OAuth, and every notification read with the client's own
 * `parseNotification` helpers. Why this client: README, «Conformance».
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseNotification, parsePaymentNotification, parseRefundNotification, YooKassaSdk } from '@webzaytsev/yookassa-ts-sdk';
import { startYooKassaEmulator, type YooKassaEmulator } from './emulator.ts';

const SHOP = '100500';
const SECRET = 'test_conformance_secret';
const TOKEN = 'oauth-token-for-conformance';
const RETURN_URL = 'http://shop.test/back';

/** A shop's notification endpoint: a real server on loopback that keeps what it is sent. */
async function startInbox(): Promise<{ url: string; bodies: unknown[]; server: Server; waitFor(pred: (b: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> }> {
  const bodies: unknown[] = [];
  const waiters: { pred: (b: Record<string, unknown>) => boolean; resolve: (b: Record<string, unknown>) => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      bodies.push(body);
      for (const w of [...waiters]) if (w.pred(body)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(body); }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/yookassa`, bodies, server,
    waitFor: (pred) => {
      const seen = bodies.find((b) => pred(b as Record<string, unknown>));
      if (seen) return Promise.resolve(seen as Record<string, unknown>);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

const forEvent = (event: string, id: string) => (b: Record<string, unknown>) => b.event === event && (b.object as { id: string }).id === id;

/** What a buyer does: opens `confirmation_url`, picks a method when asked, fills the form, submits; returns where YooKassa sends them. */
async function payAsBuyer(confirmationUrl: string, fields: Record<string, string>, method?: string): Promise<string> {
  let url = confirmationUrl;
  let html = await (await fetch(url)).text();
  if (/Выберите способ оплаты/.test(html)) {
    const link = new RegExp(`href="([^"]*method=${method ?? 'bank_card'})"`).exec(html);
    assert.ok(link, `the page offers ${method}`);
    url = new URL(link[1]!.replace(/&amp;/g, '&'), confirmationUrl).toString();
    html = await (await fetch(url)).text();
  }
  const form = /<form method="post" action="([^"]+)">/.exec(html);
  assert.ok(form, 'the page has a form');
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
  const res = await fetch(new URL(form[1]!.replace(/&amp;/g, '&'), confirmationUrl), {
    method: 'POST', body: new URLSearchParams({ ...hidden, action: 'pay', ...fields }), redirect: 'manual',
  });
  assert.equal(res.status, 303);
  return res.headers.get('location') ?? '';
}

const CARD_OK = { card: '5555 5555 5555 4477', expiry: '12/30', cvc: '123' };

describe('@webzaytsev/yookassa-ts-sdk against the emulator', () => {
  let emu: YooKassaEmulator;
  let inbox: Awaited<ReturnType<typeof startInbox>>;
  let sdk: YooKassaSdk;
  let oauth: YooKassaSdk;

  before(async () => {
    inbox = await startInbox();
    emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET, oauthTokens: [TOKEN], notificationUrl: inbox.url });
    // Unchanged but for its endpoint; its own rate limit raised so the suite is not paced at 5 calls a second.
    sdk = new YooKassaSdk({ shop_id: SHOP, secret_key: SECRET, endpoint: emu.apiUrl, maxRPS: 200, retries: 0 });
    oauth = new YooKassaSdk({ shop_id: SHOP, secret_key: SECRET, token: TOKEN, endpoint: emu.apiUrl, maxRPS: 200, retries: 0 });
  });
  after(async () => {
    await emu.close();
    await new Promise<void>((r) => inbox.server.close(() => r()));
  });

  test('create, read, pay on the page as a buyer; the notification reads with the client helper', async () => {
    const created = await sdk.payments.create({
      amount: { value: '1224.00', currency: 'RUB' }, capture: true, description: 'Order 1',
      confirmation: { type: 'redirect', return_url: RETURN_URL }, payment_method_data: { type: 'bank_card' },
      metadata: { order: '1' },
    } as never);
    assert.equal(created.status, 'pending');
    assert.equal(created.paid, false);
    const url = (created.confirmation as { confirmation_url: string }).confirmation_url;
    assert.equal(await payAsBuyer(url, CARD_OK), RETURN_URL);
    const loaded = await sdk.payments.load(created.id);
    assert.equal(loaded.status, 'succeeded');
    assert.equal(loaded.paid, true);
    assert.deepEqual(loaded.amount, { value: '1224.00', currency: 'RUB' });
    assert.equal((loaded.payment_method as { card?: { last4: string } }).card?.last4, '4477');
    const note = parsePaymentNotification(await inbox.waitFor(forEvent('payment.succeeded', created.id)));
    assert.equal(note.object.id, created.id);
    assert.equal(note.object.status, 'succeeded');
  });

  test('without payment_method_data the method is unknown until the buyer picks one on the page', async () => {
    const created = await sdk.payments.create({
      amount: { value: '10.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL },
    } as never);
    assert.equal(created.payment_method, undefined);
    const page = await (await fetch((created.confirmation as { confirmation_url: string }).confirmation_url)).text();
    for (const m of ['bank_card', 'sbp', 'yoo_money']) assert.match(page, new RegExp(`method=${m}`));
    await payAsBuyer((created.confirmation as { confirmation_url: string }).confirmation_url, {}, 'sbp');
    const loaded = await sdk.payments.load(created.id);
    assert.equal(loaded.status, 'succeeded');
    assert.equal(loaded.payment_method?.type, 'sbp');
  });

  test('a declined card cancels with the documented reason; the notification says so', async () => {
    const created = await sdk.payments.create({
      amount: { value: '5.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL }, payment_method_data: { type: 'bank_card' },
    } as never);
    await payAsBuyer((created.confirmation as { confirmation_url: string }).confirmation_url, { ...CARD_OK, card: '5555555555554600' });
    const loaded = await sdk.payments.load(created.id);
    assert.equal(loaded.status, 'canceled');
    assert.deepEqual(loaded.cancellation_details, { party: 'payment_network', reason: 'insufficient_funds' });
    const note = parseNotification(await inbox.waitFor(forEvent('payment.canceled', created.id)));
    assert.equal(note.event, 'payment.canceled');
  });

  test('refunds: partial, then the rest; more is refused; listed by payment_id; notified', async () => {
    const p = await sdk.payments.create({
      amount: { value: '100.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL }, payment_method_data: { type: 'bank_card' },
    } as never);
    await payAsBuyer((p.confirmation as { confirmation_url: string }).confirmation_url, CARD_OK);
    const part = await sdk.refunds.create({ payment_id: p.id, amount: { value: '30.00', currency: 'RUB' }, description: 'part' } as never);
    assert.equal(part.status, 'succeeded');
    assert.equal((await sdk.payments.load(p.id)).refunded_amount?.value, '30.00');
    await assert.rejects(sdk.refunds.create({ payment_id: p.id, amount: { value: '70.01', currency: 'RUB' } } as never), (e: Error) => e.name === 'invalid_request');
    const rest = await sdk.refunds.create({ payment_id: p.id, amount: { value: '70.00', currency: 'RUB' } } as never);
    assert.equal((await sdk.refunds.load(rest.id)).amount.value, '70.00');
    const listed = await sdk.refunds.list({ payment_id: p.id } as never);
    assert.deepEqual(listed.map((r) => r.id).sort(), [part.id, rest.id].sort());
    const after = await sdk.payments.load(p.id);
    assert.equal(after.refunded_amount?.value, '100.00');
    assert.equal(after.refundable, false);
    const note = parseRefundNotification(await inbox.waitFor(forEvent('refund.succeeded', rest.id)));
    assert.equal(note.object.payment_id, p.id);
  });

  test('holds: capture in part and in full, cancel; the client sends both as it always does', async () => {
    const hold = async (value: string) => {
      const p = await sdk.payments.create({
        amount: { value, currency: 'RUB' }, capture: false, confirmation: { type: 'redirect', return_url: RETURN_URL }, payment_method_data: { type: 'bank_card' },
      } as never);
      await payAsBuyer((p.confirmation as { confirmation_url: string }).confirmation_url, CARD_OK);
      const held = await sdk.payments.load(p.id);
      assert.equal(held.status, 'waiting_for_capture');
      assert.equal(held.paid, true);
      assert.ok(held.expires_at, 'a hold has its expires_at');
      parsePaymentNotification(await inbox.waitFor(forEvent('payment.waiting_for_capture', p.id)));
      return p.id;
    };
    const partial = await hold('500.00');
    const captured = await sdk.payments.capture(partial, { amount: { value: '321.50', currency: 'RUB' } } as never);
    assert.equal(captured.status, 'succeeded');
    assert.deepEqual(captured.amount, { value: '321.50', currency: 'RUB' });
    await assert.rejects(sdk.refunds.create({ payment_id: partial, amount: { value: '321.51', currency: 'RUB' } } as never), (e: Error) => e.name === 'invalid_request');
    const full = await hold('20.00');
    assert.equal((await sdk.payments.capture(full)).amount.value, '20.00');
    const voided = await hold('30.00');
    const canceled = await sdk.payments.cancel(voided);
    assert.equal(canceled.status, 'canceled');
    assert.deepEqual(canceled.cancellation_details, { party: 'merchant', reason: 'canceled_by_merchant' });
    await assert.rejects(sdk.payments.capture(voided), (e: Error) => e.name === 'invalid_request');
  });

  test('the payment list with the client paging through next_cursor, filtered by created_at and status', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await sdk.payments.create({ amount: { value: `${i + 1}.00`, currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL } } as never)).id);
    }
    const listed = await sdk.payments.list({ 'created_at.gte': since, status: 'pending', limit: 1 } as never);
    for (const id of ids) assert.ok(listed.some((p) => p.id === id), id);
    assert.ok(listed.every((p) => p.status === 'pending'));
    assert.ok(emu.calls['GET /payments']! >= listed.length, 'one page per item at limit 1');
  });

  test('receipts: sent with the payment and the refund, listed; a bad one refused', async () => {
    const receipt = (value: string) => ({
      customer: { email: 'buyer@example.com' },
      items: [{ description: 'Tea', quantity: '2', amount: { value, currency: 'RUB' }, vat_code: 1, payment_subject: 'commodity', payment_mode: 'full_payment' }],
    });
    const p = await sdk.payments.create({
      amount: { value: '300.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL }, payment_method_data: { type: 'bank_card' },
      receipt: receipt('150.00'),
    } as never);
    await payAsBuyer((p.confirmation as { confirmation_url: string }).confirmation_url, CARD_OK);
    assert.equal((await sdk.payments.load(p.id)).receipt_registration, 'succeeded');
    await sdk.refunds.create({ payment_id: p.id, amount: { value: '100.00', currency: 'RUB' }, receipt: receipt('50.00') } as never);
    const receipts = await sdk.receipts.list({ payment_id: p.id } as never);
    assert.deepEqual(receipts.map((r) => (r as unknown as { type: string }).type).sort(), ['payment', 'refund']);
    await assert.rejects(sdk.payments.create({
      amount: { value: '300.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL },
      receipt: { ...receipt('150.00'), items: [{ ...receipt('150.00').items[0]!, vat_code: 42 }] },
    } as never), (e: Error) => e.name === 'invalid_request');
  });

  test('saved methods: saved on a paid payment, then charged without the buyer, or declined', async () => {
    const first = await sdk.payments.create({
      amount: { value: '1.00', currency: 'RUB' }, save_payment_method: true, confirmation: { type: 'redirect', return_url: RETURN_URL },
      payment_method_data: { type: 'bank_card' },
    } as never);
    await payAsBuyer((first.confirmation as { confirmation_url: string }).confirmation_url, CARD_OK);
    // The client's union of method types does not declare `id` / `saved` on every member: read them as the API sends them.
    const method = (await sdk.payments.load(first.id)).payment_method as unknown as { id: string; saved: boolean };
    assert.equal(method.saved, true);
    const charge = await sdk.payments.create({ amount: { value: '99.00', currency: 'RUB' }, payment_method_id: method.id } as never);
    assert.equal(charge.status, 'succeeded');
    assert.equal((charge.payment_method as unknown as { id: string }).id, method.id);
    emu.chargeOutcome(method.id, { party: 'payment_network', reason: 'insufficient_funds' });
    const declined = await sdk.payments.create({ amount: { value: '99.00', currency: 'RUB' }, payment_method_id: method.id } as never);
    assert.equal(declined.status, 'canceled');
    assert.equal(declined.cancellation_details?.reason, 'insufficient_funds');
    await assert.rejects(sdk.payments.create({ amount: { value: '1.00', currency: 'RUB' }, payment_method_id: '2f000000-000f-5000-8000-000000000000' } as never),
      (e: Error) => e.name === 'invalid_request');
  });

  test('OAuth: webhooks registered, listed, notified and deleted; the shop read from /me', async () => {
    const hooks = await startInbox();
    try {
      const hook = await oauth.webhooks.create({ event: 'payment.succeeded', url: hooks.url } as never);
      assert.equal(hook.event, 'payment.succeeded');
      assert.ok((await oauth.webhooks.list()).some((w) => w.id === hook.id));
      const me = await oauth.shop.info();
      assert.equal(me.account_id, SHOP);
      const p = await oauth.payments.create({
        amount: { value: '7.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL }, payment_method_data: { type: 'yoo_money' },
      } as never);
      await payAsBuyer((p.confirmation as { confirmation_url: string }).confirmation_url, {});
      const note = parsePaymentNotification(await hooks.waitFor(forEvent('payment.succeeded', p.id)));
      assert.equal(note.object.status, 'succeeded');
      await oauth.webhooks.delete(hook.id);
      assert.equal((await oauth.webhooks.list()).length, 0);
      // The partners' calls take only a Bearer token: the shop's Basic credentials are not enough.
      await assert.rejects(sdk.webhooks.list(), (e: Error) => e.name === 'MISSING_OAUTH_TOKEN');
      const wrong = new YooKassaSdk({ shop_id: SHOP, secret_key: SECRET, token: 'not-a-token', endpoint: emu.apiUrl, retries: 0 });
      await assert.rejects(wrong.shop.info(), (e: Error) => e.name === 'invalid_credentials');
    } finally {
      await new Promise<void>((r) => hooks.server.close(() => r()));
    }
  });

  test('wrong credentials are refused with invalid_credentials, and nothing is created', async () => {
    const before = emu.paymentIds().length;
    const wrong = new YooKassaSdk({ shop_id: SHOP, secret_key: 'wrong', endpoint: emu.apiUrl, retries: 0 });
    await assert.rejects(wrong.payments.create({ amount: { value: '1.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: RETURN_URL } } as never),
      (e: Error) => e.name === 'invalid_credentials');
    assert.equal(emu.paymentIds().length, before);
  });
});
