/**
 * The demo shop paid through the CloudPayments connector and its emulator, in Chromium, as
 * `npm start` runs it: the hosted order page in the element's overlay frame (the shop's CSP lets it
 * in), a published test card, CloudPayments' Check answered by the gateway, then Pay; the buyer ends
 * at url_success and PAY reaches the shop.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { assertAxeClean, eventually, launchChromium, openCheckout, orderStatus, placeOrder, startE2E, type E2E } from './harness.ts';

describe('CloudPayments through its emulator, in Chromium', () => {
  let e: E2E;
  let browser: Browser;
  before(async () => {
    assert.ok(existsSync('dist/cdn/onpay-checkout.js'), 'build the element first: npm run build');
    e = await startE2E({}, { emulators: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await e?.dispose();
  });

  test('card: the order page in the overlay, a test card → url_success, Check then Pay, PAY marks the order paid', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 2 });
    const { page, problems } = await openCheckout(browser, order.url);
    await page.locator('onpay-checkout [data-way="CPC"]').click();
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const frame = page.frameLocator('onpay-checkout iframe');
    await frame.locator('input[name="cardNumber"]').fill('4242424242424242');
    assert.ok((await page.locator('onpay-checkout iframe').getAttribute('src'))!.startsWith(e.emulators!.cloudpayments.url));
    await assertAxeClean(page, 'overlay');
    await frame.locator('button[type="submit"]', { hasText: 'Оплатить' }).click();
    await page.waitForURL(new RegExp(`/orders/${order.id}\\?paid=1`), { timeout: 15_000 });
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    const [payment] = await e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.equal(payment!.providerId, 'cp');
    assert.equal(payment!.status, 'paid');
    const kinds = e.emulators!.cloudpayments.deliveries.filter((d) => d.accepted).map((d) => d.kind);
    assert.deepEqual(kinds, ['check', 'pay'], 'Check answered {"code":0}, then Pay');
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
