/** The built ES module (dist/cdn/onpay-checkout.js), as a shop loads it: from the gateway, maybe twice. */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { fakeGateway, worker } from './gateway-mock.ts';
import { SCRIPT_ORIGIN, loadScript, pageErrors, recordFormUrls } from './cdn-helpers.ts';

type El = HTMLElement & { view: { name: string }; updateComplete: Promise<boolean> };

describe('the CDN module build', () => {
  it('loaded twice (two copies), defines the tag once, takes its gateway from the script, and pays', async () => {
    worker.resetHandlers();
    const gw = fakeGateway();
    const urls = recordFormUrls();
    await loadScript(`${SCRIPT_ORIGIN}/dist/cdn/onpay-checkout.js?copy=1`, true);
    const defined = customElements.get('onpay-checkout');
    expect(defined, 'the first load defines <onpay-checkout>').to.be.a('function');
    await loadScript(`${SCRIPT_ORIGIN}/dist/cdn/onpay-checkout.js?copy=2`, true);
    expect(customElements.get('onpay-checkout')).to.equal(defined);
    expect(pageErrors).to.deep.equal([]);

    const holder = await fixture<HTMLDivElement>(html`<div></div>`);
    holder.innerHTML = '<onpay-checkout merchant-login="shop" price="100.0" pay-for="7"></onpay-checkout>';
    const el = holder.firstElementChild as El;
    await waitUntil(() => el.view?.name === 'picking', 'the form loaded', { timeout: 5000 });
    expect(urls).to.have.length(1);
    expect(new URL(urls[0]!).origin).to.equal(SCRIPT_ORIGIN);
    expect(el.shadowRoot!.textContent).to.include('Продолжить');
    // The shipped (minified) styles apply: the host's block layout, reserved height and theme colours.
    expect(getComputedStyle(el).display).to.equal('block');
    expect(parseFloat(getComputedStyle(el).minHeight)).to.equal(18 * 16);
    expect(getComputedStyle(el.shadowRoot!.querySelector('button[type="submit"]')!).backgroundColor).to.equal('rgb(0, 87, 184)');

    el.shadowRoot!.querySelector<HTMLElement>('[data-way="EUR"]')!.click();
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => el.view.name === 'instructions', 'instructions shown', { timeout: 5000 });
    gw.push('paid');
    await waitUntil(() => el.view.name === 'done', 'paid', { timeout: 5000 });
    expect(gw.created).to.have.length(1);
    expect(pageErrors).to.deep.equal([]);
  });
});
