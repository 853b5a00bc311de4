/**
 * `npm run backup` of a running gateway under load, and `npm run restore`: 2,000 payments are paid
 * through the gateway process while the backup runs; the copy passes `PRAGMA integrity_check`, a
 * gateway started on it serves, and every payment committed before the backup began is in it
 * with its PAY (outbox) row. Restore refuses while the database is in use.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { integrityProblems } from '../src/server/storage/backup.ts';
import { K } from './dispatcher-fixtures.ts';
import { TEST_SECRET } from './helpers.ts';
import { createPayment, payPayment, spawnGateway, spawnTs, startShop } from './ops-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-backup-'));
/** Run after the test even when it fails half-way, so that no process or server is left behind. */
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const N = 2000;

test('an online backup taken while 2,000 payments are paid is sound, complete up to its start, and restorable', { timeout: 180_000 }, async () => {
  const file = join(dir, 'gw.sqlite');
  const url = `sqlite:${file}`;
  const shop = await startShop(K);
  const configFile = join(dir, 'gw.json');
  const config = {
    port: 0, database: url, secret: TEST_SECRET, allowPrivateMerchantUrls: true, dispatcher: { pollMs: 50 },
    merchants: [{ login: 'shop', name: 'Shop', secret: K, notifications: true, apiUrl: shop.url, apiType: 2, checkLinkMd5: false }],
  };
  const gw = await spawnGateway(configFile, config, { LOG_LEVEL: 'silent' });
  cleanups.push(async () => { gw.child.kill('SIGKILL'); await shop.close(); });
  // 2,000 payments waiting for their money, created through the gateway (CHECK accepted).
  const ids: string[] = [];
  {
    let made = 0;
    const lane = async () => {
      while (made < N) {
        const i = made++;
        const r = await createPayment(gw.url, 'shop', `b-${i}`);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        ids.push(r.body.id);
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
  }
  const backupFile = join(dir, 'copy.sqlite');
  try {
    const committed: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const status = await payPayment(gw.url, id);
        assert.equal(status, 200, `paying ${id}`);
        committed.push(id);
      }
    };
    let failed: unknown;
    const load = Promise.all(Array.from({ length: 8 }, lane)).catch((e: unknown) => { failed = e; });
    while (committed.length < 300 && failed === undefined) await new Promise((r) => setTimeout(r, 10));
    if (failed !== undefined) throw failed;
    const before = new Set(committed);
    const backup = spawnTs('src/cli/backup.ts', ['backup', '--to', backupFile, '--config', configFile]);
    const { code } = await backup.exit;
    const paidDuringBackup = committed.length - before.size;
    assert.equal(code, 0, backup.output());
    assert.match(backup.output(), /integrity ok/);
    await load;
    if (failed !== undefined) throw failed;
    assert.ok(paidDuringBackup > 0, 'payments were being paid while the backup ran');
    assert.ok(committed.length === N);

    // The copy: sound, and holding every payment committed before the backup began, with its PAY row.
    assert.equal(integrityProblems(backupFile), null);
    const copy = new SQLite(backupFile, { readonly: true });
    try {
      const paid = new Set((copy.prepare("select id from payments where status = 'paid'").all() as { id: string }[]).map((r) => r.id));
      const withPay = new Set((copy.prepare("select payment_id from notifications where kind = 'pay'").all() as { payment_id: string }[]).map((r) => r.payment_id));
      for (const id of before) {
        assert.ok(paid.has(id), `${id} paid in the copy`);
        assert.ok(withPay.has(id), `${id} has its PAY row in the copy`);
      }
      assert.ok(paid.size <= withPay.size, 'no paid payment without its PAY row');
    } finally {
      copy.close();
    }

    // Restore refuses a database in use.
    const refused = spawnTs('src/cli/backup.ts', ['restore', '--from', backupFile, '--config', configFile]);
    assert.equal((await refused.exit).code, 2);
    assert.match(refused.output(), /in use/);
  } finally {
    gw.child.kill('SIGTERM');
    await gw.exit;
    await shop.close();
  }

  // A gateway started on the copy serves.
  const onCopy = await startGateway(parseConfig({ port: 0, database: `sqlite:${backupFile}`, secret: TEST_SECRET }), { dispatcher: false });
  try {
    assert.equal((await fetch(`${onCopy.url}/health/ready`)).status, 200);
    const r = await fetch(`${onCopy.url}/api/v1/payments/${ids[0]}`);
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { status: string }).status, 'paid');
  } finally {
    await onCopy.close();
  }

  // With the gateway stopped, restore puts the copy in place and keeps the database it replaces.
  const restored = spawnTs('src/cli/backup.ts', ['restore', '--from', backupFile, '--config', configFile]);
  assert.equal((await restored.exit).code, 0, restored.output());
  const kept = /kept as (\S+)\)/.exec(restored.output())?.[1];
  assert.ok(kept && existsSync(kept), 'the replaced database is kept');
  const db = new SQLite(file, { readonly: true });
  const copyDb = new SQLite(backupFile, { readonly: true });
  try {
    const count = (d: SQLite.Database) => (d.prepare("select count(*) as n from payments where status = 'paid'").get() as { n: number }).n;
    assert.equal(count(db), count(copyDb));
  } finally {
    db.close();
    copyDb.close();
  }
});
