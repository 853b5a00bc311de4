/**
 * The demo shop paid through the CloudPayments connector and its emulator, in Chromium, as
 * `npm start` runs it: the hosted order page in the element's overlay frame (the shop's CSP lets it
 * in), a published test card, CloudPayments' Check answered by the gateway, then Pay; the buyer ends
 * at url_success and PAY reaches the shop. A merchant's charge of a saved card that the issuer wants
 * 3-D Secure for: the buyer's link opens the gateway's page, which sends the browser on to the
 * issuer's page by itself (under the page's CSP), and the issuer's answer pays the charge.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signPaymentLink } from '../../src/merchant/index.ts';
import { assertAxeClean, emulatorSuite, eventually, openCheckout, orderStatus, placeOrder, wentTo } from './harness.ts';

const DEMO_KEY = 'demo-cabinet-key-0123456789';

describe('CloudPayments through its emulator, in Chromium', () => {
  const s = emulatorSuite();

  test('card: the order page in the overlay, a test card → url_success, Check then Pay, PAY marks the order paid', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 2 });
    const { page, problems } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [data-way="CPC"]').click();
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const frame = page.frameLocator('onpay-checkout iframe');
    await frame.locator('input[name="cardNumber"]').fill('4242424242424242');
    assert.ok((await page.locator('onpay-checkout iframe').getAttribute('src'))!.startsWith(s.e.emulators!.cloudpayments.url));
    await assertAxeClean(page, 'overlay');
    await frame.locator('button[type="submit"]', { hasText: 'Оплатить' }).click();
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    const [payment] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.equal(payment!.providerId, 'cp');
    assert.equal(payment!.status, 'paid');
    const kinds = s.e.emulators!.cloudpayments.deliveries.filter((d) => d.accepted).map((d) => d.kind);
    assert.deepEqual(kinds, ['check', 'pay'], 'Check answered {"code":0}, then Pay');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  /** A demo order's link fields (its CHECK and PAY know it). */
  const orderLink = async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1 });
    const html = await (await fetch(order.url)).text();
    return { id: order.id, q: new URL(/id="pay-link" href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&')).searchParams };
  };

  /** The customer's card saved at CloudPayments with the consent on a first order, then made to ask for 3-D Secure. */
  async function cardAskingThreeDs(customer: string) {
    const emu = s.e.emulators!.cloudpayments;
    const storage = s.e.gateway.storage;
    const m = (await storage.getMerchant('demo'))!;
    if (!m.savedMethods?.enabled) await storage.upsertMerchant({ ...m, savedMethods: { enabled: true } }, Date.now(), { operator: true });
    const first = await orderLink();
    const link = signPaymentLink({ gateway: s.e.gatewayUrl, merchantLogin: 'demo', secret: m.secret, price: first.q.get('price')!, payFor: first.q.get('pay_for')!, customer });
    const saved = await eventually(async () => {
      const form = (await (await fetch(link.url, { headers: { accept: 'application/json' } })).json()) as { token: string; saveMethod?: string };
      if (form.saveMethod !== 'optional') return null; // the merchant's change not seen yet (its cache)
      const r = await fetch(`${s.e.gatewayUrl}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CPC', saveMethod: true }) });
      return (await r.json()) as { id: string };
    }, 10_000, 'savedMethods on');
    const p = (await storage.getPayment(saved.id))!;
    assert.equal((await emu.pay(p.providerPaymentId!, '4242424242424242')).outcome, 'paid');
    const [method] = await eventually(async () => {
      const list = await storage.savedMethodsOf('demo', customer);
      return list.length ? list : null;
    }, 10_000, 'the card saved');
    emu.cards.get(method!.token)!.outcome = '3ds';
    return { method: method!, secret: m.secret };
  }

  test('a charge the issuer wants 3-D Secure for: the link brings the issuer\'s page by itself; confirmed, the charge is paid and PAY reaches the shop', async () => {
    const emu = s.e.emulators!.cloudpayments;
    const { method } = await cardAskingThreeDs('e2e-3ds');
    const second = await orderLink();
    const charged = await fetch(`${s.e.gatewayUrl}/api/v1/charges`, {
      method: 'POST', headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json', 'idempotency-key': `e2e-3ds-${second.id}` },
      body: JSON.stringify({ customer: 'e2e-3ds', method: method.id, amount: second.q.get('price'), ticker: 'RUR', payFor: second.q.get('pay_for') }),
    });
    const view = (await charged.json()) as { id: string; status: string; action: { type: string; url: string } };
    assert.equal(charged.status, 201, JSON.stringify(view));
    assert.deepEqual([view.status, view.action.type], ['awaiting_payment', 'redirect']);

    const context = await s.browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
    await page.goto(view.action.url);
    await page.waitForURL(`${emu.url}/acs`, { timeout: 10_000 });
    await page.locator('button', { hasText: 'Подтвердить' }).click();
    await page.waitForURL(new RegExp(`/payments/${view.id}$`), { timeout: 10_000 });
    assert.equal((await s.e.gateway.storage.getPayment(view.id))!.status, 'paid');
    await eventually(async () => (await orderStatus(s.e.shopUrl, second.id)) === 'paid', 15_000, 'PAY to reach the shop');
    assert.deepEqual(problems, [], 'no CSP or script errors on the way');
    await context.close();
  });

  test('a returning buyer\'s saved card the issuer wants 3-D Secure for: the element\'s window goes to the issuer and back; the buyer ends at url_success', async () => {
    const { secret } = await cardAskingThreeDs('e2e-3ds-buyer');
    const again = await orderLink();
    const link = signPaymentLink({
      gateway: s.e.gatewayUrl, merchantLogin: 'demo', secret, price: again.q.get('price')!, payFor: again.q.get('pay_for')!, urlSuccess: again.q.get('url_success')!, customer: 'e2e-3ds-buyer',
    });
    const { page, problems } = await openCheckout(s.browser, link.url);
    const card = page.locator('onpay-checkout [part="saved"] input[type="radio"]').first();
    await card.waitFor();
    assert.equal(await card.isChecked(), true, 'the saved card first');
    const popupOpened = page.context().waitForEvent('page');
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const popup = await popupOpened;
    await popup.waitForURL(`${s.e.emulators!.cloudpayments.url}/acs`, { timeout: 10_000 });
    await popup.locator('button', { hasText: 'Подтвердить' }).click();
    await wentTo(page, new RegExp(`/orders/${again.id}\\?paid=1`), 15_000);
    const [p] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: again.q.get('pay_for')!, limit: 5 });
    assert.deepEqual([p?.status, p?.providerId], ['paid', 'cp']);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
