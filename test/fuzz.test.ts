/**
 * Bad input never breaks the gateway (DESIGN.md §5): random query strings, headers and bodies thrown
 * at every endpoint through the real handler on real storage, SQLite and PostgreSQL. Every answer is below 500, every JSON
 * 4xx is `{error:{code,message}}` (with `field` for invalid_param), and nothing in the database
 * changes — counted and compared around each request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAmount } from '../src/protocol/money.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { signSandboxCallback, SANDBOX_SIGNATURE_HEADER } from '../src/server/providers/sandbox/sandbox.ts';
import { signToken } from '../src/server/token.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';

/** One generated request. */
interface Spec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

// ---------------------------------------------------------------------------------------------
// Value arbitraries

const printable = fc.string({ maxLength: 40 });
const unicode = fc.string({ unit: 'binary', maxLength: 40 });
/** Long texts, built by repetition so generating them stays cheap. */
const huge = fc.tuple(fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }), fc.integer({ min: 40, max: 9000 })).map(([s, n]) => s.repeat(n));
const anyText = fc.oneof({ weight: 4, arbitrary: printable }, { weight: 3, arbitrary: unicode }, { weight: 1, arbitrary: huge }, { weight: 1, arbitrary: fc.constant('') });
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });
const b64 = (s: string) => Buffer.from(s).toString('base64');

const TICKERS = ['RUR', 'RUB', 'USD', 'EUR', 'TST', 'XYZ', 'rur', 'usd', 'US', 'USDD', '', '123', 'ЕВР'];
const URLS = ['https://shop.example/ok', 'https://shop.example.evil.example/ok', 'https://evil.example/', 'http://shop.example/ok', 'http://x', 'javascript:alert(1)', 'http://', 'http://a b', 'ftp://x.y/', `https://e.x/${'a'.repeat(300)}`, '//evil.example'];

/** Values that look right for each link parameter, near the validators' edges. */
const LINK_VALUES: Record<string, fc.Arbitrary<string>> = {
  pay_mode: fc.constantFrom('fix', 'free', 'FIX', '', 'x'),
  price: fc.oneof(
    fc.stringMatching(/^-?\d{0,18}([.,]\d{0,6})?$/),
    fc.constantFrom('0', '0.0', '0.001', '0.01', '1e3', 'NaN', 'Infinity', '10000000000000', '9999999999999.99', '10000000000000.01', ' 1 ', '１００', '100.', '.5', '1,5'),
    fc.integer({ min: 9, max: 14 }).map((n) => '9'.repeat(n)), // near the largest amount, where conversion overflows it
  ),
  ticker: fc.constantFrom(...TICKERS),
  currency: fc.constantFrom(...TICKERS),
  to: fc.constantFrom(...TICKERS),
  pay_for: fc.oneof(printable, fc.constantFrom('1', 'x'.repeat(100), 'x'.repeat(101), 'a\u0000b', '<script>')),
  convert: fc.constantFrom('yes', 'no', 'YES', '', 'true'),
  md5: fc.oneof(hex(32), hex(31), hex(33), fc.constant('1206be51154e8521f9a17344ab6fca4d')),
  note: fc.oneof(printable, fc.constantFrom('n'.repeat(255), 'n'.repeat(256), 'tab\there', 'bell\u0007')),
  ln: fc.constantFrom('ru', 'en', 'de', '', 'EN'),
  url_success: fc.constantFrom(...URLS),
  url_fail: fc.constantFrom(...URLS),
  url_success_enc: fc.oneof(fc.constantFrom(...URLS).map(b64), fc.constantFrom(...URLS), unicode.map(b64), fc.constantFrom('!!!', '====', '')),
  url_fail_enc: fc.oneof(fc.constantFrom(...URLS).map(b64), fc.constantFrom(...URLS), unicode.map(b64), fc.constantFrom('!!!', '====', '')),
  user_email: fc.constantFrom('a@b.ru', 'a@b', '@', '', `${'a'.repeat(40)}@b.ru`, 'a b@c.d'),
  user_phone: fc.constantFrom('+7 (999) 123-45-67', 'abc', '', '1'.repeat(41)),
  price_final: fc.constantFrom('true', 'yes', '1', 'false', 'no', '0', 'maybe', '', 'TRUE'),
  one_way: fc.constantFrom('CRD', 'USD', 'EUR', 'TST', 'ZZZ', 'crd', 'C', ''),
  f: fc.constantFrom('1', '123', '1234', 'a', ''),
};
const extraName = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,32}$/).map((s) => `onpay_ap_${s}`),
  fc.constantFrom('onpay_ap_', 'onpay_ap_A', `onpay_ap_${'a'.repeat(33)}`, 'onpay_ap_x-y', 'onpay_ap_é'),
);
const linkPair: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.keys(LINK_VALUES)).chain((k) => fc.tuple(fc.constant(k), fc.oneof({ weight: 3, arbitrary: LINK_VALUES[k]! }, { weight: 1, arbitrary: anyText }))) },
  { weight: 1, arbitrary: fc.tuple(extraName, fc.oneof(printable, fc.constantFrom('v'.repeat(256), 'a\u0001'))) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(printable, fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')), anyText) },
);
/** A link query: often a valid base with random overrides, so the deeper validators are reached. */
const linkQuery = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom<Record<string, string>>({}, { price: '100', pay_for: '1' }, { price: '9999999999999.99', ticker: 'EUR', pay_for: '1' }), fc.array(linkPair, { maxLength: 6 })).map(([base, pairs]) => {
    const q = new URLSearchParams(base);
    for (const [k, v] of pairs) q.set(k, v);
    return q.toString();
  }) },
  // Raw junk: bad percent escapes, lone separators, non-ASCII.
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('%', 'a', '=', '&', 'E0', 'A4', 'zz', '+', '?', '#', 'é', ';', '0', 'price', 'pay_for'), maxLength: 30 }) },
);

