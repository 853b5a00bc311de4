/**
 * The cabinet in every language (issue 28): each language's table has exactly the keys Russian has,
 * with the same `{marks}`; the Cyrillic languages carry no English left over; the page is served in
 * each language, with the switch, remembered in a cookie. Also the pure helpers the page relies on:
 * status reasons as codes (a partial refund reads as one) and way titles and provider dashboards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LANGUAGES } from '../src/protocol/languages.ts';
import { describeReason } from '../src/server/cabinet/reason.ts';
import { cabinetWays, providerDashboard } from '../src/server/cabinet/ways.ts';
import { CABINET_MESSAGES } from '../src/server/pages/cabinet-strings/index.ts';
import { latinLeftovers } from './latin-leftovers.ts';
import { merchant, startTestGateway, type TestGateway } from './helpers.ts';

type Table = { [key: string]: string | Table };

/** Every leaf as `path → text`. */
function leaves(t: Table, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(path, v);
    else for (const [p, s] of leaves(v, path)) out.set(p, s);
  }
  return out;
}

const marks = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
const ru = leaves(CABINET_MESSAGES.ru as unknown as Table);
/** Keys that are empty on purpose (a reason with nothing to say) or the same in every language (a dash). */
const MAY_BE_EMPTY = new Set(['script.reasons.none']);

describe('the cabinet\'s message table', () => {
  for (const ln of LANGUAGES) {
    test(`${ln} has every key Russian has, no other, none empty, with the same {marks}`, () => {
      const t = leaves(CABINET_MESSAGES[ln] as unknown as Table);
      const missing = [...ru.keys()].filter((k) => !t.has(k));
      const extra = [...t.keys()].filter((k) => !ru.has(k));
      assert.deepEqual(missing, [], `${ln} lacks keys Russian has`);
      assert.deepEqual(extra, [], `${ln} has keys Russian has not`);
      for (const [k, v] of t) {
        if (!MAY_BE_EMPTY.has(k)) assert.ok(v.trim().length > 0, `${ln} ${k} is empty`);
        assert.deepEqual(marks(v), marks(ru.get(k)!), `${ln} ${k}: its {marks} differ from Russian's`);
      }
    });
  }

  test('a table missing a key fails the check (the check can fail)', () => {
    const broken = structuredClone(CABINET_MESSAGES.kk) as unknown as { script: { reasons: Record<string, string> } };
    delete broken.script.reasons.partial_refund;
    const t = leaves(broken as unknown as Table);
    assert.deepEqual([...ru.keys()].filter((k) => !t.has(k)), ['script.reasons.partial_refund']);
  });

  for (const ln of ['ru', 'uk', 'kk', 'be'] as const) {
    test(`${ln}: no English left over (only the protocol's own names)`, () => {
      for (const [k, v] of leaves(CABINET_MESSAGES[ln] as unknown as Table)) assert.deepEqual(latinLeftovers(v.replace(/\{\w+\}/g, '')), [], `${ln} ${k}: ${v}`);
    });
  }

  test('the other languages are translated, not English copied', () => {
    const en = leaves(CABINET_MESSAGES.en as unknown as Table);
    for (const ln of ['uk', 'kk', 'be', 'uz', 'de'] as const) {
      const t = leaves(CABINET_MESSAGES[ln] as unknown as Table);
      // Templates of marks and punctuation alone (`{amount} — {actor}: {reason}`) are the same everywhere.
      const same = [...t].filter(([k, v]) => v === en.get(k) && v.replace(/\{\w+\}/g, '').replace(/[^\p{L}]/gu, '').length > 8);
      assert.deepEqual(same.map(([k]) => k), [], `${ln} copies English`);
    }
  });
});

