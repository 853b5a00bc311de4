/// <reference types="mocha" />
/**
 * The element resumes the order's waiting payment (the form payload's `pending`) instead of the
 * picker, and «Выбрать другой способ» leaves it through the gateway, then shows the picker; a
 * refusal to leave it (the payment was paid meanwhile) is said, never a silent picker.
 */
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { http, HttpResponse } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { fakeGateway, formPayload, instructionsAction, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });
const text = (el: Element) => (shadow(el).textContent ?? '').replace(/\s+/g, ' ');
const anotherButton = (el: Element) => [...shadow(el).querySelectorAll<HTMLButtonElement>('button')].find((b) => /Выбрать другой способ|Choose another method/.test(b.textContent ?? ''));

async function mount(attrs = 'price="100.0" pay-for="42"'): Promise<El> {
  const el = await fixture<El>(html`<div></div>`);
  el.innerHTML = `<onpay-checkout merchant-login="shop" ${attrs}></onpay-checkout>`;
  const checkout = el.firstElementChild as El;
  (checkout as unknown as { navigate: (u: string) => void }).navigate = () => {};
  return checkout;
}

let gw: FakeGateway;
let abandoned: { id: string; body: Record<string, string> }[];
let abandonAnswer: () => Response;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
  abandoned = [];
  abandonAnswer = () => HttpResponse.json({ id: 'pay_waiting_1', status: 'failed', way: 'EUR', amount: '1.02', ticker: 'EUR', urlSuccess: '', urlFail: '', action: null, updatedAt: new Date().toISOString() });
  gw.formAnswer = (query) => HttpResponse.json(formPayload(query, { pending: { id: 'pay_waiting_1', way: 'EUR', action: instructionsAction() } }));
  worker.use(http.post('*/api/v1/payments/:id/abandon', async ({ request, params }) => {
    abandoned.push({ id: String(params.id), body: (await request.json()) as Record<string, string> });
    return abandonAnswer();
  }));
});

describe('<onpay-checkout> resumes the order\'s waiting payment', () => {
  it('shows the waiting transfer\'s instructions at once, follows it live, and creates no payment', async () => {
    const el = await mount();
    await viewIs(el, 'instructions');
    expect(text(el)).to.include('40702810900000012345');
    expect(text(el)).to.include('Выбрать другой способ');
    expect(gw.created).to.have.length(0);
    await expect(el).to.be.accessible();
    const success = oneEvent(el, 'onpay-success');
    gw.push('paid');
    expect((await success).detail.id).to.equal('pay_waiting_1');
  });

  it('a held payment of the order (`pending` with no action) is resumed as held: «Сумма заблокирована…», onpay-authorized, no payment created, no other method', async () => {
    gw.formAnswer = (query) => HttpResponse.json(formPayload(query, { pending: { id: 'pay_held_1', way: 'EUR' } }));
    const el = await mount();
    const held = oneEvent(el, 'onpay-authorized');
    // The status stream says what the payment is (the gateway sends it at once; pushed here once open).
    await waitUntil(() => { try { gw.status = 'authorized'; gw.push('authorized'); return el.view.name === 'done'; } catch { return false; } }, 'the held view', { timeout: 5000 });
    expect((await held).detail.id).to.equal('pay_held_1');
    await el.updateComplete;
    expect(text(el)).to.match(/Сумма заблокирована на карте/);
    expect(anotherButton(el)).to.equal(undefined);
    expect(gw.created).to.have.length(0);
  });

  it('«Выбрать другой способ» leaves it with the form\'s token, then the picker returns', async () => {
    const el = await mount('price="100.0" pay-for="42" ln="en"');
    await viewIs(el, 'instructions');
    anotherButton(el)!.click();
    await viewIs(el, 'picking');
    expect(abandoned).to.deep.equal([{ id: 'pay_waiting_1', body: { token: 'token-for-100.0' } }]);
    expect(shadow(el).querySelectorAll('[role="radio"]').length).to.equal(3);
    await expect(el).to.be.accessible();
  });

  it('the abandoned payment\'s `failed`, streamed before the gateway answers, is no failure: no onpay-fail, no url_fail', async () => {
    const fails: unknown[] = [];
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    abandonAnswer = () => {
      try {
        gw.push('failed');
      } catch {
        // The element closed its status stream first (as it should): nothing to deliver.
      }
      setTimeout(answer, 300);
      return HttpResponse.json({ id: 'pay_waiting_1', status: 'failed', way: 'EUR', amount: '1.02', ticker: 'EUR', urlSuccess: '', urlFail: 'https://shop.example/fail', action: null, updatedAt: new Date().toISOString() });
    };
    const el = await mount('price="100.0" pay-for="42" url-fail="https://shop.example/fail"');
    el.addEventListener('onpay-fail', (e) => fails.push((e as CustomEvent).detail));
    await viewIs(el, 'instructions');
    await new Promise((r) => setTimeout(r, 200)); // the status stream is open
    anotherButton(el)!.click();
    await answered;
    await viewIs(el, 'picking');
    await new Promise((r) => setTimeout(r, 200));
    expect(fails).to.deep.equal([]);
    expect(el.view.name).to.equal('picking');
  });

  it('a payment that cannot be left (paid meanwhile) is said, not dropped for the picker', async () => {
    abandonAnswer = () => HttpResponse.json({ error: { code: 'invalid_state', message: 'status: the payment is paid', field: 'status', status: 'paid' } }, { status: 409 });
    const el = await mount();
    await viewIs(el, 'instructions');
    const error = oneEvent(el, 'onpay-error');
    anotherButton(el)!.click();
    expect((await error).detail.code).to.equal('invalid_state');
    await viewIs(el, 'error');
  });
});
