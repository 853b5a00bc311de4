/**
 * Finding a payment (issue 14 §2): by order number, payment id, buyer e-mail or amount, with status,
 * way and creation-date filters, newest first with a cursor. The same filters drive the CSV export.
 * The query schema lives here so that the list, the search and the export parse alike.
 *
 * @example
 * const q = parseSearchQuery({ q: 'anna@example.com', status: 'paid' });
 * const page = await searchPayments(storage, merchant, q);
 */
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import { canonicalAmount, formatAmount, parseAmount } from '../../protocol/money.ts';
import { PAYMENT_STATUSES, type NotificationStatus, type PaymentStatus } from '../states.ts';
import type { PaymentSearch, SearchRow } from '../storage/cabinet-storage.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant, Payment } from '../types.ts';
import { describeReason, type ReasonView } from './reason.ts';

export const MAX_SEARCH_PAGE = 100;
export const DEFAULT_SEARCH_PAGE = 20;

/** Parsed filters; times in ms since the epoch, `to` exclusive. */
export interface SearchQuery {
  q?: string | undefined;
  status?: PaymentStatus | undefined;
  way?: string | undefined;
  payFor?: string | undefined;
  id?: string | undefined;
  email?: string | undefined;
  amount?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  cursor?: number | undefined;
  limit?: number | undefined;
}

/** One row of a list or a search, as the API answers it. */
export interface PaymentListItem {
  id: string;
  number: number;
  status: PaymentStatus;
  manual: boolean;
  statusReason: string;
  /** `statusReason` as a code and its detail, for showing it in the merchant's language. */
  reason: ReasonView;
  payFor: string;
  amount: string;
  /** How much of `amount` was refunded (`0.0` when nothing). */
  refunded: string;
  ticker: string;
  way: string;
  userEmail: string;
  createdAt: string;
  paidAt: string | null;
  notificationStatus: NotificationStatus | null;
  /** The order's first paid payment, when this one paid the order again (a duplicate); else null. */
  duplicateOf: string | null;
}

const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{10,60}$/;
/** Any control character, tab and line breaks included: a search is one line. */
const hasControl = (s: string): boolean => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/** A point in time: an ISO 8601 date (midnight UTC) or date-time with an offset. */
export const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date or date-time like 2026-11-28T00:00:00+03:00' })
  .transform((s) => Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s));

const amount = z.string().refine((s) => canonicalAmount(s) !== null, 'must be an amount like 100.0');

/** The search / export query parameters (snake_case on the wire, as the list had them). */
export const searchQuerySchema = z.object({
  q: z.string().max(100, 'must be at most 100 characters').refine((s) => !hasControl(s), 'must not contain control characters').optional(),
  status: z.enum(PAYMENT_STATUSES, { error: `must be one of ${PAYMENT_STATUSES.join(', ')}` }).optional(),
  way: z.string().regex(/^[A-Za-z]{3}$/, 'must be a payment system code like CRD').transform((s) => s.toUpperCase()).optional(),
  pay_for: z.string().max(100, 'must be at most 100 characters').optional(),
  id: z.string().regex(PAYMENT_ID, 'must be a payment id like pay_…').optional(),
  email: z.string().max(255, 'must be at most 255 characters').optional(),
  amount: amount.optional(),
  from: instant.optional(),
  to: instant.optional(),
  cursor: z.string().regex(/^[1-9][0-9]{0,14}$/, 'must be the nextCursor of a previous page').transform(Number).optional(),
  limit: z.string().regex(/^[0-9]{1,3}$/, `must be a whole number from 1 to ${MAX_SEARCH_PAGE}`).transform(Number)
    .pipe(z.number().min(1, `must be from 1 to ${MAX_SEARCH_PAGE}`).max(MAX_SEARCH_PAGE, `must be from 1 to ${MAX_SEARCH_PAGE}`)).optional(),
});

/** Turns parsed wire parameters into a query; refuses `to` not after `from`. */
export function toSearchQuery(d: z.output<typeof searchQuerySchema>): SearchQuery {
  if (d.from !== undefined && d.to !== undefined && d.from >= d.to) throw new GatewayError(400, 'invalid_param', 'to: must be later than from', 'to');
  return { q: d.q?.trim() || undefined, status: d.status, way: d.way, payFor: d.pay_for, id: d.id, email: d.email, amount: d.amount, from: d.from, to: d.to, cursor: d.cursor, limit: d.limit };
}

/**
 * What one search box means: a payment id, an e-mail, else an order number — and, when it reads as
 * an amount, that amount too (order numbers are often numbers).
 */
function freeText(q: string): Partial<PaymentSearch> {
  if (PAYMENT_ID.test(q)) return { id: q };
  if (q.includes('@')) return { email: q };
  const canonical = canonicalAmount(q.replace(',', '.'));
  return { text: { payFor: q, amountMinor: canonical === null ? null : parseAmount(canonical) } };
}

/** The storage filter of a query for one merchant. */
export function storageFilter(m: Merchant, q: SearchQuery, limit: number): PaymentSearch {
  return {
    merchantLogin: m.login,
    status: q.status,
    way: q.way,
    payFor: q.payFor,
    id: q.id,
    email: q.email,
    amountMinor: q.amount !== undefined ? parseAmount(canonicalAmount(q.amount)!)! : undefined,
    ...(q.q ? freeText(q.q) : {}),
    createdFrom: q.from,
    createdTo: q.to,
    before: q.cursor,
    limit,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function listItem(p: Payment, notificationStatus: NotificationStatus | null): PaymentListItem {
  return {
    id: p.id,
    number: p.number,
    status: p.status,
    manual: p.manual,
    statusReason: p.statusReason,
    reason: describeReason(p.status, p.statusReason),
    payFor: p.payFor,
    amount: formatAmount(p.amountMinor),
    refunded: formatAmount(p.refundedMinor),
    ticker: p.wayTicker,
    way: p.way,
    userEmail: p.userEmail,
    createdAt: iso(p.createdAt),
    paidAt: p.paidAt === null ? null : iso(p.paidAt),
    notificationStatus,
    duplicateOf: p.duplicateOf ?? null,
  };
}

/** One page of the merchant's payments matching `q`, newest first, in two queries at most. */
export async function searchPayments(storage: Storage, m: Merchant, q: SearchQuery): Promise<{ payments: PaymentListItem[]; nextCursor: string | null }> {
  const limit = q.limit ?? DEFAULT_SEARCH_PAGE;
  // One more than asked tells whether there is a next page without a count.
  const rows: SearchRow[] = await storage.searchPayments(storageFilter(m, q, limit + 1));
  const page = rows.slice(0, limit);
  return {
    payments: page.map((r) => listItem(r.payment, r.notificationStatus)),
    nextCursor: rows.length > limit ? String(page.at(-1)!.payment.number) : null,
  };
}

/**
 * Every payment matching `q` (cursor and limit ignored), newest first, read in batches by the
 * payment number: memory stays constant however many there are.
 */
export async function* eachPayment(storage: Storage, m: Merchant, q: SearchQuery, batch = 500): AsyncGenerator<SearchRow> {
  let before: number | undefined;
  for (;;) {
    const rows = await storage.searchPayments({ ...storageFilter(m, { ...q, cursor: before }, batch) });
    for (const r of rows) yield r;
    if (rows.length < batch) return;
    before = rows.at(-1)!.payment.number;
  }
}
