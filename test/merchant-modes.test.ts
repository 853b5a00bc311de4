/**
 * Issue 12, items 1, 2, 8 and 9, through the real handler on real storage: test and live merchants
 * (a live merchant's money never moves through a sandbox path, whatever the entry point), the fee
 * policy over the unsigned `price_final`, only usable ways offered, and return URLs held to the
 * merchant's list.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { merchantFromConfig, startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { feePolicy, isLoopbackUrl, merchantMode, returnUrlAllowed } from '../src/server/merchants/merchant-rules.ts';
import { linkSignature } from '../src/protocol/onpay-api.ts';
import { signSandboxCallback, SANDBOX_SIGNATURE_HEADER } from '../src/server/providers/sandbox/sandbox.ts';
import { DEFAULT_TERMINAL } from '../src/server/providers/tbank/emulator.ts';
import { CONNECTOR_MODULES, moduleTable } from '../src/server/providers/modules.ts';
import { fakeModule } from './fake-connector.ts';
import { merchant, startTestGateway, TEST_SECRET, type TestGateway } from './helpers.ts';

const json = { accept: 'application/json' };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const md5Link = (q: Record<string, string>, key: string) => linkSignature({ payMode: q.pay_mode ?? 'fix', price: q.price!, ticker: q.ticker ?? 'RUR', payFor: q.pay_for!, convert: q.convert ?? 'yes' }, key);

async function form(t: TestGateway, login: string, query: string) {
  const res = await t.request(`/pay/${login}?${query}`, { headers: json });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const FAKE_WAY = { code: 'FKC', provider: 'fake', method: 'card', ticker: 'RUR', title: { ru: 'Карта', en: 'Card' } };

describe('merchant rules (pure)', () => {
  test('mode: the merchant\'s own, else test while the sandbox is on and live otherwise', () => {
    assert.equal(merchantMode({ mode: null }, true), 'test');
    assert.equal(merchantMode({ mode: null }, false), 'live');
    assert.equal(merchantMode({ mode: 'live' }, true), 'live');
    assert.equal(merchantMode({ mode: 'test' }, false), 'test');
  });

  test('fee policy: link for merchants that do not sign links, buyer for those that do, unless chosen', () => {
    assert.equal(feePolicy({ fees: null, checkLinkMd5: false }), 'link');
    assert.equal(feePolicy({ fees: null, checkLinkMd5: true }), 'buyer');
    assert.equal(feePolicy({ fees: 'link', checkLinkMd5: true }), 'link');
    assert.equal(feePolicy({ fees: 'merchant', checkLinkMd5: false }), 'merchant');
  });

  test('return URLs: an origin allows its URLs, a prefix its path at a segment boundary, nothing else', () => {
    const table: [string, string[], boolean][] = [
      ['https://shop.example/ok', ['https://shop.example'], true],
      ['https://shop.example', ['https://shop.example'], true],
      ['https://shop.example.evil.com/ok', ['https://shop.example'], false],
      ['http://shop.example/ok', ['https://shop.example'], false],
      ['https://shop.example:8443/ok', ['https://shop.example'], false],
      ['https://user@shop.example/ok', ['https://shop.example'], true],
      ['https://shop.example/onpay/ok', ['https://shop.example/onpay/'], true],
      ['https://shop.example/onpay', ['https://shop.example/onpay'], true],
      ['https://shop.example/onpay/ok?x=1', ['https://shop.example/onpay'], true],
      ['https://shop.example/onpayx', ['https://shop.example/onpay'], false],
      ['https://shop.example/other', ['https://shop.example/onpay/'], false],
      ['not a url', ['https://shop.example'], false],
    ];
    for (const [url, allowed, ok] of table) assert.equal(returnUrlAllowed(url, allowed), ok, `${url} on ${allowed.join(',')}`);
  });

  test('loopback public URLs', () => {
    for (const u of ['http://localhost:8080', 'http://127.0.0.1', 'http://127.1.2.3:9', 'http://[::1]:8080', 'http://pay.localhost']) assert.ok(isLoopbackUrl(u), u);
    for (const u of ['https://pay.example.com', 'http://10.0.0.1', 'http://0.0.0.0:8080', 'http://localhost.example.com']) assert.ok(!isLoopbackUrl(u), u);
  });
});

describe('test and live merchants', () => {
  let t: TestGateway;
  const fake = fakeModule();

  before(async () => {
    t = await startTestGateway({
      connectorModules: moduleTable([...CONNECTOR_MODULES.values(), fake.module]),
      config: {
        providers: [{ id: 'fake', type: 'fake', password: 'fake-password' }],
        ways: [...parseConfig({ secret: TEST_SECRET }).ways, FAKE_WAY],
      },
      merchants: [merchant(), merchant({ login: 'live', mode: 'live' }), merchant({ login: 'switch', mode: 'test' })],
    });
  });
  after(() => t.close());

  test('a merchant without mode is a test one while the sandbox is on: testMode in the payload and the hosted page', async () => {
    const f = await form(t, 'shop', 'price=100&pay_for=1');
    assert.equal(f.status, 200);
    assert.equal(f.body.testMode, true);
    assert.ok(f.body.ways.some((w: any) => w.code === 'CRD'));
    const page = await (await t.request('/pay/shop?price=100&pay_for=1')).text();
    assert.match(page, /class="badge">Тестовый режим</);
    const en = await (await t.request('/pay/shop?price=100&pay_for=1&ln=en')).text();
    assert.match(en, /class="badge">Test mode</);
  });

  test('a live merchant is offered no sandbox way, shows no test badge, and cannot pick one', async () => {
    const f = await form(t, 'live', 'price=100&pay_for=1');
    assert.equal(f.status, 200);
    assert.equal(f.body.testMode, false);
    assert.deepEqual(f.body.ways.map((w: any) => w.code), ['FKC']);
    assert.doesNotMatch(await (await t.request('/pay/live?price=100&pay_for=1')).text(), /Тестовый режим/);
    const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: f.body.token, way: 'CRD' }) });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.field, 'way');
    const one = await form(t, 'live', 'price=100&pay_for=1&one_way=CRD');
    assert.equal(one.status, 400);
    assert.equal(one.body.error.field, 'one_way');
    assert.match(one.body.error.message, /sandbox/);
  });

  test('no sandbox entry point changes a live merchant\'s payment: each refused with a 4xx saying why, nothing changed', async () => {
    // Paid through the sandbox while a test merchant, then made live: the sandbox must let go of it.
    const mk = async (way: string) => {
      const f = await form(t, 'switch', `price=100&pay_for=${way}`);
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: f.body.token, way }) });
      assert.equal(res.status, 201);
      return ((await res.json()) as any).id as string;
    };
    const cardId = await mk('CRD');
    const bankId = await mk('RUR');
    const before = await form(t, 'switch', 'price=100&pay_for=again');
    assert.ok(before.body.ways.some((w: any) => w.code === 'CRD'));
    const m = (await t.storage.getMerchant('switch'))!;
    await t.storage.upsertMerchant({ ...m, mode: 'live' }, t.clock.now());
    // The same form right after: the ways kept for the same price and merchant are not reused.
    const after = await form(t, 'switch', 'price=100&pay_for=again');
    assert.equal(after.body.testMode, false);
    assert.deepEqual(after.body.ways.map((w: any) => w.code), ['FKC']);

    const callback = (id: string, path: string) => {
      const body = JSON.stringify({ paymentId: id, outcome: 'paid', amount: '100.0', ticker: 'RUR' });
      return t.request(path, { method: 'POST', headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(body, TEST_SECRET) }, body });
    };
    const attempts: [string, () => Promise<Response>][] = [
      ['card page', () => t.request(`/sandbox/card/${cardId}`)],
      ['card page POST pay', () => t.request(`/sandbox/card/${cardId}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' })],
      ['card page POST decline', () => t.request(`/sandbox/card/${cardId}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=decline' })],
      ['sandbox API pay', () => t.request(`/api/v1/sandbox/payments/${bankId}/pay`, { method: 'POST' })],
      ['sandbox API decline', () => t.request(`/api/v1/sandbox/payments/${cardId}/decline`, { method: 'POST' })],
      ['sandbox callback', () => callback(bankId, '/callbacks/sandbox')],
      ['sandbox callback (card)', () => callback(cardId, '/callbacks/sandbox')],
      ['sandbox provider notify', () => callback(bankId, '/providers/sandbox/notify')],
    ];
    for (const [what, attempt] of attempts) {
      const res = await attempt();
      assert.equal(res.status, 403, what);
      const text = await res.text();
      assert.match(text, /live/, `${what}: says why`);
    }
    for (const id of [cardId, bankId]) {
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'awaiting_payment');
      assert.equal(p.paidAt, null);
    }
    assert.equal((await t.storage.statusCounts()).notifications.pending ?? 0, 0);
    // The same payment moves again once the merchant is a test one.
    await t.storage.upsertMerchant({ ...m, mode: 'test' }, t.clock.now());
    assert.equal((await t.request(`/api/v1/sandbox/payments/${bankId}/pay`, { method: 'POST' })).status, 200);
  });

  test('the cabinet API and page show the mode', async () => {
    const me = async (key: string) => (await (await t.request('/api/v1/cabinet/me', { headers: { authorization: `Bearer ${key}` } })).json()) as any;
    const shop = await me('shop-cabinet-key-0123456789');
    assert.equal(shop.mode, 'test');
    assert.equal(shop.testMode, true);
    const page = await (await t.request('/cabinet')).text();
    assert.match(page, /id="test-mode" class="badge" hidden>Тестовый режим</);
  });
});

describe('with the sandbox off', () => {
  let t: TestGateway;
  const fake = fakeModule();
  before(async () => {
    t = await startTestGateway({
      connectorModules: moduleTable([...CONNECTOR_MODULES.values(), fake.module]),
      config: { sandbox: false, providers: [{ id: 'fake', type: 'fake', password: 'fake-password' }], ways: [...parseConfig({ secret: TEST_SECRET }).ways, FAKE_WAY] },
      merchants: [merchant(), merchant({ login: 'tester', mode: 'test', apiKey: 'tester-cabinet-key-0123456789' })],
    });
  });
  after(() => t.close());

  test('merchants without mode are live, and the default card ways are not offered', async () => {
    const f = await form(t, 'shop', 'price=100&pay_for=1');
    assert.equal(f.status, 200);
    assert.equal(f.body.testMode, false);
    assert.deepEqual(f.body.ways.map((w: any) => w.code), ['FKC']);
    const me = (await (await t.request('/api/v1/cabinet/me', { headers: { authorization: 'Bearer shop-cabinet-key-0123456789' } })).json()) as any;
    assert.equal(me.mode, 'live');
  });

  test('a test merchant is still not offered a sandbox way when the sandbox is off', async () => {
    const f = await form(t, 'tester', 'price=100&pay_for=1');
    assert.equal(f.body.testMode, true);
    assert.deepEqual(f.body.ways.map((w: any) => w.code), ['FKC']);
  });
});

describe('start warning', () => {
  test('sandbox on with a public URL that is not loopback: the start names the test merchants', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onpay-modes-'));
    const logs: string[] = [];
    const run = async (publicUrl: string) => {
      const gw = await startGateway(parseConfig({
        port: 0, host: '127.0.0.1', publicUrl, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: TEST_SECRET,
        merchants: [merchant({ login: 'tshop' }), merchant({ login: 'lshop', mode: 'live', apiKey: 'lshop-cabinet-key-0123456789' })],
      }), { dispatcher: false, log: (m) => logs.push(m) });
      await gw.close();
    };
    try {
      await run('http://localhost:8080');
      assert.ok(!logs.some((l) => /sandbox is on/.test(l)), 'no warning on loopback');
      await run('https://pay.example.com');
      const w = logs.find((l) => /sandbox is on/.test(l));
      assert.ok(w, logs.join('\n'));
      assert.match(w, /tshop/);
      assert.doesNotMatch(w, /lshop/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fee policy', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      merchants: [
        merchant(),
        merchant({ login: 'signed', checkLinkMd5: true }),
        merchant({ login: 'signedlink', checkLinkMd5: true, fees: 'link' }),
        merchant({ login: 'mpays', fees: 'merchant' }),
        merchant({ login: 'bpays', fees: 'buyer' }),
      ],
    });
  });
  after(() => t.close());

  const signed = (login: string, extra: string) => {
    const q = { price: '100.0', pay_for: '7' };
    return form(t, login, `price=100.0&pay_for=7&md5=${md5Link(q, 'test')}${extra}`);
  };
  const crd = (f: { body: Record<string, any> }) => f.body.ways.find((w: any) => w.code === 'CRD').amount as string;

  test('a merchant who signs links: an added price_final=true is ignored, the buyer pays the fee', async () => {
    const f = await signed('signed', '&price_final=true');
    assert.equal(f.status, 200);
    assert.equal(f.body.order.priceFinal, false);
    assert.equal(crd(f), '102.0');
    // And the payment keeps that amount.
    const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: f.body.token, way: 'CRD' }) });
    const p = (await t.storage.getPayment(((await res.json()) as any).id))!;
    assert.equal(p.priceFinal, false);
    assert.equal(p.amountMinor, 10200n);
  });

  test('a signing merchant who chose "link" has price_final honoured', async () => {
    const f = await signed('signedlink', '&price_final=true');
    assert.equal(f.body.order.priceFinal, true);
    assert.equal(crd(f), '100.0');
  });

  test('a merchant who does not sign links: the link decides by default', async () => {
    assert.equal(crd(await form(t, 'shop', 'price=100&pay_for=1&price_final=true')), '100.0');
    assert.equal(crd(await form(t, 'shop', 'price=100&pay_for=1')), '102.0');
  });

  test('"merchant" and "buyer" apply whatever the link says', async () => {
    assert.equal(crd(await form(t, 'mpays', 'price=100&pay_for=1')), '100.0');
    assert.equal(crd(await form(t, 'mpays', 'price=100&pay_for=1&price_final=no')), '100.0');
    assert.equal(crd(await form(t, 'bpays', 'price=100&pay_for=1&price_final=true')), '102.0');
  });

  test('the hosted page carries the policy\'s price_final, not the link\'s', async () => {
    const page = await (await t.request(`/pay/signed?price=100.0&pay_for=7&md5=${md5Link({ price: '100.0', pay_for: '7' }, 'test')}&price_final=true`)).text();
    assert.doesNotMatch(page, /price-final/);
    assert.match(page, /102,00\s₽/); // the buyer pays the fee: 100 + 2 %, as Intl writes it
  });
});

describe('only usable ways are offered', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        providers: [{ id: 'tbank', type: 'tbank', ...DEFAULT_TERMINAL, apiUrl: 'http://127.0.0.1:9/v2' }],
        ways: [...parseConfig({ secret: TEST_SECRET }).ways, { code: 'SBP', provider: 'tbank', method: 'sbp', ticker: 'RUR', title: { ru: 'СБП', en: 'SBP' } }],
      },
      merchants: [merchant()],
    });
  });
  after(() => t.close());

  test('price=0.01: no USD or EUR at 0.0, and no SBP below its 10-rouble minimum', async () => {
    const f = await form(t, 'shop', 'price=0.01&pay_for=1');
    assert.equal(f.status, 200);
    const codes = f.body.ways.map((w: any) => w.code);
    assert.deepEqual(codes, ['CRD', 'RUR', 'TST']);
    for (const w of f.body.ways) assert.notEqual(w.amount, '0.0');
    const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: f.body.token, way: 'USD' }) });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.field, 'way');
  });

  test('SBP is offered from 10 roubles', async () => {
    assert.ok(!(await form(t, 'shop', 'price=9.99&pay_for=1')).body.ways.some((w: any) => w.code === 'SBP'));
    assert.ok((await form(t, 'shop', 'price=10&pay_for=1')).body.ways.some((w: any) => w.code === 'SBP'));
  });

  test('one_way naming a way that cannot take the amount is a 400 naming one_way', async () => {
    for (const q of ['price=0.01&pay_for=1&one_way=USD', 'price=5&pay_for=1&one_way=SBP']) {
      const f = await form(t, 'shop', q);
      assert.equal(f.status, 400, q);
      assert.equal(f.body.error.field, 'one_way');
    }
    assert.equal((await form(t, 'shop', 'price=10&pay_for=1&one_way=SBP')).status, 200);
  });

  test('free mode: an amount below the way\'s minimum is refused naming amount', async () => {
    const f = await form(t, 'shop', 'pay_mode=free&pay_for=1');
    assert.ok(f.body.ways.some((w: any) => w.code === 'SBP'));
    const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: f.body.token, way: 'SBP', amount: '5.0' }) });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.field, 'amount');
  });

  test('no way left for the price: a 400 naming price', async () => {
    const only = await startTestGateway({ config: { ways: [parseConfig({ secret: TEST_SECRET }).ways.find((w) => w.code === 'USD')] } });
    try {
      const f = await form(only, 'shop', 'price=0.01&pay_for=1');
      assert.equal(f.status, 400);
      assert.equal(f.body.error.field, 'price');
      const page = await only.request('/pay/shop?price=0.01&pay_for=1');
      assert.equal(page.status, 400);
    } finally {
      await only.close();
    }
  });

  test('no way the merchant may use at all: a 4xx naming merchant_login', async () => {
    const off = await startTestGateway({ config: { sandbox: false } });
    try {
      const f = await form(off, 'shop', 'price=100&pay_for=1');
      assert.equal(f.status, 422);
      assert.equal(f.body.error.field, 'merchant_login');
    } finally {
      await off.close();
    }
  });
});

describe('return URLs', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      merchants: [
        merchant(), // origins: https://shop.example
        merchant({ login: 'prefixed', returnUrls: ['https://shop.example/onpay/', 'https://pay-back.example'] }),
        merchant({ login: 'open', origins: [] }),
      ],
    });
  });
  after(() => t.close());

  test('with origins, url_success / url_fail (and their _enc forms) must be on them; other links get a 400 naming the field', async () => {
    assert.equal((await form(t, 'shop', 'price=1&pay_for=1&url_success=https://shop.example/ok&url_fail=https://shop.example/fail')).status, 200);
    const cases: [string, string][] = [
      ['url_success=https://evil.example/ok', 'url_success'],
      ['url_fail=https://shop.example.evil.example/', 'url_fail'],
      [`url_success_enc=${encodeURIComponent(b64('https://evil.example/'))}`, 'url_success_enc'],
      ['url_fail_enc=https://evil.example/', 'url_fail_enc'],
      ['url_success=http://shop.example/ok', 'url_success'],
    ];
    for (const [q, field] of cases) {
      const f = await form(t, 'shop', `price=1&pay_for=1&${q}`);
      assert.equal(f.status, 400, q);
      assert.equal(f.body.error.field, field, q);
    }
    const page = await t.request('/pay/shop?price=1&pay_for=1&url_success=https://evil.example/');
    assert.equal(page.status, 400);
    assert.match(await page.text(), /url_success/);
    assert.equal((await t.request('/pay/shop/snippet?price=1&pay_for=1&url_fail=https://evil.example/')).status, 400);
  });

  test('returnUrls, when set, is the list: prefixes and origins', async () => {
    assert.equal((await form(t, 'prefixed', 'price=1&pay_for=1&url_success=https://shop.example/onpay/ok&url_fail=https://pay-back.example/x')).status, 200);
    const f = await form(t, 'prefixed', 'price=1&pay_for=1&url_success=https://shop.example/elsewhere');
    assert.equal(f.status, 400);
    assert.equal(f.body.error.field, 'url_success');
  });

  test('a merchant with neither origins nor returnUrls keeps today\'s behaviour: any http(s) URL', async () => {
    assert.equal((await form(t, 'open', 'price=1&pay_for=1&url_success=https://anywhere.example/ok')).status, 200);
  });

  test('returnUrls in the configuration are validated', () => {
    assert.throws(() => parseConfig({ secret: TEST_SECRET, merchants: [merchant({ returnUrls: ['ftp://x.example'] })] }), /merchants\.0\.returnUrls\.0/);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, merchants: [merchant({ returnUrls: ['https://x.example/?a=1'] })] }), /merchants\.0\.returnUrls\.0/);
    assert.deepEqual(merchantFromConfig(merchant({ returnUrls: ['https://x.example/p/'] })).returnUrls, ['https://x.example/p/']);
  });
});
