/**
 * `npm run backup -- --to <file> [--config gateway.json]`: an online copy of the running gateway's
 * SQLite database. `npm run restore -- --from <file> [--config gateway.json]`: puts a backup in
 * place, refusing while a gateway or worker has the database open. The database is the
 * configuration's (`database`, `DATABASE_URL`); exit 2 on a refusal, with the reason.
 */
import { ConfigError } from '../server/config.ts';
import { loadConfig } from '../server/bootstrap.ts';
import { backupDatabase, BackupError, restoreDatabase, sqlitePath } from '../server/storage/backup.ts';

const option = (argv: string[], name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

/** Runs `backup` or `restore`; returns the exit code. */
export async function runBackupCommand(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const database = sqlitePath(loadConfig(rest, env, undefined, { persistSecret: false }).database);
    if (command === 'backup') {
      const to = option(rest, '--to');
      if (!to) throw new ConfigError('--to', 'the backup file to write is required');
      const r = await backupDatabase(database, to);
      out(`backup of ${database} written to ${to}: ${r.pages} pages in ${r.ms} ms, integrity ok`);
      return 0;
    }
    if (command === 'restore') {
      const from = option(rest, '--from');
      if (!from) throw new ConfigError('--from', 'the backup file to restore is required');
      const r = restoreDatabase(from, database);
      out(`${from} restored to ${database}${r.keptAs ? ` (the previous database kept as ${r.keptAs})` : ''}`);
      return 0;
    }
    err('usage: npm run backup -- --to file | npm run restore -- --from file   [--config gateway.json]');
    return 2;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof BackupError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runBackupCommand(process.argv.slice(2), process.env, (s) => console.log(s), (s) => console.error(s)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { console.error(`failed: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; },
  );
}
