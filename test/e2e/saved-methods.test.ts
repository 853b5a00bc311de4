/**
 * The consent to save the card end to end through the sandbox (issue 26), in Chromium: a signed
 * link naming the shop's customer opens the hosted page; the element shows the unticked box
 * (axe-clean); ticked, the paid card is saved and the consent stored with its words; not ticked,
 * nothing is saved; `save_method=required` shows the condition; a returning customer's saved card
 * offered first and paid with at once. The element must be built.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { signPaymentLink } from '../../src/merchant/index.ts';
import { consentText, savedCardLabel } from '../../src/protocol/save-consent.ts';
import { axeViolations, eventually, launchChromium, placeOrder, recordCheckout, startE2E, type E2E } from './harness.ts';

describe('the consent to save the card, in Chromium', () => {
  let e: E2E;
  let browser: Browser;
  before(async () => {
    assert.ok(existsSync('dist/cdn/onpay-checkout.js'), 'build the element first: npm run build');
    e = await startE2E({ merchantCacheMs: 0 });
    browser = await launchChromium();
    const m = (await e.gateway.storage.getMerchant('demo'))!;
    await e.gateway.storage.upsertMerchant({ ...m, savedMethods: { enabled: true } }, Date.now(), { operator: true });
  });
  after(async () => {
    await browser?.close();
    await e?.dispose();
  });

  /** A demo shop order (its CHECK knows it) as a link naming the customer; with its pay_for. */
  async function link(customer: string, saveMethod?: 'required'): Promise<{ url: string; payFor: string }> {
    const order = await placeOrder(e.shopUrl, { tea: 1 });
    const html = await (await fetch(order.url)).text();
    const q = new URL(/id="pay-link" href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&')).searchParams;
    const m = (await e.gateway.storage.getMerchant('demo'))!;
    const payFor = q.get('pay_for')!;
    return {
      url: signPaymentLink({ gateway: e.gatewayUrl, merchantLogin: 'demo', secret: m.secret, price: q.get('price')!, payFor, urlSuccess: q.get('url_success')!, customer, ...(saveMethod ? { saveMethod } : {}) }).url,
      payFor,
    };
  }

  /** Opens the link, ticks the box or not, pays by the sandbox card; the payment's id. */
  async function payThrough({ url, payFor }: { url: string; payFor: string }, tick: boolean): Promise<string> {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const { problems } = await recordCheckout(page);
    await page.goto(url);
    const box = page.locator('onpay-checkout [part="save"] input[type="checkbox"]');
    await box.waitFor();
    assert.equal(await box.isChecked(), false, 'unticked by default');
    assert.equal((await page.locator('onpay-checkout [part="save"]').innerText()).trim(), consentText('ru', 'optional'));
    const violations = (await axeViolations(page)).filter((v) => v.id !== 'page-has-heading-one');
    assert.deepEqual(violations, [], 'axe violations with the consent shown');
    if (tick) await box.check();
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    await page.frameLocator('onpay-checkout iframe').locator('button[value="pay"]').click();
    const paid = await eventually(async () => {
      const [p] = await e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor, limit: 1 });
      return p?.status === 'paid' ? p : undefined;
    }, 15_000, 'the payment paid');
    assert.deepEqual(problems, []);
    await context.close();
    return paid.id;
  }

  test('ticked: the consent is stored with its words and the card saved', async () => {
    const id = await payThrough(await link('e2e-1'), true);
    const consent = await e.gateway.storage.saveConsentOf(id);
    assert.equal(consent?.text, consentText('ru', 'optional'));
    assert.equal(consent?.customer, 'e2e-1');
    assert.match(consent?.address ?? '', /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/, 'the buyer\'s address');
    const methods = await e.gateway.storage.savedMethodsOf('demo', 'e2e-1');
    assert.deepEqual(methods.map((m) => m.last4), ['4242']);
  });

  test('not ticked: nothing is saved', async () => {
    const id = await payThrough(await link('e2e-2'), false);
    assert.equal(await e.gateway.storage.saveConsentOf(id), undefined);
    assert.deepEqual(await e.gateway.storage.savedMethodsOf('demo', 'e2e-2'), []);
  });

  test('a returning customer: the saved card first and chosen (axe-clean), paid with it at once, the done view', async () => {
    await payThrough(await link('e2e-4'), true);
    const [saved] = await e.gateway.storage.savedMethodsOf('demo', 'e2e-4');
    assert.ok(saved, 'the card saved by the first payment');
    const again = await link('e2e-4');
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const { problems, events } = await recordCheckout(page);
    // The shop keeps the buyer on its page: the element's done view, not url_success.
    await page.addInitScript(() => document.addEventListener('onpay-success', (ev) => ev.preventDefault()));
    const paymentsBefore = (await e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: again.payFor, limit: 5 })).length;
    await page.goto(again.url);
    const card = page.locator('onpay-checkout [part="saved"] input[type="radio"]').first();
    await card.waitFor();
    assert.equal((await page.locator('onpay-checkout [part="saved"] label').first().innerText()).trim(), savedCardLabel('ru', '4242'));
    assert.equal(await card.isChecked(), true, 'the saved card is chosen first');
    // It comes before the ways in the document.
    assert.equal(await page.locator('onpay-checkout [part="form"]').evaluate((f) => {
      const saved = f.querySelector('[part="saved"]')!;
      const ways = f.querySelector('[part="ways"]')!;
      return Boolean(saved.compareDocumentPosition(ways) & Node.DOCUMENT_POSITION_FOLLOWING);
    }), true);
    assert.equal(await page.locator('onpay-checkout [part="save"]').isHidden(), true, 'no consent for a card already saved');
    const violations = (await axeViolations(page)).filter((v) => v.id !== 'page-has-heading-one');
    assert.deepEqual(violations, [], 'axe violations with the saved card offered');
    // «Другой картой или способом» brings the consent back; the card chosen again hides it.
    await page.locator('onpay-checkout [part="saved"] input[type="radio"]').last().check();
    assert.equal(await page.locator('onpay-checkout [part="save"]').isVisible(), true);
    await card.check();
    assert.equal(await page.locator('onpay-checkout [part="save"]').isHidden(), true);
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    await page.locator('onpay-checkout p[role="status"].ok').waitFor({ timeout: 15_000 });
    const [p] = await e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: again.payFor, limit: 5 });
    assert.equal(paymentsBefore, 0, 'a new order');
    assert.equal(p?.status, 'paid');
    assert.equal(await e.gateway.storage.saveConsentOf(p.id), undefined, 'nothing saved again');
    assert.notEqual((await e.gateway.storage.savedMethodOf('demo', saved.id))?.lastUsedAt, null, 'the saved card was used');
    assert.ok((await events()).some((ev) => ev.type === 'onpay-success'), 'onpay-success fired');
    assert.equal(page.frames().length, 1, 'no payment system page: nothing for the buyer to do');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('save_method=required: the condition is shown, ticked and fixed', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    await page.goto((await link('e2e-3', 'required')).url);
    const box = page.locator('onpay-checkout [part="save"] input[type="checkbox"]');
    await box.waitFor();
    assert.equal(await box.isChecked(), true);
    assert.equal(await box.isDisabled(), true);
    assert.equal((await page.locator('onpay-checkout [part="save"]').innerText()).trim(), consentText('ru', 'required'));
    await context.close();
  });
});
