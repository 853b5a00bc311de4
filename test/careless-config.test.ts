/**
 * Careless settings are refused or said, by every path that sets them (issue #30, items 6 and 13):
 * origins only http(s) (configuration, `npm run merchant`, cabinet settings); a new K of at least 16
 * characters through `npm run merchant` unless `--allow-short-secret`, and every merchant with a
 * shorter K warned at start by login, never by key; a trust-everything `trustProxy` refused; stored
 * URLs that parse; keys of a way's title that are not supported languages named.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runMerchantAdmin } from '../src/cli/merchant-admin.ts';
import { parseConfig } from '../src/server/config.ts';
import { openDatabase } from '../src/server/storage/db.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import { merchant, startTestGateway, storageKinds, TEST_SECRET } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-careless-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base = { secret: TEST_SECRET, merchants: [merchant()] };

describe('the configuration refuses careless entries, naming the key', () => {
  test('a trustProxy range covering every address is refused; real proxies pass', () => {
    for (const entry of ['0.0.0.0/0', '::/0', '0.0.0.0/00', '::ffff:0:0/0']) {
      assert.throws(() => parseConfig({ ...base, trustProxy: ['10.0.0.1', entry] }), /trustProxy\.1: a range of every address/, entry);
    }
    assert.deepEqual(parseConfig({ ...base, trustProxy: ['10.0.0.0/8', '::1', '192.168.0.0/16'] }).trustProxy, ['10.0.0.0/8', '::1', '192.168.0.0/16']);
  });

  test('an unknown key in a way\'s title is named, not dropped', () => {
    // Any supported language is a key (issue 28); a language the gateway does not speak is named.
    const way = { code: 'CRD', system: 'card', ticker: 'RUR', feeBps: 0, title: { ru: 'Карта', en: 'Card', fr: 'Carte' } };
    assert.throws(() => parseConfig({ ...base, ways: [way] }), /ways\.0\.title: .*"fr"/);
    assert.throws(() => parseConfig({ ...base, ways: [{ ...way, title: {} }] }), /ways\.0\.title: a title in at least one language/);
    const kk = parseConfig({ ...base, ways: [{ ...way, title: { kk: 'Карта (kk)', de: 'Karte' } }] });
    assert.deepEqual(kk.ways[0]!.title, { kk: 'Карта (kk)', de: 'Karte' });
  });

  test('merchant origins and API URLs must be http(s) URLs that parse', () => {
    for (const origin of ['javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'null', 'ftp://shop.example']) {
      assert.throws(() => parseConfig({ ...base, merchants: [merchant({ origins: [origin] })] }), /merchants\.0\.origins\.0: an http\(s\) origin/, origin);
    }
    assert.throws(() => parseConfig({ ...base, merchants: [merchant({ apiUrl: 'javascript:alert(1)' })] }), /merchants\.0\.apiUrl: an http\(s\) URL/);
    assert.deepEqual(parseConfig({ ...base, merchants: [merchant({ origins: ['https://shop.example', 'http://localhost:8081'] })] }).merchants[0]!.origins, ['https://shop.example', 'http://localhost:8081']);
  });
});

describe('npm run merchant', () => {
  const env = { DATABASE_URL: `sqlite:${join(dir, 'm.sqlite')}`, ONPAY_SECRET: 'x'.repeat(32) };
  const out = () => {};
  const stored = async (login: string) => {
    const db = await openDatabase(env.DATABASE_URL);
    try {
      return await createStorage(db.db, db.dialect).getMerchant(login);
    } finally {
      await db.close();
    }
  };

  test('refuses a K under 16 characters unless --allow-short-secret, and warns about the one it keeps', async () => {
    const file = join(dir, 'short');
    writeFileSync(file, 'abcd\n');
    await assert.rejects(runMerchantAdmin(['set', '--login', 'shortk', '--name', 'S', '--secret-file', file], env, out), /secret: at least 16 characters/);
    assert.equal(await stored('shortk'), undefined, 'nothing added');
    const warnings: string[] = [];
    assert.equal(await runMerchantAdmin(['set', '--login', 'shortk', '--name', 'S', '--secret-file', file, '--allow-short-secret'], env, out, { warn: (s) => warnings.push(s) }), 0);
    assert.equal((await stored('shortk'))!.secret, 'abcd');
    assert.match(warnings.join('\n'), /shortk: the key K is shorter than 16 characters/);
    assert.ok(!warnings.join('\n').includes('abcd'), 'never the key');
    // Other changes to a merchant that keeps its short K need no flag.
    assert.equal(await runMerchantAdmin(['set', '--login', 'shortk', '--name', 'S2'], env, out, { warn: () => {} }), 0);
    // Replacing it with another short one does.
    await assert.rejects(runMerchantAdmin(['set', '--login', 'shortk', '--secret-file', file], env, out), /secret: at least 16/);
  });

  test('--origins takes only http(s) origins; a refused one changes nothing and later changes still work', async () => {
    const k = join(dir, 'k');
    writeFileSync(k, 'origins-K-0123456789');
    assert.equal(await runMerchantAdmin(['set', '--login', 'orig', '--name', 'O', '--secret-file', k, '--origins', 'https://shop.example'], env, out), 0);
    for (const bad of ['javascript:alert(1)', 'https://shop.example,data:text/html,x', 'null']) {
      await assert.rejects(runMerchantAdmin(['set', '--login', 'orig', '--origins', bad], env, out), /origins\.\d: an http\(s\) origin/, bad);
    }
    assert.deepEqual((await stored('orig'))!.origins, ['https://shop.example']);
    assert.equal(await runMerchantAdmin(['set', '--login', 'orig', '--name', 'O2'], env, out), 0);
  });

  test('the gateway warns at every start about each merchant with a short K, by login, never the key', async () => {
    const config = join(dir, 'gw.json');
    writeFileSync(config, JSON.stringify({
      port: 0, host: '127.0.0.1', database: env.DATABASE_URL, secret: 's'.repeat(32),
      merchants: [{ login: 'fromfile', name: 'F', secret: 'wxyz', checkLinkMd5: true }],
    }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/gateway.ts', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Started (the banner) and both short keys warned about; or the process ended first.
    const ready = new Promise<void>((resolve) => {
      const check = () => {
        if (/gateway on http/.test(stdout) && /fromfile: the key K/.test(stderr) && /shortk: the key K/.test(stderr)) resolve();
      };
      child.stdout.on('data', (d) => { stdout += d; check(); });
      child.stderr.on('data', (d) => { stderr += d; check(); });
      child.on('close', () => resolve());
      // A regression must fail the assertions below, not hang the run: stop waiting after 60 s.
      setTimeout(resolve, 60_000).unref();
    });
    await ready;
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    assert.match(stderr, /merchant fromfile: the key K is shorter than 16 characters/);
    assert.match(stderr, /merchant shortk: the key K is shorter than 16 characters/);
    assert.doesNotMatch(stderr, /merchant orig: the key K/);
    assert.ok(!stderr.includes('wxyz') && !stderr.includes('abcd'), 'never the key');
  });
});

for (const kind of storageKinds()) {
  describe(`cabinet settings store only URLs that parse and http(s) origins (${kind})`, () => {
    test('apiUrl that does not parse, and non-http(s) origins, get a 400 naming the field and change nothing', async () => {
      const t = await startTestGateway({ kind });
      try {
        const before = await t.storage.getMerchant('shop');
        const patch = (body: unknown) => t.request('/api/v1/cabinet/settings', {
          method: 'PATCH', headers: { authorization: 'Bearer shop-cabinet-key-0123456789', 'content-type': 'application/json' }, body: JSON.stringify(body),
        });
        for (const [body, field] of [
          [{ apiUrl: 'http://[' }, 'apiUrl'], [{ apiUrl: 'https://a b.example/' }, 'apiUrl'], [{ apiUrl: 'http://exa%mple.com/' }, 'apiUrl'],
          [{ origins: ['javascript:alert(1)'] }, 'origins.0'], [{ origins: ['https://ok.example', 'null'] }, 'origins.1'],
        ] as const) {
          const res = await patch(body);
          assert.equal(res.status, 400, JSON.stringify(body));
          assert.equal(((await res.json()) as { error: { field: string } }).error.field, field);
        }
        assert.deepEqual(await t.storage.getMerchant('shop'), before);
        assert.equal((await patch({ apiUrl: 'https://shop.example/onpay' })).status, 200);
      } finally {
        await t.close();
      }
    });
  });
}
