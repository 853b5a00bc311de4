/**
 * The cabinet API through the gateway's handler, on SQLite (and PostgreSQL when TEST_DATABASE_URL
 * is set): keys, the list with filters and cursor paging, a payment with its PAY attempts and audit,
 * manual status changes by the manual table, resend, and one merchant never reaching another's
 * payments. Delivery outcomes are written the way the dispatcher writes them (claimDue + recordAttempt).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import type { AttemptOutcome } from '../src/server/storage/storage.ts';
import { describeReason } from '../src/server/cabinet/reason.ts';
import {
  merchant, startMerchantStub, startTestGateway, storageKinds, type MerchantStub, type TestGateway,
} from './helpers.ts';

const SHOP_KEY = 'shop-cabinet-key-0123456789';
const OTHER_KEY = 'other-cabinet-key-9876543210';
const LIVE_KEY = 'live-cabinet-key-5555555555';
const CARELESS_KEY = 'careless-cabinet-key-0123456789';
const SIGNING_KEY = 'signing-cabinet-key-0123456789';
const OWNER = 'cabinet-test-worker';

type Json = Record<string, any>;

for (const kind of storageKinds()) {
  describe(`cabinet API (${kind})`, () => {
    let t: TestGateway;
    let stub: MerchantStub;

    before(async () => {
      // The merchants' API: accepts every CHECK, except orders whose pay_for starts with "no-".
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { type: string; pay_for: string };
        const ok = !body.pay_for.startsWith('no-');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: ok, pay_for: body.pay_for, signature: api2AnswerSignature(body.type === 'pay' ? 'pay' : 'check', ok, body.pay_for, 'test') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [
          merchant({ login: 'shop', apiKey: SHOP_KEY, notifications: true, apiUrl: stub.url }),
          merchant({ login: 'other', name: 'Other shop', apiKey: OTHER_KEY, notifications: true, apiUrl: stub.url }),
          merchant({ login: 'keyless', name: 'No cabinet', apiKey: undefined }),
          merchant({ login: 'livecab', name: 'Live shop', apiKey: LIVE_KEY, mode: 'live' }),
          merchant({ login: 'careless', name: 'Careless', secret: 'careless-K-0123456789', apiKey: CARELESS_KEY, checkLinkMd5: false, notifications: false }),
          merchant({ login: 'signing', name: 'Signing', apiKey: SIGNING_KEY, checkLinkMd5: true, notifications: false }),
        ],
      });
    });
    after(async () => {
      await t?.close();
      await stub?.close();
    });

    const auth = (key = SHOP_KEY) => ({ authorization: `Bearer ${key}` });
    const get = (path: string, key = SHOP_KEY) => t.request(`/api/v1/cabinet${path}`, { headers: auth(key) });
    const post = (path: string, body: unknown, key = SHOP_KEY, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      t.request(`/api/v1/cabinet${path}`, { method: 'POST', headers: { ...auth(key), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const json = async (res: Response, status: number): Promise<Json> => {
      const text = await res.text();
      assert.equal(res.status, status, text);
      return JSON.parse(text) as Json;
    };

    /** A payment of `login` through the real link → payment flow (CHECK included), awaiting payment. */
    async function newPayment(login: string, payFor: string, price = '100.0'): Promise<{ id: string; status: string }> {
      const form = await t.request(`/pay/${login}?price=${price}&pay_for=${encodeURIComponent(payFor)}`, { headers: { accept: 'application/json' } });
      assert.equal(form.status, 200);
      const { token } = (await form.json()) as { token: string };
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) });
      const body = (await res.json()) as Json;
      return { id: body.id ?? body.error.paymentId, status: body.status ?? 'rejected' };
    }

    /** Pays through the sandbox card system: the payment turns paid and its PAY is written (pending). */
    async function paid(login: string, payFor: string): Promise<string> {
      const { id } = await newPayment(login, payFor);
      const r = await t.request(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
      assert.equal(r.status, 200, await r.text());
      return id;
    }

    /** One delivery attempt of the payment's due PAY, recorded as the dispatcher records it. */
    async function attempt(paymentId: string, o: Partial<AttemptOutcome> & Pick<AttemptOutcome, 'status'>): Promise<void> {
      const now = t.clock.now();
      const claimed = await t.storage.claimDue(now, 100, OWNER, 60_000);
      const mine = claimed.find((n) => n.paymentId === paymentId);
      assert.ok(mine, 'the PAY is due');
      assert.equal(await t.storage.recordAttempt(mine.id, OWNER, {
        startedAt: now, durationMs: 35, httpStatus: 500, excerpt: 'Internal Server Error', verdict: 'http_error',
        nextAttemptAt: o.status === 'retrying' ? now : null, deliveredAt: o.status === 'delivered' ? now : null, ...o,
      }), true);
      // Others claimed with it stay leased and come due again when the lease ends, as after a dead worker.
    }

    describe('keys', () => {
      const refusals: [string, Record<string, string>][] = [
        ['no Authorization header', {}],
        ['another scheme', { authorization: `Basic ${Buffer.from(`shop:${SHOP_KEY}`).toString('base64')}` }],
        ['a bare key', { authorization: SHOP_KEY }],
        ['an unknown key', { authorization: 'Bearer not-a-key-of-anyone-000000' }],
        ['a key with a character off', { authorization: `Bearer ${SHOP_KEY.slice(0, -1)}X` }],
        ['an empty bearer', { authorization: 'Bearer ' }],
        ['junk after the key', { authorization: `Bearer ${SHOP_KEY} extra` }],
      ];
      for (const [name, headers] of refusals) {
        test(`refuses ${name} with the same 401, naming no part`, async () => {
          const body = await json(await t.request('/api/v1/cabinet/payments', { headers }), 401);
          assert.deepEqual(body, { error: { code: 'unauthorized', message: 'Authorization: a valid cabinet API key is required (Authorization: Bearer <key>)', field: 'Authorization' } });
        });
      }

      test('a refused key changes nothing', async () => {
        const { id } = await newPayment('shop', 'auth-1');
        const r = await t.request(`/api/v1/cabinet/payments/${id}/status`, { method: 'POST', headers: { authorization: 'Bearer wrong-key-0000000000', 'content-type': 'application/json' }, body: JSON.stringify({ status: 'paid', reason: 'x' }) });
        assert.equal(r.status, 401);
        const p = (await t.storage.getPayment(id))!;
        assert.equal(p.status, 'awaiting_payment');
        assert.deepEqual(await t.storage.auditOf(id), []);
      });

      test('answers who the key belongs to, and never caches', async () => {
        const r = await get('/me');
        assert.equal(r.headers.get('cache-control'), 'no-store');
        const me = await json(r, 200);
        assert.equal(me.login, 'shop');
        assert.equal((await json(await get('/me', OTHER_KEY), 200)).login, 'other');
      });

      test('says whether the merchant is in test mode (no mode: test while the sandbox is on)', async () => {
        const me = await json(await get('/me'), 200);
        assert.equal(me.mode, 'test');
        assert.equal(me.testMode, true);
        const live = await json(await get('/me', LIVE_KEY), 200);
        assert.equal(live.mode, 'live');
        assert.equal(live.testMode, false);
      });
    });

    describe('the list', () => {
      const ids: string[] = [];
      let fromTs: number;
      before(async () => {
        t.clock.advance(24 * 3600_000);
        fromTs = t.clock.now();
        for (let i = 1; i <= 5; i++) {
          ids.push((await newPayment('shop', `list-${i % 2 === 0 ? 'even' : 'odd'}`)).id);
          t.clock.advance(3600_000);
        }
        // list-odd #1 and #3 get paid; #5 stays awaiting.
        for (const i of [0, 2]) assert.equal((await t.request(`/api/v1/sandbox/payments/${ids[i]}/pay`, { method: 'POST' })).status, 200);
      });

      test('pages newest first by number with nextCursor until the end, without overlap', async () => {
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Json = await json(await get(`/payments?limit=2&from=${new Date(fromTs).toISOString()}${cursor ? `&cursor=${cursor}` : ''}`), 200);
          assert.ok(page.payments.length <= 2);
          seen.push(...page.payments.map((p: Json) => p.number));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        assert.equal(pages, 3);
        assert.equal(seen.length, 5);
        assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
        const all = await json(await get(`/payments?from=${new Date(fromTs).toISOString()}`), 200);
        assert.deepEqual(all.payments.map((p: Json) => p.id), [...ids].reverse());
        assert.equal(all.nextCursor, null);
      });

      test('filters by status, pay_for and creation time, alone and together', async () => {
        const since = `from=${encodeURIComponent(new Date(fromTs).toISOString())}`;
        const paidOnes = await json(await get(`/payments?status=paid&${since}`), 200);
        assert.deepEqual(paidOnes.payments.map((p: Json) => p.id), [ids[2], ids[0]]);
        assert.ok(paidOnes.payments.every((p: Json) => p.status === 'paid' && p.notificationStatus === 'pending' && p.paidAt));
        const even = await json(await get(`/payments?pay_for=list-even`), 200);
        assert.deepEqual(even.payments.map((p: Json) => p.id), [ids[3], ids[1]]);
        const oddAwaiting = await json(await get(`/payments?pay_for=list-odd&status=awaiting_payment`), 200);
        assert.deepEqual(oddAwaiting.payments.map((p: Json) => p.id), [ids[4]]);
        // Created in [from + 1 h, from + 3 h): payments 2 and 3; `to` is exclusive.
        const window = await json(await get(`/payments?from=${new Date(fromTs + 3600_000).toISOString()}&to=${encodeURIComponent(new Date(fromTs + 3 * 3600_000).toISOString().replace('Z', '+00:00'))}`), 200);
        assert.deepEqual(window.payments.map((p: Json) => p.id), [ids[2], ids[1]]);
        // A bare date is midnight UTC.
        const day = new Date(fromTs).toISOString().slice(0, 10);
        const dayAfter = new Date(fromTs + 48 * 3600_000).toISOString().slice(0, 10);
        const byDate = await json(await get(`/payments?from=${day}&to=${dayAfter}&pay_for=list-even`), 200);
        assert.equal(byDate.payments.length, 2);
        // Blank filters (a form left empty) are no filters.
        const blank = await json(await get(`/payments?status=&pay_for=&${since}`), 200);
        assert.equal(blank.payments.length, 5);
        const none = await json(await get('/payments?pay_for=no-such-order'), 200);
        assert.deepEqual(none, { payments: [], nextCursor: null });
      });

      test('the summary carries what a list row shows', async () => {
        const page = await json(await get(`/payments?limit=1&status=paid`), 200);
        const p = page.payments[0];
        assert.deepEqual(Object.keys(p).sort(), ['amount', 'createdAt', 'duplicateOf', 'id', 'manual', 'notificationStatus', 'number', 'paidAt', 'payFor', 'reason', 'status', 'statusReason', 'refunded', 'ticker', 'userEmail', 'way'].sort());
        assert.deepEqual(p.reason, describeReason(p.status, p.statusReason), 'the status reason as a code the page has words for');
        assert.equal(p.amount, '102.0'); // 100.0 + the card's 2 % fee
        assert.equal(p.ticker, 'RUR');
        assert.equal(p.way, 'CRD');
        assert.equal(typeof p.number, 'number');
      });

      const bad: [string, string][] = [
        ['status=bogus', 'status'],
        ['status=PAID', 'status'],
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=-1', 'limit'],
        ['cursor=abc', 'cursor'],
        ['cursor=0', 'cursor'],
        ['cursor=-5', 'cursor'],
        ['cursor=99999999999999999999', 'cursor'],
        ['from=yesterday', 'from'],
        ['from=2026-13-01', 'from'],
        ['to=2026-11-28T10:00:00', 'to'], // no offset: ambiguous
        ['from=2026-11-28&to=2026-11-28', 'to'],
        ['from=2026-11-29&to=2026-11-28', 'to'],
        [`pay_for=${'x'.repeat(101)}`, 'pay_for'],
        ['page=2', 'page'],
        ['status=paid&status=failed', 'status'],
      ];
      for (const [query, field] of bad) {
        test(`refuses ?${query.slice(0, 40)} naming ${field}`, async () => {
          const body = await json(await get(`/payments?${query}`), 400);
          assert.equal(body.error.code, 'invalid_param');
          assert.equal(body.error.field, field);
          assert.ok(body.error.message.startsWith(`${field}: `), body.error.message);
        });
      }
    });

    describe('one payment', () => {
      test('without any PAY: notification status null, no attempts', async () => {
        const { id } = await newPayment('shop', 'detail-1');
        const p = await json(await get(`/payments/${id}`), 200);
        assert.equal(p.id, id);
        assert.equal(p.status, 'awaiting_payment');
        assert.equal(p.manual, false);
        assert.equal(p.paidAt, null);
        assert.deepEqual(p.notification, { status: null, attempts: [] });
        assert.deepEqual(p.notifications, []);
        assert.deepEqual(p.audit, []);
        assert.deepEqual(p.allowedStatuses, ['paid', 'failed']);
        assert.equal(p.canResend, false);
        assert.deepEqual(p.order, { price: '100.0', ticker: 'RUR', mode: 'fix', note: '' });
      });

      test('a PAY retried, then given up: every attempt shown, and gave_up is «не доставлено в API»', async () => {
        const id = await paid('shop', 'detail-2');
        let p = await json(await get(`/payments/${id}`), 200);
        assert.equal(p.status, 'paid');
        assert.equal(p.notification.status, 'pending');
        assert.deepEqual(p.notification.attempts, []);
        assert.equal(p.canResend, false, 'a PAY is on its way');

        await attempt(id, { status: 'retrying', httpStatus: 503, excerpt: 'Service Unavailable', verdict: 'http_error', durationMs: 120 });
        t.clock.advance(5000);
        await attempt(id, { status: 'retrying', httpStatus: null, excerpt: 'connect ECONNREFUSED', verdict: 'network_error', durationMs: 3 });
        p = await json(await get(`/payments/${id}`), 200);
        assert.equal(p.notification.status, 'retrying');
        assert.deepEqual(p.notification.attempts, [
          { at: new Date(t.clock.now() - 5000).toISOString(), durationMs: 120, httpStatus: 503, excerpt: 'Service Unavailable', verdict: 'http_error' },
          { at: new Date(t.clock.now()).toISOString(), durationMs: 3, httpStatus: null, excerpt: 'connect ECONNREFUSED', verdict: 'network_error' },
        ]);

        t.clock.advance(72 * 3600_000);
        await attempt(id, { status: 'gave_up', httpStatus: 200, excerpt: '{"status":false}', verdict: 'refused' });
        p = await json(await get(`/payments/${id}`), 200);
        assert.equal(p.notification.status, 'gave_up');
        assert.equal(p.notification.attempts.length, 3);
        assert.equal(p.notification.attempts[2].verdict, 'refused');
        assert.equal(p.canResend, true);
        const row = (await json(await get('/payments?pay_for=detail-2'), 200)).payments[0];
        assert.equal(row.notificationStatus, 'gave_up');
      });

      test('a delivered PAY shows delivered with its one attempt', async () => {
        const id = await paid('shop', 'detail-3');
        await attempt(id, { status: 'delivered', httpStatus: 200, excerpt: '{"status":true}', verdict: 'accepted' });
        const p = await json(await get(`/payments/${id}`), 200);
        assert.equal(p.notification.status, 'delivered');
        assert.ok(p.notification.deliveredAt);
        assert.equal(p.notification.attempts.length, 1);
        assert.equal(p.notification.attempts[0].httpStatus, 200);
      });

      test('unknown and malformed ids are 404', async () => {
        for (const id of ['pay_doesnotexist000000', 'nope', '%27%3B--']) {
          const body = await json(await get(`/payments/${id}`), 404);
          assert.equal(body.error.code, 'not_found');
        }
      });
    });

    describe('manual status', () => {
      test('sets an awaiting payment paid: manual, with reason, audited who and when; no PAY sent by itself', async () => {
        const { id } = await newPayment('shop', 'manual-1');
        const before = await t.storage.countNotifications();
        t.clock.advance(1000);
        const p = await json(await post(`/payments/${id}/status`, { status: 'paid', reason: '  Деньги пришли на расчётный счёт  ', actor: 'Анна' }), 200);
        assert.equal(p.status, 'paid');
        assert.equal(p.manual, true);
        assert.equal(p.statusReason, 'Деньги пришли на расчётный счёт');
        assert.equal(p.paidAt, new Date(t.clock.now()).toISOString());
        assert.deepEqual(p.audit, [{
          at: new Date(t.clock.now()).toISOString(), actor: 'shop (Анна)', action: 'set_status',
          fromStatus: 'awaiting_payment', toStatus: 'paid', reason: 'Деньги пришли на расчётный счёт',
        }]);
        assert.deepEqual(p.allowedStatuses, []);
        assert.equal(p.notification.status, null);
        assert.equal(await t.storage.countNotifications(), before, 'no PAY written');
        const stored = (await t.storage.getPayment(id))!;
        assert.equal(stored.manual, true);
        assert.equal(stored.status, 'paid');
        // The list marks it manual too.
        const row = (await json(await get('/payments?pay_for=manual-1'), 200)).payments[0];
        assert.equal(row.manual, true);
      });

      test('refuses to un-pay a paid payment, and writes nothing', async () => {
        const id = await paid('shop', 'manual-2');
        const body = await json(await post(`/payments/${id}/status`, { status: 'failed', reason: 'changed my mind' }), 409);
        assert.equal(body.error.code, 'invalid_state');
        assert.equal(body.error.field, 'status');
        assert.equal((await t.storage.getPayment(id))!.status, 'paid');
        assert.equal((await t.storage.getPayment(id))!.manual, false);
        assert.deepEqual(await t.storage.auditOf(id), []);
        await json(await post(`/payments/${id}/status`, { status: 'paid', reason: 'again' }), 409);
      });

      test('a payment the shop rejected in CHECK may be set paid; failed only to paid; audit keeps every change', async () => {
        const { id, status } = await newPayment('shop', 'no-check-declines');
        assert.equal(status, 'rejected');
        let p = await json(await get(`/payments/${id}`), 200);
        assert.deepEqual(p.allowedStatuses, ['paid']);
        await json(await post(`/payments/${id}/status`, { status: 'failed', reason: 'x' }), 409);

        const { id: id2 } = await newPayment('shop', 'manual-3');
        p = await json(await post(`/payments/${id2}/status`, { status: 'failed', reason: 'buyer cancelled by phone' }), 200);
        assert.equal(p.status, 'failed');
        assert.equal(p.paidAt, null);
        await json(await post(`/payments/${id2}/status`, { status: 'failed', reason: 'twice' }), 409);
        p = await json(await post(`/payments/${id2}/status`, { status: 'paid', reason: 'he paid after all' }), 200);
        assert.equal(p.status, 'paid');
        assert.deepEqual(p.audit.map((a: Json) => [a.fromStatus, a.toStatus, a.reason, a.actor]), [
          ['awaiting_payment', 'failed', 'buyer cancelled by phone', 'shop'],
          ['failed', 'paid', 'he paid after all', 'shop'],
        ]);
      });

      test('money reported after the payment was failed by hand is applied: paid late, the timeline keeps both', async () => {
        const { id } = await newPayment('shop', 'manual-4');
        await json(await post(`/payments/${id}/status`, { status: 'failed', reason: 'buyer gave up' }), 200);
        const r = await t.request(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
        assert.equal(r.status, 200, await r.text());
        const after = (await t.storage.getPayment(id))!;
        assert.equal(after.status, 'paid');
        assert.equal(after.paidLate, true);
        const detail = await json(await t.request(`/api/v1/cabinet/payments/${id}`, { headers: { authorization: `Bearer ${SHOP_KEY}` } }), 200);
        assert.equal(detail.paidLate, true);
        const audit = await t.storage.auditOf(id);
        assert.deepEqual(audit.map((a) => [a.action, a.fromStatus, a.toStatus]), [['set_status', 'awaiting_payment', 'failed'], ['paid_late', 'failed', 'paid']]);
      });

      const badBodies: [string, unknown, string, number?][] = [
        ['no reason', { status: 'paid' }, 'reason'],
        ['a blank reason', { status: 'paid', reason: '   ' }, 'reason'],
        ['a reason over 500 characters', { status: 'paid', reason: 'я'.repeat(501) }, 'reason'],
        ['a reason with control characters', { status: 'paid', reason: 'ok\u0000' }, 'reason'],
        ['a numeric reason', { status: 'paid', reason: 42 }, 'reason'],
        ['no status', { reason: 'x' }, 'status'],
        ['a status not settable by hand', { status: 'expired', reason: 'x' }, 'status'],
        ['an actor over 100 characters', { status: 'paid', reason: 'x', actor: 'a'.repeat(101) }, 'actor'],
        ['an unknown field', { status: 'paid', reason: 'x', notify: true }, 'notify'],
        ['an array', [], 'body'],
        ['not JSON', '{"status":', 'body'],
        ['form encoding', 'status=paid&reason=x', 'content-type', 415],
      ];
      for (const [name, body, field, status] of badBodies) {
        test(`refuses ${name} naming ${field}, changing nothing`, async () => {
          const { id } = await newPayment('shop', `bad-${field}`);
          const headers = status === 415 ? { 'content-type': 'application/x-www-form-urlencoded' } : { 'content-type': 'application/json' };
          const answer = await json(await post(`/payments/${id}/status`, body, SHOP_KEY, headers), status ?? 400);
          assert.equal(answer.error.field, field);
          assert.ok(answer.error.message.startsWith(`${field}: `), answer.error.message);
          const stored = (await t.storage.getPayment(id))!;
          assert.equal(stored.status, 'awaiting_payment');
          assert.equal(stored.manual, false);
          assert.deepEqual(await t.storage.auditOf(id), []);
        });
      }

      test('refuses a body over 8 KiB with 413', async () => {
        const { id } = await newPayment('shop', 'big-body');
        const r = await post(`/payments/${id}/status`, { status: 'paid', reason: 'x', pad: 'x'.repeat(9000) });
        assert.equal(r.status, 413);
        assert.equal((await t.storage.getPayment(id))!.status, 'awaiting_payment');
      });
    });

    describe('resend', () => {
      test('is refused while the PAY is still on its way, then queues the same bytes again, due now, audited', async () => {
        const id = await paid('shop', 'resend-1');
        const first = (await t.storage.notificationsOf(id))[0]!;
        const refused = await json(await post(`/payments/${id}/resend`, ''), 409);
        assert.equal(refused.error.field, 'notification');
        assert.equal((await t.storage.notificationsOf(id)).length, 1);

        await attempt(id, { status: 'gave_up', verdict: 'bad_parameters', httpStatus: 200, excerpt: '<code>3</code>' });
        t.clock.advance(60_000);
        const answer = await json(await post(`/payments/${id}/resend`, { actor: 'Борис', reason: 'fixed our handler' }), 201);
        const rows = await t.storage.notificationsOf(id);
        assert.equal(rows.length, 2);
        const [a, b] = rows;
        assert.equal(answer.notificationId, b!.id);
        assert.equal(b!.body, first.body, 'the same bytes');
        assert.deepEqual(b!.headers, first.headers);
        assert.equal(b!.method, first.method);
        assert.equal(b!.contentType, first.contentType);
        assert.equal(b!.url, stub.url);
        assert.equal(b!.status, 'pending');
        assert.equal(b!.nextAttemptAt, t.clock.now());
        assert.equal(a!.status, 'gave_up', 'the given-up one stays as it was');
        const pay = JSON.parse(b!.body) as { pay_for: string; payment: { id: number } };
        const payment = (await t.storage.getPayment(id))!;
        assert.equal(pay.pay_for, 'resend-1');
        assert.equal(pay.payment.id, payment.number);
        assert.equal(answer.payment.notification.status, 'pending');
        assert.equal(answer.payment.notifications.length, 2);
        assert.equal(answer.payment.canResend, false);
        const last = answer.payment.audit.at(-1);
        assert.deepEqual(last, { at: new Date(t.clock.now()).toISOString(), actor: 'shop (Борис)', action: 'resend', fromStatus: 'paid', toStatus: 'paid', reason: 'fixed our handler' });
        // The new row is what the dispatcher picks up next.
        const due = await t.storage.claimDue(t.clock.now(), 100, OWNER, 1000);
        assert.ok(due.some((n) => n.id === b!.id));
        assert.equal(await t.storage.recordAttempt(b!.id, OWNER, { startedAt: t.clock.now(), durationMs: 1, httpStatus: 200, excerpt: '', verdict: 'accepted', status: 'delivered', nextAttemptAt: null, deliveredAt: t.clock.now() }), true);
        assert.equal((await json(await get(`/payments/${id}`), 200)).notification.status, 'delivered');
      });

      test('after a delivered PAY too (the merchant\'s explicit choice)', async () => {
        const id = await paid('shop', 'resend-2');
        await attempt(id, { status: 'delivered', httpStatus: 200, verdict: 'accepted' });
        await json(await post(`/payments/${id}/resend`, {}), 201);
        const rows = await t.storage.notificationsOf(id);
        assert.equal(rows.length, 2);
        assert.equal(rows[1]!.body, rows[0]!.body);
      });

      test('a payment paid by hand gets the PAY it would have had', async () => {
        const { id } = await newPayment('shop', 'resend-3');
        await json(await post(`/payments/${id}/status`, { status: 'paid', reason: 'seen in the bank' }), 200);
        assert.equal((await t.storage.notificationsOf(id)).length, 0);
        await json(await post(`/payments/${id}/resend`, ''), 201);
        const [n] = await t.storage.notificationsOf(id);
        const payment = (await t.storage.getPayment(id))!;
        const pay = JSON.parse(n!.body) as { type: string; pay_for: string; payment: { id: number; amount: number } };
        assert.equal(pay.type, 'pay');
        assert.equal(pay.pay_for, 'resend-3');
        assert.equal(pay.payment.id, payment.number);
        assert.equal(n!.status, 'pending');
      });

      test('only a paid payment has a PAY to resend', async () => {
        const { id } = await newPayment('shop', 'resend-4');
        const body = await json(await post(`/payments/${id}/resend`, ''), 409);
        assert.equal(body.error.field, 'status');
        assert.equal((await t.storage.notificationsOf(id)).length, 0);
      });

      test('refuses bad bodies naming the field, writing nothing', async () => {
        const id = await paid('shop', 'resend-5');
        await attempt(id, { status: 'gave_up' });
        for (const [body, field] of [[{ reason: 'x'.repeat(501) }, 'reason'], [{ force: true }, 'force'], ['nope', 'body']] as const) {
          const answer = await json(await post(`/payments/${id}/resend`, body), 400);
          assert.equal(answer.error.field, field);
        }
        assert.equal((await t.storage.notificationsOf(id)).length, 1);
      });
    });

    describe('one merchant never reaches another\'s payments', () => {
      test('not in the list, 404 on read, status and resend, and nothing changes', async () => {
        const mine = await paid('shop', 'iso-shop');
        await attempt(mine, { status: 'gave_up' });
        const theirs = (await newPayment('other', 'iso-other')).id;

        const otherList = await json(await get('/payments?limit=100', OTHER_KEY), 200);
        assert.deepEqual(otherList.payments.map((p: Json) => p.id), [theirs]);
        const shopList = await json(await get('/payments?limit=100'), 200);
        assert.ok(shopList.payments.every((p: Json) => p.id !== theirs));
        assert.deepEqual((await json(await get('/payments?pay_for=iso-shop', OTHER_KEY), 200)).payments, []);

        const missing = await json(await get('/payments/pay_doesnotexist000000', OTHER_KEY), 404);
        for (const res of [
          await get(`/payments/${mine}`, OTHER_KEY),
          await post(`/payments/${mine}/status`, { status: 'failed', reason: 'x' }, OTHER_KEY),
          await post(`/payments/${mine}/resend`, {}, OTHER_KEY),
        ]) {
          assert.deepEqual(await json(res, 404), missing, 'indistinguishable from a payment that does not exist');
        }
        await json(await post(`/payments/${theirs}/status`, { status: 'paid', reason: 'x' }), 404);
        assert.equal((await t.storage.getPayment(mine))!.status, 'paid');
        assert.equal((await t.storage.notificationsOf(mine)).length, 1);
        assert.deepEqual(await t.storage.auditOf(mine), []);
        assert.equal((await t.storage.getPayment(theirs))!.status, 'awaiting_payment');
      });
    });

    describe('warnings about the merchant\'s own settings', () => {
      test('a merchant that neither signs links nor answers CHECK is warned in /me; one that does either is not', async () => {
        const careless = (await (await get('/me', CARELESS_KEY)).json()) as { warnings: { code: string; message: string }[]; checkLinkMd5: boolean };
        assert.equal(careless.checkLinkMd5, false);
        assert.deepEqual(careless.warnings.map((w) => w.code), ['unsigned_unchecked']);
        assert.match(careless.warnings[0]!.message, /anyone can create an order at any price/);
        // These two keep the 4-character K "test": that, and only that, is said.
        const codes = async (key?: string) => ((await (await get('/me', key)).json()) as { warnings: { code: string }[] }).warnings.map((w) => w.code);
        assert.deepEqual(await codes(SIGNING_KEY), ['short_secret']);
        assert.deepEqual(await codes(), ['short_secret'], 'CHECK on');
      });
      test('a merchant whose K is under 16 characters is warned in /me, by its length only, and worded on the page', async () => {
        const me = (await (await get('/me', SIGNING_KEY)).json()) as { warnings: { code: string; message: string }[] };
        assert.match(me.warnings[0]!.message, /shorter than 16 characters/);
        assert.ok(!JSON.stringify(me.warnings).includes('test'), 'never the key itself (K is "test")');
        const page = await (await t.request('/cabinet?ln=en')).text();
        assert.match(page, /short_secret/);
      });
      test('the page has a place for them, worded in both languages, filled as text by the script', async () => {
        const ru = await (await t.request('/cabinet')).text();
        assert.match(ru, /<ul id="warnings" class="warn" aria-label="Предупреждения" hidden><\/ul>/);
        assert.match(ru, /unsigned_unchecked&quot;:&quot;Внимание: ссылки на оплату не подписываются/);
        assert.match(await (await t.request('/cabinet?ln=en')).text(), /unsigned_unchecked&quot;:&quot;Warning: payment links are not signed/);
        const js = await (await t.request('/assets/cabinet.js')).text();
        assert.match(js, /\$\('warnings'\)/);
        assert.doesNotMatch(js, /innerHTML/);
      });
    });

    describe('the page', () => {
      test('is served under the strict CSP, unframable, with no inline script', async () => {
        const r = await t.request('/cabinet');
        assert.equal(r.status, 200);
        const csp = r.headers.get('content-security-policy') ?? '';
        assert.match(csp, /script-src 'self'(;|$)/);
        assert.match(csp, /frame-ancestors 'none'/);
        const html = await r.text();
        assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
        assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline handlers');
        assert.match(html, /<script type="module" src="\/assets\/cabinet.js"><\/script>/);
        const js = await t.request('/assets/cabinet.js');
        assert.equal(js.status, 200);
        assert.match(js.headers.get('content-type') ?? '', /javascript/);
        assert.equal((await t.request('/assets/cabinet.css')).status, 200);
        assert.match(await (await t.request('/cabinet?ln=en')).text(), /<html lang="en">[\s\S]*Merchant cabinet/);
      });

      test('has the «Тестовый режим» badge, shown by the script for a test merchant', async () => {
        assert.match(await (await t.request('/cabinet')).text(), /<span id="test-mode" class="badge" hidden>Тестовый режим<\/span>/);
        assert.match(await (await t.request('/cabinet?ln=en')).text(), /id="test-mode" class="badge" hidden>Test mode</);
        assert.match(await (await t.request('/assets/cabinet.js')).text(), /\$\('test-mode'\)\.hidden = !me\.testMode/);
      });
    });
  });
}
