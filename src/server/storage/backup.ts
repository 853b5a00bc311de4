/**
 * Online backup and restore of a SQLite gateway database (PostgreSQL: pg_dump / pg_restore, see
 * README.md). The backup uses SQLite's backup API through better-sqlite3 while gateways and
 * workers keep writing; restore refuses to replace a database that a process has open.
 */
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { ensurePrivateFile, makePrivate } from './file-modes.ts';

/** The partial copy and what SQLite leaves beside it (the copy is in WAL mode, as its source). */
const partialFiles = (partial: string): string[] => [partial, `${partial}-wal`, `${partial}-shm`, `${partial}-journal`];

/** A backup or restore that cannot be done; `code` says why, for the command's exit status. */
export class BackupError extends Error {
  constructor(readonly code: 'exists' | 'missing' | 'in_use' | 'corrupt' | 'not_sqlite', message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** The file of a `sqlite:<path>` database URL; throws for PostgreSQL and in-memory databases. */
export function sqlitePath(database: string): string {
  if (!database.startsWith('sqlite:') || database === 'sqlite::memory:') {
    throw new BackupError('not_sqlite', 'backup and restore are for SQLite databases; for PostgreSQL use pg_dump and pg_restore (README.md)');
  }
  return database.slice('sqlite:'.length);
}

/** `PRAGMA integrity_check` of a database file: null when it is sound, else the first problems. */
export function integrityProblems(path: string): string | null {
  const db = new SQLite(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const text = rows.map((r) => r.integrity_check).join('; ');
    return text === 'ok' ? null : text.slice(0, 500);
  } finally {
    db.close();
  }
}

/**
 * Copies the live database `from` into a new file `to`, consistent as of the moment the copy
 * starts. The whole database is copied in one step of the backup API: a read transaction, which in
 * WAL mode never blocks the gateway's writes, and which a write from another process cannot
 * restart half-way (copying 100 pages at a time under steady load would start over after every
 * write). Then checks the copy with `PRAGMA integrity_check`.
 * @example await backupDatabase('./data/onpay.sqlite', '/backups/onpay-2026-12-01.sqlite');
 */
export async function backupDatabase(from: string, to: string): Promise<{ pages: number; ms: number }> {
  if (!existsSync(from)) throw new BackupError('missing', `no database at ${from}`);
  if (existsSync(to)) throw new BackupError('exists', `${to} exists; choose a new file`);
  const started = Date.now();
  const db = new SQLite(from, { fileMustExist: true, timeout: 5000 });
  const partial = `${to}.partial`;
  try {
    for (const f of partialFiles(partial)) rmSync(f, { force: true });
    // The copy holds every merchant's K: 0600 from its first byte, whatever the umask.
    ensurePrivateFile(partial);
    const r = await db.backup(partial, { progress: () => 0x7fffffff });
    const problems = integrityProblems(partial);
    if (problems) throw new BackupError('corrupt', `the copy failed its integrity check: ${problems}`);
    makePrivate(partial);
    renameSync(partial, to);
    return { pages: r.totalPages, ms: Date.now() - started };
  } finally {
    db.close();
    // Reading the copy (the integrity check) leaves its -wal / -shm: none of it stays behind.
    for (const f of partialFiles(partial)) rmSync(f, { force: true });
  }
}

/** Whether some process has the database open (its WAL lock cannot be taken exclusively). */
export function databaseInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new SQLite(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('begin exclusive');
    db.prepare('select count(*) from sqlite_master').get();
    db.exec('commit');
    return false;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY' || (e as { code?: string }).code === 'SQLITE_LOCKED') return true;
    throw e;
  } finally {
    db.close();
  }
}

/**
 * Puts the backup `from` in place of the database `to`. Refuses when `from` fails its integrity
 * check or when a gateway or worker has `to` open. The database it replaces is kept as
 * `<to>.before-restore-<time>`; a stale `-wal` / `-shm` beside it (left by a killed process) goes
 * with it, so that it is not replayed onto the restored copy.
 * @example restoreDatabase('/backups/onpay-2026-12-01.sqlite', './data/onpay.sqlite');
 */
export function restoreDatabase(from: string, to: string, now: () => number = Date.now): { keptAs: string | null } {
  if (!existsSync(from)) throw new BackupError('missing', `no backup at ${from}`);
  const problems = integrityProblems(from);
  if (problems) throw new BackupError('corrupt', `${from} failed its integrity check: ${problems}`);
  if (databaseInUse(to)) throw new BackupError('in_use', `${to} is in use by a running gateway or worker; stop them first`);
  const staged = `${to}.restoring`;
  copyFileSync(from, staged);
  makePrivate(staged);
  let keptAs: string | null = null;
  if (existsSync(to)) {
    keptAs = `${to}.before-restore-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(to, keptAs);
    for (const suffix of ['-wal', '-shm']) if (existsSync(to + suffix)) renameSync(to + suffix, keptAs + suffix);
  }
  renameSync(staged, to);
  return { keptAs };
}
