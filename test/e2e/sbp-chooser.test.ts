/**
 * The SBP bank chooser (issue 27, items 1 and 3) in Chromium against the demo and the T-Bank
 * emulator, as buyers meet it: on a phone (390×844, touch, a mobile browser's user agent) the list
 * of banks leads, search finds a bank by part of its name in Russian or Latin letters, tapping a
 * bank navigates to that bank's documented link (caught at the last moment and asserted: iOS the
 * bank's scheme, Android an intent naming its package), the last bank comes first next time (kept
 * on the device), the QR code unfolds; on a desktop the QR code leads and the chooser is folded and
 * keyboard-usable. Coming back from the bank app (the page frozen meanwhile, or thrown away and
 * reloaded), the element follows the payment to url_success with PAY in the shop. axe finds nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { readSbpBanksSnapshot } from '../../src/server/sbp/banks.ts';
import { assertAxeClean, closeQuietly, emulatorSuite, eventually, orderStatus, placeOrder, recordCheckout, wentTo } from './harness.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, userAgent: IPHONE };

const SBER = 'bank100000000111';
const VTB = 'bank100000000005';
const TINKOFF = 'bank100000000004';
const BANKS = readSbpBanksSnapshot().dictionary;

interface Tap { href: string; schema: string; prevented: boolean }

/**
 * A shop page in a context of its own. A tap on a bank is caught by the window's click listener
 * (the last to run): what the link was and that nothing before stopped it are recorded, then the
 * navigation to a bank app's scheme, which has no app behind it here, is stopped.
 */
async function open(browser: Browser, url: string, options: BrowserContextOptions, context?: Page['context'] extends () => infer C ? C : never) {
  const ctx = context ?? (await browser.newContext(options));
  const page = await ctx.newPage();
  const recorded = await recordCheckout(page);
  await page.addInitScript(() => {
    const taps: Tap[] = [];
    (window as unknown as { __taps: Tap[] }).__taps = taps;
    window.addEventListener('click', (e) => {
      const a = e.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement && !!n.dataset.schema);
      if (!a) return;
      taps.push({ href: a.getAttribute('href')!, schema: a.dataset.schema!, prevented: e.defaultPrevented });
      e.preventDefault();
    });
  });
  await page.goto(url);
  // The picker, or (the order's payment still waiting) its instructions again.
  await page.locator('onpay-checkout [role="radio"], onpay-checkout [part="instructions"]').first().waitFor();
  return { page, ...recorded, taps: () => page.evaluate(() => (window as unknown as { __taps: Tap[] }).__taps) };
}

/** Picks SBP and continues; returns the NSPK link the payment got. */
async function startSbp(page: Page): Promise<string> {
  await page.locator('onpay-checkout [data-way="SBP"]').click();
  await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
  await page.locator('onpay-checkout [part="instructions"]').waitFor();
  const link = await page.locator('onpay-checkout p.app a').getAttribute('href');
  assert.match(link!, /^https:\/\/qr\.nspk\.ru\/[A-Z0-9]{32}\?/);
  return link!;
}

/** The schemes of the banks on show, in order. */
const shownBanks = (page: Page) => page.locator('onpay-checkout [part="bank"]:visible').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.schema!));

/** Whether the chooser comes before the QR code in the element (document order). */
const chooserFirst = (page: Page) => page.locator('onpay-checkout').evaluate((el) => {
  const root = el.shadowRoot!;
  return !!(root.querySelector('[part="banks"]')!.compareDocumentPosition(root.querySelector('svg[part="qr"]')!) & Node.DOCUMENT_POSITION_FOLLOWING);
});

