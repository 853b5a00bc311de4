/**
 * `npm run config -- check [--config file]`: validates the configuration (file, `{env}` / `{file}`
 * references, environment and `*_FILE` variables) without starting anything; exit 0, or exit 2
 * with the offending key. `npm run config -- print [--config file]`: the effective configuration as
 * JSON, secrets masked. Neither writes anything (no generated secret, no database).
 */
import { ConfigError, redactConfig } from '../server/config.ts';
import { loadConfig } from '../server/bootstrap.ts';
import { maskConfig } from '../server/config-print.ts';
import { CONNECTOR_MODULES } from '../server/providers/modules.ts';

/** Each provider type's `secretKeys` (its connector module); keys named like secrets are masked generically too. */
const secretKeysOf = (type: string): readonly string[] => CONNECTOR_MODULES.get(type)?.secretKeys ?? [];

const USAGE = 'usage: npm run config -- check|print [--config file.json]';

/** Runs the command; returns the exit code. `out` / `err` receive whole lines. */
export function runConfigCommand(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): number {
  const [command, ...rest] = argv;
  if (command !== 'check' && command !== 'print') {
    err(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfig(rest, env, undefined, { persistSecret: false });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
  if (command === 'check') {
    out(`configuration OK: ${config.merchants.length} merchant(s), ${config.ways.length} way(s), database ${config.database.startsWith('sqlite:') ? config.database : 'postgres'}`);
  } else {
    // redactConfig (the providers' own secretKeys, merchants' keys, the gateway secret), then the
    // generic names anywhere and the password in a database URL.
    out(JSON.stringify(maskConfig(redactConfig(config), secretKeysOf), null, 2));
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = runConfigCommand(process.argv.slice(2), process.env, (s) => console.log(s), (s) => console.error(s));
}
