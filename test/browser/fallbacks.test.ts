/**
 * The redirect fallbacks as a real browser sees them: a popup opened from the frame's timer comes
 * seconds after the buyer's click, so browsers block it; the element must then ask for a click
 * rather than leave the shop's page at once.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { HttpResponse } from 'msw';
import { fakeGateway, redirectAction, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string; framed?: boolean } };

const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });
const buttons = (el: El) => [...shadow(el).querySelectorAll<HTMLButtonElement>('button')];

/** window.open answers from a list: a fake popup window, or null (blocked). */
function stubOpen(answers: ('popup' | 'blocked')[]): { opened: string[]; closed: number; restore(): void } {
  const original = window.open;
  const state = { opened: [] as string[], closed: 0, restore: () => (window.open = original) };
  window.open = ((url: string) => {
    state.opened.push(url);
    return answers.shift() === 'popup' ? ({ close: () => state.closed++ } as unknown as Window) : null;
  }) as typeof window.open;
  return state;
}

async function mountRedirecting(navigations: string[]): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = '<onpay-checkout merchant-login="shop" price="100.0" pay-for="42"></onpay-checkout>';
  const el = holder.firstElementChild as El;
  (el as unknown as { navigate: (u: string) => void }).navigate = (u) => navigations.push(u);
  el.frameTimeoutMs = 0;
  await viewIs(el, 'picking');
  return el;
}

let open: ReturnType<typeof stubOpen> | undefined;
let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});

/** The next payment's redirect is to a page that refuses framing. */
const refusesFrames = () => gw.createAnswers.push(() => HttpResponse.json({
  id: 'pay_noframe', status: 'awaiting_payment', way: 'CRD', amount: '102.0', ticker: 'RUR', urlSuccess: '', urlFail: '',
  action: { ...redirectAction(), frame: false }, updatedAt: new Date().toISOString(),
}, { status: 201 }));
afterEach(() => open?.restore());

describe('<onpay-checkout> redirect fallbacks', () => {
  it('when the timed popup is blocked, stays on the page and offers a button whose click opens it', async () => {
    open = stubOpen(['blocked', 'popup']);
    const navigations: string[] = [];
    const el = await mountRedirecting(navigations);
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => open!.opened.length === 1, 'the timed popup was tried');
    await waitUntil(() => el.view.framed === false, 'the overlay gave way');
    await el.updateComplete;
    expect(navigations).to.deep.equal([], 'the shop page is not left without the buyer asking');
    expect(shadow(el).querySelector('[role="dialog"]')).to.equal(null);
    expect(shadow(el).activeElement?.tagName).to.equal('H2', 'focus moves from the vanished overlay to the heading');
    await expect(el).to.be.accessible();

    expect(shadow(el).textContent).to.include('Окно оплаты не открылось');
    const [openButton] = buttons(el);
    expect(openButton!.textContent).to.include('Открыть окно оплаты');
    openButton!.click();
    expect(open.opened).to.have.length(2);
    expect(open.opened[1]).to.include('/fixtures/payment-page.html');
    expect(navigations).to.deep.equal([]);
    expect(el.view.name).to.equal('redirecting');
    await el.updateComplete;
    expect(shadow(el).textContent).to.include('Завершите оплату в открывшемся окне');
  });

  it('goes back to the choice from the popup state and closes the popup', async () => {
    open = stubOpen(['popup']);
    const el = await mountRedirecting([]);
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => el.view.framed === false, 'the popup is used');
    await el.updateComplete;
    const back = buttons(el).find((b) => b.textContent?.includes('Назад'))!;
    back.click();
    await viewIs(el, 'picking');
    expect(open.closed).to.equal(1);
  });

  it('a payment page that refuses framing opens in a popup at once, never in a frame', async () => {
    open = stubOpen(['popup']);
    refusesFrames();
    const el = await mountRedirecting([]);
    el.frameTimeoutMs = 60_000; // the popup must not wait for the frame's timer
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => open!.opened.length === 1, 'the popup was opened right after the answer', { timeout: 5000 });
    await viewIs(el, 'redirecting');
    await el.updateComplete;
    expect(el.view.framed).to.equal(false);
    expect(shadow(el).querySelector('iframe')).to.equal(null);
    expect(open.opened[0]).to.include('/fixtures/payment-page.html');
    expect(shadow(el).textContent).to.include('Завершите оплату в открывшемся окне');
    await expect(el).to.be.accessible();
  });

  it('when that popup is blocked too, the buyer gets the open button, and the page stays', async () => {
    open = stubOpen(['blocked', 'popup']);
    refusesFrames();
    const navigations: string[] = [];
    const el = await mountRedirecting(navigations);
    el.frameTimeoutMs = 60_000;
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => open!.opened.length === 1, 'the popup was tried', { timeout: 5000 });
    await el.updateComplete;
    expect(shadow(el).querySelector('iframe')).to.equal(null);
    expect(shadow(el).textContent).to.include('Окно оплаты не открылось');
    buttons(el).find((b) => b.textContent?.includes('Открыть окно оплаты'))!.click();
    expect(open.opened).to.have.length(2);
    expect(navigations).to.deep.equal([]);
  });
});
