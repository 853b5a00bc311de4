/**
 * The SQLite database holds every merchant's K (issue #30, item 3): its folder is created 0700, the
 * database and its -wal / -shm 0600, backups 0600, whatever the umask; `npm run backup` leaves no
 * partial files; and a start on a database other users can read warns loudly, naming the path.
 * (PostgreSQL keeps its files itself: nothing of this applies to it.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runBackupCommand } from '../src/cli/backup.ts';
import { openDatabase } from '../src/server/storage/db.ts';
import { sqlitePermissionProblems } from '../src/server/storage/file-modes.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { merchant } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-modes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const modeOf = (p: string): string => (statSync(p).mode & 0o777).toString(8);

/** Runs `fn` with the most permissive umask, as a careless service manager might start the gateway. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

describe('private database files', () => {
  test('a new data folder is 0700 and the database, its -wal and -shm 0600 under umask 000', async () => {
    const data = join(dir, 'fresh', 'data');
    const file = join(data, 'onpay.sqlite');
    await withUmask(0o000, async () => {
      const db = await openDatabase(`sqlite:${file}`);
      try {
        await createStorage(db.db, db.dialect).upsertMerchant(merchantFromConfig(merchant()), 1);
        assert.equal(modeOf(data), '700');
        for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(modeOf(f), '600', f);
      } finally {
        await db.close();
      }
    });
    assert.deepEqual(sqlitePermissionProblems(file), []);
  });

  test('npm run backup writes a 0600 copy under umask 000 and leaves no partial files', async () => {
    const data = join(dir, 'backup');
    const file = join(data, 'onpay.sqlite');
    const db = await openDatabase(`sqlite:${file}`);
    await createStorage(db.db, db.dialect).upsertMerchant(merchantFromConfig(merchant()), 1);
    const out = join(dir, 'backups');
    mkdirSync(out);
    try {
      const code = await withUmask(0o000, () => runBackupCommand(['backup', '--to', join(out, 'copy.sqlite')], { DATABASE_URL: `sqlite:${file}`, ONPAY_SECRET: 'x'.repeat(32) }, () => {}, () => {}));
      assert.equal(code, 0);
    } finally {
      await db.close();
    }
    assert.deepEqual(readdirSync(out), ['copy.sqlite']);
    assert.equal(modeOf(join(out, 'copy.sqlite')), '600');
  });

  test('a start on a folder and database other users can read warns loudly, naming each path and the chmod', async () => {
    const data = join(dir, 'old');
    const file = join(data, 'onpay.sqlite');
    const db = await openDatabase(`sqlite:${file}`);
    await db.close();
    // As earlier versions left them.
    chmodSync(data, 0o755);
    chmodSync(file, 0o644);
    assert.equal(sqlitePermissionProblems(file).length, 2);
    const config = join(dir, 'gw.json');
    writeFileSync(config, JSON.stringify({ port: 0, host: '127.0.0.1', database: `sqlite:${file}`, secret: 's'.repeat(32), merchants: [] }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/gateway.ts', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    await new Promise<void>((resolve) => {
      const check = () => { if (/gateway on http/.test(stdout) && (stderr.match(/WARNING: database/g) ?? []).length >= 2) resolve(); };
      child.stdout.on('data', (d) => { stdout += d; check(); });
      child.stderr.on('data', (d) => { stderr += d; check(); });
      child.on('close', () => resolve());
      // A regression must fail the assertions below, not hang the run: stop waiting after 60 s.
      setTimeout(resolve, 60_000).unref();
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    assert.match(stderr, new RegExp(`WARNING: database: ${data} is 0755: .*chmod 700 ${data}`));
    assert.match(stderr, new RegExp(`WARNING: database: ${file} is 0644: .*chmod 600 ${file}`));
    // The gateway changes nothing it did not create.
    assert.equal(modeOf(data), '755');
  });
});
