/**
 * The PAY retry schedule (DESIGN.md §5): when the next attempt is due after a failed one, with
 * jitter, catching up after downtime, and `Retry-After`. Pure: the clock and randomness come in.
 */

/** Jitter is ±10 % of the gap before an attempt, but never more than this. */
export const MAX_JITTER_MS = 10 * 60_000;
const JITTER_SHARE = 0.1;

/**
 * When the attempt after `attemptsDone` attempts is due, or null when the schedule is used up.
 * Attempt k is due at `firstDueAt + scheduleS[k]` s, moved by up to ±10 % of the gap since attempt
 * k−1 (at most `MAX_JITTER_MS`). A `Retry-After` may push it later, but not past the last attempt's
 * slot.
 *
 * An attempt whose slot has already passed (the dispatchers were down, or the merchant was slow)
 * is not sent at once. The attempts still to make are spaced again from now: each comes its own gap
 * after the one before, or closer when that is what it takes to fit them all before the last slot.
 * This way a merchant that has just come back does not get the missed attempts back to back, and
 * the retries do not run out in a burst. Once the last slot has passed, there is nothing more to do.
 */
export function nextAttemptAt(o: {
  firstDueAt: number;
  attemptsDone: number;
  scheduleS: readonly number[];
  finishedAt: number;
  random: () => number;
  retryAfterMs?: number | undefined;
}): number | null {
  const k = o.attemptsDone;
  const s = o.scheduleS;
  if (k >= s.length) return null;
  const last = o.firstDueAt + s[s.length - 1]! * 1000;
  const slot = o.firstDueAt + s[k]! * 1000;
  const gapMs = k === 0 ? 0 : (s[k]! - s[k - 1]!) * 1000;
  const spread = Math.min(gapMs * JITTER_SHARE, MAX_JITTER_MS);
  let at = Math.round(slot + spread * (o.random() * 2 - 1));
  if (at < o.finishedAt) {
    if (o.finishedAt >= last) return null;
    const evenMs = (last - o.finishedAt) / (s.length - k);
    at = Math.round(o.finishedAt + Math.min(gapMs, evenMs) * (1 - JITTER_SHARE * o.random()));
  }
  if (o.retryAfterMs !== undefined) at = Math.max(at, Math.min(o.finishedAt + o.retryAfterMs, last));
  return Math.max(at, o.finishedAt);
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
