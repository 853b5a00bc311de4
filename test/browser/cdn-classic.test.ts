/** The built classic script (dist/cdn/onpay-checkout.iife.js) for pages that cannot use modules. */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { fakeGateway, worker } from './gateway-mock.ts';
import { SCRIPT_ORIGIN, loadScript, pageErrors, recordFormUrls } from './cdn-helpers.ts';

type El = HTMLElement & { view: { name: string } };

describe('the CDN classic build', () => {
  it('loaded twice, defines the tag once and takes its gateway from document.currentScript', async () => {
    worker.resetHandlers();
    fakeGateway();
    const urls = recordFormUrls();
    await loadScript(`${SCRIPT_ORIGIN}/dist/cdn/onpay-checkout.iife.js?copy=1`, false);
    const defined = customElements.get('onpay-checkout');
    expect(defined, 'the first load defines <onpay-checkout>').to.be.a('function');
    await loadScript(`${SCRIPT_ORIGIN}/dist/cdn/onpay-checkout.iife.js?copy=2`, false);
    expect(customElements.get('onpay-checkout')).to.equal(defined);
    expect(pageErrors).to.deep.equal([]);

    const holder = await fixture<HTMLDivElement>(html`<div></div>`);
    holder.innerHTML = '<onpay-checkout merchant-login="shop" price="100.0" pay-for="7" ln="en"></onpay-checkout>';
    const el = holder.firstElementChild as El;
    await waitUntil(() => el.view?.name === 'picking', 'the form loaded', { timeout: 5000 });
    expect(urls).to.have.length(1);
    expect(new URL(urls[0]!).origin).to.equal(SCRIPT_ORIGIN);
    expect(el.shadowRoot!.textContent).to.include('Continue');
    // The views after the picker come from their chunks beside the script (the popup's, the status
    // follower's), loaded by the classic build too: the overlay opens, styled by its own sheet.
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => el.shadowRoot!.querySelector('[role="dialog"]'), 'the overlay from its chunk', { timeout: 5000 });
    expect(getComputedStyle(el.shadowRoot!.querySelector('[role="dialog"]')!).position).to.equal('fixed');
    expect(el.shadowRoot!.querySelector('[part="close"]')!.getAttribute('aria-label')).to.equal('Close the payment window');
    expect(pageErrors).to.deep.equal([]);
  });
});
