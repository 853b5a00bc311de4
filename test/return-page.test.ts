/**
 * The return page never guesses (issue 22): for each provider, a buyer who comes back from an unpaid
 * payment — whatever `result=` says — sees «Проверяем оплату…», a page that looks again by itself
 * (`<meta http-equiv="refresh">`, no script), and never the shop's `url_success`; once the provider
 * reports the payment final, the same address tells the truth. After the last look it says the
 * payment is not confirmed and offers the payment again or the shop, still not `url_success`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cloudPaymentsCase, sandboxCase, startHarness, tbankCase, yookassaCase, type Harness } from './connector-harness.ts';
import { RETURN_CHECK_TIMES } from '../src/server/pages/pages.ts';
import { storageKinds } from './helpers.ts';

for (const [kind, make] of storageKinds().flatMap((k) => [sandboxCase, tbankCase, yookassaCase, cloudPaymentsCase].map((m) => [k, m] as const))) {
  const c = make();
  describe(`the return page: ${c.name} (${kind})`, () => {
    let h: Harness;
    before(async () => { h = await startHarness(c, kind); });
    after(async () => { await h?.close(); });
    let n = 0;

    const urls = `&url_success=${encodeURIComponent('https://shop.example/paid?ok=1')}&url_fail=${encodeURIComponent('https://shop.example/failed?no=1')}`;
    const back = (id: string, query: string) => fetch(`${h.url}/providers/${c.providerId}/return/${id}${query}`, { redirect: 'manual' });

    test('an unpaid payment: «Проверяем оплату…», following the status, never url_success, whatever result= says', async () => {
      const r = await h.create(`ret-${c.name}-${n++}`, undefined, urls);
      assert.equal(r.status, 201, r.text);
      const p = await h.payment(r.body.id as string);
      for (const query of ['?result=success', '?result=fail', '', '?check=3']) {
        const res = await back(p.id, query);
        assert.equal(res.status, 200, query);
        const page = await res.text();
        assert.match(page, /Проверяем оплату…/, query);
        assert.match(page, new RegExp(`<meta http-equiv="refresh" content="\\d+;url=/providers/${c.providerId}/return/${p.id}\\?check=\\d+">`), query);
        assert.doesNotMatch(page, /data-onpay-result/, `${query}: nothing is told to the element yet`);
        assert.ok(p.urlSuccess && !page.includes('shop.example/paid'), `${query}: never the success URL`);
        assert.doesNotMatch(page, /<script/, 'no script: works under the CSP and without JavaScript');
      }
      assert.equal((await h.payment(p.id)).status, 'awaiting_payment', 'a return changes nothing by itself');

      // The last look: not confirmed, the payment again or the shop; still not url_success.
      const last = await (await back(p.id, `?check=${RETURN_CHECK_TIMES}`)).text();
      assert.match(last, /Оплата пока не подтверждена/);
      assert.match(last, /Вернуться к оплате/);
      assert.doesNotMatch(last, /http-equiv="refresh"/);
      assert.ok(!last.includes('shop.example/paid'));
      assert.ok(p.urlFail && last.includes(p.urlFail.replace(/&/g, '&amp;')), 'the shop\'s fail URL is offered');

      // Paid at the provider (its notification may come or not): the next look tells the truth.
      c.dropNotifications?.(true);
      try {
        await c.pay(h, p);
        await c.idle();
      } finally {
        c.dropNotifications?.(false);
      }
      const now = await (await back(p.id, '?check=1')).text();
      assert.match(now, /data-onpay-result="paid"/);
      assert.ok(now.includes('data-next="https://shop.example/paid?ok=1"'), 'now, and only now, the success URL');
      assert.equal((await h.payment(p.id)).status, 'paid');
    });

    test('a bad check= is a 400 naming the field, and changes nothing', async () => {
      const r = await h.create(`ret-bad-${c.name}-${n++}`);
      const res = await back(r.body.id as string, '?check=abc');
      assert.equal(res.status, 400);
      assert.match(await res.text(), /check/);
      assert.equal((await h.payment(r.body.id as string)).status, 'awaiting_payment');
    });
  });
}

describe('the hosted pages explain a failure without JavaScript', () => {
  let h: Harness;
  const c = sandboxCase();
  before(async () => { h = await startHarness(c); });
  after(async () => { await h?.close(); });

  test('the status page says why and offers another method; /payments/{id}/retry is the plain form again for the same order', async () => {
    const r = await h.create('retry-1', undefined, `&url_fail=${encodeURIComponent('https://shop.example/failed')}&ln=en`);
    assert.equal(r.status, 201, r.text);
    const id = r.body.id as string;
    assert.equal((await fetch(`${h.url}/payments/${id}/retry`)).status, 409, 'a waiting payment is not tried again');
    const declined = await fetch(`${h.url}/api/v1/sandbox/payments/${id}/decline`, { method: 'POST' });
    assert.equal(declined.status, 200);
    const status = await (await fetch(`${h.url}/payments/${id}`)).text();
    assert.match(status, /data-reason="declined"/);
    assert.match(status, /The bank declined the payment/);
    assert.match(status, new RegExp(`href="/payments/${id}/retry"`));
    assert.match(status, /href="https:\/\/shop.example\/failed"/);
    const retry = await fetch(`${h.url}/payments/${id}/retry`);
    assert.equal(retry.status, 200);
    const form = await retry.text();
    assert.match(form, /<form class="onpay-form" method="post" action="\/pay\/shop\/continue">/);
    assert.match(form, /retry-1/, 'the same order');
    assert.match(form, /₽150\.00/, 'the same price, as Intl writes it');
    assert.doesNotMatch(form, /<script/, 'no JavaScript needed');
    const token = /name="token" value="([^"]+)"/.exec(form)![1]!;
    // The fresh token pays the same order: a new payment with a new key.
    const again = await fetch(`${h.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: c.way }) });
    assert.equal(again.status, 201);
    const second = (await again.json()) as { id: string; payFor: string; amount: string };
    assert.notEqual(second.id, id);
    assert.equal(second.payFor, 'retry-1');
    assert.equal((await fetch(`${h.url}/payments/pay_nonexistent_000000/retry`)).status, 404);
  });
});
