/**
 * The cabinet's daily-work API through the gateway's handler (SQLite, and PostgreSQL with
 * TEST_DATABASE_URL): page sessions and the CSRF defence (tests try to get around it), bearer keys
 * for scripts, the overview, search, CSV export, the timeline with the exact CHECK bytes, the
 * integration tester, the link builder, settings and both rotations — and, on every new endpoint,
 * one merchant never seeing or changing another's data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { createMerchantHandler } from '../src/merchant/index.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, type MerchantStub, type TestGateway } from './helpers.ts';

const SHOP_KEY = 'shop-cabinet-key-0123456789';
const OTHER_KEY = 'other-cabinet-key-9876543210';
const GW = 'http://gateway.test';
type Json = Record<string, any>;

for (const kind of storageKinds()) {
  describe(`cabinet daily-work API (${kind})`, () => {
    let t: TestGateway;
    let stub: MerchantStub;
    let otherStub: MerchantStub;
    /** The key the shop's API signs its answers with (changes with the K rotation test). */
    let shopAnswerKey = 'test';
    const ids: string[] = [];

    before(async () => {
      // The shop's API is the merchant kit: it passes the integration matrix and accepts CHECKs.
      stub = await startMerchantStub(async (req, res) => {
        const handler = createMerchantHandler({ secret: shopAnswerKey, onCheck: () => true, onPay: () => {} });
        const r = await handler(new Request('http://shop/api', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, body: req.body }));
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(await r.text());
      });
      otherStub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { pay_for: string; type: string };
        res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type === 'pay' ? 'pay' : 'check', true, body.pay_for, 'other-k') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [
          merchant({ login: 'shop', apiKey: SHOP_KEY, notifications: true, apiUrl: stub.url }),
          merchant({ login: 'other', name: 'Other shop', secret: 'other-k', apiKey: OTHER_KEY, notifications: true, apiUrl: otherStub.url }),
        ],
      });
      for (const [login, payFor, email] of [['shop', 'A-1', 'anna@example.com'], ['shop', 'A-2', ''], ['other', 'A-1', 'anna@example.com']] as const) {
        const form = await t.request(`/pay/${login}?price=100.0&pay_for=${payFor}&user_email=${encodeURIComponent(email)}`, { headers: { accept: 'application/json' } });
        const { token } = (await form.json()) as { token: string };
        const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) });
        assert.equal(res.status, 201, await res.clone().text());
        ids.push(((await res.json()) as { id: string }).id);
      }
      assert.equal((await t.request(`/api/v1/sandbox/payments/${ids[0]}/pay`, { method: 'POST' })).status, 200);
      assert.equal((await t.request(`/api/v1/sandbox/payments/${ids[2]}/pay`, { method: 'POST' })).status, 200);
    });
    after(async () => {
      await t?.close();
      await stub?.close();
      await otherStub?.close();
    });

    const bearer = (key = SHOP_KEY) => ({ authorization: `Bearer ${key}` });
    const call = (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) => t.request(`/api/v1/cabinet${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    });
    const json = async (res: Response, status: number): Promise<Json> => {
      const text = await res.text();
      assert.equal(res.status, status, text);
      return JSON.parse(text) as Json;
    };

    async function signIn(key = SHOP_KEY): Promise<{ cookie: string; csrf: string; setCookie: string }> {
      const res = await call('/session', { method: 'POST', body: { key }, headers: { origin: GW, 'sec-fetch-site': 'same-origin' } });
      const setCookie = res.headers.get('set-cookie') ?? '';
      const body = await json(res, 200);
      return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken as string, setCookie };
    }

    describe('sign-in, sessions and CSRF', () => {
      test('signs in with the key once: an HttpOnly SameSite=Strict cookie, and the session answers', async () => {
        const s = await signIn();
        assert.match(s.setCookie, /^onpay_cabinet=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/, 'no Secure over plain http');
        assert.ok(!s.setCookie.includes(SHOP_KEY));
        const me = await json(await call('/session', { headers: { cookie: s.cookie } }), 200);
        assert.equal(me.login, 'shop');
        assert.equal(me.csrfToken, s.csrf);
        assert.equal((await json(await call('/me', { headers: { cookie: s.cookie } }), 200)).login, 'shop');
      });

      test('a wrong key signs nobody in, with the usual 401', async () => {
        const res = await call('/session', { method: 'POST', body: { key: 'wrong-key-000000000000' }, headers: { origin: GW } });
        assert.equal(res.status, 401);
        assert.equal(res.headers.get('set-cookie'), null);
      });

      test('sign-in from another origin or site, or as a form, is refused', async () => {
        assert.equal((await call('/session', { method: 'POST', body: { key: SHOP_KEY }, headers: { origin: 'https://evil.example' } })).status, 403);
        assert.equal((await call('/session', { method: 'POST', body: { key: SHOP_KEY }, headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
        const form = await t.request('/api/v1/cabinet/session', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: GW }, body: `key=${SHOP_KEY}` });
        assert.equal(form.status, 415);
      });

      const attempts: [string, (s: { cookie: string; csrf: string }, other: { csrf: string }) => Record<string, string>][] = [
        ['no CSRF token', (s) => ({ cookie: s.cookie })],
        ['a wrong CSRF token', (s) => ({ cookie: s.cookie, 'x-csrf-token': `${s.csrf}A` })],
        ['another session\'s CSRF token', (s, o) => ({ cookie: s.cookie, 'x-csrf-token': o.csrf })],
        ['the right token from another origin', (s) => ({ cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'https://evil.example' })],
        ['the right token from another site', (s) => ({ cookie: s.cookie, 'x-csrf-token': s.csrf, 'sec-fetch-site': 'same-site' })],
        ['the token in the cookie header instead', (s) => ({ cookie: `${s.cookie}; x-csrf-token=${s.csrf}` })],
      ];
      for (const [name, headers] of attempts) {
        test(`a state change with the cookie and ${name} is refused and changes nothing`, async () => {
          const s = await signIn();
          const o = await signIn();
          const before = (await t.storage.getMerchant('shop'))!;
          for (const [method, path, body] of [
            ['PATCH', '/settings', { apiUrl: 'https://evil.example/steal' }],
            ['POST', '/settings/secret', { graceHours: 0 }],
            ['POST', '/settings/cabinet-key', {}],
            ['POST', `/payments/${ids[1]}/status`, { status: 'paid', reason: 'csrf' }],
            ['DELETE', '/session', undefined],
          ] as const) {
            const res = await call(path, { method, headers: headers(s, o), ...(body !== undefined ? { body } : {}) });
            assert.equal(res.status, 403, `${method} ${path}: ${await res.text()}`);
          }
          const afterwards = (await t.storage.getMerchant('shop'))!;
          assert.deepEqual(afterwards, before);
          assert.equal((await t.storage.getPayment(ids[1]!))!.status, 'awaiting_payment');
        });
      }

      test('with the session\'s token from the page\'s origin a change goes through', async () => {
        const s = await signIn();
        const r = await call('/settings', { method: 'PATCH', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: GW, 'sec-fetch-site': 'same-origin' }, body: { origins: ['https://shop.example', 'https://m.shop.example'] } });
        assert.deepEqual((await json(r, 200)).origins, ['https://shop.example', 'https://m.shop.example']);
      });

      test('bearer keys still work for scripts, without a CSRF token', async () => {
        const r = await call('/links', { method: 'POST', headers: bearer(), body: { price: '10', payFor: 'script-1' } });
        assert.equal(r.status, 201);
      });

      test('sign-out ends the session on the server', async () => {
        const s = await signIn();
        const out = await call('/session', { method: 'DELETE', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: GW } });
        assert.equal(out.status, 204);
        assert.match(out.headers.get('set-cookie')!, /^onpay_cabinet=; .*Max-Age=0/);
        assert.equal((await call('/me', { headers: { cookie: s.cookie } })).status, 401);
      });

      test('a forged or unknown cookie is a 401', async () => {
        assert.equal((await call('/me', { headers: { cookie: 'onpay_cabinet=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status, 401);
        assert.equal((await call('/me', { headers: { cookie: 'onpay_cabinet=../../etc' } })).status, 401);
      });
    });

    describe('one merchant never reaches another\'s data', () => {
      test('summary', async () => {
        const a = await json(await call('/summary', { headers: bearer() }), 200);
        const b = await json(await call('/summary', { headers: bearer(OTHER_KEY) }), 200);
        assert.equal(a.conversion.created, 2);
        assert.equal(b.conversion.created, 1);
        assert.deepEqual(b.turnover.totals, [{ ticker: 'RUR', amount: '100.0', count: 1 }]);
      });

      test('search', async () => {
        assert.deepEqual((await json(await call(`/payments?q=${ids[2]}`, { headers: bearer() }), 200)).payments, []);
        const mine = await json(await call('/payments?q=anna%40example.com', { headers: bearer() }), 200);
        assert.deepEqual(mine.payments.map((p: Json) => p.id), [ids[0]]);
      });

      test('export', async () => {
        const text = await (await call('/payments.csv', { headers: bearer() })).text();
        assert.ok(text.includes(ids[0]!) && text.includes(ids[1]!));
        assert.ok(!text.includes(ids[2]!));
      });

      test('payment and its timeline', async () => {
        assert.equal((await call(`/payments/${ids[2]}`, { headers: bearer() })).status, 404);
      });

      test('integration test: always the key\'s own API URL and K', async () => {
        const before = otherStub.requests.length;
        const r = await json(await call('/integration-test', { method: 'POST', headers: bearer() }), 200);
        assert.equal(r.url, stub.url);
        assert.equal(otherStub.requests.length, before);
      });

      test('links: signed with the key\'s own login and K', async () => {
        const r = await json(await call('/links', { method: 'POST', headers: bearer(OTHER_KEY), body: { price: '100', payFor: '123' } }), 201);
        assert.ok(r.url.startsWith('http://gateway.test/pay/other?'));
        assert.notEqual(r.md5, '1206be51154e8521f9a17344ab6fca4d', 'not the shop\'s K (test)');
      });

      test('settings and rotations change only the key\'s merchant', async () => {
        const before = (await t.storage.getMerchant('shop'))!;
        await json(await call('/settings', { method: 'PATCH', headers: bearer(OTHER_KEY), body: { apiType: 1 } }), 200);
        await json(await call('/settings/secret', { method: 'POST', headers: bearer(OTHER_KEY), body: { graceHours: 1 } }), 201);
        const shopView = await json(await call('/settings', { headers: bearer() }), 200);
        assert.equal(shopView.apiType, 2);
        assert.ok(!shopView.audit.some((a: Json) => a.action === 'rotate_secret'));
        assert.deepEqual((await t.storage.getMerchant('shop'))!.secret, before.secret);
      });
    });

    describe('overview, search and export over HTTP', () => {
      test('the summary has the chart\'s series, statuses and health; bad parameters are named', async () => {
        const o = await json(await call('/summary?tz=180', { headers: bearer() }), 200);
        assert.equal(o.turnover.days.length, 30);
        assert.equal(o.offsetMinutes, 180);
        assert.equal(o.statuses.paid, 1);
        for (const [q, field] of [['tz=abc', 'tz'], ['tz=900', 'tz'], ['from=yesterday', 'from'], ['from=2026-01-01&to=2027-06-01', 'to'], ['bogus=1', 'bogus']]) {
          assert.equal((await json(await call(`/summary?${q}`, { headers: bearer() }), 400)).error.field, field, q);
        }
      });

      test('search filters are validated and named', async () => {
        for (const [q, field] of [['id=nope', 'id'], ['amount=1e5', 'amount'], ['way=CARD', 'way'], ['q=%00', 'q'], ['status=paid&status=failed', 'status']]) {
          assert.equal((await json(await call(`/payments?${q}`, { headers: bearer() }), 400)).error.field, field, q);
        }
        assert.equal((await json(await call('/payments?amount=102&way=crd', { headers: bearer() }), 200)).payments.length, 2);
      });

      test('CSV: UTF-8 with a BOM by default, attachment, no-store', async () => {
        const res = await call('/payments.csv?status=paid', { headers: bearer() });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
        assert.match(res.headers.get('content-disposition')!, /^attachment; filename="payments-shop-\d{4}-\d\d-\d\d\.csv"$/);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        const bytes = Buffer.from(await res.arrayBuffer());
        assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
        assert.equal(bytes.toString('utf8').split('\r\n').length, 3);
      });

      test('CSV: windows-1251 and ; on request; bad options named', async () => {
        const res = await call('/payments.csv?encoding=windows-1251&separator=%3B', { headers: bearer() });
        assert.equal(res.headers.get('content-type'), 'text/csv; charset=windows-1251');
        const text = iconv.decode(Buffer.from(await res.arrayBuffer()), 'win1251');
        assert.match(text, /^number;id;created_at;/);
        assert.equal((await json(await call('/payments.csv?encoding=koi8-r', { headers: bearer() }), 400)).error.field, 'encoding');
        assert.equal((await json(await call('/payments.csv?separator=tab', { headers: bearer() }), 400)).error.field, 'separator');
        assert.equal((await json(await call('/payments.csv?cursor=5', { headers: bearer() }), 400)).error.field, 'cursor');
      });

      test('the payment\'s timeline has the exact CHECK request the shop received and its answer', async () => {
        const p = await json(await call(`/payments/${ids[1]}`, { headers: bearer() }), 200);
        const req = p.timeline.find((e: Json) => e.kind === 'check_request');
        const answer = p.timeline.find((e: Json) => e.kind === 'check_answer');
        const received = stub.requests.find((r) => r.body.includes('"pay_for":"A-2"'))!;
        assert.equal(req.bytes.body, received.body);
        assert.equal(answer.verdict, 'accepted');
        assert.equal(answer.bytes.httpStatus, 200);
        assert.equal(p.timeline[0].kind, 'created');
      });
    });

    describe('refunds from the page', () => {
      test('a partial refund with the session cookie and its CSRF token; refused without the token or for another merchant', async () => {
        const s = await signIn();
        const page = { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: GW, 'sec-fetch-site': 'same-origin' };
        const body = { amount: '40.0', reason: 'Вернули часть заказа' };
        assert.equal((await call(`/payments/${ids[0]}/refunds`, { method: 'POST', headers: { cookie: s.cookie, origin: GW }, body })).status, 403, 'no CSRF token');
        assert.equal((await call(`/payments/${ids[0]}/refunds`, { method: 'POST', headers: bearer(OTHER_KEY), body })).status, 404, 'another merchant\'s payment');
        const r = await json(await call(`/payments/${ids[0]}/refunds`, { method: 'POST', headers: { ...page, 'idempotency-key': 'page-refund-1' }, body }), 201);
        assert.equal(r.payment.status, 'partially_refunded');
        const list = await json(await call(`/payments/${ids[0]}/refunds`, { headers: { cookie: s.cookie } }), 200);
        assert.equal(list.refunds.length, 1);
        const item = (await json(await call(`/payments?id=${ids[0]}`, { headers: bearer() }), 200)).payments[0];
        assert.equal(item.refunded, '40.0');
        const detail = await json(await call(`/payments/${ids[0]}`, { headers: bearer() }), 200);
        assert.match(detail.timeline.find((e: Json) => e.kind === 'refund').summary, /refund of 40\.0 RUR .*Вернули часть заказа/);
        const csv = await (await call(`/payments.csv?id=${ids[0]}`, { headers: bearer() })).text();
        assert.match(csv.split('\r\n')[1]!, /,102\.0,RUR,40\.0,/);
        const summary = await json(await call('/summary', { headers: bearer() }), 200);
        assert.equal(summary.statuses.partially_refunded, 1);
        assert.equal(summary.conversion.paid, 1, 'a refunded payment still counts as paid');
      });
    });

    describe('integration test, links, settings', () => {
      test('the integration test passes against the kit, with every case\'s bytes', async () => {
        const r = await json(await call('/integration-test', { method: 'POST', headers: bearer(), body: { actor: 'Анна' } }), 200);
        assert.equal(r.passed, true, JSON.stringify(r.cases, null, 2));
        assert.equal(r.cases.length, 6);
        for (const c of r.cases) assert.ok(c.request.body.length > 0 && c.answer.httpStatus !== null && c.answer.body.length > 0, c.name);
        const audit = (await json(await call('/settings', { headers: bearer() }), 200)).audit;
        assert.equal(audit[0].action, 'integration_test');
        assert.equal(audit[0].actor, 'shop (Анна)');
      });

      test('the integration test without an API URL is a 409', async () => {
        await json(await call('/settings', { method: 'PATCH', headers: bearer(OTHER_KEY), body: { notifications: false, apiUrl: null } }), 200);
        assert.equal((await json(await call('/integration-test', { method: 'POST', headers: bearer(OTHER_KEY) }), 409)).error.field, 'apiUrl');
      });

      test('the link builder refuses bad input naming the field', async () => {
        for (const [body, field] of [[{ payFor: '1' }, 'price'], [{ price: 'ten', payFor: '1' }, 'price'], [{ price: '1', payFor: '' }, 'payFor'], [{ price: '1', payFor: '1', urlSuccess: 'javascript:alert(1)' }, 'urlSuccess'], [{ price: '1', payFor: '1', secret: 'x' }, 'secret']] as const) {
          assert.equal((await json(await call('/links', { method: 'POST', headers: bearer(), body }), 400)).error.field, field, JSON.stringify(body));
        }
      });

      test('the link builder holds a link to the gateway\'s rules, naming the field, and signs nothing it would refuse or rewrite', async () => {
        const refused = async (body: Json, field: string, says: RegExp) => {
          const r = await json(await call('/links', { method: 'POST', headers: bearer(), body }), 400);
          assert.equal(r.error.field, field, JSON.stringify(body));
          assert.match(r.error.message, says, JSON.stringify(r));
        };
        // shop's origins are https://shop.example: a return URL elsewhere is refused at pay time.
        await refused({ price: '100', payFor: 'lb-1', urlSuccess: 'https://evil.example/ok' }, 'urlSuccess', /^urlSuccess: not one of this merchant's return URLs/);
        await refused({ price: '100', payFor: 'lb-1', urlFail: 'https://evil.example/fail' }, 'urlFail', /return URLs/);
        await refused({ price: '100', payFor: 'lb-1', ticker: 'XYZ' }, 'ticker', /XYZ is not accepted/);
        await refused({ price: '100', payFor: 'lb-1', oneWay: 'ZZZ' }, 'oneWay', /no payment system ZZZ/);
        await refused({ price: '0.01', payFor: 'lb-1', oneWay: 'USD' }, 'oneWay', /cannot take this price/);
        const ok = await json(await call('/links', { method: 'POST', headers: bearer(), body: { price: '100', payFor: 'lb-1', urlSuccess: 'https://shop.example/ok', oneWay: 'CRD', priceFinal: true } }), 201);
        assert.match(ok.url, /price_final=true/);
        const m = (await t.storage.getMerchant('shop'))!;
        try {
          // A merchant whose fee policy is "buyer": price_final=true would be ignored by the gateway.
          await t.storage.upsertMerchant({ ...m, fees: 'buyer' }, t.clock.now());
          await refused({ price: '100', payFor: 'lb-2', priceFinal: true }, 'priceFinal', /fee policy/);
          assert.equal((await call('/links', { method: 'POST', headers: bearer(), body: { price: '100', payFor: 'lb-2' } })).status, 201);
          // A live merchant may not use a sandbox way: the gateway refuses one_way=CRD for it.
          await t.storage.upsertMerchant({ ...m, mode: 'live' }, t.clock.now());
          await refused({ price: '100', payFor: 'lb-3', oneWay: 'CRD' }, 'oneWay', /sandbox/);
        } finally {
          await t.storage.upsertMerchant(m, t.clock.now());
        }
      });

      test('settings refuse bad values naming the field', async () => {
        for (const [body, field] of [[{ apiType: 3 }, 'apiType'], [{ apiUrl: 'ftp://x' }, 'apiUrl'], [{ origins: ['https://a.example/path'] }, 'origins.0'], [{ notifyStyle: 'soap' }, 'notifyStyle'], [{ secret: 'x' }, 'secret']] as const) {
          assert.equal((await json(await call('/settings', { method: 'PATCH', headers: bearer(), body }), 400)).error.field, field, JSON.stringify(body));
        }
      });

      test('a rotated K: CHECK answers signed with the old K pass in the grace period, not after', async () => {
        const r = await json(await call('/settings/secret', { method: 'POST', headers: bearer(), body: { graceHours: 2 } }), 201);
        assert.ok(typeof r.secret === 'string' && r.secret.length >= 24);
        // The shop has not deployed the new K yet: it still answers with "test".
        const pay = async () => {
          const form = await t.request('/pay/shop?price=5.0&pay_for=K-rot', { headers: { accept: 'application/json' } });
          const { token } = (await form.json()) as { token: string };
          return t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) });
        };
        // The kit checks the request signature with its own K, so for this test it answers for any request.
        shopAnswerKey = 'test';
        stub.handle((req, res) => {
          const b = JSON.parse(req.body) as { pay_for: string };
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ status: true, pay_for: b.pay_for, signature: api2AnswerSignature('check', true, b.pay_for, 'test') }));
        });
        assert.equal((await pay()).status, 201, 'accepted with the previous K');
        // A link the shop still signs with the previous K (its md5 checks on): accepted in the grace period.
        await t.storage.upsertMerchant({ ...(await t.storage.getMerchant('shop'))!, checkLinkMd5: true }, t.clock.now());
        const oldMd5 = '1206be51154e8521f9a17344ab6fca4d'; // fix;100.0;RUR;123;yes;test (PROTOCOL.md §2)
        const link = () => t.request(`/pay/shop?price=100.0&pay_for=123&md5=${oldMd5}`, { headers: { accept: 'application/json' } });
        assert.equal((await link()).status, 200);
        t.clock.advance(3 * 3_600_000);
        assert.equal((await link()).status, 403, 'the old K\'s link md5 is refused once the grace period is over');
        await t.storage.upsertMerchant({ ...(await t.storage.getMerchant('shop'))!, checkLinkMd5: false }, t.clock.now());
        assert.equal((await pay()).status, 424, 'refused once the grace period is over');
        // The CHECK itself was signed with the new K at once.
        const last = JSON.parse(stub.requests.at(-1)!.body) as { signature: string };
        assert.ok(last.signature.length === 40);
      });

      test('a rotated cabinet key: shown once, the old key and other sessions stop, this session stays', async () => {
        const here = await signIn();
        const elsewhere = await signIn();
        const r = await json(await call('/settings/cabinet-key', { method: 'POST', headers: { cookie: here.cookie, 'x-csrf-token': here.csrf, origin: GW }, body: {} }), 201);
        assert.match(r.apiKey, /^ck_/);
        assert.equal((await call('/me', { headers: bearer() })).status, 401, 'the old key');
        assert.equal((await call('/me', { headers: bearer(r.apiKey) })).status, 200, 'the new key');
        assert.equal((await call('/me', { headers: { cookie: elsewhere.cookie } })).status, 401, 'another session');
        assert.equal((await call('/me', { headers: { cookie: here.cookie } })).status, 200, 'this session');
        assert.ok(!JSON.stringify(await json(await call('/settings', { headers: bearer(r.apiKey) }), 200)).includes(r.apiKey), 'shown once only');
      });
    });
  });
}

describe('sign-in under the rate limits', () => {
  /** What @hono/node-server passes as `env`: the connection, whose peer address is `address`. */
  const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

  test('repeated wrong keys at sign-in and forged session cookies are slowed down per address', async () => {
    const t = await startTestGateway({ merchants: [merchant({ login: 'shop', apiKey: SHOP_KEY })] });
    try {
      const signIn = (key: string, address: string) => t.gateway.fetch(new Request(`${GW}/api/v1/cabinet/session`, {
        method: 'POST', headers: { 'content-type': 'application/json', origin: GW }, body: JSON.stringify({ key }),
      }), from(address));
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await signIn(`wrong-key-${i}-0123456789abcdef`, '198.51.100.9')).status);
      assert.ok(statuses.includes(401) && statuses.at(-1) === 429, statuses.join(','));
      assert.equal((await signIn(SHOP_KEY, '198.51.100.9')).status, 429, 'the right key from there too, for a while');
      assert.equal((await signIn(SHOP_KEY, '198.51.100.10')).status, 200, 'another address is not');
      const forged: number[] = [];
      for (let i = 0; i < 40; i++) {
        forged.push((await t.gateway.fetch(new Request(`${GW}/api/v1/cabinet/me`, { headers: { cookie: `onpay_cabinet=${'A'.repeat(30)}${i}` } }), from('198.51.100.11'))).status);
      }
      assert.equal(forged.at(-1), 429, forged.join(','));
    } finally {
      await t.close();
    }
  });
});
