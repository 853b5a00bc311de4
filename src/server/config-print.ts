/**
 * The effective configuration for `npm run config -- print`, with every secret masked: merchants'
 * `secret` and `apiKey`, the gateway `secret`, each provider's `secretKeys` (from its connector
 * module), any key named like a password, secret, token or API key anywhere, and the password in a
 * database URL.
 */
import type { GatewayConfig } from './config.ts';

export const MASK = '***';

/** Key names that are secrets wherever they appear (case-insensitive). */
export const GENERIC_SECRET_KEY = /^(password|passwd|secret|secretkey|apisecret|apikey|token|accesstoken|refreshtoken|privatekey|clientsecret|webhooksecret|signingsecret)$/i;

/** A database URL without its password (`postgres://user:********@host/db`). */
export function maskDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = MASK;
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|key/i.test(k)) u.searchParams.set(k, MASK);
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

function maskDeep(value: unknown, extra: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, extra));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k,
    (GENERIC_SECRET_KEY.test(k) || extra.has(k)) && v !== undefined && v !== null ? MASK : maskDeep(v, extra)]));
}

/**
 * A copy of `config` safe to print. `secretKeysOf(type)` gives a provider type's `secretKeys`
 * (ConnectorModule), applied to each entry of `providers` with that `type`.
 * @example console.log(JSON.stringify(maskConfig(config), null, 2));
 */
export function maskConfig(config: GatewayConfig | Record<string, unknown>, secretKeysOf: (type: string) => readonly string[] = () => []): Record<string, unknown> {
  const c = { ...(config as Record<string, unknown>) };
  if (typeof c.database === 'string') c.database = maskDatabaseUrl(c.database);
  if (Array.isArray(c.providers)) {
    c.providers = c.providers.map((p: unknown) => {
      if (typeof p !== 'object' || p === null) return p;
      const entry = p as Record<string, unknown>;
      return maskDeep(entry, new Set(typeof entry.type === 'string' ? secretKeysOf(entry.type) : []));
    });
  }
  delete c.publicUrlFromPort;
  return maskDeep(c, new Set()) as Record<string, unknown>;
}
