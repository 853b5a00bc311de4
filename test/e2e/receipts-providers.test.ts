/**
 * Fiscal receipts through T-Bank, YooKassa and CloudPayments, end to end (issue 24): the demo as
 * `npm start` runs it (the real gateway, the three emulators with their cash registers), one
 * Chromium. For each provider, three payments: the receipt from the signed link (`receipt` +
 * `ext_md5`, paid by clicking through the hosted page and the provider's page), from the CHECK answer
 * (the kit's handler) and from the merchant's default (these two created through
 * `POST /api/v1/payments` and paid at the emulator: the click path is covered by the first). At
 * each emulator the receipt it took has the right items, sums and VAT codes in the provider's own
 * format; in the gateway each receipt ends `registered` — by T-Bank's fiscalisation notification,
 * CloudPayments' Receipt notification, and YooKassa's `receipt_registration` read by the receipt
 * checker. The element must be built (`npm run build`).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { createMerchantHandler, signPaymentLink } from '../../src/merchant/index.ts';
import type { Receipt } from '../../src/protocol/receipt.ts';
import { createReceiptChecker } from '../../src/server/dispatcher/receipt-checks.ts';
import type { Merchant, Payment } from '../../src/server/types.ts';
import { eventually, launchChromium, startE2E, type E2E } from './harness.ts';

/** The link's receipt: three lines, three VAT rates, a fractional quantity (300.00 in all). */
const LINK_RECEIPT: Receipt = {
  taxation: 'osn', customer: { email: 'buyer@example.ru' },
  items: [
    { name: 'Чайник', price: '150.00', quantity: '1', amount: '150.00', vat: 'vat22', paymentMethod: 'full_prepayment', paymentObject: 'commodity' },
    { name: 'Чай листовой', price: '200.00', quantity: '0.5', amount: '100.00', vat: 'vat10', paymentMethod: 'full_prepayment', paymentObject: 'commodity' },
    { name: 'Доставка', price: '50.00', quantity: '1', amount: '50.00', vat: 'none', paymentMethod: 'full_prepayment', paymentObject: 'service' },
  ],
};
const CHECK_LINE = (payFor: string, amount: string): Receipt => ({
  taxation: 'usn_income', customer: { phone: '+79001234567' },
  items: [{ name: `Заказ ${payFor} по CHECK`, price: amount, quantity: '1', amount, vat: 'vat5', paymentMethod: 'full_payment', paymentObject: 'service' }],
});
const DEFAULT_SETTINGS = { enabled: true, taxation: 'usn_income', vat: 'none', paymentObject: 'service', paymentMethod: 'full_payment', itemName: 'Оплата заказа {pay_for}', feeItemName: 'Комиссия', ffd: '1.05' } as const;

interface ProviderCase {
  way: string;
  /** Pays on the provider's page the element opened (popup or overlay frame). */
  clickPay(page: Page, popup: Promise<Page>): Promise<void>;
  /** Pays a payment made through the API, at the emulator. */
  apiPay(e: E2E, p: Payment): Promise<void>;
  /** What the emulator took as the payment's receipt, reduced to [name, money, VAT code] per line. */
  taken(e: E2E, p: Payment): Promise<[string, string, string][]>;
  /** Codes of our `vat22`, `vat10`, `none`, `vat5` in the provider's format (its documentation). */
  vat: Record<'vat22' | 'vat10' | 'none' | 'vat5', string>;
  /** The link receipt's lines' money as the provider writes it: T-Bank's line sums in kopecks, YooKassa's unit prices, CloudPayments' line sums. */
  linkMoney: string[];
}

