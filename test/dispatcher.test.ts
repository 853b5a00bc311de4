/**
 * The PAY dispatcher against real loopback merchant servers: every way a merchant can fail, what
 * the dispatcher makes of it (notification status, next due time) and what it records (HTTP
 * status, verdict, excerpt). Clock and jitter are injected; HTTP is real.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createDispatcher, type DispatcherOptions } from '../src/server/dispatcher/dispatcher.ts';
import { excerptOf } from '../src/server/dispatcher/judge.ts';
import { nextAttemptAt, parseRetryAfter } from '../src/server/dispatcher/schedule.ts';
import { webhookSecret } from '../src/protocol/webhooks.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import type { Merchant } from '../src/server/types.ts';
import { addMerchant, K, paidPayment, payAnswer, send } from './dispatcher-fixtures.ts';
import { openTestStorage, startMerchantStub, testClock, type MerchantStub, type StubHandler, type TestStorage } from './helpers.ts';

const TIMEOUT_MS = 400;

describe('PAY dispatcher: the fault matrix on real loopback servers', () => {
  let ts: TestStorage;
  let stub: MerchantStub;
  let clock: ReturnType<typeof testClock>;
  let m1: Merchant;
  let m2: Merchant;
  let m1get: Merchant;

  before(async () => {
    stub = await startMerchantStub();
  });
  after(() => stub.close());
  // A fresh database per test: what is due is only what the test made due.
  beforeEach(async () => {
    clock = testClock();
    stub.requests.length = 0;
    ts = await openTestStorage('sqlite');
    m1 = await addMerchant(ts.storage, stub.url, { login: 'api1', apiType: 1 });
    m1get = await addMerchant(ts.storage, stub.url, { login: 'api1get', apiType: 1, apiMethod: 'GET' });
    m2 = await addMerchant(ts.storage, stub.url, { login: 'api2', apiType: 2 });
  });
  afterEach(() => ts.close());

  const dispatcher = (over: Partial<DispatcherOptions> = {}) => createDispatcher({
    storage: ts.storage, now: clock.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'matrix',
    timeoutMs: TIMEOUT_MS, random: () => 0.5, batchSize: 10, ...over,
  });

  /** One paid payment of merchant `m`, one runOnce against `handler`; the notification and its attempts after it. */
  async function attemptWith(m: Merchant, handler: StubHandler) {
    stub.handle(handler);
    const { notification } = await paidPayment(ts.storage, m, clock.now());
    const claimed = await dispatcher().runOnce();
    assert.equal(claimed, 1, 'exactly the one due notification is claimed');
    const [n] = (await ts.storage.notificationsOf(notification.paymentId));
    const attempts = await ts.storage.attemptsOf(notification.id);
    assert.equal(attempts.length, 1);
    return { n: n!, a: attempts[0]!, first: notification };
  }

  /** A retried attempt: status `retrying`, due again at first + 5 s (random 0.5 = no jitter). */
  function assertRetrying(r: Awaited<ReturnType<typeof attemptWith>>, httpStatus: number | null, verdict: RegExp) {
    assert.equal(r.n.status, 'retrying');
    assert.equal(r.n.attempts, 1);
    assert.equal(r.n.nextAttemptAt, r.first.firstDueAt + 5000);
    assert.equal(r.n.deliveredAt, null);
    assert.equal(r.n.leaseOwner, null);
    assert.equal(r.a.httpStatus, httpStatus);
    assert.match(r.a.verdict, verdict);
    assert.ok(r.a.excerpt.length <= 500);
    assert.equal(r.a.startedAt, clock.now());
  }

  for (const [label, m] of [['API 1 (POST)', () => m1], ['API 1 (GET)', () => m1get], ['API 2', () => m2]] as const) {
    test(`${label}: a correctly signed success is delivered once and never sent again`, async () => {
      const r = await attemptWith(m(), (req, res) => send(res, 200, payAnswer(req)));
      assert.equal(r.n.status, 'delivered');
      assert.equal(r.n.nextAttemptAt, null);
      assert.equal(r.n.deliveredAt, clock.now() + r.a.durationMs);
      assert.equal(r.a.verdict, 'delivered');
      assert.equal(r.a.httpStatus, 200);
      assert.equal(stub.requests.length, 1);
      assert.equal(stub.requests[0]!.method, m().apiMethod);
      // Much later (beyond the whole 72 h schedule), nothing is due and nothing is sent.
      for (const h of [1, 24, 100]) {
        clock.advance(h * 3600_000);
        assert.equal(await dispatcher().runOnce(), 0);
      }
      assert.equal(stub.requests.length, 1);
      assert.equal((await ts.storage.attemptsOf(r.first.id)).length, 1);
    });

    test(`${label}: no answer within the timeout is retried`, async () => {
      const r = await attemptWith(m(), () => { /* never answers */ });
      assertRetrying(r, null, /^failed: no answer within 400 ms$/);
      assert.ok(r.a.durationMs >= TIMEOUT_MS - 5 && r.a.durationMs < TIMEOUT_MS + 1000, `duration ${r.a.durationMs}`);
    });

    test(`${label}: a connection reset is retried`, async () => {
      const r = await attemptWith(m(), (_req, res) => { res.socket?.destroy(); });
      assertRetrying(r, null, /^failed: network error: (ECONNRESET|socket hang up)/);
    });

    test(`${label}: HTTP 500 is retried`, async () => {
      const r = await attemptWith(m(), (_req, res) => send(res, 500, 'Internal Server Error'));
      assertRetrying(r, 500, /^failed: HTTP 500$/);
      assert.equal(r.a.excerpt, 'Internal Server Error');
    });

    test(`${label}: HTTP 410 is retried (only Standard Webhooks endpoints are disabled by it)`, async () => {
      const r = await attemptWith(m(), (_req, res) => send(res, 410, 'Gone'));
      assertRetrying(r, 410, /^failed: HTTP 410$/);
    });

    test(`${label}: garbage is retried`, async () => {
      const r = await attemptWith(m(), (_req, res) => send(res, 200, '\u0000\u00ff garbage ]]}{'));
      assertRetrying(r, 200, /^failed: (unreadable answer|answer is not)/);
    });

    test(`${label}: an HTML error page (200 and 502) is retried`, async () => {
      const html = `<html><head><title>Fatal error</title></head><body><b>Fatal error</b>: Uncaught Exception in /var/www/shop/onpay.php:42${' '.repeat(600)}</body></html>`;
      const r = await attemptWith(m(), (_req, res) => send(res, 200, html));
      assertRetrying(r, 200, /^failed: (unreadable answer|answer is not)/);
      assert.equal(r.a.excerpt.length, 500, 'a long answer is cut to 500 characters');
      const r2 = await attemptWith(m(), (_req, res) => send(res, 502, html));
      assertRetrying(r2, 502, /^failed: HTTP 502$/);
    });

    test(`${label}: a wrong answer signature is retried`, async () => {
      const r = await attemptWith(m(), (req, res) => send(res, 200, payAnswer(req, { key: 'not-the-key' })));
      assertRetrying(r, 200, /^failed: bad answer signature/);
    });

    test(`${label}: a body that trickles in past the timeout is retried`, async () => {
      const r = await attemptWith(m(), (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const text = payAnswer(req);
        let i = 0;
        const t = setInterval(() => {
          if (res.destroyed || i >= text.length) {
            clearInterval(t);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(text[i++]!);
        }, 50);
      });
      assertRetrying(r, null, /^failed: no answer within 400 ms$/);
    });
  }

  test('API 2: status false is retried', async () => {
    const r = await attemptWith(m2, (req, res) => send(res, 200, payAnswer(req, { status: false })));
    assertRetrying(r, 200, /^failed: status false$/);
  });

  test('API 2: status "true" as a string is tolerated', async () => {
    const r = await attemptWith(m2, (req, res) => {
      const o = JSON.parse(payAnswer(req)) as Record<string, unknown>;
      send(res, 200, JSON.stringify({ ...o, status: 'true' }));
    });
    assert.equal(r.n.status, 'delivered');
  });

  test('API 1: code 3 gives up at once («уведомление не доставлено в API»)', async () => {
    const r = await attemptWith(m1, (req, res) => send(res, 200, payAnswer(req, { code: '3' })));
    assert.equal(r.n.status, 'gave_up');
    assert.equal(r.n.nextAttemptAt, null);
    assert.equal(r.a.httpStatus, 200);
    assert.match(r.a.verdict, /^refused: code 3/);
    clock.advance(100 * 3600_000);
    assert.equal(await dispatcher().runOnce(), 0);
    assert.equal(stub.requests.length, 1);
  });

  test('API 1: code 10 (temporary error) and unknown codes are retried', async () => {
    for (const code of ['10', '7', '12']) {
      const r = await attemptWith(m1, (req, res) => send(res, 200, payAnswer(req, { code })));
      assertRetrying(r, 200, new RegExp(`^failed: code ${code}`));
    }
  });

  test('API 1: the answer md5 covers whatever order_id the merchant returns (empty when missing)', async () => {
    const r = await attemptWith(m1, (req, res) => send(res, 200, payAnswer(req, { orderId: '' }).replace('<order_id></order_id>', '')));
    assert.equal(r.n.status, 'delivered');
  });

  test('an answer that echoes the secret key is recorded without it', async () => {
    const r = await attemptWith(m2, (_req, res) => send(res, 500, `debug: key=${K} failed`));
    assert.equal(r.a.excerpt, 'debug: key=*** failed');
    assert.equal(excerptOf('x'.repeat(2000), K).length, 500);
  });

  test('a merchant URL on a private address is refused without the operator allowing it, and retried', async () => {
    stub.handle((req, res) => send(res, 200, payAnswer(req)));
    const { notification } = await paidPayment(ts.storage, m2, clock.now());
    assert.equal(await dispatcher({ merchantHttp: createMerchantHttp({ allowPrivate: false }) }).runOnce(), 1);
    const [a] = await ts.storage.attemptsOf(notification.id);
    assert.match(a!.verdict, /^failed: merchant URL resolves to a private or loopback address$/);
    assert.equal(stub.requests.length, 0);
  });

  test('several due notifications are sent concurrently, at most `concurrency` at once', async () => {
    let open = 0;
    let peak = 0;
    stub.handle(async (req, res) => {
      open++;
      peak = Math.max(peak, open);
      await new Promise((r) => setTimeout(r, 30));
      open--;
      send(res, 200, payAnswer(req));
    });
    for (let i = 0; i < 12; i++) await paidPayment(ts.storage, m2, clock.now());
    const t0 = performance.now();
    assert.equal(await dispatcher({ batchSize: 12, concurrency: 4 }).runOnce(), 12);
    assert.equal(peak, 4);
    assert.ok(performance.now() - t0 < 12 * 30, 'not one after another');
  });
});

