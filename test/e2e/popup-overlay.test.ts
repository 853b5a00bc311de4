/**
 * The payment system's window with the real gateway and the demo shop, in Chromium (issue 28, item
 * 4): T-Bank's form opens in a popup; the buyer closes it unpaid, the element notices within a
 * second and offers «Открыть снова» and «Выбрать другой способ»; opened again and paid, the popup
 * closes itself and the shop's success page follows. The sandbox card page in the overlay: its close
 * button is reached by keyboard, and Esc closes the overlay after focus left it (a click on the
 * backdrop). The element must be built (`npm run build`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TEST_CARDS } from '../../src/server/providers/tbank/emulator.ts';
import { assertAxeClean, emulatorSuite, eventually, openCheckout, orderStatus, placeOrder, wentTo } from './harness.ts';

const SUCCESS_CARD = TEST_CARDS.find((c) => c.outcome === 'success')!.pan;

describe('the popup and the overlay, in Chromium', () => {
  const s = emulatorSuite();
  const submit = 'onpay-checkout [part="form"] button[type="submit"]';

  test('a closed popup is noticed within a second; opened again and paid, it closes itself', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1 });
    const { page, problems } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [data-way="TBC"]').click();
    const first = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator(submit).click();
    const popup = await first;
    await popup.waitForLoadState();
    await page.locator('onpay-checkout [data-popup="open"]').waitFor();
    const closedAt = Date.now();
    await popup.close();
    await page.locator('onpay-checkout [data-popup="closed"]').waitFor({ timeout: 5000 });
    // The element looks every 400 ms; the margin is for a loaded machine, not for the element.
    assert.ok(Date.now() - closedAt < 1500, `noticed after ${Date.now() - closedAt} ms`);
    assert.match(await page.locator('onpay-checkout [data-popup="closed"]').innerText(), /Окно оплаты закрыто/);
    await assertAxeClean(page, 'the popup closed');
    const again = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator('onpay-checkout button', { hasText: 'Открыть снова' }).click();
    const second = await again;
    await second.locator('input[name="pan"]').fill(SUCCESS_CARD);
    const closed = second.waitForEvent('close', { timeout: 15_000 });
    await second.locator('button[type="submit"]', { hasText: 'Оплатить' }).click();
    await closed;
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('«Выбрать другой способ» after closing the popup returns to the picker', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 1 });
    const { page } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [data-way="TBC"]').click();
    const opened = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator(submit).click();
    await (await opened).close();
    await page.locator('onpay-checkout button', { hasText: 'Выбрать другой способ' }).click();
    await page.locator('onpay-checkout [role="radiogroup"]').waitFor();
    await page.context().close();
  });

  test('the overlay: the close button by keyboard, and Esc after focus left the dialog', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1 });
    const { page, problems } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [role="radio"]').first().waitFor();
    await page.locator(submit).click();
    const close = page.locator('onpay-checkout [part="close"]');
    await close.waitFor();
    await page.frameLocator('onpay-checkout iframe').locator('button[value="pay"]').waitFor();
    assert.equal(await close.evaluate((b) => (b.getRootNode() as ShadowRoot).activeElement === b), true, 'the close button has focus');
    assert.ok(await close.isVisible());
    await assertAxeClean(page, 'the overlay');
    // A click on the backdrop, outside the payment page: focus leaves the frame; Esc still works.
    await page.mouse.click(5, 5);
    await page.keyboard.press('Escape');
    await page.locator('onpay-checkout [role="radiogroup"]').waitFor({ timeout: 5000 });
    assert.equal(await page.locator('onpay-checkout [role="dialog"]').count(), 0);
    // Again, closed by the keyboard alone: Enter on the focused close button.
    await page.locator(submit).click();
    await close.waitFor();
    await page.keyboard.press('Enter');
    await page.locator('onpay-checkout [role="radiogroup"]').waitFor({ timeout: 5000 });
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('the return page in the element\'s popup closes itself when its link to the shop\'s page was cut', async () => {
    const order = await placeOrder(s.e.shopUrl, { honey: 1 });
    const { page } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [role="radio"]').first().waitFor();
    await page.locator(submit).click();
    await page.frameLocator('onpay-checkout iframe').locator('button[value="pay"]').waitFor();
    const cardUrl = page.frames().find((f) => f.url().includes('/sandbox/card/'))!.url();
    // The shop's page stays where it is once paid: the popup below is opened from it.
    await page.evaluate(() => document.querySelector('onpay-checkout')!.addEventListener('onpay-success', (e) => e.preventDefault()));
    const paid = await fetch(cardUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay', redirect: 'manual' });
    const returnUrl = new URL(paid.headers.get('location')!, cardUrl).href;
    // A popup with no opener (as a payment page sending Cross-Origin-Opener-Policy leaves it), named
    // as the element names its popup: the return page has no one to tell, and closes the window.
    const opened = page.waitForEvent('popup', { timeout: 5000 });
    await page.evaluate((u) => void window.open(u, 'onpay-payment', 'noopener'), returnUrl);
    const popup = await opened;
    await popup.waitForEvent('close', { timeout: 10_000 });
    await page.context().close();
  });
});
