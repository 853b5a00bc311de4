/**
 * One order paid once (issue 22), in Chromium, the demo shop with its emulators as `npm start` runs
 * it: a reload on a bank transfer and on SBP resumes the same payment (no second one); «Выбрать
 * другой способ» leaves it (T-Bank's emulator shows the SBP session cancelled) and the picker
 * returns; the order paid by card, the old transfer paid afterwards is flagged as a duplicate (PAY
 * carries `duplicate_of`, the cabinet lists it first), and with `duplicates: "refund"` it is
 * refunded. axe finds nothing in the resumed view.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAxeClean, type ElementEvent, emulatorSuite, eventually, openCheckout, orderStatus, placeOrder, wentTo } from './harness.ts';

const DEMO_KEY = 'demo-cabinet-key-0123456789';

describe('one order paid once, in Chromium', () => {
  const s = emulatorSuite();

  const chooseWay = (page: Page, code: string) => page.locator(`onpay-checkout [data-way="${code}"]`).click();
  const pressContinue = (page: Page) => page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
  const instructions = (page: Page) => page.locator('onpay-checkout [part="instructions"]');
  // The element's own button (part "another"): the server form's, in the page's light DOM, is not on show.
  const another = (page: Page) => page.locator('onpay-checkout button[part~="another"]', { hasText: 'Выбрать другой способ' });
  const paymentsOf = (orderId: number) => s.e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor: `demo-${orderId}`, limit: 10 });
  const createdId = async (events: () => Promise<ElementEvent[]>) => String((await events()).filter((x) => x.type === 'onpay-payment-created').at(-1)!.detail.id);

  const cabinet = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${s.e.gatewayUrl}/api/v1/cabinet${path}`, { ...init, headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json', ...init.headers } });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Record<string, any>;
  };

  /**
   * A bank transfer started, the page reloaded (the same transfer comes back), «Выбрать другой
   * способ», then the order paid by card in the overlay; returns the transfer's and the card's ids.
   */
  async function transferThenCard(orderId: number, url: string): Promise<{ transfer: string; card: string; page: Page }> {
    const { page, problems, events } = await openCheckout(s.browser, url);
    await chooseWay(page, 'RUR');
    await pressContinue(page);
    await instructions(page).waitFor();
    const before = await instructions(page).innerText();
    const reference = /OP-\d+/.exec(before)![0];
    const transfer = await createdId(events);

    await page.reload();
    await instructions(page).waitFor();
    const after = await instructions(page).innerText();
    assert.match(after, new RegExp(reference), 'the same transfer reference after the reload');
    assert.equal(after.replace(/\d+:\d\d:\d\d/g, ''), before.replace(/\d+:\d\d:\d\d/g, ''), 'the same instructions and amount');
    assert.deepEqual((await paymentsOf(orderId)).map((p) => [p.id, p.status]), [[transfer, 'awaiting_payment']], 'no second payment');
    await assertAxeClean(page, 'resumed bank transfer');

    await another(page).click();
    await page.locator('onpay-checkout [role="radio"]').first().waitFor();
    await eventually(async () => (await s.e.gateway.storage.getPayment(transfer))!.status === 'failed', 5000, 'the transfer abandoned');

    await chooseWay(page, 'CRD');
    await pressContinue(page);
    await page.frameLocator('onpay-checkout iframe').locator('button[value="pay"]').click();
    await wentTo(page, new RegExp(`/orders/${orderId}\\?paid=1`), 15_000);
    await eventually(async () => (await orderStatus(s.e.shopUrl, orderId)) === 'paid', 15_000, 'PAY to reach the shop');
    const card = (await paymentsOf(orderId)).find((p) => p.way === 'CRD')!.id;
    assert.deepEqual(problems, []);
    return { transfer, card, page };
  }

  test('bank transfer: a reload resumes it; another method; the old transfer paid later is a duplicate, told in PAY and in the cabinet', async () => {
    const order = await placeOrder(s.e.shopUrl, { jam: 1 });
    const { transfer, card, page } = await transferThenCard(order.id, order.url);

    // The transfer the buyer had already sent arrives after all.
    const paid = await fetch(`${s.e.gatewayUrl}/api/v1/sandbox/payments/${transfer}/pay`, { method: 'POST' });
    assert.equal(paid.status, 200, await paid.clone().text());
    const view = (await (await fetch(`${s.e.gatewayUrl}/api/v1/payments/${transfer}`)).json()) as { status: string; duplicateOf?: string };
    assert.deepEqual({ status: view.status, duplicateOf: view.duplicateOf }, { status: 'paid', duplicateOf: card });
    // PAY goes to the shop, with the first payment's number as duplicate_of (API 2).
    const cardNumber = (await s.e.gateway.storage.getPayment(card))!.number;
    const pay = await eventually(async () => (await s.e.gateway.storage.notificationsOf(transfer)).find((n) => n.kind === 'pay' && n.status === 'delivered'), 15_000, 'the duplicate\'s PAY delivered');
    assert.equal((JSON.parse(pay.body) as { duplicate_of?: number }).duplicate_of, cardNumber);
    // The cabinet lists it at the head of its attention list, and counts it.
    const summary = await cabinet('/summary');
    assert.equal(summary.attention[0].kind, 'duplicate');
    assert.equal(summary.attention[0].paymentId, transfer);
    assert.ok(summary.conversion.duplicates >= 1);
    assert.equal((await cabinet(`/payments/${transfer}`)).duplicateOf, card);
    await page.context().close();
  });

  test('with duplicates: "refund" the old transfer paid later is refunded, audited', async () => {
    const set = await cabinet('/settings', { method: 'PATCH', body: JSON.stringify({ duplicates: 'refund', actor: 'e2e' }) });
    assert.equal(set.duplicates, 'refund');
    try {
      // Running gateways pick a merchant change up within merchantCacheMs (1 s).
      await new Promise((r) => setTimeout(r, 1100));
      const order = await placeOrder(s.e.shopUrl, { tea: 1 });
      const { transfer, card, page } = await transferThenCard(order.id, order.url);
      const paid = await fetch(`${s.e.gatewayUrl}/api/v1/sandbox/payments/${transfer}/pay`, { method: 'POST' });
      assert.equal(paid.status, 200, await paid.clone().text());
      const p = await eventually(async () => {
        const x = (await s.e.gateway.storage.getPayment(transfer))!;
        return x.status === 'refunded' ? x : null;
      }, 10_000, 'the duplicate refunded');
      assert.equal(p.duplicateOf, card);
      assert.equal(p.refundedMinor, p.amountMinor);
      const detail = await cabinet(`/payments/${transfer}`);
      assert.ok((detail.audit as { action: string; actor: string }[]).some((a) => a.action === 'refund' && /gateway/.test(a.actor)), JSON.stringify(detail.audit));
      assert.equal((await s.e.gateway.storage.getPayment(card))!.status, 'paid', 'the first payment is kept');
      await page.context().close();
    } finally {
      await cabinet('/settings', { method: 'PATCH', body: JSON.stringify({ duplicates: 'flag' }) });
    }
  });

  test('SBP: a reload resumes the same QR code; another method cancels it at T-Bank', async () => {
    const order = await placeOrder(s.e.shopUrl, { honey: 1 });
    const { page, problems, events } = await openCheckout(s.browser, order.url);
    await chooseWay(page, 'SBP');
    await pressContinue(page);
    const qr = page.locator('onpay-checkout svg[part="qr"] path');
    await qr.waitFor();
    const drawn = await qr.getAttribute('d');
    const id = await createdId(events);

    await page.reload();
    await qr.waitFor();
    assert.equal(await qr.getAttribute('d'), drawn, 'the same QR code');
    assert.equal((await paymentsOf(order.id)).length, 1, 'no second payment');
    await assertAxeClean(page, 'resumed SBP');

    const session = s.e.emulators!.tbank.paymentsOfOrder(id)[0]!;
    assert.equal(session.status, 'NEW');
    await another(page).click();
    await page.locator('onpay-checkout [role="radio"]').first().waitFor();
    assert.equal(s.e.emulators!.tbank.payment(session.paymentId)!.status, 'CANCELED', 'the T-Bank emulator shows it cancelled');
    assert.equal((await s.e.gateway.storage.getPayment(id))!.status, 'failed');
    // A reload now shows the picker: the cancelled payment is not offered again.
    await page.reload();
    await page.locator('onpay-checkout [role="radio"]').first().waitFor();
    assert.equal(await instructions(page).count(), 0);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