// Header values: any byte string a client can send (no NUL, CR, LF).
const headerValue = fc.array(fc.integer({ min: 0x20, max: 0xff }), { maxLength: 60 }).map((codes) => String.fromCharCode(...codes));
const headersArb = fc.record({
  accept: fc.oneof(fc.constantFrom('application/json', 'text/html', '*/*', 'application/json, text/html', 'text/event-stream'), headerValue),
  'content-type': fc.oneof(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-8'), headerValue),
  origin: fc.oneof(fc.constantFrom('https://shop.example', 'http://gateway.test', 'https://evil.example', 'null'), headerValue),
  'idempotency-key': fc.oneof(fc.constantFrom('fz-key-1', 'k'.repeat(255), 'k'.repeat(256), ''), headerValue),
}, { requiredKeys: [] });

// ---------------------------------------------------------------------------------------------

interface Fixture {
  /** Payments whose status a request could change if it were valid (awaiting_payment). */
  awaiting: { card: string; bank: string; keyed: string };
  /** Payments in a final status. */
  final: { paid: string; failed: string; rejected: string };
  /** A valid fix-mode token (price 100.0 on shop) and a free-mode one. */
  fixToken: string;
  freeToken: string;
  /** The token and body already used with Idempotency-Key fz-key-1. */
  keyedToken: string;
  /** Awaiting sandbox payments of a merchant made live since: no sandbox path may change them. */
  live: { card: string; bank: string };
}

/** One character of `s` at a random position replaced by another. */
const flipped = (s: string) => fc.nat({ max: s.length - 1 }).chain((i) => fc.constantFrom(...'AaZz09-_.').filter((ch) => ch !== s[i]).map((ch) => s.slice(0, i) + ch + s.slice(i + 1)));

function tokenPayload(token: string): { p: unknown; exp: number } {
  return JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { p: unknown; exp: number };
}

/** Tokens that are never accepted: tampered, foreign, expired, junk. */
function badTokens(fx: Fixture, now: number): fc.Arbitrary<string> {
  const { p, exp } = tokenPayload(fx.fixToken);
  return fc.oneof(
    flipped(fx.fixToken),
    flipped(fx.freeToken),
    fc.constant(signToken(p, exp, 'another-secret-0123456789abcdef-xyz')),
    fc.constant(signToken(p, now - 1, TEST_SECRET)), // expired
    fc.constant(signToken(null, exp, 'another-secret-0123456789abcdef-xyz')),
    fc.constant(`${fx.fixToken}x`),
    fc.constant(fx.fixToken.slice(0, fx.fixToken.indexOf('.'))),
    fc.constant(`.${fx.fixToken}`),
    anyText,
  );
}

/** Payment ids: random, tampered, and real ones (whose use is decided by the caller). */
function ids(real: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...real),
    fc.constantFrom(...real).chain(flipped),
    fc.stringMatching(/^[A-Za-z0-9_-]{10,60}$/).map((s) => `pay_${s}`),
    printable,
    fc.constantFrom('pay_', 'pay_' + 'a'.repeat(61), '%2e%2e', '..', 'pay_%00aaaaaaaaaaa'),
  );
}

const segment = (s: string) => encodeURIComponent(s);

/** A JSON body with the right keys and random or wrong-typed values. */
function createBodyArb(token: fc.Arbitrary<string>, way: fc.Arbitrary<string>): fc.Arbitrary<Record<string, unknown>> {
  const wrong = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(printable, printable, { maxKeys: 2 }), huge);
  return fc.record({
    token: fc.oneof({ weight: 4, arbitrary: token }, { weight: 1, arbitrary: wrong }),
    way: fc.oneof({ weight: 4, arbitrary: way }, { weight: 1, arbitrary: wrong }),
    userEmail: fc.oneof(fc.constantFrom('a@b.ru', 'bad', '', `${'a'.repeat(40)}@b.ru`), wrong),
    userPhone: fc.oneof(fc.constantFrom('+7 999', 'abc', ''), wrong),
    amount: fc.oneof(LINK_VALUES.price!, wrong),
    extra: fc.oneof(printable, wrong),
  }, { requiredKeys: [] });
}

