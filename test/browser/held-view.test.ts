/// <reference types="mocha" />
/**
 * A hold (issue 25): when the payment's status becomes `authorized` the element says «Сумма
 * заблокирована на карте, магазин спишет её после подтверждения заказа» in the buyer's language
 * (from its lazy chunk), emits `onpay-authorized`, stays on the page (no jump to url-success), and
 * is axe-clean.
 */
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });

const HELD: Record<string, RegExp> = {
  ru: /Сумма заблокирована на карте, магазин спишет её после подтверждения заказа/,
  en: /The amount is held on your card; the shop will charge it once the order is confirmed/,
  uk: /Суму заблоковано на картці/,
  kk: /Сома картада бұғатталды/,
  be: /Сума заблакавана на картцы/,
  uz: /Summa kartada bloklandi/,
  de: /Der Betrag ist auf Ihrer Karte reserviert/,
};

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
  gw.urlSuccess = 'https://shop.example/ok';
});

describe('<onpay-checkout> hold (authorized)', () => {
  for (const [ln, text] of Object.entries(HELD)) {
    it(`${ln}: says the amount is held, emits onpay-authorized, stays; axe-clean`, async () => {
      const navigations: string[] = [];
      const host = await fixture<HTMLDivElement>(html`<div></div>`);
      host.innerHTML = `<onpay-checkout merchant-login="shop" price="1" pay-for="h" one-way="EUR" ln="${ln}" url-success="https://shop.example/ok"></onpay-checkout>`;
      const el = host.firstElementChild as El;
      (el as unknown as { navigate: (u: string) => void }).navigate = (u: string) => navigations.push(u);
      await viewIs(el, 'picking');
      const held = oneEvent(el, 'onpay-authorized');
      shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
      await viewIs(el, 'instructions');
      gw.status = 'authorized';
      gw.push('authorized');
      const e = await held;
      expect(e.detail.urlSuccess).to.equal('https://shop.example/ok');
      await viewIs(el, 'done');
      await el.updateComplete;
      expect(shadow(el).querySelector('[role="status"]')!.textContent).to.match(text);
      expect(navigations).to.deep.equal([]);
      await expect(el).shadowDom.to.be.accessible();
    });
  }
});
