/**
 * The integration tester: the matrix passes against the merchant kit (in-process and over loopback,
 * API 1 POST and GET, API 2) without the kit touching the shop's orders; against the loopback
 * merchant stubs of the CHECK fault matrix each fault gives its own verdict and hint, and the hint
 * never prints K; a merchant that answers slowly or not at all is bounded by the CHECK timeout.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createMerchantHandler, runIntegrationMatrix, TEST_MARKER } from '../src/merchant/index.ts';
import { answerExcerpt, runIntegrationTest } from '../src/server/cabinet/integration-test.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import { merchant, openTestStorage, startMerchantStub, type MerchantStub, type StubRequest, type TestStorage } from './helpers.ts';

const K = 'kit-secret-key-for-matrix';
const md5U = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();
const sha1L = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex');

/** The shop's kit handler; records which callbacks ran (none may, for test requests). */
function kit() {
  const touched: string[] = [];
  const handler = createMerchantHandler({
    secret: K,
    onCheck: (c) => { touched.push(`check:${c.payFor}`); return true; },
    onPay: (p) => { touched.push(`pay:${p.payFor}`); },
  });
  return { handler, touched };
}

/** A fetch-API handler served on loopback, as a shop's server would. */
async function serve(handler: (r: Request) => Promise<Response>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const r = await handler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, ...(req.method === 'POST' ? { body } : {}) }));
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/onpay`, server };
}

const fields = (r: StubRequest): Record<string, string> => {
  if (r.method === 'GET') return Object.fromEntries(new URL(r.url, 'http://x').searchParams);
  if ((r.headers['content-type'] ?? '').includes('json')) return JSON.parse(r.body) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(r.body));
};

describe('integration matrix against the merchant kit', () => {
  for (const [apiType, method] of [[2, 'POST'], [1, 'POST'], [1, 'GET']] as const) {
    test(`all six cases pass in-process, API ${apiType} ${method}, without touching orders`, async () => {
      const { handler, touched } = kit();
      const report = await runIntegrationMatrix({ secret: K, apiType, method, handler, timeoutMs: 2000 });
      assert.equal(report.passed, true, JSON.stringify(report.cases, null, 2));
      assert.deepEqual(report.cases.map((c) => c.name), ['check_ok', 'check_bad_signature', 'check_unknown_order', 'pay_ok', 'pay_repeat', 'pay_bad_signature']);
      assert.deepEqual(touched, [], 'the kit answered the marked requests itself');
      for (const c of report.cases) {
        assert.ok(c.request.body.includes(TEST_MARKER), `${c.name} carries the marker`);
        assert.equal(c.hint, null);
      }
    });
  }

  test('all cases pass over loopback through the gateway, and the run is audited', async () => {
    const { handler, touched } = kit();
    const shop = await serve(handler);
    const ts: TestStorage = await openTestStorage();
    try {
      for (const [apiType, apiMethod] of [[2, 'POST'], [1, 'GET']] as const) {
        await ts.storage.upsertMerchant(merchantFromConfig(merchant({ secret: K, apiType, apiMethod, apiUrl: shop.url, notifications: true })), 1);
        const m = (await ts.storage.getMerchant('shop'))!;
        const report = await runIntegrationTest({ storage: ts.storage, merchantHttp: createMerchantHttp({ allowPrivate: true }), now: () => 1_000, checkTimeoutMs: 2000, allowPrivate: true }, m, {});
        assert.equal(report.passed, true, JSON.stringify(report.cases, null, 2));
        assert.equal(report.url, shop.url);
        assert.equal(report.cases[0]!.request.method, apiMethod);
      }
      assert.deepEqual(touched, []);
      const audit = await ts.storage.merchantAuditOf('shop', 10);
      assert.equal(audit[0]!.action, 'integration_test');
      assert.equal(audit[0]!.details.passed, true);
    } finally {
      shop.server.close();
      await ts.close();
    }
  });

  test('with private URLs allowed (the demo), the tester shows verdicts and a bounded, escaped excerpt, never the body of whatever answers', async () => {
    // Some other service on the gateway's machine, named as the API URL by whoever holds a cabinet key.
    const page = `<html>\u202e\u0007${'internal-data '.repeat(20)}PRIVATE-MARKER-AFTER-THE-EXCERPT ${'x'.repeat(5000)}</html>`;
    const secretService = await serve(async () => new Response(page, { status: 200, headers: { 'content-type': 'text/html' } }));
    const ts: TestStorage = await openTestStorage();
    try {
      await ts.storage.upsertMerchant(merchantFromConfig(merchant({ secret: K, apiType: 2, apiUrl: secretService.url, notifications: true })), 1);
      const m = (await ts.storage.getMerchant('shop'))!;
      const deps = { storage: ts.storage, merchantHttp: createMerchantHttp({ allowPrivate: true }), now: () => 1_000, checkTimeoutMs: 2000 };
      const report = await runIntegrationTest({ ...deps, allowPrivate: true }, m, {});
      assert.equal(report.answers, 'excerpt');
      assert.equal(report.passed, false);
      assert.ok(report.cases.every((c) => c.verdict === 'fail' || c.verdict === 'pass'), 'verdicts are kept');
      const text = JSON.stringify(report);
      assert.doesNotMatch(text, /PRIVATE-MARKER/);
      for (const c of report.cases) {
        assert.equal(c.answer.httpStatus, 200);
        assert.ok(c.answer.body.length <= 160 * 6 + 60, `${c.name}: ${c.answer.body.length} characters`);
        assert.match(c.answer.body, /characters in all\)$/);
        for (const raw of ['<', '>', '\u202e', '\u0007']) assert.ok(!c.answer.body.includes(raw), `${c.name}: no raw ${JSON.stringify(raw)}`);
        assert.ok(c.answer.body.startsWith('\\u003chtml\\u003e\\u202e\\u0007internal-data'), c.answer.body.slice(0, 60));
        assert.ok(c.hint === null || c.hint.length <= 400 * 6 + 60);
      }
      // Without private URLs (a public shop's own API), the answer is shown whole, as before.
      const full = await runIntegrationTest({ ...deps, allowPrivate: false }, m, {});
      assert.equal(full.answers, 'full');
      assert.ok(full.cases[0]!.answer.body.startsWith(page.slice(0, 1000)), 'the answer as it came');
    } finally {
      secretService.server.close();
      await ts.close();
    }
  });

  test('answerExcerpt: bounded in characters, escaping markup, controls, direction marks and lone surrogates', () => {
    assert.equal(answerExcerpt('{"status":true}'), '{\\u0022status\\u0022:true}');
    assert.equal(answerExcerpt('<b>\u202eA&\u0000'), '\\u003cb\\u003e\\u202eA\\u0026\\u0000');
    assert.equal(answerExcerpt('\ud800Ж😀'), '\\ud800Ж😀');
    assert.equal(answerExcerpt('абвгд', 3), 'абв… (5 characters in all)');
    assert.equal(answerExcerpt(''), '');
  });

  test('a real (non-test) CHECK still reaches the shop\'s callback', async () => {
    const { handler, touched } = kit();
    const body = JSON.stringify({ type: 'check', pay_for: '42', amount: 1, way: 'RUR', mode: 'fix', signature: sha1L(`check;42;1.0;RUR;fix;${K}`) });
    const r = await handler(new Request('http://shop/onpay', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    assert.equal((await r.json() as { status: boolean }).status, true);
    assert.deepEqual(touched, ['check:42']);
  });
});

describe('integration matrix against faulty merchants (loopback stubs)', () => {
  let stub: MerchantStub;
  before(async () => { stub = await startMerchantStub(); });
  after(() => stub.close());

  const run = (apiType: 1 | 2, timeoutMs = 1500) => runIntegrationMatrix({ secret: K, apiType, url: stub.url, timeoutMs, send: undefined, fetch: globalThis.fetch });
  const byName = (r: Awaited<ReturnType<typeof run>>) => Object.fromEntries(r.cases.map((c) => [c.name, c]));

  test('an API that accepts everything: the wrong signatures and the unknown order fail, with hints', async () => {
    stub.handle((req, res) => {
      const f = fields(req);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: true, pay_for: f.pay_for, signature: sha1L(`${f.type};true;${f.pay_for};${K}`) }));
    });
    const c = byName(await run(2));
    assert.equal(c.check_ok!.verdict, 'pass');
    assert.equal(c.pay_ok!.verdict, 'pass');
    assert.equal(c.pay_repeat!.verdict, 'pass');
    for (const n of ['check_bad_signature', 'check_unknown_order', 'pay_bad_signature']) {
      assert.equal(c[n]!.verdict, 'fail', n);
      assert.match(c[n]!.hint!, /your API accepted/);
    }
  });

  test('a wrong answer signature: the hint names the string with K and the right value, never K', async () => {
    stub.handle((req, res) => {
      const f = fields(req);
      const code = '0';
      // Signed with another key (a stale K).
      res.end(`<?xml version="1.0"?>\n<result><code>${code}</code><pay_for>${f.pay_for}</pay_for><comment>OK</comment><md5>${md5U(`check;${f.pay_for};${f.order_amount};${f.order_currency};${code};stale-key`)}</md5><echo>${K}</echo></result>`);
    });
    const c = byName(await run(1));
    const hint = c.check_ok!.hint!;
    const payFor = fields({ ...stub.requests.at(-1)!, body: c.check_ok!.request.body, method: 'POST', headers: {} }).pay_for as string;
    const want = md5U(`check;${payFor};100.0;RUR;0;${K}`);
    assert.equal(c.check_ok!.verdict, 'fail');
    assert.equal(hint, `your answer's md5 is ${md5U(`check;${payFor};100.0;RUR;0;stale-key`)}; for the string \`check;${payFor};100.0;RUR;0;K\` (upper-case md5) it should be ${want}`);
    for (const x of Object.values(c)) {
      assert.ok(!JSON.stringify(x).includes(K), 'K appears nowhere in the report');
    }
    assert.match(c.check_ok!.answer.body, /<echo>\*\*\*<\/echo>/);
  });

  const faults: [string, (res: import('node:http').ServerResponse) => void, RegExp][] = [
    ['HTTP 500', (res) => { res.writeHead(500); res.end('Internal Server Error'); }, /answered HTTP 500/],
    ['a PHP warning instead of XML', (res) => { res.end('Warning: mysql_connect(): Access denied'); }, /no <code> element/],
    ['JSON to an API 1 merchant', (res) => { res.setHeader('content-type', 'application/json'); res.end('{"status":true}'); }, /answered JSON, but the merchant is set to API 1/],
    ['code 3 to a good CHECK', (res) => { res.end('<result><code>3</code><comment>bad</comment><md5></md5></result>'); }, /answered code 3 to a correctly signed CHECK/],
    ['200 with an empty body', (res) => { res.end(''); }, /no <code> element/],
    ['an HTML error page with 502', (res) => { res.writeHead(502, { 'content-type': 'text/html' }); res.end('<html><body>Bad Gateway</body></html>'); }, /answered HTTP 502/],
  ];
  for (const [name, answer, hint] of faults) {
    test(`${name}: the correct CHECK fails with its own hint`, async () => {
      stub.handle((_req, res) => answer(res));
      const c = byName(await run(1));
      assert.equal(c.check_ok!.verdict, 'fail');
      assert.match(c.check_ok!.hint!, hint);
    });
  }

  test('API 2: an answer without status, and a correctly signed "yes" with HTTP 500, each say what is wrong', async () => {
    stub.handle((_req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"ok":1}'); });
    assert.match(byName(await run(2)).check_ok!.hint!, /no "status": true or false/);
    stub.handle((req, res) => {
      const f = fields(req);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: true, pay_for: f.pay_for, signature: sha1L(`check;true;${f.pay_for};${K}`) }));
    });
    assert.match(byName(await run(2)).check_ok!.hint!, /answered HTTP 500; it must answer 200/);
  });

  test('PHP warnings before a correct XML answer still pass (read leniently, as the gateway does)', async () => {
    stub.handle((req, res) => {
      const f = fields(req);
      res.end(`<br />\n<b>Warning</b>: Undefined variable $order<br />\n<?xml version="1.0"?>\n<result><code>0</code><pay_for>${f.pay_for}</pay_for><comment>OK</comment><md5>${md5U(`check;${f.pay_for};${f.order_amount};${f.order_currency};0;${K}`)}</md5></result>`);
    });
    assert.equal(byName(await run(1)).check_ok!.verdict, 'pass');
  });

  test('nobody listening: each CHECK says so, the PAYs are skipped', async () => {
    const r = await runIntegrationMatrix({ secret: K, apiType: 2, url: 'http://127.0.0.1:9/api', timeoutMs: 1000 });
    const c = byName(r);
    assert.match(c.check_ok!.hint!, /could not reach your API/);
    assert.equal(c.pay_ok!.verdict, 'skipped');
    assert.equal(r.passed, false);
  });

  test('a merchant that never answers: bounded by the CHECK timeout, not three times it', async () => {
    stub.handle(() => { /* never answers */ });
    const t0 = performance.now();
    const r = await run(2, 800);
    const took = performance.now() - t0;
    assert.ok(took < 1600, `took ${took} ms`);
    const c = byName(r);
    assert.match(c.check_ok!.hint!, /did not answer within 800 ms/);
    assert.equal(c.pay_ok!.verdict, 'skipped');
  });

  test('a slow merchant within the timeout passes; one past it fails that case', async () => {
    const { handler } = kit();
    stub.handle(async (req, res) => {
      await new Promise((r) => setTimeout(r, fields(req).type === 'pay' ? 700 : 100));
      const answer = await handler(new Request('http://shop/onpay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: req.body }));
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(await answer.text());
    });
    const c = byName(await run(2, 500));
    assert.equal(c.check_ok!.verdict, 'pass');
    assert.equal(c.pay_ok!.verdict, 'fail');
    assert.match(c.pay_ok!.hint!, /did not answer within 500 ms/);
  });
});
