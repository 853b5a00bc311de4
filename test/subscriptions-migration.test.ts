/**
 * `0014_subscriptions` comes after databases already ran `0015_receipt_status` (main had it first):
 * such a database takes the new migration on its next start instead of refusing to open.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { openDatabase } from '../src/server/storage/db.ts';
import { migrationProvider, type Database } from '../src/server/storage/schema.ts';

test('a database migrated to 0015 without 0014 opens and gets the subscriptions table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-mig-'));
  const file = join(dir, 'gateway.sqlite');
  try {
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    const all = await migrationProvider('sqlite').getMigrations();
    const before = Object.fromEntries(Object.entries(all).filter(([name]) => name !== '0014_subscriptions'));
    const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => before } }).migrateToLatest();
    assert.equal(error, undefined);
    await old.destroy();
    const db = await openDatabase(`sqlite:${file}`);
    try {
      assert.deepEqual(await db.db.selectFrom('subscriptions').selectAll().execute(), []);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