describe('the cabinet page in every language', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ merchants: [merchant({ login: 'shop', apiKey: 'strings-cabinet-key-0123456789' })] });
  });
  after(async () => {
    await t?.close();
  });

  for (const ln of LANGUAGES) {
    test(`/cabinet?ln=${ln} is in ${ln}, remembers it, and offers every language`, async () => {
      const res = await t.request(`/cabinet?ln=${ln}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('set-cookie') ?? '', new RegExp(`^onpay_cabinet_ln=${ln}; Path=/cabinet; Max-Age=\\d+; SameSite=Lax$`));
      const html = await res.text();
      assert.match(html, new RegExp(`<html lang="${ln}">`));
      assert.ok(html.includes(`<title>${CABINET_MESSAGES[ln].page.title}</title>`));
      for (const l of LANGUAGES) assert.match(html, new RegExp(`<a href="\\?ln=${l}" lang="${l}" hreflang="${l}"`));
      assert.match(html, new RegExp(`hreflang="${ln}" aria-current="true"`));
      // The way filter is a list of names, not a code box.
      assert.match(html, /<select id="f-way" name="way">/);
      assert.ok(!html.includes('id="f-way" name="way" maxlength'));
    });
  }

  test('the remembered language is used without ?ln; an unknown one falls back by the gateway\'s rule', async () => {
    assert.match(await (await t.request('/cabinet', { headers: { cookie: 'onpay_cabinet_ln=kk' } })).text(), /<html lang="kk">/);
    assert.match(await (await t.request('/cabinet')).text(), /<html lang="ru">/);
    assert.match(await (await t.request('/cabinet?ln=hy')).text(), /<html lang="ru">/);
    assert.match(await (await t.request('/cabinet?ln=fr')).text(), /<html lang="en">/);
  });

  test('the Russian shell has no English left over', async () => {
    const html = await (await t.request('/cabinet?ln=ru')).text();
    // The text a person reads: no tags, no attribute values but labels, no other languages' own names.
    const visible = html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<a [^>]*lang="(?!ru)[^"]*"[^>]*>[^<]*<\/a>/g, '').replace(/<option [^>]*lang="(?!ru)[^"]*"[^>]*>[^<]*<\/option>/g, '')
      .replace(/<[^>]+>/g, ' ').replace(/&lt;onpay-checkout&gt;/g, '');
    assert.deepEqual(latinLeftovers(visible), []);
  });

  test('the page\'s formatter is the protocol\'s own, served as JavaScript', async () => {
    const res = await t.request('/assets/locale-format.js');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const js = await res.text();
    assert.match(js, /function formatMoney\(amount, ticker, \w+\)/);
    const mod = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`) as typeof import('../src/protocol/locale-format.ts');
    assert.equal(mod.formatMoney('1224.5', 'RUR', 'ru').replace(/\s/g, ' '), '1 224,50 ₽');
  });
});

describe('status reasons and ways as the page says them', () => {
  test('reasons become codes with their detail; a partial refund reads as one', () => {
    const table: [Parameters<typeof describeReason>, ReturnType<typeof describeReason>][] = [
      [['paid', ''], { code: 'none', detail: '' }],
      [['failed', 'declined by the payment system (REJECTED)'], { code: 'declined_by_provider', detail: 'REJECTED' }],
      [['expired', 'expired at the payment system (EXPIRED)'], { code: 'expired_at_provider', detail: 'EXPIRED' }],
      [['partially_refunded', 'refunded: damaged box'], { code: 'partial_refund', detail: 'damaged box' }],
      [['refunded', 'refunded: damaged box'], { code: 'refund', detail: 'damaged box' }],
      [['failed', 'abandoned: the buyer chose another method; cancelled at tbank'], { code: 'abandoned', detail: '' }],
      [['rejected', 'check_declined: нет на складе'], { code: 'check_declined', detail: 'нет на складе' }],
      [['rejected', 'check_failed: timeout'], { code: 'check_failed', detail: 'timeout' }],
      [['paid', 'duplicate: order 42 was paid by pay_abcDEF0123456789'], { code: 'duplicate', detail: 'pay_abcDEF0123456789' }],
      [['paid', 'оплачено наличными в кассе'], { code: 'other', detail: 'оплачено наличными в кассе' }],
    ];
    for (const [args, want] of table) assert.deepEqual(describeReason(...args), want, args.join(' / '));
  });

  test('way titles in the page\'s language, by the gateway\'s fallback rule', () => {
    const ways = [{ code: 'CRD', title: { ru: 'Карта', en: 'Card' }, system: 'card' }] as never;
    assert.deepEqual(cabinetWays({ ways }, 'kk'), [{ code: 'CRD', title: 'Карта', provider: 'sandbox' }]);
    assert.deepEqual(cabinetWays({ ways }, 'de'), [{ code: 'CRD', title: 'Card', provider: 'sandbox' }]);
    const withKk = [{ code: 'CRD', title: { ru: 'Карта', en: 'Card', kk: 'Карта (қаз.)' }, system: 'card' }] as never;
    assert.equal(cabinetWays({ ways: withKk }, 'kk')[0]!.title, 'Карта (қаз.)');
  });

  test('a provider dashboard only for a real provider host, never for the sandbox or an emulator', () => {
    const providers = [
      { id: 'cp', type: 'cloudpayments', apiUrl: 'https://api.cloudpayments.ru' },
      { id: 'yk', type: 'yookassa', apiUrl: 'https://api.yookassa.ru/v3' },
      { id: 'tb', type: 'tbank', apiUrl: 'https://securepay.tinkoff.ru/v2' },
      { id: 'emu', type: 'tbank', apiUrl: 'http://127.0.0.1:4010/v2' },
    ];
    assert.equal(providerDashboard({ providers }, 'cp'), 'https://merchant.cloudpayments.ru/');
    assert.equal(providerDashboard({ providers }, 'yk'), 'https://yookassa.ru/my/payments');
    assert.equal(providerDashboard({ providers }, 'tb'), 'https://business.tbank.ru/');
    assert.equal(providerDashboard({ providers }, 'emu'), null);
    assert.equal(providerDashboard({ providers }, 'sandbox'), null);
    assert.equal(providerDashboard({ providers }, null), null);
  });
});
