/**
 * K rotation with a grace period (issue 14, cabinet settings): the new K signs at once, and a
 * merchant's answer (CHECK, PAY) or payment link signed with the previous K is still accepted until
 * the grace period the merchant chose ends, so a shop can deploy its new K without refusing
 * payments in between.
 */
import type { Merchant } from '../types.ts';

/** The keys a merchant answer may be signed with at `now`: the current K, then the previous one in its grace period. */
export function verifyingSecrets(m: Merchant, now: number): string[] {
  const p = m.previousSecret;
  return p && p.until > now && p.secret !== m.secret ? [m.secret, p.secret] : [m.secret];
}

/**
 * Judges an answer with the current K and, only when that finds a bad signature, with the previous
 * K while it is in grace. `badSignature` tells the verdicts that mean "signed with another key".
 *
 * @example judgeWithGrace(m, now, (k) => judgeCheckApi2(body, d, k), (v) => v.kind === 'failed' && v.reason.startsWith('bad answer signature'))
 */
export function judgeWithGrace<V>(m: Merchant, now: number, judge: (key: string) => V, badSignature: (v: V) => boolean): V {
  const keys = verifyingSecrets(m, now);
  const first = judge(keys[0]!);
  if (keys.length === 1 || !badSignature(first)) return first;
  const second = judge(keys[1]!);
  return badSignature(second) ? first : second;
}

/** Whether a CHECK or PAY verdict says the answer's signature did not match. */
export const isBadSignatureVerdict = (v: { kind: string; reason?: string }): boolean => v.kind === 'failed' && (v.reason ?? '').startsWith('bad answer signature');