describe('the SBP bank chooser, in Chromium', () => {
  const s = emulatorSuite();

  test('phone: the chooser leads; search in Russian and Latin letters; a tap opens the bank\'s app; paid there, the element follows to url_success', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1 });
    const { page, problems, taps } = await open(s.browser, order.url, PHONE);
    const link = await startSbp(page);
    await page.locator('onpay-checkout [part="bank"]').first().waitFor();
    assert.equal(await chooserFirst(page), true, 'the list before the QR code');
    assert.equal(await page.locator('onpay-checkout svg[part="qr"]').isVisible(), false, 'the QR code folded');
    assert.equal((await shownBanks(page)).length, BANKS.length, 'every bank of NSPK\'s dictionary');
    assert.equal((await shownBanks(page))[0], SBER, 'the dictionary\'s order with nothing remembered');
    await assertAxeClean(page, 'SBP chooser on a phone');

    const search = page.locator('onpay-checkout input[type="search"]');
    await search.fill('сбер');
    assert.deepEqual(await shownBanks(page), BANKS.filter((b) => /сбер/i.test(b.bankName)).map((b) => b.schema));
    assert.ok((await shownBanks(page)).includes(SBER));
    await search.fill('tinkoff');
    assert.deepEqual(await shownBanks(page), [TINKOFF], 'Latin letters find «Тинькофф»');
    await search.fill('alfa');
    assert.ok((await shownBanks(page)).includes('bank100000000008'), 'Latin letters find «Альфа-Банк»');
    await search.fill('zzzz');
    assert.deepEqual(await shownBanks(page), []);
    await page.locator('onpay-checkout .banks p.muted', { hasText: 'Банк не найден' }).waitFor();
    await page.locator('onpay-checkout [role="status"]', { hasText: 'Банк не найден' }).waitFor();
    await search.fill('втб');
    assert.deepEqual(await shownBanks(page), [VTB]);
    await page.locator('onpay-checkout [role="status"]', { hasText: 'Найден 1 банк' }).waitFor();
    await assertAxeClean(page, 'SBP chooser searched');

    // The QR code unfolds below.
    await page.locator('onpay-checkout [part="qr-fold"] summary').tap();
    await page.locator('onpay-checkout svg[part="qr"]').waitFor({ state: 'visible' });

    await page.locator(`onpay-checkout [data-schema="${VTB}"]`).tap();
    const [tap] = await taps();
    // iOS: the bank's own scheme in place of https, the rest of the NSPK link as it is.
    assert.deepEqual(tap, { href: link.replace(/^https:/, `${VTB}:`), schema: VTB, prevented: false });
    assert.equal(await page.evaluate(() => localStorage.getItem('onpay-sbp-bank')), VTB, 'remembered on the device');

    // In the bank app (the page frozen meanwhile, as a phone does with a tab in the background).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    const bank = await page.context().newPage();
    await bank.goto(s.e.emulators!.tbank.sbpPageUrl(link)!);
    await bank.locator('button[value="pay"]').click();
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    await closeQuietly(bank);
    // Back in the browser: the element follows the payment and goes on to url_success. (Chromium does
    // not always hold a frozen page: one that went on to url_success already has no page to wake,
    // and CDP says "not attached"; what it visited is checked all the same.)
    await cdp.send('Page.setWebLifecycleState', { state: 'active' }).catch(() => undefined);
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    assert.deepEqual(problems, []);
    await closeQuietly(page.context());
  });

  test('phone: the last bank chosen comes first next time; Android opens it with an intent naming its package', async () => {
    const ctx = await s.browser.newContext({ ...PHONE, userAgent: ANDROID });
    const first = await placeOrder(s.e.shopUrl, { jam: 1 });
    const a = await open(s.browser, first.url, {}, ctx);
    const link = await startSbp(a.page);
    await a.page.locator('onpay-checkout input[type="search"]').fill('райф');
    const raif = BANKS.find((b) => b.bankName.startsWith('Райффайзен'))!;
    await a.page.locator(`onpay-checkout [data-schema="${raif.schema}"]`).tap();
    const [tap] = await a.taps();
    const rest = link.replace(/^https:\/\//, '');
    assert.deepEqual(tap, {
      href: `intent://${rest}#Intent;scheme=https;package=${raif.package_name};S.browser_fallback_url=${encodeURIComponent(link)};end`,
      schema: raif.schema, prevented: false,
    });
    await closeQuietly(a.page);

    const second = await placeOrder(s.e.shopUrl, { honey: 1 });
    const b = await open(s.browser, second.url, {}, ctx);
    await startSbp(b.page);
    await b.page.locator('onpay-checkout [part="bank"]').first().waitFor();
    const shown = await shownBanks(b.page);
    assert.equal(shown[0], raif.schema, 'the last bank first');
    assert.equal(shown.length, BANKS.length, 'and every other bank after it');
    assert.equal(shown.filter((x) => x === raif.schema).length, 1);
    await assertAxeClean(b.page, 'SBP chooser with the last bank first');
    assert.deepEqual([...a.problems, ...b.problems], []);
    await closeQuietly(ctx);
  });

  test('a touch screen that is narrow leads with the chooser whatever the user agent; so does a mobile browser on a wide screen', async () => {
    for (const [what, options] of [
      ['touch, 390 px, a desktop user agent', { viewport: { width: 390, height: 844 }, hasTouch: true, userAgent: DESKTOP }],
      ['a mobile user agent, 900 px, no touch', { viewport: { width: 900, height: 900 }, userAgent: ANDROID }],
    ] as const) {
      const order = await placeOrder(s.e.shopUrl, { tea: 2 });
      const { page, problems } = await open(s.browser, order.url, options);
      await startSbp(page);
      await page.locator('onpay-checkout [part="bank"]').first().waitFor();
      assert.equal(await chooserFirst(page), true, what);
      assert.equal(await page.locator('onpay-checkout svg[part="qr"]').isVisible(), false, `${what}: the QR code folded`);
      assert.equal(await page.locator('onpay-checkout details[part="qr-fold"]').count(), 1, what);
      assert.deepEqual(problems, []);
      await closeQuietly(page.context());
    }
  });

  test('desktop: the QR code leads and the chooser is folded; it unfolds and works from the keyboard', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 1, tea: 1 });
    const { page, problems, taps } = await open(s.browser, order.url, { viewport: { width: 1280, height: 900 }, userAgent: DESKTOP });
    const link = await startSbp(page);
    const svg = page.locator('onpay-checkout svg[part="qr"]');
    await svg.waitFor({ state: 'visible' });
    assert.equal(await chooserFirst(page), false, 'the QR code before the list');
    assert.equal(await page.locator('onpay-checkout details[part="banks-fold"]').getAttribute('open'), null);
    assert.equal(await page.locator('onpay-checkout input[type="search"]').isVisible(), false, 'the chooser folded');
    await assertAxeClean(page, 'SBP on a desktop');

    // Keyboard only: the fold's summary, Enter; the search field; Tab to the first bank found; Enter.
    const summary = page.locator('onpay-checkout [part="banks-fold"] summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    await page.locator('onpay-checkout input[type="search"]').waitFor({ state: 'visible' });
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.querySelector('onpay-checkout')!.shadowRoot!.activeElement?.id), 'sbp-search');
    await page.keyboard.type('Sber');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => (document.querySelector('onpay-checkout')!.shadowRoot!.activeElement as HTMLElement | null)?.dataset.schema);
    assert.equal(focused, SBER, 'Tab goes from the search to the first bank found');
    await page.keyboard.press('Enter');
    const [tap] = await taps();
    assert.deepEqual(tap, { href: link.replace(/^https:/, `${SBER}:`), schema: SBER, prevented: false });
    await assertAxeClean(page, 'SBP on a desktop, chooser unfolded and searched');
    assert.deepEqual(problems, []);
    await closeQuietly(page.context());
  });

  test('coming back after the phone threw the page away: the reload shows the same payment with its chooser; paid in the bank app, url_success', async () => {
    const order = await placeOrder(s.e.shopUrl, { honey: 2 });
    const ctx = await s.browser.newContext(PHONE);
    const a = await open(s.browser, order.url, {}, ctx);
    const link = await startSbp(a.page);
    await a.page.locator(`onpay-checkout [data-schema="${SBER}"]`).tap();
    assert.equal((await a.taps()).length, 1);
    await closeQuietly(a.page);
    const bank = await ctx.newPage();
    await bank.goto(s.e.emulators!.tbank.sbpPageUrl(link)!);

    // The buyer opens the shop's page again before paying: the waiting payment, not a new one.
    const b = await open(s.browser, order.url, {}, ctx);
    await b.page.locator('onpay-checkout [part="instructions"]').waitFor();
    assert.equal(await b.page.locator('onpay-checkout p.app a').getAttribute('href'), link, 'the same NSPK link');
    await b.page.locator('onpay-checkout [part="bank"]').first().waitFor();
    assert.equal((await shownBanks(b.page))[0], SBER);
    // The bank app confirms; the element, only following, takes the buyer to url_success. No guess:
    // until the money is confirmed it still shows the instructions.
    assert.equal(await b.page.locator('onpay-checkout h2', { hasText: 'Оплата прошла' }).count(), 0);
    // A bank app that sends the buyer to the gateway's return address before the money is there
    // (`result=success` only the app's hint): «Проверяем оплату…», never the shop's success page.
    const [waiting] = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    const back = await ctx.newPage();
    await back.goto(`${s.e.gatewayUrl}/providers/${waiting!.providerId}/return/${waiting!.id}?result=success`);
    assert.equal(await back.locator('h1[data-onpay-checking]').count(), 1, 'the return page checks, it does not guess');
    assert.doesNotMatch(back.url(), /paid=1/);
    await closeQuietly(back);
    await bank.locator('button[value="pay"]').click();
    await wentTo(b.page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    const payments = await s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${order.id}`, limit: 10 });
    assert.deepEqual(payments.map((p) => p.status), ['paid'], 'one payment, paid');
    assert.deepEqual([...a.problems, ...b.problems], []);
    await closeQuietly(ctx);
  });
});
