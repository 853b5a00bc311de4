/**
 * Judging one PAY attempt (DESIGN.md §5): what a merchant's answer, or its absence, means — in the
 * Onpay API the PAY was sent in (kept with the outbox row) or in the Standard Webhooks style — and
 * the excerpt of it kept with the attempt. Pure.
 */
import type { MerchantResponse } from '../merchants/merchant-http.ts';
import { judgePay } from '../../protocol/onpay-api.ts';
import type { Merchant, NotificationRecord } from '../types.ts';
import { isBadSignatureVerdict, judgeWithGrace } from '../merchants/secret-grace.ts';
import { parseRetryAfter } from './schedule.ts';

/** At most this many characters of an answer are kept with an attempt. */
export const EXCERPT_CHARS = 500;

/** What one answer (or its absence) means, before the schedule is applied. */
export interface Judgement {
  /** `delivered`: done. `failed`: retry per schedule. `refused`: give up at once (API 1 code 3, webhook 410). */
  kind: 'delivered' | 'failed' | 'refused';
  reason: string;
  /** A `Retry-After` the merchant asked for (webhooks), in ms. */
  retryAfterMs?: number;
}

/** The text kept in an attempt's `verdict` column: `delivered`, `failed: …` or `refused: …`. */
export const verdictText = (j: Judgement): string => (j.kind === 'delivered' ? 'delivered' : `${j.kind}: ${j.reason}`);

/** Judges a merchant's answer to one PAY attempt. Pure. */
export function judgeAnswer(n: NotificationRecord, merchant: Merchant, r: MerchantResponse, now: number): Judgement {
  if (!r.ok) return { kind: 'failed', reason: r.error };
  const is2xx = r.status >= 200 && r.status <= 299;
  if (n.style === 'webhooks') {
    if (is2xx) return { kind: 'delivered', reason: `HTTP ${r.status}` };
    if (r.status === 410) return { kind: 'refused', reason: 'HTTP 410: the endpoint is gone' };
    const retryAfterMs = parseRetryAfter(r.headers?.['retry-after'], now);
    return { kind: 'failed', reason: `HTTP ${r.status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (!is2xx) return { kind: 'failed', reason: `HTTP ${r.status}` };
  if (!n.answerKey) return { kind: 'failed', reason: 'the stored request cannot be read back' };
  // During a K rotation's grace period an answer signed with the previous K is still accepted.
  const answerKey = n.answerKey;
  const v = judgeWithGrace(merchant, now, (key) => judgePay(r.body, answerKey, key), isBadSignatureVerdict);
  if (v.kind === 'delivered') return { kind: 'delivered', reason: '' };
  return { kind: v.final ? 'refused' : 'failed', reason: v.reason };
}

/** At most `EXCERPT_CHARS` of an answer, with the merchant's secret blotted out should it echo it. */
export function excerptOf(text: string, secret: string): string {
  let t = text;
  if (secret.length >= 4) t = t.split(secret).join('***');
  return t.length > EXCERPT_CHARS ? `${t.slice(0, EXCERPT_CHARS - 1)}…` : t;
}
