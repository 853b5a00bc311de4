/**
 * Holds (issue 25) through the sandbox card system, on every storage: the card page authorises a
 * manual-capture payment (`authorized`, with its deadline), then the merchant API captures all of it
 * (`paid`, PAY once for the amount), less (`partially_captured` → `paid`, PAY for the captured
 * amount), or voids it (`voided`, `payment.voided`, no PAY); the expiry policy on the reconciler with
 * a test clock, under each `holdExpiry`; a key repeated (one capture); a capture racing a void
 * (exactly one wins); bad input answered 4xx naming the field, nothing changed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createReconciler } from '../src/server/dispatcher/reconcile.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, type MerchantStub, type TestGateway } from './helpers.ts';

const title = { ru: 'Карта', en: 'Card' };
const DAY_MS = 24 * 3_600_000;
type Json = Record<string, any>;

for (const kind of storageKinds()) {
  describe(`holds through the sandbox on ${kind}`, () => {
    let t: TestGateway;
    let stub: MerchantStub;
    const KEYS = { shop: 'shop-cabinet-key-0123456789', hooks: 'hooks-cabinet-key-0123456789', keep: 'keep-cabinet-key-0123456789' };

    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const o = JSON.parse(req.body) as { type?: string; pay_for?: string };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature('check', true, o.pay_for ?? '', 'test') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [
          // API 2 merchant: CHECK before the hold, PAY at capture.
          merchant({ notifications: true, apiUrl: stub.url, capture: 'manual' }),
          merchant({ login: 'hooks', apiKey: KEYS.hooks, notifications: true, apiUrl: stub.url, notifyStyle: 'webhooks', capture: 'manual' }),
          merchant({ login: 'keep', apiKey: KEYS.keep, notifications: true, apiUrl: stub.url, capture: 'manual', holdExpiry: 'capture' }),
          merchant({ login: 'dup', notifications: true, apiUrl: stub.url, capture: 'manual', duplicates: 'refund' }),
        ],
        config: {
          ways: [
            { code: 'CRD', system: 'card', ticker: 'RUR', title },
            { code: 'BNK', system: 'bank', ticker: 'RUR', title },
          ],
        },
      });
    });
    after(async () => {
      await t?.close();
      await stub?.close();
    });

    let n = 0;
    /** A manual-capture payment of 150.0 RUR authorised on the sandbox card page. */
    async function held(login = 'shop', payFor = `hold-${n++}`): Promise<string> {
      const form = await t.request(`/pay/${login}?price=150&pay_for=${payFor}`, { headers: { accept: 'application/json' } });
      const payload = (await form.json()) as { token: string; ways: { code: string; hold?: true }[] };
      // Only the ways that can hold are offered, and each says so.
      assert.deepEqual(payload.ways.map((w) => [w.code, w.hold]), [['CRD', true]]);
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'CRD' }) });
      const json = (await res.json()) as Json;
      assert.equal(res.status, 201, JSON.stringify(json));
      const id = json.id as string;
      const page = await (await t.request(`/sandbox/card/${id}`)).text();
      assert.match(page, /value="authorize">Авторизовать</);
      assert.doesNotMatch(page, /value="pay"/);
      const r = await t.request(`/sandbox/card/${id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=authorize' });
      assert.equal(r.status, 303);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'authorized');
      assert.equal(p.holdExpiresAt, t.clock.now() + 7 * DAY_MS);
      return id;
    }

    const call = async (login: keyof typeof KEYS, id: string, op: 'capture' | 'void', body: unknown, key?: string) => {
      const res = await t.request(`/api/v1/payments/${id}/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS[login]}`, ...(key ? { 'idempotency-key': key } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const pays = async (id: string) => (await t.storage.notificationsOf(id)).filter((x) => x.kind === 'pay');

    test('a manual-capture payment is held, not paid: CHECK ran first, no PAY yet, the view says authorized with its deadline', async () => {
      const checksBefore = stub.requests.filter((r) => r.body.includes('"type":"check"')).length;
      const id = await held();
      assert.equal(stub.requests.filter((r) => r.body.includes('"type":"check"')).length, checksBefore + 1);
      assert.deepEqual(await pays(id), []);
      const view = (await (await t.request(`/api/v1/payments/${id}`, { headers: { origin: 'https://shop.example' } })).json()) as Json;
      assert.equal(view.status, 'authorized');
      assert.equal(view.holdExpiresAt, new Date(t.clock.now() + 7 * DAY_MS).toISOString());
    });

    test('hold → full capture: paid, PAY exactly once for the held amount; a repeat with the key is the same capture', async () => {
      const id = await held();
      const a = await call('shop', id, 'capture', { reason: 'shipped' }, 'cap-1');
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.equal(a.body.payment.status, 'paid');
      assert.equal(a.body.operation.amount, '150.0');
      const again = await call('shop', id, 'capture', { reason: 'shipped' }, 'cap-1');
      assert.equal(again.status, 200);
      assert.equal(again.body.operation.id, a.body.operation.id);
      const pay = await pays(id);
      assert.equal(pay.length, 1);
      const body = JSON.parse(pay[0]!.body) as Json;
      assert.equal(body.type, 'pay');
      // API 2 amounts are JSON numbers with their canonical text (PROTOCOL.md §1).
      assert.match(pay[0]!.body, /"payment":\{[^}]*"amount":150\.0,/);
      assert.equal((await t.storage.holdOperationsOf(id))[0]!.status, 'succeeded');
      const audit = await t.storage.auditOf(id);
      assert.ok(audit.some((x) => x.action === 'capture' && x.actor === 'shop' && x.fromStatus === 'authorized' && x.toStatus === 'paid' && x.reason.includes('shipped')));
      // Another key on a captured payment: refused, nothing more.
      const late = await call('shop', id, 'capture', {}, 'cap-2');
      assert.equal(late.status, 409);
      assert.equal(late.body.error.field, 'status');
      const voidAfter = await call('shop', id, 'void', {}, 'void-after');
      assert.equal(voidAfter.status, 409);
      assert.equal((await pays(id)).length, 1);
    });

    test('hold → partial capture: partially_captured then paid for the smaller amount; PAY carries the captured amount; refunds up to it', async () => {
      const id = await held();
      const over = await call('shop', id, 'capture', { amount: '150.01' }, 'over');
      assert.equal(over.status, 422);
      assert.equal(over.body.error.field, 'amount');
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized');
      const a = await call('shop', id, 'capture', { amount: '100.5', reason: 'one item out of stock' }, 'part');
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'paid');
      assert.equal(p.amountMinor, 10050n);
      assert.equal(p.heldMinor, 15000n);
      const audit = await t.storage.auditOf(id);
      assert.deepEqual(audit.filter((x) => x.action === 'capture').map((x) => x.toStatus), ['partially_captured']);
      const pay = await pays(id);
      assert.equal(pay.length, 1);
      assert.match(pay[0]!.body, /"payment":\{[^}]*"amount":100\.5,/);
      const refund = await t.request(`/api/v1/cabinet/payments/${id}/refunds`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.shop}` }, body: JSON.stringify({ amount: '100.51', reason: 'x' }),
      });
      assert.equal(refund.status, 422);
    });

    test('hold → void: voided, no PAY; payment.voided to a webhooks merchant (payment.authorized before it); a captured-after-void is refused', async () => {
      const id = await held('hooks');
      const a = await call('hooks', id, 'void', { reason: 'out of stock' }, 'v-1');
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.equal(a.body.payment.status, 'voided');
      const events = (await t.storage.notificationsOf(id)).map((x) => JSON.parse(x.body).type);
      assert.deepEqual(events, ['payment.authorized', 'payment.voided']);
      const c = await call('hooks', id, 'capture', {}, 'c-after');
      assert.equal(c.status, 409);
      assert.equal((await t.storage.getPayment(id))!.status, 'voided');
    });

    test('a capture racing a void: exactly one wins, the other is refused, the payment is consistent', async () => {
      for (let i = 0; i < 4; i++) {
        const id = await held();
        const [c, v] = await Promise.all([call('shop', id, 'capture', {}, `race-c-${i}`), call('shop', id, 'void', {}, `race-v-${i}`)]);
        const won = [c, v].filter((r) => r.status === 200);
        assert.equal(won.length, 1, JSON.stringify([c, v]));
        const lost = [c, v].find((r) => r.status !== 200)!;
        assert.equal(lost.status, 409);
        const p = (await t.storage.getPayment(id))!;
        assert.equal(p.status, c.status === 200 ? 'paid' : 'voided');
        assert.equal((await pays(id)).length, c.status === 200 ? 1 : 0);
      }
    });

    test('bad input is a 4xx naming the field and changes nothing; no key → 401; another merchant\'s payment → 404', async () => {
      const id = await held();
      for (const [body, field] of [
        [{ amount: 'abc' }, 'amount'], [{ amount: '0' }, 'amount'], [{ amount: 150 }, 'amount'], [{ amount: '1.001' }, 'amount'],
        [{ reason: 5 }, 'reason'], [{ extra: 1 }, 'extra'],
      ] as const) {
        const r = await call('shop', id, 'capture', body);
        assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r));
        assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      }
      const badKey = await call('shop', id, 'capture', {}, 'bad key with spaces');
      assert.equal(badKey.status, 400);
      assert.equal(badKey.body.error.field, 'Idempotency-Key');
      const notJson = await call('shop', id, 'void', '{');
      assert.equal(notJson.status, 400);
      const anon = await t.request(`/api/v1/payments/${id}/capture`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(anon.status, 401);
      assert.equal((await call('hooks', id, 'capture', {})).status, 404);
      const reused = await call('shop', id, 'capture', { amount: '10.0' }, 'k-x');
      assert.equal(reused.status, 200);
      assert.equal((await call('shop', id, 'capture', { amount: '20.0' }, 'k-x')).status, 409);
    });

    test('an auto-capture payment cannot be captured: 409, and the sandbox refuses to hold it', async () => {
      const form = await t.request(`/pay/shop?price=150&pay_for=auto-${n++}&capture=auto&ext_md5=${extMd5('capture=auto;test')}`, { headers: { accept: 'application/json' } });
      const payload = (await form.json()) as Json;
      assert.equal(form.status, 200, JSON.stringify(payload));
      assert.deepEqual(payload.ways.map((w: Json) => w.code), ['CRD', 'BNK']);
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'CRD' }) });
      const id = ((await res.json()) as Json).id as string;
      assert.equal((await t.request(`/api/v1/sandbox/payments/${id}/authorize`, { method: 'POST' })).status, 409);
      assert.equal((await t.request(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' })).status, 200);
      assert.equal((await call('shop', id, 'capture', {})).status, 409);
    });

    test('the cabinet: held payments listed with their deadlines; one about to expire heads the attention list', async () => {
      const id = await held();
      const get = async (path: string) => (await (await t.request(path, { headers: { authorization: `Bearer ${KEYS.shop}` } })).json()) as Json;
      const list = await get('/api/v1/cabinet/holds');
      const mine = list.holds.find((h: Json) => h.id === id);
      assert.equal(mine.holdExpiresAt, new Date(t.clock.now() + 7 * DAY_MS).toISOString());
      assert.equal(mine.held, '150.0');
      assert.ok(!(await get('/api/v1/cabinet/summary')).attention.some((a: Json) => a.paymentId === id), 'not yet: a week left');
      t.clock.advance(5 * DAY_MS + 1000);
      const attention = (await get('/api/v1/cabinet/summary')).attention as Json[];
      assert.equal(attention[0]!.kind, 'hold_expiring');
      assert.ok(attention.some((a) => a.paymentId === id && a.kind === 'hold_expiring'));
      assert.equal((await t.request('/api/v1/cabinet/holds')).status, 401);
      // Settled for the tests after this one.
      assert.equal((await call('shop', id, 'void', {}, 'cab-v')).status, 200);
    });

    test('the CHECK answer\'s "capture" overrides: "manual" holds an auto merchant\'s payment, "auto" charges a manual one, anything else fails CHECK', async () => {
      const outcomes: Record<string, unknown> = {};
      const checkStub = await startMerchantStub((req, res) => {
        const o = JSON.parse(req.body) as { pay_for: string };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature('check', true, o.pay_for, 'test'), ...(outcomes[o.pay_for] !== undefined ? { capture: outcomes[o.pay_for] } : {}) }));
      });
      try {
        const m = (await t.storage.getMerchant('hooks'))!;
        await t.storage.upsertMerchant({ ...m, apiUrl: checkStub.url, notifyStyle: 'onpay', capture: null }, t.clock.now(), { operator: true });
        const start = async (payFor: string, way = 'CRD') => {
          const form = (await (await t.request(`/pay/hooks?price=150&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as Json;
          const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way }) });
          return { status: res.status, body: (await res.json()) as Json };
        };
        outcomes['chk-manual'] = 'manual';
        const held = await start('chk-manual');
        assert.equal(held.status, 201, JSON.stringify(held.body));
        assert.equal((await t.storage.getPayment(held.body.id))!.captureMode, 'manual');
        assert.equal((await t.request(`/api/v1/sandbox/payments/${held.body.id}/authorize`, { method: 'POST' })).status, 200);
        assert.equal((await t.storage.getPayment(held.body.id))!.status, 'authorized');
        outcomes['chk-bank'] = 'manual';
        const bank = await start('chk-bank', 'BNK');
        assert.equal(bank.status, 424, JSON.stringify(bank.body));
        assert.equal(bank.body.error.code, 'check_failed');
        outcomes['chk-bad'] = 'later';
        assert.equal((await start('chk-bad')).status, 424);
        await t.storage.upsertMerchant({ ...m, apiUrl: checkStub.url, notifyStyle: 'onpay', capture: 'manual' }, t.clock.now(), { operator: true });
        outcomes['chk-auto'] = 'auto';
        const auto = await start('chk-auto');
        assert.equal(auto.status, 201, JSON.stringify(auto.body));
        assert.equal((await t.storage.getPayment(auto.body.id))!.captureMode, null);
        assert.equal((await t.request(`/api/v1/sandbox/payments/${auto.body.id}/pay`, { method: 'POST' })).status, 200);
        assert.equal((await t.storage.getPayment(auto.body.id))!.status, 'paid');
      } finally {
        await t.storage.upsertMerchant((await t.storage.getMerchant('hooks'))!, t.clock.now());
        const m = (await t.storage.getMerchant('hooks'))!;
        await t.storage.upsertMerchant({ ...m, apiUrl: stub.url, notifyStyle: 'webhooks', capture: 'manual' }, t.clock.now(), { operator: true });
        await checkStub.close();
      }
    });

    test('expiry, holdExpiry "void": a day before the deadline the reconciler voids it, once across two reconcilers', async () => {
      const id = await held('hooks');
      const a = createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'hx-a' });
      const b = createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'hx-b' });
      t.clock.advance(5 * DAY_MS);
      await Promise.all([a.runOnce(), b.runOnce()]);
      assert.equal((await t.storage.getPayment(id))!.status, 'authorized', 'not before the policy\'s moment');
      t.clock.advance(DAY_MS + 1000);
      await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'voided');
      const ops = await t.storage.holdOperationsOf(id);
      assert.equal(ops.length, 1);
      assert.equal(ops[0]!.actor, 'gateway:hold_expiry');
      assert.deepEqual((await t.storage.notificationsOf(id)).map((x) => JSON.parse(x.body).type), ['payment.authorized', 'payment.voided']);
    });

    test('expiry, holdExpiry "capture": the gateway captures all of it, PAY once', async () => {
      const id = await held('keep');
      t.clock.advance(6 * DAY_MS + 1000);
      const r = createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'hx-c' });
      await r.runOnce();
      await r.runOnce();
      assert.equal((await t.storage.getPayment(id))!.status, 'paid');
      assert.equal((await pays(id)).length, 1);
    });

    test('a held order is taken: a reload of its form resumes the hold (no action, no «another method»), not a new payment; released, it is not', async () => {
      const payFor = `taken-${n++}`;
      const id = await held('shop', payFor);
      const again = (await (await t.request(`/pay/shop?price=150&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as Json;
      assert.deepEqual(again.pending, { id, way: 'CRD' });
      // A changed price is another payment, as for a waiting one.
      assert.equal(((await (await t.request(`/pay/shop?price=151&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as Json).pending, undefined);
      // The page without JavaScript: the payment's status, no way to leave it for another method.
      const page = await (await t.request(`/pay/shop?price=150&pay_for=${payFor}`)).text();
      assert.match(page, new RegExp(`/payments/${id}"`));
      assert.doesNotMatch(page, /\/abandon"/);
      assert.equal((await call('shop', id, 'void', {}, `v-${id}`)).status, 200);
      assert.equal(((await (await t.request(`/pay/shop?price=150&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as Json).pending, undefined);
    });

    test('a second payment of a held order, paid, is a duplicate of the hold (PAY says so); the hold is no duplicate and still captures', async () => {
      const payFor = `twice-${n++}`;
      const id = await held('shop', payFor);
      const form = (await (await t.request(`/pay/shop?price=150&pay_for=${payFor}&capture=auto&ext_md5=${extMd5('capture=auto;test')}`, { headers: { accept: 'application/json' } })).json()) as Json;
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CRD' }) });
      assert.equal(res.status, 201);
      const second = ((await res.json()) as Json).id as string;
      assert.equal((await t.request(`/api/v1/sandbox/payments/${second}/pay`, { method: 'POST' })).status, 200);
      const paid = (await t.storage.getPayment(second))!;
      assert.equal(paid.status, 'paid');
      assert.equal(paid.duplicateOf, id);
      const pay = JSON.parse((await pays(second))[0]!.body) as Json;
      assert.equal(pay.duplicate_of, (await t.storage.getPayment(id))!.number);
      assert.equal((await call('shop', id, 'capture', {}, `c-${id}`)).status, 200);
      const first = (await t.storage.getPayment(id))!;
      assert.equal(first.status, 'paid');
      assert.equal(first.duplicateOf, null);
    });

    test('a hold arriving for an order already paid is marked a duplicate at once; with duplicates: refund it is voided, nothing taken', async () => {
      for (const [login, release] of [['shop', false], ['dup', true]] as const) {
        const payFor = `dup-hold-${n++}`;
        // The hold's card page is open while the order is paid another way; then the hold is authorised.
        const start = async (query: string) => {
          const form = (await (await t.request(`/pay/${login}?${query}`, { headers: { accept: 'application/json' } })).json()) as Json;
          const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CRD' }) });
          assert.equal(res.status, 201);
          return ((await res.json()) as Json).id as string;
        };
        const hold = await start(`price=150&pay_for=${payFor}`);
        const paid = await start(`price=150&pay_for=${payFor}&capture=auto&ext_md5=${extMd5('capture=auto;test')}`);
        assert.equal((await t.request(`/api/v1/sandbox/payments/${paid}/pay`, { method: 'POST' })).status, 200);
        const r = await t.request(`/sandbox/card/${hold}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=authorize' });
        assert.equal(r.status, 303);
        const p = (await t.storage.getPayment(hold))!;
        assert.equal(p.duplicateOf, paid, `${login}: marked a duplicate of the payment that paid the order`);
        assert.match(p.statusReason, release ? /voided: duplicate hold/ : /duplicate: order .* was paid by/);
        assert.equal(p.status, release ? 'voided' : 'authorized');
        const ops = await t.storage.holdOperationsOf(hold);
        assert.deepEqual(ops.map((o) => [o.kind, o.actor, o.status]), release ? [['void', 'gateway:duplicate', 'succeeded']] : []);
        assert.deepEqual(await pays(hold), [], 'no PAY: nothing was taken');
      }
    });

    test('a hold past its deadline lapses at the provider: voided by what the provider says', async () => {
      const id = await held('hooks');
      // The policy did not run in time (reconcilers down); then the provider's deadline passes.
      t.clock.advance(7 * DAY_MS + 1000);
      await createReconciler({ storage: t.storage, service: t.gateway.service, now: t.clock.now, owner: 'hx-d' }).runOnce();
      const p = (await t.storage.getPayment(id))!;
      assert.equal(p.status, 'voided');
      assert.match(p.statusReason, /hold_lapsed/);
    });
  });
}

function extMd5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}
