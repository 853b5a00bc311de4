/**
 * The probes: /health/live, /health/ready (database answers, migrations current, not shutting
 * down), and a PostgreSQL outage under a running gateway: ready goes 503 and back to 200, and no
 * request hangs past its deadline meanwhile.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createGateway } from '../src/server/app.ts';
import { startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { databaseReadiness } from '../src/server/storage/readiness.ts';
import { merchant, openTestStorage, TEST_SECRET } from './helpers.ts';

describe('probes', () => {
  test('live answers 200; ready answers 200 with the database up and migrations current', async () => {
    const ts = await openTestStorage('sqlite');
    try {
      const gateway = createGateway({ config: parseConfig({ secret: TEST_SECRET }), storage: ts.storage, readiness: databaseReadiness(ts.database.db, ts.database.dialect), log: () => {} });
      const live = await gateway.fetch(new Request('http://gw/health/live'));
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { ok: true, live: true });
      const ready = await gateway.fetch(new Request('http://gw/health/ready'));
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true });
      const old = await gateway.fetch(new Request('http://gw/health'));
      assert.deepEqual(await old.json(), { ok: true }, '/health as before');
    } finally {
      await ts.close();
    }
  });

  test('ready answers 503 naming the reason: migrations pending, database closed, shutting down', async () => {
    const ts = await openTestStorage('sqlite');
    let draining = false;
    const readiness = databaseReadiness(ts.database.db, ts.database.dialect, { draining: () => draining });
    const gateway = createGateway({ config: parseConfig({ secret: TEST_SECRET }), storage: ts.storage, readiness, log: () => {} });
    const ready = async () => {
      const r = await gateway.fetch(new Request('http://gw/health/ready'));
      return { status: r.status, body: (await r.json()) as { ready: boolean; reason?: string } };
    };
    const latest = await ts.database.db.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never, 'desc').executeTakeFirstOrThrow() as { name: string };
    await ts.database.db.deleteFrom('kysely_migration' as never).where('name' as never, '=', latest.name as never).execute();
    assert.deepEqual(await ready(), { status: 503, body: { ready: false, reason: 'migrations pending: 1' } });
    draining = true;
    assert.deepEqual(await ready(), { status: 503, body: { ready: false, reason: 'shutting down' } });
    draining = false;
    await ts.close();
    assert.deepEqual(await ready(), { status: 503, body: { ready: false, reason: 'database unavailable' } });
  });
});

const pgBin = (() => {
  try {
    return readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(`${d}/pg_ctl`));
  } catch {
    return undefined;
  }
})();

test('PostgreSQL stopped under a running gateway: ready goes 503 then 200, and no request hangs past its deadline', { skip: pgBin ? false : 'no PostgreSQL server binaries', timeout: 90_000 }, async () => {
  // Its own throwaway server: the one `npm test` shares with other tests must stay up.
  const out = execFileSync('bash', ['scripts/pg.sh', 'start'], { encoding: 'utf8' });
  const dir = /^PG_DIR=(.*)$/m.exec(out)![1]!;
  const url = /^DATABASE_URL=(.*)$/m.exec(out)![1]!;
  const port = new URL(url).port;
  const running = await startGateway(parseConfig({ port: 0, database: url, secret: TEST_SECRET, databasePoolSize: 4, merchants: [merchant()] }), { dispatcher: false });
  /** Every request gets 4 s: the probe's own 2 s wait for the database, and a connect timeout on the rest. */
  const DEADLINE_MS = 6000;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const t0 = Date.now();
    const r = await fetch(`${running.url}${path}`, { headers, signal: AbortSignal.timeout(DEADLINE_MS) });
    const text = await r.text();
    return { status: r.status, text, ms: Date.now() - t0 };
  };
  try {
    assert.equal((await get('/health/ready')).status, 200);
    execFileSync('bash', ['scripts/pg.sh', 'halt', dir]);
    const down = await get('/health/ready');
    assert.equal(down.status, 503);
    const reason = (JSON.parse(down.text) as { reason: string }).reason;
    assert.equal(reason, 'database unavailable');
    assert.ok(!down.text.includes('127.0.0.1') && !down.text.includes(port) && !down.text.includes('postgres'), `no host, port or user in ${down.text}`);
    // Other requests fail, answered, within the deadline; liveness stays up.
    const form = await get('/pay/shop?price=10&pay_for=1', { accept: 'application/json' });
    assert.ok(form.status >= 500, `form payload during the outage: ${form.status}`);
    assert.ok(!form.text.includes('127.0.0.1'), 'the error names no host');
    assert.equal((await get('/health/live')).status, 200);
    execFileSync('bash', ['scripts/pg.sh', 'resume', dir]);
    const t0 = Date.now();
    let status = 0;
    while (Date.now() - t0 < 20_000) {
      status = (await get('/health/ready')).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, 'ready again once PostgreSQL is back');
    assert.equal((await get('/pay/shop?price=10&pay_for=1', { accept: 'application/json' })).status, 200);
  } finally {
    await running.close({ deadlineMs: 2000 });
    execFileSync('bash', ['scripts/pg.sh', 'stop', dir]);
  }
});
