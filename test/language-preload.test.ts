/**
 * A buyer in a language other than Russian gets the element's language chunk preloaded beside its
 * module, where the page carries the payload (issue #29): the hosted page and the snippet. Without
 * the preload the element asks for the chunk only once its module has run, one round trip later.
 * Russian is in the module itself: nothing more is preloaded for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { languageChunk } from '../src/server/pages/pages.ts';
import { merchant, startTestGateway, type TestGateway } from './helpers.ts';

/** The `href`s of the page's `<link rel="modulepreload">` elements. */
const modulePreloads = (page: string): string[] =>
  [...page.matchAll(/<link rel="modulepreload" href="([^"]+)"( crossorigin)?>/g)].map((m) => m[1]! + (m[2] ?? ''));

/** The element's module the page loads. */
const moduleScript = (page: string): string => /<script type="module" src="([^"]+)"><\/script>/.exec(page)![1]!;

describe('the language chunk preloaded with the payload', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ merchants: [merchant()] });
  });
  after(async () => {
    await t.close();
  });

  test('the chunk sits beside the module, by the name the build gives it (vite.config.ts)', () => {
    assert.equal(languageChunk('/cdn/onpay-checkout.3f9a01.js', 'kk'), '/cdn/onpay-checkout.kk.js');
    assert.equal(languageChunk('/cdn/onpay-checkout.js', 'de'), '/cdn/onpay-checkout.de.js');
    assert.equal(languageChunk('/cdn/onpay-checkout.js', 'ru'), null);
  });

  for (const ln of ['en', 'uk', 'kk', 'be', 'uz', 'de'] as const) {
    test(`the hosted page and the snippet in ${ln} preload onpay-checkout.${ln}.js`, async () => {
      const page = await (await t.request(`/pay/shop?price=100&pay_for=pre-${ln}&ln=${ln}`, { headers: { accept: 'text/html' } })).text();
      const script = moduleScript(page);
      assert.deepEqual(modulePreloads(page), [`${script.slice(0, script.lastIndexOf('/') + 1)}onpay-checkout.${ln}.js`]);
      const snippet = await (await t.request(`/pay/shop/snippet?price=100&pay_for=pre-${ln}&ln=${ln}`)).text();
      const snippetScript = moduleScript(snippet);
      // Cross-origin on the shop's page: fetched in CORS mode, as the module's own import() is.
      assert.deepEqual(modulePreloads(snippet), [`${snippetScript.slice(0, snippetScript.lastIndexOf('/') + 1)}onpay-checkout.${ln}.js crossorigin`]);
    });
  }

  test('in Russian, nothing beside the module', async () => {
    const page = await (await t.request('/pay/shop?price=100&pay_for=pre-ru&ln=ru', { headers: { accept: 'text/html' } })).text();
    assert.deepEqual(modulePreloads(page), []);
    const snippet = await (await t.request('/pay/shop/snippet?price=100&pay_for=pre-ru')).text();
    assert.deepEqual(modulePreloads(snippet), []);
  });
});
