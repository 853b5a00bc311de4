/**
 * Scale-out on one real PostgreSQL: two gateway processes and two `npm run worker` processes.
 * 5,000 payments are created through both instances alternately (each with CHECK), made paid
 * through both, and every PAY is delivered by the workers to a loopback merchant. Nothing lost, no
 * state change twice, duplicate deliveries counted (none expected without kills).
 * Without TEST_DATABASE_URL (npm test always sets it) the same runs, smaller, on one SQLite file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { openDatabase } from '../src/server/storage/db.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import { openTestStorage, startMerchantStub, type TestStorage } from './helpers.ts';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const PAYMENTS = Number(process.env.SCALE_OUT_PAYMENTS ?? (onPostgres ? 5000 : 500));
const IN_FLIGHT = 24;

const children: ChildProcess[] = [];
let ts: TestStorage | undefined;
const dir = mkdtempSync(join(tmpdir(), 'onpay-scale-'));
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await ts?.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(script: string, config: string, ready: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--config', config], { env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(m[1] ?? '');
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`${script} exited ${code}: ${err.slice(0, 500)}`)));
  });
}

/** Runs `fn` over 0..n-1 with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < n) await fn(next++);
  }));
}

test(`two gateways and two workers on one ${onPostgres ? 'PostgreSQL' : 'SQLite'} database: ${PAYMENTS} payments, nothing lost, nothing twice`, { timeout: 240_000 }, async () => {
  const seen = new Map<string, number>();
  const stub = await startMerchantStub((req, res) => {
    const body = JSON.parse(req.body) as { type: 'check' | 'pay'; pay_for: string };
    if (body.type === 'pay') seen.set(body.pay_for, (seen.get(body.pay_for) ?? 0) + 1);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, true, body.pay_for, 'scale-secret') }));
  });
  try {
    ts = await openTestStorage(onPostgres ? 'postgres' : 'sqlite');
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({
      port: 0, database: ts.url, secret: 's'.repeat(40), allowPrivateMerchantUrls: true, databasePoolSize: 8,
      retrySchedule: [0, 1, 2, 5, 10], dispatcher: { inProcess: false, pollMs: 100 },
      merchants: [{ login: 'shop', name: 'Scale shop', secret: 'scale-secret', notifications: true, apiUrl: stub.url, apiType: 2, checkLinkMd5: false }],
    }));
    const gateways = await Promise.all([0, 1].map(() => start('src/cli/gateway.ts', config, /gateway on (http:\/\/[\d.]+:\d+)/)));
    await Promise.all([0, 1].map(() => start('src/cli/worker.ts', config, /worker (\S+) delivering/)));

    const t0 = Date.now();
    const ids: string[] = new Array(PAYMENTS);
    let applied = 0;
    await pool(PAYMENTS, IN_FLIGHT, async (i) => {
      const gw = gateways[i % 2]!;
      const other = gateways[(i + 1) % 2]!;
      const form = (await (await fetch(`${gw}/pay/shop?price=${(i % 900) + 1}.5&pay_for=so-${i}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
      const created = await fetch(`${gw}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `so-${i}` }, body: JSON.stringify({ token: form.token, way: 'RUR' }) });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };
      ids[i] = id;
      const paid = await fetch(`${other}/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
      assert.equal(paid.status, 200);
      if (((await paid.json()) as { applied: boolean }).applied) applied++;
    });
    const created = Date.now() - t0;
    const deadline = Date.now() + 120_000;
    while (seen.size < PAYMENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const delivered = Date.now() - t0;

    const check = await openDatabase(ts.url);
    const storage = createStorage(check.db, check.dialect);
    try {
      const counts = await storage.statusCounts();
      assert.equal(counts.payments.paid, PAYMENTS, 'every payment paid, none lost');
      assert.equal(applied, PAYMENTS, 'each payment became paid exactly once');
      assert.equal(counts.notifications.delivered, PAYMENTS, 'one PAY row per payment, all delivered');
      assert.equal(Object.values(counts.notifications).reduce((a, b) => a + b, 0), PAYMENTS, 'no second PAY row');
      // Per payment, not only in total: each created payment has exactly one notification, a delivered PAY.
      const rows = await check.db.selectFrom('notifications').select(['payment_id', 'kind', 'status']).execute();
      const byPayment = new Map<string, string[]>();
      for (const r of rows) byPayment.set(r.payment_id, [...(byPayment.get(r.payment_id) ?? []), `${r.kind}:${r.status}`]);
      const wrong = ids.filter((id) => byPayment.get(id)?.join(',') !== 'pay:delivered');
      assert.deepEqual(wrong.slice(0, 5).map((id) => [id, byPayment.get(id)]), [], `${wrong.length} payments without exactly one delivered PAY`);
      assert.equal(new Set(ids).size, PAYMENTS, 'every creation made its own payment');
      const expected = new Set(Array.from({ length: PAYMENTS }, (_, i) => `so-${i}`));
      assert.deepEqual(new Set(seen.keys()), expected, 'the merchant heard of every payment');
      const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
      console.log(`scale-out: ${PAYMENTS} payments created and paid through 2 gateways in ${(created / 1000).toFixed(1)} s, all PAY delivered by 2 workers after ${(delivered / 1000).toFixed(1)} s, duplicate deliveries: ${duplicates}`);
      assert.equal(duplicates, 0);
    } finally {
      await check.close();
    }
  } finally {
    await stub.close();
  }
});
