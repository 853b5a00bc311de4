/**
 * The classic Onpay flow, end to end in Chromium: the shop links to the gateway's hosted page,
 * the buyer pays by card, lands on url_success, and the shop's order turns paid by PAY — with
 * JavaScript disabled too. And PAY surviving the shop's server being down.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type E2E, eventually, launchChromium, orderStatus, placeOrder, startE2E, wentTo } from './harness.ts';

describe('classic payment link, hosted page, in Chromium', () => {
  let e: E2E;
  let browser: Browser;
  before(async () => {
    e = await startE2E();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await e?.dispose();
  });

  test('with JavaScript disabled: link → plain form → card page → pay → url_success, order paid via PAY', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const order = await placeOrder(e.shopUrl, { honey: 2 });
    await page.goto(order.url);
    await page.click('#pay-link');
    await page.waitForURL(/\/pay\/demo\?/);
    // The plain form: the first way is chosen; the buyer leaves an e-mail and continues.
    assert.equal(await page.locator('input[name="way"][value="CRD"]').isChecked(), true);
    await page.fill('input[name="user_email"]', 'buyer@example.com');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/sandbox\/card\//);
    assert.match((await page.locator('main').innerText()).replace(/[\s\u00a0\u202f]+/g, ' '), /1 816,62 ₽/); // 1781.0 + 2 % fee (35.62), as Intl writes it
    await page.click('button[value="pay"]');
    await page.waitForURL(/\/sandbox\/return\//);
    // Without JavaScript the return page refreshes to url_success.
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 10_000);
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 10_000, 'the order to be paid');
    await page.reload();
    assert.match(await page.locator('#order-status').innerText(), /Оплачен/);
    await context.close();
  });

  test('declined card on the plain form: the return page says why without JavaScript; the shop link leads to url_fail; the order stays unpaid', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const order = await placeOrder(e.shopUrl, { tea: 1 });
    await page.goto(order.url);
    await page.click('#pay-link');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/sandbox\/card\//);
    await page.click('button[value="decline"]');
    await page.locator('p[data-reason="declined"]').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('p[data-reason="declined"]').innerText(), /Банк отклонил платёж/);
    assert.ok(await page.locator('a', { hasText: 'Попробовать другой способ' }).isVisible());
    await page.click('a:has-text("Вернуться в магазин")');
    await page.waitForURL(new RegExp(`/orders/${order.id}\\?failed=1`), { timeout: 10_000 });
    assert.equal(await orderStatus(e.shopUrl, order.id), 'new');
    await context.close();
  });

  test('the shop\'s server is down when the money arrives: PAY is retried and the order is paid when it is back', async () => {
    const order = await placeOrder(e.shopUrl, { jam: 1 });
    const html = await (await fetch(order.url)).text();
    const link = /id="pay-link" href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const payload = (await (await fetch(link, { headers: { accept: 'application/json' } })).json()) as { token: string };
    const created = await fetch(`${e.gatewayUrl}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'RUR' }) });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    await e.setShopOnline(false);
    try {
      const paid = await fetch(`${e.gatewayUrl}/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
      assert.equal(paid.status, 200);
      const storage = e.gateway.storage;
      const n = await eventually(async () => {
        const rows = await storage.notificationsOf(id);
        return rows[0] && rows[0].attempts >= 2 ? rows[0] : undefined;
      }, 15_000, 'two failed PAY attempts');
      assert.equal(n.status, 'retrying');
      const attempts = await storage.attemptsOf(n.id);
      assert.ok(attempts.every((a) => a.httpStatus === null), 'nobody answered');
      assert.equal(await (async () => { try { return await orderStatus(e.shopUrl, order.id); } catch { return 'unreachable'; } })(), 'unreachable');
    } finally {
      await e.setShopOnline(true);
    }
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 20_000, 'the order to be paid after the shop came back');
    const rows = await e.gateway.storage.notificationsOf(id);
    assert.equal(rows[0]!.status, 'delivered');
  });
});
