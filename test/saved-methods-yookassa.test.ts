/**
 * Saved methods and merchant-initiated charges through YooKassa's emulator over loopback (issue 26):
 * `save_payment_method` on consent only, the method kept from the succeeded payment
 * (`payment_method.saved`, its card), charges with `payment_method_id` under an Idempotence-Key
 * derived from the caller's key (paid, insufficient funds, 3-D Secure asking for the buyer); no
 * revoke call at YooKassa (the gateway forgets the method).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningGateway } from '../src/server/bootstrap.ts';
import type { YooKassaEmulator } from '../src/server/providers/yookassa/emulator.ts';
import { createFirstPayment, merchantApi, savedMethod, savingShop, startYooKassaGateway, untilPaid, type GatewayOnEmulator } from './provider-fixtures.ts';
import { storageKinds } from './helpers.ts';

for (const kind of storageKinds()) {
  describe(`saved cards through YooKassa on ${kind}`, () => {
    let g: GatewayOnEmulator<YooKassaEmulator>;
    let emu: YooKassaEmulator;
    let gw: RunningGateway;

    before(async () => {
      g = await startYooKassaGateway({
        kind,
        ways: [{ code: 'YKC', provider: 'yk', method: 'bank_card', ticker: 'RUR', title: { ru: 'Карта (ЮKassa)', en: 'Card (YooKassa)' } }],
        merchants: [savingShop()],
      });
      ({ emu, gw } = g);
    });
    after(() => g?.close());

    const { api, charge } = merchantApi(() => gw);

    /** Pays a first order (with the consent or without) and gives back the gateway's payment id. */
    async function payFirst(customer: string, saveMethod: boolean): Promise<string> {
      const { id } = await createFirstPayment(gw, customer, 'YKC', saveMethod);
      const p = (await gw.storage.getPayment(id))!;
      assert.ok(emu.complete(p.providerPaymentId!, 'succeeded'));
      await untilPaid(gw, id);
      return id;
    }

    test('a consented YooKassa payment saves the card; one without the consent asks YooKassa for nothing', async () => {
      await payFirst('yk-0', false);
      const [plainId] = emu.paymentIds().slice(-1);
      assert.equal((emu.payment(plainId!)?.payment_method as { saved: boolean }).saved, false, 'save_payment_method not sent');
      assert.deepEqual((await (await api('/api/v1/customers/yk-0/methods')).json()), { methods: [] });
      await payFirst('yk-1', true);
      await savedMethod(gw, 'yk-1');
      const body = (await (await api('/api/v1/customers/yk-1/methods')).json()) as { methods: { card: unknown; provider: string }[] };
      assert.deepEqual(body.methods.map((m) => [m.provider, m.card]), [['yk', { first6: '555555', last4: '4477', expiry: '12/30' }]]);
    });

    test('YooKassa charges: paid once per Idempotency-Key, insufficient funds, 3-D Secure with the buyer\'s link', async () => {
      await payFirst('yk-2', true);
      const m = await savedMethod(gw, 'yk-2');
      const body = { customer: 'yk-2', method: m.id, amount: '250.00', ticker: 'RUR', payFor: 'yk-sub-1' };
      const before = emu.calls['POST /payments'] ?? 0;
      const first = (await (await charge(body, 'yk-k-1')).json()) as Record<string, any>;
      assert.equal(first.status, 'paid');
      const again = await charge(body, 'yk-k-1');
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as { id: string }).id, first.id);
      assert.equal((emu.calls['POST /payments'] ?? 0) - before, 1, 'one POST /payments for one key');
      const charged = emu.payment((await gw.storage.getPayment(first.id))!.providerPaymentId!)!;
      assert.deepEqual([charged.status, (charged.amount as { value: string }).value], ['succeeded', '250.00']);

      assert.ok(emu.chargeOutcome(m.token, { party: 'payment_network', reason: 'insufficient_funds' }));
      const poor = (await (await charge({ ...body, amount: '10.00' }, 'yk-k-2')).json()) as Record<string, any>;
      assert.deepEqual([poor.status, poor.reason], ['failed', 'insufficient_funds']);
      assert.ok(emu.chargeOutcome(m.token, { party: 'payment_network', reason: '3d_secure_required' }));
      const ds = (await (await charge({ ...body, amount: '11.00' }, 'yk-k-3')).json()) as Record<string, any>;
      assert.equal(ds.status, 'awaiting_payment');
      assert.ok(String(ds.action.url).startsWith(emu.url), ds.action.url);
    });

    test('deleting a YooKassa method forgets it (YooKassa has no call to revoke one)', async () => {
      await payFirst('yk-3', true);
      const m = await savedMethod(gw, 'yk-3');
      const r = await api(`/api/v1/customers/yk-3/methods/${m.id}`, { method: 'DELETE' });
      assert.deepEqual(await r.json(), { id: m.id, removed: true, revokedAtProvider: false });
      assert.equal((await charge({ customer: 'yk-3', method: m.id, amount: '10.00', ticker: 'RUR', payFor: 'x' }, 'yk-k-4')).status, 404);
    });
  });
}