/** Random bodies of every kind. */
const junkBody: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 200 }),
  huge,
  fc.array(linkPair, { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
  fc.string({ unit: fc.constantFrom('{', '}', '"', ':', ',', '[', ']', 'a', '1', '\\', 'token', 'way'), maxLength: 30 }),
);

// ---------------------------------------------------------------------------------------------

for (const kind of storageKinds()) describe(`fuzzing every endpoint with bad input, on ${kind}`, () => {
  let t: TestGateway;
  let stub: MerchantStub;
  let fx: Fixture;
  let realIds: string[];

  before(async () => {
    stub = await startMerchantStub((req, res) => {
      const body = JSON.parse(req.body) as { type: 'check' | 'pay'; pay_for: string };
      const ok = !body.pay_for.startsWith('no');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: ok, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, ok, body.pay_for, 'test') }));
    });
    t = await startTestGateway({
      kind,
      merchants: [
        merchant(),
        merchant({ login: 'signed', checkLinkMd5: true }),
        merchant({ login: 'notify', notifications: true, apiUrl: stub.url, origins: [] }),
        merchant({ login: 'golive', mode: 'test', apiKey: 'golive-cabinet-key-0123456789' }),
        merchant({ login: 'live', mode: 'live', apiKey: 'live-cabinet-key-0123456789' }),
      ],
    });
    const make = async (login: string, query: string, way?: string, headers: Record<string, string> = {}) => {
      const form = await t.request(`/pay/${login}?${query}`, { headers: { accept: 'application/json' } });
      const payload = (await form.json()) as { token: string; ways: { code: string }[] };
      const res = await t.request('/api/v1/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ token: payload.token, way: way ?? payload.ways[0]!.code }),
      });
      const json = (await res.json()) as { id?: string; error?: { paymentId?: string } };
      return { status: res.status, id: json.id ?? json.error?.paymentId ?? '', token: payload.token };
    };
    const card = await make('shop', 'price=100&pay_for=card', 'CRD');
    const bank = await make('shop', 'price=100&pay_for=bank', 'EUR');
    const paid = await make('notify', 'price=100&pay_for=paid', 'CRD');
    const failed = await make('shop', 'price=100&pay_for=failed', 'CRD');
    const rejected = await make('notify', 'price=100&pay_for=no-thanks', 'CRD');
    const keyed = await make('shop', 'price=100&pay_for=keyed', 'CRD', { 'idempotency-key': 'fz-key-1' });
    const liveCard = await make('golive', 'price=100&pay_for=live-card', 'CRD');
    const liveBank = await make('golive', 'price=100&pay_for=live-bank', 'RUR');
    assert.deepEqual([card.status, bank.status, paid.status, failed.status, rejected.status, keyed.status, liveCard.status, liveBank.status], [201, 201, 201, 201, 422, 201, 201, 201]);
    // Made live once its payments were waiting: from now on no sandbox path may move them.
    await t.storage.upsertMerchant({ ...(await t.storage.getMerchant('golive'))!, mode: 'live' }, t.clock.now());
    assert.equal((await t.request(`/api/v1/sandbox/payments/${paid.id}/pay`, { method: 'POST' })).status, 200);
    assert.equal((await t.request(`/api/v1/sandbox/payments/${failed.id}/decline`, { method: 'POST' })).status, 200);
    const fix = (await (await t.request('/pay/shop?price=100&pay_for=fz', { headers: { accept: 'application/json' } })).json()) as { token: string };
    const free = (await (await t.request('/pay/shop?pay_mode=free&pay_for=fz', { headers: { accept: 'application/json' } })).json()) as { token: string };
    fx = {
      awaiting: { card: card.id, bank: bank.id, keyed: keyed.id },
      final: { paid: paid.id, failed: failed.id, rejected: rejected.id },
      fixToken: fix.token,
      freeToken: free.token,
      keyedToken: keyed.token,
      live: { card: liveCard.id, bank: liveBank.id },
    };
    realIds = [card.id, bank.id, paid.id, failed.id, rejected.id, keyed.id, liveCard.id, liveBank.id];
    const s = await snapshot();
    // The fixture is what the invariants below compare against: make sure it is really there.
    assert.deepEqual(s.statuses.map((x) => x.status), ['awaiting_payment', 'awaiting_payment', 'paid', 'failed', 'rejected', 'awaiting_payment', 'awaiting_payment', 'awaiting_payment']);
    assert.equal(s.counts.notifications.pending, 1);
  });
  after(async () => {
    await t?.close();
    await stub?.close();
  });

  async function snapshot() {
    const counts = await t.storage.statusCounts();
    const statuses = await Promise.all(realIds.map(async (id) => {
      const p = (await t.storage.getPayment(id))!;
      return { id, status: p.status, updatedAt: p.updatedAt, responseStatus: p.responseStatus, amount: p.amountMinor };
    }));
    return { counts, statuses };
  }

  async function send(spec: Spec): Promise<Response> {
    const init: RequestInit = { method: spec.method, headers: spec.headers };
    if (spec.body !== undefined && spec.method !== 'GET' && spec.method !== 'HEAD') init.body = typeof spec.body === 'string' ? spec.body : new Uint8Array(spec.body);
    return t.gateway.fetch(new Request(`http://gateway.test${spec.path}`, init));
  }

  /** The answer's own invariants: below 500, JSON errors in the documented shape. */
  async function checkAnswer(spec: Spec, res: Response): Promise<void> {
    const where = `${spec.method} ${spec.path.slice(0, 200)}`;
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      await res.body?.cancel();
    } else {
      const text = await res.text();
      assert.ok(res.status < 500, `${where} → ${res.status} ${text.slice(0, 300)}`);
      if (res.status === 200 && spec.method !== 'HEAD' && type.startsWith('application/json') && spec.path.startsWith('/pay/')) {
        // A form payload only quotes amounts a payment can really be created, stored and paid with.
        const payload = JSON.parse(text) as { ways?: { code: string; amount: string | null }[]; urlSuccess?: string; urlFail?: string; testMode?: boolean };
        for (const w of payload.ways ?? []) {
          assert.ok(w.amount === null || parseAmount(w.amount) !== null, `${where}: way ${w.code} quotes ${w.amount}, not a valid amount`);
          // Only ways the buyer can use: never one at zero.
          assert.ok(w.amount === null || parseAmount(w.amount)! > 0n, `${where}: way ${w.code} offered at ${w.amount}`);
        }
        // shop has origins: its return URLs stay on them.
        if (spec.path.startsWith('/pay/shop?')) {
          for (const u of [payload.urlSuccess, payload.urlFail]) assert.ok(!u || u.startsWith('https://shop.example/') || u === 'https://shop.example', `${where}: return URL ${u} off the merchant's origins`);
        }
        // Every merchant here but the live ones is a test merchant (the sandbox is on).
        if (payload.ways) assert.equal(payload.testMode, !/^\/pay\/(live|golive)[?/]/.test(spec.path), `${where}: testMode`);
      }
      if (res.status >= 400 && spec.method !== 'HEAD') {
        assert.ok(type.startsWith('application/json') || type.startsWith('text/html'), `${where} → ${res.status} with content-type ${type}`);
        if (type.startsWith('application/json')) {
          const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
          assert.equal(typeof body.error?.code, 'string', `${where}: ${text.slice(0, 300)}`);
          assert.equal(typeof body.error?.message, 'string', `${where}: ${text.slice(0, 300)}`);
          if (body.error?.code === 'invalid_param') assert.ok(typeof body.error.field === 'string' && body.error.field !== '', `${where}: invalid_param without field: ${text.slice(0, 300)}`);
        }
      }
    }
    assert.ok(res.status < 500, `${where} → ${res.status}`);
  }

  /** Sends each generated request and checks the answer and that nothing changed. */
  async function fuzz(arb: fc.Arbitrary<Spec>, numRuns = RUNS): Promise<void> {
    await fc.assert(fc.asyncProperty(arb, async (spec) => {
      const before = await snapshot();
      await checkAnswer(spec, await send(spec));
      assert.deepEqual(await snapshot(), before, `${spec.method} ${spec.path.slice(0, 200)} changed the database`);
    }), { numRuns, includeErrorInReport: true });
  }

  const logins = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('shop', 'signed', 'notify', 'live', 'golive') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('nobody', 'A', '', '..', 'shop%00'), printable) });

  test('the payment link (GET and POST /pay/:login, the snippet) answers bad parameters with a 4xx naming the field', async () => {
    const arb = fc.record({
      kind: fc.constantFrom('get', 'post', 'snippet'),
      login: logins,
      query: linkQuery,
      form: linkQuery,
      body: junkBody,
      formBody: fc.boolean(),
      headers: headersArb,
    }).map(({ kind, login, query, form, body, formBody, headers }): Spec => {
      const base = `/pay/${segment(login)}`;
      if (kind === 'get') return { method: 'GET', path: `${base}?${query}`, headers };
      if (kind === 'snippet') return { method: 'GET', path: `${base}/snippet?${query}`, headers };
      return { method: 'POST', path: `${base}?${query}`, headers: formBody ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers, ...(formBody ? { body: form } : body !== undefined ? { body } : {}) };
    });
    await fuzz(arb, RUNS * 2);
  });

  test('POST /api/v1/payments and the no-JS form refuse bad tokens, bodies and headers without creating anything', async () => {
    const now = t.clock.now();
    const bad = badTokens(fx, now);
    const anyWay = fc.oneof(fc.constantFrom('CRD', 'USD', 'EUR', 'RUR', 'TST', 'ZZZ', 'crd', ''), printable);
    // A valid token reaches the deeper checks; with it the way is never one it offers, or the amount is wrong.
    const validTokenBody = fc.oneof(
      fc.record({ token: fc.constant(fx.fixToken), way: fc.constantFrom('ZZZ', 'QRW', 'crd', 'CRDX', ''), amount: fc.option(fc.constantFrom('100.0', '1'), { nil: undefined }) }),
      fc.record({ token: fc.constant(fx.fixToken), way: fc.constantFrom('CRD', 'EUR', 'TST'), amount: fc.constantFrom('99.99', '100.01', '0', '-100', 'abc', '1e2', '') }),
      fc.record({ token: fc.constant(fx.freeToken), way: fc.constantFrom('CRD', 'USD'), amount: fc.option(fc.constantFrom('0', '0.0', '0.001', '-1', 'x', '', '10000000000000.01', ' '), { nil: undefined }) }),
      // A way whose converted amount rounds to zero.
      fc.record({ token: fc.constant(fx.freeToken), way: fc.constantFrom('USD', 'EUR'), amount: fc.constantFrom('0.01', '0.1', '0.5') }),
      // The key already used, with another body: a conflict.
      fc.record({ token: fc.constant(fx.fixToken), way: fc.constant('CRD'), key: fc.constant('fz-key-1') }),
    ).map((b) => b as Record<string, unknown>);
    const jsonBody = fc.oneof(
      { weight: 4, arbitrary: createBodyArb(bad, anyWay).map((b) => JSON.stringify(b)) },
      { weight: 2, arbitrary: validTokenBody.map((b) => JSON.stringify(b)) },
      { weight: 2, arbitrary: junkBody },
    );
    const api = fc.record({ body: jsonBody, headers: headersArb, json: fc.boolean() }).map(({ body, headers, json }): Spec => {
      let key = headers['idempotency-key'];
      let b = body;
      if (typeof body === 'string' && body.includes('"key":"fz-key-1"')) {
        key = 'fz-key-1';
        b = body.replace(',"key":"fz-key-1"', '');
      }
      const h: Record<string, string> = { ...headers, ...(json ? { 'content-type': 'application/json' } : {}) };
      if (key !== undefined) h['idempotency-key'] = key;
      return { method: 'POST', path: '/api/v1/payments', headers: h, ...(b !== undefined ? { body: b } : {}) };
    });
    const noJs = fc.record({
      login: logins,
      token: fc.oneof(bad, fc.constant(fx.fixToken)),
      way: fc.oneof(anyWay, fc.constantFrom('ZZZ')),
      extra: fc.array(linkPair, { maxLength: 3 }),
      key: fc.option(fc.oneof(printable, fc.constant('k'.repeat(300))), { nil: undefined }),
      headers: headersArb,
      junk: fc.option(junkBody, { nil: undefined }),
    }).map(({ login, token, way, extra, key, headers, junk }): Spec => {
      // With the valid token the way is never one it offers.
      const w = token === fx.fixToken && ['CRD', 'USD', 'EUR', 'RUR', 'TST'].includes(way) ? 'ZZZ' : way;
      const form = new URLSearchParams([['token', token], ['way', w], ...extra]);
      if (key !== undefined) form.set('idempotency_key', key);
      return { method: 'POST', path: `/pay/${segment(login)}/continue`, headers, body: junk ?? form.toString() };
    });
    await fuzz(fc.oneof(api, noJs), RUNS * 2);
  });

  test('payment status, events, status page and sandbox pages answer any id with a 4xx or the payment, unchanged', async () => {
    const arb = fc.record({
      kind: fc.constantFrom('status', 'events', 'page', 'card', 'return'),
      id: ids(realIds),
      query: fc.oneof(fc.constant(''), linkQuery),
      headers: headersArb,
    }).map(({ kind, id, query, headers }): Spec => {
      const q = query ? `?${query}` : '';
      const path = { status: `/api/v1/payments/${segment(id)}`, events: `/api/v1/payments/${segment(id)}/events`, page: `/payments/${segment(id)}`, card: `/sandbox/card/${segment(id)}`, return: `/sandbox/return/${segment(id)}` }[kind];
      return { method: 'GET', path: `${path}${q}`, headers };
    });
    await fuzz(arb);
  });

  test('sandbox actions and payment-system callbacks refuse what is unsigned, unknown or malformed', async () => {
    const awaiting = new Set(Object.values(fx.awaiting));
    // A real awaiting payment with a valid action would legitimately change: use a final one instead.
    const safe = (id: string) => (awaiting.has(id) ? fx.final.paid : id);
    const card = fc.record({ id: ids(realIds), body: fc.oneof(junkBody, fc.constantFrom('action=pay', 'action=decline', 'action=PAY', 'action=', 'action=pay&action=decline')), headers: headersArb })
      .map(({ id, body, headers }): Spec => {
        const action = typeof body === 'string' ? new URLSearchParams(body).get('action') : null;
        const i = action === 'pay' || action === 'decline' ? safe(id) : id;
        return { method: 'POST', path: `/sandbox/card/${segment(i)}`, headers, ...(body !== undefined ? { body } : {}) };
      });
    const scripted = fc.record({ id: ids(realIds), outcome: fc.oneof(fc.constantFrom('pay', 'decline'), printable), headers: headersArb, body: junkBody })
      .map(({ id, outcome, headers, body }): Spec => {
        const i = outcome === 'pay' || outcome === 'decline' ? safe(id) : id;
        // A paid payment declined, or a failed one paid, is refused (409) and stays as it is.
        return { method: 'POST', path: `/api/v1/sandbox/payments/${segment(i)}/${segment(outcome)}`, headers, ...(body !== undefined ? { body } : {}) };
      });
    const callbackJson = fc.record({
      paymentId: fc.oneof(ids(realIds), fc.integer(), fc.constant(null)),
      outcome: fc.oneof(fc.constantFrom('paid', 'failed', 'expired', 'PAID'), fc.integer()),
      amount: fc.oneof(LINK_VALUES.price!, fc.constantFrom('102.0', '1.04'), fc.integer()),
      ticker: fc.oneof(fc.constantFrom(...TICKERS), fc.integer()),
      extra: printable,
    }, { requiredKeys: [] }).map((b) => {
      // Never a valid event for an awaiting payment (that one is meant to settle it).
      if (typeof b.paymentId === 'string' && awaiting.has(b.paymentId)) b.paymentId = fx.final.paid;
      return JSON.stringify(b);
    });
    const callback = fc.record({
      body: fc.oneof(callbackJson, junkBody.map((b) => b ?? '')),
      signature: fc.oneof(fc.constant('valid'), fc.constant('flipped'), hex(64), headerValue),
      headers: headersArb,
    }).map(({ body, signature, headers }): Spec => {
      const text = typeof body === 'string' ? body : Buffer.from(body).toString('latin1');
      const good = signSandboxCallback(text, TEST_SECRET);
      const sig = signature === 'valid' ? good : signature === 'flipped' ? `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}` : signature;
      // Signed bodies go as the exact UTF-8 bytes of the signed text.
      return { method: 'POST', path: '/callbacks/sandbox', headers: { ...headers, [SANDBOX_SIGNATURE_HEADER]: sig }, body: signature === 'valid' ? text : body };
    });
    // A live merchant's waiting payments through every sandbox entry point, validly signed and with the
    // right amount: refused, nothing changed (the invariant of fuzz()).
    const liveAttack = fc.record({
      id: fc.constantFrom(fx.live.card, fx.live.bank),
      how: fc.constantFrom('page', 'page-pay', 'page-decline', 'api-pay', 'api-decline', 'callback', 'notify'),
      outcome: fc.constantFrom('paid', 'failed'),
      headers: headersArb,
    }).map(({ id, how, outcome, headers }): Spec => {
      const body = JSON.stringify({ paymentId: id, outcome, amount: id === fx.live.card ? '102.0' : '100.0', ticker: 'RUR' });
      const signed = { ...headers, 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(body, TEST_SECRET) };
      const form = { ...headers, 'content-type': 'application/x-www-form-urlencoded' };
      switch (how) {
        case 'page': return { method: 'GET', path: `/sandbox/card/${id}`, headers };
        case 'page-pay': return { method: 'POST', path: `/sandbox/card/${id}`, headers: form, body: 'action=pay' };
        case 'page-decline': return { method: 'POST', path: `/sandbox/card/${id}`, headers: form, body: 'action=decline' };
        case 'api-pay': return { method: 'POST', path: `/api/v1/sandbox/payments/${id}/pay`, headers };
        case 'api-decline': return { method: 'POST', path: `/api/v1/sandbox/payments/${id}/decline`, headers };
        case 'callback': return { method: 'POST', path: '/callbacks/sandbox', headers: signed, body };
        default: return { method: 'POST', path: '/providers/sandbox/notify', headers: signed, body };
      }
    });
    await fuzz(fc.oneof(card, scripted, callback, liveAttack), RUNS * 2);
  });

  test('provider notifications (/providers/{id}/notify) answer any body and header with a 4xx or the provider\'s refusal, unchanged', async () => {
    const arb = fc.record({
      id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('sandbox', 'nobody', 'SANDBOX') }, { weight: 1, arbitrary: printable }),
      body: junkBody,
      headers: headersArb,
      signed: fc.boolean(),
    }).map(({ id, body, headers, signed }): Spec => {
      const text = body === undefined ? '' : typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
      const sig: Record<string, string> = signed ? { [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(text, TEST_SECRET) } : {};
      return { method: 'POST', path: `/providers/${segment(id)}/notify`, headers: { ...headers, ...sig }, ...(body !== undefined ? { body } : {}) };
    });
    await fuzz(arb);
  });

  test('assets, unknown paths and odd methods answer 404/405-style JSON, never 5xx', async () => {
    const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'FOO', 'propfind');
    const pathSegments = fc.array(fc.oneof(printable, unicode, fc.constantFrom('pay', 'shop', 'api', 'v1', 'payments', 'sandbox', 'card', 'cdn', 'assets', '..', '.', '%2F', 'events', 'continue', 'snippet', 'callbacks')), { maxLength: 5 });
    const arb = fc.oneof(
      fc.record({ dir: fc.constantFrom('cdn', 'assets'), name: fc.oneof(printable, fc.constantFrom('onpay-checkout.js', 'onpay-checkout.iife.js', 'gateway.css', 'return.js', '..%2Fapp.ts', '.env', 'x.map', 'gateway.css.map', 'a'.repeat(300) + '.js')), headers: headersArb })
        .map(({ dir, name, headers }): Spec => ({ method: 'GET', path: `/${dir}/${name.includes('%') ? name : segment(name)}`, headers })),
      fc.record({ method: methods, segs: pathSegments, query: fc.oneof(fc.constant(''), linkQuery), headers: headersArb, body: junkBody })
        .map(({ method, segs, query, headers, body }): Spec => ({ method, path: `/${segs.map(segment).join('/')}${query ? `?${query}` : ''}`, headers, ...(body !== undefined ? { body } : {}) })),
      // Known routes with methods they do not take.
      fc.record({ method: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'FOO'), path: fc.constantFrom('/pay/shop?price=1&pay_for=1', '/api/v1/payments', `/api/v1/payments/${'pay_aaaaaaaaaaaaaaaaaaaaaaaa'}`, '/callbacks/sandbox', '/sandbox/card/pay_aaaaaaaaaaaa', '/health', '/metrics'), headers: headersArb, body: junkBody })
        .map(({ method, path, headers, body }): Spec => ({ method, path, headers, ...(body !== undefined ? { body } : {}) })),
    );
    await fuzz(arb);
  });

  test('invalid UTF-8 in bodies, queries, form posts and paths is refused with a 400 naming the field, on every endpoint', async () => {
    // Byte sequences a strict decoder refuses: stray bytes, truncated, overlong, surrogates, past U+10FFFF.
    const badBytes = fc.constantFrom([0xff], [0xfe], [0xff, 0xfe, 0xc3], [0xc3], [0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]);
    const around = fc.tuple(fc.stringMatching(/^[a-z0-9]{0,6}$/), fc.stringMatching(/^[a-z0-9.@]{0,6}$/));
    const pct = (bytes: readonly number[]) => bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const enc = new TextEncoder();
    const raw = (before: string, bytes: readonly number[], after: string) => Uint8Array.from([...enc.encode(before), ...bytes, ...enc.encode(after)]);
    const auth = { authorization: 'Bearer shop-cabinet-key-0123456789' };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const json = { 'content-type': 'application/json' };
    const id = fx.awaiting.card;
    const cases: fc.Arbitrary<{ spec: Spec; field: string }>[] = [
      // Queries, percent-encoded.
      around.chain(([a, b]) => badBytes.map((x) => ({ spec: { method: 'GET', path: `/pay/shop?price=100&pay_for=${a}${pct(x)}${b}`, headers: { accept: 'application/json' } }, field: 'pay_for' }))),
      around.chain(([a, b]) => badBytes.map((x) => ({ spec: { method: 'GET', path: `/pay/shop/snippet?price=100&pay_for=1&note=${a}${pct(x)}${b}`, headers: {} }, field: 'note' }))),
      around.chain(([a, b]) => badBytes.map((x) => ({ spec: { method: 'GET', path: `/api/v1/cabinet/payments?pay_for=${a}${pct(x)}${b}`, headers: auth }, field: 'pay_for' }))),
      badBytes.map((x) => ({ spec: { method: 'GET', path: `/api/v1/payments/${id}?x${pct(x)}=1`, headers: {} }, field: 'query' })),
      // Paths.
      badBytes.map((x) => ({ spec: { method: 'GET', path: `/pay/shop${pct(x)}?price=100&pay_for=1`, headers: {} }, field: 'path' })),
      badBytes.map((x) => ({ spec: { method: 'GET', path: `/api/v1/payments/${id}${pct(x)}`, headers: {} }, field: 'path' })),
      // Form posts: percent-encoded and raw bytes.
      around.chain(([a, b]) => badBytes.map((x) => ({ spec: { method: 'POST', path: '/pay/shop', headers: form, body: `price=100&pay_for=${a}${pct(x)}${b}` }, field: 'pay_for' }))),
      around.chain(([a, b]) => badBytes.map((x) => ({ spec: { method: 'POST', path: '/pay/shop', headers: form, body: raw('price=100&user_email=', x, `${a}@${b}.ru`) }, field: 'user_email' }))),
      badBytes.map((x) => ({ spec: { method: 'POST', path: '/pay/shop/continue', headers: form, body: `token=${fx.fixToken}&way=CRD&user_email=a${pct(x)}%40b.ru` }, field: 'user_email' })),
      badBytes.map((x) => ({ spec: { method: 'POST', path: `/sandbox/card/${id}`, headers: form, body: raw('action=', x, 'pay') }, field: 'action' })),
      // JSON bodies: the key holding the bytes is named.
      around.chain(([a, b]) => badBytes.map((x) => ({ spec: { method: 'POST', path: '/api/v1/payments', headers: json, body: raw(`{"token":"${fx.fixToken}","way":"CRD","userEmail":"${a}`, x, `${b}@b.ru"}`) }, field: 'userEmail' }))),
      badBytes.map((x) => ({ spec: { method: 'POST', path: `/api/v1/cabinet/payments/${id}/status`, headers: { ...auth, ...json }, body: raw('{"status":"paid","reason":"', x, '"}') }, field: 'reason' })),
      badBytes.map((x) => ({ spec: { method: 'POST', path: `/api/v1/cabinet/payments/${id}/resend`, headers: { ...auth, ...json }, body: raw('{"actor":"', x, '"}') }, field: 'actor' })),
      badBytes.map((x) => ({ spec: { method: 'POST', path: '/callbacks/sandbox', headers: { ...json, [SANDBOX_SIGNATURE_HEADER]: 'x' }, body: raw(`{"paymentId":"${id}","outcome":"paid","amount":"102.0","ticker":"`, x, '"}') }, field: 'ticker' })),
    ];
    await fc.assert(fc.asyncProperty(fc.oneof(...cases), async ({ spec, field }) => {
      const before = await snapshot();
      const res = await send(spec);
      const text = await res.text();
      assert.equal(res.status, 400, `${spec.method} ${spec.path}: ${text.slice(0, 300)}`);
      const body = JSON.parse(text) as { error: { code: string; field?: string; message: string } };
      assert.equal(body.error.field, field, text);
      assert.match(body.error.message, /UTF-8/);
      assert.deepEqual(await snapshot(), before);
    }), { numRuns: RUNS, includeErrorInReport: true });
  });

  test('ill-formed strings (lone surrogates) in any JSON body are refused with a 400 naming the field, on every JSON endpoint', async () => {
    const auth = { authorization: 'Bearer shop-cabinet-key-0123456789' };
    const json = { 'content-type': 'application/json' };
    const id = fx.awaiting.card;
    // A lone high or low surrogate, or a pair in the wrong order, written as JSON escapes.
    const lone = fc.constantFrom('\\ud800', '\\uDBFF', '\\udc00', '\\uDFFF', '\\udc00\\ud800', 'a\\ud83d', '\\ude00b');
    const around = fc.tuple(fc.stringMatching(/^[a-z0-9]{0,6}$/), fc.stringMatching(/^[a-z0-9.]{0,6}$/));
    const cases: fc.Arbitrary<{ spec: Spec; field: string }>[] = [
      around.chain(([a, b]) => lone.map((x) => ({ spec: { method: 'POST', path: '/api/v1/payments', headers: json, body: `{"token":"${fx.fixToken}","way":"CRD","userEmail":"${a}${x}${b}@b.ru"}` }, field: 'userEmail' }))),
      lone.map((x) => ({ spec: { method: 'POST', path: '/api/v1/payments', headers: json, body: `{"token":"${fx.fixToken}","way":"CRD","k${x}":1}` }, field: 'k*' })),
      around.chain(([a, b]) => lone.map((x) => ({ spec: { method: 'POST', path: `/api/v1/cabinet/payments/${id}/status`, headers: { ...auth, ...json }, body: `{"status":"paid","reason":"${a}${x}${b}"}` }, field: 'reason' }))),
      lone.map((x) => ({ spec: { method: 'POST', path: `/api/v1/cabinet/payments/${id}/resend`, headers: { ...auth, ...json }, body: `{"actor":"${x}"}` }, field: 'actor' })),
      lone.map((x) => ({ spec: { method: 'PATCH', path: '/api/v1/cabinet/settings', headers: { ...auth, ...json }, body: `{"apiUrl":"https://shop.example/${x}"}` }, field: 'apiUrl' })),
      lone.map((x) => ({ spec: { method: 'PATCH', path: '/api/v1/cabinet/settings', headers: { ...auth, ...json }, body: `{"origins":["https://a.example","${x}"]}` }, field: 'origins.1' })),
      lone.map((x) => ({ spec: { method: 'POST', path: '/api/v1/cabinet/links', headers: { ...auth, ...json }, body: `{"price":"1.0","payFor":"${x}"}` }, field: 'payFor' })),
      lone.map((x) => ({ spec: { method: 'POST', path: '/api/v1/cabinet/session', headers: json, body: `{"apiKey":"${x}"}` }, field: 'apiKey' })),
      lone.map((x) => ({ spec: { method: 'POST', path: `/api/v1/cabinet/payments/${id}/refunds`, headers: { ...auth, ...json, 'idempotency-key': 'lone-1' }, body: `{"amount":"1.0","reason":"${x}"}` }, field: 'reason' })),
    ];
    await fc.assert(fc.asyncProperty(fc.oneof(...cases), async ({ spec, field }) => {
      const before = await snapshot();
      const res = await send(spec);
      const text = await res.text();
      assert.equal(res.status, 400, `${spec.method} ${spec.path}: ${text.slice(0, 300)}`);
      const body = JSON.parse(text) as { error: { code: string; field?: string; message: string } };
      // A key is named with U+FFFD in place of its lone surrogates (the name must itself be well-formed).
      if (field.endsWith('*')) assert.match(body.error.field ?? '', /^k[a-z]*\ufffd+[a-z]*$/, text);
      else assert.equal(body.error.field, field, text);
      assert.match(body.error.message, /well-formed/);
      assert.deepEqual(await snapshot(), before);
    }), { numRuns: Math.min(RUNS, 200), includeErrorInReport: true });
    // The sandbox callback, signed (its signature covers the exact bytes): refused the same way.
    const cb = `{"paymentId":"${id}","outcome":"paid","amount":"102.0","ticker":"R\\ud800R"}`;
    const res = await t.request('/callbacks/sandbox', { method: 'POST', headers: { ...json, [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(cb, TEST_SECRET) }, body: cb });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { field: string } }).error.field, 'ticker');
  });

  test('a buyer e-mail with control or bidirectional characters, over 40 characters or not an address is refused with a 400 naming the field, on every path that takes it', async () => {
    const bad = fc.oneof(
      fc.constantFrom('a\u0000b@x.ru', 'a\u0007@x.ru', 'a\u001b[31m@x.ru', 'evil\u202egpj.exe@x.ru', 'a@x\u202e.ru', 'a\u200f@x.ru', 'a\r\nBcc: c@d.ru', '<b>x</b>@x.ru',
        `${'a'.repeat(36)}@x.ru`, 'a@b', 'a@@b.ru', '@b.ru', 'a@', 'a b@c.ru', 'a@-x.ru', 'a@x..ru', 'a\u0085@x.ru', 'a@x.ru\u0000'),
      fc.tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.constantFrom('\u0000', '\u0001', '\u0008', '\u007f', '\u009b', '\u202a', '\u202e', '\u2066', '\u2069', '\u200e', '\ufeff')).map(([a, c]) => `${a}${c}@x.ru`),
    );
    const auth = { authorization: 'Bearer shop-cabinet-key-0123456789' };
    const fresh = async () => ((await (await t.request('/pay/shop?price=100&pay_for=email-rule', { headers: { accept: 'application/json' } })).json()) as { token: string }).token;
    const token = await fresh();
    const paths = (email: string): { spec: Spec; field: string }[] => [
      { spec: { method: 'GET', path: `/pay/shop?price=100&pay_for=1&user_email=${encodeURIComponent(email)}`, headers: { accept: 'application/json' } }, field: 'user_email' },
      { spec: { method: 'POST', path: '/pay/shop', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams({ price: '100', pay_for: '1', user_email: email }).toString() }, field: 'user_email' },
      { spec: { method: 'POST', path: '/api/v1/payments', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD', userEmail: email }) }, field: 'userEmail' },
      { spec: { method: 'POST', path: '/pay/shop/continue', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams({ token, way: 'CRD', user_email: email }).toString() }, field: 'user_email' },
      { spec: { method: 'POST', path: '/api/v1/cabinet/links', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ price: '1.0', payFor: '1', userEmail: email }) }, field: 'userEmail' },
    ];
    await fc.assert(fc.asyncProperty(bad, fc.integer({ min: 0, max: 4 }), async (email, i) => {
      const { spec, field } = paths(email)[i]!;
      const before = await snapshot();
      const res = await send(spec);
      const text = await res.text();
      assert.equal(res.status, 400, `${spec.method} ${spec.path} ${JSON.stringify(email)}: ${text.slice(0, 300)}`);
      if ((res.headers.get('content-type') ?? '').startsWith('application/json')) {
        assert.equal((JSON.parse(text) as { error: { field?: string } }).error.field, field, text);
      } else assert.ok(text.includes(field), `${spec.path}: the page names ${field}`);
      assert.deepEqual(await snapshot(), before);
    }), { numRuns: Math.min(RUNS, 200), includeErrorInReport: true });
    // Good addresses, an international domain among them, are taken on each path.
    for (const email of ['a@b.ru', 'First.Last+tag@sub.example.com', 'ivan@почта.рф', `${'a'.repeat(35)}@x.ru`]) {
      for (const { spec } of paths(email).filter((p) => p.spec.path !== '/api/v1/payments' && p.spec.path !== '/pay/shop/continue')) {
        const res = await send(spec);
        assert.ok(res.status === 200 || res.status === 201, `${spec.method} ${spec.path} ${email}: ${res.status} ${(await res.text()).slice(0, 200)}`);
      }
    }
    const ok = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: await fresh(), way: 'CRD', userEmail: 'ivan@почта.рф' }) });
    assert.equal(ok.status, 201, await ok.clone().text());
    const created = (await ok.json()) as { id: string };
    realIds.push(created.id);
    assert.equal((await t.storage.getPayment(created.id))!.userEmail, 'ivan@почта.рф');
  });

  test('an unknown key in a payment or a sandbox callback is named', async () => {
    // A fresh token: the fixture's has been used up by the fuzzing above (paymentsPerToken).
    const fresh = ((await (await t.request('/pay/shop?price=100&pay_for=unknown-key', { headers: { accept: 'application/json' } })).json()) as { token: string }).token;
    const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: fresh, way: 'CRD', price: '1.0' }) });
    assert.equal(res.status, 400);
    assert.deepEqual(((await res.json()) as { error: unknown }).error, { code: 'invalid_body', message: 'price: is not a known parameter', field: 'price' });
    const cb = JSON.stringify({ paymentId: fx.final.paid, outcome: 'paid', amount: '102.0', ticker: 'RUR', extra: 1 });
    const r2 = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(cb, TEST_SECRET) }, body: cb });
    assert.equal(r2.status, 400);
    assert.deepEqual(((await r2.json()) as { error: unknown }).error, { code: 'invalid_body', message: 'extra: is not a known parameter', field: 'extra' });
  });

  test('valid-shaped payment requests with random keys and fields: never 5xx, amounts consistent, each created payment accounted for', async () => {
    const before = await t.storage.statusCounts();
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    const createdIds = new Set<string>();
    // Tokens as the form payload issues them: fix mode (with its quotes) and free mode in each ticker.
    const tokens: { token: string; quotes: Record<string, string | null> }[] = [];
    for (const q of ['price=100&pay_for=v1', 'price=12345.67&ticker=EUR&pay_for=v2&convert=no', 'price=0.5&ticker=USD&pay_for=v3&price_final=yes', 'pay_mode=free&pay_for=v4', 'pay_mode=free&ticker=EUR&pay_for=v5', 'pay_mode=free&ticker=USD&pay_for=v6&price_final=yes']) {
      const res = await t.request(`/pay/shop?${q}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200, q);
      const p = (await res.json()) as { token: string; ways: { code: string; amount: string | null }[] };
      tokens.push({ token: p.token, quotes: Object.fromEntries(p.ways.map((w) => [w.code, w.amount])) });
    }
    tokens.push({ token: fx.keyedToken, quotes: {} });
    const arb = fc.record({
      t: fc.constantFrom(...tokens),
      way: fc.constantFrom('CRD', 'USD', 'EUR', 'RUR', 'TST'),
      userEmail: fc.option(fc.constantFrom('a@b.ru', 'x@y.com', ''), { nil: undefined }),
      userPhone: fc.option(fc.constantFrom('+7 999', ''), { nil: undefined }),
      amount: fc.option(fc.oneof(fc.constantFrom('100.0', '100', '150.5', '0.01', '12345.67', '0.5'), LINK_VALUES.price!), { nil: undefined }),
      key: fc.option(fc.oneof(fc.constantFrom('fz-key-1', 'fz-key-2', 'fz-key-3'), fc.stringMatching(/^[!-~]{1,40}$/)), { nil: undefined }),
      origin: fc.option(fc.constantFrom('https://shop.example', 'http://gateway.test', 'https://evil.example'), { nil: undefined }),
    });
    await fc.assert(fc.asyncProperty(arb, async ({ key, origin, t: tk, ...rest }) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key !== undefined) headers['idempotency-key'] = key;
      if (origin !== undefined) headers.origin = origin;
      const body = { token: tk.token, ...rest };
      const spec: Spec = { method: 'POST', path: '/api/v1/payments', headers, body: JSON.stringify(body) };
      const res = await send(spec);
      const text = await res.clone().text();
      await checkAnswer(spec, res);
      if (res.status !== 201) {
        assert.ok([400, 403, 409].includes(res.status), `${res.status} ${text.slice(0, 300)}`);
        return;
      }
      const created = JSON.parse(text) as { id: string; amount: string; ticker: string };
      createdIds.add(created.id);
      // The buyer pays what the form quoted, the status API says the same, and the amount is one a
      // payment system can report back.
      const quoted = tk.quotes[rest.way];
      if (quoted !== undefined && quoted !== null && created.id !== fx.awaiting.keyed) assert.equal(created.amount, quoted, `${rest.way}: quoted ${quoted}, created ${created.amount}`);
      assert.notEqual(parseAmount(created.amount), null, `created amount ${created.amount}`);
      const view = (await (await t.request(`/api/v1/payments/${created.id}`)).json()) as { amount: string };
      assert.equal(view.amount, created.amount);
    }), { numRuns: RUNS, includeErrorInReport: true });
    const after = await t.storage.statusCounts();
    // The replayed fz-key-1 answer carries the fixture's payment, which is not new.
    createdIds.delete(fx.awaiting.keyed);
    assert.equal(total(after.payments) - total(before.payments), createdIds.size);
    assert.equal(after.payments.awaiting_payment! - before.payments.awaiting_payment!, createdIds.size);
    assert.deepEqual(after.notifications, before.notifications);
    assert.ok(createdIds.size > 0, 'some valid requests created payments');
  });
});