const CASES: ProviderCase[] = [
  {
    way: 'TBC',
    async clickPay(_page, popup) {
      const p = await popup;
      await p.locator('input[name="pan"]').fill('2200770239097761');
      await p.locator('button[type="submit"]', { hasText: 'Оплатить' }).click();
    },
    async apiPay(e, p) {
      assert.ok(e.emulators!.tbank.pay(p.providerPaymentId!, 'success'));
    },
    async taken(e, p) {
      const r = e.emulators!.tbank.receipts.find((x) => x.paymentId === p.providerPaymentId && x.source === 'init');
      const items = (r?.receipt.Items ?? []) as { Name: string; Amount: number; Tax: string }[];
      // Kopecks, as T-Bank takes them.
      return items.map((i) => [i.Name, String(i.Amount), i.Tax]);
    },
    vat: { vat22: 'vat22', vat10: 'vat10', none: 'none', vat5: 'vat5' },
    linkMoney: ['15000', '10000', '5000'],
  },
  {
    way: 'YKC',
    async clickPay(_page, popup) {
      const p = await popup;
      await p.locator('input[name="card"]').fill('5555555555554477');
      await p.locator('input[name="expiry"]').fill('12/30');
      await p.locator('input[name="cvc"]').fill('123');
      await p.locator('button[value="pay"]').click();
    },
    async apiPay(e, p) {
      assert.ok(e.emulators!.yookassa.complete(p.providerPaymentId!, 'succeeded'));
    },
    async taken(e, p) {
      const r = await ykReceiptOf(e, p);
      return ((r?.items ?? []) as { description: string; amount: { value: string }; vat_code: number }[]).map((i) => [i.description, i.amount.value, String(i.vat_code)]);
    },
    vat: { vat22: '11', vat10: '3', none: '1', vat5: '7' },
    // YooKassa's `amount` of a line is the price of one unit (0.5 kg of tea at 200.00).
    linkMoney: ['150.00', '200.00', '50.00'],
  },
  {
    way: 'CPC',
    async clickPay(page) {
      const frame = page.frameLocator('onpay-checkout iframe');
      await frame.locator('input[name="cardNumber"]').fill('4242424242424242');
      await frame.locator('button[type="submit"]', { hasText: 'Оплатить' }).click();
    },
    async apiPay(e, p) {
      await e.emulators!.cloudpayments.pay(p.providerPaymentId!, '4242424242424242');
    },
    async taken(e, p) {
      const r = e.emulators!.cloudpayments.receipts.find((x) => x.invoiceId === p.id && x.source === 'payment');
      const items = (r?.receipt.Items ?? r?.receipt.items ?? []) as { label: string; amount: unknown; vat: unknown }[];
      return items.map((i) => [i.label, String(i.amount), String(i.vat)]);
    },
    vat: { vat22: '22', vat10: '10', none: 'null', vat5: '5' },
    linkMoney: ['150.00', '100.00', '50.00'],
  },
];

/** The payment's receipt as YooKassa's emulator lists it, through its own API (`GET /receipts?payment_id=`), as a shop would ask. */
async function ykReceiptOf(e: E2E, p: Payment): Promise<Record<string, unknown> | undefined> {
  const auth = `Basic ${Buffer.from('100500:demo_yookassa_secret_key').toString('base64')}`;
  const list = (await (await fetch(`${e.emulators!.yookassa.apiUrl}/receipts?payment_id=${p.providerPaymentId}`, { headers: { authorization: auth } })).json()) as { items: Record<string, unknown>[] };
  return list.items[0];
}

