/**
 * Several gateway instances on one database: migrations racing at start, the same callback and the
 * same idempotency key arriving at two instances at the same moment. Real concurrency against a
 * real PostgreSQL server (TEST_DATABASE_URL, started by npm test), and the same on a SQLite file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createGateway, type Gateway } from '../src/server/app.ts';
import { loadConfig, merchantFromConfig } from '../src/server/bootstrap.ts';
import { ConfigError, parseConfig } from '../src/server/config.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import { signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { openDatabase, type OpenDatabase } from '../src/server/storage/db.ts';
import { migrationProvider } from '../src/server/storage/schema.ts';
import { createStorage, type Storage } from '../src/server/storage/storage.ts';
import { merchant, openTestStorage, startMerchantStub, storageKinds, TEST_SECRET, type MerchantStub, type TestStorage } from './helpers.ts';

test('databasePoolSize: default 10, set in the file or by DATABASE_POOL_SIZE, refused when not a whole number from 1', () => {
  const base = { secret: TEST_SECRET, database: 'postgres://db.invalid/onpay', merchants: [] };
  assert.equal(loadConfig([], {}, base).databasePoolSize, 10);
  assert.equal(loadConfig([], {}, { ...base, databasePoolSize: 25 }).databasePoolSize, 25);
  assert.equal(loadConfig([], { DATABASE_POOL_SIZE: '3' }, { ...base, databasePoolSize: 25 }).databasePoolSize, 3, 'the environment wins');
  for (const bad of ['x', '2.5', '0', '-1']) {
    assert.throws(() => loadConfig([], { DATABASE_POOL_SIZE: bad }, base), (e: unknown) => e instanceof ConfigError && /databasePoolSize|DATABASE_POOL_SIZE/.test(e.message), bad);
  }
  assert.throws(() => loadConfig([], {}, { ...base, databasePoolSize: '10' }), ConfigError);
});

if (process.env.TEST_DATABASE_URL) {
  test('the pool never opens more than poolSize connections to PostgreSQL', async () => {
    const ts = await openTestStorage('postgres');
    const small = await openDatabase(ts.url, { poolSize: 3 });
    const watch = new pg.Client({ connectionString: ts.url });
    await watch.connect();
    try {
      const backends = async () => (await watch.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like '%pg_sleep%' and state = 'active'")).rows[0].n as number;
      const t0 = Date.now();
      const busy = Promise.all(Array.from({ length: 9 }, () => sql`select pg_sleep(0.3)`.execute(small.db)));
      let most = 0;
      while (Date.now() - t0 < 700) {
        most = Math.max(most, await backends());
        await new Promise((r) => setTimeout(r, 25));
      }
      await busy;
      assert.equal(most, 3, 'three sleeping at once, never more');
      assert.ok(Date.now() - t0 >= 850, 'nine 0.3 s queries over three connections take three rounds');
    } finally {
      await watch.end();
      await small.close();
      await ts.close();
    }
  });

  test('migrations are safe when four instances start at once on a fresh PostgreSQL database', async () => {
    const admin = process.env.TEST_DATABASE_URL!;
    const name = `t_mig_${randomBytes(5).toString('hex')}`;
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`create database ${name}`);
    const url = admin.replace(/\/[^/]*$/, `/${name}`);
    try {
      const opened = await Promise.all([0, 1, 2, 3].map(() => openDatabase(url, { poolSize: 2 })));
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      const migrations = await check.query('select name from kysely_migration order by name');
      const tables = await check.query("select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = 'payments'");
      await check.end();
      await Promise.all(opened.map((o) => o.close()));
      // Every migration in the code, each applied exactly once.
      assert.deepEqual(migrations.rows.map((r) => r.name).sort(), Object.keys(await migrationProvider('postgres').getMigrations()).sort());
      assert.ok(migrations.rows.some((r) => r.name === '0001_initial'));
      assert.equal(tables.rows[0].n, 1);
    } finally {
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    }
  });
}

// On PostgreSQL two instances, each with its own pool. On SQLite one instance taking the requests
// concurrently: better-sqlite3 is synchronous, so two connections in one process would only wait
// on each other (several processes on one SQLite file are tested in worker.test.ts).
for (const kind of storageKinds()) {
  describe(kind === 'postgres' ? 'two gateway instances on one PostgreSQL database' : 'one gateway on SQLite, concurrent requests', () => {
    let ts: TestStorage;
    let second: OpenDatabase;
    let stub: MerchantStub;
    let a: Gateway;
    let b: Gateway;
    let storageB: Storage;

    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { type: 'check' | 'pay'; pay_for: string };
        // A slow-ish merchant widens the window in which the two instances race.
        setTimeout(() => res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, true, body.pay_for, 'test') })), 20);
      });
      ts = await openTestStorage(kind);
      second = kind === 'postgres' ? await openDatabase(ts.url, { poolSize: 4 }) : ts.database;
      storageB = kind === 'postgres' ? createStorage(second.db, second.dialect) : ts.storage;
      const config = parseConfig({ secret: TEST_SECRET, publicUrl: 'http://gateway.test', allowPrivateMerchantUrls: true, merchants: [merchant({ notifications: true, apiUrl: stub.url, origins: [] })] });
      await ts.storage.upsertMerchant(merchantFromConfig(config.merchants[0]!), Date.now());
      const deps = { config, merchantHttp: createMerchantHttp({ allowPrivate: true }), log: (m: string) => console.error(m.slice(0, 600)) };
      // (A 5xx logs its cause here and fails the test below.)
      a = createGateway({ ...deps, storage: ts.storage });
      b = createGateway({ ...deps, storage: storageB });
    });
    after(async () => {
      if (second !== ts.database) await second.close();
      await ts.close();
      await stub.close();
    });

    const form = async (g: Gateway, payFor: string) =>
      ((await (await g.fetch(new Request(`http://gateway.test/pay/shop?price=100&pay_for=${payFor}`, { headers: { accept: 'application/json' } }))).json()) as { token: string }).token;
    const create = (g: Gateway, token: string, key: string) => g.fetch(new Request('http://gateway.test/api/v1/payments', {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ token, way: 'CRD' }),
    }));

    test('the same idempotency key at both instances at the same moment makes one payment', async () => {
      for (let round = 0; round < 5; round++) {
        const token = await form(a, `idem-${round}`);
        const key = `race-${kind}-${round}`;
        const answers = await Promise.all([create(a, token, key), create(b, token, key), create(a, token, key), create(b, token, key)]);
        const statuses = answers.map((r) => r.status);
        assert.ok(statuses.every((s) => s === 201 || s === 409), `only 201 or 409 in progress: ${statuses}`);
        assert.ok(statuses.includes(201));
        const bodies = await Promise.all(answers.filter((r) => r.status === 201).map((r) => r.json() as Promise<{ id: string }>));
        assert.equal(new Set(bodies.map((x) => x.id)).size, 1, 'every 201 names the same payment');
        const list = await ts.storage.listPayments({ merchantLogin: 'shop', payFor: `idem-${round}`, limit: 10 });
        assert.equal(list.length, 1);
        assert.equal(stub.requests.filter((r) => r.body.includes(`"idem-${round}"`)).length, 1, 'one CHECK');
      }
    });

    test('the same payment-system callback at both instances at the same moment changes the payment once', async () => {
      for (let round = 0; round < 5; round++) {
        const created = (await (await create(a, await form(b, `cb-${round}`), `cb-${kind}-${round}`)).json()) as { id: string; amount: string };
        const body = JSON.stringify({ paymentId: created.id, outcome: 'paid', amount: created.amount, ticker: 'RUR' });
        const headers = { 'content-type': 'application/json', 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) };
        const send = (g: Gateway) => g.fetch(new Request('http://gateway.test/callbacks/sandbox', { method: 'POST', headers, body }));
        const answers = await Promise.all([send(a), send(b), send(a), send(b)]);
        const results = await Promise.all(answers.map(async (r) => ({ status: r.status, body: (await r.json()) as { applied?: boolean } })));
        assert.ok(results.every((r) => r.status === 200), JSON.stringify(results));
        assert.equal(results.filter((r) => r.body.applied).length, 1, 'exactly one instance applied it');
        assert.equal((await ts.storage.notificationsOf(created.id)).length, 1, 'one PAY in the outbox');
        assert.equal((await storageB.getPayment(created.id))!.status, 'paid');
      }
    });
  });
}
