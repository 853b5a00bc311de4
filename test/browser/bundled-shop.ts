/**
 * The bundlers example of docs/ELEMENT.md (bundlers/shop.js) as webpack 5 and Rollup 4 build it,
 * from the packed package installed in a fresh folder (test/package/package.test.ts writes
 * test/browser/fixtures/package/{webpack,rollup}/; run `npm run test:package` first). One test file
 * per bundler: each page gets its own registry, so the tag is the one that bundle defined.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { fakeGateway, worker, type FakeGateway } from './gateway-mock.ts';

type El = HTMLElement & { view: { name: string } };
type Shop = { mount(el: HTMLElement, o?: { price?: string; ln?: string }): () => void; OnpayCheckout: CustomElementConstructor };

export function bundledShopTests(bundler: 'webpack' | 'rollup'): void {
  const url = `/test/browser/fixtures/package/${bundler}/shop.js`;
  const shop = async (): Promise<Shop> => {
    try {
      return (await import(/* @vite-ignore */ url)) as Shop;
    } catch (e) {
      throw new Error(`${url} is missing: run npm run test:package first`, { cause: e });
    }
  };
  const viewIs = (el: El, name: string) => waitUntil(() => el.view?.name === name, `view ${name} (now ${el.view?.name})`, { timeout: 5000 });
  const statusText = (root: HTMLElement) => root.querySelector(':scope > p[role="status"]')?.textContent ?? '';
  const submit = (el: El) => el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!;

  let gw: FakeGateway;
  let unmount: (() => void) | undefined;
  let prevented: boolean[] = [];
  const record = (e: Event) => prevented.push(e.defaultPrevented);
  beforeEach(() => {
    worker.resetHandlers();
    gw = fakeGateway();
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

  async function mounted(o?: { price?: string; ln?: string }): Promise<{ root: HTMLElement; el: El }> {
    const root = await fixture<HTMLDivElement>(html`<div></div>`);
    unmount = (await shop()).mount(root, o);
    return { root, el: root.querySelector('onpay-checkout') as El };
  }

  describe(`the bundlers example built by ${bundler === 'webpack' ? 'webpack 5' : 'Rollup 4'}`, () => {
    it('registers <onpay-checkout> with its own copy of the element, which upgrades the tag and loads the form', async () => {
      const { OnpayCheckout } = await shop();
      expect(customElements.get('onpay-checkout')).to.equal(OnpayCheckout, 'this bundle defined the tag');
      const { el } = await mounted();
      expect(el).to.be.instanceOf(OnpayCheckout);
      await viewIs(el, 'picking');
      expect(gw.formRequests[0]!.get('price')).to.equal('100.0');
      expect(gw.formRequests[0]!.get('pay_for')).to.equal('42');
      expect(submit(el).textContent!.trim()).to.equal('Продолжить');
    });

    it('loads the bank-transfer view from its chunk, and the shop hears onpay-success (preventDefault)', async () => {
      const { root, el } = await mounted();
      await viewIs(el, 'picking');
      el.shadowRoot!.querySelector<HTMLElement>('[data-way="EUR"]')!.click();
      submit(el).click();
      await viewIs(el, 'instructions');
      gw.push('paid');
      await waitUntil(() => statusText(root).startsWith('paid: pay_test_'), 'the shop shows its own thank-you', { timeout: 5000 });
      expect(prevented).to.deep.equal([true]);
    });

    it('loads a language from its chunk (ln="de")', async () => {
      const { el } = await mounted({ ln: 'de' });
      await viewIs(el, 'picking');
      await waitUntil(() => submit(el).textContent!.trim() === 'Weiter', `German (now ${submit(el).textContent!.trim()})`, { timeout: 5000 });
    });
  });
}
