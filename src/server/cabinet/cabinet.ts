/**
 * The merchant's cabinet (DESIGN.md §3): list and inspect one's own payments with their PAY
 * notifications and attempts, settle a payment by hand (audited: who, when, why), and resend a PAY.
 * Routes parse the input; this module decides. It reaches the world only through injected storage
 * and clock, and never sends anything itself: a resend is a new outbox row the dispatcher delivers.
 *
 * @example
 * const cabinet = createCabinet({ storage, now: Date.now });
 * const merchant = await cabinet.authenticate(request.headers.get('authorization') ?? undefined);
 * const page = await cabinet.list(merchant, { limit: 20 });
 */
import { hashApiKey } from '../token.ts';
import { GatewayError } from '../errors.ts';
import { formatAmount } from '../../protocol/money.ts';
import { payNotification } from '../payments/notify.ts';
import { canTransition, type NotificationStatus, type PaymentStatus } from '../states.ts';
import type { Storage } from '../storage/storage.ts';
import type { AttemptRecord, Merchant, NotificationRecord, Payment } from '../types.ts';
import type { Logger } from '../logger.ts';
import { describeReason, type ReasonView } from './reason.ts';

/** Statuses a merchant may set by hand; which moves are allowed is the manual table in states.ts. */
export const MANUAL_STATUSES = ['paid', 'failed'] as const;
export type ManualStatus = (typeof MANUAL_STATUSES)[number];

export const MAX_REASON_CHARS = 500;
export const MAX_ACTOR_CHARS = 100;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** What the list can be narrowed by. Times are ms since the epoch; `to` is exclusive. */
export interface ListQuery {
  status?: PaymentStatus | undefined;
  payFor?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  /** `nextCursor` of the previous page: payments numbered below it. */
  cursor?: number | undefined;
  limit?: number | undefined;
}

export interface PaymentSummary {
  id: string;
  number: number;
  status: PaymentStatus;
  manual: boolean;
  statusReason: string;
  /** `statusReason` as a code and its detail, for showing it in the merchant's language. */
  reason: ReasonView;
  payFor: string;
  /** The order's first paid payment, when this one paid the order again (a duplicate); else null. */
  duplicateOf: string | null;
  /** What the buyer pays, in `ticker` (the way's currency), as in `GET /api/v1/payments/{id}`. */
  amount: string;
  ticker: string;
  way: string;
  createdAt: string;
  paidAt: string | null;
  /** The state of the latest PAY notification; `gave_up` is «уведомление не доставлено в API». */
  notificationStatus: NotificationStatus | null;
  /** Paid by a provider's report after the payment had expired, failed or been rejected (the timeline says when). */
  paidLate?: true;
}

export interface AttemptView {
  at: string;
  durationMs: number;
  httpStatus: number | null;
  excerpt: string;
  verdict: string;
}

export interface NotificationView {
  id: number;
  status: NotificationStatus;
  url: string;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  attempts: AttemptView[];
}

export interface AuditView {
  at: string;
  actor: string;
  action: string;
  fromStatus: string;
  toStatus: string;
  reason: string;
}

export interface PaymentDetail extends PaymentSummary {
  updatedAt: string;
  /** The provider account of the payment's way (`sandbox` for the sandbox systems). */
  provider: string | null;
  /** The provider's id of the payment; null while unknown (a create whose outcome was unknown). */
  providerPaymentId: string | null;
  /** A provider reported another amount or currency: not applied; settle it by hand. */
  amountMismatch: boolean;
  expiresAt: string | null;
  order: { price: string; ticker: string; mode: 'fix' | 'free'; note: string };
  balance: { amount: string; ticker: string };
  fee: string;
  rate: string;
  userEmail: string;
  userPhone: string;
  extraParams: Record<string, string>;
  /** The latest PAY notification and its attempts; `{ status: null, attempts: [] }` when none was written. */
  notification: { status: NotificationStatus | null; attempts: AttemptView[] } & Partial<Omit<NotificationView, 'status' | 'attempts'>>;
  /** Every PAY notification of the payment (the first, then resends), oldest first. */
  notifications: NotificationView[];
  audit: AuditView[];
  /** The statuses the merchant may set by hand now. */
  allowedStatuses: ManualStatus[];
  /** Whether `resend` would be accepted now. */
  canResend: boolean;
}

export interface CabinetDeps {
  /** Structured log lines (manual changes); none when absent. */
  logger?: Logger;
  storage: Storage;
  /** The clock, in ms since the epoch. */
  now: () => number;
  /** Told about every status change made here (live status streams). */
  onStatus?: (paymentId: string, status: PaymentStatus) => void;
}

