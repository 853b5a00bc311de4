/** The amount a buyer types in free mode: checked as text, sent as the decimal text the gateway parses. */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});

async function typeAndContinue(value: string): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = '<onpay-checkout merchant-login="shop" pay-mode="free" pay-for="f"></onpay-checkout>';
  const el = holder.firstElementChild as El;
  await waitUntil(() => el.view.name === 'picking', 'the form loaded');
  const input = el.shadowRoot!.querySelector<HTMLInputElement>('#amount')!;
  input.value = value;
  input.dispatchEvent(new Event('input'));
  el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
  await el.updateComplete;
  return el;
}

describe('<onpay-checkout> free amount', () => {
  for (const bad of ['', '0', '0,00', '00.0', '-1', '1e3', '1.234', '12 000', '0x10', '9999999999999']) {
    it(`refuses ${JSON.stringify(bad)} without asking the gateway`, async () => {
      const el = await typeAndContinue(bad);
      expect(el.shadowRoot!.querySelector('#amount-error'), 'the error is shown').to.not.equal(null);
      expect(el.view.name).to.equal('picking');
      expect(gw.created).to.have.length(0);
    });
  }

  for (const [typed, sent] of [['0.01', '0.01'], [' 12,30 ', '12.30'], ['100', '100'], ['999999999999.99', '999999999999.99']] as const) {
    it(`sends ${JSON.stringify(typed)} as ${sent}`, async () => {
      await typeAndContinue(typed);
      await waitUntil(() => gw.created.length === 1, 'the payment was asked for');
      expect(gw.created[0]!.body.amount).to.equal(sent);
    });
  }
});
