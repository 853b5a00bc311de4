/**
 * The element's start-up in Chromium against the real gateway and demo shop (issue #29): on the
 * shop's order page the payload the kit's `<link rel=preload>` fetched is the one the element uses
 * (one request for it, not two); on the hosted page and the snippet page the element starts from the
 * payload in the page (no request for it); no CSP violation anywhere (the hosted page's inline
 * stylesheet is allowed by its hash). The element must be built (`npm run build`; npm test does).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, placeOrder, recordCheckout, startE2E, type E2E } from './harness.ts';

describe('the element\'s start-up, in Chromium', () => {
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

  /** Opens `url`, counting the requests for the form payload (at its own URL or the link's JSON). */
  async function open(url: string) {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const checkout = { page, ...(await recordCheckout(page)) };
    const payloads: string[] = [];
    checkout.page.on('request', (r) => {
      if (/\/pay\/demo\/payload\?/.test(r.url()) || (/\/pay\/demo\?/.test(r.url()) && r.resourceType() !== 'document')) payloads.push(`${r.resourceType()} ${r.url()}`);
    });
    await checkout.page.goto(url);
    await checkout.page.locator('onpay-checkout [role="radio"]').first().waitFor({ timeout: 15_000 });
    // A second, late request would come within this wait.
    await checkout.page.waitForTimeout(500);
    return { ...checkout, payloads };
  }

  test('the order page: the preloaded payload is the one the element uses', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 1 });
    const html = await (await fetch(order.url)).text();
    assert.match(html, /<link rel="preload" as="fetch" crossorigin href="[^"]+\/pay\/demo\/payload\?/);
    const { page, payloads, problems } = await open(order.url);
    assert.equal(payloads.length, 1, `one request for the payload: ${payloads.join(', ')}`);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('the hosted page and the snippet page: the element starts from the payload in the page', async () => {
    const order = await placeOrder(e.shopUrl, { jam: 1 });
    const html = await (await fetch(order.url)).text();
    const hosted = /id="pay-link" href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    for (const url of [hosted, `${order.url}/snippet`]) {
      const { page, payloads, problems } = await open(url);
      assert.deepEqual(payloads, [], `${url}: no request for the payload`);
      assert.deepEqual(problems, [], url);
      await page.context().close();
    }
  });
});
