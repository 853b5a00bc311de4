/**
 * The payment system's window as a buyer meets it (issue 28, item 4): a popup closed before the
 * payment ends is noticed within a second and the element offers «Открыть снова» or «Выбрать другой
 * способ»; the overlay's close button is visible and reachable by keyboard; Esc closes the overlay
 * wherever focus is on the page; a final status closes the popup. And the picker's fee line and
 * chosen state (items 3, 6).
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { HttpResponse } from 'msw';
import { fakeGateway, formPayload, redirectAction, worker, type FakeGateway } from './gateway-mock.ts';
import { http } from 'msw';

type El = OnpayCheckout & { view: { name: string; framed?: boolean; closed?: boolean } };

const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });
const buttons = (el: El) => [...shadow(el).querySelectorAll<HTMLButtonElement>('button')];

/** A fake popup window the test closes by hand, as a buyer closes the real one. */
interface FakePopup { closed: boolean; closes: number; close(): void }
function stubOpen(): { opened: string[]; popups: FakePopup[]; restore(): void } {
  const original = window.open;
  const state = { opened: [] as string[], popups: [] as FakePopup[], restore: () => (window.open = original) };
  window.open = ((url: string) => {
    state.opened.push(url);
    const popup: FakePopup = { closed: false, closes: 0, close() { this.closes++; this.closed = true; } };
    state.popups.push(popup);
    return popup as unknown as Window;
  }) as typeof window.open;
  return state;
}

async function mount(attrs = ''): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="demo-14" ${attrs}></onpay-checkout>`;
  const el = holder.firstElementChild as El;
  await viewIs(el, 'picking');
  return el;
}

let gw: FakeGateway;
let open: ReturnType<typeof stubOpen> | undefined;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});
afterEach(() => open?.restore());

/** The next payment's page refuses framing: it opens in a popup at once. */
const inPopup = () => gw.createAnswers.push(() => HttpResponse.json({
  id: 'pay_popup', status: 'awaiting_payment', way: 'CRD', amount: '102.0', ticker: 'RUR', urlSuccess: '', urlFail: '',
  action: { ...redirectAction(), frame: false }, updatedAt: new Date().toISOString(),
}, { status: 201 }));

describe('<onpay-checkout> popup and overlay', () => {
  it('notices a popup closed before the payment ended within a second and offers «Открыть снова» or «Выбрать другой способ»', async () => {
    open = stubOpen();
    inPopup();
    const el = await mount();
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => open!.opened.length === 1, 'the popup opened');
    await el.updateComplete;
    expect(shadow(el).textContent).to.include('Завершите оплату в открывшемся окне');
    const closedAt = performance.now();
    open.popups[0]!.closed = true;
    await waitUntil(() => shadow(el).querySelector('[data-popup="closed"]'), 'the closed popup noticed', { timeout: 3000 });
    expect(performance.now() - closedAt).to.be.below(1000);
    expect(shadow(el).textContent).to.include('Окно оплаты закрыто');
    await expect(el).to.be.accessible();
    const reopen = buttons(el).find((b) => b.textContent?.includes('Открыть снова'))!;
    reopen.click();
    expect(open.opened).to.have.length(2);
    await el.updateComplete;
    expect(shadow(el).querySelector('[data-popup="open"]')).to.not.equal(null);
    open.popups[1]!.closed = true;
    await waitUntil(() => shadow(el).querySelector('[data-popup="closed"]'), 'closed again');
    buttons(el).find((b) => b.textContent?.includes('Выбрать другой способ'))!.click();
    await viewIs(el, 'picking');
  });

  it('closes the popup itself when the payment is final', async () => {
    open = stubOpen();
    inPopup();
    const el = await mount();
    el.addEventListener('onpay-success', (e) => e.preventDefault());
    // No stream: the status is polled (every 3 s), so it turns paid only after the popup is open.
    gw.events = 'drop';
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => open!.opened.length === 1, 'the popup opened');
    expect(open.popups[0]!.closes).to.equal(0);
    gw.status = 'paid';
    await waitUntil(() => el.view.name === 'done', 'paid', { timeout: 8000 });
    expect(open.popups[0]!.closes).to.equal(1);
  });

  it('the overlay has a visible close button, reached by Tab, and Esc closes it wherever focus is on the page', async () => {
    const el = await mount();
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'redirecting');
    await el.updateComplete;
    const close = shadow(el).querySelector<HTMLButtonElement>('[part="close"]')!;
    const box = close.getBoundingClientRect();
    expect(box.width).to.be.at.least(32);
    expect(box.height).to.be.at.least(32);
    expect(getComputedStyle(close).visibility).to.equal('visible');
    expect(shadow(el).activeElement).to.equal(close, 'the close button has focus when the overlay opens');
    await sendKeys({ press: 'Tab' });
    expect(shadow(el).activeElement?.tagName).to.equal('IFRAME');
    await sendKeys({ press: 'Tab' });
    expect(shadow(el).activeElement).to.equal(close, 'Tab cycles back to the close button');
    // Focus leaves the dialog (a click on the shop's page): Esc still closes the overlay.
    (shadow(el).activeElement as HTMLElement).blur();
    expect(document.activeElement).to.equal(document.body);
    await sendKeys({ press: 'Escape' });
    await viewIs(el, 'picking');
    expect(shadow(el).querySelector('[role="dialog"]')).to.equal(null);
  });

  it('Esc after the overlay is gone does nothing to the picker', async () => {
    const el = await mount();
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'redirecting');
    await sendKeys({ press: 'Escape' });
    await viewIs(el, 'picking');
    const picked = el.view;
    await sendKeys({ press: 'Escape' });
    expect(el.view).to.equal(picked);
  });
});

describe('<onpay-checkout> fee and chosen way', () => {
  it('says the fee under each way whose amount has one, in the buyer\'s language, and who pays it', async () => {
    worker.use(http.get('*/pay/shop/payload', ({ request }) => HttpResponse.json(formPayload(new URL(request.url).searchParams, {
      ways: [
        { code: 'CRD', kind: 'redirect', title: 'Банковская карта', amount: '459.0', ticker: 'RUR', fee: { amount: '9.0', payer: 'buyer' } },
        { code: 'SBP', kind: 'redirect', title: 'СБП', amount: '450.0', ticker: 'RUR' },
        { code: 'USD', kind: 'redirect', title: 'Card in USD', amount: '5.0', ticker: 'USD', fee: { amount: '0.15', payer: 'shop' } },
      ],
    }))));
    const el = await mount();
    const way = (code: string) => shadow(el).querySelector(`[data-way="${code}"]`)!;
    expect(way('CRD').textContent!.replace(/\s+/g, ' ')).to.match(/Включая комиссию 9,00\s₽/);
    expect(way('SBP').querySelector('small')).to.equal(null, 'no fee, no line');
    expect(way('USD').textContent).to.include('Комиссию платит магазин');
    // The chosen way stands out by more than a thin border: a filled marker and a tinted background.
    const bg = (e: Element) => getComputedStyle(e).backgroundColor;
    expect(bg(way('CRD'))).to.not.equal(bg(way('SBP')));
    expect(getComputedStyle(way('CRD'), '::before').borderTopWidth).to.not.equal(getComputedStyle(way('SBP'), '::before').borderTopWidth);
    await expect(el).to.be.accessible();
  });
});
