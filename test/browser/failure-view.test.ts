/// <reference types="mocha" />
/**
 * The failure view (issue 22): a payment that ended without money is explained in the buyer's
 * language, with «Попробовать другой способ» back to the picker and «Вернуться в магазин» to
 * `url_fail`; `onpay-fail` carries the reason code; `fail-redirect="immediate"` keeps the old jump to
 * `url_fail`. Axe-clean in ru and en.
 */
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

const shadow = (el: Element) => el.shadowRoot!;
const q = <T extends Element = HTMLElement>(el: Element, sel: string) => shadow(el).querySelector<T>(sel);
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });
const continueButton = (el: Element) => q<HTMLButtonElement>(el, 'button[type="submit"]')!;

async function mount(attrs: string, navigations: string[] = []): Promise<El> {
  const host = await fixture<HTMLDivElement>(html`<div></div>`);
  host.innerHTML = `<onpay-checkout merchant-login="shop" price="1" pay-for="f" one-way="EUR" url-fail="https://shop.example/orders/7?failed=1" ${attrs}></onpay-checkout>`;
  const el = host.firstElementChild as El;
  (el as unknown as { navigate: (u: string) => void }).navigate = (u: string) => navigations.push(u);
  await viewIs(el, 'picking');
  return el;
}

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
  gw.urlFail = 'https://shop.example/orders/7?failed=1';
});

const CASES: { reason: string; ru: RegExp; en: RegExp; status: string; comment?: string }[] = [
  { reason: 'declined', status: 'failed', ru: /Банк отклонил платёж/, en: /The bank declined the payment/ },
  { reason: 'insufficient_funds', status: 'failed', ru: /Недостаточно средств на карте/, en: /not enough funds on the card/ },
  { reason: '3ds_failed', status: 'failed', ru: /3-D Secure/, en: /3-D Secure check was not passed/ },
  { reason: 'expired', status: 'expired', ru: /Срок оплаты истёк/, en: /payment deadline passed/ },
  { reason: 'check_declined', status: 'rejected', comment: 'Товар <b>закончился</b>', ru: /Магазин отклонил платёж/, en: /The shop declined the payment/ },
];

describe('<onpay-checkout> failure view', () => {
  for (const ln of ['ru', 'en'] as const) {
    for (const c of CASES) {
      it(`${ln}: ${c.reason} is explained, the event carries the code, axe-clean`, async () => {
        const navigations: string[] = [];
        const el = await mount(`ln="${ln}"`, navigations);
        const fail = oneEvent(el, 'onpay-fail');
        continueButton(el).click();
        await viewIs(el, 'instructions');
        gw.failure = { reason: c.reason, ...(c.comment ? { comment: c.comment } : {}) };
        gw.status = c.status;
        gw.push(c.status);
        const e = await fail;
        expect(e.detail.reason).to.equal(c.reason);
        expect(e.detail.status).to.equal(c.status);
        await viewIs(el, 'failed');
        const alert = q(el, '[role="alert"]')!;
        expect(alert.textContent).to.match(c[ln]);
        expect(alert.dataset.reason).to.equal(c.reason);
        if (c.comment) {
          expect(shadow(el).textContent).to.include(c.comment, 'the shop\'s comment, as text');
          expect(q(el, 'b')).to.equal(null);
        }
        const toShop = q<HTMLAnchorElement>(el, 'a[part="link"]')!;
        expect(toShop.href).to.equal('https://shop.example/orders/7?failed=1');
        expect(toShop.textContent).to.equal(ln === 'ru' ? 'Вернуться в магазин' : 'Back to the shop');
        expect(navigations).to.deep.equal([], 'the buyer stays to read why');
        await el.updateComplete;
        expect(shadow(el).activeElement?.tagName).to.equal('H2', 'focus moves to the heading');
        await expect(el).to.be.accessible();
      });
    }
  }

  it('«Попробовать другой способ» goes back to the picker; the next attempt is a new payment', async () => {
    const el = await mount('');
    continueButton(el).click();
    await viewIs(el, 'instructions');
    gw.failure = { reason: 'declined' };
    gw.push('failed');
    await viewIs(el, 'failed');
    const other = [...shadow(el).querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent === 'Попробовать другой способ')!;
    other.click();
    await viewIs(el, 'picking');
    continueButton(el).click();
    await waitUntil(() => gw.created.length === 2, 'a second payment');
    expect(gw.created[1]!.key).not.to.equal(gw.created[0]!.key);
  });

  it('fail-redirect="immediate": straight to url_fail as before', async () => {
    const navigations: string[] = [];
    const el = await mount('fail-redirect="immediate"', navigations);
    const fail = oneEvent(el, 'onpay-fail');
    continueButton(el).click();
    await viewIs(el, 'instructions');
    gw.failure = { reason: 'insufficient_funds' };
    gw.push('failed');
    expect((await fail).detail.reason).to.equal('insufficient_funds');
    await waitUntil(() => navigations.length === 1, 'navigated to url_fail');
    expect(navigations).to.deep.equal(['https://shop.example/orders/7?failed=1']);
  });

  it('fail-redirect="immediate" with onpay-fail prevented: the failure view stays', async () => {
    const stay: string[] = [];
    const kept = await mount('fail-redirect="immediate"', stay);
    kept.addEventListener('onpay-fail', (e) => e.preventDefault());
    continueButton(kept).click();
    await viewIs(kept, 'instructions');
    gw.failure = { reason: 'declined' };
    gw.push('failed');
    await viewIs(kept, 'failed');
    expect(stay).to.deep.equal([]);
  });
});
