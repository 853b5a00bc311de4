/**
 * The demo shop with <onpay-checkout> from the gateway's CDN path, in Chromium, under the shop's
 * strict Content-Security-Policy: card payments in the overlay, bank transfer by instructions,
 * the shop's CHECK refusing, a price edited in the page, the hosted page with the element, and a
 * payment made with the keyboard only. The element must be built (`npm run build`; npm test does).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type E2E, eventually, launchChromium, orderStatus, placeOrder, recordCheckout, startE2E, wentTo } from './harness.ts';

const SCREENSHOT = 'docs/screenshots/checkout.png';

describe('the element in the demo shop, in Chromium', () => {
  let e: E2E;
  let browser: Browser;
  before(async () => {
    assert.ok(existsSync('dist/cdn/onpay-checkout.js'), 'build the element first: npm run build');
    e = await startE2E();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await e?.dispose();
  });

  /** A page that records CSP violations, page errors and the element's events. */
  async function openPage(url: string): Promise<{ page: Page; problems: string[]; events: () => Promise<{ type: string; detail: any }[]> }> {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const recorded = await recordCheckout(page);
    await page.goto(url);
    return { page, ...recorded };
  }

  const ready = (page: Page) => page.locator('onpay-checkout [role="radio"]').first().waitFor();
  const chooseWay = (page: Page, code: string) => page.locator(`onpay-checkout [data-way="${code}"]`).click();
  const pressContinue = (page: Page) => page.locator('onpay-checkout [part="form"] button[type="submit"]').click();

  test('card in the overlay: pay → url_success, and the order is paid by PAY', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 1, honey: 1 });
    const { page, problems, events } = await openPage(order.url);
    await ready(page);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await pressContinue(page);
    const frame = page.frameLocator('onpay-checkout iframe');
    await frame.locator('button[value="pay"]').click();
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    assert.deepEqual(problems, []);
    await page.context().close();
    void events;
  });

  test('card declined → the failure view says why, «Вернуться в магазин» → url_fail, the order is not paid', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 2 });
    const { page, problems } = await openPage(order.url);
    await ready(page);
    await pressContinue(page);
    await page.frameLocator('onpay-checkout iframe').locator('button[value="decline"]').click();
    await page.locator('onpay-checkout [role="alert"][data-reason="declined"]').waitFor({ timeout: 15_000 });
    await page.locator('onpay-checkout a[part="link"]').click();
    await page.waitForURL(new RegExp(`/orders/${order.id}\\?failed=1`), { timeout: 15_000 });
    assert.equal(await orderStatus(e.shopUrl, order.id), 'new');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('bank transfer: instructions, the money arrives, the element shows success live, PAY delivered', async () => {
    const order = await placeOrder(e.shopUrl, { jam: 1 });
    const { page, problems, events } = await openPage(order.url);
    await ready(page);
    await page.evaluate(() => document.addEventListener('onpay-success', (ev) => ev.preventDefault()));
    await chooseWay(page, 'RUR');
    await pressContinue(page);
    await page.locator('onpay-checkout dl').waitFor();
    const details = await page.locator('onpay-checkout dl').innerText();
    assert.match(details, /40702810900000012345/);
    assert.match(details, /OP-\d+/);
    const created = (await events()).find((x) => x.type === 'onpay-payment-created')!;
    const paid = await fetch(`${e.gatewayUrl}/api/v1/sandbox/payments/${created.detail.id}/pay`, { method: 'POST' });
    assert.equal(paid.status, 200);
    await page.locator('onpay-checkout h2', { hasText: 'Оплата прошла' }).waitFor({ timeout: 10_000 });
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    assert.deepEqual((await events()).map((x) => x.type), ['onpay-ready', 'onpay-way-select', 'onpay-payment-created', 'onpay-success']);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('the shop\'s CHECK refuses a cancelled order: the element says so and nothing proceeds', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 3 });
    const { page, problems, events } = await openPage(order.url);
    await ready(page);
    await fetch(`${e.shopUrl}/orders/${order.id}/cancel`, { method: 'POST', redirect: 'manual' });
    await pressContinue(page);
    await page.locator('onpay-checkout [role="alert"]', { hasText: 'Заказ отменён' }).waitFor();
    const list = await e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.deepEqual(list.map((p) => p.status), ['rejected']);
    assert.ok((await events()).some((x) => x.type === 'onpay-error' && x.detail.code === 'check_declined'));
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('a price edited in the page is refused by the gateway, and nothing is paid', async () => {
    const order = await placeOrder(e.shopUrl, { honey: 1 });
    const { page, events } = await openPage(order.url);
    await ready(page);
    await page.locator('onpay-checkout').evaluate((el) => el.setAttribute('price', '1.0'));
    await page.locator('onpay-checkout [role="alert"]').waitFor();
    assert.match(await page.locator('onpay-checkout [role="alert"]').innerText(), /md5/);
    assert.ok((await events()).some((x) => x.type === 'onpay-error' && x.detail.code === 'bad_signature'));
    const list = await e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.equal(list.length, 0);
    await page.context().close();
  });

  test('the hosted payment page with JavaScript: the element takes over the plain form', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 1 });
    const { page, problems } = await openPage(order.url);
    await page.click('#pay-link');
    await page.waitForURL(/\/pay\/demo\?/);
    await ready(page);
    assert.equal(await page.locator('form.onpay-form').isVisible(), false, 'the plain form is hidden behind the element');
    await pressContinue(page);
    await page.frameLocator('onpay-checkout iframe').locator('button[value="pay"]').click();
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('keyboard only: the whole card payment', async () => {
    const order = await placeOrder(e.shopUrl, { jam: 2 });
    const { page, problems } = await openPage(order.url);
    await ready(page);
    // Tab from the top of the page to the chosen payment system.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const role = await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('role') ?? null);
      if (role === 'radio') break;
    }
    const focused = () => page.evaluate(() => (document.activeElement?.shadowRoot?.activeElement as HTMLElement | null)?.dataset.way ?? null);
    assert.equal(await focused(), 'CRD');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'USD');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focused(), 'CRD');
    await page.keyboard.press('Enter');
    await page.locator('onpay-checkout [role="dialog"]').waitFor();
    const payFrame = page.frames().find((f) => f.url().includes('/sandbox/card/'));
    await eventually(() => page.frames().find((f) => f.url().includes('/sandbox/card/')), 10_000, 'the card frame');
    void payFrame;
    // Into the frame and to its Pay button with Tab, then Enter.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const frame = page.frames().find((f) => f.url().includes('/sandbox/card/'));
      const onPay = await frame?.evaluate(() => (document.activeElement as HTMLButtonElement | null)?.value === 'pay').catch(() => false);
      if (onPay) break;
    }
    await page.keyboard.press('Enter');
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
