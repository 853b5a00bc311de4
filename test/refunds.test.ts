/**
 * Refunds through the cabinet API (issue 11, contract point 4) with a scripted connector: the key,
 * the input rules, the provider refusing (502, nothing changed), the outcome unknown (202 pending,
 * the amount reserved, settled by repeating the key), two refunds at once, the provider's own
 * refunded total, provider refund reports, `payment.refunded` for webhooks merchants and nothing
 * for Onpay-protocol ones. Plus CloudPayments' "a Fail is not final": a Pay after a Fail pays.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { moduleTable } from '../src/server/providers/modules.ts';
import { sandboxModule } from '../src/server/providers/sandbox/sandbox.ts';
import { cloudPaymentsCase, startHarness, type Harness, type JsonObject } from './connector-harness.ts';
import { fakeModule, signFake } from './fake-connector.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { createPaymentVia, merchant, startMerchantStub, startTestGateway, storageKinds, type MerchantStub, type TestGateway } from './helpers.ts';

const PASSWORD = 'fake-password-1';
const title = { ru: 'Фейк', en: 'Fake' };

for (const kind of storageKinds()) {
  describe(`refunds on ${kind}`, () => {
    const fake = fakeModule();
    let t: TestGateway;
    const KEY = merchant().apiKey!;
    const OTHER_KEY = 'other-cabinet-key-0123456789';

    let stub: MerchantStub;
    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const o = JSON.parse(req.body) as { type?: string; pay_for?: string };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature('check', true, o.pay_for ?? '', 'test') }));
      });
      t = await startTestGateway({
        kind,
        connectorModules: moduleTable([sandboxModule, fake.module]),
        merchants: [
          merchant({ notifications: true, apiUrl: stub.url, notifyStyle: 'webhooks', origins: [] }),
                    merchant({ login: 'other', apiKey: OTHER_KEY }),
        ],
        config: {
          providers: [{ id: 'fk', type: 'fake', password: PASSWORD }],
          ways: [{ code: 'FKC', provider: 'fk', method: 'card', ticker: 'RUR', title }, { code: 'CRD', system: 'card', ticker: 'RUR', title }],
        },
      });
    });
    after(async () => {
      await t?.close();
      await stub?.close();
    });

    const notify = (body: unknown) => {
      const text = JSON.stringify(body);
      return t.request('/providers/fk/notify', { method: 'POST', headers: { 'content-type': 'application/json', 'x-fake-signature': signFake(text, PASSWORD) }, body: text });
    };
    const refund = async (id: string, body: unknown, opts: { key?: string; auth?: string } = {}) => {
      const res = await t.request(`/api/v1/cabinet/payments/${id}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.auth ?? KEY}`, ...(opts.key ? { 'idempotency-key': opts.key } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as JsonObject };
    };
    let n = 0;
    /** A paid payment of 150.0 RUR at the fake provider (CHECK accepted by the stub; PAY queued, not sent here). */
    async function paid(): Promise<string> {
      const { res, json } = await createPaymentVia(t, `price=150&pay_for=rf-${n++}`, { way: 'FKC' });
      assert.equal(res.status, 201, JSON.stringify(json));
      const id = json.id as string;
      const r = await notify({ paymentId: id, state: 'paid', amount: '150.0', currency: 'RUR' });
      assert.equal(r.status, 200, await r.text());
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      return id;
    }

    test('the cabinet key is required; another merchant\'s payment is not found; only a paid payment refunds', async () => {
      const id = await paid();
      const res = await t.request(`/api/v1/cabinet/payments/${id}/refunds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":"1.0","reason":"x"}' });
      assert.equal(res.status, 401);
      assert.equal((await refund(id, { amount: '1.0', reason: 'x' }, { auth: OTHER_KEY })).status, 404);
      const { json } = await createPaymentVia(t, `price=150&pay_for=rf-waiting-${n++}`, { way: 'FKC' });
      const waiting = await refund(json.id as string, { amount: '1.0', reason: 'x' });
      assert.equal(waiting.status, 409);
      assert.equal(waiting.body.error.code, 'invalid_state');
    });

    test('a live merchant cannot refund through the sandbox connector: 403 live_merchant, nothing changed', async () => {
      // Paid in the sandbox while the merchant was a test one.
      const sandboxPaid = async () => {
        const { res, json } = await createPaymentVia(t, `price=150&pay_for=rf-sb-${n++}`, { way: 'CRD' });
        assert.equal(res.status, 201, JSON.stringify(json));
        assert.equal((await t.request(`/api/v1/sandbox/payments/${json.id as string}/pay`, { method: 'POST' })).status, 200);
        return json.id as string;
      };
      const testId = await sandboxPaid();
      const liveId = await sandboxPaid();
      // While a test merchant, the sandbox refunds (the rule is about live merchants only).
      const ok = await refund(testId, { amount: '10.0', reason: 'test refund' });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const m = (await t.storage.getMerchant('shop'))!;
      await t.storage.upsertMerchant({ ...m, mode: 'live' }, t.clock.now());
      try {
        const r = await refund(liveId, { amount: '10.0', reason: 'after going live' }, { key: 'live-1' });
        assert.equal(r.status, 403, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'live_merchant');
        assert.equal(r.body.error.field, 'id');
        const p = (await t.storage.getPayment(liveId))!;
        assert.equal(p.status, 'paid');
        assert.equal(p.refundedMinor, 0n);
        assert.deepEqual(await t.storage.refundsOf(liveId), []);
      } finally {
        await t.storage.upsertMerchant(m, t.clock.now());
      }
    });

    test('bad input names the field and changes nothing', async () => {
      const id = await paid();
      fake.refundAnswer(() => ({ kind: 'done', providerRefundId: 'never' }));
      for (const [body, field] of [
        [{ amount: 'abc', reason: 'x' }, 'amount'], [{ amount: '0', reason: 'x' }, 'amount'], [{ amount: 40, reason: 'x' }, 'amount'],
        [{ amount: '1.001', reason: 'x' }, 'amount'], [{ amount: '1.0' }, 'reason'], [{ amount: '1.0', reason: '   ' }, 'reason'],
        [{ amount: '1.0', reason: 'x', extra: 1 }, undefined],
      ] as const) {
        const r = await refund(id, body);
        assert.ok(r.status === 400, `${JSON.stringify(body)} → ${r.status}`);
        if (field) assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      }
      const bad = await refund(id, { amount: '1.0', reason: 'x' }, { key: 'with space' });
      assert.equal(bad.status, 400);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'paid');
      assert.equal(p.refundedMinor, 0n);
      assert.deepEqual(await t.storage.refundsOf(id), []);
    });

    test('refused by the provider: 502 with the reason, nothing changed; the key gives the same answer without asking again', async () => {
      const id = await paid();
      fake.refundAnswer(() => ({ kind: 'refused', reason: 'T-Bank error 330: amount too large' }));
      const asked = fake.refunds.length;
      const r = await refund(id, { amount: '40.0', reason: 'broken' }, { key: 'refused-1' });
      assert.equal(r.status, 502);
      assert.equal(r.body.error.code, 'provider_error');
      assert.match(r.body.error.reason, /330/);
      const again = await refund(id, { amount: '40.0', reason: 'broken' }, { key: 'refused-1' });
      assert.equal(again.status, 502);
      assert.equal(again.body.error.refundId, r.body.error.refundId);
      assert.equal(fake.refunds.length, asked + 1, 'asked once');
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'paid');
      assert.equal(p.refundedMinor, 0n);
      assert.deepEqual((await t.storage.refundsOf(id)).map((x) => x.status), ['failed']);
      assert.equal((await t.storage.notificationsOf(id)).filter((x) => x.kind === 'refund').length, 0);
    });

    test('outcome unknown: 202 pending, its amount reserved; the same key asks again under the same provider key and settles it', async () => {
      const id = await paid();
      fake.refundAnswer(() => ({ kind: 'unknown', reason: 'timeout' }));
      const r = await refund(id, { amount: '100.0', reason: 'late' }, { key: 'unknown-1' });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.refund.status, 'pending');
      assert.equal(r.body.payment.status, 'paid');
      const reserved = await refund(id, { amount: '60.0', reason: 'more' });
      assert.equal(reserved.status, 422, 'the pending 100.0 is reserved: only 50.0 is left');
      assert.equal(reserved.body.error.available, '50.0');
      fake.refundAnswer(() => ({ kind: 'done', providerRefundId: 'fk-rf-1' }));
      const settled = await refund(id, { amount: '100.0', reason: 'late' }, { key: 'unknown-1' });
      assert.equal(settled.status, 201);
      assert.equal(settled.body.refund.id, r.body.refund.id);
      assert.equal(settled.body.refund.providerRefundId, 'fk-rf-1');
      assert.equal(settled.body.payment.status, 'partially_refunded');
      assert.equal(settled.body.payment.refunded, '100.0');
      const keys = fake.refunds.slice(-2).map((x) => x.idempotencyKey);
      assert.equal(keys[0], keys[1], 'the same provider idempotency key');
      assert.equal(keys[0], r.body.refund.id);
    });

    test('two refunds at once cannot pass the amount together', async () => {
      const id = await paid();
      fake.refundAnswer(async () => {
        await new Promise((res) => setTimeout(res, 30));
        return { kind: 'done', providerRefundId: `fk-${Math.random()}` };
      });
      const [a, b] = await Promise.all([refund(id, { amount: '100.0', reason: 'a' }), refund(id, { amount: '100.0', reason: 'b' })]);
      assert.deepEqual([a.status, b.status].sort(), [201, 422]);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.refundedMinor, 10000n);
      assert.equal(p.status, 'partially_refunded');
    });

    test('the provider\'s own refunded total wins when higher (a refund made in its dashboard too)', async () => {
      const id = await paid();
      fake.refundAnswer(() => ({ kind: 'done', providerRefundId: 'fk-total', refundedMinor: 9000n }));
      const r = await refund(id, { amount: '40.0', reason: 'part' });
      assert.equal(r.status, 201);
      assert.equal(r.body.payment.refunded, '90.0');
      assert.equal((await t.storage.getPayment(id))!.refundedMinor, 9000n);
    });

    test('a provider refund report moves a paid payment; webhooks merchants get payment.refunded', async () => {
      const id = await paid();
      const r = await notify({ paymentId: id, state: 'refunded', amount: '150.0', currency: 'RUR' });
      assert.equal(r.status, 200);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'refunded');
      assert.equal(p.refundedMinor, 15000n);
      const events = (await t.storage.notificationsOf(id)).filter((x) => x.kind === 'refund');
      assert.equal(events.length, 1);
      const body = JSON.parse(events[0]!.body) as { type: string; data: { refundedAmount: string; status: string; refund: unknown } };
      assert.equal(body.type, 'payment.refunded');
      assert.equal(body.data.refundedAmount, '150.0');
      assert.equal(body.data.status, 'refunded');
      assert.equal(body.data.refund, null, 'reported by the provider, not made through the API');
      assert.ok(events[0]!.headers['webhook-id']);
      // A repeat changes nothing.
      assert.equal((await notify({ paymentId: id, state: 'refunded', amount: '150.0', currency: 'RUR' })).status, 200);
      assert.equal((await t.storage.notificationsOf(id)).filter((x) => x.kind === 'refund').length, 1);
      // A refund report in another currency is flagged, not applied.
      const other = await paid();
      await notify({ paymentId: other, state: 'refunded', amount: '150.0', currency: 'USD' });
      const o = (await t.storage.getPayment(other))!;
      assert.equal(o.status, 'paid');
      assert.equal(o.amountMismatch, true);
      // A refund report for a payment never paid is refused.
      const { json } = await createPaymentVia(t, `price=150&pay_for=rf-unpaid-${n++}`, { way: 'FKC' });
      assert.equal((await notify({ paymentId: json.id, state: 'refunded', amount: '150.0', currency: 'RUR' })).status, 200);
      assert.equal((await t.storage.getPayment(json.id as string))!.status, 'awaiting_payment');
    });

    test('the list of a payment\'s refunds', async () => {
      const id = await paid();
      fake.refundAnswer(() => ({ kind: 'done', providerRefundId: 'fk-list' }));
      await refund(id, { amount: '10.0', reason: 'one', actor: 'Анна' });
      const res = await t.request(`/api/v1/cabinet/payments/${id}/refunds`, { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(res.status, 200);
      const list = (await res.json()) as { refunds: { amount: string; reason: string; actor: string; status: string }[]; payment: { refunded: string } };
      assert.deepEqual(list.refunds.map((r) => [r.amount, r.reason, r.actor, r.status]), [['10.0', 'one', 'shop (Анна)', 'succeeded']]);
      assert.equal(list.payment.refunded, '10.0');
      const audit = await t.storage.auditOf(id);
      assert.equal(audit.at(-1)!.action, 'refund');
      assert.equal(audit.at(-1)!.actor, 'shop (Анна)');
    });
  });
}

describe('CloudPayments: a Fail is not final', () => {
  let h: Harness;
  const c = cloudPaymentsCase();
  before(async () => { h = await startHarness(c); });
  after(async () => { await h?.close(); });

  test('a declined card fails the payment; the buyer pays again on the same page and it is paid, with one PAY', async () => {
    const r = await h.create('cp-fail-then-pay');
    assert.equal(r.status, 201, r.text);
    const p = await h.payment(r.body.id as string);
    // Through the emulator: an insufficient-funds card, then a good one, on the same order.
    await c.payWith!(p, '4012888888881881');
    await c.idle();
    assert.equal((await h.payment(p.id)).status, 'failed');
    await c.payWith!(p, '4242424242424242');
    await c.idle();
    await h.until('paid after the decline', async () => (await h.payment(p.id)).status === 'paid');
    const after = await h.payment(p.id);
    assert.match(after.statusReason, /paid late: .* after the payment was failed/);
    assert.equal(after.paidLate, true);
    assert.equal((await h.ts.storage.notificationsOf(p.id)).filter((x) => x.kind === 'pay').length, 1);
  });
});
