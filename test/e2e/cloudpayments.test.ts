/**
 * The demo shop paid through the CloudPayments connector and its emulator, in Chromium, as
 * `npm start` runs it: the hosted order page in the element's overlay frame (the shop's CSP lets it
 * in), a published test card, CloudPayments' Check answered by the gateway, then Pay; the buyer ends
 * at url_success and PAY reaches the shop.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertAxeClean, emulatorSuite, eventually, openCheckout, orderStatus, placeOrder } from './harness.ts';

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
    await page.waitForURL(new RegExp(`/orders/${order.id}\\?paid=1`), { timeout: 15_000 });
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    const [payment] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.equal(payment!.providerId, 'cp');
    assert.equal(payment!.status, 'paid');
    const kinds = s.e.emulators!.cloudpayments.deliveries.filter((d) => d.accepted).map((d) => d.kind);
    assert.deepEqual(kinds, ['check', 'pay'], 'Check answered {"code":0}, then Pay');
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
