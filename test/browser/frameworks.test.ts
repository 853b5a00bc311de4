/**
 * The React 19 and Vue 3 examples of docs/ELEMENT.md, and its plain-HTML one, as a shop builds
 * them: from the packed package installed in a fresh folder and bundled by Vite
 * (test/package/package.test.ts makes test/browser/fixtures/package/; run `npm run test:package`
 * first). The element in those bundles is the package's, not this repository's sources.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { fakeGateway, worker, type FakeGateway } from './gateway-mock.ts';

type El = HTMLElement & { view: { name: string } };
type Page = { mount(el: HTMLElement): () => void; hydrate?(el: HTMLElement, errors: unknown[]): () => void };

const PAGES = '/test/browser/fixtures/package/';
async function page(name: string): Promise<Page> {
  try {
    return (await import(/* @vite-ignore */ `${PAGES}${name}.js`)) as Page;
  } catch (e) {
    throw new Error(`${PAGES}${name}.js is missing: run npm run test:package first`, { cause: e });
  }
}

const checkoutOf = (root: HTMLElement) => root.querySelector('onpay-checkout') as El;
/** Mounts a page; React renders in a later task, so this waits for the tag. */
async function mounted(name: string, root: HTMLElement): Promise<El> {
  unmount = (await page(name)).mount(root);
  await waitUntil(() => checkoutOf(root), 'the page rendered the element', { timeout: 5000 });
  return checkoutOf(root);
}
const viewIs = (el: El, name: string) => waitUntil(() => el.view?.name === name, `view ${name} (now ${el.view?.name})`, { timeout: 5000 });
const statusText = (root: HTMLElement) => root.querySelector(':scope > p[role="status"]')?.textContent ?? '';

/** Picks the instructions way and presses «Продолжить»; resolves once the instructions are shown. */
async function payByTransfer(el: El): Promise<void> {
  el.shadowRoot!.querySelector<HTMLElement>('[data-way="EUR"]')!.click();
  el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
  await viewIs(el, 'instructions');
}

let gw: FakeGateway;
let unmount: (() => void) | undefined;
/** Whether the last outcome event was prevented (seen last, on the document). */
let prevented: boolean[] = [];
const record = (e: Event) => prevented.push(e.defaultPrevented);
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
  // Were the shop's handler not to prevent it, the element would leave the test page for this URL.
  gw.urlSuccess = 'https://myshop.example/ok';
  prevented = [];
  document.addEventListener('onpay-success', record);
  document.addEventListener('onpay-fail', record);
});
afterEach(() => {
  unmount?.();
  unmount = undefined;
  document.removeEventListener('onpay-success', record);
  document.removeEventListener('onpay-fail', record);
});

for (const name of ['react', 'vue']) {
  describe(`the ${name === 'react' ? 'React 19' : 'Vue 3'} example`, () => {
    it('renders the element with its attributes from state, and a price change reloads the form', async () => {
      const root = await fixture<HTMLDivElement>(html`<div></div>`);
      const el = await mounted(name, root);
      await viewIs(el, 'picking');
      expect(el.getAttribute('price')).to.equal('100.0');
      expect(gw.formRequests[0]!.get('price')).to.equal('100.0');
      expect(gw.formRequests[0]!.get('pay_for')).to.equal('42');
      root.querySelector<HTMLButtonElement>(':scope > button')!.click();
      await waitUntil(() => gw.formRequests.length === 2, 'the form reloads', { timeout: 5000 });
      expect(el.getAttribute('price')).to.equal('250.0');
      expect(gw.formRequests[1]!.get('price')).to.equal('250.0');
      await viewIs(el, 'picking');
      expect(checkoutOf(root)).to.equal(el, 'the same element, not a new one');
    });

    it('hears onpay-success through its own event syntax and stays on the page (preventDefault)', async () => {
      const root = await fixture<HTMLDivElement>(html`<div></div>`);
      const el = await mounted(name, root);
      await viewIs(el, 'picking');
      await payByTransfer(el);
      gw.push('paid');
      await waitUntil(() => statusText(root).startsWith('paid: pay_test_'), 'the page shows its own thank-you', { timeout: 5000 });
      expect(prevented).to.deep.equal([true]);
      expect(location.pathname).to.not.include('myshop');
    });

    it('hears onpay-fail likewise', async () => {
      const root = await fixture<HTMLDivElement>(html`<div></div>`);
      const el = await mounted(name, root);
      await viewIs(el, 'picking');
      await payByTransfer(el);
      gw.push('expired');
      await waitUntil(() => statusText(root) === 'not paid: expired', 'the page shows the failure', { timeout: 5000 });
      expect(prevented).to.deep.equal([true]);
    });
  });
}

describe('server-rendered HTML', () => {
  it('is hydrated by React in the browser and the tag upgraded, without a mismatch', async () => {
    const root = await fixture<HTMLDivElement>(html`<div></div>`);
    const res = await fetch(`${PAGES}ssr.html`);
    expect(res.ok, 'run npm run test:package first').to.equal(true);
    root.innerHTML = await res.text();
    const serverTag = checkoutOf(root);
    const errors: unknown[] = [];
    const consoleErrors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => consoleErrors.push(args);
    try {
      unmount = (await page('react')).hydrate!(root, errors);
      await viewIs(serverTag, 'picking');
    } finally {
      console.error = original;
    }
    expect(checkoutOf(root)).to.equal(serverTag, 'the server-rendered element was kept and upgraded');
    expect(errors).to.deep.equal([]);
    expect(consoleErrors).to.deep.equal([]);
    await payByTransfer(serverTag);
    gw.push('paid');
    await waitUntil(() => statusText(root).startsWith('paid: '), 'the hydrated listeners work', { timeout: 5000 });
  });
});

describe('the plain-HTML example', () => {
  it('works as pasted, the script pointed at this server', async () => {
    const root = await fixture<HTMLDivElement>(html`<div></div>`);
    const pasted = (await (await fetch(`${PAGES}plain.html`)).text()).replace('https://pay.example.com/cdn/', `${location.origin}/dist/cdn/`);
    root.innerHTML = pasted;
    // Scripts set by innerHTML do not run: put each in again, as the parser would have run it.
    for (const old of [...root.querySelectorAll('script')]) {
      const s = document.createElement('script');
      for (const { name: n, value } of old.attributes) s.setAttribute(n, value);
      s.textContent = old.textContent;
      old.replaceWith(s);
    }
    const el = checkoutOf(root);
    await waitUntil(() => customElements.get('onpay-checkout') !== undefined && el.view?.name === 'picking', 'the form loaded', { timeout: 5000 });
    await payByTransfer(el);
    gw.push('paid');
    await waitUntil(() => statusText(root).startsWith('paid: '), 'the page shows its own thank-you', { timeout: 5000 });
    expect(prevented).to.deep.equal([true]);
  });
});
