/**
 * `npm run sbp-banks -- update [--url URL] [--out FILE]`: fetches NSPK's C2B members dictionary,
 * checks it and writes it over the committed snapshot (src/server/sbp/c2bmembers.json) with
 * today's date; the gateway serves it from its next start. Exit 0 when written, 1 when NSPK cannot
 * be reached or answers something that is not the dictionary (the snapshot is left as it was),
 * 2 for a bad command line. `npm run sbp-banks -- show`: the snapshot's version, date and size.
 */
import { readSbpBanksSnapshot, SbpBanksError, updateSbpBanks } from '../server/sbp/banks.ts';

const USAGE = 'usage: npm run sbp-banks -- update [--url https://qr.nspk.ru/proxyapp/c2bmembers.json] [--out file.json] | show [--out file.json]';

/** Runs the command; returns the exit code. `out` / `err` receive whole lines. */
export async function runSbpBanksCommand(
  argv: string[], deps: { fetch: typeof fetch; now: () => number }, out: (s: string) => void, err: (s: string) => void,
): Promise<number> {
  const [command, ...rest] = argv;
  const opts: { url?: string; out?: string } = {};
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if ((flag !== '--url' && flag !== '--out') || !value) {
      err(USAGE);
      return 2;
    }
    opts[flag.slice(2) as 'url' | 'out'] = value;
  }
  if (command === 'show' && !opts.url) {
    try {
      const s = readSbpBanksSnapshot(opts.out);
      out(`NSPK C2B members ${s.version}, ${s.dictionary.length} banks, taken ${s.retrieved} from ${s.source}`);
      return 0;
    } catch (e) {
      err(`sbp-banks: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
  }
  if (command !== 'update') {
    err(USAGE);
    return 2;
  }
  try {
    const r = await updateSbpBanks({ fetch: deps.fetch, now: deps.now, ...(opts.url ? { url: opts.url } : {}), ...(opts.out ? { path: opts.out } : {}) });
    out(`sbp-banks: ${r.banks} banks (dictionary ${r.version}) written to ${r.path}; restart the gateway to serve them`);
    return 0;
  } catch (e) {
    if (!(e instanceof SbpBanksError)) throw e;
    err(`sbp-banks: ${e.message}; the snapshot is unchanged`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runSbpBanksCommand(process.argv.slice(2), { fetch, now: Date.now }, (s) => console.log(s), (s) => console.error(s));
}
