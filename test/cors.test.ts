/**
 * CORS and origin checks of the buyer API through the real gateway handler: only the merchant's
 * `origins` (and the gateway's own) get `access-control-allow-origin`; any other browser origin is
 * refused with 403 origin_forbidden before anything is stored; servers (no Origin) are allowed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { merchant, startTestGateway, type TestGateway } from './helpers.ts';

const SHOP = 'https://shop.example';
const LINK = '/pay/shop?price=100&pay_for=cors-1';

describe('CORS on the buyer API', () => {
  let t: TestGateway;

  before(async () => {
    t = await startTestGateway({ merchants: [merchant(), merchant({ login: 'other', origins: ['https://other.example'] })] });
  });
  after(async () => {
    await t.close();
  });

  const count = async (): Promise<number> => (await t.storage.listPayments({ merchantLogin: 'shop', limit: 100 })).length;

  async function formPayload(origin?: string) {
    return t.request(LINK, { headers: { accept: 'application/json', ...(origin ? { origin } : {}) } });
  }

  async function token(): Promise<string> {
    const res = await formPayload();
    assert.equal(res.status, 200);
    return ((await res.json()) as { token: string }).token;
  }

  async function createPayment(origin?: string) {
    return t.request('/api/v1/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      body: JSON.stringify({ token: await token(), way: 'CRD' }),
    });
  }

  async function assertForbidden(res: Response): Promise<void> {
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'origin_forbidden');
  }

  const foreign = ['https://evil.example', 'https://shop.example.evil.example', 'http://shop.example', 'null', 'https://other.example'];

  describe('form payload (GET /pay/shop, Accept: application/json)', () => {
    test('the merchant\'s origin gets access-control-allow-origin and Vary: Origin', async () => {
      const res = await formPayload(SHOP);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), SHOP);
      assert.match(res.headers.get('vary') ?? '', /origin/i);
      assert.equal(typeof ((await res.json()) as { token: unknown }).token, 'string');
    });

    for (const origin of foreign) {
      test(`origin ${origin} is refused with 403 origin_forbidden`, async () => {
        await assertForbidden(await formPayload(origin));
      });
    }

    test('no Origin (server to server): answered, without CORS headers', async () => {
      const res = await formPayload();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    });

    test('the gateway\'s own origin (the hosted page) is allowed', async () => {
      const res = await formPayload('http://gateway.test');
      assert.equal(res.status, 200);
    });
  });

  describe('POST /api/v1/payments', () => {
    test('the merchant\'s origin: 201 with access-control-allow-origin', async () => {
      const before = await count();
      const res = await createPayment(SHOP);
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('access-control-allow-origin'), SHOP);
      assert.equal(await count(), before + 1);
    });

    for (const origin of foreign) {
      test(`origin ${origin}: 403 origin_forbidden and no payment is created`, async () => {
        const before = await count();
        await assertForbidden(await createPayment(origin));
        assert.equal(await count(), before);
      });
    }

    test('no Origin (server to server): 201 without CORS headers', async () => {
      const before = await count();
      const res = await createPayment();
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.equal(await count(), before + 1);
    });

    test('the no-JavaScript form post from another site is refused and creates no payment', async () => {
      const before = await count();
      const res = await t.request('/pay/shop/continue', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: new URLSearchParams({ token: await token(), way: 'CRD', idempotency_key: 'cors-nojs-1' }).toString(),
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.equal(await count(), before);
    });
  });

  describe('GET /api/v1/payments/:id', () => {
    let id: string;
    before(async () => {
      const res = await createPayment();
      id = ((await res.json()) as { id: string }).id;
    });

    test('the merchant\'s origin gets the status with access-control-allow-origin', async () => {
      const res = await t.request(`/api/v1/payments/${id}`, { headers: { origin: SHOP } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), SHOP);
      assert.equal(((await res.json()) as { status: string }).status, 'awaiting_payment');
    });

    for (const origin of foreign) {
      test(`origin ${origin} is refused with 403 origin_forbidden`, async () => {
        await assertForbidden(await t.request(`/api/v1/payments/${id}`, { headers: { origin } }));
        await assertForbidden(await t.request(`/api/v1/payments/${id}/events`, { headers: { origin } }));
      });
    }

    test('no Origin: answered without CORS headers', async () => {
      const res = await t.request(`/api/v1/payments/${id}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    });
  });

  describe('preflight', () => {
    for (const path of ['/api/v1/payments', LINK, '/api/v1/payments/pay_abcdefghijklmnop']) {
      test(`OPTIONS ${path.split('?')[0]} answers 204 with the methods and headers the element uses`, async () => {
        const res = await t.request(path, {
          method: 'OPTIONS',
          headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, idempotency-key' },
        });
        assert.equal(res.status, 204);
        assert.equal(await res.text(), '');
        assert.equal(res.headers.get('access-control-allow-origin'), SHOP);
        const methods = (res.headers.get('access-control-allow-methods') ?? '').toLowerCase();
        assert.ok(methods.includes('post') && methods.includes('get'), methods);
        const headers = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
        for (const h of ['content-type', 'idempotency-key']) assert.ok(headers.includes(h), headers);
      });
    }

    test('a preflight grants nothing by itself: the real request from a foreign origin is still refused', async () => {
      const pre = await t.request('/api/v1/payments', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      assert.equal(pre.status, 204);
      const before = await count();
      await assertForbidden(await createPayment('https://evil.example'));
      assert.equal(await count(), before);
    });
  });

  describe('the payment link as a page', () => {
    test('the hosted page\'s own no-JavaScript form post (same origin) creates the payment', async () => {
      // Browsers send `Origin: null` on form POSTs from a page with `Referrer-Policy: no-referrer`
      // (checked in Chromium), which the origin check would refuse: the page must use another policy.
      const page = await t.request(LINK);
      assert.equal(page.status, 200);
      assert.notEqual(page.headers.get('referrer-policy'), 'no-referrer');
      assert.match(page.headers.get('referrer-policy') ?? '', /^(same-origin|strict-origin|strict-origin-when-cross-origin|origin|origin-when-cross-origin)$/);
      const html = await page.text();
      const token = /name="token" value="([^"]+)"/.exec(html)![1]!;
      const before = await count();
      const res = await t.request('/pay/shop/continue', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://gateway.test' },
        body: new URLSearchParams({ token, way: 'CRD', idempotency_key: 'cors-nojs-same-origin' }).toString(),
      });
      assert.equal(res.status, 303);
      assert.equal(await count(), before + 1);
    });

    test('a classic Onpay module posting the link form from an unlisted shop site gets the hosted page', async () => {
      // Existing modules render <form method="post" action=".../pay/login">: the browser sends the
      // shop's Origin, which the merchant never had to list. The HTML page is not readable cross-origin.
      const res = await t.request('/pay/shop', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://unlisted-shop.example', accept: 'text/html' },
        body: 'pay_mode=fix&price=100&pay_for=module-1&ticker=RUR',
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.match(await res.text(), /name="token"/);
    });

    test('errors are readable by the element on an allowed page (expired form, bad input)', async () => {
      const form = (await (await t.request('/pay/shop?price=1&pay_for=cors-err', { headers: { accept: 'application/json', origin: 'https://shop.example' } })).json()) as { token: string };
      const bad = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://shop.example' }, body: JSON.stringify({ token: form.token, way: 'lower' }) });
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('access-control-allow-origin'), 'https://shop.example');
      assert.equal(((await bad.json()) as any).error.field, 'way');
      const invalid = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://shop.example' }, body: JSON.stringify({ token: 'x.y', way: 'CRD' }) });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.headers.get('access-control-allow-origin'), 'https://shop.example');
    });
  });
});
