/**
 * The customer's subscription page (issue 26 item 4): opened by the shop's signed, expiring link with
 * no account, in every language the pages speak, with a cancel button that posts the same signed
 * query; a forged, borrowed or expired link opens nothing and cancels nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LANGUAGES } from '../src/protocol/languages.ts';
import { PAGE_STRINGS } from '../src/server/pages/page-strings.ts';
import { storageKinds, type MerchantStub, type TestGateway } from './helpers.ts';
import { api, OTHER_KEY, saveCard, startShop, startSubscriptionGateway } from './subscriptions-fixtures.ts';

const DAY = 86_400_000;

for (const kind of storageKinds()) {
  describe(`the customer's subscription page on ${kind}`, () => {
    let t: TestGateway;
    let shop: MerchantStub;
    let id: string;
    let other: string;

    before(async () => {
      shop = await startShop();
      t = await startSubscriptionGateway(kind, shop);
      const method = await saveCard(t, 'shop', 'p-1');
      const body = { customer: 'p-1', method, amount: '299.00', ticker: 'RUR', interval: 'week', every: 2, startAt: new Date(t.clock.now() + DAY).toISOString(), payFor: 'p1-{period}' };
      id = (await api(t, 'POST', '/api/v1/subscriptions', body)).json.id as string;
      other = (await api(t, 'POST', '/api/v1/subscriptions', body)).json.id as string;
    });
    after(async () => {
      await t.close();
      await shop.close();
    });

    const link = async (sub: string, body: unknown = { ln: 'ru' }) => api(t, 'POST', `/api/v1/subscriptions/${sub}/manage-link`, body);
    const path = (url: string) => url.replace('http://gateway.test', '');

    test('the shop gets a signed link that lasts the days it asks (30 by default); bad requests name the field', async () => {
      const r = await link(id);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.match(r.json.url, new RegExp(`^http://gateway\\.test/subscriptions/${id}/manage\\?exp=\\d+&ln=ru&sig=[0-9a-f]{64}$`));
      assert.equal(Date.parse(r.json.expiresAt), Math.floor(t.clock.now() / 1000) * 1000 + 30 * DAY);
      assert.equal(Date.parse((await link(id, { days: 2 })).json.expiresAt), Math.floor(t.clock.now() / 1000) * 1000 + 2 * DAY);
      assert.equal((await api(t, 'POST', `/api/v1/subscriptions/${id}/manage-link`)).status, 201, 'no body: the defaults');
      for (const [body, field] of [[{ days: 0 }, 'days'], [{ days: 91 }, 'days'], [{ ln: 'fr' }, 'ln'], [{ colour: 1 }, 'colour']] as const) {
        const bad = await link(id, body);
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.ok(JSON.stringify(bad.json.error).includes(field), JSON.stringify(bad.json));
      }
      assert.equal((await api(t, 'POST', `/api/v1/subscriptions/${id}/manage-link`, {}, OTHER_KEY)).status, 404, 'another merchant\'s');
    });

    test('the page shows the shop, amount, period, next charge and card, with a cancel button, in every language', async () => {
      for (const ln of LANGUAGES) {
        const url = path((await link(id, { ln })).json.url as string);
        const r = await t.request(url);
        assert.equal(r.status, 200, ln);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        const page = await r.text();
        const s = PAGE_STRINGS[ln];
        assert.match(page, new RegExp(`<html lang="${ln}">`));
        for (const text of [s.subTitle, s.subAmount, s.subEvery, s.subNext, s.subCancel, s.subActive]) assert.ok(page.includes(text), `${ln}: ${text}`);
        assert.ok(page.includes('Test shop') && page.includes('299.0 RUR') && page.includes('•••• 4242'), ln);
        assert.ok(page.includes(new Intl.NumberFormat(ln, { style: 'unit', unit: 'week', unitDisplay: 'long' }).format(2)), `${ln}: the period`);
        assert.ok(!/<script(?![^>]*src=)/.test(page), 'no inline script');
      }
      const ru = await (await t.request(path((await link(id)).json.url as string))).text();
      assert.ok(ru.includes('2 недели'), 'Russian plural by Intl');
    });

    test('a forged, borrowed or expired link opens nothing and cancels nothing', async () => {
      const url = path((await link(id, { ln: 'en', days: 1 })).json.url as string);
      const forged = url.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
      const borrowed = url.replace(id, other);
      for (const bad of [forged, borrowed, url.replace(/&sig=.*/, ''), url.replace(/exp=\d+/, 'exp=99999999999'), `/subscriptions/not-an-id/manage?exp=1&ln=en&sig=x`]) {
        const r = await t.request(bad);
        assert.equal(r.status, 403, bad);
        assert.ok((await r.text()).includes(PAGE_STRINGS.en.subInvalid));
        const post = await t.request(bad, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=cancel' });
        assert.equal(post.status, 403);
      }
      t.clock.advance(DAY + 1000);
      const expired = await t.request(url);
      assert.equal(expired.status, 410);
      assert.ok((await expired.text()).includes(PAGE_STRINGS.en.subExpired));
      assert.equal((await t.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=cancel' })).status, 410);
      for (const sub of [id, other]) assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${sub}`)).json.status, 'active', 'nothing cancelled');
    });

    test('the cancel button cancels: the page says so and the merchant\'s API shows cancelled', async () => {
      const url = path((await link(other, { ln: 'de' })).json.url as string);
      const page = await (await t.request(url)).text();
      const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
      assert.equal(action, url, 'the form posts the same signed address');
      const missing = await t.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      assert.equal(missing.status, 400, 'no action: nothing done');
      assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${other}`)).json.status, 'active');
      const r = await t.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=cancel' });
      assert.equal(r.status, 200);
      const done = await r.text();
      assert.ok(done.includes(PAGE_STRINGS.de.subCancelDone) && done.includes(PAGE_STRINGS.de.subCancelled));
      assert.ok(!done.includes('<form'), 'no cancel button on a cancelled subscription');
      assert.equal((await api(t, 'GET', `/api/v1/subscriptions/${other}`)).json.status, 'cancelled');
    });
  });
}

// That the page's words are in every language, none empty or left in English: pages-every-language.test.ts
// (its `sub…` keys in PAGE_STRINGS).
