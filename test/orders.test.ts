/**
 * One order paid once (issue 22), through the real gateway handler on real storage (SQLite and,
 * when available, PostgreSQL), merchants as real HTTP servers on loopback: a reload resumes the
 * order's waiting payment; «Выбрать другой способ» abandons it; money for an order already paid is
 * a duplicate (API view, PAY in API 2 and webhooks, API 1 unchanged, cabinet attention, overview,
 * and refunded with `duplicates: "refund"`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api2AnswerSignature, md5u } from '../src/protocol/onpay-api.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, type MerchantStub, type TestGateway } from './helpers.ts';

const json = { accept: 'application/json' };
const SHOP_KEY = 'shop-cabinet-key-0123456789';

for (const kind of storageKinds()) {
  describe(`orders on ${kind}`, () => {
    let t: TestGateway;
    let stub: MerchantStub;

    before(async () => {
      // The shop accepts every CHECK and PAY (API 2, signed with its K `test`).
      stub = await startMerchantStub((req, res) => {
        res.setHeader('content-type', 'application/json');
        if (!req.body.startsWith('{')) {
          // API 1: a form; CHECK answered with code 0, signed.
          const f = new URLSearchParams(req.body);
          return void res.end(`<?xml version="1.0"?><result><code>0</code><pay_for>${f.get('pay_for')}</pay_for><comment>OK</comment><md5>${md5u(`check;${f.get('pay_for')};${f.get('order_amount')};${f.get('order_currency')};0;test`)}</md5></result>`);
        }
        const body = JSON.parse(req.body) as { type?: string; pay_for?: string };
        if (!body.type || !body.pay_for) return void res.end('{}');
        res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type as 'check', true, body.pay_for, 'test') }));
      });
      t = await startTestGateway({
        kind,
        merchants: [
          merchant({ notifications: true, apiUrl: stub.url, apiType: 2 }),
          merchant({ login: 'hooks', apiKey: 'hooks-cabinet-key-0123456789', notifications: true, apiUrl: stub.url, notifyStyle: 'webhooks' }),
          merchant({ login: 'api1', apiKey: 'api1-cabinet-key-0123456789', notifications: true, apiUrl: `${stub.url}1`, apiType: 1 }),
          merchant({ login: 'refunder', apiKey: 'refunder-cabinet-key-012345', duplicates: 'refund' }),
        ],
        config: { dispatcher: { inProcess: false } },
      });
    });
    after(async () => {
      await t.close();
      await stub.close();
    });

    const form = async (query: string, login = 'shop') => {
      const res = await t.request(`/pay/${login}?${query}`, { headers: json });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as { token: string; pending?: { id: string; way: string; action: Record<string, any> } };
    };
    const create = async (token: string, way: string) => {
      const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way }) });
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as Record<string, any>;
    };
    const abandon = (id: string, body: unknown) => t.request(`/api/v1/payments/${id}/abandon`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const sandboxPay = async (id: string) => {
      const res = await t.request(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
      assert.equal(res.status, 200, await res.clone().text());
    };
    const cabinet = async (path: string, key = SHOP_KEY) => {
      const res = await t.request(`/api/v1/cabinet${path}`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as Record<string, any>;
    };

    test('a reload of the order resumes its waiting bank transfer: the same payment, instructions and amount', async () => {
      const first = await form('price=1200&pay_for=ord-resume');
      assert.equal(first.pending, undefined, 'nothing waits yet');
      const p = await create(first.token, 'RUR');
      assert.equal(p.action.type, 'instructions');
      const again = await form('price=1200&pay_for=ord-resume');
      assert.deepEqual(again.pending, { id: p.id, way: 'RUR', action: p.action });
      // Another order, or the same order at another price, starts afresh.
      assert.equal((await form('price=1200&pay_for=ord-other')).pending, undefined);
      assert.equal((await form('price=1300&pay_for=ord-resume')).pending, undefined);
      // The hosted page (no JavaScript) shows the same instructions and the way out.
      const page = await (await t.request('/pay/shop?price=1200&pay_for=ord-resume')).text();
      assert.match(page, new RegExp(`href="/payments/${p.id}"`));
      assert.match(page, /action="\/pay\/shop\/abandon"/);
      assert.match(page, /Выбрать другой способ/);
      assert.match(page, new RegExp(p.action.details.find((d: any) => d.key === 'reference').value));
      // Past its deadline it is not offered again.
      t.clock.advance(3 * 86400 * 1000 + 1000);
      assert.equal((await form('price=1200&pay_for=ord-resume')).pending, undefined);
    });

    test('the hosted page without JavaScript: «Выбрать другой способ» leaves the transfer and comes back to the page', async () => {
      const link = 'price=700&pay_for=ord-nojs&ln=ru';
      const f = await form(link);
      const p = await create(f.token, 'RUR');
      const page = await (await t.request(`/pay/shop?${link}`)).text();
      const back = /name="back" value="([^"]*)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      const post = (fields: Record<string, string>) => t.request('/pay/shop/abandon', {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual',
      });
      const missing = await post({ token: f.token, back });
      assert.equal(missing.status, 400);
      assert.match(await missing.text(), /payment/);
      assert.equal((await t.storage.getPayment(p.id))!.status, 'awaiting_payment');
      const res = await post({ token: f.token, payment: p.id, back });
      assert.equal(res.status, 303);
      const location = res.headers.get('location')!;
      assert.ok(location.startsWith('/pay/shop?'), location);
      assert.equal(new URLSearchParams(location.slice('/pay/shop?'.length)).get('pay_for'), 'ord-nojs');
      assert.equal((await t.storage.getPayment(p.id))!.status, 'failed');
      const again = await (await t.request(location)).text();
      assert.match(again, /name="way"/, 'the picker again');
      assert.doesNotMatch(again, /pay\/shop\/abandon/);
    });

    test('abandon: bad input is a 4xx naming the field and changes nothing', async () => {
      const f = await form('price=500&pay_for=ord-bad');
      const p = await create(f.token, 'RUR');
      const other = await form('price=500&pay_for=ord-not-this');
      const cases: [unknown, number, string][] = [
        [{}, 400, 'token'],
        [{ token: 'nope' }, 400, 'token'],
        [{ token: other.token }, 403, 'token'],
        [{ token: f.token, extra: 1 }, 400, 'extra'],
      ];
      for (const [body, status, field] of cases) {
        const res = await abandon(p.id, body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.match(JSON.stringify(await res.json()), new RegExp(field));
      }
      assert.equal((await abandon('pay_doesnotexist00', { token: f.token })).status, 404);
      assert.equal((await t.storage.getPayment(p.id))!.status, 'awaiting_payment');
      assert.equal((await form('price=500&pay_for=ord-bad')).pending?.id, p.id, 'still resumed');
    });

    test('«Выбрать другой способ»: the transfer is abandoned (idempotently), not offered again; a paid one answers 409', async () => {
      const f = await form('price=1200&pay_for=ord-dup');
      const transfer = await create(f.token, 'RUR');
      const res = await abandon(transfer.id, { token: f.token });
      assert.equal(res.status, 200);
      const view = (await res.json()) as Record<string, any>;
      assert.equal(view.id, transfer.id);
      assert.equal(view.status, 'failed');
      assert.equal(view.reason, 'abandoned', 'the failure view says the buyer chose another method');
      const stored = (await t.storage.getPayment(transfer.id))!;
      assert.match(stored.statusReason, /^abandoned: /);
      assert.equal(stored.failureReason, 'abandoned');
      assert.equal((await abandon(transfer.id, { token: f.token })).status, 200, 'idempotent');
      assert.equal((await form('price=1200&pay_for=ord-dup')).pending, undefined, 'not offered again');
      // Abandoned by the buyer: nothing for the merchant to attend to.
      const attention = (await cabinet('/summary')).attention as any[];
      assert.ok(!attention.some((a) => a.paymentId === transfer.id), JSON.stringify(attention));

      // The buyer pays by card instead.
      const card = await create(f.token, 'CRD');
      await sandboxPay(card.id);
      const paid = await abandon(card.id, { token: f.token });
      assert.equal(paid.status, 409);
      assert.match(JSON.stringify(await paid.json()), /paid/);

      // Then the old transfer arrives too: paid, and a duplicate of the card payment.
      await sandboxPay(transfer.id);
      const late = (await (await t.request(`/api/v1/payments/${transfer.id}`)).json()) as Record<string, any>;
      assert.equal(late.status, 'paid');
      assert.equal(late.duplicateOf, card.id);
      const first = (await (await t.request(`/api/v1/payments/${card.id}`)).json()) as Record<string, any>;
      assert.equal(first.duplicateOf, undefined, 'the first payment is no duplicate');

      // PAY goes to the shop as the protocol requires, with the marker (API 2: the first payment's number).
      const cardNumber = (await t.storage.getPayment(card.id))!.number;
      const pay = (await t.storage.notificationsOf(transfer.id)).find((n) => n.kind === 'pay')!;
      const body = JSON.parse(pay.body) as Record<string, unknown>;
      assert.equal(body.type, 'pay');
      assert.equal(body.duplicate_of, cardNumber);
      const cardPay = JSON.parse((await t.storage.notificationsOf(card.id)).find((n) => n.kind === 'pay')!.body) as Record<string, unknown>;
      assert.equal('duplicate_of' in cardPay, false);

      // The cabinet: the duplicate heads the attention list, the overview counts it, the payment says so.
      const overview = await cabinet('/summary');
      assert.deepEqual(
        { kind: overview.attention[0].kind, paymentId: overview.attention[0].paymentId, text: overview.attention[0].text },
        { kind: 'duplicate', paymentId: transfer.id, text: card.id },
      );
      assert.equal(overview.conversion.duplicates, 1);
      assert.equal((await cabinet(`/payments/${transfer.id}`)).duplicateOf, card.id);
      const listed = (await cabinet('/payments?pay_for=ord-dup')).payments as any[];
      const byId = Object.fromEntries(listed.map((p) => [p.id, p.duplicateOf]));
      assert.deepEqual(byId, { [card.id]: null, [transfer.id]: card.id });
    });

    test('two payments of one order paid at the same moment: exactly one is the duplicate of the other', async () => {
      const f = await form('price=300&pay_for=ord-race');
      const a = await create(f.token, 'CRD');
      const b = await create(f.token, 'CRD');
      await Promise.all([sandboxPay(a.id), sandboxPay(b.id)]);
      const [pa, pb] = [(await t.storage.getPayment(a.id))!, (await t.storage.getPayment(b.id))!];
      assert.deepEqual([pa.status, pb.status], ['paid', 'paid']);
      const marks = [pa.duplicateOf ?? null, pb.duplicateOf ?? null];
      assert.ok(
        (marks[0] === null && marks[1] === a.id) || (marks[0] === b.id && marks[1] === null),
        `one duplicate, of the other: ${JSON.stringify(marks)}`,
      );
      const dup = marks[0] === null ? b.id : a.id;
      assert.ok(((await cabinet('/summary')).attention as any[]).some((x) => x.kind === 'duplicate' && x.paymentId === dup));
    });

    test('webhooks carry data.duplicateOf; API 1 stays as the protocol is', async () => {
      for (const login of ['hooks', 'api1']) {
        const f = await form(`price=300&pay_for=ord-${login}`, login);
        const a = await create(f.token, 'CRD');
        const b = await create(f.token, 'CRD');
        await sandboxPay(a.id);
        await sandboxPay(b.id);
        const stored = (await t.storage.getPayment(b.id))!;
        assert.equal(stored.duplicateOf, a.id);
        const pay = (await t.storage.notificationsOf(b.id)).find((n) => n.kind === 'pay')!;
        if (login === 'hooks') {
          assert.equal((JSON.parse(pay.body) as { data: { duplicateOf?: string } }).data.duplicateOf, a.id);
        } else {
          const firstPay = (await t.storage.notificationsOf(a.id)).find((n) => n.kind === 'pay')!;
          assert.deepEqual([...new URLSearchParams(pay.body).keys()], [...new URLSearchParams(firstPay.body).keys()], 'API 1: the same fields');
          assert.doesNotMatch(pay.body, /duplicate/);
        }
      }
    });

    test('duplicates: "refund" refunds the duplicate in full, audited; the first payment stays paid', async () => {
      const f = await form('price=250&pay_for=ord-refund', 'refunder');
      const a = await create(f.token, 'CRD');
      const b = await create(f.token, 'CRD');
      await sandboxPay(a.id);
      await sandboxPay(b.id);
      const dup = (await t.storage.getPayment(b.id))!;
      assert.equal(dup.duplicateOf, a.id);
      assert.equal(dup.status, 'refunded');
      assert.equal(dup.refundedMinor, dup.amountMinor);
      const refunds = await t.storage.refundsOf(b.id);
      assert.equal(refunds.length, 1);
      assert.equal(refunds[0]!.status, 'succeeded');
      assert.match(refunds[0]!.actor, /gateway/);
      assert.match(refunds[0]!.reason, new RegExp(a.id));
      const audit = await t.storage.auditOf(b.id);
      assert.ok(audit.some((x) => x.action === 'refund' && /gateway/.test(x.actor)), JSON.stringify(audit));
      assert.equal((await t.storage.getPayment(a.id))!.status, 'paid');
      assert.equal((await t.storage.getMerchant('shop'))!.duplicates ?? 'flag', 'flag', 'the default flags only');
    });

    test('the duplicates setting in the cabinet: audited, a bad value named', async () => {
      const patch = (body: unknown) => t.request('/api/v1/cabinet/settings', {
        method: 'PATCH', headers: { authorization: `Bearer ${SHOP_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      assert.equal((await cabinet('/settings')).duplicates, 'flag');
      const bad = await patch({ duplicates: 'keep' });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /duplicates/);
      const ok = await patch({ duplicates: 'refund' });
      assert.equal(ok.status, 200, await ok.clone().text());
      const view = (await ok.json()) as Record<string, any>;
      assert.equal(view.duplicates, 'refund');
      assert.deepEqual(view.audit[0].details, { duplicates: { from: 'flag', to: 'refund' } });
      assert.equal((await t.storage.getMerchant('shop'))!.duplicates, 'refund');
      await patch({ duplicates: 'flag' });
    });
  });
}
