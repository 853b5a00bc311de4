/**
 * Saved cards and merchant-initiated charges through T-Bank's emulator over loopback (issue 26):
 * the parent payment's Init with Recurrent and CustomerKey, the card kept from the paid notification
 * (RebillId, CardId, masked Pan, ExpDate), charges by Init + Charge (paid, insufficient funds,
 * 3-D Secure asking for the buyer), the same Idempotency-Key charging once, RemoveCard on delete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningGateway } from '../src/server/bootstrap.ts';
import { DEFAULT_TERMINAL, type TbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { providerCustomerKey } from '../src/server/payments/saved-methods.ts';
import { createFirstPayment, merchantApi, savedMethod, savingShop, startTbankGateway, untilPaid, type GatewayOnEmulator } from './provider-fixtures.ts';
import { storageKinds } from './helpers.ts';

for (const kind of storageKinds()) {
  describe(`saved cards through T-Bank on ${kind}`, () => {
    let g: GatewayOnEmulator<TbankEmulator>;
    let emu: TbankEmulator;
    let gw: RunningGateway;

    before(async () => {
      g = await startTbankGateway({ kind, merchants: [savingShop()] });
      ({ emu, gw } = g);
    });
    after(() => g?.close());

    const { api, charge } = merchantApi(() => gw);

    /** Pays a first order with the consent and gives back the saved method. */
    async function saveCard(customer: string) {
      const { id, form } = await createFirstPayment(gw, customer, 'TBC', true);
      assert.deepEqual(form.ways.map((w) => [w.code, w.canSave]), [['TBC', true], ['SBP', false]]);
      const session = emu.paymentsOfOrder(id)[0]!;
      assert.equal(session.recurrent, true);
      assert.equal(session.customerKey, providerCustomerKey('shop', customer), 'the provider sees a hash, never the shop\'s id');
      assert.ok(emu.pay(session.paymentId, 'success'));
      await untilPaid(gw, id);
      return savedMethod(gw, customer);
    }

    test('a card saved by a consented T-Bank payment is listed with its mask and expiry, never its RebillId', async () => {
      const m = await saveCard('tb-1');
      const r = await api('/api/v1/customers/tb-1/methods');
      const body = (await r.json()) as { methods: { card: unknown; provider: string }[] };
      assert.deepEqual(body.methods.map((x) => [x.provider, x.card]), [['tbank', { first6: '220077', last4: '7761', expiry: '12/30' }]]);
      const [rebillId] = m.token.split(':');
      assert.ok(!JSON.stringify(body).includes(rebillId!), 'no RebillId in the answer');
    });

    test('a T-Bank charge: Init + Charge, paid; the same Idempotency-Key charges once', async () => {
      const m = await saveCard('tb-2');
      const body = { customer: 'tb-2', method: m.id, amount: '299.00', ticker: 'RUR', payFor: 'tb-sub-1' };
      const first = await charge(body, 'tb-k-1');
      const view = (await first.json()) as { id: string; status: string };
      assert.equal(first.status, 201, JSON.stringify(view));
      assert.equal(view.status, 'paid');
      const sessions = emu.paymentsOfOrder(view.id);
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0]!.status, 'CONFIRMED');
      assert.equal(sessions[0]!.amount, 29900, 'kopecks');
      assert.equal(sessions[0]!.recurrent, false, 'a charge saves nothing more');
      const again = await charge(body, 'tb-k-1');
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as { id: string }).id, view.id);
      assert.equal(emu.paymentsOfOrder(view.id).length, 1, 'no second Init');
    });

    test('T-Bank declines: insufficient funds fails with its reason; 3-D Secure required leaves the charge awaiting the buyer on T-Bank\'s page', async () => {
      const m = await saveCard('tb-3');
      const [rebillId] = m.token.split(':');
      emu.setChargeOutcome(rebillId!, 'insufficient_funds');
      const poor = (await (await charge({ customer: 'tb-3', method: m.id, amount: '10.00', ticker: 'RUR', payFor: 'tb-p' }, 'tb-k-2')).json()) as Record<string, any>;
      assert.deepEqual([poor.status, poor.reason], ['failed', 'insufficient_funds']);
      emu.setChargeOutcome(rebillId!, '3ds_required');
      const ds = (await (await charge({ customer: 'tb-3', method: m.id, amount: '11.00', ticker: 'RUR', payFor: 'tb-p' }, 'tb-k-3')).json()) as Record<string, any>;
      assert.equal(ds.status, 'awaiting_payment');
      assert.ok(String(ds.action.url).startsWith(emu.url), ds.action.url);
      const sessions = emu.paymentsOfOrder(ds.id);
      assert.deepEqual(sessions.map((s) => s.status), ['REJECTED', 'NEW']);
      // The buyer pays the new session: the charge is paid by its notification.
      assert.ok(emu.pay(sessions[1]!.paymentId, 'success'));
      await untilPaid(gw, ds.id, 'paid after 3-D Secure');
    });

    test('deleting a method removes the card at T-Bank (RemoveCard)', async () => {
      const m = await saveCard('tb-4');
      const r = await api(`/api/v1/customers/tb-4/methods/${m.id}`, { method: 'DELETE' });
      assert.deepEqual(await r.json(), { id: m.id, removed: true, revokedAtProvider: true });
      const c = emu.customer(DEFAULT_TERMINAL.terminalKey, providerCustomerKey('shop', 'tb-4'))!;
      assert.deepEqual(c.cards.map((x) => x.status), ['D']);
      const after = await charge({ customer: 'tb-4', method: m.id, amount: '10.00', ticker: 'RUR', payFor: 'x' }, 'tb-k-4');
      assert.equal(after.status, 404);
    });

    test('a Charge whose answer is lost is never guessed nor repeated: awaiting the provider\'s word, the same key charges nothing more', async () => {
      const m = await saveCard('tb-5');
      const body = { customer: 'tb-5', method: m.id, amount: '55.00', ticker: 'RUR', payFor: 'tb-lost' };
      emu.setFault({ kind: 'lost' }, { methods: ['Charge'] });
      let view: Record<string, any>;
      try {
        view = (await (await charge(body, 'tb-k-5')).json()) as Record<string, any>;
      } finally {
        emu.setFault(null);
      }
      assert.equal(view.status, 'awaiting_payment', JSON.stringify(view));
      const sessions = emu.paymentsOfOrder(view.id);
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0]!.status, 'CONFIRMED', 'T-Bank did charge');
      const again = await charge(body, 'tb-k-5');
      assert.equal(again.status, 200);
      assert.equal(emu.paymentsOfOrder(view.id).length, 1, 'no second Init, no second Charge');
      // Its notification may have come while the charge was still being made (then not applicable; on a
      // slower database it comes after, and pays it): asking T-Bank (GetState, as reconciliation does;
      // here through the return page's one question) settles it either way.
      await (await fetch(`${gw.url}/providers/tbank/return/${view.id}?result=success`)).text();
      assert.equal((await gw.storage.getPayment(view.id))!.status, 'paid');
    });
  });
}
