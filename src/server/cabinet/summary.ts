/**
 * The cabinet's overview (issue 14 §1): money credited per day and currency, payments by status,
 * the conversion from created to paid with CHECK refusals and failures apart, PAY delivery health,
 * and what needs a person. Every figure is one SQL aggregate over an index of 0007_cabinet.
 *
 * @example
 * const o = await overview(storage, merchant, { from: Date.parse('2026-11-01'), to: Date.parse('2026-12-01'), offsetMinutes: 180 });
 */
import { GatewayError } from '../errors.ts';
import { formatAmount } from '../../protocol/money.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant } from '../types.ts';
import { describeReason, type ReasonView } from './reason.ts';

export const DAY_MS = 86_400_000;
/** The longest period one overview covers. */
export const MAX_OVERVIEW_DAYS = 366;
export const DEFAULT_OVERVIEW_DAYS = 30;
const ATTENTION_LIMIT = 20;

export interface OverviewQuery {
  from: number;
  to: number;
  /** The viewer's offset from UTC: days start at their local midnight. */
  offsetMinutes: number;
}

export interface Overview {
  from: string;
  to: string;
  offsetMinutes: number;
  /** Money credited to the merchant, by the day it was paid: one series per currency, a value per day (`"0.0"` when none). */
  turnover: {
    days: string[];
    series: { ticker: string; amounts: string[]; counts: number[] }[];
    totals: { ticker: string; amount: string; count: number }[];
  };
  /** Payments created in the period, by status (every status present, zero when none). */
  statuses: Record<string, number>;
  conversion: {
    created: number;
    paid: number;
    /** paid / created, as a decimal text with 4 digits (`"0.6250"`); null with nothing created. */
    rate: string | null;
    checkDeclined: number;
    checkFailed: number;
    /** Payments that paid an order already paid (`duplicateOf`). */
    duplicates: number;
    failed: number;
    expired: number;
    waiting: number;
  };
  delivery: {
    pending: number;
    retrying: number;
    gaveUp: number;
    lastError: { at: string; paymentId: string; verdict: string; excerpt: string; httpStatus: number | null } | null;
  };
  /** `reason`: a provider failure's status reason as a code and its detail, for the page's language. */
  attention: { kind: 'duplicate' | 'gave_up' | 'amount_mismatch' | 'provider_failed' | 'receipt_failed' | 'hold_expiring'; paymentId: string; number: number; payFor: string; at: string; text: string; reason?: ReasonView }[];
}

const STATUS_KEYS = ['created', 'checking', 'awaiting_payment', 'paid', 'rejected', 'failed', 'expired', 'partially_refunded', 'refunded', 'authorized', 'partially_captured', 'voided'];
const PAID_LIKE = ['paid', 'partially_refunded', 'refunded', 'partially_captured'];

/** The default period: the last 30 local days including today. */
export function defaultPeriod(now: number, offsetMinutes: number): { from: number; to: number } {
  const off = offsetMinutes * 60_000;
  const todayStart = Math.floor((now + off) / DAY_MS) * DAY_MS - off;
  return { from: todayStart - (DEFAULT_OVERVIEW_DAYS - 1) * DAY_MS, to: todayStart + DAY_MS };
}

/** `YYYY-MM-DD` of a day index (days since the epoch in the viewer's offset). */
const dayName = (index: number): string => new Date(index * DAY_MS).toISOString().slice(0, 10);

/** paid / created with 4 decimals, exactly, without floats. */
function ratio(paid: number, created: number): string | null {
  if (created === 0) return null;
  const scaled = (BigInt(paid) * 10_000n) / BigInt(created);
  return `${scaled / 10_000n}.${(scaled % 10_000n).toString().padStart(4, '0')}`;
}

export async function overview(storage: Storage, m: Merchant, q: OverviewQuery, now?: number): Promise<Overview> {
  if (q.to <= q.from) throw new GatewayError(400, 'invalid_param', 'to: must be later than from', 'to');
  if (q.to - q.from > MAX_OVERVIEW_DAYS * DAY_MS) throw new GatewayError(400, 'invalid_param', `to: the period is at most ${MAX_OVERVIEW_DAYS} days`, 'to');
  const offsetMs = q.offsetMinutes * 60_000;
  const [figures, health, attention] = await Promise.all([
    storage.overviewFigures(m.login, q.from, q.to, offsetMs),
    storage.deliveryHealth(m.login),
    storage.attention(m.login, ATTENTION_LIMIT, now),
  ]);

  const firstDay = Math.floor((q.from + offsetMs) / DAY_MS);
  const lastDay = Math.floor((q.to - 1 + offsetMs) / DAY_MS);
  const days: string[] = [];
  for (let d = firstDay; d <= lastDay; d++) days.push(dayName(d));
  const tickers = [...new Set(figures.turnover.map((r) => r.ticker))].sort();
  const series = tickers.map((ticker) => {
    const amounts = days.map(() => 0n);
    const counts = days.map(() => 0);
    for (const r of figures.turnover) {
      if (r.ticker !== ticker || r.dayIndex < firstDay || r.dayIndex > lastDay) continue;
      amounts[r.dayIndex - firstDay]! += r.amountMinor;
      counts[r.dayIndex - firstDay]! += r.count;
    }
    return { ticker, amounts, counts };
  });

  const statuses: Record<string, number> = Object.fromEntries(STATUS_KEYS.map((s) => [s, figures.statuses[s] ?? 0]));
  const created = Object.values(figures.statuses).reduce((a, b) => a + b, 0);
  const paid = PAID_LIKE.reduce((a, s) => a + (figures.statuses[s] ?? 0), 0);

  return {
    from: new Date(q.from).toISOString(),
    to: new Date(q.to).toISOString(),
    offsetMinutes: q.offsetMinutes,
    turnover: {
      days,
      series: series.map((s) => ({ ticker: s.ticker, amounts: s.amounts.map(formatAmount), counts: s.counts })),
      totals: series.map((s) => ({ ticker: s.ticker, amount: formatAmount(s.amounts.reduce((a, b) => a + b, 0n)), count: s.counts.reduce((a, b) => a + b, 0) })),
    },
    statuses,
    conversion: {
      created,
      paid,
      rate: ratio(paid, created),
      checkDeclined: figures.checkDeclined,
      checkFailed: figures.checkFailed,
      duplicates: figures.duplicates,
      failed: statuses.failed ?? 0,
      expired: statuses.expired ?? 0,
      waiting: (statuses.created ?? 0) + (statuses.checking ?? 0) + (statuses.awaiting_payment ?? 0),
    },
    delivery: {
      pending: health.pending,
      retrying: health.retrying,
      gaveUp: health.gaveUp,
      lastError: health.lastError && { ...health.lastError, at: new Date(health.lastError.at).toISOString() },
    },
    attention: attention.map((a) => ({ ...a, at: new Date(a.at).toISOString(), ...(a.kind === 'provider_failed' ? { reason: describeReason('failed', a.text) } : {}) })),
  };
}
