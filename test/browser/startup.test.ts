/// <reference types="mocha" />
/**
 * The element's start-up path (issue #29): it starts from a payload embedded as its JSON child
 * without asking the gateway, keeps a server-rendered form on show until its picker replaces it, and
 * asks for the payload at its own URL the way a `<link rel=preload as=fetch crossorigin>` does, so
 * that a preloaded answer is used.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { http } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, formPayload, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });
const serverForm = '<form class="server-form" method="post" action="/pay/shop/continue"><p>Сумма: <strong>100.0 RUR</strong></p><button type="submit">Продолжить</button></form>';

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});

async function mount(inner: string): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="42">${inner}</onpay-checkout>`;
  return holder.firstElementChild as El;
}

describe('<onpay-checkout> start-up', () => {
  it('starts from the embedded payload: the picker with no request to the gateway', async () => {
    const payload = formPayload(new URLSearchParams('price=100.0&pay_for=42'), { merchant: { login: 'shop', name: 'Встроенный </script> магазин' } });
    // As the hosted page writes it: `<` escaped so nothing in it ends the element.
    const json = JSON.stringify(payload).replace(/</g, '\\u003c');
    const el = await mount(`<script type="application/json" slot="payload">${json}</script>${serverForm}`);
    await viewIs(el, 'picking');
    expect(gw.formRequests, 'no request for what the page holds').to.have.length(0);
    expect(el.shadowRoot!.textContent).to.include('Встроенный </script> магазин');
    // The server form is no longer on show once the picker is.
    expect(el.shadowRoot!.querySelector('slot')).to.equal(null);
    // A change of the order asks the gateway: the embedded payload is for the first load only.
    el.setAttribute('price', '200.0');
    await waitUntil(() => gw.formRequests.length === 1, 'the changed order loaded', { timeout: 5000 });
    expect(gw.formRequests[0]!.get('price')).to.equal('200.0');
  });

  it('keeps the server form on show while the payload comes, instead of «Загрузка…»', async () => {
    let answer!: () => void;
    const held = new Promise<void>((r) => (answer = r));
    gw.formAnswer = async (query) => {
      await held;
      return new Response(JSON.stringify(formPayload(query)), { headers: { 'content-type': 'application/json' } });
    };
    const el = await mount(serverForm);
    await waitUntil(() => gw.formRequests.length === 1, 'the payload asked for', { timeout: 5000 });
    await el.updateComplete;
    expect(el.view.name).to.equal('loading');
    expect(el.shadowRoot!.querySelector('slot'), 'the light DOM shown through a slot').to.not.equal(null);
    const form = el.querySelector<HTMLFormElement>('.server-form')!;
    expect(form.getClientRects().length, 'the server form is rendered').to.be.greaterThan(0);
    expect(el.shadowRoot!.textContent).to.not.include('Загружаем');
    answer();
    await viewIs(el, 'picking');
    expect(form.getClientRects().length, 'replaced by the picker').to.equal(0);
  });

  it('with nothing inside, the loading view as before', async () => {
    gw.formAnswer = () => new Promise(() => undefined);
    const el = await mount('');
    await waitUntil(() => gw.formRequests.length === 1, 'the payload asked for', { timeout: 5000 });
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('slot')).to.equal(null);
    expect(el.shadowRoot!.textContent).to.include('Загружаем форму оплаты');
  });

  it('asks for the payload at its own URL as a preload does: no Accept of its own, same-origin credentials, the default cache', async () => {
    const seen: Request[] = [];
    worker.use(http.get('*/pay/:login/payload', ({ request }) => {
      seen.push(request.clone());
      return undefined;
    }));
    const el = await mount('');
    await viewIs(el, 'picking');
    expect(seen).to.have.length(1);
    const r = seen[0]!;
    expect(new URL(r.url).pathname).to.equal('/pay/shop/payload');
    expect(new URL(r.url).searchParams.get('pay_for')).to.equal('42');
    expect(r.headers.get('accept') ?? '*/*').to.equal('*/*');
    expect(r.credentials).to.equal('same-origin');
    expect(r.cache).to.equal('default');
  });
});
