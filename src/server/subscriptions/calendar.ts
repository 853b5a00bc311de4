/**
 * A subscription's calendar (issue 26 item 4): when each period is due. Pure. Dates are counted in
 * UTC from an anchor (the start, or the date a PATCH moved the next charge to), never from the
 * previous period, so a month keeps its day: 31 January → 28 (29) February → 31 March → 30 April.
 * The time of day is the anchor's.
 */
import type { SubscriptionInterval } from '../types.ts';

const DAY_MS = 86_400_000;

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/**
 * `at` moved on by `n` intervals. Days and weeks are fixed lengths (UTC has no daylight saving);
 * months and years keep the day of the month, or take the month's last day when it is shorter.
 * @example addIntervals(Date.UTC(2027, 0, 31), 'month', 1) === Date.UTC(2027, 1, 28)
 */
export function addIntervals(at: number, interval: SubscriptionInterval, n: number): number {
  switch (interval) {
    case 'day':
      return at + n * DAY_MS;
    case 'week':
      return at + n * 7 * DAY_MS;
    case 'month':
    case 'year': {
      const months = interval === 'year' ? n * 12 : n;
      const d = new Date(at);
      const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
      const year = Math.floor(total / 12);
      const month = total - year * 12;
      const day = Math.min(d.getUTCDate(), daysInMonth(year, month));
      return Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
    }
  }
}

/** When `period` (1-based) is due, counted from the anchor period's date. */
export const periodDueAt = (s: { interval: SubscriptionInterval; every: number; anchorPeriod: number; anchorAt: number }, period: number): number =>
  addIntervals(s.anchorAt, s.interval, s.every * (period - s.anchorPeriod));

/** When the `attempt`-th retry (1-based) of a period due at `dueAt` is due, by the dunning schedule in days; null: no retries left. */
export const retryDueAt = (dueAt: number, scheduleDays: readonly number[], attempt: number): number | null =>
  attempt >= 1 && attempt <= scheduleDays.length ? dueAt + scheduleDays[attempt - 1]! * DAY_MS : null;

/** The dunning schedule when the merchant sets none: 1, 3 and 5 days after the period's date. */
export const DEFAULT_RETRY_DAYS: readonly number[] = [1, 3, 5];
