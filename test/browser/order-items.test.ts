/**
 * «Состав заказа» (issue 24): the order's lines from the link's receipt, collapsed, from their own
 * chunk; the receipt's attributes (`receipt`, `ext-md5`) reach the gateway as the link's parameters.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { HttpResponse } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, formPayload, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});

const items = [
  { name: 'Чайник <b>электрический</b>', quantity: '1', price: '60.00', amount: '60.00' },
  { name: 'Кружка', quantity: '2', price: '20.00', amount: '40.00' },
];

async function open(attrs: string): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="42" ${attrs}></onpay-checkout>`;
  const el = holder.firstElementChild as El;
  await waitUntil(() => el.view.name === 'picking', 'the form loaded');
  return el;
}

describe('<onpay-checkout> order items', () => {
  it('passes receipt, customer, save-method, capture and ext-md5 through to the gateway', async () => {
    await open('receipt="eyJhIjoxfQ" customer="c-42" save-method="optional" capture="manual" ext-md5="faa16304425630856eb0f64635e27baf"');
    const q = gw.formRequests[0]!;
    expect(q.get('receipt')).to.equal('eyJhIjoxfQ');
    expect(q.get('customer')).to.equal('c-42');
    expect(q.get('save_method')).to.equal('optional');
    expect(q.get('capture')).to.equal('manual');
    expect(q.get('ext_md5')).to.equal('faa16304425630856eb0f64635e27baf');
  });

  it('shows the lines collapsed, as text, and stays accessible', async () => {
    gw.formAnswer = (query) => HttpResponse.json(formPayload(query, { order: { ...formPayload(query).order, items } }));
    const el = await open('');
    await waitUntil(() => el.shadowRoot!.querySelector('details[part="items"]'), 'the lines\' chunk arrived');
    const details = el.shadowRoot!.querySelector<HTMLDetailsElement>('details[part="items"]')!;
    expect(details.open, 'collapsed').to.equal(false);
    expect(details.querySelector('summary')!.textContent).to.equal('Состав заказа');
    const lines = [...details.querySelectorAll('li')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    expect(lines).to.have.length(2);
    expect(lines[0]).to.contain('Чайник <b>электрический</b>');
    expect(details.querySelector('b'), 'markup stays text').to.equal(null);
    expect(lines[1]).to.contain('2 ×');
    details.querySelector('summary')!.click();
    expect(details.open).to.equal(true);
    await expect(el).shadowDom.to.be.accessible();
  });

  it('draws no lines for a form without a receipt', async () => {
    const el = await open('');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('details[part="items"]')).to.equal(null);
  });
});
