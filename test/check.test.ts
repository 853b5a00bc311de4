/**
 * CHECK against real merchant stubs on loopback, through the real gateway handler: API 1 (form
 * request, XML answer; POST and GET) and API 2 (JSON). Every expected signature is recomputed here
 * from the PROTOCOL.md formulas, never with the code under test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  merchant, startMerchantStub, startTestGateway,
  type MerchantStub, type StubRequest, type TestGateway,
} from './helpers.ts';

const K = 'test';
const md5U = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();
const sha1L = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex');
const jsonAccept = { accept: 'application/json' };

/** What the stub received, as fields, whatever the API type and method. */
function fieldsOf(r: StubRequest): Record<string, unknown> {
  if (r.method === 'GET') return Object.fromEntries(new URL(r.url, 'http://x').searchParams);
  if ((r.headers['content-type'] ?? '').startsWith('application/json')) return JSON.parse(r.body) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(r.body));
}

/** An API 1 CHECK answer signed over what the request carried. */
function xmlAnswer(r: StubRequest, code: string, comment = 'OK', key = K): string {
  const f = fieldsOf(r) as Record<string, string>;
  const md5 = md5U(`check;${f.pay_for};${f.order_amount};${f.order_currency};${code};${key}`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<result><code>${code}</code><pay_for>${f.pay_for}</pay_for><comment>${comment}</comment><md5>${md5}</md5></result>`;
}

/** An API 2 CHECK answer. */
function jsonAnswer(r: StubRequest, status: boolean | string, comment?: string, key = K): string {
  const f = fieldsOf(r) as Record<string, string>;
  const signature = sha1L(`check;${String(status)};${f.pay_for};${key}`);
  return JSON.stringify({ status, pay_for: f.pay_for, signature, ...(comment !== undefined ? { comment } : {}) });
}

const send = (res: ServerResponse, body: string, status = 200, type = 'text/xml; charset=utf-8'): void => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
};

type Api = 'api1' | 'api1get' | 'api2';
const APIS: Api[] = ['api1', 'api1get', 'api2'];

/** A CHECK answer saying yes, in the API type of the request. */
function yes(api: Api) {
  return (r: StubRequest, res: ServerResponse) => (api === 'api2'
    ? send(res, jsonAnswer(r, true), 200, 'application/json')
    : send(res, xmlAnswer(r, '0')));
}

/** Asserts the CHECK request matches PROTOCOL.md §3 byte for byte where it matters. */
function assertCheckRequest(api: Api, r: StubRequest, want: { payFor: string; amount: string; ticker: string; mode: 'fix' | 'free' }): Record<string, unknown> {
  assert.equal(new URL(r.url, 'http://x').pathname, '/api');
  if (api === 'api2') {
    assert.equal(r.method, 'POST');
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    // The amount is a JSON number written with its canonical text (`100.0`, never `100`).
    assert.ok(r.body.includes(`"amount":${want.amount},`), `amount written as ${want.amount}: ${r.body}`);
    const f = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(f.type, 'check');
    assert.equal(f.pay_for, want.payFor);
    assert.equal(f.way, want.ticker);
    assert.equal(f.mode, want.mode);
    assert.equal(f.signature, sha1L(`check;${want.payFor};${want.amount};${want.ticker};${want.mode};${K}`));
    return f;
  }
  let f: URLSearchParams;
  if (api === 'api1get') {
    assert.equal(r.method, 'GET');
    assert.equal(r.body, '');
    f = new URL(r.url, 'http://x').searchParams;
  } else {
    assert.equal(r.method, 'POST');
    assert.match(r.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
    f = new URLSearchParams(r.body);
  }
  assert.equal(f.get('type'), 'check');
  assert.equal(f.get('pay_for'), want.payFor);
  assert.equal(f.get('amount'), want.amount);
  assert.equal(f.get('order_amount'), want.amount);
  assert.equal(f.get('order_currency'), want.ticker);
  assert.equal(f.get('md5'), md5U(`check;${want.payFor};${want.amount};${want.ticker};${K}`));
  return Object.fromEntries(f);
}

describe('CHECK against real merchant stubs', () => {
  let t: TestGateway;
  let stub: MerchantStub;
  let other: MerchantStub;

  before(async () => {
    stub = await startMerchantStub();
    other = await startMerchantStub();
    t = await startTestGateway({
      merchants: [
        merchant({ login: 'api1', notifications: true, apiUrl: stub.url, apiType: 1, apiMethod: 'POST' }),
        merchant({ login: 'api1get', notifications: true, apiUrl: stub.url, apiType: 1, apiMethod: 'GET' }),
        merchant({ login: 'api2', notifications: true, apiUrl: stub.url, apiType: 2 }),
        merchant({ login: 'quiet', notifications: false, apiUrl: other.url, apiType: 2 }),
      ],
    });
  });
  after(async () => {
    await t.close();
    await stub.close();
    await other.close();
  });

  /** Form payload of a link, then POST /api/v1/payments. */
  async function pay(login: string, query: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const form = await t.request(`/pay/${login}?${query}`, { headers: jsonAccept });
    assert.equal(form.status, 200, await form.clone().text());
    const payload = (await form.json()) as { token: string };
    const post = () => t.request('/api/v1/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ token: payload.token, way: 'CRD', ...body }),
    });
    const res = await post();
    return { res, json: (await res.json()) as Record<string, any>, post };
  }

  /** Runs one CHECK and returns the answer, the stored payment and the one request the stub saw. */
  async function checkOnce(api: Api, handler: (r: StubRequest, res: ServerResponse) => void | Promise<void>, query = 'price=100&pay_for=order-1') {
    stub.handle(handler);
    const seen = stub.requests.length;
    const { res, json } = await pay(api, query);
    assert.equal(stub.requests.length, seen + 1, 'exactly one CHECK request reached the merchant');
    const req = stub.requests[seen]!;
    const id = (json.id ?? json.error?.paymentId) as string;
    assert.ok(id, `the answer names the payment: ${JSON.stringify(json)}`);
    const stored = await t.storage.getPayment(id);
    assert.ok(stored);
    return { res, json, req, stored };
  }

  test('the test\'s own signature formulas reproduce the PROTOCOL.md vectors', () => {
    assert.equal(sha1L('check;55446;500.0;RUR;fix;test'), '37eacbf65fa2982be8e2f82d1cb6aef23bf88aa0');
    assert.equal(sha1L('check;true;55446;test'), 'f6f250cd7d29ac9947ed97ddaeebb7934849d21e');
    assert.equal(md5U('check;123;100.0;RUR;test'), 'F71F90E82A92C1C603A8C246D002925C');
    assert.equal(md5U('check;123;100.0;RUR;0;test'), '0058B92D7B7E3C5227E8E1BDA720BEF5');
  });

  for (const api of APIS) {
    describe(`${api === 'api2' ? 'API 2 (JSON)' : api === 'api1' ? 'API 1 (POST form, XML)' : 'API 1 (GET query, XML)'}`, () => {
      test('accepted CHECK: 201, awaiting_payment, the request has the protocol fields and signature', async () => {
        const { res, json, req, stored } = await checkOnce(api, yes(api), 'price=100&pay_for=order-ok&user_email=buyer@example.com');
        assert.equal(res.status, 201, JSON.stringify(json));
        assert.equal(json.status, 'awaiting_payment');
        assert.equal(stored.status, 'awaiting_payment');
        const f = assertCheckRequest(api, req, { payFor: 'order-ok', amount: '100.0', ticker: 'RUR', mode: 'fix' });
        assert.equal(f.user_email, 'buyer@example.com');
      });

      test('declined CHECK: 422 check_declined with the merchant\'s comment; the payment is rejected', async () => {
        const comment = 'Товар закончился';
        const { res, json, req, stored } = await checkOnce(api, (r, out) => (api === 'api2'
          ? send(out, jsonAnswer(r, false, comment), 200, 'application/json')
          : send(out, xmlAnswer(r, '2', comment))));
        assert.equal(res.status, 422);
        assert.equal(json.error.code, 'check_declined');
        assert.equal(json.error.comment, comment);
        assert.equal(stored.status, 'rejected');
        assert.equal(stored.statusReason, `check_declined: ${comment}`);
        assertCheckRequest(api, req, { payFor: 'order-1', amount: '100.0', ticker: 'RUR', mode: 'fix' });
      });

      test('an answer with a bad signature fails CHECK (424), even when it says yes', async () => {
        const { res, json, stored } = await checkOnce(api, (r, out) => (api === 'api2'
          ? send(out, jsonAnswer(r, true, undefined, 'wrong-key'), 200, 'application/json')
          : send(out, xmlAnswer(r, '0', 'OK', 'wrong-key'))));
        assert.equal(res.status, 424);
        assert.equal(json.error.code, 'check_failed');
        assert.equal(stored.status, 'rejected');
        assert.match(stored.statusReason, /^check_failed: bad answer signature/);
        assert.match(json.error.reason, /^bad answer signature/);
      });

      test('a forged decline (bad signature) is a failure, not a decline', async () => {
        const { res, json } = await checkOnce(api, (r, out) => (api === 'api2'
          ? send(out, jsonAnswer(r, false, 'forged', 'wrong-key'), 200, 'application/json')
          : send(out, xmlAnswer(r, '2', 'forged', 'wrong-key'))));
        assert.equal(res.status, 424);
        assert.equal(json.error.code, 'check_failed');
        assert.equal(json.error.comment, undefined);
      });

      test('a garbage body fails CHECK (424)', async () => {
        const { res, json, stored } = await checkOnce(api, (_r, out) => send(out, 'Warning: mysql_connect() in /var/www/secret/onpay.php', 200, 'text/plain'));
        assert.equal(res.status, 424);
        assert.equal(json.error.code, 'check_failed');
        // The buyer sees why, but not the merchant's raw output; the merchant's record keeps it.
        assert.equal(json.error.reason, 'unreadable answer');
        assert.match(stored.statusReason, /^check_failed: unreadable answer: Warning: mysql_connect/);
        assert.equal(stored.status, 'rejected');
        assert.match(stored.statusReason, /^check_failed: /);
      });

      test('an HTML error page with 500 fails CHECK (424)', async () => {
        const { res, json, stored } = await checkOnce(api, (_r, out) => send(out, '<html><body><h1>500 Internal Server Error</h1></body></html>', 500, 'text/html'));
        assert.equal(res.status, 424);
        assert.equal(json.error.code, 'check_failed');
        assert.equal(stored.status, 'rejected');
        assert.equal(stored.statusReason, 'check_failed: HTTP 500');
        assert.equal(json.error.reason, 'HTTP 500');
        assert.ok(!JSON.stringify(json).includes('Internal Server Error'));
      });

      test('a correctly signed "yes" with HTTP 500 still fails CHECK (424)', async () => {
        const { res, stored } = await checkOnce(api, (r, out) => (api === 'api2'
          ? send(out, jsonAnswer(r, true), 500, 'application/json')
          : send(out, xmlAnswer(r, '0'), 500)));
        assert.equal(res.status, 424);
        assert.equal(stored.status, 'rejected');
      });

      test('200 with an empty body fails CHECK (424)', async () => {
        const { res, json, stored } = await checkOnce(api, (_r, out) => send(out, '', 200));
        assert.equal(res.status, 424);
        assert.equal(json.error.code, 'check_failed');
        assert.equal(json.error.reason, 'unreadable answer');
        assert.equal(stored.status, 'rejected');
      });

      test('onpay_ap_* parameters of the link arrive in CHECK', async () => {
        const { res, req } = await checkOnce(api, yes(api), 'price=100&pay_for=ap-1&onpay_ap_a1=w&onpay_ap_order7=x%20y');
        assert.equal(res.status, 201);
        const f = fieldsOf(req);
        // API 1: form fields; API 2: PROTOCOL.md does not place them for CHECK — top level or additional_params.
        const extra = api === 'api2' && f.additional_params ? f.additional_params as Record<string, unknown> : f;
        assert.equal(extra.onpay_ap_a1, 'w');
        assert.equal(extra.onpay_ap_order7, 'x y');
      });

      test('free mode: CHECK carries amount 0.0 and mode free', async () => {
        stub.handle(yes(api));
        const seen = stub.requests.length;
        const { res, json } = await pay(api, 'pay_mode=free&pay_for=free-1', { amount: '150.0' });
        assert.equal(res.status, 201, JSON.stringify(json));
        assert.equal(stub.requests.length, seen + 1);
        const f = assertCheckRequest(api, stub.requests[seen]!, { payFor: 'free-1', amount: '0.0', ticker: 'RUR', mode: 'free' });
        if (api === 'api2') assert.equal(f.mode, 'free');
        assert.equal((await t.storage.getPayment(json.id))!.priceMinor, 15000n);
      });
    });
  }

  describe('API 1 answer codes', () => {
    for (const code of ['3', '7', '10', '9']) {
      test(`code ${code} fails CHECK (424 check_failed), the payment is rejected with the code`, async () => {
        const { res, json, stored } = await checkOnce('api1', (r, out) => send(out, xmlAnswer(r, code, `reason ${code}`)));
        assert.equal(res.status, 424);
        assert.equal(json.error.code, 'check_failed');
        assert.equal(stored.status, 'rejected');
        assert.equal(stored.statusReason, `check_failed: code ${code}: reason ${code}`);
        assert.equal(json.error.reason, `code ${code}: reason ${code}`);
      });
    }

    const lenient: [string, (xml: string) => string][] = [
      ['PHP warnings before <?xml', (x) => `<br />\n<b>Warning</b>:  Undefined variable $order in <b>/var/www/onpay.php</b> on line <b>12</b><br />\n${x}`],
      ['blank lines before <?xml', (x) => `\n\n\r\n${x}`],
      ['indentation and line breaks', (x) => `   ${x.replace(/></g, '>\n    <')}\n`],
      ['a UTF-8 BOM', (x) => `\uFEFF${x}`],
    ];
    for (const [name, mangle] of lenient) {
      test(`an answer with ${name} is read`, async () => {
        const { res, stored } = await checkOnce('api1', (r, out) => send(out, mangle(xmlAnswer(r, '0'))));
        assert.equal(res.status, 201);
        assert.equal(stored.status, 'awaiting_payment');
      });
    }

    test('md5 of the answer is compared case-insensitively', async () => {
      const { res } = await checkOnce('api1', (r, out) => send(out, xmlAnswer(r, '0').replace(/<md5>(\w+)<\/md5>/, (_m, h: string) => `<md5>${h.toLowerCase()}</md5>`)));
      assert.equal(res.status, 201);
    });
  });

  describe('API 2 status values', () => {
    test('status "true" as a string is tolerated', async () => {
      const { res, stored } = await checkOnce('api2', (r, out) => send(out, jsonAnswer(r, 'true'), 200, 'application/json'));
      assert.equal(res.status, 201);
      assert.equal(stored.status, 'awaiting_payment');
    });

    test('status false without comment: 422 check_declined with an empty comment', async () => {
      const { res, json, stored } = await checkOnce('api2', (r, out) => send(out, jsonAnswer(r, false), 200, 'application/json'));
      assert.equal(res.status, 422);
      assert.equal(json.error.code, 'check_declined');
      assert.equal(json.error.comment, '');
      assert.equal(stored.status, 'rejected');
      assert.equal(stored.statusReason, 'check_declined');
    });

    test('an answer without status fails CHECK (424)', async () => {
      const { res } = await checkOnce('api2', (r, out) => {
        const f = fieldsOf(r) as Record<string, string>;
        send(out, JSON.stringify({ pay_for: f.pay_for, signature: sha1L(`check;true;${f.pay_for};${K}`) }), 200, 'application/json');
      });
      assert.equal(res.status, 424);
    });
  });

  test('merchant with notifications off: no CHECK is sent and the payment starts (201)', async () => {
    const seen = other.requests.length;
    const { res, json } = await pay('quiet', 'price=100&pay_for=quiet-1');
    assert.equal(res.status, 201);
    assert.equal(json.status, 'awaiting_payment');
    assert.equal(other.requests.length, seen);
    assert.equal((await t.storage.getPayment(json.id))!.status, 'awaiting_payment');
  });

  describe('idempotency', () => {
    test('the same key and body twice: the same answer, one CHECK, one payment', async () => {
      for (const api of APIS) {
        stub.handle(yes(api));
        const seen = stub.requests.length;
        const before = (await t.storage.listPayments({ merchantLogin: api, limit: 1000 })).length;
        const key = `idem-ok-${api}`;
        const first = await pay(api, 'price=100&pay_for=idem-1', { userEmail: 'a@b.ru' }, { 'idempotency-key': key });
        assert.equal(first.res.status, 201);
        const again = await first.post();
        assert.equal(again.status, 201);
        assert.deepEqual(await again.json(), first.json);
        assert.equal(stub.requests.length, seen + 1, `${api}: one CHECK only`);
        assert.equal((await t.storage.listPayments({ merchantLogin: api, limit: 1000 })).length, before + 1);
      }
    });

    test('the same key with another body: 409 idempotency_conflict, no CHECK, no payment', async () => {
      stub.handle(yes('api2'));
      const first = await pay('api2', 'price=100&pay_for=idem-2', {}, { 'idempotency-key': 'idem-conflict' });
      assert.equal(first.res.status, 201);
      const seen = stub.requests.length;
      const before = (await t.storage.listPayments({ merchantLogin: 'api2', limit: 1000 })).length;
      const other = await pay('api2', 'price=100&pay_for=idem-2', { userEmail: 'x@y.ru' }, { 'idempotency-key': 'idem-conflict' });
      assert.equal(other.res.status, 409);
      assert.equal(other.json.error.code, 'idempotency_conflict');
      assert.equal(stub.requests.length, seen);
      assert.equal((await t.storage.listPayments({ merchantLogin: 'api2', limit: 1000 })).length, before);
    });

    test('a declined CHECK replayed with the same key answers the same 422 without a second CHECK', async () => {
      stub.handle((r, out) => send(out, xmlAnswer(r, '2', 'no stock')));
      const seen = stub.requests.length;
      const first = await pay('api1', 'price=100&pay_for=idem-3', {}, { 'idempotency-key': 'idem-declined' });
      assert.equal(first.res.status, 422);
      assert.equal(first.json.error.comment, 'no stock');
      stub.handle(yes('api1'));
      const again = await first.post();
      assert.equal(again.status, 422);
      assert.deepEqual(await again.json(), first.json);
      assert.equal(stub.requests.length, seen + 1);
    });

    test('a failed CHECK replayed with the same key answers the same 424 without a second CHECK', async () => {
      stub.handle((_r, out) => send(out, 'garbage'));
      const seen = stub.requests.length;
      const first = await pay('api2', 'price=100&pay_for=idem-4', {}, { 'idempotency-key': 'idem-failed' });
      assert.equal(first.res.status, 424);
      stub.handle(yes('api2'));
      const again = await first.post();
      assert.equal(again.status, 424);
      assert.deepEqual(await again.json(), first.json);
      assert.equal(stub.requests.length, seen + 1);
    });
  });
});

describe('CHECK that never gets an answer', () => {
  let t: TestGateway;
  let slow: MerchantStub;
  let closedUrl: string;
  const pending = new Set<() => void>();

  before(async () => {
    slow = await startMerchantStub((r, res) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(finish);
        send(res, jsonAnswer(r, true), 200, 'application/json');
        resolve();
      }, 1500);
      const finish = () => {
        clearTimeout(timer);
        res.destroy();
        resolve();
      };
      pending.add(finish);
    }));
    const gone = await startMerchantStub();
    closedUrl = gone.url;
    await gone.close();
    t = await startTestGateway({
      config: { checkTimeoutMs: 300 },
      merchants: [
        merchant({ login: 'slow', notifications: true, apiUrl: slow.url, apiType: 2 }),
        merchant({ login: 'slow1', notifications: true, apiUrl: slow.url, apiType: 1 }),
        merchant({ login: 'gone', notifications: true, apiUrl: closedUrl, apiType: 2 }),
        merchant({ login: 'gone1', notifications: true, apiUrl: closedUrl, apiType: 1 }),
      ],
    });
  });
  after(async () => {
    for (const f of pending) f();
    await t.close();
    await slow.close();
  });

  async function pay(login: string) {
    const form = (await (await t.request(`/pay/${login}?price=100&pay_for=late-1`, { headers: jsonAccept })).json()) as { token: string };
    const started = performance.now();
    const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CRD' }) });
    const json = (await res.json()) as Record<string, any>;
    return { res, json, ms: performance.now() - started };
  }

  for (const login of ['slow', 'slow1']) {
    test(`an answer slower than checkTimeoutMs fails CHECK (424) at the deadline (${login === 'slow' ? 'API 2' : 'API 1'})`, async () => {
      const seen = slow.requests.length;
      const { res, json, ms } = await pay(login);
      assert.equal(res.status, 424);
      assert.equal(json.error.code, 'check_failed');
      assert.ok(ms >= 250 && ms < 1200, `answered after ${Math.round(ms)} ms`);
      assert.equal(slow.requests.length, seen + 1, 'the CHECK did reach the merchant');
      const stored = (await t.storage.getPayment(json.error.paymentId))!;
      assert.equal(stored.status, 'rejected');
      assert.equal(stored.statusReason, 'check_failed: no answer within 300 ms');
      assert.equal(json.error.reason, 'no answer within 300 ms');
    });
  }

  for (const login of ['gone', 'gone1']) {
    test(`connection refused fails CHECK (424) (${login === 'gone' ? 'API 2' : 'API 1'})`, async () => {
      const { res, json } = await pay(login);
      assert.equal(res.status, 424);
      assert.equal(json.error.code, 'check_failed');
      const stored = (await t.storage.getPayment(json.error.paymentId))!;
      assert.equal(stored.status, 'rejected');
      assert.equal(stored.statusReason, 'check_failed: network error: ECONNREFUSED');
      assert.equal(json.error.reason, 'network error: ECONNREFUSED');
    });
  }
});
