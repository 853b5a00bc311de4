/**
 * Saved methods and merchant-initiated charges through the real gateway on real storage (SQLite and,
 * when available, PostgreSQL), with the sandbox's card (issue 26): the consent asked, stored and
 * required; nothing saved without it; the merchant's API; charges paid, declined, asking for 3-D
 * Secure, capped, charged once per Idempotency-Key; another merchant seeing nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signPaymentLink } from '../src/merchant/link.ts';
import { parseConfig } from '../src/server/config.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import { formatAmount } from '../src/protocol/money.ts';
import { consentText } from '../src/protocol/save-consent.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';

const SHOP_KEY = 'shop-cabinet-key-0123456789';
const OTHER_KEY = 'other-cabinet-key-0123456789';
const json = { accept: 'application/json' };

/** A link of `login` signed as the kit signs it, naming the shop's customer. */
const link = (login: string, over: Partial<Parameters<typeof signPaymentLink>[0]> = {}) =>
  new URLSearchParams(signPaymentLink({ gateway: 'http://gateway.test', merchantLogin: login, secret: 'test', price: '100', payFor: '42', ...over }).query).toString();

for (const kind of storageKinds()) {
  describe(`saved methods on ${kind}`, () => {
    let t: TestGateway;
    let stub: MerchantStub;

    before(async () => {
      // The shop's API URL: answers CHECK and PAY (API 2), and counts what it is sent.
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { type: 'check' | 'pay'; pay_for: string };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, true, body.pay_for, 'test') }));
      });
      t = await startTestGateway({
        kind,
        config: { rateLimits: { enabled: true, cabinetPerMerchant: { points: 300, durationS: 600 } } },
        merchants: [
          merchant({ login: 'notify', apiKey: 'notify-cabinet-key-0123456789', notifications: true, apiUrl: stub.url, origins: [], savedMethods: { enabled: true } } as never),
          merchant({ savedMethods: { enabled: true, maxChargeAmount: '1000.00' } } as never),
          merchant({ login: 'other', apiKey: OTHER_KEY, savedMethods: { enabled: true } } as never),
          merchant({ login: 'plain', apiKey: 'plain-cabinet-key-0123456789' }),
          merchant({ login: 'livemerchant', apiKey: 'live-cabinet-key-0123456789', mode: 'live', savedMethods: { enabled: true } } as never),
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
    async function create(login: string, query: string, body: Record<string, unknown> = {}) {
      const payload = await form(login, query);
      const res = await t.request('/api/v1/payments', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'CRD', ...body }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    }
    /** The sandbox card system reports the payment paid, as its page would. */
    async function markPaid(id: string) {
      const p = (await t.storage.getPayment(id))!;
      const body = JSON.stringify({ paymentId: id, outcome: 'paid', amount: formatAmount(p.amountMinor), ticker: p.wayTicker });
      const r = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) }, body });
      assert.equal(r.status, 200);
    }
    const methods = async (customer: string, key = SHOP_KEY) => {
      const r = await t.request(`/api/v1/customers/${encodeURIComponent(customer)}/methods`, { headers: { authorization: `Bearer ${key}` } });
      return { status: r.status, json: (await r.json()) as Record<string, any> };
    };
    const charge = async (body: Record<string, unknown>, key: string | undefined, apiKey = SHOP_KEY) => {
      const r = await t.request('/api/v1/charges', {
        method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body),
      });
      return { status: r.status, json: (await r.json()) as Record<string, any> };
    };
    /** Pays with consent as `customer` and gives back the saved method's id. */
    async function saveCard(customer: string): Promise<string> {
      const c = await create('shop', link('shop', { customer, payFor: `save-${customer}` }), { saveMethod: true });
      assert.equal(c.status, 201, JSON.stringify(c.json));
      await markPaid(c.json.id);
      const list = await methods(customer);
      assert.equal(list.json.methods.length, 1);
      return list.json.methods[0].id as string;
    }

    test('the form says which ways can save, and asks the consent only with a customer and the merchant\'s savedMethods on', async () => {
      const p = await form('shop', link('shop', { customer: 'c-1' }));
      assert.equal(p.saveMethod, 'optional');
      assert.equal(p.ways.find((w: any) => w.code === 'CRD').canSave, true);
      assert.equal(p.ways.find((w: any) => w.code === 'RUR').canSave, false);
      assert.equal(p.ways.find((w: any) => w.code === 'USD').canSave, false, 'charges are in roubles');
      const required = await form('shop', link('shop', { customer: 'c-1', saveMethod: 'required' }));
      assert.equal(required.saveMethod, 'required');
      for (const [login, q] of [['shop', link('shop')], ['plain', link('plain', { customer: 'c-1' })]] as const) {
        const f = await form(login, q);
        assert.equal(f.saveMethod, undefined);
        assert.ok(f.ways.every((w: any) => !('canSave' in w)), 'no canSave where nothing can be saved');
      }
    });

    test('a consent stored with its words, time and address saves the card; the answer never carries the token', async () => {
      const c = await create('shop', link('shop', { customer: 'c-2', payFor: 'o-2' }), { saveMethod: true });
      assert.equal(c.status, 201);
      const consent = await t.storage.saveConsentOf(c.json.id);
      assert.deepEqual({ ...consent, at: typeof consent?.at }, {
        paymentId: c.json.id, merchantLogin: 'shop', customer: 'c-2', text: consentText('ru', 'optional'), kind: 'optional', address: null, at: 'number',
      });
      assert.equal((await methods('c-2')).json.methods.length, 0, 'nothing saved before the money');
      await markPaid(c.json.id);
      await markPaid(c.json.id); // a repeated report saves nothing more
      const list = await methods('c-2');
      assert.equal(list.status, 200);
      assert.equal(list.json.methods.length, 1);
      const m = list.json.methods[0];
      assert.match(m.id, /^pm_/);
      assert.deepEqual({ provider: m.provider, way: m.way, card: m.card, lastUsedAt: m.lastUsedAt }, {
        provider: 'sandbox', way: 'CRD', card: { first6: '424242', last4: '4242', expiry: '12/30' }, lastUsedAt: null,
      });
      assert.ok(!JSON.stringify(list.json).includes('sbx.'), 'no token in the answer');
    });

    test('nothing is saved without the consent', async () => {
      const c = await create('shop', link('shop', { customer: 'c-3', payFor: 'o-3' }));
      assert.equal(c.status, 201);
      await markPaid(c.json.id);
      assert.equal(await t.storage.saveConsentOf(c.json.id), undefined);
      assert.deepEqual((await methods('c-3')).json, { methods: [] });
    });

    test('saveMethod where it cannot be honoured, or missing where the link requires it, is a 400 naming saveMethod and makes no payment', async () => {
      const before = (await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 })).length;
      const cases: [string, string, Record<string, unknown>][] = [
        ['shop', link('shop'), { saveMethod: true }],
        ['plain', link('plain', { customer: 'c-4' }), { saveMethod: true }],
        ['shop', link('shop', { customer: 'c-4' }), { saveMethod: true, way: 'RUR' }],
        ['shop', link('shop', { customer: 'c-4', saveMethod: 'required' }), {}],
        ['shop', link('shop', { customer: 'c-4', saveMethod: 'required' }), { saveMethod: false }],
        ['shop', link('shop', { customer: 'c-4' }), { saveMethod: 'yes' }],
      ];
      for (const [login, q, body] of cases) {
        const r = await create(login, q, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.error.field, 'saveMethod', JSON.stringify(r.json));
      }
      assert.equal((await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 })).length, before);
      const ok = await create('shop', link('shop', { customer: 'c-4', saveMethod: 'required', payFor: 'o-4' }), { saveMethod: true });
      assert.equal(ok.status, 201);
      assert.equal((await t.storage.saveConsentOf(ok.json.id))?.kind, 'required');
    });

    test('a charge is paid with its PAY, and the same Idempotency-Key charges once', async () => {
      const id = await saveCard('c-5');
      const body = { customer: 'c-5', method: id, amount: '499.00', ticker: 'RUR', payFor: 'sub-5-1' };
      const first = await charge(body, 'k-5-1');
      assert.equal(first.status, 201, JSON.stringify(first.json));
      assert.equal(first.json.status, 'paid');
      assert.equal(first.json.amount, '499.0');
      const again = await charge(body, 'k-5-1');
      assert.equal(again.status, 200);
      assert.equal(again.json.id, first.json.id);
      const charged = (await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'sub-5-1', limit: 10 }));
      assert.equal(charged.length, 1, 'one payment for one key');
      const other = await charge({ ...body, amount: '500.00' }, 'k-5-1');
      assert.equal(other.status, 409);
      assert.equal(other.json.error.field, 'Idempotency-Key');
      assert.notEqual((await methods('c-5')).json.methods[0].lastUsedAt, null);
    });

    test('two requests at once with one Idempotency-Key make one payment', async () => {
      const id = await saveCard('c-11');
      const body = { customer: 'c-11', method: id, amount: '12.00', ticker: 'RUR', payFor: 'p-11' };
      const answers = await Promise.all([charge(body, 'k-11'), charge(body, 'k-11'), charge(body, 'k-11')]);
      const statuses = answers.map((a) => a.status).sort();
      assert.ok(statuses.filter((x) => x === 201).length === 1, JSON.stringify(statuses));
      assert.ok(statuses.every((x) => x === 201 || x === 200 || x === 409), JSON.stringify(statuses));
      assert.equal((await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'p-11', limit: 10 })).length, 1);
      const later = await charge(body, 'k-11');
      assert.equal(later.status, 200);
      assert.equal(later.json.status, 'paid');
    });

    test('a charge cut off between the provider\'s answer and its record: a minute on, the same key asks the provider and is paid, never charged twice, one PAY', async () => {
      const payload = await form('notify', link('notify', { customer: 'n-12', payFor: 'n-12-first' }));
      const c = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'CRD', saveMethod: true }) });
      const first = (await c.json()) as { id: string };
      await markPaid(first.id);
      const method = (await methods('n-12', 'notify-cabinet-key-0123456789')).json.methods[0].id as string;
      const body = { customer: 'n-12', method, amount: '21.00', ticker: 'RUR', payFor: 'n-12-sub' };
      // The process dies after the charge is marked waiting and before the provider's `paid` is applied.
      const real = t.storage.getPayment.bind(t.storage);
      let armed = true;
      t.storage.getPayment = async (id: string) => {
        const p = await real(id);
        if (armed && p?.payFor === 'n-12-sub' && p.status === 'awaiting_payment') {
          armed = false;
          throw new Error('the process died here');
        }
        return p;
      };
      try {
        assert.equal((await charge(body, 'k-12', 'notify-cabinet-key-0123456789')).status, 500);
      } finally {
        t.storage.getPayment = real;
      }
      const [cut] = await t.storage.listPayments({ merchantLogin: 'notify', payFor: 'n-12-sub', limit: 5 });
      assert.deepEqual([cut?.status, cut?.action], ['awaiting_payment', null]);
      const soon = await charge(body, 'k-12', 'notify-cabinet-key-0123456789');
      assert.deepEqual([soon.status, soon.json.status], [200, 'awaiting_payment'], 'within the minute it may still be under way');
      t.clock.advance(60_000);
      const resumed = await charge(body, 'k-12', 'notify-cabinet-key-0123456789');
      assert.deepEqual([resumed.status, resumed.json.id, resumed.json.status], [200, cut!.id, 'paid']);
      const again = await charge(body, 'k-12', 'notify-cabinet-key-0123456789');
      assert.deepEqual([again.status, again.json.status], [200, 'paid']);
      assert.equal((await t.storage.listPayments({ merchantLogin: 'notify', payFor: 'n-12-sub', limit: 5 })).length, 1);
      assert.equal((await t.storage.notificationsOf(cut!.id)).filter((n) => n.body.includes('"pay"')).length, 1, 'one PAY');
    });

    test('a declined charge fails with the reason; 3-D Secure leaves it awaiting the buyer with a link', async () => {
      const id = await saveCard('c-6');
      const poor = await charge({ customer: 'c-6', method: id, amount: '10.51', ticker: 'RUR', payFor: 'p-6' }, 'k-6-1');
      assert.equal(poor.status, 201);
      assert.deepEqual([poor.json.status, poor.json.reason], ['failed', 'insufficient_funds']);
      const declined = await charge({ customer: 'c-6', method: id, amount: '10.05', ticker: 'RUR', payFor: 'p-6' }, 'k-6-2');
      assert.deepEqual([declined.json.status, declined.json.reason], ['failed', 'declined']);
      const ds = await charge({ customer: 'c-6', method: id, amount: '10.33', ticker: 'RUR', payFor: 'p-6' }, 'k-6-3');
      assert.equal(ds.json.status, 'awaiting_payment');
      assert.equal(ds.json.action.type, 'redirect');
      assert.equal(ds.json.action.url, `http://gateway.test/sandbox/card/${ds.json.id}`);
    });

    test('charges above savedMethods.maxChargeAmount, and bad input, are 4xx naming the field; nothing is charged', async () => {
      const id = await saveCard('c-7');
      const base = { customer: 'c-7', method: id, amount: '10.00', ticker: 'RUR', payFor: 'p-7' };
      const cases: [Record<string, unknown>, string | undefined, number, string][] = [
        [{ ...base, amount: '1000.01' }, 'k-7-1', 422, 'amount'],
        [{ ...base, amount: '1.234' }, 'k-7-2', 400, 'amount'],
        [{ ...base, amount: 10 }, 'k-7-3', 400, 'amount'],
        [{ ...base, ticker: 'USD' }, 'k-7-4', 400, 'ticker'],
        [{ ...base, method: 'pm_nosuchmethod000' }, 'k-7-5', 404, 'method'],
        [{ ...base, customer: 'c-6' }, 'k-7-6', 404, 'method'],
        [{ ...base, extra: 1 }, 'k-7-7', 400, 'extra'],
        [{ ...base, receipt: { taxation: 'osn', items: [] } }, 'k-7-8', 400, 'receipt.items'],
        [{ ...base, receipt: { taxation: 'osn', customer: {}, items: [{ name: 'Подписка', price: '10.00', quantity: '1', amount: '10.00', vat: 'none', paymentMethod: 'full_payment', paymentObject: 'service' }] } }, 'k-7-9', 400, 'receipt.customer'],
        [base, undefined, 400, 'Idempotency-Key'],
      ];
      for (const [body, key, status, field] of cases) {
        const r = await charge(body, key);
        assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error.field, field, JSON.stringify(r.json));
      }
      assert.equal((await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'p-7', limit: 10 })).length, 0);
      const noKey = await t.request('/api/v1/charges', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(base) });
      assert.equal(noKey.status, 401);
    });

    test('a customer\'s methods are invisible to another merchant, and removing one stops its charges', async () => {
      const id = await saveCard('c-8');
      assert.deepEqual((await methods('c-8', OTHER_KEY)).json, { methods: [] });
      const foreign = await charge({ customer: 'c-8', method: id, amount: '10.00', ticker: 'RUR', payFor: 'x' }, 'k-8-1', OTHER_KEY);
      assert.equal(foreign.status, 404);
      const del = (key: string) => t.request(`/api/v1/customers/c-8/methods/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
      assert.equal((await del(OTHER_KEY)).status, 404);
      const removed = await del(SHOP_KEY);
      assert.equal(removed.status, 200);
      assert.deepEqual(await removed.json(), { id, removed: true, revokedAtProvider: true });
      assert.deepEqual((await methods('c-8')).json, { methods: [] });
      assert.equal((await del(SHOP_KEY)).status, 404);
      const after = await charge({ customer: 'c-8', method: id, amount: '10.00', ticker: 'RUR', payFor: 'x' }, 'k-8-2');
      assert.equal(after.status, 404);
    });

    test('the hosted page asks with an unticked box (the condition stated for required); its no-JS form stores the consent', async () => {
      const page = await (await t.request(`/pay/shop?${link('shop', { customer: 'c-10', payFor: 'o-10' })}`)).text();
      assert.match(page, /<input type="checkbox" name="save_consent" value="1"> Сохранить карту для следующих оплат/);
      assert.doesNotMatch(page, /name="save_consent" value="1" checked/);
      const required = await (await t.request(`/pay/shop?${link('shop', { customer: 'c-10', payFor: 'o-10', saveMethod: 'required' })}`)).text();
      assert.ok(required.includes(consentText('ru', 'required')), 'the condition is shown');
      const plain = await (await t.request(`/pay/shop?${link('shop', { payFor: 'o-10' })}`)).text();
      assert.doesNotMatch(plain, /save_consent/);
      const post = async (fields: Record<string, string>) => {
        const payload = await form('shop', link('shop', { customer: 'c-10', payFor: `o-10-${fields.way}-${fields.save_consent ?? 'none'}` }));
        const r = await t.request('/pay/shop/continue', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: payload.token, ...fields }).toString() });
        assert.equal(r.status, 303, await r.clone().text());
        const list = await t.storage.listPayments({ merchantLogin: 'shop', payFor: `o-10-${fields.way}-${fields.save_consent ?? 'none'}`, limit: 1 });
        return t.storage.saveConsentOf(list[0]!.id);
      };
      assert.equal((await post({ way: 'CRD', save_consent: '1' }))?.kind, 'optional');
      assert.equal(await post({ way: 'CRD' }), undefined, 'no box ticked, no consent');
      assert.equal(await post({ way: 'RUR', save_consent: '1' }), undefined, 'a way that cannot save ignores the box');
    });

    test('a charge gets its PAY as any payment, and no CHECK', async () => {
      const payload = await form('notify', link('notify', { customer: 'n-1', payFor: 'n-first' }));
      const c = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'CRD', saveMethod: true }) });
      const created = (await c.json()) as { id: string };
      assert.equal(c.status, 201, JSON.stringify(created));
      await markPaid(created.id);
      const list = await methods('n-1', 'notify-cabinet-key-0123456789');
      const checksBefore = stub.requests.filter((r) => r.body.includes('"check"')).length;
      const r = await charge({ customer: 'n-1', method: list.json.methods[0].id, amount: '77.00', ticker: 'RUR', payFor: 'n-sub-1' }, 'n-k-1', 'notify-cabinet-key-0123456789');
      assert.equal(r.json.status, 'paid');
      assert.equal(stub.requests.filter((q) => q.body.includes('"check"')).length, checksBefore, 'no CHECK for a charge');
      const pays = (await t.storage.notificationsOf(r.json.id)).filter((n) => n.body.includes('"pay"'));
      assert.equal(pays.length, 1, 'one PAY in the outbox');
      assert.match(pays[0]!.body, /"pay_for":"n-sub-1"/);
    });

    test('a live merchant\'s money never moves through the sandbox: its sandbox method is refused, nothing charged', async () => {
      const first = (await t.storage.createPayment({
        id: 'pay_livesandbox000001', merchantLogin: 'livemerchant', payFor: 'l-1', mode: 'fix', priceMinor: 100n, ticker: 'RUR', convert: false, priceFinal: true,
        note: '', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: '', userPhone: '', extraParams: {}, way: 'CRD', wayTicker: 'RUR', amountMinor: 100n,
        feeMinor: 0n, balanceMinor: 100n, balanceTicker: 'RUR', rate: '1', status: 'created', idempotencyKey: null, requestHash: null, expiresAt: null,
        createdAt: t.clock.now(), updatedAt: t.clock.now(), providerId: 'sandbox',
      })).payment;
      await t.storage.keepSavedMethod({ id: 'pm_livesandbox00001', merchantLogin: 'livemerchant', customer: 'l-1', providerId: 'sandbox', way: 'CRD', token: 'sbx.x', first6: null, last4: null, expiry: null, sourcePaymentId: first.id, createdAt: t.clock.now(), lastUsedAt: null });
      const r = await charge({ customer: 'l-1', method: 'pm_livesandbox00001', amount: '10.00', ticker: 'RUR', payFor: 'l-2' }, 'k-live', 'live-cabinet-key-0123456789');
      assert.equal(r.status, 403);
      assert.deepEqual([r.json.error.code, r.json.error.field], ['live_merchant', 'method']);
      assert.equal((await t.storage.listPayments({ merchantLogin: 'livemerchant', payFor: 'l-2', limit: 5 })).length, 0);
    });

    test('a merchant without savedMethods cannot charge', async () => {
      const r = await charge({ customer: 'c-9', method: 'pm_nosuchmethod000', amount: '10.00', ticker: 'RUR', payFor: 'x' }, 'k-9', 'plain-cabinet-key-0123456789');
      assert.equal(r.status, 403);
      assert.equal(r.json.error.field, 'savedMethods');
    });
    test('the merchant\'s rate limit applies to charges and methods', async () => {
      let limited = 0;
      for (let i = 0; i < 305 && limited === 0; i++) {
        const r = await t.request('/api/v1/customers/x/methods', { headers: { authorization: 'Bearer plain-cabinet-key-0123456789' } });
        if (r.status === 429) limited++;
      }
      assert.equal(limited, 1, 'refused once the merchant\'s 300 calls are spent');
      const r = await charge({ customer: 'x', method: 'pm_nosuchmethod000', amount: '1.00', ticker: 'RUR', payFor: 'x' }, 'k-rl', 'plain-cabinet-key-0123456789');
      assert.equal(r.status, 429);
    });
  });
}

describe('the savedMethods configuration key', () => {
  const base = { secret: TEST_SECRET, merchants: [] as unknown[] };
  const withSaved = (savedMethods: unknown) => ({ ...base, merchants: [{ login: 'myshop', name: 'S', secret: '0123456789abcdef0', savedMethods }] });

  test('parsed, printable as JSON, and in minor units on the merchant', () => {
    const config = parseConfig(withSaved({ enabled: true, maxChargeAmount: '15000.50' }));
    assert.match(JSON.stringify(config), /"maxChargeAmount":"15000.50"/, 'the configuration prints (no bigint in it)');
    assert.deepEqual(merchantFromConfig(config.merchants[0]!).savedMethods, { enabled: true, maxChargeMinor: 1500050n });
    assert.equal(merchantFromConfig(parseConfig(withSaved(undefined)).merchants[0]!).savedMethods, null);
  });

  test('a bad value stops the start naming the key', () => {
    for (const [value, path] of [
      [{ enabled: true, maxChargeAmount: '0.00' }, 'merchants.0.savedMethods.maxChargeAmount'],
      [{ enabled: true, maxChargeAmount: 100 }, 'merchants.0.savedMethods.maxChargeAmount'],
      [{ enabled: true, maxChargeAmount: '1.234' }, 'merchants.0.savedMethods.maxChargeAmount'],
      [{ enabled: 'yes' }, 'merchants.0.savedMethods.enabled'],
      [{ enabled: true, retry: 1 }, 'merchants.0.savedMethods'],
    ] as const) {
      assert.throws(() => parseConfig(withSaved(value)), (e: Error) => e.message.includes(path), JSON.stringify(value));
    }
  });
});
