/**
 * Rate limits (issue 12, item 3): wrong cabinet keys, payments per form token and per client
 * address, CHECKs to one merchant; 429 with Retry-After and the RateLimit fields; the client address
 * behind trusted proxies.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway } from '../src/server/bootstrap.ts';
import { clientAddress, clientIp, trustedProxies } from '../src/server/http/client-address.ts';
import { parseConfig } from '../src/server/config.ts';
import { DEFAULT_RATE_LIMITS } from '../src/server/http/rate-limit.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { merchant, startMerchantStub, startTestGateway, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';

/** What @hono/node-server passes as `env`: the connection, whose peer address is `address`. */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
const KEY = 'shop-cabinet-key-0123456789';

function assertLimited(res: Response, name: string): void {
  assert.equal(res.status, 429);
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1, `Retry-After ${res.headers.get('retry-after')}`);
  assert.match(res.headers.get('ratelimit-policy') ?? '', new RegExp(`^"${name}";q=\\d+;w=\\d+$`));
  assert.match(res.headers.get('ratelimit') ?? '', new RegExp(`^"${name}";r=0;t=\\d+$`));
}

describe('cabinet keys', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway();
  });
  after(() => t.close());
  const cabinet = (key: string, address: string) => t.gateway.fetch(new Request('http://gateway.test/api/v1/cabinet/me', { headers: { authorization: `Bearer ${key}` } }), from(address));

  test('300 wrong keys from one address: 401 for the first ones, then 429, and the right key from there too', async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 300; i++) {
      const res = await cabinet(`wrong-key-${i}-0123456789abcdef`, '198.51.100.7');
      statuses.push(res.status);
      if (res.status === 429 && !limited) limited = res;
      else await res.body?.cancel();
    }
    const unauthorized = statuses.filter((s) => s === 401).length;
    assert.ok(unauthorized <= 20, `${unauthorized} plain 401s`);
    assert.equal(statuses.filter((s) => s === 429).length, 300 - unauthorized);
    assertLimited(limited!, 'cabinetFailuresPerAddress');
    assert.equal(((await limited!.json()) as { error: { code: string } }).error.code, 'rate_limited');
    // The address is blocked for a while, whatever key it sends.
    assert.equal((await cabinet(KEY, '198.51.100.7')).status, 429);
    // Another address is not.
    const other = await cabinet(KEY, '198.51.100.8');
    assert.equal(other.status, 200);
    assert.match(other.headers.get('ratelimit') ?? '', /^"cabinet(PerAddress|PerMerchant)";r=\d+;t=\d+$/);
    assert.match(other.headers.get('ratelimit-policy') ?? '', /;q=\d+;w=\d+$/);
  });

  test('an IPv6 client is counted by its /64', async () => {
    for (let i = 0; i < 21; i++) await (await cabinet('wrong-key-0123456789abcdef', `2001:db8:1:2::${(i + 1).toString(16)}`)).body?.cancel();
    assert.equal((await cabinet(KEY, '2001:db8:1:2::ffff')).status, 429);
    assert.equal((await cabinet(KEY, '2001:db8:1:3::1')).status, 200);
  });
});

