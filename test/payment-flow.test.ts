/**
 * The whole buyer flow through the real gateway handler on real storage (SQLite and, when
 * available, PostgreSQL): form payload → payment → sandbox system → paid → PAY row in the outbox.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { api2AnswerSignature, md5u, sha1 } from '../src/protocol/onpay-api.ts';
import { signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import {
  createPaymentVia, merchant, startMerchantStub, startTestGateway, storageKinds, TEST_SECRET,
  type MerchantStub, type TestGateway,
} from './helpers.ts';

const json = { accept: 'application/json' };

for (const kind of storageKinds()) {
  describe(`payment flow on ${kind}`, () => {
    let t: TestGateway;
    let stub: MerchantStub;

    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { type: string; pay_for: string };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type as 'check', true, body.pay_for, 'test') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [
          merchant(),
          merchant({ login: 'notify', notifications: true, apiUrl: stub.url, apiType: 2, origins: [] }),
          merchant({ login: 'api1', notifications: true, apiUrl: stub.url.replace('/api', '/api1'), apiType: 1, origins: [] }),
          merchant({ login: 'signed', checkLinkMd5: true }),
        ],
      });
    });
    after(async () => {
      await t.close();
      await stub.close();
    });

    test('form payload quotes every way with fees and conversion, amounts as canonical strings', async () => {
      const res = await t.request('/pay/shop?price=100&pay_for=42&note=%3Cb%3Ehi%3C%2Fb%3E&ln=en', { headers: json });
      assert.equal(res.status, 200);
      const p = (await res.json()) as Record<string, any>;
      assert.equal(p.merchant.name, 'Test shop');
      assert.deepEqual(p.order, { payFor: '42', price: '100.0', ticker: 'RUR', mode: 'fix', note: '<b>hi</b>', convert: true, priceFinal: false });
      const byCode = Object.fromEntries((p.ways as any[]).map((w) => [w.code, w]));
      // The fee is said with the amount (issue 28): what «Включая комиссию 2,00 ₽» reads.
      assert.deepEqual(byCode.CRD, { code: 'CRD', kind: 'redirect', title: 'Bank card (test)', amount: '102.0', ticker: 'RUR', fee: { amount: '2.0', payer: 'buyer' } });
      assert.equal(byCode.RUR.fee, undefined, 'a way without a fee has no fee');
      assert.equal(byCode.USD.amount, '1.13'); // 100 / 90.5 = 1.1049 → 1.10, + 3 % fee 0.03
      assert.deepEqual(byCode.USD.fee, { amount: '0.03', payer: 'buyer' });
      const shopPays = (await (await t.request('/pay/shop?price=100&pay_for=42&price_final=true&ln=en', { headers: json })).json()) as { ways: { code: string; amount: string; fee?: unknown }[] };
      const crd = shopPays.ways.find((w) => w.code === 'CRD')!;
      assert.deepEqual([crd.amount, crd.fee], ['100.0', { amount: '2.0', payer: 'shop' }], 'price_final: the shop pays the fee');
      assert.equal(byCode.EUR.amount, '1.02'); // 100 / 98.25 = 1.0178 → 1.01, + 1 % fee 0.01
      assert.equal(byCode.EUR.kind, 'instructions');
      assert.equal(typeof p.token, 'string');
    });

    test('price_final: the merchant pays the fee; one_way shows one way; free mode has no amounts', async () => {
      const pf = (await (await t.request('/pay/shop?price=100&pay_for=1&price_final=true&one_way=CRD', { headers: json })).json()) as any;
      assert.deepEqual(pf.ways.map((w: any) => [w.code, w.amount]), [['CRD', '100.0']]);
      const free = (await (await t.request('/pay/shop?pay_mode=free&pay_for=1', { headers: json })).json()) as any;
      assert.equal(free.order.price, '0.0');
      assert.ok(free.ways.every((w: any) => w.amount === null));
      const res = await t.request('/pay/shop?price=100&pay_for=1&one_way=ZZZ', { headers: json });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as any).error.field, 'one_way');
    });

    test('link md5 is enforced for merchants that sign links', async () => {
      const good = createHash('md5').update('fix;100.0;RUR;5;yes;test').digest('hex');
      assert.equal((await t.request(`/pay/signed?price=100&pay_for=5&md5=${good}`, { headers: json })).status, 200);
      const bad = await t.request('/pay/signed?price=101&pay_for=5&md5=' + good, { headers: json });
      assert.equal(bad.status, 403);
      assert.equal(((await bad.json()) as any).error.field, 'md5');
      assert.equal((await t.request('/pay/signed?price=100&pay_for=5', { headers: json })).status, 403);
    });

    test('card way: redirect → card page → pay → paid, and the buyer returns to url_success', async () => {
      const { res, json: created } = await createPaymentVia(t, 'price=250&pay_for=card-1&url_success=https://shop.example/ok&url_fail=https://shop.example/fail');
      assert.equal(res.status, 201);
      assert.equal(created.status, 'awaiting_payment');
      assert.equal(created.action.type, 'redirect');
      assert.equal(created.amount, '255.0');
      const path = new URL(created.action.url).pathname;
      assert.equal(path, `/sandbox/card/${created.id}`);
      const page = await t.request(path);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /value="pay"/);
      const paid = await t.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' });
      assert.equal(paid.status, 303);
      assert.equal(paid.headers.get('location'), `/sandbox/return/${created.id}`);
      const status = (await (await t.request(`/api/v1/payments/${created.id}`)).json()) as any;
      assert.equal(status.status, 'paid');
      const ret = await (await t.request(`/sandbox/return/${created.id}`)).text();
      assert.match(ret, /data-next="https:\/\/shop.example\/ok"/);
      assert.match(ret, /data-origins="http:\/\/gateway.test https:\/\/shop.example"/);
      // No notifications for this merchant: no PAY row.
      assert.equal((await t.storage.notificationsOf(created.id)).length, 0);
    });

    test('card declined → failed; the buyer goes to url_fail', async () => {
      const { json: created } = await createPaymentVia(t, 'price=10&pay_for=card-2&url_fail=https://shop.example/fail');
      const res = await t.request(`/sandbox/card/${created.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=decline' });
      assert.equal(res.status, 303);
      assert.equal((await t.storage.getPayment(created.id))!.status, 'failed');
      assert.match(await (await t.request(`/sandbox/return/${created.id}`)).text(), /data-next="https:\/\/shop.example\/fail"/);
    });

    test('bank transfer: instructions with details and deadline; expires at its deadline', async () => {
      const form = (await (await t.request('/pay/shop?price=100&pay_for=bank-1&ln=en', { headers: json })).json()) as any;
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'EUR' }) });
      assert.equal(res.status, 201);
      const p = (await res.json()) as any;
      assert.equal(p.action.type, 'instructions');
      assert.equal(p.action.amount, '1.02');
      assert.equal(p.action.ticker, 'EUR');
      const keys = p.action.details.map((d: any) => d.key);
      assert.deepEqual(keys, ['recipient', 'bank', 'bic', 'account', 'reference']);
      assert.equal(p.action.details.find((d: any) => d.key === 'reference').label, 'Payment reference');
      assert.equal(Date.parse(p.action.expiresAt), t.clock.now() + 3 * 86400_000);
      assert.equal(await t.gateway.service.expireDue(), 0);
      t.clock.advance(3 * 86400_000);
      assert.equal(await t.gateway.service.expireDue(), 1);
      assert.equal((await t.storage.getPayment(p.id))!.status, 'expired');
      const view = (await (await t.request(`/api/v1/payments/${p.id}`)).json()) as { reason?: string };
      assert.equal(view.reason, 'expired');
      // Money arriving after expiry is applied, never dropped: paid late (issue 22).
      const late = await t.request(`/api/v1/sandbox/payments/${p.id}/pay`, { method: 'POST' });
      assert.equal(late.status, 200, await late.clone().text());
      const after = (await t.storage.getPayment(p.id))!;
      assert.equal(after.status, 'paid');
      assert.equal(after.paidLate, true);
    });

    test('a payment whose request was cut off before CHECK finished is rejected, and its key answers check_failed', async () => {
      const now = t.clock.now();
      const { payment } = await t.storage.createPayment({
        id: `pay_interrupted_${kind}_0001`, merchantLogin: 'notify', payFor: 'cut', mode: 'fix', priceMinor: 100n, ticker: 'RUR', convert: true,
        priceFinal: false, note: '', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: '', userPhone: '', extraParams: {}, way: 'CRD',
        wayTicker: 'RUR', amountMinor: 102n, feeMinor: 2n, balanceMinor: 100n, balanceTicker: 'RUR', rate: '1.0', status: 'checking',
        idempotencyKey: 'cut-key', requestHash: 'h', expiresAt: null, createdAt: now, updatedAt: now,
      });
      assert.equal(await t.gateway.service.expireDue(), 0, 'not yet: CHECK may still be running');
      t.clock.advance(t.config.checkTimeoutMs + 30_001);
      assert.ok(await t.gateway.service.expireDue() >= 1);
      const after = (await t.storage.getPayment(payment.id))!;
      assert.equal(after.status, 'rejected');
      assert.equal(after.responseStatus, 424);
      assert.equal(JSON.parse(after.responseBody!).error.code, 'check_failed');
    });

    test('PAY (API 2) is written with the paid state, byte for byte as PROTOCOL.md', async () => {
      const res = await t.request('/pay/notify?price=100&pay_for=order-7&user_email=a@b.ru&user_phone=%2B79990000000&note=hi&onpay_ap_a1=w', { headers: json });
      const form = (await res.json()) as any;
      const created = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'USD' }) });
      assert.equal(created.status, 201);
      const p = (await created.json()) as any;
      const stored = (await t.storage.getPayment(p.id))!;
      t.clock.advance(1000);
      const paidAt = t.clock.now();
      const settle = await t.request(`/api/v1/sandbox/payments/${p.id}/pay`, { method: 'POST' });
      assert.equal(settle.status, 200);
      const rows = await t.storage.notificationsOf(p.id);
      assert.equal(rows.length, 1);
      const n = rows[0]!;
      assert.equal(n.status, 'pending');
      assert.equal(n.nextAttemptAt, paidAt);
      assert.equal(n.url, stub.url);
      assert.equal(n.contentType, 'application/json');
      const dt = new Date(paidAt).toISOString().replace(/\.\d{3}Z$/, '+00:00');
      const sig = sha1('pay;order-7;1.13;USD;100.0;RUR;test');
      assert.equal(n.body,
        `{"type":"pay","signature":"${sig}","pay_for":"order-7","user":{"email":"a@b.ru","phone":"+79990000000","note":"hi"},` +
        `"payment":{"id":${stored.number},"date_time":"${dt}","amount":1.13,"way":"USD","rate":90.5,"release_at":null},` +
        `"balance":{"amount":100.0,"way":"RUR"},"order":{"from_amount":1.13,"from_way":"USD","to_amount":100.0,"to_way":"RUR"},` +
        `"additional_params":{"onpay_ap_a1":"w"}}`);
      // A replayed callback changes nothing and writes no second PAY.
      const replay = await t.request(`/api/v1/sandbox/payments/${p.id}/pay`, { method: 'POST' });
      assert.equal(replay.status, 200);
      assert.deepEqual(await replay.json(), { applied: false, status: 'paid' });
      assert.equal((await t.storage.notificationsOf(p.id)).length, 1);
    });

    test('PAY (API 1) has all fields and the protocol md5', async () => {
      stub.handle((req, res) => {
        const f = new URLSearchParams(req.body);
        const code = '0';
        res.end(`<?xml version="1.0"?><result><code>${code}</code><pay_for>${f.get('pay_for')}</pay_for><comment>OK</comment><md5>${md5u(`check;${f.get('pay_for')};${f.get('order_amount')};${f.get('order_currency')};${code};test`)}</md5></result>`);
      });
      const { res, json: created } = await createPaymentVia({ ...t, request: (path, init) => t.request(path.replace('/pay/shop', '/pay/api1'), init) }, 'price=100&pay_for=a1-order&user_email=a@b.ru');
      assert.equal(res.status, 201, JSON.stringify(created));
      const stored = (await t.storage.getPayment(created.id))!;
      await t.request(`/api/v1/sandbox/payments/${created.id}/pay`, { method: 'POST' });
      const n = (await t.storage.notificationsOf(created.id))[0]!;
      assert.equal(n.contentType, 'application/x-www-form-urlencoded');
      const f = new URLSearchParams(n.body);
      assert.equal(f.get('type'), 'pay');
      assert.equal(f.get('onpay_id'), String(stored.number));
      assert.equal(f.get('order_amount'), '100.0');
      assert.equal(f.get('order_currency'), 'RUR');
      assert.equal(f.get('paid_amount'), '102.0');
      assert.equal(f.get('balance_amount'), '100.0');
      assert.equal(f.get('balance_currency'), 'RUR');
      assert.equal(f.get('exchange_rate'), '1.0');
      assert.match(f.get('paymentDateTime')!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      assert.equal(f.get('user_email'), 'a@b.ru');
      assert.equal(f.get('md5'), md5u(`pay;a1-order;${stored.number};100.0;RUR;test`));
    });

    test('callbacks are signed: a forged or tampered one changes nothing', async () => {
      const { json: created } = await createPaymentVia(t, 'price=10&pay_for=forge');
      const body = JSON.stringify({ paymentId: created.id, outcome: 'paid', amount: '10.2', ticker: 'RUR' });
      const forged = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, 'another-secret') }, body });
      assert.equal(forged.status, 403);
      const tampered = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) }, body: body.replace('10.2', '1.0') });
      assert.equal(tampered.status, 403);
      const wrongAmount = JSON.stringify({ paymentId: created.id, outcome: 'paid', amount: '1.0', ticker: 'RUR' });
      const r = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(wrongAmount, TEST_SECRET) }, body: wrongAmount });
      assert.equal(r.status, 422);
      assert.equal((await t.storage.getPayment(created.id))!.status, 'awaiting_payment');
      const ok = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) }, body });
      assert.equal(ok.status, 200);
      assert.equal((await t.storage.getPayment(created.id))!.status, 'paid');
    });

    test('the token binds the order: an edited or foreign token is refused and nothing is stored', async () => {
      const form = (await (await t.request('/pay/shop?price=100&pay_for=bind', { headers: json })).json()) as any;
      const [body, mac] = (form.token as string).split('.');
      const edited = Buffer.from(Buffer.from(body!, 'base64url').toString().replace('"100.0"', '"1.0"')).toString('base64url');
      const before = (await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 })).length;
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: `${edited}.${mac}`, way: 'CRD' }) });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as any).error.code, 'token_invalid');
      const amount = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CRD', amount: '1.0' }) });
      assert.equal(amount.status, 400);
      assert.equal(((await amount.json()) as any).error.field, 'amount');
      t.clock.advance(86400_000 + 1);
      const expired = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CRD' }) });
      assert.equal(expired.status, 410);
      assert.equal((await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 })).length, before);
    });

    test('free mode takes the buyer\'s amount', async () => {
      const form = (await (await t.request('/pay/shop?pay_mode=free&pay_for=free-1', { headers: json })).json()) as any;
      const missing = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'RUR' }) });
      assert.equal(missing.status, 400);
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'RUR', amount: '77.777' }) });
      assert.equal(res.status, 201);
      assert.equal(((await res.json()) as any).amount, '77.77');
    });

    test('status events: the current status first, then the change, then the stream ends', async () => {
      const { json: created } = await createPaymentVia(t, 'price=5&pay_for=sse');
      const res = await t.request(`/api/v1/payments/${created.id}/events`);
      assert.equal(res.headers.get('content-type'), 'text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
      };
      await readUntil('awaiting_payment');
      await t.request(`/api/v1/sandbox/payments/${created.id}/pay`, { method: 'POST' });
      await readUntil('"paid"');
      assert.match(text, /event: status\ndata: \{"id":"[^"]+","status":"awaiting_payment"\}/);
      assert.match(text, /event: status\ndata: \{"id":"[^"]+","status":"paid"\}/);
      const end = await reader.read();
      assert.equal(end.done, true);
    });

    test('hosted page without JavaScript: plain form → card system', async () => {
      const page = await t.request('/pay/shop?price=100&pay_for=nojs&note=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const html = await page.text();
      assert.ok(!html.includes('<script>alert(1)'), 'merchant strings are escaped');
      assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      const token = /name="token" value="([^"]+)"/.exec(html)![1]!;
      const key = /name="idempotency_key" value="([^"]+)"/.exec(html)![1]!;
      const post = () => t.request('/pay/shop/continue', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, idempotency_key: key, way: 'CRD' }).toString() });
      const first = await post();
      assert.equal(first.status, 303);
      assert.match(first.headers.get('location')!, /^http:\/\/gateway.test\/sandbox\/card\/pay_/);
      const second = await post();
      assert.equal(second.headers.get('location'), first.headers.get('location'), 'a resubmitted form makes no second payment');
      const bad = await t.request('/pay/shop/continue', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x&way=CRD' });
      assert.equal(bad.status, 400);
      assert.match(bad.headers.get('content-type')!, /text\/html/);
    });

    test('health and metrics report the database and the counts by status', async () => {
      const health = await t.request('/health');
      assert.deepEqual(await health.json(), { ok: true });
      const metrics = await (await t.request('/metrics')).text();
      const paid = (await t.storage.statusCounts()).payments.paid ?? 0;
      assert.ok(paid > 0);
      assert.match(metrics, new RegExp(`^onpay_payments\\{status="paid"\\} ${paid}$`, 'm'));
      assert.match(metrics, /^onpay_notifications\{status="pending"\} \d+$/m);
      assert.match(metrics, /^onpay_notifications\{status="gave_up"\} \d+$/m);
      assert.match(metrics, /^onpay_notification_leases_expired 0$/m);
    });

    test('HTML snippet for merchants\' servers carries the validated, escaped attributes', async () => {
      const res = await t.request('/pay/shop/snippet?price=100.50&pay_for=%22%3E%3Cimg%20src%3Dx%3E&onpay_ap_x=1');
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /<script type="module" src="http:\/\/gateway.test\/cdn\/onpay-checkout(\.[\w-]+)?\.js"><\/script>/);
      assert.match(html, /<onpay-checkout gateway="http:\/\/gateway.test" merchant-login="shop" pay-mode="fix" price="100.5"/);
      assert.match(html, /pay-for="&quot;&gt;&lt;img src=x&gt;"/);
      assert.match(html, /params="onpay_ap_x=1"/);
      assert.equal((await t.request('/pay/shop/snippet?price=x&pay_for=1')).status, 400);
    });
  });
}
