/**
 * Looks, language and the views the other suites pass through quickly: loading reserves its height,
 * submitting and the overlay are accessible, the element fits 320 px, light and dark themes, and
 * every string exists in both languages.
 */
import { emulateMedia } from '@web/test-runner-commands';
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../src/components/onpay-checkout/define.ts';
import be from '../../src/components/onpay-checkout/messages/be.ts';
import de from '../../src/components/onpay-checkout/messages/de.ts';
import en from '../../src/components/onpay-checkout/messages/en.ts';
import kk from '../../src/components/onpay-checkout/messages/kk.ts';
import ru from '../../src/components/onpay-checkout/messages/ru.ts';
import uk from '../../src/components/onpay-checkout/messages/uk.ts';
import uz from '../../src/components/onpay-checkout/messages/uz.ts';
import { RU_INSTRUCTIONS } from '../../src/components/onpay-checkout/instructions.ts';
import { RU_REASONS, RU_TITLES } from '../../src/components/onpay-checkout/failure.ts';
import { RU_WALLET } from '../../src/components/onpay-checkout/wallet.ts';
import { RU_POPUP } from '../../src/components/onpay-checkout/popup.ts';

// Russian's catalogue is the main module's plus what its lazy views carry (their chunks hold the
// Russian strings only those views use): together, every key the other languages must have.
const RU_ALL = {
  ...ru, ...RU_INSTRUCTIONS, ...RU_TITLES, ...RU_WALLET, ...RU_POPUP,
  ...Object.fromEntries(Object.entries(RU_REASONS).map(([k, v]) => [`reasons.${k}`, v])),
};
const LOCALES = { ru: RU_ALL, en, uk, kk, be, uz, de };
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });

/** A promise the test settles by hand, to hold the gateway's answer. */
function held<T>(): { promise: Promise<T>; release(value: T): void } {
  let release!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (release = resolve));
  return { promise, release };
}

async function mount(attrs = '', width = '480px'): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div style="width: ${width}"></div>`);
  holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="42" ${attrs}></onpay-checkout>`;
  return holder.firstElementChild as El;
}

/** The luminance of a computed `rgb(…)` colour, 0 (black) to 1 (white). */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).map(Number) as [number, number, number];
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});
afterEach(() => emulateMedia({ colorScheme: 'light' }));

describe('<onpay-checkout> looks', () => {
  it('reserves its height while loading, so the shop page does not jump, and is accessible then', async () => {
    const answer = held<Response>();
    gw.formAnswer = () => answer.promise;
    const el = await mount();
    await el.updateComplete;
    expect(el.view.name).to.equal('loading');
    expect(shadow(el).textContent).to.include(LOCALES.ru.loading);
    const loadingHeight = el.getBoundingClientRect().height;
    expect(loadingHeight).to.be.at.least(18 * 16 - 1, 'the default --onpay-min-height (18rem)');
    await expect(el).to.be.accessible();
    answer.release(Response.json((await import('./gateway-mock.ts')).formPayload(gw.formRequests[0]!)));
    await viewIs(el, 'picking');
    expect(el.getBoundingClientRect().height).to.be.at.least(loadingHeight);
  });

  it('honours --onpay-min-height', async () => {
    gw.formAnswer = () => held<Response>().promise;
    const el = await mount('style="--onpay-min-height: 25rem"');
    await el.updateComplete;
    expect(el.getBoundingClientRect().height).to.be.at.least(25 * 16 - 1);
  });

  it('is busy and accessible while the payment is being created', async () => {
    const answer = held<Response>();
    gw.createAnswers.push(() => answer.promise);
    const el = await mount();
    await viewIs(el, 'picking');
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'submitting');
    await el.updateComplete;
    const button = shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!;
    expect(button.disabled).to.equal(true);
    expect(button.textContent).to.include(LOCALES.ru.submitting);
    await expect(el).to.be.accessible();
    answer.release(Response.json({ error: { code: 'check_failed', message: 'no answer' } }, { status: 424 }));
    await viewIs(el, 'error');
  });

  it('is accessible with the payment system open in its overlay', async () => {
    const el = await mount();
    await viewIs(el, 'picking');
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'redirecting');
    await el.updateComplete;
    expect(shadow(el).querySelector('[role="dialog"]')).to.not.equal(null);
    await expect(el).to.be.accessible();
  });

  it('fits a 320 px wide page without horizontal scrolling', async () => {
    // Long unbroken merchant strings (an order id, a URL) must wrap, not widen the form.
    const el = await mount('pay-for="ORDER-2026-11-28-0000000000000000000042" note="https://shop.example/orders/2026/11/28/0000000000000042?ref=abc"', '320px');
    await viewIs(el, 'picking');
    expect(el.getBoundingClientRect().width).to.be.at.most(320);
    for (const node of shadow(el).querySelectorAll<HTMLElement>('form, [role="radio"], input, button')) {
      expect(node.getBoundingClientRect().right, node.outerHTML.slice(0, 60)).to.be.at.most(el.getBoundingClientRect().right + 0.5);
      expect(node.scrollWidth, node.outerHTML.slice(0, 60)).to.be.at.most(node.clientWidth + 1);
    }
  });

  it('shows the payment instructions within 320 px too', async () => {
    const el = await mount('', '320px');
    await viewIs(el, 'picking');
    shadow(el).querySelector<HTMLElement>('[data-way="EUR"]')!.click();
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await viewIs(el, 'instructions');
    await el.updateComplete;
    const right = el.getBoundingClientRect().right + 0.5;
    for (const node of shadow(el).querySelectorAll<HTMLElement>('dl, dd, code, button')) {
      expect(node.getBoundingClientRect().right, node.outerHTML.slice(0, 60)).to.be.at.most(right);
    }
  });

  it('is light by default, dark with theme="dark", and follows prefers-color-scheme unless theme="light"', async () => {
    const plain = await mount();
    const dark = await mount('theme="dark"');
    const light = await mount('theme="light"');
    const bg = (el: Element) => luminance(getComputedStyle(el).backgroundColor);
    expect(bg(plain)).to.be.above(0.8);
    expect(bg(dark)).to.be.below(0.3);
    await emulateMedia({ colorScheme: 'dark' });
    expect(bg(plain)).to.be.below(0.3);
    expect(bg(light)).to.be.above(0.8);
    // Text stays readable on the dark background.
    expect(luminance(getComputedStyle(plain).color)).to.be.above(0.7);
  });

  it('takes the shop\'s colours through --onpay-* custom properties', async () => {
    const el = await mount('style="--onpay-accent: rgb(200, 0, 100); --onpay-background: rgb(1, 2, 3)"');
    await viewIs(el, 'picking');
    expect(getComputedStyle(el).backgroundColor).to.equal('rgb(1, 2, 3)');
    expect(getComputedStyle(shadow(el).querySelector('button[type="submit"]')!).backgroundColor).to.equal('rgb(200, 0, 100)');
  });
});

describe('<onpay-checkout> locales', () => {
  it('has every string in every language (ru, en, uk, kk, be, uz, de), none empty, the same placeholders', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`]));
    const empty = (o: object): boolean => Object.values(o).some((v) => (typeof v === 'object' ? empty(v as object) : !v));
    const placeholders = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v.match(/\{\w+[},]/g) ?? []).sort().join()]));
    for (const [ln, messages] of Object.entries(LOCALES)) {
      expect(keys(messages).sort(), ln).to.deep.equal(keys(LOCALES.ru).sort());
      expect(empty(messages), ln).to.equal(false);
      expect(placeholders(messages), ln).to.deep.equal(placeholders(LOCALES.ru));
    }
  });
});
