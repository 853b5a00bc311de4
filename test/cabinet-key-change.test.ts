/**
 * Every change of a merchant's cabinet key ends the sessions signed in with the old one, whichever
 * path changed it: `npm run merchant -- set` (the real command, as a process), the configuration
 * re-seeding merchants at start, and the cabinet's own rotation. SQLite, and PostgreSQL with
 * TEST_DATABASE_URL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { openTestStorage, storageKinds, TEST_SECRET } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-keychange-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const K = 'shopb-secret-K-0123456789';
const KEY_1 = 'shopb-cabinet-key-one-0123456789';
const KEY_2 = 'shopb-cabinet-key-two-0123456789';
const KEY_3 = 'shopb-cabinet-key-three-0123456789';

/** `npm run merchant -- …` as the operator runs it: its own process on the same database. */
function merchantCommand(args: string[], databaseUrl: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/merchant-admin.ts', ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, ONPAY_SECRET: TEST_SECRET, ONPAY_CONFIG: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const keyFile = (name: string, key: string): string => {
  const path = join(dir, name);
  writeFileSync(path, `${key}\n`);
  return path;
};

for (const kind of storageKinds()) {
  describe(`a replaced cabinet key ends the old sessions (${kind})`, () => {
    /** A gateway on `url` as `npm start` runs it, seeding `shopb` with `apiKey` when given. */
    const start = (url: string, apiKey?: string): Promise<RunningGateway> => startGateway(parseConfig({
      port: 0, host: '127.0.0.1', database: url, secret: TEST_SECRET, merchantCacheMs: 0,
      merchants: apiKey ? [{ login: 'shopb', name: 'Shop B', secret: K, apiKey, checkLinkMd5: false }] : [],
    }), { dispatcher: false, log: () => {} });

    async function signIn(gw: RunningGateway, key: string): Promise<{ cookie: string; csrf: string }> {
      const res = await fetch(`${gw.url}/api/v1/cabinet/session`, {
        method: 'POST', headers: { 'content-type': 'application/json', origin: gw.config.publicUrl, 'sec-fetch-site': 'same-origin' }, body: JSON.stringify({ key }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { csrfToken: string };
      return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrfToken };
    }
    const me = async (gw: RunningGateway, s: { cookie: string }) => (await fetch(`${gw.url}/api/v1/cabinet/me`, { headers: { cookie: s.cookie } })).status;
    const rotateSecret = async (gw: RunningGateway, s: { cookie: string; csrf: string }) => (await fetch(`${gw.url}/api/v1/cabinet/settings/secret`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: gw.config.publicUrl, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: JSON.stringify({ graceHours: 0 }),
    })).status;

    test('npm run merchant -- set --api-key-file: the old cookie gets 401 on /me and cannot rotate K', async () => {
      const fresh = await openTestStorage(kind);
      const url = fresh.url;
      assert.equal((await merchantCommand(['set', '--login', 'shopb', '--name', 'Shop B', '--secret-file', keyFile('k', K), '--api-key-file', keyFile('key1', KEY_1)], url)).code, 0);
      const gw = await start(url);
      try {
        const old = await signIn(gw, KEY_1);
        assert.equal(await me(gw, old), 200);
        // Another field changed, the key kept: the session lives on.
        assert.equal((await merchantCommand(['set', '--login', 'shopb', '--name', 'Shop B renamed'], url)).code, 0);
        assert.equal(await me(gw, old), 200);
        const r = await merchantCommand(['set', '--login', 'shopb', '--api-key-file', keyFile('key2', KEY_2)], url);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await me(gw, old), 401);
        assert.equal(await rotateSecret(gw, old), 401);
        assert.equal((await gw.storage.getMerchant('shopb'))!.secret, K, 'K unchanged');
        // The new key signs in.
        assert.equal(await me(gw, await signIn(gw, KEY_2)), 200);
      } finally {
        await gw.close();
        await fresh.close();
      }
    });

    test('a configuration that seeds another cabinet key at start ends the sessions of the old one; the same key keeps them', async () => {
      const fresh = await openTestStorage(kind);
      const url = fresh.url;
      let gw = await start(url, KEY_1);
      const old = await signIn(gw, KEY_1);
      await gw.close();
      gw = await start(url, KEY_1);
      try {
        assert.equal(await me(gw, old), 200, 'a restart with the same key keeps the session');
      } finally {
        await gw.close();
      }
      gw = await start(url, KEY_3);
      try {
        assert.equal(await me(gw, old), 401);
        assert.equal(await rotateSecret(gw, old), 401);
        assert.equal(await me(gw, await signIn(gw, KEY_3)), 200);
      } finally {
        await gw.close();
        await fresh.close();
      }
    });
  });
}
