/// <reference types="mocha" />
/**
 * A bank app's wallet (T-Pay, SberPay) in the instructions view: on a desktop the QR code leads, named
 * for the app, in every language; on a phone the button opening the app leads and the QR code is
 * folded (the view drawn with the phone flag, since this browser is a desktop one; the phone profile
 * itself is the e2e test's, test/e2e/wallets.test.ts).
 */
import { sendKeys } from '@web/test-runner-commands';
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { HttpResponse } from 'msw';
import { html as litHtml, render } from 'lit';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import be from '../../src/components/onpay-checkout/messages/be.ts';
import de from '../../src/components/onpay-checkout/messages/de.ts';
import en from '../../src/components/onpay-checkout/messages/en.ts';
import kk from '../../src/components/onpay-checkout/messages/kk.ts';
import uk from '../../src/components/onpay-checkout/messages/uk.ts';
import uz from '../../src/components/onpay-checkout/messages/uz.ts';
import { format } from '../../src/components/onpay-checkout/messages/format.ts';
import { RU_WALLET, walletView, type WalletProps } from '../../src/components/onpay-checkout/wallet.ts';
import { fakeGateway, instructionsAction, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };
const CATALOGUES = { ru: RU_WALLET, en, uk, kk, be, uz, de };
const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });
const SIZE = 21;
const MODULES = Array.from({ length: SIZE * SIZE }, (_, i) => ((i * 7) % 5 === 0 ? '1' : '0')).join('');
const LINK = 'https://bank.example/tpay/4000000001';
const QR = { payload: LINK, deepLink: LINK, size: SIZE, modules: MODULES };

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});

describe('<onpay-checkout> bank app wallet, desktop', () => {
  for (const [ln, t] of Object.entries(CATALOGUES)) {
    it(`leads with the QR code, named for the app, in ${ln}`, async () => {
      gw.createAnswers.push(() => HttpResponse.json({
        id: 'pay_tpay', status: 'awaiting_payment', way: 'TPY', amount: '1.02', ticker: 'EUR', urlSuccess: '', urlFail: '',
        action: { ...instructionsAction(), title: 'Оплата через T-Pay', qr: QR, wallet: { name: 'T-Pay' } },
      }, { status: 201 }));
      const holder = await fixture<HTMLDivElement>(html`<div></div>`);
      holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="42" one-way="TPY" ln="${ln}"></onpay-checkout>`;
      const el = holder.firstElementChild as El;
      await viewIs(el, 'picking');
      await el.updateComplete;
      shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
      await viewIs(el, 'instructions');
      await el.updateComplete;
      const svg = shadow(el).querySelector('svg[part="qr"]')!;
      const scan = format((t as Record<string, string>).walletScan!, ln, { name: 'T-Pay' });
      expect(scan).to.include('T-Pay');
      expect(svg.getAttribute('aria-label')).to.equal(scan);
      expect(svg.closest('details'), 'not folded on a desktop').to.equal(null);
      expect(shadow(el).querySelector('[part~="app"]'), 'no app button on a desktop').to.equal(null);
      expect(shadow(el).querySelector('.app a'), 'not the SBP link either').to.equal(null);
      await expect(el).to.be.accessible();
    });
  }
});

describe('walletView on a phone', () => {
  const props = (): WalletProps => ({ t: { ...en, ln: 'en' } as WalletProps['t'], html: litHtml, format: (m, v) => format(m, 'en', v) });

  it('leads with the button opening the app; the QR code folded below, unfolding on request', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    render(walletView(props(), QR, 'SberPay', true), host);
    const first = host.firstElementChild!;
    const button = first.querySelector<HTMLButtonElement>('button[part~="app"]')!;
    expect(button.textContent).to.equal('Open SberPay');
    const details = host.querySelector('details')!;
    expect(details.open).to.equal(false);
    expect(details.querySelector('summary')!.textContent).to.equal('Show the QR code');
    expect(first.compareDocumentPosition(details) & Node.DOCUMENT_POSITION_FOLLOWING).to.not.equal(0);
    details.querySelector('summary')!.click();
    expect(details.open).to.equal(true);
    expect(details.querySelector('svg[part="qr"]')!.getAttribute('aria-label')).to.equal("Point your phone's camera at the QR code to open SberPay");
    await expect(host).to.be.accessible();
  });

  it('is keyboard-usable: Tab reaches the app button first, then «Show the QR code», which Enter unfolds', async () => {
    const host = await fixture<HTMLDivElement>(html`<div><button id="before">before</button><div id="view"></div></div>`);
    render(walletView(props(), QR, 'T-Pay', true), host.querySelector<HTMLDivElement>('#view')!);
    host.querySelector<HTMLButtonElement>('#before')!.focus();
    await sendKeys({ press: 'Tab' });
    expect(document.activeElement?.getAttribute('part')).to.equal('button app');
    await sendKeys({ press: 'Tab' });
    expect(document.activeElement?.tagName).to.equal('SUMMARY');
    await sendKeys({ press: 'Enter' });
    expect(host.querySelector('details')!.open).to.equal(true);
  });

  it('never offers a javascript: link as the app button', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    render(walletView(props(), { ...QR, deepLink: 'javascript:alert(1)' }, 'SberPay', true), host);
    expect(host.querySelector('button')).to.equal(null);
    expect(host.querySelector('svg[part="qr"]')).to.not.equal(null);
  });
});
