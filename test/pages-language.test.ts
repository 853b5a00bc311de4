/**
 * The gateway's pages follow `ln` as the element does (src/protocol/languages.ts): the hosted page,
 * the HTML snippet and the form payload, and the sandbox card system's page and return page of a
 * payment made from such a link, in every language; an unknown one falls back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPaymentVia, merchant, startTestGateway, type TestGateway } from './helpers.ts';

describe('pages follow ln', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ merchants: [merchant()] });
  });
  after(async () => {
    await t.close();
  });

  const CONTINUE = { ru: 'Продолжить', en: 'Continue', uk: 'Продовжити', kk: 'Жалғастыру', be: 'Працягнуць', uz: 'Davom etish', de: 'Weiter' };

  for (const [ln, cont] of Object.entries(CONTINUE)) {
    test(`the hosted page and the form payload in ${ln}`, async () => {
      const page = await (await t.request(`/pay/shop?price=100&pay_for=ln-${ln}&ln=${ln}`, { headers: { accept: 'text/html' } })).text();
      assert.match(page, new RegExp(`<html lang="${ln}">`));
      assert.match(page, new RegExp(`ln="${ln}"`), 'the element on the page gets the same ln');
      assert.ok(page.includes(cont), `the page says ${cont}`);
      const form = (await (await t.request(`/pay/shop?price=100&pay_for=ln-${ln}&ln=${ln}`, { headers: { accept: 'application/json' } })).json()) as { ln: string };
      assert.equal(form.ln, ln);
      const snippet = await (await t.request(`/pay/shop/snippet?price=100&pay_for=ln-${ln}&ln=${ln}`)).text();
      assert.match(snippet, new RegExp(`ln="${ln}"`));
      assert.ok(snippet.includes(cont), `the snippet says ${cont}`);
    });
  }

  test('an ln it does not speak falls back: ru for the post-Soviet languages, en for the rest; a malformed one is refused', async () => {
    const ln = async (q: string) => ((await (await t.request(`/pay/shop?price=100&pay_for=fb&ln=${q}`, { headers: { accept: 'application/json' } })).json()) as { ln: string }).ln;
    assert.equal(await ln('hy'), 'ru');
    assert.equal(await ln('fr'), 'en');
    assert.equal(await ln('uk-UA'), 'uk');
    const bad = await t.request('/pay/shop?price=100&pay_for=fb&ln=%3Cb%3E', { headers: { accept: 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { field: string } }).error.field, 'ln');
  });

  /** The sandbox card page's title and buttons, and the return page's heading once paid, per language. */
  const CARD = {
    ru: ['Тестовая платёжная система', 'Оплатить', 'Отклонить', 'Платёж получен'],
    en: ['Test payment system', 'Pay', 'Decline', 'Payment received'],
    uk: ['Тестова платіжна система', 'Сплатити', 'Відхилити', 'Платіж отримано'],
    kk: ['Сынақ төлем жүйесі', 'Төлеу', 'Бас тарту', 'Төлем алынды'],
    be: ['Тэставая плацежная сістэма', 'Аплаціць', 'Адхіліць', 'Плацёж атрыманы'],
    uz: ['Sinov toʻlov tizimi', 'Toʻlash', 'Rad etish', 'Toʻlov qabul qilindi'],
    de: ['Test-Zahlungssystem', 'Bezahlen', 'Ablehnen', 'Zahlung eingegangen'],
  } as const;
  /** A card payment made from a link with `ln`: its card page, then (paid) its return page. */
  async function cardPages(ln: string): Promise<{ card: string; ret: string }> {
    const { res, json: created } = await createPaymentVia(t, `price=100&pay_for=card-${encodeURIComponent(ln)}&ln=${encodeURIComponent(ln)}`);
    assert.equal(res.status, 201);
    assert.equal(created.action.type, 'redirect', 'the first way is the sandbox card system');
    const path = new URL(created.action.url as string).pathname;
    assert.equal(path, `/sandbox/card/${created.id}`);
    const page = await t.request(path);
    assert.equal(page.status, 200);
    const card = await page.text();
    const paid = await t.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' });
    assert.equal(paid.status, 303);
    const ret = await (await t.request(paid.headers.get('location')!)).text();
    return { card, ret };
  }

  for (const [ln, [title, pay, decline, received]] of Object.entries(CARD)) {
    test(`the sandbox card page and the return page of a payment made with ln=${ln}`, async () => {
      const { card, ret } = await cardPages(ln);
      assert.match(card, new RegExp(`<html lang="${ln}">`));
      assert.match(card, new RegExp(`<title>${title}</title>`));
      assert.match(card, new RegExp(`<h1>${title}</h1>`));
      assert.match(card, new RegExp(`<button type="submit" name="action" value="pay">${pay}</button>`));
      assert.match(card, new RegExp(`<button type="submit" name="action" value="decline">${decline}</button>`));
      assert.match(ret, new RegExp(`<html lang="${ln}">`));
      assert.match(ret, new RegExp(`data-onpay-result="paid"[^>]*>${received}</h1>`));
    });
  }

  test('the sandbox card page falls back as the hosted page does', async () => {
    const hy = (await cardPages('hy')).card;
    assert.match(hy, /<html lang="ru">/);
    assert.ok(hy.includes(CARD.ru[0]));
    const fr = (await cardPages('fr')).card;
    assert.match(fr, /<html lang="en">/);
    assert.ok(fr.includes(CARD.en[1]));
    const ukUA = (await cardPages('uk-UA')).card;
    assert.match(ukUA, /<html lang="uk">/);
    assert.ok(ukUA.includes(CARD.uk[2]));
  });
});
