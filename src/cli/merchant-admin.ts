/**
 * `npm run merchant -- <command>`: adds, updates and lists merchants in the gateway's database
 * without editing files. Uses the same configuration as the gateway (`--config` / `ONPAY_CONFIG`,
 * `DATABASE_URL`).
 *
 *   npm run merchant -- set --login shop --name "My shop" --secret-file K.txt [--api-url URL] [--api-type 1|2]
 *                           (--name '{"ru":"Мой магазин","kk":"Менің дүкенім"}' names it per language)
 *                           [--api-method POST|GET] [--notifications on|off] [--check-link-md5 on|off]
 *                           [--origins https://a.example,https://b.example] [--api-key-file KEY.txt]
 *                           [--mode test|live|default] [--fees buyer|merchant|link|default]
 *                           [--return-urls https://a.example/onpay/,https://b.example] [--allow-short-secret] [--duplicates flag|refund|default]
 *                           [--receipts '{"enabled":true,"taxation":"usn_income","vat":"none"}'|off]
 *                           [--capture auto|manual|default] [--hold-expiry void|capture|default]
 *
 * Secrets (the key K and the cabinet key), from the safest: `--secret-file PATH` / `--api-key-file
 * PATH`; `--secret -` / `--api-key -` read standard input (one of them); the environment variables
 * ONPAY_MERCHANT_SECRET / ONPAY_MERCHANT_API_KEY; `--secret K` / `--api-key KEY` still work but
 * warn: a value on the command line is visible to every user in `ps` and stays in shell history.
 * `--check-link-md5` is on for a new merchant unless turned off. A new K has at least 16 characters
 * unless `--allow-short-secret` (a shop moving from Onpay keeps the K its module holds).
 *   npm run merchant -- list
 *   npm run merchant -- show --login shop
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { merchantWarnings } from '../server/merchants/merchant-warnings.ts';
import { ConfigError, merchantSchema, MIN_SECRET_LENGTH } from '../server/config.ts';
import { loadConfig, merchantFromConfig } from '../server/bootstrap.ts';
import { hashApiKey } from '../server/token.ts';
import { openDatabase } from '../server/storage/db.ts';
import { createStorage } from '../server/storage/storage.ts';
import type { Merchant } from '../server/types.ts';

const onOff = (v: string | undefined, key: string): boolean | undefined => {
  if (v === undefined) return undefined;
  if (['on', 'true', 'yes', '1'].includes(v)) return true;
  if (['off', 'false', 'no', '0'].includes(v)) return false;
  throw new ConfigError(key, 'must be on or off');
};

/** What is safe to print about a merchant: never the secret or the key. */
const publicView = (m: Merchant) => ({
  login: m.login, name: m.name, notifications: m.notifications, apiUrl: m.apiUrl, apiType: m.apiType, apiMethod: m.apiMethod,
  notifyStyle: m.notifyStyle, checkLinkMd5: m.checkLinkMd5, origins: m.origins, cabinetKey: m.apiKeyHash ? 'set' : 'not set',
  mode: m.mode ?? 'default', fees: m.fees ?? 'default', returnUrls: m.returnUrls ?? [], duplicates: m.duplicates ?? 'default', receipts: m.receipts ?? 'off',
  capture: m.capture ?? 'default', holdExpiry: m.holdExpiry ?? 'default',
});

/** `--name`: one string, or per language as a JSON object (`{"ru": …, "kk": …}`); absent keeps it. */
function nameOption(v: string | undefined, existing: Merchant['name'] | undefined): unknown {
  if (v === undefined) return existing;
  if (!v.trimStart().startsWith('{')) return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new ConfigError('name', 'a name starting with "{" is read as JSON: {"ru": "…", "kk": "…"}');
  }
}

/** `--receipts`: the settings as JSON, `off` to clear them, absent to keep them. */
function receiptsOption(v: string | undefined, existing: Merchant['receipts']): unknown {
  if (v === undefined) return existing ?? undefined;
  if (v === 'off') return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new ConfigError('receipts', 'must be the receipt settings as JSON ({"enabled":true,"taxation":"usn_income","vat":"none",…}) or off');
  }
}

/** `--mode` / `--fees` / `--duplicates`: a value, `default` to clear it (the gateway's default applies), absent to keep it. */
const choice = (v: string | undefined, existing: string | null | undefined): string | undefined =>
  (v === undefined ? existing ?? undefined : v === 'default' ? undefined : v);

const list = (v: string | undefined, existing: string[] | undefined): string[] =>
  (v !== undefined ? v.split(',').map((s) => s.trim()).filter(Boolean) : existing ?? []);

