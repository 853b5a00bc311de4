/**
 * The demo shop paid through the YooKassa connector and its emulator, in Chromium, as `npm start`
 * runs it: YooKassa's confirmation page refuses frames, so the element opens it in a popup at once;
 * a published test card pays, the buyer ends at url_success, and the unsigned notification (read
 * back from the emulator's API by the gateway) brings PAY to the shop. A declined card ends at
 * url_fail even before any notification: YooKassa has one return URL for both outcomes, so the
 * gateway asks YooKassa when the buyer comes back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DECLINE_CARDS, SUCCESS_CARDS } from '../../src/server/providers/yookassa/emulator.ts';
import { assertAxeClean, emulatorSuite, eventually, openCheckout, orderStatus, placeOrder, wentTo } from './harness.ts';

const DECLINE_CARD = Object.entries(DECLINE_CARDS).find(([, d]) => d.reason === 'insufficient_funds')![0];

describe('YooKassa through its emulator, in Chromium', () => {
  const s = emulatorSuite();

  test('card: the confirmation page in a popup, a test card → url_success, PAY marks the order paid', async () => {
    const order = await placeOrder(s.e.shopUrl, { honey: 2 });
    const { page, problems } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [data-way="YKC"]').click();
    await assertAxeClean(page, 'picker (YooKassa card chosen)');
    const popupOpened = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const popup = await popupOpened;
    await popup.waitForLoadState();
    assert.ok(popup.url().startsWith(s.e.emulators!.yookassa.url), popup.url());
    assert.equal(await page.locator('onpay-checkout iframe').count(), 0, 'no frame was made');
    await popup.locator('input[name="card"]').fill(SUCCESS_CARDS[0]!);
    await popup.locator('input[name="expiry"]').fill('12/30');
    await popup.locator('input[name="cvc"]').fill('123');
    await popup.locator('button[value="pay"]').click();
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    const [payment] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.equal(payment!.providerId, 'yk');
    assert.equal(payment!.status, 'paid');
    assert.equal(s.e.emulators!.yookassa.payment(payment!.providerPaymentId!)?.status, 'succeeded');
    assert.ok(s.e.emulators!.yookassa.deliveries.some((d) => d.status === 200), 'the notification was answered 200');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('card declined (insufficient funds) → the failure view, then url_fail; the order is not paid', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 1 });
    const { page, problems } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [data-way="YKC"]').click();
    const popupOpened = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const popup = await popupOpened;
    // The buyer comes back before the notification (here: none at all). YooKassa returns the buyer
    // to the same URL either way, so the gateway asks YooKassa before telling the shop's page.
    s.e.emulators!.yookassa.dropNotifications = true;
    await popup.locator('input[name="card"]').fill(DECLINE_CARD);
    await popup.locator('input[name="expiry"]').fill('12/30');
    await popup.locator('input[name="cvc"]').fill('123');
    await popup.locator('button[value="pay"]').click();
    await page.locator('onpay-checkout [role="alert"][data-reason]').waitFor({ timeout: 15_000 });
    await page.locator('onpay-checkout a[part="link"]').click();
    await page.waitForURL(new RegExp(`/orders/${order.id}\\?(paid|failed)=1`), { timeout: 15_000 });
    assert.match(page.url(), /\?failed=1/, 'a declined YooKassa payment must not end at url_success');
    assert.equal(await orderStatus(s.e.shopUrl, order.id), 'new');
    const [payment] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.equal(payment!.status, 'failed', 'read back from YooKassa on return');
    s.e.emulators!.yookassa.dropNotifications = false;
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
