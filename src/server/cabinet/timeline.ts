/**
 * A payment's timeline (issue 14 §2): everything that happened to it, oldest first, with times and
 * the exact bytes where they exist — created, the CHECK request and answer, each PAY written and
 * each delivery attempt, manual actions, refunds. Other sources (the provider request log and
 * provider notifications) plug in through `TimelineSource` once their storage exists.
 *
 * @example const events = await timeline(storage, payment);
 */
import { formatAmount } from '../../protocol/money.ts';
import { receiptTotalMinor } from '../../protocol/receipt.ts';
import type { Storage } from '../storage/storage.ts';
import type { Payment } from '../types.ts';

export type TimelineKind =
  | 'created' | 'check_request' | 'check_answer' | 'status' | 'pay_written' | 'pay_attempt' | 'manual' | 'paid_late'
  | 'refund' | 'receipt' | 'provider_request' | 'provider_notification';

export interface TimelineEvent {
  at: string;
  kind: TimelineKind;
  /** One line a person reads. */
  summary: string;
  /** Exact bytes, when the event is a request or an answer. */
  bytes?: { method?: string; url?: string; contentType?: string; httpStatus?: number | null; body: string };
  durationMs?: number;
  verdict?: string;
  /** The facts `summary` is made of, for the cabinet page to say them in the reader's language. */
  data?: Record<string, string | number | null>;
}

/** More events of a payment from elsewhere (refunds, the provider request log). */
export type TimelineSource = (p: Payment) => Promise<{ atMs: number; event: Omit<TimelineEvent, 'at'> }[]>;

const iso = (ms: number): string => new Date(ms).toISOString();

export async function timeline(storage: Storage, p: Payment, sources: readonly TimelineSource[] = []): Promise<TimelineEvent[]> {
  const items: { atMs: number; order: number; event: Omit<TimelineEvent, 'at'> }[] = [];
  let order = 0;
  const add = (atMs: number, event: Omit<TimelineEvent, 'at'>) => items.push({ atMs, order: order++, event });

  add(p.createdAt, { kind: 'created', summary: `created: ${formatAmount(p.priceMinor)} ${p.ticker} for order ${p.payFor}, ${formatAmount(p.amountMinor)} ${p.wayTicker} by ${p.way}`,
    data: { price: formatAmount(p.priceMinor), ticker: p.ticker, payFor: p.payFor, amount: formatAmount(p.amountMinor), wayTicker: p.wayTicker, way: p.way } });

  for (const c of await storage.checkExchangesOf(p.id)) {
    add(c.at, { kind: 'check_request', summary: `CHECK sent to ${c.url}`, data: { url: c.url }, bytes: { method: c.method, url: c.url, contentType: c.contentType, body: c.requestBody } });
    add(c.at + c.durationMs, {
      kind: 'check_answer',
      summary: c.error ? `CHECK: ${c.error}` : `CHECK answered HTTP ${c.httpStatus}`,
      data: { httpStatus: c.httpStatus, error: c.error || null },
      bytes: { httpStatus: c.httpStatus, body: c.error ? '' : c.answerBody },
      durationMs: c.durationMs,
      verdict: c.verdict,
    });
  }

  // Status changes the payment itself records (no history table: its own timestamps).
  if (p.paidAt !== null && !p.manual) add(p.paidAt, { kind: 'status', summary: 'paid', data: { status: 'paid' } });
  else if (!['created', 'checking', 'awaiting_payment', 'paid'].includes(p.status) && !p.manual) {
    add(p.updatedAt, { kind: 'status', summary: `${p.status}${p.statusReason ? `: ${p.statusReason}` : ''}`, data: { status: p.status, reason: p.statusReason } });
  }

  for (const n of await storage.notificationsOf(p.id)) {
    add(n.createdAt, {
      kind: 'pay_written',
      summary: `PAY written for ${n.url} (${n.style === 'webhooks' ? 'Standard Webhooks' : n.contentType})`,
      data: { url: n.url, format: n.style === 'webhooks' ? 'Standard Webhooks' : n.contentType },
      bytes: { method: n.method, url: n.url, contentType: n.contentType, body: n.body },
    });
    for (const a of await storage.attemptsOf(n.id)) {
      add(a.startedAt, {
        kind: 'pay_attempt',
        summary: a.httpStatus === null ? `PAY attempt: no answer` : `PAY attempt: HTTP ${a.httpStatus}`,
        data: { httpStatus: a.httpStatus },
        bytes: { httpStatus: a.httpStatus, body: a.excerpt },
        durationMs: a.durationMs,
        verdict: a.verdict,
      });
    }
  }

  for (const a of await storage.auditOf(p.id)) {
    // Late money (issue 22) is the provider's report, not a person's act: its own kind.
    add(a.at, { kind: a.action === 'paid_late' ? 'paid_late' : 'manual', summary: `${a.action} by ${a.actor}: ${a.fromStatus}${a.fromStatus === a.toStatus ? '' : ` → ${a.toStatus}`}${a.reason ? ` (${a.reason})` : ''}`,
      data: { action: a.action, actor: a.actor, from: a.fromStatus, to: a.toStatus, reason: a.reason } });
  }

  for (const r of await storage.refundsOf(p.id)) {
    add(r.createdAt, {
      kind: 'refund',
      summary: `refund of ${formatAmount(r.amountMinor)} ${r.ticker} by ${r.actor || p.merchantLogin}: ${r.reason}`,
      data: { amount: formatAmount(r.amountMinor), ticker: r.ticker, actor: r.actor || p.merchantLogin, reason: r.reason, status: r.status, failureReason: r.failureReason ?? null },
      verdict: r.status === 'failed' ? `failed: ${r.failureReason ?? ''}` : r.status,
      ...(r.providerRefundId ? { bytes: { body: `provider refund id ${r.providerRefundId}` } } : {}),
    });
  }

  // Fiscal receipts (issue 24): each with its registration status and the provider's reason.
  for (const r of await storage.receiptsOf(p.id)) {
    const total = receiptTotalMinor(r.receipt);
    add(r.createdAt, {
      kind: 'receipt',
      summary: `${r.kind} receipt of ${formatAmount(total)} RUR, ${r.receipt.items.length} line${r.receipt.items.length === 1 ? '' : 's'}`,
      data: { receiptKind: r.kind, amount: formatAmount(total), lines: r.receipt.items.length, status: r.status, failureReason: r.reason ?? null },
      verdict: r.status === 'failed' ? `failed: ${r.reason ?? ''}` : r.status,
      bytes: { contentType: 'application/json', body: JSON.stringify(r.receipt) },
    });
  }

  for (const source of sources) for (const x of await source(p)) add(x.atMs, x.event);

  items.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  return items.map((i) => ({ at: iso(i.atMs), ...i.event }));
}

/** The timeline of a payment known by id (the caller has checked it is the merchant's). */
export async function timelineOf(storage: Storage, paymentId: string, sources: readonly TimelineSource[] = []): Promise<TimelineEvent[]> {
  const p = await storage.getPayment(paymentId);
  return p ? timeline(storage, p, sources) : [];
}
