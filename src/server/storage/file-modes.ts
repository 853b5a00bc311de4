/**
 * The SQLite database holds every merchant's key K: its folder is the gateway's alone (0700) and its
 * files (the database, its `-wal` / `-shm`, backups) are readable by the gateway's user only (0600),
 * whatever the umask. New ones are created so; existing ones that other local users can read are
 * reported at every start (`sqlitePermissionProblems`), naming the path and the `chmod` that fixes it.
 *
 * Why a loud warning and not a refusal: databases made by earlier versions (`./data` 0755,
 * `onpay.sqlite` 0644) would otherwise stop the gateway on the upgrade that fixes them, and the
 * folder may be one the operator shares on purpose (a group of administrators); the warning says
 * what to run. The gateway never changes the mode of a folder or file it did not create.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** The data folder's mode. */
export const PRIVATE_DIR_MODE = 0o700;
/** The mode of the database, its WAL and shared-memory files, and backups. */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and parents) 0700 when it is missing; an existing one is left as it is. */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // `mode` is masked by the umask: set it exactly.
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates an empty file 0600 when it is missing, so that SQLite (which gives its `-wal` and `-shm`
 * the database file's mode) and the backup API write into a private file.
 */
export function ensurePrivateFile(path: string): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Sets a file we created to 0600 (a copy made by `copyFileSync` takes its source's mode). */
export const makePrivate = (path: string): void => chmodSync(path, PRIVATE_FILE_MODE);

/**
 * What other local users can read of a SQLite database: one sentence per folder or file whose
 * group or others may read (or write) it, with the command that fixes it; empty when private.
 * @example sqlitePermissionProblems('./data/onpay.sqlite') // ['./data is 0755: … chmod 700 ./data']
 */
export function sqlitePermissionProblems(path: string): string[] {
  const out: string[] = [];
  const dir = dirname(path);
  const check = (p: string, isDir: boolean): void => {
    let mode: number;
    try {
      mode = statSync(p).mode & 0o777;
    } catch {
      return;
    }
    if ((mode & 0o077) === 0) return;
    // A shared temporary folder (sticky bit, /tmp) is not the gateway's to fix: its files are.
    if (isDir && (statSync(p).mode & 0o1000) !== 0) return;
    const want = isDir ? '700' : '600';
    out.push(`${p} is ${mode.toString(8).padStart(4, '0')}: other local users can read merchants' keys from it; run chmod ${want} ${p}`);
  };
  check(dir, true);
  for (const suffix of ['', '-wal', '-shm']) check(path + suffix, false);
  return out;
}
