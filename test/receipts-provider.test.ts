/**
 * The connector seam of fiscal receipts (issue 24), through a test connector on real storage: the
 * receipt reaches `create` and `refund` as the contract says, and a receipt the provider refuses is
 * kept failed, heads the attention list, and is told to a webhooks merchant as `receipt.failed`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { parseConfig } from '../src/server/config.ts';
import { CONNECTOR_MODULES, moduleTable } from '../src/server/providers/modules.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import type { Receipt } from '../src/protocol/receipt.ts';
import { fakeModule, signFake } from './fake-connector.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';

const FAKE_WAY = { code: 'FKC', provider: 'fake', method: 'card', ticker: 'RUR', feeBps: 100, title: { ru: 'Карта', en: 'Card' } };
const receipt: Receipt = {
  taxation: 'osn', customer: { email: 'b@shop.example' },
  items: [{ name: 'Чайник', price: '50.00', quantity: '2', amount: '100.00', vat: 'vat22', paymentMethod: 'full_payment', paymentObject: 'commodity' }],
};

for (const kind of storageKinds()) {
  describe(`receipts at a provider on ${kind}`, () => {
    let t: TestGateway;
    let stub: MerchantStub;
    const fake = fakeModule();

    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { pay_for: string };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature('check', true, body.pay_for, 'test') }));
      });
      t = await startTestGateway({
        kind,
        connectorModules: moduleTable([...CONNECTOR_MODULES.values(), fake.module]),
        config: { providers: [{ id: 'fake', type: 'fake', password: 'fake-password' }], ways: [...parseConfig({ secret: TEST_SECRET }).ways, FAKE_WAY] },
        merchants: [merchant({ notifications: true, notifyStyle: 'webhooks', apiUrl: stub.url, apiType: 2 })],
      });
    });
    after(async () => {
      await t.close();
      await stub.close();
    });

    async function pay(payFor: string) {
      const q = new URLSearchParams(signPaymentLink({ gateway: 'http://gateway.test', merchantLogin: 'shop', secret: 'test', price: '100', payFor, receipt }).query);
      const form = (await (await t.request(`/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'FKC' }) });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    }

    test('create gets the receipt with the fee line; a refusal fails it, heads the attention list and queues receipt.failed', async () => {
      fake.answer(() => ({ kind: 'refused', reason: 'Неверные параметры чека' }));
      const r = await pay('refused-1');
      assert.equal(r.status, 502);
      const sent = fake.creates.at(-1)!;
      assert.deepEqual(sent.receipt!.items.map((i) => [i.name, i.amount]), [['Чайник', '100.00'], ['Комиссия платёжной системы', '1.00']]);
      assert.equal(sent.payment.amountMinor, 10100n);
      const id = r.json.error.paymentId as string;
      const [own] = await t.storage.receiptsOf(id);
      assert.equal(own!.status, 'failed');
      assert.equal(own!.reason, 'Неверные параметры чека');
      const events = (await t.storage.notificationsOf(id)).filter((n) => n.kind === 'receipt');
      assert.equal(events.length, 1);
      const body = JSON.parse(events[0]!.body) as any;
      assert.equal(body.type, 'receipt.failed');
      assert.deepEqual(body.data.receipt, { id: own!.id, kind: 'payment', refundId: null, reason: 'Неверные параметры чека' });
      assert.equal(events[0]!.headers['webhook-id'], `msg_${id}_receipt_${own!.id}`);
      // Failed once is told once.
      assert.equal(await t.storage.setReceiptStatus(own!.id, { status: 'failed', reason: 'again', at: t.clock.now() }), false);
      const summary = (await (await t.request('/api/v1/cabinet/summary', { headers: { authorization: 'Bearer shop-cabinet-key-0123456789' } })).json()) as any;
      assert.equal(summary.attention[0].kind, 'receipt_failed');
    });

    test('a refund sends its receipt; the provider taking it marks it sent', async () => {
      fake.answer((req) => ({ kind: 'started', action: { type: 'redirect', url: 'https://fake.example/p' }, providerPaymentId: `fake-${req.payment.id}`, expiresAt: req.payment.createdAt + 3_600_000 }));
      const r = await pay('refund-1');
      assert.equal(r.status, 201);
      assert.equal((await t.storage.receiptsOf(r.json.id))[0]!.status, 'sent');
      const body = JSON.stringify({ paymentId: r.json.id, state: 'paid', amount: '101.0', currency: 'RUR' });
      const n = await t.request('/providers/fake/notify', { method: 'POST', headers: { 'x-fake-signature': signFake(body, 'fake-password') }, body });
      assert.equal(n.status, 200);
      fake.refundAnswer(() => ({ kind: 'done', providerRefundId: 'fr-1' }));
      const res = await t.request(`/api/v1/cabinet/payments/${r.json.id}/refunds`, {
        method: 'POST', headers: { authorization: 'Bearer shop-cabinet-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ index: 0, quantity: '1' }], reason: 'one back' }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const asked = fake.refunds.at(-1)!;
      assert.equal(asked.amountMinor, 5000n);
      assert.deepEqual(asked.receipt!.items.map((i) => [i.quantity, i.amount]), [['1', '50.00']]);
      const refundReceipt = (await t.storage.receiptsOf(r.json.id)).find((x) => x.kind === 'refund')!;
      assert.equal(refundReceipt.status, 'sent');
      assert.equal(refundReceipt.providerReceiptId, 'fr-1');
    });
  });
}