export type Cabinet = ReturnType<typeof createCabinet>;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** Bearer tokens as RFC 6750 allows them; anything else is not a key. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]{1,512}=*)$/;

/** Still on its way: a resend now would race the delivery in flight. */
const IN_FLIGHT: readonly NotificationStatus[] = ['pending', 'retrying'];

function unauthorized(): GatewayError {
  // The same answer for a missing header, a malformed one and an unknown key.
  return new GatewayError(401, 'unauthorized', 'Authorization: a valid cabinet API key is required (Authorization: Bearer <key>)', 'Authorization');
}

function notFound(): GatewayError {
  // The same answer for another merchant's payment as for none at all.
  return new GatewayError(404, 'not_found', 'no such payment', 'id');
}

function attemptView(a: AttemptRecord): AttemptView {
  return { at: iso(a.startedAt), durationMs: a.durationMs, httpStatus: a.httpStatus, excerpt: a.excerpt, verdict: a.verdict };
}

/** Who did it, as the audit shows it: the key's merchant, and the person when the caller names one. */
const actorOf = (m: Merchant, actor: string | undefined): string => (actor ? `${m.login} (${actor})` : m.login);

function summary(p: Payment, notificationStatus: NotificationStatus | null): PaymentSummary {
  return {
    id: p.id,
    number: p.number,
    status: p.status,
    manual: p.manual,
    statusReason: p.statusReason,
    reason: describeReason(p.status, p.statusReason),
    payFor: p.payFor,
    duplicateOf: p.duplicateOf ?? null,
    amount: formatAmount(p.amountMinor),
    ticker: p.wayTicker,
    way: p.way,
    createdAt: iso(p.createdAt),
    paidAt: isoOrNull(p.paidAt),
    notificationStatus,
    ...(p.paidLate ? { paidLate: true as const } : {}),
  };
}

const allowedStatuses = (s: PaymentStatus): ManualStatus[] => MANUAL_STATUSES.filter((to) => canTransition(s, to, 'manual'));

