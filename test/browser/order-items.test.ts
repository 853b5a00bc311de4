/**
 * «Состав заказа» (issue 24): the order's lines from the link's receipt, collapsed, from their own
 * chunk; the receipt's attributes (`receipt`, `ext-md5`) reach the gateway as the link's parameters.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { HttpResponse } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, formPayload, WAYS, worker, type FakeGateway } from './gateway-mock.ts';
import { LANGUAGES } from '../../src/protocol/languages.ts';
import { SAVE_CONSENT_WORDS, savedCardLabel } from '../../src/protocol/save-consent.ts';

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

  /** A returning customer's form: the card way can save, two saved cards (issue 26). */
  const returning = (query: URLSearchParams, ln: string) => HttpResponse.json(formPayload(query, {
    ln, saveMethod: 'optional', ways: WAYS.map((w) => ({ ...w, canSave: w.code === 'CRD' })),
    savedMethods: [{ id: 'pm_first', way: 'CRD', last4: '4242' }, { id: 'pm_second', way: 'CRD', last4: '1881' }],
  }));
  const saved = (el: El) => el.shadowRoot!.querySelector<HTMLFieldSetElement>('fieldset[part="saved"]');

  for (const ln of LANGUAGES) {
    it(`offers a returning customer's saved cards first in ${ln}, the first chosen, the consent hidden`, async () => {
      gw.formAnswer = (query) => returning(query, ln);
      const el = await open('customer="c-1"');
      await waitUntil(() => saved(el), 'the saved cards drawn');
      const box = saved(el)!;
      expect(box.querySelector('legend')!.textContent).to.equal(SAVE_CONSENT_WORDS[ln].saved);
      const labels = [...box.querySelectorAll('label')].map((l) => l.textContent!.trim());
      expect(labels).to.deep.equal([savedCardLabel(ln, '4242'), savedCardLabel(ln, '1881'), SAVE_CONSENT_WORDS[ln].other]);
      expect([...box.querySelectorAll('input')].map((i) => i.checked)).to.deep.equal([true, false, false]);
      expect(box.compareDocumentPosition(el.shadowRoot!.querySelector('[part="ways"]')!) & Node.DOCUMENT_POSITION_FOLLOWING, 'before the ways').to.not.equal(0);
      expect(el.shadowRoot!.querySelector<HTMLElement>('[part="save"]')!.hidden).to.equal(true);
      if (ln === 'ru') await expect(el).shadowDom.to.be.accessible();
    });
  }

  it('pays with the card chosen (savedMethod and its way) and shows done at once when answered paid', async () => {
    gw.formAnswer = (query) => returning(query, 'ru');
    gw.createAnswers.push(() => HttpResponse.json({ id: 'pay_saved', status: 'paid', way: 'CRD', amount: '102.0', ticker: 'RUR', urlSuccess: '', urlFail: '', action: null }, { status: 201 }));
    const el = await open('customer="c-1"');
    await waitUntil(() => saved(el), 'the saved cards drawn');
    saved(el)!.querySelectorAll('input')[1]!.click();
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => el.view.name === 'done', 'done at once');
    expect(gw.created[0]!.body).to.deep.include({ way: 'CRD', savedMethod: 'pm_second' });
    expect(gw.created[0]!.body.saveMethod).to.equal(undefined);
  });

  it('«another card or way» brings the consent back and sends no savedMethod; choosing a way in the list does too', async () => {
    gw.formAnswer = (query) => returning(query, 'ru');
    const el = await open('customer="c-1"');
    await waitUntil(() => saved(el), 'the saved cards drawn');
    const inputs = saved(el)!.querySelectorAll('input');
    inputs[2]!.click();
    expect(el.shadowRoot!.querySelector<HTMLElement>('[part="save"]')!.hidden).to.equal(false);
    el.shadowRoot!.querySelector<HTMLInputElement>('[part="save"] input')!.click();
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => gw.created.length === 1, 'created');
    expect(gw.created[0]!.body.savedMethod).to.equal(undefined);
    expect(gw.created[0]!.body.saveMethod).to.equal(true);
    // Another form: a way chosen in the list is choosing another way.
    const other = await open('customer="c-2"');
    await waitUntil(() => saved(other), 'the saved cards drawn');
    other.shadowRoot!.querySelector<HTMLElement>('#way-EUR')!.click();
    await other.updateComplete;
    expect([...saved(other)!.querySelectorAll('input')].map((i) => i.checked)).to.deep.equal([false, false, true]);
    other.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => gw.created.length === 2, 'created');
    expect(gw.created[1]!.body.way).to.equal('EUR');
    expect(gw.created[1]!.body.savedMethod).to.equal(undefined);
  });
});