describe('fiscal receipts through each provider\'s emulator, in Chromium', () => {
  let e: E2E;
  let browser: Browser;
  let demo: Merchant;
  before(async () => {
    assert.ok(existsSync('dist/cdn/onpay-checkout.js'), 'build the element first: npm run build');
    e = await startE2E({ merchantCacheMs: 0 }, { emulators: true });
    browser = await launchChromium();
    demo = (await e.gateway.storage.getMerchant('demo'))!;
  });
  after(async () => {
    await browser?.close();
    await e?.dispose();
  });

  /** Waits until the payment's own receipt is registered; YooKassa's asked by a receipt checker whose clock is past its first slot. */
  async function registered(p: Payment): Promise<void> {
    if (p.providerId === 'yk') {
      // YooKassa sends no word of it: once its register has the receipt (its own API says so), the
      // gateway's checker, at its first slot, reads it.
      await eventually(async () => (await ykReceipt(p))?.status === 'succeeded', 15_000, 'YooKassa\'s register');
      await createReceiptChecker({ storage: e.gateway.storage, service: e.gateway.gateway.service, now: () => Date.now() + 61_000, owner: 'e2e-receipts' }).runOnce();
    }
    await eventually(async () => {
      const [r] = await e.gateway.storage.receiptsOf(p.id);
      return r?.status === 'registered';
    }, 15_000, `the receipt of ${p.id} at ${p.providerId} registered`);
  }

  const ykReceipt = (p: Payment) => ykReceiptOf(e, p);

  async function paid(id: string): Promise<Payment> {
    return eventually(async () => {
      const p = await e.gateway.storage.getPayment(id);
      return p?.status === 'paid' ? p : undefined;
    }, 15_000, `payment ${id} paid`);
  }

  /** A payment through the gateway's API (the form's token from the hosted page's JSON). */
  async function createByApi(way: string, payFor: string, price: string): Promise<string> {
    const link = signPaymentLink({ gateway: e.gatewayUrl, merchantLogin: 'demo', secret: demo.secret, price, payFor, userEmail: 'buyer@example.ru' });
    const form = (await (await fetch(link.url, { headers: { accept: 'application/json' } })).json()) as { token: string };
    const res = await fetch(`${e.gatewayUrl}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way }) });
    const body = (await res.json()) as { id: string };
    assert.equal(res.status, 201, JSON.stringify(body));
    return body.id;
  }

  for (const c of CASES) {
    test(`${c.way}: the link's receipt, clicked through; CHECK's and the default, through the API; each taken as sent and registered`, async () => {
      // 1. The link (receipt + ext_md5), paid by clicking through the hosted page and the provider's page.
      await e.gateway.storage.upsertMerchant({ ...demo, notifications: false, receipts: null }, Date.now(), { operator: true });
      const payFor = `link-${c.way}-${Date.now()}`;
      const link = signPaymentLink({ gateway: e.gatewayUrl, merchantLogin: 'demo', secret: demo.secret, price: '300.00', payFor, receipt: LINK_RECEIPT, userEmail: 'buyer@example.ru' });
      assert.match(link.url, /[?&]ext_md5=/);
      const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
      const page = await context.newPage();
      await page.goto(link.url);
      await page.locator(`onpay-checkout [data-way="${c.way}"]`).click();
      const popup = context.waitForEvent('page', { timeout: 10_000 });
      await page.locator('onpay-checkout [part="form"] button[type="submit"]').click();
      if (c.way === 'CPC') popup.catch(() => {});
      await c.clickPay(page, popup);
      const [listed] = await e.gateway.storage.listPayments({ merchantLogin: 'demo', payFor, limit: 1 });
      const p1 = await paid(listed!.id);
      assert.equal((await e.gateway.storage.receiptsOf(p1.id))[0]!.receipt.items.length, 3);
      const taken1 = await c.taken(e, p1);
      assert.deepEqual(taken1.map((x) => x[0]), ['Чайник', 'Чай листовой', 'Доставка']);
      assert.deepEqual(taken1.map((x) => x[2]), [c.vat.vat22, c.vat.vat10, c.vat.none]);
      assert.deepEqual(taken1.map((x) => (c.way === 'TBC' ? x[1] : Number(x[1]).toFixed(2))), c.linkMoney);
      await registered(p1);
      await context.close();

      // 2. CHECK's receipt (the kit's handler answers with one), through the API.
      const handle = createMerchantHandler({ secret: demo.secret, onCheck: (ch) => ({ accept: true, receipt: CHECK_LINE(ch.payFor, Number(ch.amount).toFixed(2)) }), onPay: () => {} });
      const server: Server = createServer(getRequestListener(handle));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/onpay`;
        await e.gateway.storage.upsertMerchant({ ...demo, receipts: null, notifications: true, apiType: 2, apiUrl }, Date.now(), { operator: true });
        const id2 = await createByApi(c.way, `check-${c.way}-${Date.now()}`, '120.00');
        const [r2] = await e.gateway.storage.receiptsOf(id2);
        assert.equal(r2!.receipt.taxation, 'usn_income');
        await c.apiPay(e, (await e.gateway.storage.getPayment(id2))!);
        const p2 = await paid(id2);
        const taken2 = await c.taken(e, p2);
        assert.deepEqual(taken2.map((x) => [x[0], x[2]]), [[`Заказ ${p2.payFor} по CHECK`, c.vat.vat5]]);
        assert.equal(c.way === 'TBC' ? taken2[0]![1] : Number(taken2[0]![1]).toFixed(2), c.way === 'TBC' ? '12000' : '120.00');
        await registered(p2);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }

      // 3. The merchant's default one-line receipt, through the API.
      await e.gateway.storage.upsertMerchant({ ...demo, notifications: false, receipts: DEFAULT_SETTINGS }, Date.now(), { operator: true });
      const id3 = await createByApi(c.way, `default-${c.way}-${Date.now()}`, '80.00');
      await c.apiPay(e, (await e.gateway.storage.getPayment(id3))!);
      const p3 = await paid(id3);
      const taken3 = await c.taken(e, p3);
      assert.deepEqual(taken3.map((x) => [x[0], x[2]]), [[`Оплата заказа ${p3.payFor}`, c.vat.none]]);
      assert.equal(c.way === 'TBC' ? taken3[0]![1] : Number(taken3[0]![1]).toFixed(2), c.way === 'TBC' ? '8000' : '80.00');
      await registered(p3);
      await e.gateway.storage.upsertMerchant(demo, Date.now(), { operator: true });
    });
  }
});
