/**
 * `npm run merchant -- <command>`: adds, updates and lists merchants in the gateway's database
 * without editing files. Uses the same configuration as the gateway (`--config` / `ONPAY_CONFIG`,
 * `DATABASE_URL`).
 *
 *   npm run merchant -- set --login shop --name "My shop" --secret K [--api-url URL] [--api-type 1|2]
 *                           [--api-method POST|GET] [--notifications on|off] [--check-link-md5 on|off]
 *                           [--origins https://a.example,https://b.example] [--api-key KEY]
 *                           [--mode test|live|default] [--fees buyer|merchant|link|default]
 *                           [--return-urls https://a.example/onpay/,https://b.example]
 *   npm run merchant -- list
 *   npm run merchant -- show --login shop
 */
import { parseArgs } from 'node:util';
import { ConfigError, merchantSchema } from '../server/config.ts';
import { hashApiKey, loadConfig, merchantFromConfig } from '../server/bootstrap.ts';
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
  mode: m.mode ?? 'default', fees: m.fees ?? 'default', returnUrls: m.returnUrls ?? [],
});

/** `--mode` / `--fees`: a value, `default` to clear it (the gateway's default applies), absent to keep it. */
const choice = (v: string | undefined, existing: string | null | undefined): string | undefined =>
  (v === undefined ? existing ?? undefined : v === 'default' ? undefined : v);

const list = (v: string | undefined, existing: string[] | undefined): string[] =>
  (v !== undefined ? v.split(',').map((s) => s.trim()).filter(Boolean) : existing ?? []);

export async function runMerchantAdmin(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      config: { type: 'string' }, login: { type: 'string' }, name: { type: 'string' }, secret: { type: 'string' },
      'api-url': { type: 'string' }, 'api-type': { type: 'string' }, 'api-method': { type: 'string' },
      notifications: { type: 'string' }, 'check-link-md5': { type: 'string' }, origins: { type: 'string' }, 'api-key': { type: 'string' },
      mode: { type: 'string' }, fees: { type: 'string' }, 'return-urls': { type: 'string' },
    },
  });
  const config = loadConfig(values.config ? ['--config', values.config] : [], env);
  const database = await openDatabase(config.database, { poolSize: config.databasePoolSize });
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
        const raw = {
          login: values.login,
          name: values.name ?? existing?.name,
          secret: values.secret ?? existing?.secret,
          notifications: onOff(values.notifications, 'notifications') ?? existing?.notifications ?? false,
          apiUrl: values['api-url'] ?? existing?.apiUrl ?? undefined,
          apiType: values['api-type'] !== undefined ? Number(values['api-type']) : existing?.apiType ?? 2,
          apiMethod: values['api-method'] ?? existing?.apiMethod ?? 'POST',
          checkLinkMd5: onOff(values['check-link-md5'], 'check-link-md5') ?? existing?.checkLinkMd5 ?? false,
          origins: list(values.origins, existing?.origins),
          mode: choice(values.mode, existing?.mode),
          fees: choice(values.fees, existing?.fees),
          returnUrls: list(values['return-urls'], existing?.returnUrls),
          ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
        };
        const r = merchantSchema.safeParse(raw);
        if (!r.success) {
          const issue = r.error.issues[0]!;
          throw new ConfigError(issue.path.join('.').replace(/([A-Z])/g, '-$1').toLowerCase(), issue.message);
        }
        const m = merchantFromConfig(r.data);
        if (!values['api-key'] && existing) m.apiKeyHash = existing.apiKeyHash;
        if (existing) m.notifyStyle = existing.notifyStyle;
        await storage.upsertMerchant(m, Date.now());
        out(`${existing ? 'updated' : 'added'} merchant ${m.login}`);
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
