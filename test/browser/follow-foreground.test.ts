/// <reference types="mocha" />
/**
 * Issue 27 item 3: back from the bank's app, the element asks the payment's status once. The live
 * stream here stays open but says nothing more (as one that died silently while the tab slept),
 * while the gateway's status is already `paid`: only the check on the page's return can tell.
 */
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { http } from 'msw';
import { fakeGateway, formPayload, instructionsAction, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

async function mount(): Promise<El> {
  const el = await fixture<El>(html`<div></div>`);
  el.innerHTML = '<onpay-checkout merchant-login="shop" price="100.0" pay-for="42"></onpay-checkout>';
  const checkout = el.firstElementChild as El;
  (checkout as unknown as { navigate: (u: string) => void }).navigate = () => {};
  return checkout;
}

let gw: FakeGateway;
let streams = 0;
/** Until the element follows the payment: its status stream asked for (the follow chunk loaded). */
const following = () => waitUntil(() => streams > 0, 'the status stream opened', { timeout: 10_000 });
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
  streams = 0;
  // Counted, then left to the fake gateway's stream (a handler answering nothing falls through).
  worker.use(http.get('*/api/v1/payments/:id/events', () => {
    streams++;
  }));
  gw.formAnswer = (query) => Response.json(formPayload(query, { pending: { id: 'pay_waiting_1', way: 'EUR', action: instructionsAction() } }));
});

describe('<onpay-checkout> back in the foreground', () => {
  for (const [what, back] of [
    ['visibilitychange to visible', () => document.dispatchEvent(new Event('visibilitychange'))],
    ['pageshow from the back-forward cache', () => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))],
  ] as const) {
    it(`${what}: the status is asked once, and a payment paid meanwhile ends as paid`, async () => {
      const el = await mount();
      await waitUntil(() => el.view.name === 'instructions', 'instructions', { timeout: 5000 });
      await following();
      const before = gw.statusRequests;
      gw.status = 'paid';
      const success = oneEvent(el, 'onpay-success');
      back();
      expect((await success).detail.id).to.equal('pay_waiting_1');
      expect(gw.statusRequests).to.equal(before + 1);
    });
  }

  it('a pageshow that is a fresh load (not from the cache) asks nothing', async () => {
    const el = await mount();
    await waitUntil(() => el.view.name === 'instructions', 'instructions', { timeout: 5000 });
    await following();
    const before = gw.statusRequests;
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }));
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.statusRequests).to.equal(before);
    expect(el.view.name).to.equal('instructions');
  });
});
