/**
 * Holds through the T-Bank connector against its emulator over loopback (issue 25): `PayType: "T"`
 * at Init, `AUTHORIZED` learnt by the status read, then `Confirm` (all, or less: `partially_captured`
 * → `paid` by the status read), `Cancel` of the hold (`REVERSED` → `voided`), a capture after the
 * hold lapsed at T-Bank (its refusal, nothing taken; the lapse applied), the expiry policy on the
 * reconciler with the test clock and the emulator's clock moved together, and a `Confirm` whose
 * answer is lost (202 pending; reconciliation settles it; PAY once). The emulator's notifications
 * are dropped: the gateway learns everything by asking (GetState), which is what must hold anyway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createReconciler } from '../src/server/dispatcher/reconcile.ts';
import { createManualScheduler } from '../src/server/providers/tbank/emulator-types.ts';
import { DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { tbankHoldDeadline } from '../src/server/providers/tbank/transform.ts';
import { createPaymentVia, storageKinds, type TestGateway } from './helpers.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { HOLDS_KEY as KEY, holdApi, holdRaceTests, startHoldsGateway, type HoldsGateway } from './holds-fixtures.ts';
import { tbankWays } from './provider-fixtures.ts';

const DAY_MS = 24 * 3_600_000;
type Json = Record<string, any>;

for (const kind of storageKinds()) {
  describe(`holds through T-Bank on ${kind}`, () => {
    let h: HoldsGateway;
    let t: TestGateway;
    let emu: TbankEmulator;
    const clock = createManualScheduler(Date.UTC(2026, 10, 28, 12, 0, 0));

    before(async () => {
      emu = await startTbankEmulator({ scheduler: clock });
      emu.dropNotifications = true;
      h = await startHoldsGateway(kind, emu, {
        apiUrl: emu.apiUrl, clock, holdExpiry: 'void', ways: tbankWays(),
        provider: (apiUrl) => ({ id: 'tbank', type: 'tbank', ...DEFAULT_TERMINAL, apiUrl }),
      });
      t = h.t;
    });
    after(() => h?.close());
    const advance = (ms: number) => h.advance(ms);
    const { call, pays } = holdApi(() => t);

    let n = 0;
    /** A 150.0 RUR card payment held at T-Bank and known to the gateway as `authorized`. */
    async function held(): Promise<{ id: string; tp: string }> {
      const { res, json, payload } = await createPaymentVia(t, `price=150&pay_for=tbh-${n++}`);
      // SBP cannot hold: only the card is offered.
      assert.deepEqual((payload as Json).ways.map((w: Json) => w.code), ['TBC']);
      assert.equal(res.status, 201, JSON.stringify(json));
      const id = json.id as string;
      const tp = (await t.storage.getPayment(id))!.providerPaymentId!;
      assert.equal(emu.payment(tp)!.payType, 'T');
      assert.ok(emu.pay(tp, 'success'));
      assert.equal(emu.payment(tp)!.status, 'AUTHORIZED');
      // The buyer's return asks T-Bank (GetState): held.
      const back = await (await t.request(`/providers/tbank/return/${id}?result=success`)).text();
      assert.match(back, /data-onpay-result="authorized"/);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'authorized');
      assert.equal(p.holdExpiresAt, tbankHoldDeadline(clock.now()));
      return { id, tp };
    }

    holdRaceTests({
      gateway: () => h, provider: 'T-Bank', captureCall: 'Confirm', captureRequest: /^POST \/v2\/Confirm$/, held,
      captured: ({ tp }) => emu.payment(tp)!.status === 'CONFIRMED',
      voided: ({ tp }) => emu.payment(tp)!.status === 'REVERSED',
    });

    test('a smaller capture with its receipt: Confirm carries it, and it is the payment\'s receipt (100.50, sent), not the 150.00 one of creation', async () => {
      const line = (amount: string) => ({ name: 'Диван', price: amount, quantity: '1', amount, vat: 'none', paymentMethod: 'full_payment', paymentObject: 'commodity' });
      const q = new URLSearchParams(signPaymentLink({
        gateway: 'http://gateway.test', merchantLogin: 'shop', secret: 'test', price: '150', payFor: `tbr-${n++}`,
        receipt: { taxation: 'usn_income', customer: { email: 'b@shop.example' }, items: [line('150.00')] } as never,
      }).query);
      const { res, json } = await createPaymentVia(t, q.toString());
      assert.equal(res.status, 201, JSON.stringify(json));
      const id = json.id as string;
      const tp = (await t.storage.getPayment(id))!.providerPaymentId!;
      assert.ok(emu.pay(tp, 'success'));
      await t.request(`/providers/tbank/return/${id}?result=success`);
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized');
      const r = await call(id, 'capture', { amount: '100.5', receipt: { taxation: 'usn_income', customer: { email: 'b@shop.example' }, items: [line('100.50')] } }, 'tr-1');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(emu.payment(tp)!.remaining, 10050);
      const listed = ((await (await t.request(`/api/v1/payments/${id}/receipts`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Json).receipts as Json[];
      assert.deepEqual(listed.map((x) => [x.kind, x.receipt.items.map((i: Json) => i.amount), x.status]), [['payment', ['100.50'], 'sent']]);
    });

    test('hold → full capture: Confirm, CONFIRMED at T-Bank, paid, PAY once', async () => {
      const { id, tp } = await held();
      const r = await call(id, 'capture', { reason: 'shipped' }, 'k1');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(emu.payment(tp)!.status, 'CONFIRMED');
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await pays(id)).length, 1);
    });

    test('hold → partial capture: Confirm with Amount, partially_captured then paid by GetState; PAY for 100.5', async () => {
      const { id, tp } = await held();
      const r = await call(id, 'capture', { amount: '100.5' }, 'k2');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(emu.payment(tp)!.status, 'CONFIRMED');
      assert.equal(emu.payment(tp)!.remaining, 10050);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'paid');
      assert.equal(p.amountMinor, 10050n);
      const pay = await pays(id);
      assert.equal(pay.length, 1);
      assert.match(pay[0]!.body, /"payment":\{[^}]*"amount":100\.5,/);
    });

    test('hold → void: Cancel, REVERSED at T-Bank, voided, no PAY; a capture after it is refused', async () => {
      const { id, tp } = await held();
      const r = await call(id, 'void', { reason: 'out of stock' }, 'k3');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(emu.payment(tp)!.status, 'REVERSED');
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
      assert.equal((await call(id, 'capture', {}, 'k3c')).status, 409);
      assert.deepEqual(await pays(id), []);
    });

    test('a capture after the hold lapsed at T-Bank: its refusal (502, nothing taken), then the lapse is applied', async () => {
      const { id, tp } = await held();
      // T-Bank releases the hold after its 7 days; the gateway's policy did not run (no reconciler here).
      advance(7 * DAY_MS + 1000);
      assert.equal(emu.payment(tp)!.status, 'REVERSED');
      const r = await call(id, 'capture', {}, 'k4');
      assert.equal(r.status, 502, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'provider_error');
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized');
      advance(61_000);
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'tb-lapse' }).runOnce();
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
      assert.deepEqual(await pays(id), []);
    });

    test('expiry, holdExpiry "void": a day before the deadline the reconciler cancels the hold at T-Bank', async () => {
      const { id, tp } = await held();
      const deadline = (await t.storage.getPayment(id))!.holdExpiresAt!;
      advance(deadline - DAY_MS - clock.now() + 1000);
      assert.equal(emu.payment(tp)!.status, 'AUTHORIZED');
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'tb-exp' }).runOnce();
      assert.equal(emu.payment(tp)!.status, 'REVERSED');
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'voided');
      assert.equal((await t.storage.holdOperationsOf(id))[0]!.actor, 'gateway:hold_expiry');
    });

    test('Confirm sent again after a cut connection meets its own earlier Confirm (error 8): T-Bank\'s state says captured, so it is', async () => {
      const { id, tp } = await held();
      // The HTTP client sends a request again once when a kept-alive connection turns out closed.
      emu.setFault({ kind: 'lost' }, { methods: ['Confirm'], times: 1 });
      const r = await call(id, 'capture', { amount: '20.0' }, 'k5');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(emu.payment(tp)!.remaining, 2000);
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await pays(id)).length, 1);
    });

    test('Confirm\'s answer lost: 202 pending, the payment still authorized; reconciliation finds CONFIRMED and pays it once', async () => {
      const { id, tp } = await held();
      // Lost twice: the request and the HTTP client's one resend on a fresh connection.
      emu.setFault({ kind: 'lost' }, { methods: ['Confirm'], times: 2 });
      const r = await call(id, 'capture', {}, 'k6');
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.operation.status, 'pending');
      assert.equal(emu.payment(tp)!.status, 'CONFIRMED');
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized');
      // A void meanwhile is refused: the capture is in progress.
      assert.equal((await call(id, 'void', {}, 'k6v')).status, 409);
      advance(61_000);
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'tb-lost' }).runOnce();
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await t.storage.holdOperationsOf(id)).find((o) => o.idempotencyKey === 'k6')!.status, 'succeeded');
      assert.equal((await pays(id)).length, 1);
      const again = await call(id, 'capture', {}, 'k6');
      assert.equal(again.status, 200);
      assert.equal((await pays(id)).length, 1);
    });
  });
}
