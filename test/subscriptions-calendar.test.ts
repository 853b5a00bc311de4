/** The subscriptions' calendar: months keep their day (clamped to a shorter month), years too, days and weeks are fixed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addIntervals, periodDueAt, retryDueAt } from '../src/server/subscriptions/calendar.ts';

const d = (s: string) => Date.parse(s);
const day = 86_400_000;

test('31 January → 28 February → 31 March → 30 April, and 29 February in a leap year', () => {
  const anchor = d('2027-01-31T09:30:00.000Z');
  const s = { interval: 'month' as const, every: 1, anchorPeriod: 1, anchorAt: anchor };
  assert.deepEqual([1, 2, 3, 4].map((p) => new Date(periodDueAt(s, p)).toISOString()), [
    '2027-01-31T09:30:00.000Z', '2027-02-28T09:30:00.000Z', '2027-03-31T09:30:00.000Z', '2027-04-30T09:30:00.000Z',
  ]);
  assert.equal(new Date(addIntervals(d('2028-01-31T00:00:00Z'), 'month', 1)).toISOString(), '2028-02-29T00:00:00.000Z');
  assert.equal(new Date(addIntervals(d('2028-02-29T00:00:00Z'), 'year', 1)).toISOString(), '2029-02-28T00:00:00.000Z');
  assert.equal(new Date(addIntervals(d('2027-11-15T00:00:00Z'), 'month', 3)).toISOString(), '2028-02-15T00:00:00.000Z');
});

test('every N intervals, and a moved anchor counts later periods from itself', () => {
  const s = { interval: 'week' as const, every: 2, anchorPeriod: 3, anchorAt: d('2027-03-01T00:00:00Z') };
  assert.equal(periodDueAt(s, 3), d('2027-03-01T00:00:00Z'));
  assert.equal(periodDueAt(s, 4), d('2027-03-15T00:00:00Z'));
  assert.equal(addIntervals(0, 'day', 3), 3 * day);
});

test('the dunning schedule: days after the period\'s date, then none', () => {
  assert.deepEqual([1, 2, 3, 4].map((a) => retryDueAt(1000, [1, 3, 5], a)), [1000 + day, 1000 + 3 * day, 1000 + 5 * day, null]);
  assert.equal(retryDueAt(1000, [], 1), null);
});

test('monthly dates always ascend and never move off the anchor\'s day except to a shorter month\'s last day', () => {
  fc.assert(fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) }), fc.integer({ min: 1, max: 40 }), (anchor, n) => {
    const a = addIntervals(anchor, 'month', n);
    const b = addIntervals(anchor, 'month', n + 1);
    assert.ok(b > a);
    const want = new Date(anchor).getUTCDate();
    const got = new Date(a).getUTCDate();
    const last = new Date(Date.UTC(new Date(a).getUTCFullYear(), new Date(a).getUTCMonth() + 1, 0)).getUTCDate();
    assert.equal(got, Math.min(want, last));
    assert.equal(a % day, anchor % day, 'the time of day is kept');
  }));
});
