/**
 * The gateway's pages follow `ln` as the element does (src/protocol/languages.ts): the hosted page,
 * the HTML snippet and the form payload, in every language; an unknown one falls back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { merchant, startTestGateway, type TestGateway } from './helpers.ts';

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
});
