/**
 * Another process holding SQLite's write lock (`BEGIN EXCLUSIVE`) must not freeze the gateway
 * (issue 12, item 4): writes retry asynchronously until `storageBusyMs`, then answer
 * `503 storage_busy` with Retry-After; meanwhile pages, `/health/live` and reads answer at once;
 * nothing is half-written; once the lock is gone, writes work again. The 8 s / 12 s locks
 * are scaled down with a 1.5 s deadline: a lock shorter than it (0.8 s) and one longer (3 s).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { TEST_SECRET } from './helpers.ts';

const BUSY_MS = 1500;

/** A second process that takes the write lock of `file` for `holdMs`; resolves once it holds it. */
async function holdLock(file: string, holdMs: number): Promise<{ child: ChildProcess; done: Promise<void> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    db.prepare("update merchants set name = name where login = 'shop'").run();
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('ROLLBACK'); db.close(); process.exit(0); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', script, file, String(holdMs)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
  });
  return { child, done };
}

const timed = async (p: Promise<Response>) => {
  const start = performance.now();
  const res = await p;
  const text = await res.text();
  return { res, text, ms: performance.now() - start };
};

describe('a SQLite lock held by another process', () => {
  let dir: string;
  let file: string;
  let gw: RunningGateway;
  let paymentId: string;
  const token = async (payFor: string) => ((await (await fetch(`${gw.url}/pay/shop?price=100&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as { token: string }).token;
  const create = (t: string) => fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t, way: 'EUR' }) });
  const count = async () => (await gw.storage.listPayments({ merchantLogin: 'shop', limit: 100 })).length;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-lock-'));
    file = join(dir, 'gw.sqlite');
    gw = await startGateway(parseConfig({
      port: 0, database: `sqlite:${file}`, secret: TEST_SECRET, storageBusyMs: BUSY_MS,
      merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop', apiKey: 'shop-cabinet-key-0123456789', origins: [], checkLinkMd5: false }],
    }), { dispatcher: false, log: () => {} });
    const res = await create(await token('before'));
    assert.equal(res.status, 201);
    paymentId = ((await res.json()) as { id: string }).id;
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('longer than the deadline: the write answers 503 storage_busy with Retry-After, everything else answers at once', async () => {
    const t = await token('locked');
    const before = await count();
    const lock = await holdLock(file, 3000);
    try {
      const write = timed(create(t));
      await new Promise((r) => setTimeout(r, 200));
      // While the write waits for the lock: a page, liveness and a read, each fast.
      const page = await timed(fetch(`${gw.url}/cabinet`));
      const live = await timed(fetch(`${gw.url}/health/live`));
      const read = await timed(fetch(`${gw.url}/api/v1/payments/${paymentId}`));
      const form = await timed(fetch(`${gw.url}/pay/shop?price=100&pay_for=x`, { headers: { accept: 'application/json' } }));
      for (const [name, r] of [['GET /cabinet', page], ['GET /health/live', live], ['GET /api/v1/payments/:id', read], ['form payload', form]] as const) {
        assert.equal(r.res.status, 200, `${name}: ${r.text.slice(0, 200)}`);
        assert.ok(r.ms < 300, `${name} took ${r.ms.toFixed(0)} ms during the lock`);
      }
      const w = await write;
      assert.equal(w.res.status, 503, w.text);
      assert.equal((JSON.parse(w.text) as { error: { code: string } }).error.code, 'storage_busy');
      assert.ok(Number(w.res.headers.get('retry-after')) >= 1);
      assert.ok(w.ms >= BUSY_MS - 100 && w.ms < BUSY_MS + 1000, `answered after ${w.ms.toFixed(0)} ms`);
    } finally {
      await lock.done;
    }
    // Nothing half-written; and once the lock is gone the same request succeeds.
    assert.equal(await count(), before);
    const again = await create(t);
    assert.equal(again.status, 201);
    assert.equal(await count(), before + 1);
  });

  test('shorter than the deadline: the write waits for it and succeeds', async () => {
    const t = await token('short-lock');
    const lock = await holdLock(file, 800);
    try {
      const w = await timed(create(t));
      assert.equal(w.res.status, 201, w.text);
      assert.ok(w.ms >= 500, `answered after ${w.ms.toFixed(0)} ms, before the lock was released?`);
    } finally {
      await lock.done;
    }
  });
});
