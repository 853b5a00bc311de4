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
import { createPaymentVia, merchant, startMerchantStub, startTestGateway, storageKinds, type MerchantStub, type TestGateway } from './helpers.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { startCountingProxy, type CountingProxy } from './counting-proxy.ts';

const DAY_MS = 24 * 3_600_000;
const KEY = 'shop-cabinet-key-0123456789';
const PUBLIC_ID = 'pk_holds_test';
const API_SECRET = 'holds-api-secret';
type Json = Record<string, any>;

for (const kind of storageKinds()) {
  describe(`holds through CloudPayments on ${kind}`, () => {
    let t: TestGateway;
    let emu: CloudPaymentsEmulator;
    let stub: MerchantStub;
    let proxy: CountingProxy;
    /** The captures the gateway sent to the provider (through the counting proxy). */
    const captures = () => [...proxy.counts].filter(([k]) => /^POST \/payments\/confirm$/.test(k)).reduce((s, [, n]) => s + n, 0);
    let now = Date.UTC(2026, 10, 28, 12, 0, 0);

    before(async () => {
      emu = await startCloudPaymentsEmulator({ publicId: PUBLIC_ID, apiSecret: API_SECRET, now: () => now });
      proxy = await startCountingProxy(emu.url);
      stub = await startMerchantStub((req, res) => {
        const o = JSON.parse(req.body) as { pay_for?: string };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature('check', true, o.pay_for ?? '', 'test') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [merchant({ notifications: true, apiUrl: stub.url, capture: 'manual' })],
        config: {
          providers: [{ id: 'cp', type: 'cloudpayments', publicId: PUBLIC_ID, apiSecret: API_SECRET, apiUrl: proxy.url }],
          ways: [{ code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title: { ru: 'Карта', en: 'Card' } }],
        },
      });
      t.clock.set(now);
    });
    after(async () => {
      await t?.close();
      await emu?.close();
      await proxy?.close();
      await stub?.close();
    });
    const advance = (ms: number) => {
      now += ms;
      t.clock.set(now);
    };

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
    const call = async (id: string, op: 'capture' | 'void', body: unknown, key?: string) => {
      const res = await t.request(`/api/v1/payments/${id}/${op}`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const pays = async (id: string) => (await t.storage.notificationsOf(id)).filter((x) => x.kind === 'pay');
    const txOf = (tx: number) => emu.transactions.find((x) => x.transactionId === tx)!;

    test('capture twice with one key, one after the other and at once: one payments/confirm at CloudPayments, one operation, the same answer, PAY once', async () => {
      for (const together of [false, true]) {
        const { id, tx } = await held();
        const before = captures();
        const key = `twice-${together}-${id}`;
        const answers = together
          ? await Promise.all([call(id, 'capture', {}, key), call(id, 'capture', {}, key)])
          : [await call(id, 'capture', {}, key), await call(id, 'capture', {}, key)];
        for (const a of answers) assert.equal(a.status, 200, JSON.stringify(answers));
        assert.equal(answers[0]!.body.operation.id, answers[1]!.body.operation.id);
        assert.equal(captures() - before, 1, `one payments/confirm (${together ? 'at once' : 'in turn'})`);
        assert.equal(txOf(tx).status === 'Completed', true);
        assert.equal((await t.storage.getPayment(id))!.status, 'paid');
        assert.equal((await t.storage.holdOperationsOf(id)).length, 1);
        assert.equal((await pays(id)).length, 1);
      }
    });

    test('a capture racing a void through CloudPayments: exactly one wins, the other is refused (409), CloudPayments agrees', async () => {
      for (let i = 0; i < 3; i++) {
        const { id, tx } = await held();
        const [c, v] = await Promise.all([call(id, 'capture', {}, `race-c-${id}`), call(id, 'void', {}, `race-v-${id}`)]);
        assert.deepEqual([c, v].map((r) => r.status).sort(), [200, 409], JSON.stringify([c, v]));
        const captured = c.status === 200;
        assert.equal((await t.storage.getPayment(id))!.status, captured ? 'paid' : 'voided');
        assert.equal(captured ? txOf(tx).status === 'Completed' : txOf(tx).status === 'Cancelled', true);
        assert.equal((await pays(id)).length, captured ? 1 : 0);
      }
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
