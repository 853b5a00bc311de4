/**
 * The element's start-up in Chromium against the real gateway and demo shop (issue #29): the shop's
 * order page rendered on its server (the gateway's snippet through the kit) shows the plain form with
 * no script and the element starts from its payload; with the element alone the payload the kit's `<link rel=preload>` fetched is the one the element uses
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

  test('the order page rendered on the shop\'s server: the form usable before any script, the element starts from the payload in it', async () => {
    const order = await placeOrder(e.shopUrl, { honey: 1 });
    const html = await (await fetch(order.url)).text();
    assert.match(html, /<onpay-checkout [^>]*>\s*<script type="application\/json" slot="payload">/);
    assert.match(html, /<form class="onpay-form" method="post" action="[^"]+\/pay\/demo\/continue">/);
    assert.ok(!html.includes('rel="preload" as="fetch"'), 'nothing to preload: the payload is in the page');
    // Without JavaScript the buyer sees the picker's choices in the page itself.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const bare = await context.newPage();
    await bare.goto(order.url);
    assert.ok(await bare.locator('onpay-checkout input[type="radio"][name="way"]').first().isVisible());
    await context.close();
    const { page, payloads, problems } = await open(order.url);
    assert.deepEqual(payloads, [], 'no request for the payload');
    assert.deepEqual(problems, []);
    // The element's own picker replaced the server form (no longer slotted).
    assert.equal(await page.locator('onpay-checkout > form.onpay-form input[type="radio"]').first().isVisible(), false);
    await page.context().close();
  });

  test('the order page with the element alone (?render=client): the preloaded payload is the one the element uses', async () => {
    const order = await placeOrder(e.shopUrl, { tea: 1 });
    const url = `${order.url}?render=client`;
    const html = await (await fetch(url)).text();
    assert.match(html, /<link rel="preload" as="fetch" crossorigin href="[^"]+\/pay\/demo\/payload\?/);
    const { page, payloads, problems } = await open(url);
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
