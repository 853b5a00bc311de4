/**
 * Issue 28 item 1, the merchant's own texts: `name` as one string or `{"ru": …, "kk": …}`, kept by
 * both databases, set by `npm run merchant -- set`, refused by name when a language is not ours,
 * and shown to the buyer (form payload, hosted page) in the buyer's language by `wayTitle`'s rule.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runMerchantAdmin } from '../src/cli/merchant-admin.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { ConfigError, parseConfig } from '../src/server/config.ts';
import { merchantText } from '../src/protocol/languages.ts';
import { merchant, openTestStorage, startTestGateway, storageKinds, TEST_SECRET } from './helpers.ts';

const NAME = { ru: 'Чайная лавка', kk: 'Шай дүкені', en: 'Tea shop' };

test('merchantText: a string as is; per language by the way titles\' rule', () => {
  assert.equal(merchantText('Лавка', 'de'), 'Лавка');
  assert.equal(merchantText(NAME, 'kk'), 'Шай дүкені');
  assert.equal(merchantText(NAME, 'uz'), 'Чайная лавка', 'uz reads Russian first');
  assert.equal(merchantText(NAME, 'de'), 'Tea shop', 'de reads English first');
  assert.equal(merchantText({ kk: 'Шай дүкені' }, 'en'), 'Шай дүкені', 'any text given, last');
});

test('configuration: a language we do not speak is refused naming the key; an empty object too', () => {
  const parse = (name: unknown) => parseConfig({ secret: TEST_SECRET, publicUrl: 'http://gateway.test', merchants: [merchant({ name: name as string })] });
  assert.throws(() => parse({ ru: 'Лавка', fr: 'Boutique' }), (e: unknown) => e instanceof ConfigError && /merchants\.0\.name/.test(e.message) && /fr/.test(e.message));
  assert.throws(() => parse({}), (e: unknown) => e instanceof ConfigError && /merchants\.0\.name/.test(e.message));
  assert.deepEqual(parse(NAME).merchants[0]!.name, NAME);
});

for (const kind of storageKinds()) {
  test(`${kind}: the name kept as given, string or per language; an old plain name starting with "{" stays a string`, async () => {
    const ts = await openTestStorage(kind);
    try {
      const base = merchantFromConfig(parseConfig({ secret: TEST_SECRET, publicUrl: 'http://gateway.test', merchants: [merchant()] }).merchants[0]!);
      await ts.storage.upsertMerchant({ ...base, name: NAME }, 1);
      assert.deepEqual((await ts.storage.getMerchant('shop'))!.name, NAME);
      await ts.storage.upsertMerchant({ ...base, name: '{Лавка} у дома' }, 2);
      assert.equal((await ts.storage.getMerchant('shop'))!.name, '{Лавка} у дома');
      await ts.storage.upsertMerchant({ ...base, name: '{"fr":"Boutique"}' }, 3);
      assert.equal((await ts.storage.getMerchant('shop'))!.name, '{"fr":"Boutique"}', 'not our languages: the plain string');
    } finally {
      await ts.close();
    }
  });
}

describe('npm run merchant -- set --name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-merchant-texts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'm.sqlite')}`, ONPAY_SECRET: 'x'.repeat(32) };
  const lines: string[] = [];
  const out = (s: string) => lines.push(s);
  const set = (...args: string[]) => runMerchantAdmin(['set', '--login', 'tea', ...args], env, out, { warn: () => {} });
  const shown = async () => {
    lines.splice(0);
    await runMerchantAdmin(['show', '--login', 'tea'], env, out);
    return (JSON.parse(lines.splice(0).join('\n')) as { name: unknown }).name;
  };

  test('per language as JSON, kept on a later change, refused by name when bad, back to one string', async () => {
    assert.equal(await set('--name', JSON.stringify(NAME), '--secret', 'tea-secret-0123456789'), 0);
    assert.deepEqual(await shown(), NAME);
    assert.equal(await set('--notifications', 'off'), 0);
    assert.deepEqual(await shown(), NAME, 'kept');
    await assert.rejects(set('--name', '{"ru": "Лавка", "fr": "Boutique"}'), (e: unknown) => e instanceof ConfigError && /name/.test(e.message) && /fr/.test(e.message));
    await assert.rejects(set('--name', '{"ru": '), (e: unknown) => e instanceof ConfigError && /name/.test(e.message) && /JSON/.test(e.message));
    assert.deepEqual(await shown(), NAME, 'nothing changed');
    assert.equal(await set('--name', 'Лавка'), 0);
    assert.equal(await shown(), 'Лавка');
  });
});

test('the buyer sees the name in the buyer\'s language: form payload and hosted page', async () => {
  const t = await startTestGateway({ merchants: [merchant({ name: NAME as never })] });
  try {
    const name = async (ln: string) => {
      const res = await t.request(`/pay/shop?price=100&pay_for=1&ln=${ln}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { merchant: { name: string } }).merchant.name;
    };
    assert.equal(await name('kk'), 'Шай дүкені');
    assert.equal(await name('en'), 'Tea shop');
    assert.equal(await name('uz'), 'Чайная лавка');
    const page = await (await t.request('/pay/shop?price=100&pay_for=1&ln=kk', { headers: { accept: 'text/html' } })).text();
    assert.match(page, /Шай дүкені/);
    assert.doesNotMatch(page, /\[object Object\]|Чайная лавка/);
    const cabinetModule = await t.request('/assets/languages.js');
    assert.equal(cabinetModule.status, 200, 'the cabinet page names the shop by the same rule');
    const source = await cabinetModule.text();
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as typeof import('../src/protocol/languages.ts');
    assert.equal(mod.merchantText(NAME, 'be'), 'Чайная лавка');
  } finally {
    await t.close();
  }
});
