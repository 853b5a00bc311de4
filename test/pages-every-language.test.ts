/**
 * Every buyer-facing server page in every language (issue 28, item 1): the pages' tables (the
 * customer's subscription page's `sub…` keys of issue 26 included) have every key Russian has; and
 * the hosted page (its no-JavaScript form), the snippet, an instructions payment's status page, the
 * sandbox card page and the return page say nothing in Cyrillic where the language is not written
 * in it (en, uz, de), and nothing in Latin letters in Russian but the few names that are Latin there
 * too. Amounts are written by Intl (item 2), the fee is said (item 3).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAILURE_TEXT, PAGE_STRINGS } from '../src/server/pages/page-strings.ts';
import { INSTRUCTION_WORDS } from '../src/protocol/instruction-words.ts';
import { LANGUAGES } from '../src/protocol/languages.ts';
import { createPaymentVia, merchant, startTestGateway, type TestGateway } from './helpers.ts';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)/g)].map((m) => m[1]!).sort();

describe('the pages\' message tables', () => {
  const tables = { PAGE_STRINGS, FAILURE_TEXT, INSTRUCTION_WORDS } as Record<string, Record<string, Record<string, string>>>;
  for (const [name, table] of Object.entries(tables)) {
    test(`${name}: every supported language has every key Russian has, none empty, the same placeholders`, () => {
      const ru = table.ru!;
      for (const ln of LANGUAGES) {
        const t = table[ln];
        assert.ok(t, `${name}.${ln} is missing`);
        assert.deepEqual(Object.keys(t).sort(), Object.keys(ru).sort(), `${name}.${ln}`);
        for (const [k, v] of Object.entries(t)) {
          assert.ok(v.trim(), `${name}.${ln}.${k} is empty`);
          assert.deepEqual(placeholders(v), placeholders(ru[k]!), `${name}.${ln}.${k}`);
        }
      }
    });
  }

  test('a language other than Russian does not copy Russian\'s or English\'s words (a real translation)', () => {
    for (const ln of ['uk', 'kk', 'be', 'uz', 'de'] as const) {
      const same = Object.entries(PAGE_STRINGS[ln]).filter(([k, v]) => v === (PAGE_STRINGS.en as Record<string, string>)[k]);
      assert.deepEqual(same, [], `${ln} copies English`);
    }
  });
});

/** What a buyer reads of a page: its text, without markup, the element's JSON payload and the values the shop or the bank gave. */
function readable(page: string): string {
  return page
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<code>[\s\S]*?<\/code>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ')
    .replace(/Test shop|pl-\w+-\d+/g, ' ');
}

const CYRILLIC = /[\u0400-\u04ff]+/g;
/** Latin words a Russian page may carry: the e-mail, currency codes, time zone, the 3-D Secure name. */
const LATIN_OK = new Set(['E', 'mail', 'UTC', 'RUR', 'USD', 'EUR', 'TST', 'D', 'Secure', 'QR']);

describe('buyer pages in every language', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ merchants: [merchant()] });
  });
  after(async () => {
    await t.close();
  });

  /** Every page a buyer of a link in `ln` can see, with what its sandbox payments show. */
  async function pages(ln: string): Promise<Record<string, string>> {
    const html = { headers: { accept: 'text/html' } };
    const q = (n: number) => `price=450&pay_for=pl-${ln}-${n}&ln=${ln}`;
    const hosted = await (await t.request(`/pay/shop?${q(1)}`, html)).text();
    const snippet = await (await t.request(`/pay/shop/snippet?${q(1)}`)).text();
    // A bank transfer (instructions): its status page.
    const bank = await createPaymentVia(t, q(2), { way: 'RUR' });
    assert.equal(bank.res.status, 201);
    const status = await (await t.request(`/payments/${bank.json.id as string}`, html)).text();
    // A card payment: the sandbox card page, then paid, the return page.
    const card = await createPaymentVia(t, q(3), { way: 'CRD' });
    const cardPath = new URL(card.json.action.url as string).pathname;
    const cardPage = await (await t.request(cardPath, html)).text();
    const paid = await t.request(cardPath, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' });
    const back = paid.headers.get('location');
    assert.ok(back, `the card page returns the buyer (${paid.status})`);
    const at = new URL(back, 'http://gateway.test');
    const ret = await (await t.request(at.pathname + at.search, html)).text();
    return { hosted, snippet, status, cardPage, ret };
  }

  for (const ln of LANGUAGES) {
    test(`${ln}: no words of another script, money by Intl, the fee said`, async () => {
      const all = await pages(ln);
      for (const [name, page] of Object.entries(all)) {
        const text = readable(page);
        if (ln === 'en' || ln === 'de' || ln === 'uz') {
          assert.deepEqual(text.match(CYRILLIC) ?? [], [], `${ln} ${name}: Cyrillic left in «${text.replace(/\s+/g, ' ').trim()}»`);
        }
        if (ln === 'ru') {
          const latin = (text.match(/[A-Za-z]+/g) ?? []).filter((w) => !LATIN_OK.has(w));
          assert.deepEqual(latin, [], `ru ${name}: Latin left in «${text.replace(/\s+/g, ' ').trim()}»`);
        }
        assert.doesNotMatch(text, /\d\.\d RUR|\d RUR\b/, `${ln} ${name}: an amount written as the wire's text`);
      }
      const hosted = readable(all.hosted!).replace(/\s+/g, ' ');
      const fee = PAGE_STRINGS[ln].fee.split('{fee}')[0]!.replace(/:$/, '').trim();
      assert.ok(hosted.includes(fee), `${ln}: the card way's fee is said («${fee}» in «${hosted}»)`);
    });
  }

  test('ru: «К оплате» amounts and the fee as Intl writes them', async () => {
    const hosted = readable(await (await t.request('/pay/shop?price=450&pay_for=pl-ru-9&ln=ru', { headers: { accept: 'text/html' } })).text()).replace(/[\s\u00a0\u202f]+/g, ' ');
    assert.ok(hosted.includes('450,00 ₽'), hosted);
    // The card way: a 2 % fee on 450,00 ₽.
    assert.ok(hosted.includes('459,00 ₽ Включая комиссию 9,00 ₽'), hosted);
  });
});