/** Where the command reads secrets from and says warnings (injected by tests). */
export interface AdminIo {
  warn?: (s: string) => void;
  readStdin?: () => Promise<string>;
  readFile?: (path: string) => string;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One secret from its sources: `--<name>-file`, `--<name> -` (standard input), the environment
 * variable, or `--<name> VALUE` (with a warning). At most one source; a trailing newline is dropped.
 */
async function secretOption(name: string, literal: string | undefined, file: string | undefined, envValue: string | undefined, envName: string, io: Required<AdminIo>): Promise<string | undefined> {
  if (literal !== undefined && file !== undefined) throw new ConfigError(name, `give either --${name} or --${name}-file, not both`);
  const trim = (s: string) => s.replace(/\r?\n$/, '');
  if (file !== undefined) {
    try {
      return trim(io.readFile(file));
    } catch {
      throw new ConfigError(`${name}-file`, `cannot read ${file}`);
    }
  }
  if (literal === '-') return trim(await io.readStdin());
  if (literal !== undefined) {
    io.warn(`merchant: warning: --${name} on the command line is visible in ps and shell history; prefer --${name}-file PATH, --${name} - (standard input) or ${envName}`);
    return literal;
  }
  return envValue === undefined || envValue === '' ? undefined : envValue;
}

export async function runMerchantAdmin(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, ioIn: AdminIo = {}): Promise<number> {
  const io: Required<AdminIo> = {
    warn: ioIn.warn ?? ((s) => console.error(s)),
    readStdin: ioIn.readStdin ?? readAllStdin,
    readFile: ioIn.readFile ?? ((p) => readFileSync(p, 'utf8')),
  };
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      config: { type: 'string' }, login: { type: 'string' }, name: { type: 'string' }, secret: { type: 'string' },
      'api-url': { type: 'string' }, 'api-type': { type: 'string' }, 'api-method': { type: 'string' },
      notifications: { type: 'string' }, 'check-link-md5': { type: 'string' }, origins: { type: 'string' }, 'api-key': { type: 'string' },
      mode: { type: 'string' }, fees: { type: 'string' }, 'return-urls': { type: 'string' }, duplicates: { type: 'string' }, receipts: { type: 'string' },
      capture: { type: 'string' }, 'hold-expiry': { type: 'string' },
      'secret-file': { type: 'string' }, 'api-key-file': { type: 'string' }, 'allow-short-secret': { type: 'boolean' },
    },
  });
  if (values.secret === '-' && values['api-key'] === '-') throw new ConfigError('api-key', 'only one of --secret and --api-key can read standard input');
  const config = loadConfig(values.config ? ['--config', values.config] : [], env);
  const database = await openDatabase(config.database, { poolSize: config.databasePoolSize, busyMs: config.storageBusyMs });
  const storage = createStorage(database.db, database.dialect);
  try {
    switch (command) {
      case 'list': {
        for (const m of await storage.listMerchants()) out(JSON.stringify(publicView(m)));
        return 0;
      }
      case 'show': {
        const m = values.login ? await storage.getMerchant(values.login) : undefined;
        if (!m) throw new ConfigError('login', 'no such merchant');
        out(JSON.stringify(publicView(m), null, 2));
        return 0;
      }
      case 'set': {
        if (!values.login) throw new ConfigError('login', 'required');
        const existing = await storage.getMerchant(values.login);
        const secret = await secretOption('secret', values.secret, values['secret-file'], env.ONPAY_MERCHANT_SECRET, 'ONPAY_MERCHANT_SECRET', io);
        // A new K is long enough unless the operator keeps a short one on purpose (a module moving
        // from Onpay holds its K already); merchants keeping an old short K are only warned.
        if (secret !== undefined && secret.length < MIN_SECRET_LENGTH && !values['allow-short-secret']) {
          throw new ConfigError('secret', `at least ${MIN_SECRET_LENGTH} characters (a short K can be found from one signed link); --allow-short-secret keeps a shorter one, e.g. the K a module moving from Onpay already holds`);
        }
        const apiKey = await secretOption('api-key', values['api-key'], values['api-key-file'], env.ONPAY_MERCHANT_API_KEY, 'ONPAY_MERCHANT_API_KEY', io);
        const raw = {
          login: values.login,
          name: nameOption(values.name, existing?.name),
          secret: secret ?? existing?.secret,
          notifications: onOff(values.notifications, 'notifications') ?? existing?.notifications ?? false,
          apiUrl: values['api-url'] ?? existing?.apiUrl ?? undefined,
          apiType: values['api-type'] !== undefined ? Number(values['api-type']) : existing?.apiType ?? 2,
          apiMethod: values['api-method'] ?? existing?.apiMethod ?? 'POST',
          checkLinkMd5: onOff(values['check-link-md5'], 'check-link-md5') ?? existing?.checkLinkMd5 ?? true,
          origins: list(values.origins, existing?.origins),
          mode: choice(values.mode, existing?.mode),
          fees: choice(values.fees, existing?.fees),
          returnUrls: list(values['return-urls'], existing?.returnUrls),
          duplicates: choice(values.duplicates, existing?.duplicates),
          receipts: receiptsOption(values.receipts, existing?.receipts),
          // Holds (issue 25): kept unless given, as every other setting.
          capture: choice(values.capture, existing?.capture),
          holdExpiry: choice(values['hold-expiry'], existing?.holdExpiry),
          ...(apiKey ? { apiKey } : {}),
        };
        const r = merchantSchema.safeParse(raw);
        if (!r.success) {
          const issue = r.error.issues[0]!;
          throw new ConfigError(issue.path.join('.').replace(/([A-Z])/g, '-$1').toLowerCase(), issue.message);
        }
        const m = merchantFromConfig(r.data);
        if (!apiKey && existing) m.apiKeyHash = existing.apiKeyHash;
        if (existing) m.notifyStyle = existing.notifyStyle;
        // An operator's explicit change: it wins over what the merchant set in the cabinet.
        await storage.upsertMerchant(m, Date.now(), { operator: true });
        out(`${existing ? 'updated' : 'added'} merchant ${m.login}`);
        for (const w of merchantWarnings(m)) io.warn(`merchant: warning: ${m.login}: ${w.message}`);
        return 0;
      }
      default:
        throw new ConfigError('command', 'use set, list or show');
    }
  } finally {
    await database.close();
  }
}

export { hashApiKey };

if (import.meta.url === `file://${process.argv[1]}`) {
  runMerchantAdmin(process.argv.slice(2), process.env, (s) => console.log(s)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof ConfigError ? e.message.replace(/^configuration: /, 'merchant: ') : `merchant: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
