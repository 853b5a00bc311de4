/**
 * The element on a shop page served with `Content-Security-Policy: default-src 'self'` (no inline
 * script or style, no eval): the whole flow works and the browser reports no violation.
 */
import { expect, waitUntil } from '@open-wc/testing';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import type { CspShop } from './fixtures/csp-shop.ts';

type El = OnpayCheckout & { view: { name: string } };
type ShopWindow = Window & { cspShop?: CspShop };

const SHOP = '/test/browser/fixtures/csp-shop.html';

let frame: HTMLIFrameElement;

/** Opens the shop page in a frame and waits until the element shows the payment systems. */
async function openShop(): Promise<{ win: ShopWindow; el: El; violations: string[] }> {
  frame = document.createElement('iframe');
  frame.style.width = '360px';
  frame.style.height = '640px';
  frame.src = SHOP;
  document.body.append(frame);
  const win = () => frame.contentWindow as ShopWindow;
  await waitUntil(() => win().cspShop?.gw, 'the shop page started its gateway', { timeout: 10_000 });
  const el = frame.contentDocument!.querySelector('onpay-checkout') as El;
  await waitUntil(() => el.view?.name === 'picking', 'the form loaded', { timeout: 10_000 });
  // Held here: the frame's window is replaced when the page goes to url-success.
  return { win: win(), el, violations: win().cspShop!.violations };
}

const shadow = (el: Element) => el.shadowRoot!;

afterEach(() => frame?.remove());

describe('<onpay-checkout> under a strict Content-Security-Policy', () => {
  it('is served with the policy', async () => {
    const res = await fetch(SHOP);
    expect(res.headers.get('content-security-policy')).to.equal("default-src 'self'");
  });

  it('renders, takes a payment by instructions to success and goes to url-success, with no violation', async () => {
    const { win, el, violations } = await openShop();
    // Styles came through adoptedStyleSheets, not an inline <style>.
    expect(shadow(el).adoptedStyleSheets.length).to.be.greaterThan(0);
    expect(getComputedStyle(el).display).to.equal('block');
    // Markup in merchant strings is text.
    expect(shadow(el).textContent).to.include('<img src=x onerror=alert(1)>');
    expect(shadow(el).textContent).to.include('<script>alert(2)</script>');
    expect(shadow(el).querySelector('img, script')).to.equal(null);

    shadow(el).querySelector<HTMLElement>('[data-way="EUR"]')!.click();
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => el.view.name === 'instructions', 'instructions shown', { timeout: 5000 });
    expect(shadow(el).textContent).to.include('40702810900000012345');
    expect(win.cspShop!.gw.created).to.have.length(1);

    win.cspShop!.gw.push('paid');
    await waitUntil(() => el.view.name === 'done', 'the payment is paid', { timeout: 5000 });
    expect(violations).to.deep.equal([]);
    await waitUntil(() => frame.contentWindow?.location.search === '?paid', 'the page went to url-success', { timeout: 5000 });
    expect(violations).to.deep.equal([]);
  });

  it('opens the payment page in its overlay frame and learns the outcome by postMessage, with no violation', async () => {
    const { win, el, violations } = await openShop();
    win.cspShop!.nextRedirect(new URL('/test/browser/fixtures/csp-pay.html', location.href).href);
    shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => el.view.name === 'redirecting', 'the overlay opened', { timeout: 5000 });
    const payFrame = shadow(el).querySelector('iframe')!;
    const payWindow = () => payFrame.contentWindow as (Window & { cspViolations?: string[] }) | null;
    await waitUntil(() => payWindow()?.cspViolations, 'the payment page ran its script', { timeout: 5000 });
    // The overlay is laid out by the stylesheet (fixed, over the page), not by inline styles.
    expect(getComputedStyle(shadow(el).querySelector('[role="dialog"]')!).position).to.equal('fixed');

    payFrame.contentDocument!.getElementById('pay')!.click();
    await waitUntil(() => el.view.name === 'done', 'the element heard the result', { timeout: 5000 });
    expect(violations).to.deep.equal([]);
    expect(payWindow()?.cspViolations ?? []).to.deep.equal([]);
    await waitUntil(() => frame.contentWindow?.location.search === '?paid', 'the page went to url-success', { timeout: 5000 });
    expect(violations).to.deep.equal([]);
  });
});
