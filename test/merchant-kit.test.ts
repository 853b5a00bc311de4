/**
 * The merchant kit against the real gateway: links it signs are accepted, CHECK and PAY the gateway
 * sends are verified and answered in both API types, and the answers pass the gateway's own checks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { judgePayApi1, judgePayApi2, md5u, sha1 } from '../src/protocol/onpay-api.ts';
import { payData } from '../src/server/payments/notify.ts';
import { createPaymentVia, merchant, startTestGateway, type TestGateway } from './helpers.ts';
import { createMerchantHandler, signPaymentLink, type CheckRequest, type PayNotification } from '../src/merchant/index.ts';

describe('signPaymentLink', () => {
  test('signs the PROTOCOL.md vector and builds the link and the element attributes', () => {
    const link = signPaymentLink({ gateway: 'https://pay.example/', merchantLogin: 'shop', secret: 'test', price: '100', payFor: '123', urlSuccess: 'https://s/ok', extraParams: { a1: 'w' } });
    assert.equal(link.md5, '1206be51154e8521f9a17344ab6fca4d');
    assert.equal(link.url, 'https://pay.example/pay/shop?pay_mode=fix&price=100.0&ticker=RUR&pay_for=123&convert=yes&md5=1206be51154e8521f9a17344ab6fca4d&url_success=https%3A%2F%2Fs%2Fok&onpay_ap_a1=w');
    assert.deepEqual(link.attributes, {
      gateway: 'https://pay.example', 'merchant-login': 'shop', 'pay-mode': 'fix', price: '100.0', ticker: 'RUR', 'pay-for': '123',
      convert: 'yes', md5: '1206be51154e8521f9a17344ab6fca4d', 'url-success': 'https://s/ok', params: 'onpay_ap_a1=w',
    });
    assert.equal(signPaymentLink({ gateway: 'g', merchantLogin: 's', secret: 'test', price: 10050n, payFor: '1' }).query.price, '100.5');
    assert.throws(() => signPaymentLink({ gateway: 'g', merchantLogin: 's', secret: 'k', price: '1e5', payFor: '1' }), /price/);
  });
});

for (const apiType of [1, 2] as const) {
  for (const apiMethod of apiType === 1 ? (['POST', 'GET'] as const) : (['POST'] as const)) {
    describe(`kit handler, API ${apiType} ${apiMethod}, against the real gateway`, () => {
      let t: TestGateway;
      let server: ServerType;
      const checks: CheckRequest[] = [];
      const pays: PayNotification[] = [];
      const paid = new Set<string>();
      let failPay = false;

      before(async () => {
        const handle = createMerchantHandler({
          secret: 'kit-secret',
          onCheck: (c) => {
            checks.push(c);
            return c.payFor.startsWith('cancelled') ? { accept: false, comment: 'Заказ отменён' } : true;
          },
          onPay: (p) => {
            if (failPay) throw new Error('database down');
            pays.push(p);
            paid.add(p.payFor);
          },
        });
        server = await new Promise<ServerType>((resolve) => {
          const s = serve({ fetch: handle, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
        });
        const address = server.address() as { port: number };
        t = await startTestGateway({
          merchants: [merchant({ secret: 'kit-secret', notifications: true, apiType, apiMethod, apiUrl: `http://127.0.0.1:${address.port}/onpay`, checkLinkMd5: true, origins: [] })],
        });
      });
      after(async () => {
        await t.close();
        server.close();
      });

      const startPayment = async (payFor: string, extra = '') => {
        const link = signPaymentLink({ gateway: 'http://gateway.test', merchantLogin: 'shop', secret: 'kit-secret', price: '250.5', payFor, userEmail: 'b@b.ru', extraParams: { src: 'kit' } });
        const form = await t.request(`/pay/shop?${new URLSearchParams(link.query).toString()}${extra}`, { headers: { accept: 'application/json' } });
        assert.equal(form.status, 200, await form.clone().text());
        const payload = (await form.json()) as { token: string };
        return t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'USD' }) });
      };

      test('CHECK is verified and accepted; the shop sees typed data', async () => {
        const res = await startPayment('kit-1');
        assert.equal(res.status, 201, await res.clone().text());
        const c = checks.at(-1)!;
        assert.deepEqual(c, { type: 'check', apiType, payFor: 'kit-1', amount: '250.5', ticker: 'RUR', mode: 'fix', userEmail: 'b@b.ru', extraParams: { onpay_ap_src: 'kit' } });
      });

      test('CHECK declined by the shop reaches the buyer with its comment', async () => {
        const res = await startPayment('cancelled-1');
        assert.equal(res.status, 422);
        assert.equal(((await res.json()) as any).error.comment, 'Заказ отменён');
      });

      test('the gateway\'s PAY bytes are accepted, and the kit\'s answer passes the gateway\'s verdict', async () => {
        const res = await startPayment('kit-pay');
        const { id } = (await res.json()) as { id: string };
        await t.request(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
        const n = (await t.storage.notificationsOf(id))[0]!;
        const address = server.address() as { port: number };
        const url = `http://127.0.0.1:${address.port}/onpay`;
        const send = () => (n.method === 'GET' ? fetch(`${url}?${n.body}`) : fetch(url, { method: 'POST', headers: { 'content-type': n.contentType }, body: n.body }));
        const answer = await (await send()).text();
        const p = (await t.storage.getPayment(id))!;
        const d = payData(p, p.paidAt!);
        const verdict = apiType === 2 ? judgePayApi2(answer, d, 'kit-secret') : judgePayApi1(answer, d, 'kit-secret');
        assert.deepEqual(verdict, { kind: 'delivered' });
        const got = pays.at(-1)!;
        assert.equal(got.payFor, 'kit-pay');
        assert.equal(got.onpayId, p.number);
        assert.equal(got.paidAmount, '2.84'); // 250.5 / 90.5 = 2.767 → 2.76 + 3 % fee 0.08
        assert.equal(got.balanceAmount, '250.5');
        assert.deepEqual(got.extraParams, { onpay_ap_src: 'kit' });
        // A repeated PAY (the answer was lost) is success again, not an error.
        const again = await (await send()).text();
        assert.deepEqual(apiType === 2 ? judgePayApi2(again, d, 'kit-secret') : judgePayApi1(again, d, 'kit-secret'), { kind: 'delivered' });
        // The shop's storage failing → a temporary error the gateway retries.
        failPay = true;
        const failed = await (await send()).text();
        failPay = false;
        const v = apiType === 2 ? judgePayApi2(failed, d, 'kit-secret') : judgePayApi1(failed, d, 'kit-secret');
        assert.equal(v.kind, 'failed');
        assert.equal('final' in v && v.final, false, 'retried, not given up');
      });
    });
  }
}

describe('kit handler refuses forged and broken requests with protocol answers', () => {
  const handle = createMerchantHandler({ secret: 'k', onCheck: () => true, onPay: () => { throw new Error('must not be called'); } });
  const post = (body: string, type: string) => handle(new Request('http://shop/api', { method: 'POST', headers: { 'content-type': type }, body }));

  test('API 2: a bad signature answers status false, signed, 403', async () => {
    const res = await post(JSON.stringify({ type: 'pay', pay_for: '1', payment: { id: 5, amount: 1.0, way: 'RUR' }, balance: { amount: 1.0, way: 'RUR' }, signature: 'x' }), 'application/json');
    assert.equal(res.status, 403);
    const body = (await res.json()) as any;
    assert.equal(body.status, false);
    assert.equal(body.signature, sha1('pay;false;1;k'));
  });
  test('API 2: garbage answers 400 and never throws', async () => {
    for (const body of ['', 'nope', '[]', '{"type":"pay"}', '{"type":"check","pay_for":"1","amount":"x"}']) {
      const res = await post(body, 'application/json');
      assert.equal(res.status, 400, body);
    }
  });
  test('API 1: bad md5 → code 7; missing fields → code 3', async () => {
    const bad = await (await post('type=pay&pay_for=1&onpay_id=5&order_amount=1.0&order_currency=RUR&paid_amount=1.0&balance_amount=1.0&md5=00', 'application/x-www-form-urlencoded')).text();
    assert.match(bad, /<code>7<\/code>/);
    assert.match(bad, new RegExp(`<md5>${md5u('pay;1;5;1;1.0;RUR;7;k')}</md5>`));
    const missing = await (await post('type=pay&pay_for=1', 'application/x-www-form-urlencoded')).text();
    assert.match(missing, /<code>3<\/code>/);
  });
});

describe('mounting the kit as the README shows', () => {
  test('plain node:http through getRequestListener answers a signed CHECK', async () => {
    const { createServer } = await import('node:http');
    const { getRequestListener } = await import('@hono/node-server');
    const { api2CheckRequest } = await import('../src/protocol/onpay-api.ts');
    const handle = createMerchantHandler({ secret: 'k', onCheck: (c) => c.payFor === '42', onPay: () => {} });
    const server = createServer(getRequestListener(handle));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const req = api2CheckRequest({ payFor: '42', orderAmount: '10.0', orderTicker: 'RUR', mode: 'fix', userEmail: '', userPhone: '', extraParams: {} }, 'k');
      const res = await fetch(`http://127.0.0.1:${port}/onpay/api`, { method: 'POST', headers: { 'content-type': req.contentType }, body: req.body });
      assert.deepEqual(await res.json(), { status: true, pay_for: '42', signature: sha1('check;true;42;k') });
    } finally {
      server.close();
    }
  });
});

describe('kit handler, Standard Webhooks style, against the gateway\'s PAY bytes and signing', () => {
  test('verifies, hands over typed data, refuses tampering and stale timestamps, asks for a retry when the shop fails', async () => {
    const { webhookHeaders } = await import('../src/protocol/webhooks.ts');
    const t = await startTestGateway({ merchants: [merchant({ secret: 'wh-secret', notifications: true, notifyStyle: 'webhooks', apiUrl: 'http://127.0.0.1:9/unused', origins: [] } as never)] });
    try {
      const pays: PayNotification[] = [];
      let failing = false;
      const handle = createMerchantHandler({ secret: 'wh-secret', onCheck: () => true, onPay: (p) => { if (failing) throw new Error('db down'); pays.push(p); } });
      // Notifications on: CHECK goes to the merchant first; answer it through a stub-less path by
      // turning CHECK off for creation and on again for the PAY row.
      const m = (await t.storage.getMerchant('shop'))!;
      await t.storage.upsertMerchant({ ...m, notifications: false }, Date.now());
      const { json: created } = await createPaymentVia(t, 'price=100&pay_for=wh-1&onpay_ap_a=1');
      await t.storage.upsertMerchant({ ...m, notifications: true }, Date.now());
      await t.request(`/api/v1/sandbox/payments/${created.id}/pay`, { method: 'POST' });
      const n = (await t.storage.notificationsOf(created.id))[0]!;
      assert.equal(n.style, 'webhooks');
      const send = (body: string, at = Date.now()) => handle(new Request('http://shop/hook', {
        method: 'POST', headers: { 'content-type': 'application/json', ...webhookHeaders(n.headers, 'wh-secret', at, n.body) }, body,
      }));
      assert.equal((await send(n.body)).status, 204);
      assert.equal(pays.length, 1);
      assert.deepEqual({ ...pays[0], paidAt: '' }, {
        type: 'pay', apiType: 'webhooks', payFor: 'wh-1', onpayId: (await t.storage.getPayment(created.id))!.number,
        orderAmount: '100.0', orderTicker: 'RUR', paidAmount: '102.0', paidTicker: 'RUR', balanceAmount: '100.0', balanceTicker: 'RUR',
        paidAt: '', userEmail: '', userPhone: '', note: '', extraParams: { onpay_ap_a: '1' },
      });
      const tampered = handle(new Request('http://shop/hook', { method: 'POST', headers: webhookHeaders(n.headers, 'wh-secret', Date.now(), n.body), body: n.body.replace('100.0', '1.0') }));
      assert.equal((await tampered).status, 401);
      assert.equal((await send(n.body, Date.now() - 10 * 60_000)).status, 401, 'a replay from 10 minutes ago');
      failing = true;
      assert.equal((await send(n.body)).status, 503);
      assert.equal(pays.length, 1);
    } finally {
      await t.close();
    }
  });
});
