/**
 * SBP through CloudPayments by its QR link (issue 27 item 1) in Chromium against the demo and the
 * CloudPayments emulator: on a phone the element's bank chooser lists CloudPayments' own banks (the
 * `Banks` of `payments/qr/sbp/link`, in its order), not the gateway's snapshot; tapping one navigates
 * to that bank's link for this payment's NSPK code; paid on the bank-app page (Check, then Pay), the
 * element follows the payment to url_success with PAY in the shop, once. On a desktop the QR code
 * leads and the folded chooser holds the same list.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrowserContextOptions } from 'playwright-core';
import { EMULATOR_SBP_BANKS } from '../../src/server/providers/cloudpayments/emulator.ts';
import { readSbpBanksSnapshot } from '../../src/server/sbp/banks.ts';
import { assertAxeClean, closeQuietly, emulatorSuite, eventually, orderStatus, placeOrder, recordCheckout, wentTo } from './harness.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, userAgent: IPHONE };

interface Tap { href: string; schema: string }

describe('SBP through CloudPayments\' QR link, in Chromium', () => {
  const s = emulatorSuite();

  test('phone: CloudPayments\' banks in the chooser; a tap opens the bank with this payment\'s link; paid in the bank app, the element goes to url_success', async () => {
    const order = await placeOrder(s.e.shopUrl, { tea: 1 });
    const ctx = await s.browser.newContext(PHONE);
    const page = await ctx.newPage();
    const { problems } = await recordCheckout(page);
    // A tap on a bank is recorded, then the navigation to a scheme with no app behind it is stopped.
    await page.addInitScript(() => {
      const taps: Tap[] = [];
      (window as unknown as { __taps: Tap[] }).__taps = taps;
      window.addEventListener('click', (e) => {
        const a = e.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement && !!n.dataset.schema);
        if (!a) return;
        taps.push({ href: a.getAttribute('href')!, schema: a.dataset.schema! });
        e.preventDefault();
      });
    });
    await page.goto(order.url);
    await page.locator('onpay-checkout [data-way="CPS"]').click();
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    await page.locator('onpay-checkout [part="instructions"]').waitFor();
    const link = (await page.locator('onpay-checkout p.app a').getAttribute('href'))!;
    assert.match(link, /^https:\/\/qr\.nspk\.ru\/[A-Z0-9]{32}\?/);
    assert.ok([...s.e.emulators!.cloudpayments.sbpQrs.values()].some((q) => q.link === link), 'the link CloudPayments handed out');

    await page.locator('onpay-checkout [part="bank"]').first().waitFor();
    const shown = await page.locator('onpay-checkout [part="bank"]:visible').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.schema!));
    // CloudPayments' list, in its order: not the gateway's 183 banks.
    assert.deepEqual(shown, EMULATOR_SBP_BANKS.dictionary.map((b) => b.schema));
    assert.notEqual(shown.length, readSbpBanksSnapshot().dictionary.length);
    await assertAxeClean(page, 'CloudPayments SBP chooser on a phone');

    const alfa = EMULATOR_SBP_BANKS.dictionary.find((b) => b.bankName === 'Альфа-Банк')!;
    await page.locator(`onpay-checkout [data-schema="${alfa.schema}"]`).tap();
    const taps = await page.evaluate(() => (window as unknown as { __taps: Tap[] }).__taps);
    // iOS: the bank's own scheme in place of https, the rest of the NSPK link as it is.
    assert.deepEqual(taps, [{ href: link.replace(/^https:/, `${alfa.schema}:`), schema: alfa.schema }]);

    // In the bank app: the emulator's page for that link pays it (Check, then Pay).
    const bank = await ctx.newPage();
    await bank.goto(s.e.emulators!.cloudpayments.sbpPageUrl(link)!);
    await bank.locator('button[value="pay"]').click();
    await bank.getByRole('heading', { name: 'Оплата прошла' }).waitFor();
    await eventually(async () => (await orderStatus(s.e.shopUrl, order.id)) === 'paid', 15_000, 'PAY to reach the shop');
    await closeQuietly(bank);
    await page.bringToFront();
    await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
    // CloudPayments' side: Check, then one Pay for this transaction, each answered {"code":0} the first time.
    const tx = [...s.e.emulators!.cloudpayments.sbpQrs.values()].find((q) => q.link === link)!.transactionId;
    const sent = s.e.emulators!.cloudpayments.deliveries.filter((d) => new URLSearchParams(d.body).get('TransactionId') === String(tx));
    assert.deepEqual(sent.map((d) => [d.kind, d.attempt, d.accepted]), [['check', 1, true], ['pay', 1, true]]);
    assert.deepEqual(problems, []);
    await closeQuietly(ctx);
  });

  test('desktop: the QR code of CloudPayments\' link leads; the folded chooser holds CloudPayments\' banks', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 1 });
    const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP });
    const page = await ctx.newPage();
    const { problems } = await recordCheckout(page);
    await page.goto(order.url);
    await page.locator('onpay-checkout [data-way="CPS"]').click();
    await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
    await page.locator('onpay-checkout svg[part="qr"]').waitFor({ state: 'visible' });
    await page.locator('onpay-checkout [part="banks-fold"] summary').click();
    await page.locator('onpay-checkout [part="bank"]').first().waitFor();
    const shown = await page.locator('onpay-checkout [part="bank"]:visible').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.schema!));
    assert.deepEqual(shown, EMULATOR_SBP_BANKS.dictionary.map((b) => b.schema));
    await assertAxeClean(page, 'CloudPayments SBP on a desktop');
    assert.deepEqual(problems, []);
    await closeQuietly(ctx);
  });
});
