/**
 * A returning buyer pays with a saved method (issue 26) through the real gateway on real storage,
 * with the sandbox's card: the form offers the customer's saved methods (never the token), and
 * `"savedMethod"` on `POST /api/v1/payments` is a charge with the buyer present: CHECK asked, the
 * answer `paid` with no action or an action for 3-D Secure, PAY as for any payment; another
 * customer's or merchant's method is the request's 400 naming `savedMethod`, nothing written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signPaymentLink } from '../src/merchant/link.ts';
import { signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import { formatAmount } from '../src/protocol/money.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';

const NOTIFY_KEY = 'notify-cabinet-key-0123456789';
const json = { accept: 'application/json' };

const link = (login: string, over: Partial<Parameters<typeof signPaymentLink>[0]> = {}) =>
  new URLSearchParams(signPaymentLink({ gateway: 'http://gateway.test', merchantLogin: login, secret: 'test', price: '100', payFor: '42', ...over }).query).toString();

for (const kind of storageKinds()) {
  describe(`a buyer's saved method on ${kind}`, () => {
    let t: TestGateway;
    let stub: MerchantStub;

    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { type: 'check' | 'pay'; pay_for: string };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, true, body.pay_for, 'test') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [
          merchant({ login: 'notify', apiKey: NOTIFY_KEY, notifications: true, apiUrl: stub.url, origins: [], savedMethods: { enabled: true } } as never),
          merchant({ login: 'other', apiKey: 'other-cabinet-key-0123456789', savedMethods: { enabled: true } } as never),
          merchant({ login: 'plain', apiKey: 'plain-cabinet-key-0123456789' }),
        ],
      });
    });
    after(async () => {
      await t.close();
      await stub.close();
    });

    const form = async (login: string, query: string) => {
      const r = await t.request(`/pay/${login}?${query}`, { headers: json });
      assert.equal(r.status, 200, await r.clone().text());
      return (await r.json()) as Record<string, any>;
    };
    async function create(login: string, query: string, body: Record<string, unknown>, key?: string) {
      const payload = await form(login, query);
      const res = await t.request('/api/v1/payments', {
        method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify({ token: payload.token, way: 'CRD', ...body }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    }
    async function markPaid(id: string) {
      const p = (await t.storage.getPayment(id))!;
      const body = JSON.stringify({ paymentId: id, outcome: 'paid', amount: formatAmount(p.amountMinor), ticker: p.wayTicker });
      const r = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) }, body });
      assert.equal(r.status, 200);
    }
    /** Pays with consent as `customer` of `login` and gives back the saved method. */
    async function saveCard(login: string, customer: string) {
      const c = await create(login, link(login, { customer, payFor: `save-${customer}` }), { saveMethod: true });
      assert.equal(c.status, 201, JSON.stringify(c.json));
      await markPaid(c.json.id);
      const list = await t.storage.savedMethodsOf(login, customer);
      assert.equal(list.length, 1);
      return list[0]!;
    }
    const checks = () => stub.requests.filter((r) => r.body.includes('"check"')).length;

    test('the form offers the customer\'s saved methods (id, way, last four digits; never the token), only to that customer of that merchant', async () => {
      const m = await saveCard('notify', 'b-1');
      const f = await form('notify', link('notify', { customer: 'b-1', payFor: 'b-1-next' }));
      assert.deepEqual(f.savedMethods, [{ id: m.id, way: 'CRD', last4: m.last4 }]);
      assert.ok(!JSON.stringify(f).includes(m.token), 'never the token');
      assert.equal((await form('notify', link('notify', { customer: 'b-2' }))).savedMethods, undefined, 'another customer');
      assert.equal((await form('notify', link('notify'))).savedMethods, undefined, 'no customer named');
      assert.equal((await form('other', link('other', { customer: 'b-1' }))).savedMethods, undefined, 'another merchant');
      const page = await (await t.request(`/pay/notify?${link('notify', { customer: 'b-1', payFor: 'b-1-page' })}`)).text();
      assert.match(page, new RegExp(`value="CRD:${m.id}" checked`), 'the hosted page offers it first, chosen');
      assert.match(page, /Карта •••• \d{4}/);
    });

    test('paying with a saved method: CHECK asked, paid at once with no action, one PAY, the method used', async () => {
      const m = await saveCard('notify', 'b-3');
      const before = checks();
      const q = link('notify', { customer: 'b-3', payFor: 'b-3-next', price: '250' });
      const quoted = (await form('notify', q)).ways.find((w: any) => w.code === 'CRD').amount as string;
      const r = await create('notify', q, { savedMethod: m.id });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.status, 'paid');
      assert.equal(r.json.action, null, 'nothing for the buyer to do');
      assert.equal(r.json.amount, quoted, 'the amount the form quoted for its way');
      assert.equal(checks(), before + 1, 'the buyer started it: CHECK is asked');
      const pays = (await t.storage.notificationsOf(r.json.id)).filter((n) => n.body.includes('"pay"'));
      assert.equal(pays.length, 1);
      assert.match(pays[0]!.body, /"pay_for":"b-3-next"/);
      assert.notEqual((await t.storage.savedMethodOf('notify', m.id))!.lastUsedAt, null);
      assert.equal(await t.storage.saveConsentOf(r.json.id), undefined, 'nothing saved again');
    });

    test('the same Idempotency-Key answers the same payment and charges once', async () => {
      const m = await saveCard('notify', 'b-4');
      const q = link('notify', { customer: 'b-4', payFor: 'b-4-next' });
      const a = await create('notify', q, { savedMethod: m.id }, 'b-4-key');
      const b = await create('notify', q, { savedMethod: m.id }, 'b-4-key');
      assert.deepEqual([a.status, b.status], [201, 201]);
      assert.equal(b.json.id, a.json.id);
      assert.equal(b.json.status, 'paid');
      assert.equal((await t.storage.listPayments({ merchantLogin: 'notify', payFor: 'b-4-next', limit: 5 })).length, 1);
    });

    test('3-D Secure asked: the answer carries the action for the buyer; a decline is the provider\'s refusal', async () => {
      const m = await saveCard('notify', 'b-5');
      const s = await create('notify', link('notify', { customer: 'b-5', payFor: 'b-5-3ds', price: '100.33' }), { savedMethod: m.id });
      assert.equal(s.status, 201, JSON.stringify(s.json));
      assert.equal(s.json.status, 'awaiting_payment');
      assert.equal(s.json.action.type, 'redirect');
      const d = await create('notify', link('notify', { customer: 'b-5', payFor: 'b-5-declined', price: '100.05' }), { savedMethod: m.id });
      assert.equal(d.status, 502, JSON.stringify(d.json));
      assert.equal(d.json.error.code, 'provider_error');
      assert.equal((await t.storage.getPayment(d.json.error.paymentId))!.status, 'failed');
    });

    test('another customer\'s, another merchant\'s or an unknown method, or another way: 400 naming savedMethod, nothing written', async () => {
      const m = await saveCard('notify', 'b-6');
      const theirs = await saveCard('other', 'b-6');
      const cases: [string, string, Record<string, unknown>][] = [
        ['notify', link('notify', { customer: 'b-7', payFor: 'x-1' }), { savedMethod: m.id }],
        ['notify', link('notify', { payFor: 'x-2' }), { savedMethod: m.id }],
        ['notify', link('notify', { customer: 'b-6', payFor: 'x-3' }), { savedMethod: theirs.id }],
        ['notify', link('notify', { customer: 'b-6', payFor: 'x-4' }), { savedMethod: 'pm_nosuchmethod000' }],
        ['notify', link('notify', { customer: 'b-6', payFor: 'x-5' }), { savedMethod: m.id, way: 'RUR' }],
        ['plain', link('plain', { customer: 'b-6', payFor: 'x-6' }), { savedMethod: m.id }],
      ];
      for (const [login, q, body] of cases) {
        const r = await create(login, q, body);
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.equal(r.json.error.field, 'savedMethod');
      }
      const both = await create('notify', link('notify', { customer: 'b-6', payFor: 'x-7' }), { savedMethod: m.id, saveMethod: true });
      assert.deepEqual([both.status, both.json.error.field], [400, 'saveMethod']);
      for (const payFor of ['x-1', 'x-2', 'x-3', 'x-4', 'x-5', 'x-6', 'x-7']) {
        assert.equal((await t.storage.listPayments({ merchantLogin: 'notify', payFor, limit: 5 })).length, 0, payFor);
      }
    });

    test('the hosted page\'s plain form pays with the saved card chosen (way CRD:pm_…)', async () => {
      const m = await saveCard('notify', 'b-8');
      const f = await form('notify', link('notify', { customer: 'b-8', payFor: 'b-8-page' }));
      const r = await t.request('/pay/notify/continue', {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: f.token, way: `CRD:${m.id}` }).toString(), redirect: 'manual',
      });
      assert.equal(r.status, 303, await r.clone().text());
      const [p] = await t.storage.listPayments({ merchantLogin: 'notify', payFor: 'b-8-page', limit: 1 });
      assert.equal(p?.status, 'paid');
      assert.equal(r.headers.get('location'), `/payments/${p!.id}`);
    });
  });
}
