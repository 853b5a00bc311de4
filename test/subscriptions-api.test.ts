/**
 * The subscriptions' API on real storage (SQLite and, when available, PostgreSQL): created, read,
 * listed, changed and cancelled with the merchant's key; every bad input a 400 naming the field
 * that creates or changes nothing; another merchant's subscription a 404.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../src/server/config.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { openTestStorage, storageKinds, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';
import { api, OTHER_KEY, saveCard, startShop, startSubscriptionGateway } from './subscriptions-fixtures.ts';

for (const kind of storageKinds()) {
  describe(`subscriptions' API on ${kind}`, () => {
    let t: TestGateway;
    let shop: MerchantStub;
    let method: string;
    const start = () => new Date(t.clock.now() + 3_600_000).toISOString();
    const valid = () => ({ customer: 'c-1', method, amount: '499.00', ticker: 'RUR', interval: 'month', every: 1, startAt: start(), payFor: 'sub-c1-{period}' });

    before(async () => {
      shop = await startShop();
      t = await startSubscriptionGateway(kind, shop);
      method = await saveCard(t, 'shop', 'c-1');
    });
    after(async () => {
      await t.close();
      await shop.close();
    });

    test('a subscription is created active, read, listed by customer, and invisible to another merchant', async () => {
      const c = await api(t, 'POST', '/api/v1/subscriptions', { ...valid(), maxPeriods: 12, startAt: '2026-12-31T09:00:00+03:00' });
      assert.equal(c.status, 201, JSON.stringify(c.json));
      assert.match(c.json.id, /^sub_/);
      assert.deepEqual({ ...c.json, id: undefined, createdAt: undefined, updatedAt: undefined }, {
        id: undefined, status: 'active', customer: 'c-1', method, amount: '499.0', ticker: 'RUR', interval: 'month', every: 1,
        startAt: '2026-12-31T06:00:00.000Z', maxPeriods: 12, payFor: 'sub-c1-{period}', period: 1, nextChargeAt: '2026-12-31T06:00:00.000Z',
        retry: null, lastPaymentId: null, createdAt: undefined, updatedAt: undefined,
      });
      const got = await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`);
      assert.deepEqual(got, { status: 200, json: c.json });
      const list = await api(t, 'GET', '/api/v1/subscriptions?customer=c-1');
      assert.ok(list.json.subscriptions.some((s: any) => s.id === c.json.id));
      assert.deepEqual((await api(t, 'GET', '/api/v1/subscriptions?customer=nobody')).json, { subscriptions: [] });
      for (const [m, body] of [['GET', undefined], ['PATCH', { amount: '1.00' }], ['DELETE', undefined]] as const) {
        const r = await api(t, m, `/api/v1/subscriptions/${c.json.id}`, body, OTHER_KEY);
        assert.equal(r.status, 404, `${m} by another merchant`);
        assert.equal(r.json.error.field, 'id');
      }
      assert.deepEqual((await api(t, 'GET', '/api/v1/subscriptions', undefined, OTHER_KEY)).json, { subscriptions: [] });
      assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${c.json.id}`)).json.amount, '499.0', 'another merchant changed nothing');
    });

    test('every bad input is a 400 naming the field, and creates nothing', async () => {
      const before = (await api(t, 'GET', '/api/v1/subscriptions')).json.subscriptions.length;
      const past = new Date(t.clock.now() - 3_600_000).toISOString();
      const cases: [Record<string, unknown>, string][] = [
        [{ customer: undefined }, 'customer'],
        [{ customer: 'a\u0001b' }, 'customer'],
        [{ method: 'card-1' }, 'method'],
        [{ amount: 499 }, 'amount'],
        [{ amount: '4.999' }, 'amount'],
        [{ amount: '0.00' }, 'amount'],
        [{ ticker: 'USD' }, 'ticker'],
        [{ interval: 'hour' }, 'interval'],
        [{ every: 0 }, 'every'],
        [{ every: 1.5 }, 'every'],
        [{ every: 13 }, 'every'],
        [{ interval: 'year', every: 6 }, 'every'],
        [{ startAt: 'tomorrow' }, 'startAt'],
        [{ startAt: '2027-01-01T09:00:00' }, 'startAt'],
        [{ startAt: past }, 'startAt'],
        [{ maxPeriods: 0 }, 'maxPeriods'],
        [{ payFor: 'the same order every time' }, 'payFor'],
        [{ payFor: `${'x'.repeat(95)}{period}` }, 'payFor'],
        [{ receipt: { items: 'none' } }, 'receipt'],
      ];
      for (const [over, field] of cases) {
        const r = await api(t, 'POST', '/api/v1/subscriptions', { ...valid(), ...over });
        assert.equal(r.status, 400, `${JSON.stringify(over)}: ${JSON.stringify(r.json)}`);
        assert.ok(r.json.error.field === field || r.json.error.field?.startsWith(`${field}.`), `${JSON.stringify(over)} names ${r.json.error.field}`);
      }
      const unknown = await api(t, 'POST', '/api/v1/subscriptions', { ...valid(), colour: 'red' });
      assert.equal(unknown.status, 400);
      assert.match(JSON.stringify(unknown.json.error), /colour/);
      assert.equal((await api(t, 'POST', '/api/v1/subscriptions', '{"customer":')).status, 400);
      // Another customer's method, or one of another merchant: as unknown as none.
      const theirs = await api(t, 'POST', '/api/v1/subscriptions', { ...valid(), customer: 'c-2' });
      assert.deepEqual([theirs.status, theirs.json.error.field], [404, 'method']);
      const foreign = await api(t, 'POST', '/api/v1/subscriptions', valid(), OTHER_KEY);
      assert.deepEqual([foreign.status, foreign.json.error.field], [404, 'method']);
      assert.equal((await api(t, 'GET', '/api/v1/subscriptions')).json.subscriptions.length, before, 'nothing created');
      assert.equal((await api(t, 'GET', '/api/v1/subscriptions?customer=%01')).status, 400);
      const noKey = await t.request('/api/v1/subscriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(valid()) });
      assert.equal(noKey.status, 401);
    });

    test('PATCH changes the amount and the next date (later periods count from it); bad changes are 400s naming the field', async () => {
      const c = await api(t, 'POST', '/api/v1/subscriptions', valid());
      const url = `/api/v1/subscriptions/${c.json.id}`;
      for (const [body, field] of [[{}, 'amount'], [{ amount: '-1' }, 'amount'], [{ nextChargeAt: 'soon' }, 'nextChargeAt'],
        [{ nextChargeAt: new Date(t.clock.now() - 86_400_000).toISOString() }, 'nextChargeAt'], [{ status: 'active' }, 'status']] as const) {
        const r = await api(t, 'PATCH', url, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.ok(JSON.stringify(r.json.error).includes(field), `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      }
      assert.deepEqual((await api(t, 'GET', url)).json, c.json, 'nothing changed');
      const p = await api(t, 'PATCH', url, { amount: '550.50', nextChargeAt: '2027-01-31T10:00:00Z' });
      assert.equal(p.status, 200, JSON.stringify(p.json));
      assert.deepEqual([p.json.amount, p.json.nextChargeAt, p.json.period], ['550.5', '2027-01-31T10:00:00.000Z', 1]);
      assert.equal((await api(t, 'PATCH', `/api/v1/subscriptions/sub_nosuchsubscription0`, { amount: '1.00' })).status, 404);
    });

    test('random bodies are never a 5xx: each refusal names a field, and only 201s create', async () => {
      const before = (await api(t, 'GET', '/api/v1/subscriptions')).json.subscriptions.length;
      let created = 0;
      const field = <T>(good: T) => fc.oneof(fc.constant(good), fc.constant(undefined), fc.anything());
      await fc.assert(fc.asyncProperty(fc.record({
        customer: field('c-1'), method: field(method), amount: fc.oneof(fc.constant('10.00'), fc.string(), fc.anything()), ticker: field('RUR'),
        interval: fc.oneof(fc.constantFrom('day', 'week', 'month', 'year'), fc.anything()), every: fc.oneof(fc.integer({ min: -5, max: 400 }), fc.anything()),
        startAt: fc.oneof(fc.constant(start()), fc.string(), fc.anything()), maxPeriods: fc.oneof(fc.constant(undefined), fc.integer(), fc.anything()),
        payFor: fc.oneof(fc.constant('f-{period}'), fc.string()), receipt: fc.oneof(fc.constant(undefined), fc.anything()),
      }), async (body) => {
        const r = await api(t, 'POST', '/api/v1/subscriptions', body);
        assert.ok(r.status < 500, `${r.status} for ${JSON.stringify(body)}`);
        if (r.status === 201) created++;
        else assert.equal(typeof r.json.error.field, 'string', JSON.stringify(r.json));
      }), { numRuns: 120 });
      assert.equal((await api(t, 'GET', '/api/v1/subscriptions')).json.subscriptions.length, before + created);
    });

    test('DELETE cancels: GET then shows cancelled, a second DELETE answers the same, a PATCH is refused', async () => {
      const c = await api(t, 'POST', '/api/v1/subscriptions', valid());
      const url = `/api/v1/subscriptions/${c.json.id}`;
      const d = await api(t, 'DELETE', url);
      assert.deepEqual([d.status, d.json.status, d.json.nextChargeAt], [200, 'cancelled', null]);
      assert.equal((await api(t, 'GET', url)).json.status, 'cancelled');
      assert.equal((await api(t, 'DELETE', url)).json.status, 'cancelled');
      const p = await api(t, 'PATCH', url, { amount: '1.00' });
      assert.deepEqual([p.status, p.json.error.field], [409, 'status']);
      assert.equal((await api(t, 'DELETE', '/api/v1/subscriptions/not-an-id')).status, 404);
    });
  });
}

describe('the savedMethods.retrySchedule configuration key', () => {
  const withSaved = (savedMethods: unknown) => ({ secret: TEST_SECRET, merchants: [{ login: 'myshop', name: 'S', secret: '0123456789abcdef0', savedMethods }] });

  test('whole days, kept on the merchant and through storage', async () => {
    const m = merchantFromConfig(parseConfig(withSaved({ enabled: true, retrySchedule: [2, 4] })).merchants[0]!);
    assert.deepEqual(m.savedMethods, { enabled: true, retryScheduleDays: [2, 4] });
    const ts = await openTestStorage();
    try {
      await ts.storage.upsertMerchant(m, 0);
      assert.deepEqual((await ts.storage.getMerchant('myshop'))?.savedMethods, { enabled: true, retryScheduleDays: [2, 4] });
    } finally {
      await ts.close();
    }
  });

  test('a bad schedule stops the start naming the key', () => {
    for (const value of [[0], [1.5], [3, 1], ['P1D'], [61], Array.from({ length: 11 }, (_, i) => i + 1)]) {
      assert.throws(() => parseConfig(withSaved({ enabled: true, retrySchedule: value })), (e: Error) => e.message.includes('merchants.0.savedMethods.retrySchedule'), JSON.stringify(value));
    }
  });
});
