/**
 * A payment system whose page refuses framing, in Chromium: the demo's card way configured with
 * `frame: false` (its sandbox page then sends `frame-ancestors 'none'`). «Продолжить» opens the page
 * in a popup straight away, no frame is ever made, paying there takes the shop page to url_success,
 * and PAY marks the order paid. The page really refuses frames: loaded in an iframe it stays empty.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEFAULT_WAYS } from '../../src/server/config.ts';
import { type E2E, eventually, launchChromium, orderStatus, placeOrder, startE2E, wentTo } from './harness.ts';

describe('a payment page that refuses framing, in Chromium', () => {
  let e: E2E;
  let browser: Browser;
  before(async () => {
    assert.ok(existsSync('dist/cdn/onpay-checkout.js'), 'build the element first: npm run build');
    e = await startE2E({ ways: DEFAULT_WAYS.map((w) => (w.code === 'CRD' ? { ...w, frame: false } : w)) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await e?.dispose();
  });

  test('«Продолжить» opens it in a popup at once; paying there ends at url_success and PAY marks the order paid', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 1 });
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(order.url);
    await page.locator('onpay-checkout [data-way="CRD"]').click();
    const popupOpened = page.waitForEvent('popup', { timeout: 5000 });
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    const popup = await popupOpened;
    assert.match(popup.url(), /\/sandbox\/card\/pay_/);
    assert.equal(await page.locator('onpay-checkout iframe').count(), 0, 'no frame was made');

    // The page refuses frames for real: the browser leaves an iframe of it empty.
    const refused = await popup.evaluate(async (url) => {
      const f = document.createElement('iframe');
      f.src = url;
      // A refused frame still fires load in Chromium (with an error page in it).
      const loaded = new Promise((r) => f.addEventListener('load', r, { once: true }));
      document.body.append(f);
      await Promise.race([loaded, new Promise((r) => setTimeout(r, 5000))]);
      try {
        return f.contentDocument?.querySelector('button[value="pay"]') === null || f.contentDocument === null;
      } catch {
        return true; // cross-origin error page
      } finally {
        f.remove();
      }
    }, popup.url());
    assert.equal(refused, true, 'the card page did not render inside a frame');

    await popup.locator('button[value="pay"]').click();
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
