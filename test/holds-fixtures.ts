/**
 * What the holds tests of each provider share (issue 25): a gateway on real storage whose merchant
 * `shop` captures by hand, notified at a loopback shop that accepts every CHECK, reaching the
 * provider's emulator through a counting proxy; the merchant's capture and void calls; and the two
 * tests every provider must pass the same way (one capture for one Idempotency-Key, a capture racing
 * a void). Each holds-<provider>.test.ts keeps its emulator, its `held()` and its own tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { startCountingProxy, type CountingProxy } from './counting-proxy.ts';
import { merchant, startMerchantStub, startTestGateway, type MerchantStub, type StorageKind, type TestGateway } from './helpers.ts';

/** The cabinet key of `shop`. */
export const HOLDS_KEY = 'shop-cabinet-key-0123456789';

type Json = Record<string, any>;

/** The holds tests' gateway, the shop's server and the proxy in front of the provider. */
export interface HoldsGateway {
  t: TestGateway;
  stub: MerchantStub;
  proxy: CountingProxy;
  /** Requests through the proxy whose `METHOD /path` matches `re`. */
  countOf(re: RegExp): number;
  /** Moves the provider's clock and the gateway's together. */
  advance(ms: number): void;
  /** Closes the gateway, the proxy, the shop and the emulator. */
  close(): Promise<void>;
}

/** The provider emulator's clock, which the gateway's follows. */
export interface HoldsClock {
  now(): number;
  advance(ms: number): void;
}

/**
 * Starts the shop's server (CHECK accepted), a counting proxy in front of `apiUrl` (the emulator
 * `emu`'s), and a gateway on `kind` with `shop` (`capture: "manual"`, `holdExpiry` when given), the
 * provider `provider(proxyUrl)` and `ways`; the gateway's clock set to the emulator's `clock`.
 * @example const h = await startHoldsGateway('sqlite', emu, { apiUrl: emu.apiUrl, clock, provider: (apiUrl) => ({ id: 'yk', type: 'yookassa', shopId, secretKey, apiUrl }), ways });
 */
export async function startHoldsGateway(kind: StorageKind, emu: { close(): Promise<void> }, o: {
  apiUrl: string;
  clock: HoldsClock;
  provider: (apiUrl: string) => Record<string, unknown>;
  ways: Record<string, unknown>[];
  holdExpiry?: 'void' | 'capture';
}): Promise<HoldsGateway> {
  const proxy = await startCountingProxy(o.apiUrl);
  const stub = await startMerchantStub((req, res) => {
    const q = JSON.parse(req.body) as { pay_for?: string };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: true, pay_for: q.pay_for, signature: api2AnswerSignature('check', true, q.pay_for ?? '', 'test') }));
  });
  const t = await startTestGateway({
    kind,
    merchants: [merchant({ notifications: true, apiUrl: stub.url, capture: 'manual', ...(o.holdExpiry ? { holdExpiry: o.holdExpiry } : {}) })],
    config: { providers: [o.provider(proxy.url)], ways: o.ways },
  });
  t.clock.set(o.clock.now());
  return {
    t,
    stub,
    proxy,
    countOf: (re) => [...proxy.counts].filter(([k]) => re.test(k)).reduce((s, [, n]) => s + n, 0),
    advance(ms) {
      o.clock.advance(ms);
      t.clock.set(o.clock.now());
    },
    async close() {
      await t.close();
      await emu.close();
      await proxy.close();
      await stub.close();
    },
  };
}

/** The merchant's capture and void of a payment (with an Idempotency-Key when given), and its PAY notifications. */
export function holdApi(t: () => TestGateway) {
  const call = async (id: string, op: 'capture' | 'void', body: unknown, key?: string) => {
    const res = await t().request(`/api/v1/payments/${id}/${op}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${HOLDS_KEY}`, ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const pays = async (id: string) => (await t().storage.notificationsOf(id)).filter((x) => x.kind === 'pay');
  return { call, pays };
}

/** What the shared holds tests need of a provider's file. */
export interface HoldRaceSubject<H extends { id: string }> {
  gateway: () => HoldsGateway;
  /** As the tests' names say it: `T-Bank`. */
  provider: string;
  /** The provider's capture call, as the names say it: `Confirm`. */
  captureCall: string;
  /** The capture call's `METHOD /path` at the proxy. */
  captureRequest: RegExp;
  /** A payment held at the provider and known to the gateway as `authorized`. */
  held(): Promise<H>;
  /** Whether the provider has the hold captured, and released. */
  captured(h: H): boolean;
  voided(h: H): boolean;
}

/** The two tests every provider passes alike: one capture for one key, and a capture racing a void. */
export function holdRaceTests<H extends { id: string }>(s: HoldRaceSubject<H>): void {
  const { call, pays } = holdApi(() => s.gateway().t);
  const captures = () => s.gateway().countOf(s.captureRequest);

  test(`capture twice with one key, one after the other and at once: one ${s.captureCall} at ${s.provider}, one operation, the same answer, PAY once`, async () => {
    const t = s.gateway().t;
    for (const together of [false, true]) {
      const h = await s.held();
      const { id } = h;
      const before = captures();
      const key = `twice-${together}-${id}`;
      const answers = together
        ? await Promise.all([call(id, 'capture', {}, key), call(id, 'capture', {}, key)])
        : [await call(id, 'capture', {}, key), await call(id, 'capture', {}, key)];
      for (const a of answers) assert.equal(a.status, 200, JSON.stringify(answers));
      assert.equal(answers[0]!.body.operation.id, answers[1]!.body.operation.id);
      assert.equal(captures() - before, 1, `one ${s.captureCall} (${together ? 'at once' : 'in turn'})`);
      assert.equal(s.captured(h), true);
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await t.storage.holdOperationsOf(id)).length, 1);
      assert.equal((await pays(id)).length, 1);
    }
  });

  test(`a capture racing a void through ${s.provider}: exactly one wins, the other is refused (409), ${s.provider} agrees`, async () => {
    const t = s.gateway().t;
    for (let i = 0; i < 3; i++) {
      const h = await s.held();
      const { id } = h;
      const [c, v] = await Promise.all([call(id, 'capture', {}, `race-c-${id}`), call(id, 'void', {}, `race-v-${id}`)]);
      assert.deepEqual([c, v].map((r) => r.status).sort(), [200, 409], JSON.stringify([c, v]));
      const captured = c.status === 200;
      assert.equal((await t.storage.getPayment(id))!.status, captured ? 'paid' : 'voided');
      assert.equal(captured ? s.captured(h) : s.voided(h), true);
      assert.equal((await pays(id)).length, captured ? 1 : 0);
    }
  });
}
