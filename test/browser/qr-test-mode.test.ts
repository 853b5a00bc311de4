/// <reference types="mocha" />
/** The test-mode badge and the QR code of instructions, against the fake gateway (msw). */
import { setViewport } from '@web/test-runner-commands';
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { HttpResponse } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import be from '../../src/components/onpay-checkout/messages/be.ts';
import de from '../../src/components/onpay-checkout/messages/de.ts';
import en from '../../src/components/onpay-checkout/messages/en.ts';
import kk from '../../src/components/onpay-checkout/messages/kk.ts';
import ru from '../../src/components/onpay-checkout/messages/ru.ts';
import { RU_INSTRUCTIONS } from '../../src/components/onpay-checkout/instructions.ts';
import uk from '../../src/components/onpay-checkout/messages/uk.ts';
import uz from '../../src/components/onpay-checkout/messages/uz.ts';
import { fakeGateway, formPayload, instructionsAction, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };
const CATALOGUES = { ru, en, uk, kk, be, uz, de };
const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });

async function mount(attrs: string): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="42" ${attrs}></onpay-checkout>`;
  const el = holder.firstElementChild as El;
  await viewIs(el, 'picking');
  await el.updateComplete;
  return el;
}

/** A 21×21 matrix as the gateway sends it (row by row, '1' dark): a pattern, not a real code. */
const SIZE = 21;
const MODULES = Array.from({ length: SIZE * SIZE }, (_, i) => (((i % SIZE) * 7 + Math.floor(i / SIZE) * 3) % 5 === 0 ? '1' : '0')).join('');

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});
afterEach(() => setViewport({ width: 800, height: 600 }));

describe('<onpay-checkout> test mode', () => {
  for (const [ln, messages] of Object.entries(CATALOGUES)) {
    it(`shows the test-mode badge of a test merchant's form in ${ln}`, async () => {
      gw.formAnswer = (query) => HttpResponse.json(formPayload(query, { testMode: true }));
      const el = await mount(`ln="${ln}"`);
      const badge = shadow(el).querySelector('[part="badge"]');
      expect(badge?.textContent).to.equal(messages.testMode);
      await expect(el).to.be.accessible();
    });
  }

  it('shows no badge for a live merchant', async () => {
    const el = await mount('');
    expect(shadow(el).querySelector('[part="badge"]')).to.equal(null);
  });
});

describe('<onpay-checkout> QR code', () => {
  const payWithQr = (deepLink: string) => {
    gw.createAnswers.push(() => HttpResponse.json({
      id: 'pay_qr', status: 'awaiting_payment', way: 'EUR', amount: '1.02', ticker: 'EUR', urlSuccess: '', urlFail: '',
      action: { ...instructionsAction(), qr: { payload: 'https://qr.nspk.ru/AS1000', deepLink, size: SIZE, modules: MODULES } },
    }, { status: 201 }));
  };

  it('draws the gateway\'s matrix as one labelled SVG path, and on a phone links to the bank app', async () => {
    await setViewport({ width: 375, height: 740 });
    payWithQr('bank100000000111://qr.nspk.ru/AS1000');
    const el = await mount('one-way="EUR"');
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'instructions');
    await el.updateComplete;
    const svg = shadow(el).querySelector('svg[part="qr"]')!;
    expect(svg.getAttribute('role')).to.equal('img');
    expect(svg.getAttribute('aria-label')).to.equal(RU_INSTRUCTIONS.qr);
    expect(svg.getAttribute('viewBox')).to.equal(`-4 -4 ${SIZE + 8} ${SIZE + 8}`);
    const paths = svg.querySelectorAll('path');
    expect(paths.length).to.equal(1);
    const dark = [...MODULES].filter((m) => m === '1').length;
    expect(paths[0]!.getAttribute('d')!.match(/M/g)!.length).to.equal(dark);
    expect(paths[0]!.getAttribute('d')).to.match(/^M0 0h1v1h-1z/);
    expect(paths[0]!.getAttribute('d')).to.include('M1 1h1v1h-1z').and.not.include('M1 0h');
    const link = shadow(el).querySelector<HTMLAnchorElement>('.app a')!;
    expect(link.getAttribute('href')).to.equal('bank100000000111://qr.nspk.ru/AS1000');
    expect(link.textContent).to.equal(RU_INSTRUCTIONS.openApp);
    expect(getComputedStyle(link.parentElement!).display).to.not.equal('none');
    await expect(el).to.be.accessible();
    await setViewport({ width: 1024, height: 740 });
    expect(getComputedStyle(link.parentElement!).display).to.equal('none', 'no app link on a wide screen');
  });

  it('drops a deep link that is not a web or app address', async () => {
    payWithQr('javascript:alert(1)');
    const el = await mount('one-way="EUR"');
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'instructions');
    await el.updateComplete;
    expect(shadow(el).querySelector('svg[part="qr"]')).to.not.equal(null);
    expect(shadow(el).querySelector('.app')).to.equal(null);
  });

  it('shows no QR code for instructions without one', async () => {
    const el = await mount('one-way="EUR"');
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'instructions');
    expect(shadow(el).querySelector('svg')).to.equal(null);
  });
});