/** @example const cabinet = createCabinet({ storage, now: Date.now }); */
export function createCabinet(deps: CabinetDeps) {
  const { storage } = deps;

  /** The merchant's own payment, or 404 — also for another merchant's. */
  async function ownPayment(m: Merchant, id: string): Promise<Payment> {
    const p = /^pay_[A-Za-z0-9_-]{10,60}$/.test(id) ? await storage.getPayment(id) : undefined;
    if (!p || p.merchantLogin !== m.login) throw notFound();
    return p;
  }

  function canResend(p: Payment, m: Merchant, latest: NotificationRecord | undefined): boolean {
    return p.status === 'paid' && !!m.apiUrl && !(latest && IN_FLIGHT.includes(latest.status));
  }

  async function detail(m: Merchant, p: Payment): Promise<PaymentDetail> {
    const rows = await storage.notificationsOf(p.id);
    const notifications: NotificationView[] = await Promise.all(rows.map(async (n) => ({
      id: n.id,
      status: n.status,
      url: n.url,
      createdAt: iso(n.createdAt),
      nextAttemptAt: isoOrNull(n.nextAttemptAt),
      deliveredAt: isoOrNull(n.deliveredAt),
      attempts: (await storage.attemptsOf(n.id)).map(attemptView),
    })));
    const latest = rows.at(-1);
    const audit = (await storage.auditOf(p.id)).map((a) => ({ ...a, at: iso(a.at) }));
    return {
      ...summary(p, latest?.status ?? null),
      updatedAt: iso(p.updatedAt),
      provider: p.providerId,
      providerPaymentId: p.providerPaymentId,
      amountMismatch: p.amountMismatch,
      expiresAt: isoOrNull(p.expiresAt),
      order: { price: formatAmount(p.priceMinor), ticker: p.ticker, mode: p.mode, note: p.note },
      balance: { amount: formatAmount(p.balanceMinor), ticker: p.balanceTicker },
      fee: formatAmount(p.feeMinor),
      rate: p.rate,
      userEmail: p.userEmail,
      userPhone: p.userPhone,
      extraParams: p.extraParams,
      notification: notifications.at(-1) ?? { status: null, attempts: [] },
      notifications,
      audit,
      allowedStatuses: allowedStatuses(p.status),
      canResend: canResend(p, m, latest),
    };
  }

  return {
    /** The merchant whose cabinet key is in an `Authorization: Bearer <key>` header; 401 otherwise. */
    async authenticate(authorization: string | undefined): Promise<Merchant> {
      const match = BEARER.exec(authorization ?? '');
      if (!match) throw unauthorized();
      // A lookup by the key's SHA-256: nothing secret is compared byte by byte here.
      const m = await storage.findMerchantByApiKeyHash(hashApiKey(match[1]!));
      if (!m) throw unauthorized();
      return m;
    },

    /** One page of the merchant's payments, newest (highest number) first. */
    async list(m: Merchant, q: ListQuery): Promise<{ payments: PaymentSummary[]; nextCursor: string | null }> {
      const limit = q.limit ?? DEFAULT_PAGE_SIZE;
      const rows = await storage.listPayments({
        merchantLogin: m.login,
        status: q.status,
        payFor: q.payFor,
        createdFrom: q.from,
        createdTo: q.to,
        before: q.cursor,
        // One more than asked tells whether there is a next page without a count.
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const payments = page.map((p) => summary(p, p.notificationStatus));
      return { payments, nextCursor: rows.length > limit ? String(page.at(-1)!.number) : null };
    },

    /** A payment of the merchant with its notifications, attempts and audit. */
    async get(m: Merchant, id: string): Promise<PaymentDetail> {
      return detail(m, await ownPayment(m, id));
    },

    /**
     * Sets a payment's status by hand, as the manual table in states.ts allows, with an audit line.
     * Sends nothing: a PAY for a payment settled by hand is the merchant's explicit `resend`.
     */
    async setStatus(m: Merchant, id: string, input: { status: ManualStatus; reason: string; actor?: string | undefined }): Promise<PaymentDetail> {
      const p = await ownPayment(m, id);
      if (!canTransition(p.status, input.status, 'manual')) {
        throw new GatewayError(409, 'invalid_state', `status: a ${p.status} payment cannot be set to ${input.status} by hand`, 'status');
      }
      const at = deps.now();
      const ok = await storage.transition(p.id, {
        from: p.status,
        to: input.status,
        at,
        manual: true,
        reason: input.reason,
        ...(input.status === 'paid' && p.paidAt === null ? { paidAt: at } : {}),
        audit: { actor: actorOf(m, input.actor), action: 'set_status', reason: input.reason },
      });
      if (!ok) {
        // Someone (the payment system, another tab) changed it between our read and our write.
        const now = (await storage.getPayment(p.id))!;
        throw new GatewayError(409, 'invalid_state', `status: the payment just became ${now.status}; reload it and decide again`, 'status');
      }
      deps.onStatus?.(p.id, input.status);
      deps.logger?.info({ paymentId: p.id, merchantLogin: m.login, actor: actorOf(m, input.actor), action: 'set_status', from: p.status, to: input.status, reason: input.reason }, 'manual change');
      return detail(m, (await storage.getPayment(p.id))!);
    },

    /**
     * Queues the payment's PAY again, due now: the same bytes as the last one written (same payment
     * id and number), or — when none was ever written (settled by hand, notifications off) — the PAY
     * it would have had. Goes to the merchant's current API URL. Refused while a PAY is in flight.
     */
    async resend(m: Merchant, id: string, input: { reason?: string | undefined; actor?: string | undefined } = {}): Promise<{ notificationId: number; payment: PaymentDetail }> {
      const p = await ownPayment(m, id);
      if (p.status !== 'paid') throw new GatewayError(409, 'invalid_state', `status: only a paid payment has a PAY to resend; this one is ${p.status}`, 'status');
      if (!m.apiUrl) throw new GatewayError(409, 'invalid_state', 'apiUrl: the merchant has no API URL to send notifications to', 'apiUrl');
      const latest = (await storage.notificationsOf(p.id)).at(-1);
      if (latest && IN_FLIGHT.includes(latest.status)) {
        throw new GatewayError(409, 'invalid_state', `notification: the last PAY is still ${latest.status}; wait until it is delivered or given up`, 'notification');
      }
      const now = deps.now();
      const bytes = latest
        ? { paymentId: p.id, merchantLogin: m.login, kind: latest.kind, style: latest.style, method: latest.method, contentType: latest.contentType, body: latest.body, headers: latest.headers, answerKey: latest.answerKey }
        : payNotification(p, m, p.paidAt ?? now);
      const notificationId = await storage.addNotification(
        { ...bytes, url: m.apiUrl, dueAt: now },
        now,
        { actor: actorOf(m, input.actor), action: 'resend', reason: input.reason ?? '', status: p.status },
      );
      deps.logger?.info({ paymentId: p.id, merchantLogin: m.login, actor: actorOf(m, input.actor), action: 'resend', notificationId, reason: input.reason ?? '' }, 'manual change');
      return { notificationId, payment: await detail(m, p) };
    },
  };
}
