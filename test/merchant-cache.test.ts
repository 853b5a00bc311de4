/**
 * The merchant cache over a real SQLite file: reads within the TTL make no query, changes through the
 * cached storage show at once, changes made elsewhere (another process's storage on the same file)
 * show once the TTL has passed, and neither unknown logins nor failed reads stick.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { merchantFromConfig, startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { withMerchantCache } from '../src/server/storage/merchant-cache.ts';
import { openDatabase } from '../src/server/storage/db.ts';
import { createStorage, type Storage } from '../src/server/storage/storage.ts';
import { openTestStorage, TEST_SECRET, type TestStorage } from './helpers.ts';

const shop = (name = 'Shop') => merchantFromConfig({ login: 'shop', name, secret: 'K-shop', notifications: false, apiType: 2, apiMethod: 'POST', checkLinkMd5: false, origins: [] });

describe('merchant cache', () => {
  let ts: TestStorage;
  let reads: number;
  let failNext: boolean;
  let counted: Storage;
  let clock: number;
  beforeEach(async () => {
    ts = await openTestStorage('sqlite');
    reads = 0;
    failNext = false;
    clock = 1_000_000;
    counted = {
      ...ts.storage,
      async getMerchant(login) {
        reads++;
        if (failNext) {
          failNext = false;
          throw new Error('database is locked');
        }
        return ts.storage.getMerchant(login);
      },
    };
    await ts.storage.upsertMerchant(shop(), clock);
  });
  afterEach(() => ts.close());

  test('reads within the TTL make one query, concurrent ones included; past it the database is read again', async () => {
    const cached = withMerchantCache(counted, { ttlMs: 1000, now: () => clock });
    const [a, b] = await Promise.all([cached.getMerchant('shop'), cached.getMerchant('shop')]);
    assert.equal(a?.name, 'Shop');
    assert.equal(b, a);
    assert.equal(reads, 1);
    clock += 999;
    await cached.getMerchant('shop');
    assert.equal(reads, 1);
    clock += 1;
    await cached.getMerchant('shop');
    assert.equal(reads, 2);
  });

  test('a change through the cached storage shows at once; one made elsewhere shows after the TTL', async () => {
    const cached = withMerchantCache(counted, { ttlMs: 1000, now: () => clock });
    assert.equal((await cached.getMerchant('shop'))?.name, 'Shop');
    await cached.upsertMerchant(shop('Renamed here'), clock);
    assert.equal((await cached.getMerchant('shop'))?.name, 'Renamed here');

    // Another process (npm run merchant) on the same file.
    const other = await openDatabase(ts.url);
    try {
      await createStorage(other.db, other.dialect).upsertMerchant(shop('Renamed elsewhere'), clock);
    } finally {
      await other.close();
    }
    assert.equal((await cached.getMerchant('shop'))?.name, 'Renamed here');
    clock += 1000;
    assert.equal((await cached.getMerchant('shop'))?.name, 'Renamed elsewhere');
  });

  test('an unknown login is remembered for the TTL too; a failed read is not remembered', async () => {
    const cached = withMerchantCache(counted, { ttlMs: 1000, now: () => clock });
    assert.equal(await cached.getMerchant('nobody'), undefined);
    assert.equal(await cached.getMerchant('nobody'), undefined);
    assert.equal(reads, 1);
    failNext = true;
    await assert.rejects(cached.getMerchant('shop'), /database is locked/);
    assert.equal((await cached.getMerchant('shop'))?.name, 'Shop');
    assert.equal(reads, 3);
  });

  test('the cached merchant cannot be changed by a caller', async () => {
    const cached = withMerchantCache(counted, { ttlMs: 1000, now: () => clock });
    const m = (await cached.getMerchant('shop'))!;
    assert.throws(() => { (m as { secret: string }).secret = 'stolen'; }, TypeError);
    assert.throws(() => { m.origins.push('https://evil.example'); }, TypeError);
    assert.deepEqual((await cached.getMerchant('shop'))!.origins, []);
  });

  test('ttlMs 0 turns it off', async () => {
    const cached = withMerchantCache(counted, { ttlMs: 0 });
    await cached.getMerchant('shop');
    await cached.getMerchant('shop');
    assert.equal(reads, 2);
  });
});

test('the running gateway sees a merchant changed by another process within merchantCacheMs', async () => {
  const ts = await openTestStorage('sqlite');
  await ts.close(); // only its file name is wanted: startGateway creates the database
  const gw = await startGateway(parseConfig({
    port: 0, database: ts.url, secret: TEST_SECRET, merchantCacheMs: 300,
    merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop', origins: [], checkLinkMd5: false }],
  }), { dispatcher: false, log: () => {} });
  const name = async () => {
    const res = await fetch(`${gw.url}/pay/shop?price=10&pay_for=1`, { headers: { accept: 'application/json' } });
    return ((await res.json()) as { merchant: { name: string } }).merchant.name;
  };
  try {
    assert.equal(await name(), 'Shop');
    const other = await openDatabase(ts.url);
    try {
      await createStorage(other.db, other.dialect).upsertMerchant(shop('Shop, renamed'), Date.now());
    } finally {
      await other.close();
    }
    const changedAt = Date.now();
    let seen = await name();
    while (seen === 'Shop' && Date.now() - changedAt < 5000) {
      await new Promise((r) => setTimeout(r, 25));
      seen = await name();
    }
    assert.equal(seen, 'Shop, renamed');
    // Within the TTL, give or take a slow request on a busy machine (the loop above waits up to 5 s).
    assert.ok(Date.now() - changedAt <= 300 + 1000, `seen after ${Date.now() - changedAt} ms`);
  } finally {
    await gw.close();
  }
});
