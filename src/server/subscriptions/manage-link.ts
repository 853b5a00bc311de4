/**
 * The signed link a shop sends its customer to see and cancel a subscription without an account
 * (issue 26 item 4): `{publicUrl}/subscriptions/{id}/manage?exp={unix seconds}&ln={language}&sig=…`,
 * where `sig` is HMAC-SHA256 under the gateway's secret of the subscription and the expiry (hex).
 * The language is not signed: it only chooses the page's words. Compared in constant time.
 */
import { hmacHex } from '../token.ts';
import { safeEqualHex } from '../../protocol/onpay-api.ts';

/** How long a link lasts when the shop does not say, and at most. */
export const MANAGE_LINK_DEFAULT_DAYS = 30;
export const MANAGE_LINK_MAX_DAYS = 90;

const signed = (secret: string, id: string, expS: number): string => hmacHex(secret, `subscription-manage\u0000${id}\u0000${expS}`);

/** The link's query: expiry, language and signature. */
export function manageLinkQuery(secret: string, id: string, expS: number, ln: string): string {
  return new URLSearchParams({ exp: String(expS), ln, sig: signed(secret, id, expS) }).toString();
}

/** Why a link does not open the page, or null when it does. */
export function manageLinkProblem(secret: string, id: string, exp: string | undefined, sig: string | undefined, nowMs: number): 'invalid' | 'expired' | null {
  if (!exp || !/^[0-9]{1,12}$/.test(exp) || !sig || !/^[0-9a-f]{64}$/.test(sig)) return 'invalid';
  if (!safeEqualHex(sig, signed(secret, id, Number(exp)))) return 'invalid';
  return Number(exp) * 1000 <= nowMs ? 'expired' : null;
}
