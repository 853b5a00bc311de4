/**
 * Per-merchant rules that harden the gateway before real money (issue 12): test or live mode, the
 * fee policy, and the return URLs a link may name. Pure functions over a merchant and the gateway's
 * configuration; the service and the routes call them, so each rule is written once.
 */
import { GatewayError } from '../errors.ts';
import type { FeePolicy, Merchant, MerchantMode } from '../types.ts';

/**
 * The merchant's mode: its own `mode`, else `test` while the gateway's `sandbox` is on and `live`
 * otherwise. Only test merchants may use the sandbox payment systems.
 * @example merchantMode({ ...m, mode: null }, true) // 'test'
 */
export function merchantMode(m: Pick<Merchant, 'mode'>, sandbox: boolean): MerchantMode {
  return m.mode ?? (sandbox ? 'test' : 'live');
}

/**
 * The fee policy in force: the merchant's `fees`, else `link` (the link's `price_final` decides)
 * for a merchant that does not sign its links, and `buyer` for one that does — `price_final` is not
 * covered by the link md5, so a signing merchant's unsigned parameter counts only when it chose
 * `link` itself.
 */
export function feePolicy(m: Pick<Merchant, 'fees' | 'checkLinkMd5'>): FeePolicy {
  return m.fees ?? (m.checkLinkMd5 ? 'buyer' : 'link');
}

/** Whether the merchant pays the fees (`price_final`), given the link's own `price_final`. */
export function merchantPaysFees(m: Pick<Merchant, 'fees' | 'checkLinkMd5'>, linkPriceFinal: boolean): boolean {
  const policy = feePolicy(m);
  return policy === 'link' ? linkPriceFinal : policy === 'merchant';
}

/**
 * Whether `url` is on one allowed entry: an origin (`https://shop.example`) allows every URL of
 * that origin; an entry with a path (`https://shop.example/onpay/`) allows that path and what is
 * below it, at a segment boundary (`/onpay` allows `/onpay` and `/onpay/ok`, never `/onpayx`).
 */
export function returnUrlAllowed(url: string, allowed: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    let e: URL;
    try {
      e = new URL(entry);
    } catch {
      return false;
    }
    if (u.origin !== e.origin) return false;
    if (e.pathname === '/' || e.pathname === '') return true;
    const base = e.pathname.endsWith('/') ? e.pathname : `${e.pathname}/`;
    return u.pathname === e.pathname.replace(/\/$/, '') || u.pathname.startsWith(base);
  });
}

/** The list return URLs are held to: `returnUrls` when set, else `origins`; empty: any URL (today's behaviour). */
export const returnUrlList = (m: Pick<Merchant, 'returnUrls' | 'origins'>): readonly string[] =>
  (m.returnUrls && m.returnUrls.length > 0 ? m.returnUrls : m.origins);

/**
 * Refuses, naming the field as the link gave it (`url_success` or `url_success_enc`), a return URL
 * that is not on the merchant's `returnUrls` (or `origins`). A merchant with neither accepts any.
 */
export function checkReturnUrls(m: Pick<Merchant, 'returnUrls' | 'origins'>, urls: { value: string; field: string }[]): void {
  const allowed = returnUrlList(m);
  if (allowed.length === 0) return;
  for (const { value, field } of urls) {
    if (value === '' || returnUrlAllowed(value, allowed)) continue;
    throw new GatewayError(400, 'invalid_param', `${field}: not one of this merchant's return URLs (${allowed.join(', ').slice(0, 300)})`, field);
  }
}

/** Whether a public URL is reached only from this machine: `localhost`, `*.localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackUrl(publicUrl: string): boolean {
  let host: string;
  try {
    host = new URL(publicUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]';
}

/**
 * The start's warning when the sandbox is on and the gateway is reachable from elsewhere: anyone
 * who can open a test merchant's payment can mark it paid through the sandbox. Null when there is
 * nothing to warn about.
 */
export function sandboxExposureWarning(config: { sandbox: boolean; publicUrl: string }, merchants: readonly Merchant[]): string | null {
  if (!config.sandbox || isLoopbackUrl(config.publicUrl)) return null;
  const test = merchants.filter((m) => merchantMode(m, config.sandbox) === 'test').map((m) => m.login);
  return `warning: the sandbox is on and the public URL ${config.publicUrl} is not loopback: buyers can mark test merchants' payments paid through the sandbox. `
    + `Test merchants: ${test.length ? test.join(', ') : '(none)'}. Set "sandbox": false, or give real merchants "mode": "live".`;
}
