/**
 * Holds through the CloudPayments connector against its emulator over loopback (issue 25): the order
 * created with `RequireConfirmation` (two-stage), the card payment `Authorized` (learnt by
 * `payments/find`), then `payments/confirm` (all, or less), `payments/void`, CloudPayments' refusals
 * (a confirm after the hold was cancelled for lapsing), and the expiry policy (`holdExpiry: "void"`)
 * on the reconciler with one clock. Notifications are not sent: the gateway learns by asking.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createReconciler } from '../src/server/dispatcher/reconcile.ts';
import { startCloudPaymentsEmulator, type CloudPaymentsEmulator } from '../src/server/providers/cloudpayments/emulator.ts';
import { createPaymentVia, storageKinds, testClock, type TestGateway } from './helpers.ts';
import { holdApi, holdRaceTests, startHoldsGateway, type HoldsGateway } from './holds-fixtures.ts';

const DAY_MS = 24 * 3_600_000;
const PUBLIC_ID = 'pk_holds_test';
const API_SECRET = 'holds-api-secret';

for (const kind of storageKinds()) {
  describe(`holds through CloudPayments on ${kind}`, () => {
    let h: HoldsGateway;
    let t: TestGateway;
    let emu: CloudPaymentsEmulator;
    const clock = testClock(Date.UTC(2026, 10, 28, 12, 0, 0));

    before(async () => {
      emu = await startCloudPaymentsEmulator({ publicId: PUBLIC_ID, apiSecret: API_SECRET, now: clock.now });
      h = await startHoldsGateway(kind, emu, {
        apiUrl: emu.url, clock,
        provider: (apiUrl) => ({ id: 'cp', type: 'cloudpayments', publicId: PUBLIC_ID, apiSecret: API_SECRET, apiUrl }),
        ways: [{ code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title: { ru: 'Карта', en: 'Card' } }],
      });
      t = h.t;
    });
    after(() => h?.close());
    const advance = (ms: number) => h.advance(ms);
    const { call, pays } = holdApi(() => t);

    let n = 0;
    async function held(): Promise<{ id: string; tx: number }> {
      const { res, json } = await createPaymentVia(t, `price=150&pay_for=cph-${n++}`);
      assert.equal(res.status, 201, JSON.stringify(json));
      const id = json.id as string;
      const order = (await t.storage.getPayment(id))!.providerPaymentId!;
      const r = await emu.pay(order, '4242424242424242');
      assert.equal(r.outcome, 'authorized');
      const back = await (await t.request(`/providers/cp/return/${id}?result=success`)).text();
      assert.match(back, /data-onpay-result="authorized"/);
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized');
      return { id, tx: r.transactionId };
    }
    const txOf = (tx: number) => emu.transactions.find((x) => x.transactionId === tx)!;

    holdRaceTests({
      gateway: () => h, provider: 'CloudPayments', captureCall: 'payments/confirm', captureRequest: /^POST \/payments\/confirm$/, held,
      captured: ({ tx }) => txOf(tx).status === 'Completed',
      voided: ({ tx }) => txOf(tx).status === 'Cancelled',
    });

    test('hold → full capture: Completed at CloudPayments, paid, PAY once', async () => {
      const { id, tx } = await held();
      const r = await call(id, 'capture', {}, 'c1');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(txOf(tx).status, 'Completed');
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await pays(id)).length, 1);
    });

    test('hold → partial capture: confirmed for 100.50, paid for it, PAY for 100.5', async () => {
      const { id, tx } = await held();
      const r = await call(id, 'capture', { amount: '100.5' }, 'c2');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(txOf(tx).amountMinor, 10050n);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'paid');
      assert.match((await pays(id))[0]!.body, /"payment":\{[^}]*"amount":100\.5,/);
    });

    test('hold → void: Cancelled at CloudPayments, voided, no PAY', async () => {
      const { id, tx } = await held();
      const r = await call(id, 'void', {}, 'c3');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(txOf(tx).status, 'Cancelled');
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
      assert.deepEqual(await pays(id), []);
    });

    test('a confirm after the hold lapsed: CloudPayments refuses (502), nothing taken; then voided', async () => {
      const { id, tx } = await held();
      advance(7 * DAY_MS + 1000);
      const r = await call(id, 'capture', {}, 'c4');
      assert.equal(r.status, 502, JSON.stringify(r.body));
      assert.equal(txOf(tx).status, 'Cancelled');
      advance(61_000);
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'cp-lapse' }).runOnce();
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
    });

    test('expiry, holdExpiry "void" (the default): the reconciler voids it a day before the 7 days', async () => {
      const { id, tx } = await held();
      advance(6 * DAY_MS + 1000);
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'cp-exp' }).runOnce();
      assert.equal(txOf(tx).status, 'Cancelled');
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
    });
  });
}