describe('key use per merchant', () => {
  test('a merchant\'s key used more than cabinetPerMerchant allows is refused', async () => {
    const t = await startTestGateway({ config: { rateLimits: { cabinetPerMerchant: { points: 5, durationS: 60 } } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await t.request('/api/v1/cabinet/me', { headers: { authorization: `Bearer ${KEY}` } })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('payments', () => {
  let t: TestGateway;
  let stub: MerchantStub;
  before(async () => {
    stub = await startMerchantStub((req, res) => {
      const body = JSON.parse(req.body) as { type: 'check'; pay_for: string };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, true, body.pay_for, 'test') }));
    });
    t = await startTestGateway({
      merchants: [merchant(), merchant({ login: 'notify', notifications: true, apiUrl: stub.url, origins: [] })],
      config: { rateLimits: { paymentsPerToken: { points: 5, durationS: 60 }, paymentsPerAddress: { points: 8, durationS: 60 }, checksPerMerchant: { points: 3, durationS: 60 } } },
    });
  });
  after(async () => {
    await t.close();
    await stub.close();
  });
  const tokenFor = async (login: string, payFor: string) => ((await (await t.request(`/pay/${login}?price=100&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as { token: string }).token;
  const pay = (token: string, env?: unknown) => t.gateway.fetch(new Request('http://gateway.test/api/v1/payments', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }),
  }), env);

  test('one form token makes at most paymentsPerToken payments; the rest get 429 and create nothing', async () => {
    const token = await tokenFor('shop', 'per-token');
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 12; i++) {
      const res = await pay(token);
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
    assertLimited(limited!, 'paymentsPerToken');
    const created = await t.storage.listPayments({ merchantLogin: 'shop', payFor: 'per-token', limit: 100 });
    assert.equal(created.length, 5);
  });

  test('requests refused without creating anything (a wrong way, a wrong amount) do not use the token up', async () => {
    const token = await tokenFor('shop', 'mistyped');
    for (let i = 0; i < 20; i++) {
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'ZZZ' }) });
      assert.equal(res.status, 400);
    }
    assert.equal((await pay(token)).status, 201);
  });

  test('the no-JS form counts against the same token', async () => {
    const token = await tokenFor('shop', 'per-token-form');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.request('/pay/shop/continue', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, way: 'EUR' }).toString() });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [303, 303, 303, 303, 303, 429]);
  });

  test('CHECKs to one merchant are bounded, whatever the tokens', async () => {
    const before = stub.requests.length;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await pay(await tokenFor('notify', `check-${i}`))).status);
    assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
    assert.equal(stub.requests.length - before, 3, 'only three CHECKs reached the merchant');
  });

  test('payments per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await pay(await tokenFor('shop', `addr-${i}`), from('203.0.113.50'))).status);
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201, 201, 201, 429, 429]);
    assert.equal((await pay(await tokenFor('shop', 'addr-other'), from('203.0.113.51'))).status, 201);
  });
});

describe('the client address', () => {
  const trusted = trustedProxies(['10.0.0.0/8', '::1', '192.0.2.1']);
  const table: [string | undefined, string | undefined, string | undefined, string][] = [
    ['203.0.113.9', undefined, '203.0.113.9', 'no proxy: the peer'],
    ['203.0.113.9', '1.2.3.4', '203.0.113.9', 'X-Forwarded-For from an untrusted peer is ignored'],
    ['10.0.0.5', '198.51.100.7', '198.51.100.7', 'behind a trusted proxy: the forwarded address'],
    ['10.0.0.5', '6.6.6.6, 198.51.100.7', '198.51.100.7', 'the rightmost untrusted hop, not the client-written left one'],
    ['10.0.0.5', '198.51.100.7, 10.0.0.9', '198.51.100.7', 'trusted hops on the right are skipped'],
    ['10.0.0.5', '10.0.0.8, 10.0.0.9', '10.0.0.8', 'all trusted: the leftmost'],
    ['10.0.0.5', 'garbage, 198.51.100.7', '198.51.100.7', 'garbage left of the client does not matter'],
    ['10.0.0.5', '198.51.100.7, garbage', '10.0.0.5', 'garbage from a trusted hop: that hop'],
    ['::ffff:10.0.0.5', '198.51.100.7', '198.51.100.7', 'IPv4-mapped peer'],
    ['::1', '[2001:db8::5]', '2001:db8:0:0::/64', 'IPv6 client, by its /64'],
    ['192.0.2.1', '::ffff:198.51.100.7', '198.51.100.7', 'IPv4-mapped hop'],
    [undefined, '198.51.100.7', undefined, 'no connection: no address'],
  ];
  for (const [peer, xff, want, why] of table) {
    test(why, () => assert.equal(clientAddress(peer, xff, trusted), want));
  }
  test('clientIp is the address itself (what provider connectors check against their allowlists)', () => {
    assert.equal(clientIp('::1', '[2001:db8::5]', trusted), '2001:db8::5');
    assert.equal(clientIp('::ffff:203.0.113.9', undefined, trusted), '203.0.113.9');
    assert.equal(clientIp('10.0.0.5', '6.6.6.6, 198.51.100.7', trusted), '198.51.100.7');
  });
  test('trustProxy entries must be addresses or CIDR ranges', () => {
    assert.throws(() => parseConfig({ secret: TEST_SECRET, trustProxy: ['10.0.0.0/33'] }), /trustProxy\.0/);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, trustProxy: ['proxy.local'] }), /trustProxy\.0/);
    assert.deepEqual(parseConfig({ secret: TEST_SECRET, trustProxy: ['10.0.0.0/8', '::1'] }).trustProxy, ['10.0.0.0/8', '::1']);
  });
});

describe('over a real connection', () => {
  test('the peer address of the socket is what wrong keys are counted by; X-Forwarded-For from it is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onpay-limits-'));
    const gw = await startGateway(parseConfig({
      port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: TEST_SECRET,
      merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop', apiKey: KEY, origins: [], checkLinkMd5: false }],
    }), { dispatcher: false, log: () => {} });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const res = await fetch(`${gw.url}/api/v1/cabinet/me`, { headers: { authorization: 'Bearer wrong-key-0123456789abcdef', 'x-forwarded-for': `198.51.100.${i}` } });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      assert.deepEqual(statuses, [...Array(20).fill(401), ...Array(5).fill(429)]);
    } finally {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('provider notifications (issue 30 item 10)', () => {
  test('notifyPerAddress: counted per client address before anything is read; 429 with Retry-After, other addresses unaffected', async () => {
    const t = await startTestGateway({ config: { rateLimits: { notifyPerAddress: { points: 5, durationS: 60 } } } });
    try {
      const notify = (address: string, provider = 'sandbox') => t.gateway.fetch(new Request(`http://gateway.test/providers/${provider}/notify`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"paymentId":"pay_nope"}',
      }), from(address));
      const statuses: number[] = [];
      let limited: Response | undefined;
      // Unknown providers and unsigned bodies count too: the limit is on the endpoint, before any judgement.
      for (let i = 0; i < 7; i++) {
        const res = await notify('198.51.100.20', i % 2 === 0 ? 'sandbox' : 'nope');
        statuses.push(res.status);
        if (res.status === 429) limited ??= res;
      }
      assert.ok(statuses.slice(0, 5).every((s) => s !== 429), statuses.join(','));
      assert.deepEqual(statuses.slice(5), [429, 429]);
      assertLimited(limited!, 'notifyPerAddress');
      assert.notEqual((await notify('198.51.100.21')).status, 429);
    } finally {
      await t.close();
    }
  });

  test('the default is generous: 600 per 60 s', () => {
    const c = parseConfig({ secret: TEST_SECRET });
    assert.equal(c.rateLimits.notifyPerAddress, undefined, 'not set: the default applies');
    assert.deepEqual(DEFAULT_RATE_LIMITS.notifyPerAddress, { points: 600, durationS: 60 });
    assert.throws(() => parseConfig({ secret: TEST_SECRET, rateLimits: { notifyPerAddress: { points: 0, durationS: 60 } } }), /notifyPerAddress/);
  });
});
