/**
 * T-Pay and SberPay (issue 27) through the T-Bank and YooKassa emulators, in Chromium, as `npm start`
 * runs the demo: on a phone profile (390×844, touch, a mobile user agent) the element leads with the
 * button opening the bank's app, whose navigation is intercepted and asserted to be the provider's
 * link; the buyer then pays in the "bank app" (the emulator's page for that link) and the page ends
 * at url_success with PAY in the shop. On a desktop the QR code leads, and the phone that scans it
 * opens the same link. T-Pay through YooKassa goes by YooKassa's page, which offers the app.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { assertAxeClean, closeQuietly, emulatorSuite, eventually, openCheckout, orderStatus, placeOrder, recordCheckout, visited, type CheckoutPage } from './harness.ts';

const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** The shop's order page in a phone profile. */
async function openOnPhone(browser: Browser, url: string): Promise<CheckoutPage> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: IPHONE_UA });
  const page = await context.newPage();
  const recorded = await recordCheckout(page);
  await page.goto(url);
  await page.locator('onpay-checkout [role="radio"]').first().waitFor();
  return { page, ...recorded };
}

type Qr = { payload: string; deepLink: string; size: number; modules: string };

describe('T-Pay and SberPay through the emulators, in Chromium', () => {
  const s = emulatorSuite();

  /** Picks a way and continues; the wallet instructions' link, as the gateway gave it to the element. */
  async function startWallet(c: CheckoutPage, way: string, name: string): Promise<Qr> {
    await c.page.locator(`onpay-checkout [data-way="${way}"]`).click();
    await c.page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    await c.page.locator('onpay-checkout [part="instructions"]').waitFor();
    await c.page.locator('onpay-checkout p', { hasText: `Оплата через ${name}` }).waitFor();
    const created = (await c.events()).find((x) => x.type === 'onpay-payment-created')!;
    const view = (await (await fetch(`${s.e.gatewayUrl}/api/v1/payments/${String(created.detail.id)}`)).json()) as { action: { qr: Qr; wallet: { name: string } } };
    assert.deepEqual(view.action.wallet, { name });
    assert.equal(view.action.qr.payload, view.action.qr.deepLink, 'the QR code carries the app link');
    return view.action.qr;
  }

  /** On a phone: the app button leads, the QR code folded; tapping it navigates to the link (intercepted). */
  async function tapAppButton(page: Page, name: string, link: string): Promise<void> {
    const button = page.locator('onpay-checkout button[part~="app"]');
    assert.equal(await button.innerText(), `Открыть ${name}`);
    assert.equal(await page.locator('onpay-checkout svg[part="qr"]').isVisible(), false, 'the QR code is folded on a phone');
    const before = await page.locator('onpay-checkout button[part~="app"], onpay-checkout details').evaluateAll((els) => els.map((e) => e.tagName));
    assert.deepEqual(before, ['BUTTON', 'DETAILS'], 'the button comes first');
    await assertAxeClean(page, `${name} instructions on a phone`);
    let opened = '';
    // The bank's app would take the link; here the navigation is caught and the shop's page stays (204).
    await page.route((url) => url.href === link, (route) => {
      opened = route.request().url();
      return route.fulfill({ status: 204 });
    });
    await button.tap();
    await eventually(async () => opened !== '', 5000, 'the app link to be followed');
    assert.equal(opened, link);
    await page.locator('onpay-checkout summary').tap();
    assert.equal(await page.locator('onpay-checkout svg[part="qr"]').isVisible(), true, 'the QR code unfolds');
  }

  /** The buyer pays in the bank app: the emulator's page for the link, in another tab of the phone. */
  async function payInApp(page: Page, link: string): Promise<void> {
    const app = await page.context().newPage();
    await app.goto(link);
    await app.locator('button[value="pay"]').click();
    await closeQuietly(app);
    // The buyer comes back to the shop's tab (a phone shows one tab at a time; the element also asks
    // again when the page is on show, docs/ELEMENT.md). The element does not need it: a shop tab that
    // stays behind finishes by itself (background-tab.test.ts).
    await page.bringToFront();
  }

  async function endsPaid(c: Pick<CheckoutPage, 'urls'>, orderId: number, provider: string): Promise<void> {
    // Not waitForURL: the order page leaves ?paid=1 by itself once the shop has the PAY (harness `visited`).
    await visited(c, new RegExp(`/orders/${orderId}\\?paid=1$`), 20_000);
    await eventually(async () => (await orderStatus(s.e.shopUrl, orderId)) === 'paid', 15_000, 'PAY to reach the shop');
    const [payment] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${orderId}`, limit: 10 });
    assert.equal(payment!.providerId, provider);
    assert.equal(payment!.status, 'paid');
  }

  test('T-Pay through T-Bank on a phone: the app button opens T-Bank\'s link; paid in the app → url_success, PAY', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1 });
    const c = await openOnPhone(s.browser, order.url);
    const qr = await startWallet(c, 'TPY', 'T-Pay');
    assert.match(qr.deepLink, new RegExp(`^${s.e.emulators!.tbank.url}/tpay/\\d+$`), 'the RedirectUrl of TinkoffPay/…/link');
    await tapAppButton(c.page, 'T-Pay', qr.deepLink);
    await payInApp(c.page, qr.deepLink);
    await endsPaid(c, order.id, 'tbank');
    assert.deepEqual(c.problems, []);
    await closeQuietly(c.page.context());
  });

  test('SberPay through T-Bank on a desktop: the QR code leads; the phone that scans it pays → url_success, PAY', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 1 });
    const c = await openCheckout(s.browser, order.url);
    const qr = await startWallet(c, 'SBR', 'SberPay');
    assert.match(qr.deepLink, new RegExp(`^${s.e.emulators!.tbank.url}/sberpay/\\d+$`), 'the RedirectUrl of SberPay/…/link');
    const svg = c.page.locator('onpay-checkout svg[part="qr"]');
    assert.equal(await svg.isVisible(), true);
    assert.match((await svg.getAttribute('aria-label'))!, /SberPay/);
    assert.ok((await svg.boundingBox())!.width >= 150, 'big enough to scan');
    assert.equal(await c.page.locator('onpay-checkout button[part~="app"]').count(), 0, 'no app button on a desktop');
    await assertAxeClean(c.page, 'SberPay instructions on a desktop');
    await payInApp(c.page, qr.payload);
    await endsPaid(c, order.id, 'tbank');
    assert.deepEqual(c.problems, []);
    await closeQuietly(c.page.context());
  });

  test('SberPay through YooKassa on a phone: the app button opens confirmation_data; paid in the app → url_success, PAY', async () => {
    const order = await placeOrder(s.e.shopUrl, { honey: 1 });
    const c = await openOnPhone(s.browser, order.url);
    const qr = await startWallet(c, 'YKS', 'SberPay');
    assert.ok(qr.deepLink.startsWith(`${s.e.emulators!.yookassa.url}/bank-app?orderId=`), qr.deepLink);
    await tapAppButton(c.page, 'SberPay', qr.deepLink);
    await payInApp(c.page, qr.deepLink);
    await endsPaid(c, order.id, 'yk');
    assert.deepEqual(c.problems, []);
    await closeQuietly(c.page.context());
  });

  test('T-Pay through YooKassa: YooKassa\'s page in a popup offers the app; paid there → url_success, PAY', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 2 });
    const c = await openCheckout(s.browser, order.url);
    const { page, problems } = c;
    await page.locator('onpay-checkout [data-way="YKT"]').click();
    const popupOpened = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const popup = await popupOpened;
    await popup.waitForLoadState();
    assert.ok(popup.url().startsWith(s.e.emulators!.yookassa.url), popup.url());
    await popup.locator('a', { hasText: 'Открыть T-Pay' }).click();
    await popup.locator('button[value="pay"]').click();
    await endsPaid(c, order.id, 'yk');
    assert.deepEqual(problems, []);
    await closeQuietly(page.context());
  });
});
