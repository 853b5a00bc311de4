/**
 * Holds through the YooKassa connector against its emulator over loopback (issue 25): `capture:
 * false` at create, `waiting_for_capture` (with `expires_at`) learnt by the status read, then
 * `/capture` (all, or less: YooKassa's amount becomes the captured one), `/cancel` (`voided`), the
 * documented refusals (more than held is stopped by the gateway; a capture after the hold lapsed is
 * YooKassa's 400), a smaller capture's receipt kept as the payment's (its registration followed), and the expiry policy `holdExpiry: "capture"` on the reconciler with one clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createReconciler } from '../src/server/dispatcher/reconcile.ts';
import { createReceiptChecker } from '../src/server/dispatcher/receipt-checks.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from '../src/server/providers/yookassa/emulator.ts';
import { createPaymentVia, storageKinds, testClock, type TestGateway } from './helpers.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { HOLDS_KEY as KEY, holdApi, holdRaceTests, startHoldsGateway, type HoldsGateway } from './holds-fixtures.ts';

const DAY_MS = 24 * 3_600_000;
const SHOP = '100500';
const SECRET = 'test_yk_secret';
type Json = Record<string, any>;

for (const kind of storageKinds()) {
  describe(`holds through YooKassa on ${kind}`, () => {
    let h: HoldsGateway;
    let t: TestGateway;
    let emu: YooKassaEmulator;
    const clock = testClock(Date.UTC(2026, 10, 28, 12, 0, 0));

    before(async () => {
      emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET, now: clock.now });
      h = await startHoldsGateway(kind, emu, {
        apiUrl: emu.apiUrl, clock, holdExpiry: 'capture',
        provider: (apiUrl) => ({ id: 'yk', type: 'yookassa', shopId: SHOP, secretKey: SECRET, apiUrl }),
        ways: [
          { code: 'YKC', provider: 'yk', method: 'bank_card', ticker: 'RUR', title: { ru: 'Карта', en: 'Card' } },
          { code: 'YKS', provider: 'yk', method: 'sbp', ticker: 'RUR', title: { ru: 'СБП', en: 'SBP' } },
        ],
      });
      t = h.t;
    });
    after(() => h?.close());
    const advance = (ms: number) => h.advance(ms);
    const { call, pays } = holdApi(() => t);

    let n = 0;
    async function held(): Promise<{ id: string; yk: string }> {
      const { res, json, payload } = await createPaymentVia(t, `price=150&pay_for=ykh-${n++}`);
      assert.deepEqual((payload as Json).ways.map((w: Json) => w.code), ['YKC']);
      assert.equal(res.status, 201, JSON.stringify(json));
      const id = json.id as string;
      const yk = (await t.storage.getPayment(id))!.providerPaymentId!;
      assert.ok(emu.complete(yk, 'succeeded'));
      assert.equal(emu.payment(yk)!.status, 'waiting_for_capture');
      const back = await (await t.request(`/providers/yk/return/${id}?result=success`)).text();
      assert.match(back, /data-onpay-result="authorized"/);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'authorized');
      assert.equal(p.holdExpiresAt, Date.parse(emu.payment(yk)!.expires_at as string));
      return { id, yk };
    }

    holdRaceTests({
      gateway: () => h, provider: 'YooKassa', captureCall: 'capture', captureRequest: /^POST \/v3\/payments\/[^/]+\/capture$/, held,
      captured: ({ yk }) => emu.payment(yk)!.status === 'succeeded',
      voided: ({ yk }) => emu.payment(yk)!.status === 'canceled',
    });

    test('hold → full capture: succeeded at YooKassa, paid, PAY once', async () => {
      const { id, yk } = await held();
      const r = await call(id, 'capture', {}, 'y1');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(emu.payment(yk)!.status, 'succeeded');
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await pays(id)).length, 1);
    });

    test('hold → partial capture: YooKassa takes 100.50, the payment paid for it, PAY for 100.5', async () => {
      const { id, yk } = await held();
      const r = await call(id, 'capture', { amount: '100.5' }, 'y2');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(emu.payment(yk)!.amount, { value: '100.50', currency: 'RUB' });
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'paid');
      assert.equal(p.amountMinor, 10050n);
      assert.match((await pays(id))[0]!.body, /"payment":\{[^}]*"amount":100\.5,/);
    });

    test('receipts on: a smaller capture needs the receipt of what is taken (YooKassa refuses without one); given, it goes with the capture', async () => {
      const line = (amount: string) => ({ name: 'Диван', price: amount, quantity: '1', amount, vat: 'none', paymentMethod: 'full_payment', paymentObject: 'commodity' });
      const q = new URLSearchParams(signPaymentLink({
        gateway: 'http://gateway.test', merchantLogin: 'shop', secret: 'test', price: '150', payFor: `ykr-${n++}`,
        receipt: { taxation: 'usn_income', customer: { email: 'b@shop.example' }, items: [line('150.00')] } as never,
      }).query);
      const form = (await (await t.request(`/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as Json;
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'YKC' }) });
      const id = ((await res.json()) as Json).id as string;
      assert.equal(res.status, 201);
      const yk = (await t.storage.getPayment(id))!.providerPaymentId!;
      assert.ok(emu.complete(yk, 'succeeded'));
      await t.request(`/providers/yk/return/${id}?result=success`);
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized');
      const without = await call(id, 'capture', { amount: '100.5' }, 'yr-1');
      assert.equal(without.status, 502, JSON.stringify(without.body));
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized');
      const wrongSum = await call(id, 'capture', { amount: '100.5', receipt: { taxation: 'usn_income', customer: { email: 'b@shop.example' }, items: [line('100.00')] } }, 'yr-2');
      assert.equal(wrongSum.status, 400);
      assert.equal(wrongSum.body.error.field, 'receipt.items');
      const withIt = await call(id, 'capture', { amount: '100.5', receipt: { taxation: 'usn_income', customer: { email: 'b@shop.example' }, items: [line('100.50')] } }, 'yr-3');
      assert.equal(withIt.status, 200, JSON.stringify(withIt.body));
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.deepEqual(emu.payment(yk)!.amount, { value: '100.50', currency: 'RUB' });
      // The capture's receipt is the payment's receipt now (not the 150.00 one given at creation):
      // sent with the capture, shown by the receipts API, and its registration followed by the checker.
      const listed = async () => ((await (await t.request(`/api/v1/payments/${id}/receipts`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Json).receipts as Json[];
      const before = await listed();
      assert.equal(before.length, 1, JSON.stringify(before));
      assert.equal(before[0]!.kind, 'payment');
      assert.deepEqual(before[0]!.receipt.items.map((i: Json) => i.amount), ['100.50']);
      assert.equal(before[0]!.status, 'sent');
      advance(61_000);
      assert.equal(await createReceiptChecker({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'yk-capture-receipt' }).runOnce(), 1);
      const afterCheck = await listed();
      assert.equal(afterCheck[0]!.status, 'registered', JSON.stringify(afterCheck));
      const detail = (await (await t.request(`/api/v1/cabinet/payments/${id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Json;
      const shown = (detail.timeline as Json[]).filter((e) => e.kind === 'receipt').map((e) => [e.data.receiptKind, e.data.amount, e.data.status]);
      assert.deepEqual(shown, [['payment', '100.5', 'registered']]);
    });

    test('hold → void: canceled at YooKassa, voided, no PAY; capture after it refused', async () => {
      const { id, yk } = await held();
      const r = await call(id, 'void', {}, 'y3');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(emu.payment(yk)!.status, 'canceled');
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
      assert.equal((await call(id, 'capture', {}, 'y3c')).status, 409);
      assert.deepEqual(await pays(id), []);
    });

    test('a capture after the hold lapsed at YooKassa: its 400 (502 provider_error), nothing taken; then voided', async () => {
      const { id, yk } = await held();
      advance(7 * DAY_MS + 1000);
      emu.expireDue();
      assert.equal(emu.payment(yk)!.status, 'canceled');
      const r = await call(id, 'capture', {}, 'y4');
      assert.equal(r.status, 502, JSON.stringify(r.body));
      advance(61_000);
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'yk-lapse' }).runOnce();
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
      assert.deepEqual(await pays(id), []);
    });

    test('expiry, holdExpiry "capture": a day before expires_at the reconciler captures it all', async () => {
      const { id, yk } = await held();
      advance(6 * DAY_MS + 1000);
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'yk-exp' }).runOnce();
      assert.equal(emu.payment(yk)!.status, 'succeeded');
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await pays(id)).length, 1);
    });
  });
}
