/**
 * The demo shop paid through the T-Bank connector and its emulator, in Chromium, as `npm start`
 * runs it: by card on the emulator's payment form (T-Bank's form is not framed: the element opens it
 * in a popup at once), ending at url_success with PAY delivered to the shop (a declined card at
 * url_fail); and by SBP, the QR code
 * drawn inside the element as inline SVG (on a phone, a button opening the deep link) and paid from
 * the emulator's "scan and pay" page, the element reaching its success view. axe finds nothing in the element's views.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { TEST_CARDS } from '../../src/server/providers/tbank/emulator.ts';
import { assertAxeClean, type ElementEvent, emulatorSuite, eventually, openCheckout, orderStatus, placeOrder, wentTo } from './harness.ts';

const SUCCESS_CARD = TEST_CARDS.find((c) => c.outcome === 'success')!.pan; // 2200770239097761
const DECLINE_CARD = TEST_CARDS.find((c) => c.errorCode === '1051')!.pan; // 2201382000000831, недостаточно средств

describe('T-Bank through its emulator, in Chromium', () => {
  const s = emulatorSuite();

  test('card: the emulator\'s form with a published test card → url_success, PAY marks the order paid', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1, honey: 1 });
    const { page, problems } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [data-way="TBC"]').click();
    assert.match(await page.locator('onpay-checkout [data-way="TBC"]').innerText(), /Банковская карта \(T-Bank\)/);
    await assertAxeClean(page, 'picker (T-Bank card chosen)');
    const popupOpened = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const popup = await popupOpened;
    await popup.waitForLoadState();
    assert.ok(popup.url().startsWith(s.e.emulators!.tbank.url), popup.url());
    await popup.locator('input[name="pan"]').fill(SUCCESS_CARD);
    await popup.locator('button[type="submit"]', { hasText: 'Оплатить' }).click();
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    const [payment] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.equal(payment!.providerId, 'tbank');
    assert.equal(payment!.status, 'paid');
    const tp = s.e.emulators!.tbank.payment(payment!.providerPaymentId!)!;
    assert.equal(tp.status, 'CONFIRMED');
    assert.equal(tp.pan?.slice(-4), SUCCESS_CARD.slice(-4));
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('card declined (insufficient funds) → the failure view, then url_fail; the order is not paid', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 2 });
    const { page, problems } = await openCheckout(s.browser, order.url);
    await page.locator('onpay-checkout [data-way="TBC"]').click();
    const popupOpened = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const popup = await popupOpened;
    await popup.locator('input[name="pan"]').fill(DECLINE_CARD);
    await popup.locator('button[type="submit"]', { hasText: 'Оплатить' }).click();
    await page.locator('onpay-checkout [role="alert"][data-reason]').waitFor({ timeout: 15_000 });
    await page.locator('onpay-checkout a[part="link"]').click();
    await page.waitForURL(new RegExp(`/orders/${order.id}\\?failed=1`), { timeout: 15_000 });
    const [payment] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    await eventually(async () => (await s.e.gateway.storage.getPayment(payment!.id))!.status === 'failed', 10_000, 'the REJECTED notification');
    assert.equal(await orderStatus(s.e.shopUrl, order.id), 'new');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  /**
   * The order page reloads itself once the shop records PAY (demo/static/order.js), which would take
   * the element's success view away mid-check: its status polls answer "new" until released.
   */
  const holdOrderPage = (page: Page) => page.route('**/orders/*/status', (r) => r.fulfill({ json: { status: 'new' } }));
  /** Lets the polls through: PAY reaches the shop, and the page shows the order paid. */
  async function releaseOrderPage(page: Page): Promise<void> {
    await page.unroute('**/orders/*/status');
    await page.locator('#order-status[data-status="paid"]').waitFor({ timeout: 15_000 });
  }

  type Qr = { payload: string; deepLink: string; size: number; modules: string };

  /** Picks SBP and continues; returns the QR code the gateway gave the element. */
  async function startSbp(page: Page, events: () => Promise<ElementEvent[]>, amount: RegExp): Promise<Qr> {
    await page.evaluate(() => document.addEventListener('onpay-success', (ev) => ev.preventDefault()));
    await page.locator('onpay-checkout [data-way="SBP"]').click();
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    await page.locator('onpay-checkout [part="instructions"]').waitFor();
    assert.match(await page.locator('onpay-checkout [part="instructions"]').innerText(), amount);
    const created = (await events()).find((x) => x.type === 'onpay-payment-created')!;
    const view = (await (await fetch(`${s.e.gatewayUrl}/api/v1/payments/${String(created.detail.id)}`)).json()) as { action: { type: string; qr: Qr } };
    assert.equal(view.action.type, 'instructions');
    const { qr } = view.action;
    // What T-Bank's GetQr gives: an NSPK link, drawn as is and offered as the bank-app link.
    assert.match(qr.payload, /^https:\/\/qr\.nspk\.ru\/[A-Z0-9]{32}\?type=02&bank=\d{12}&sum=\d+&cur=RUB&crc=[0-9A-F]{4}$/);
    assert.equal(qr.modules.length, qr.size * qr.size);
    return qr;
  }

  test('SBP: the QR code drawn inside the element, scanned and paid on the emulator\'s page, the element shows success', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 1 });
    const { page, problems, events } = await openCheckout(s.browser, order.url);
    const qr = await startSbp(page, events, /1\s?200,00/);
    // The code is inline SVG in the element, one unit square per dark module of the gateway's matrix.
    const svg = page.locator('onpay-checkout svg[part="qr"]');
    await svg.waitFor();
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.equal(await svg.getAttribute('aria-label'), 'QR-код для оплаты');
    assert.equal(await svg.getAttribute('viewBox'), `-4 -4 ${qr.size + 8} ${qr.size + 8}`);
    const d = (await svg.locator('path').getAttribute('d'))!;
    assert.equal(d.split('M').length - 1, [...qr.modules].filter((m) => m === '1').length);
    assert.ok((await svg.boundingBox())!.width >= 150, 'big enough to scan');
    assert.equal(await page.locator('onpay-checkout p.app a').isVisible(), false, 'no bank-app button on a desktop');
    await assertAxeClean(page, 'SBP instructions with the QR code');

    // The buyer scans the code with the bank app: the emulator's "scan and pay" page.
    await holdOrderPage(page);
    const phone = await page.context().newPage();
    // NSPK sends the phone to the buyer's bank; offline, that is the emulator's page for the link.
    await phone.goto(s.e.emulators!.tbank.sbpPageUrl(qr.payload)!);
    await phone.locator('button[value="pay"]').click();
    await page.locator('onpay-checkout h2', { hasText: 'Оплата прошла' }).waitFor({ timeout: 15_000 });
    assert.ok((await events()).some((x) => x.type === 'onpay-success'));
    await assertAxeClean(page, 'SBP paid');
    assert.deepEqual(problems, []);
    await releaseOrderPage(page);
    await page.context().close();
  });

  test('SBP on a phone: the bank-app button opens the deep link; paid there, the element shows success', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1 });
    const { page, problems, events } = await openCheckout(s.browser, order.url, { width: 390, height: 844 });
    const qr = await startSbp(page, events, /450,00/);
    const app = page.locator('onpay-checkout p.app a');
    await app.waitFor();
    assert.equal(await app.isVisible(), true, 'the bank-app button shows on a phone');
    assert.equal(await app.getAttribute('href'), qr.deepLink);
    await assertAxeClean(page, 'SBP instructions on a phone');
    await holdOrderPage(page);
    const bank = await page.context().newPage();
    await bank.goto(s.e.emulators!.tbank.sbpPageUrl(qr.deepLink)!);
    await bank.locator('button[value="pay"]').click();
    await page.locator('onpay-checkout h2', { hasText: 'Оплата прошла' }).waitFor({ timeout: 15_000 });
    assert.deepEqual(problems, []);
    await releaseOrderPage(page);
    await page.context().close();
  });
});
