/**
 * `npm run worker` as real processes: two workers on one SQLite file deliver every due PAY once,
 * and stop cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../src/server/storage/db.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import { addMerchant, K, paidPayment, payAnswer, readPay, send } from './dispatcher-fixtures.ts';
import { startMerchantStub, TEST_SECRET } from './helpers.ts';

test('two worker processes on one database deliver every due PAY exactly once, and stop on SIGTERM', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-worker-'));
  const url = `sqlite:${join(dir, 'gateway.sqlite')}`;
  const seen = new Map<string, number>();
  const stub = await startMerchantStub(async (req, res) => {
    const { payFor } = readPay(req);
    seen.set(payFor, (seen.get(payFor) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, Math.random() * 20));
    send(res, 200, payAnswer(req));
  });
  const database = await openDatabase(url);
  const storage = createStorage(database.db, database.dialect);
  const m = await addMerchant(storage, stub.url, { login: 'shop', secret: K });
  const N = 200;
  for (let i = 0; i < N; i++) await paidPayment(storage, m, Date.now(), `w-${i}`);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ database: url, secret: TEST_SECRET, allowPrivateMerchantUrls: true, dispatcher: { pollMs: 50, concurrency: 4, batchSize: 8, timeoutMs: 2000 } }));
  const workers = [0, 1].map(() => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts', '--config', config], { env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    return { p, out: () => out, exit: new Promise<number | null>((r) => p.once('exit', (code) => r(code))) };
  });
  const t0 = Date.now();
  while (await storage.countNotifications('delivered') < N) {
    assert.ok(Date.now() - t0 < 30_000, `not delivered in time: ${workers.map((w) => w.out()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const w of workers) w.p.kill('SIGTERM');
  const codes = await Promise.all(workers.map((w) => w.exit));
  assert.deepEqual(codes, [0, 0]);
  assert.ok(workers.every((w) => /onpay-checkout worker worker:/.test(w.out())));
  assert.equal(seen.size, N);
  assert.ok([...seen.values()].every((c) => c === 1), 'no PAY sent twice');
  const attempts = await database.db.selectFrom('attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.equal(Number(attempts.n), N, "one recorded attempt each");
  await database.close();
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});
