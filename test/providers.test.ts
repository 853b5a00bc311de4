/**
 * The generic provider plumbing (issue 11) with a test-only fake connector and the sandbox one:
 * provider accounts in the configuration, creating at the provider after CHECK (started, refused,
 * unknown), notifications at /providers/{id}/notify (applied, repeated, amount mismatch, bad
 * signature), and the buyer's way back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, parseConfig, redactConfig, resolveSecretRefs } from '../src/server/config.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { CONNECTOR_MODULES, moduleTable } from '../src/server/providers/modules.ts';
import { sandboxModule, signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import { fakeModule, signFake } from './fake-connector.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';

const PASSWORD = 'fake-password-1';
const title = { ru: 'Фейк', en: 'Fake' };
const providerConfig = {
  providers: [{ id: 'fk', type: 'fake', password: PASSWORD }],
  ways: [
    { code: 'CRD', system: 'card', ticker: 'RUR', feeBps: 200, title: { ru: 'Карта (тест)', en: 'Card (test)' } },
    { code: 'FKC', provider: 'fk', method: 'card', ticker: 'RUR', feeBps: 0, title },
    { code: 'FKS', provider: 'fk', method: 'sbp', ticker: 'RUR', title },
  ],
};

describe('provider configuration', () => {
  const fake = fakeModule();
  const modules = moduleTable([sandboxModule, fake.module]);
  const parse = (over: Record<string, unknown>) => parseConfig({ secret: TEST_SECRET, ...providerConfig, ...over }, undefined, modules);
  const keyOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.key;
    }
    assert.fail('no ConfigError');
  };

  test('a provider entry is parsed by its module, defaults filled in; sandbox ways are unchanged', () => {
    const c = parse({});
    assert.deepEqual(c.providers, [{ id: 'fk', type: 'fake', password: PASSWORD, apiUrl: 'https://fake.example/api' }]);
    assert.equal(c.ways[0]!.system, 'card');
    assert.equal(c.ways[1]!.provider, 'fk');
    assert.equal(parseConfig({ secret: TEST_SECRET }).providers.length, 0);
  });

  test('a bad provider entry stops the start naming the key', () => {
    assert.equal(keyOf(() => parse({ providers: [{ id: 'fk', type: 'fake', password: 'short' }] })), 'providers.0.password');
    assert.equal(keyOf(() => parse({ providers: [{ id: 'fk', type: 'fake', password: PASSWORD, color: 'red' }] })), 'providers.0.color');
    assert.equal(keyOf(() => parse({ providers: [{ id: 'fk', type: 'nope' }] })), 'providers.0.type');
    assert.equal(keyOf(() => parse({ providers: [{ id: 'Bad Id', type: 'fake', password: PASSWORD }] })), 'providers.0.id');
    assert.equal(keyOf(() => parse({ providers: [{ id: 'fk', type: 'fake', password: PASSWORD }, { id: 'fk', type: 'fake', password: PASSWORD }] })), 'providers.1.id');
    assert.equal(keyOf(() => parse({ providers: [{ id: 'sandbox', type: 'fake', password: PASSWORD }] })), 'providers.0.id');
  });

  test("a way's provider must be configured and its method one of the provider's", () => {
    const way = (over: Record<string, unknown>) => ({ ways: [{ code: 'FKC', provider: 'fk', method: 'card', ticker: 'RUR', title, ...over }] });
    assert.equal(keyOf(() => parse(way({ provider: 'other' }))), 'ways.0.provider');
    assert.equal(keyOf(() => parse(way({ method: 'crypto' }))), 'ways.0.method');
    assert.equal(keyOf(() => parse(way({ method: undefined }))), 'ways.0.method');
    assert.equal(keyOf(() => parse(way({ system: 'card' }))), 'ways.0.provider');
    assert.equal(keyOf(() => parseConfig({ secret: TEST_SECRET, ...way({}) })), 'ways.0.provider', 'no providers configured');
  });

  test('secrets may come from {env}; they are masked by the module\'s secretKeys', () => {
    const raw = resolveSecretRefs({ ...providerConfig, secret: TEST_SECRET, providers: [{ id: 'fk', type: 'fake', password: { env: 'FAKE_PW' } }] }, { env: { FAKE_PW: PASSWORD }, readFile: () => '' });
    const c = parseConfig(raw, undefined, modules);
    assert.equal(c.providers[0]!.password, PASSWORD);
    const shown = JSON.stringify(redactConfig(c, modules));
    assert.ok(!shown.includes(PASSWORD) && !shown.includes(TEST_SECRET), shown);
    assert.match(shown, /"password":"\*\*\*"/);
  });

  test('the built-in modules include the sandbox', () => {
    assert.equal(CONNECTOR_MODULES.get('sandbox'), sandboxModule);
  });
});

for (const kind of storageKinds()) {
  describe(`provider plumbing on ${kind}`, () => {
    const fake = fakeModule();
    let t: TestGateway;
    let stub: MerchantStub;
    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { type: string; pay_for: string };
        res.setHeader('content-type', 'application/json');
        const ok = !body.pay_for.startsWith('declined');
        res.end(JSON.stringify({ status: ok, pay_for: body.pay_for, signature: api2AnswerSignature(body.type === 'pay' ? 'pay' : 'check', ok, body.pay_for, 'test') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [merchant(), merchant({ login: 'notify', apiKey: 'notify-cabinet-key-0123456789', notifications: true, apiUrl: stub.url })],
        config: providerConfig,
        connectorModules: moduleTable([sandboxModule, fake.module]),
      });
    });
    after(async () => {
      await t?.close();
      await stub?.close();
    });

    const json = { accept: 'application/json' };
    async function create(query: string, way = 'FKC', key?: string, login = 'shop') {
      const form = (await (await t.request(`/pay/${login}?${query}`, { headers: json })).json()) as { token: string };
      return t.request('/api/v1/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify({ token: form.token, way }),
      });
    }
    const notify = (body: unknown, password = PASSWORD, provider = 'fk') => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      return t.request(`/providers/${provider}/notify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-fake-signature': signFake(text, password) }, body: text });
    };

    test('the form payload offers provider ways with their kind', async () => {
      const form = (await (await t.request('/pay/shop?price=100&pay_for=form', { headers: json })).json()) as { ways: { code: string; kind: string }[] };
      assert.deepEqual(form.ways.map((w) => [w.code, w.kind]), [['CRD', 'redirect'], ['FKC', 'redirect'], ['FKS', 'instructions']]);
    });

    test('started: the payment waits with the action and the provider id; a retry under the same key gives the same answer and no second create', async () => {
      const before = fake.creates.length;
      const res = await create('price=100&pay_for=started-1&url_success=https://shop.example/ok', 'FKC', 'key-started-1');
      const text = await res.text();
      assert.equal(res.status, 201, text);
      const body = JSON.parse(text) as { id: string; status: string; action: { type: string; url: string } };
      assert.equal(body.status, 'awaiting_payment');
      assert.deepEqual(body.action, { type: 'redirect', url: `https://fake.example/pay/${body.id}` });
      const req = fake.creates.at(-1)!;
      assert.equal(req.idempotencyKey, body.id);
      assert.equal(req.method, 'card');
      assert.equal(req.notificationUrl, 'http://gateway.test/providers/fk/notify');
      assert.equal(req.successUrl, `http://gateway.test/providers/fk/return/${body.id}?result=success`);
      assert.equal(req.failUrl, `http://gateway.test/providers/fk/return/${body.id}?result=fail`);
      assert.equal(req.description, 'Test shop: started-1');
      const stored = (await t.storage.getPayment(body.id))!;
      assert.equal(stored.providerId, 'fk');
      assert.equal(stored.providerPaymentId, `fake-${body.id}`);
      const again = await create('price=100&pay_for=started-1&url_success=https://shop.example/ok', 'FKC', 'key-started-1');
      assert.equal(again.status, 201);
      assert.equal(await again.text(), text);
      assert.equal(fake.creates.length, before + 1);
    });

    test('create happens only after CHECK accepted; a declined CHECK never reaches the provider', async () => {
      const before = fake.creates.length;
      const res = await create('price=100&pay_for=declined-1', 'FKC', undefined, 'notify');
      assert.equal(res.status, 422);
      assert.equal(fake.creates.length, before);
      const ok = await create('price=100&pay_for=checked-1', 'FKC', undefined, 'notify');
      assert.equal(ok.status, 201);
      assert.equal(fake.creates.length, before + 1);
    });

    test('refused: 502 provider_error with the payment id, the payment failed with the reason, no PAY; the same answer again', async () => {
      fake.answer(() => ({ kind: 'refused', reason: 'ErrorCode 99: card system unavailable' }));
      try {
        const res = await create('price=100&pay_for=refused-1', 'FKC', 'key-refused-1', 'notify');
        const text = await res.text();
        assert.equal(res.status, 502, text);
        const { error } = JSON.parse(text) as { error: Record<string, string> };
        assert.equal(error.code, 'provider_error');
        assert.equal(error.reason, 'ErrorCode 99: card system unavailable');
        const p = (await t.storage.getPayment(error.paymentId!))!;
        assert.equal(p.status, 'failed');
        assert.equal(p.statusReason, 'provider_error: ErrorCode 99: card system unavailable');
        assert.equal((await t.storage.notificationsOf(p.id)).length, 0);
        const again = await create('price=100&pay_for=refused-1', 'FKC', 'key-refused-1', 'notify');
        assert.equal(again.status, 502);
        assert.equal(await again.text(), text);
        // The buyer may choose another way: a new payment on the sandbox card.
        const other = await create('price=100&pay_for=refused-1', 'CRD', 'key-refused-2', 'notify');
        assert.equal(other.status, 201);
      } finally {
        fake.answer((req) => ({ kind: 'started', action: { type: 'redirect', url: `https://fake.example/pay/${req.idempotencyKey}` }, providerPaymentId: `fake-${req.idempotencyKey}`, expiresAt: req.payment.createdAt + 3_600_000 }));
      }
    });

    for (const [name, answer] of [
      ['unknown', () => ({ kind: 'unknown' as const, reason: 'timeout after 10000 ms' })],
      ['a throwing connector', () => { throw new Error('boom'); }],
    ] as const) {
      test(`${name}: 502 provider_unavailable, the payment kept waiting with no action and no provider id, for reconciliation`, async () => {
        fake.answer(answer);
        try {
          const res = await create(`price=100&pay_for=unknown-${name.length}`, 'FKS', `key-unknown-${name.length}`);
          const text = await res.text();
          assert.equal(res.status, 502, text);
          const { error } = JSON.parse(text) as { error: Record<string, string> };
          assert.equal(error.code, 'provider_unavailable');
          const p = (await t.storage.getPayment(error.paymentId!))!;
          assert.equal(p.status, 'awaiting_payment');
          assert.equal(p.action, null);
          assert.equal(p.providerId, 'fk');
          assert.equal(p.providerPaymentId, null);
          assert.match(p.statusReason, /^provider_unavailable: /);
          assert.ok(p.expiresAt !== null && p.expiresAt > t.clock.now());
          const again = await create(`price=100&pay_for=unknown-${name.length}`, 'FKS', `key-unknown-${name.length}`);
          assert.equal(await again.text(), text);
          // A later notification still settles it, and records the provider's id.
          const paid = await notify({ paymentId: p.id, state: 'paid', amount: '100.0', currency: 'RUR' });
          assert.equal(await paid.text(), 'OK');
          const after = (await t.storage.getPayment(p.id))!;
          assert.equal(after.status, 'paid');
          assert.equal(after.providerPaymentId, `fake-${p.id}`);
        } finally {
          fake.answer((req) => ({ kind: 'started', action: { type: 'redirect', url: `https://fake.example/pay/${req.idempotencyKey}` }, providerPaymentId: `fake-${req.idempotencyKey}`, expiresAt: req.payment.createdAt + 3_600_000 }));
        }
      });
    }

    test('a notification is applied once: paid with its PAY in the outbox; a repeat answers OK and changes nothing', async () => {
      const { id } = (await (await create('price=100&pay_for=notified-1', 'FKC', undefined, 'notify')).json()) as { id: string };
      const r = await notify({ paymentId: id, state: 'paid', amount: '100.0', currency: 'RUR' });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'OK');
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'paid');
      assert.equal((await t.storage.notificationsOf(id)).length, 1);
      const again = await notify({ paymentId: id, state: 'paid', amount: '100.0', currency: 'RUR' });
      assert.equal(await again.text(), 'OK');
      assert.equal((await t.storage.getPayment(id))!.updatedAt, p.updatedAt);
      assert.equal((await t.storage.notificationsOf(id)).length, 1);
      // A late failure report for a paid payment is not applied.
      assert.equal(await (await notify({ paymentId: id, state: 'failed', amount: '100.0' })).text(), 'INVALID_STATE');
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
    });

    test('a failed report fails a waiting payment, with no PAY', async () => {
      const { id } = (await (await create('price=100&pay_for=failed-1', 'FKC', undefined, 'notify')).json()) as { id: string };
      assert.equal(await (await notify({ paymentId: id, state: 'failed', amount: '100.0' })).text(), 'OK');
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'failed');
      assert.equal((await t.storage.notificationsOf(id)).length, 0);
    });

    test('another amount or currency is not applied: the payment is flagged amount_mismatch, in the cabinet and /metrics', async () => {
      const gauge = async () => Number(/^onpay_payments_amount_mismatch (\d+)$/m.exec(await (await t.request('/metrics')).text())![1]);
      const before = await gauge();
      const { id } = (await (await create('price=100&pay_for=mismatch-1', 'FKC', undefined, 'notify')).json()) as { id: string };
      assert.equal(await (await notify({ paymentId: id, state: 'paid', amount: '99.99', currency: 'RUR' })).text(), 'AMOUNT_MISMATCH');
      assert.equal(await (await notify({ paymentId: id, state: 'paid', amount: '100.0', currency: 'USD' })).text(), 'AMOUNT_MISMATCH');
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'awaiting_payment');
      assert.equal(p.amountMismatch, true);
      assert.equal((await t.storage.notificationsOf(id)).length, 0);
      assert.equal(await gauge(), before + 1);
      const cabinet = await t.request(`/api/v1/cabinet/payments/${id}`, { headers: { authorization: 'Bearer notify-cabinet-key-0123456789' } });
      const detail = (await cabinet.json()) as { amountMismatch: boolean; provider: string; providerPaymentId: string };
      assert.equal(detail.amountMismatch, true);
      assert.equal(detail.provider, 'fk');
      assert.equal(detail.providerPaymentId, `fake-${id}`);
    });

    test('a bad signature, a foreign payment or an unknown provider change nothing', async () => {
      const { id } = (await (await create('price=100&pay_for=forged-1', 'FKC')).json()) as { id: string };
      const before = (await t.storage.getPayment(id))!;
      const forged = await notify({ paymentId: id, state: 'paid', amount: '100.0' }, 'another-password');
      assert.equal(forged.status, 400);
      assert.equal(await forged.text(), 'BAD');
      const unsigned = await t.request('/providers/fk/notify', { method: 'POST', body: JSON.stringify({ paymentId: id, state: 'paid', amount: '100.0' }) });
      assert.equal(unsigned.status, 400);
      assert.deepEqual(await t.storage.getPayment(id), before);
      // A sandbox payment is not the fake provider's to settle.
      const sandbox = (await (await create('price=100&pay_for=forged-2', 'CRD')).json()) as { id: string; amount: string };
      assert.equal(await (await notify({ paymentId: sandbox.id, state: 'paid', amount: sandbox.amount })).text(), 'UNKNOWN');
      assert.equal((await t.storage.getPayment(sandbox.id))!.status, 'awaiting_payment');
      const none = await t.request('/providers/nobody/notify', { method: 'POST', body: '{}' });
      assert.equal(none.status, 404);
      assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'not_found');
      const big = await t.request('/providers/fk/notify', { method: 'POST', headers: { 'content-length': String(70_000) }, body: 'x'.repeat(70_000) });
      assert.equal(big.status, 413);
    });

    test('the sandbox answers at /providers/sandbox/notify as at /callbacks/sandbox', async () => {
      const { id, amount } = (await (await create('price=100&pay_for=sandbox-notify', 'CRD')).json()) as { id: string; amount: string };
      const body = JSON.stringify({ paymentId: id, outcome: 'paid', amount, ticker: 'RUR' });
      const r = await t.request('/providers/sandbox/notify', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) }, body });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { applied: true, status: 'paid' });
    });

    test('the way back never guesses: while the provider says pending it checks again; once final it forwards to the shop or tells the element', async () => {
      const { id } = (await (await create('price=100&pay_for=return-1&url_success=https://shop.example/ok&url_fail=https://shop.example/fail', 'FKC')).json()) as { id: string };
      for (const hint of ['success', 'fail']) {
        const pending = await t.request(`/providers/fk/return/${id}?result=${hint}`);
        assert.equal(pending.status, 200);
        const page = await pending.text();
        assert.match(page, /Проверяем оплату…/, `result=${hint} is only a hint`);
        assert.doesNotMatch(page, /data-onpay-result/);
        assert.doesNotMatch(page, /shop\.example\/ok/);
      }
      await notify({ paymentId: id, state: 'paid', amount: '100.0' });
      const ok = await (await t.request(`/providers/fk/return/${id}?result=fail`)).text();
      assert.match(ok, /data-onpay-result="paid"/, 'the payment\'s own status wins over the hint');
      assert.match(ok, /data-next="https:\/\/shop.example\/ok"/);
      assert.match(ok, /data-origins="http:\/\/gateway.test https:\/\/shop.example"/);
      const { id: id2 } = (await (await create('price=100&pay_for=return-2&url_success=https://shop.example/ok&url_fail=https://shop.example/fail', 'FKC')).json()) as { id: string };
      await notify({ paymentId: id2, state: 'failed', amount: '100.0' });
      const fail = await (await t.request(`/providers/fk/return/${id2}?result=success`)).text();
      assert.match(fail, /data-onpay-result="failed"/);
      assert.match(fail, /data-reason="declined"/);
      assert.match(fail, /href="https:\/\/shop.example\/fail"/, 'the shop\'s fail URL is offered');
      assert.match(fail, new RegExp(`href="/payments/${id2}/retry"`), 'another method, without JavaScript');
      assert.equal((await t.request(`/providers/sandbox/return/${id}?result=success`)).status, 404);
    });
  });
}

describe('start-up hint for providers set up in their own dashboard', () => {
  test('names the URL to register, per notification type for CloudPayments, and nothing for T-Bank (sent in Init)', async () => {
    const { startGateway } = await import('../src/server/bootstrap.ts');
    const logs: string[] = [];
    const gw = await startGateway(parseConfig({
      port: 0, host: '127.0.0.1', publicUrl: 'https://pay.example.com', database: 'sqlite::memory:', secret: TEST_SECRET, sandbox: false,
      providers: [
        { id: 'cp', type: 'cloudpayments', publicId: 'pk_1', apiSecret: 'cp-secret-value' },
        { id: 'yk', type: 'yookassa', shopId: '100500', secretKey: 'yk-secret-value' },
        { id: 'tb', type: 'tbank', terminalKey: 'T1', password: 'tb-secret-value' },
      ],
      ways: [{ code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title: { ru: 'Карта', en: 'Card' } }],
    }), { dispatcher: false, log: (m) => logs.push(m) });
    await gw.close();
    const cp = logs.find((l) => l.startsWith('provider cp '));
    assert.ok(cp, logs.join('\n'));
    for (const kind of ['check', 'pay', 'fail', 'refund']) assert.ok(cp.includes(`https://pay.example.com/providers/cp/notify?kind=${kind}`), cp);
    assert.match(cp, /POST/);
    assert.ok(logs.some((l) => l.startsWith('provider yk ') && l.includes('https://pay.example.com/providers/yk/notify')), logs.join('\n'));
    assert.ok(!logs.some((l) => l.startsWith('provider tb ')), 'T-Bank gets NotificationURL in every Init');
    assert.ok(!logs.some((l) => /secret-value/.test(l)), 'no secret in a hint');
  });
});