describe('PAY dispatcher: Standard Webhooks style', () => {
  let ts: TestStorage;
  let stub: MerchantStub;
  let wh: Merchant;
  // Standard Webhooks receivers check the timestamp against their own clock: use real time.
  const clock = testClock(Date.now());

  before(async () => {
    ts = await openTestStorage('sqlite');
    stub = await startMerchantStub();
    wh = await addMerchant(ts.storage, stub.url, { login: 'hooks', notifyStyle: 'webhooks' });
  });
  after(async () => {
    await stub.close();
    await ts.close();
  });
  beforeEach(() => {
    stub.requests.length = 0;
  });

  const dispatcher = () => createDispatcher({
    storage: ts.storage, now: clock.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'hooks',
    timeoutMs: TIMEOUT_MS, random: () => 0.5,
  });

  test('the event is signed per Standard Webhooks, keeps its id across retries, and 2xx delivers it', async () => {
    const verifier = new Webhook(webhookSecret(K));
    const seen: { id: string; ts: string; event: unknown }[] = [];
    let calls = 0;
    stub.handle((req, res) => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const event = verifier.verify(req.body, headers);
      seen.push({ id: headers['webhook-id']!, ts: headers['webhook-timestamp']!, event });
      res.writeHead(++calls === 1 ? 503 : 204).end();
    });
    const { payment, notification } = await paidPayment(ts.storage, wh, clock.now());
    assert.equal(notification.style, 'webhooks');
    assert.equal(await dispatcher().runOnce(), 1);
    let [n] = await ts.storage.notificationsOf(payment.id);
    assert.equal(n!.status, 'retrying');
    clock.advance(5000);
    assert.equal(await dispatcher().runOnce(), 1);
    [n] = await ts.storage.notificationsOf(payment.id);
    assert.equal(n!.status, 'delivered');
    const attempts = await ts.storage.attemptsOf(notification.id);
    assert.deepEqual(attempts.map((a) => [a.httpStatus, a.verdict]), [[503, 'failed: HTTP 503'], [204, 'delivered']]);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.id, `msg_${payment.id}`);
    assert.equal(seen[1]!.id, seen[0]!.id, 'one webhook-id per event, kept across retries');
    assert.equal(Number(seen[1]!.ts) - Number(seen[0]!.ts), 5, 'webhook-timestamp is the send time');
    const event = seen[0]!.event as { type: string; timestamp: string; data: Record<string, unknown> };
    assert.equal(event.type, 'payment.paid');
    assert.equal(event.timestamp, new Date(payment.paidAt).toISOString());
    assert.deepEqual(
      { id: event.data.id, payFor: event.data.payFor, amount: event.data.amount, paidAmount: event.data.paidAmount, balanceAmount: event.data.balanceAmount, number: event.data.number },
      { id: payment.id, payFor: payment.payFor, amount: '100.0', paidAmount: '102.0', balanceAmount: '100.0', number: payment.number },
    );
    // A tampered body does not verify with the merchant's secret.
    assert.throws(() => verifier.verify(stub.requests[0]!.body.replace('100.0', '1.0'), Object.fromEntries(Object.entries(stub.requests[0]!.headers).map(([k, v]) => [k, String(v)]))));
  });

  test('410 Gone disables the endpoint for this event: gave up at once', async () => {
    stub.handle((_req, res) => { res.writeHead(410).end('gone'); });
    const { payment, notification } = await paidPayment(ts.storage, wh, clock.now());
    await dispatcher().runOnce();
    const [n] = await ts.storage.notificationsOf(payment.id);
    assert.equal(n!.status, 'gave_up');
    assert.equal(n!.nextAttemptAt, null);
    const [a] = await ts.storage.attemptsOf(notification.id);
    assert.equal(a!.httpStatus, 410);
    assert.match(a!.verdict, /^refused: HTTP 410/);
  });

  test('Retry-After is honoured (later than the schedule), within the 72-hour window', async () => {
    stub.handle((_req, res) => { res.writeHead(429, { 'retry-after': '120' }).end(); });
    const { payment } = await paidPayment(ts.storage, wh, clock.now());
    await dispatcher().runOnce();
    const [n] = await ts.storage.notificationsOf(payment.id);
    assert.equal(n!.status, 'retrying');
    assert.ok(n!.nextAttemptAt! >= clock.now() + 120_000, 'not before Retry-After');
    assert.ok(n!.nextAttemptAt! < clock.now() + 122_000 + 1000);
    assert.equal(parseRetryAfter(new Date(1_000_000 + 30_000).toUTCString(), 1_000_000), 30_000);
    assert.equal(parseRetryAfter('soon', 0), undefined);
    assert.equal(nextAttemptAt({ firstDueAt: 0, attemptsDone: 1, scheduleS: [0, 5, 60], finishedAt: 0, random: () => 0.5, retryAfterMs: 10 * 86400_000 }), 60_000);
  });
});
