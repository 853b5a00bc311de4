/**
 * Storage for the merchant cabinet (issue 14): search with cursor paging, the overview's figures in
 * SQL over the indexes of migration 0007_cabinet, CHECK exchanges in exact bytes, page sessions,
 * merchant settings and key rotation with their audit. Part of `Storage`; every query is scoped to
 * one merchant by its login, so no method can reach another merchant's rows.
 */
import type { ReceiptSettings } from '../../protocol/receipt.ts';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { PAYMENT_STATUSES, type NotificationStatus, type PaymentStatus } from '../states.ts';
import type { DuplicatePolicy, Merchant, NotifyStyle, Payment } from '../types.ts';
import { compiledQuery } from './compiled.ts';
import type { Database, Dialect, MerchantTable, PaymentTable } from './schema.ts';

/** What a cabinet search narrows by; every field but the login and limit optional. */

/** How close to its deadline a hold enters the attention list: two days (the expiry policy acts at one). */
export const HOLD_ATTENTION_MS = 2 * 24 * 3_600_000;

export interface PaymentSearch {
  merchantLogin: string;
  status?: PaymentStatus | undefined;
  way?: string | undefined;
  payFor?: string | undefined;
  id?: string | undefined;
  email?: string | undefined;
  /** Matches the order price or the amount the buyer pays, in minor units. */
  amountMinor?: bigint | undefined;
  /**
   * Free text, as a person types it in one box: a payment id, an e-mail, an order number or an
   * amount (an order number that looks like an amount matches either).
   */
  text?: { payFor: string; amountMinor: bigint | null } | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  /** Cursor: payments numbered below this. */
  before?: number | undefined;
  limit: number;
}

export interface SearchRow {
  payment: Payment;
  /** The latest PAY's state, null when none was written. */
  notificationStatus: NotificationStatus | null;
}

export interface OverviewFigures {
  /** Money credited, by UTC-shifted day (`dayIndex` = floor((paidAt + offset) / 1 day)) and currency. */
  turnover: { dayIndex: number; ticker: string; amountMinor: bigint; count: number }[];
  /** Payments created in the period, by status. */
  statuses: Record<string, number>;
  /** Of the rejected ones: the merchant said no (`check_declined`) or CHECK failed. */
  checkDeclined: number;
  checkFailed: number;
  /** Payments created in the period that paid an order already paid (`duplicate_of` set). */
  duplicates: number;
}

export interface DeliveryHealth {
  pending: number;
  retrying: number;
  gaveUp: number;
  /** The latest failed attempt of a PAY still retrying or given up. */
  lastError: { at: number; paymentId: string; verdict: string; excerpt: string; httpStatus: number | null } | null;
}

export interface AttentionRow {
  kind: 'duplicate' | 'gave_up' | 'amount_mismatch' | 'provider_failed' | 'receipt_failed' | 'hold_expiring';
  paymentId: string;
  number: number;
  payFor: string;
  at: number;
  text: string;
}

export interface CheckExchange {
  paymentId: string;
  at: number;
  durationMs: number;
  method: string;
  url: string;
  contentType: string;
  requestBody: string;
  httpStatus: number | null;
  answerBody: string;
  error: string;
  verdict: string;
}

export interface CabinetSession {
  tokenHash: string;
  merchantLogin: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface MerchantAuditEntry {
  at: number;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export interface MerchantSettingsPatch {
  notifications?: boolean;
  apiUrl?: string | null;
  apiType?: 1 | 2;
  apiMethod?: 'POST' | 'GET';
  notifyStyle?: NotifyStyle;
  origins?: string[];
  /** What a duplicate payment of a paid order gets (`flag` / `refund`). */
  duplicates?: DuplicatePolicy;
  /** The receipt settings (issue 24); null turns them off. */
  receipts?: ReceiptSettings | null;
}

type AuditInput = { at: number; actor: string; action: string; details: Record<string, unknown> };

export interface CabinetStorage {
  searchPayments(f: PaymentSearch): Promise<SearchRow[]>;
  overviewFigures(login: string, from: number, to: number, offsetMs: number): Promise<OverviewFigures>;
  deliveryHealth(login: string): Promise<DeliveryHealth>;
  /** `now`: holds whose deadline comes within `HOLD_ATTENTION_MS` of it head the list (issue 25). */
  attention(login: string, limit: number, now?: number): Promise<AttentionRow[]>;
  recordCheckExchange(e: CheckExchange): Promise<void>;
  checkExchangesOf(paymentId: string): Promise<CheckExchange[]>;
  createCabinetSession(s: CabinetSession): Promise<void>;
  /** The session, unless it expired by `now` (an expired one is removed). */
  getCabinetSession(tokenHash: string, now: number): Promise<CabinetSession | undefined>;
  deleteCabinetSession(tokenHash: string): Promise<void>;
  /** Ends every session of the merchant but `exceptTokenHash`. */
  deleteCabinetSessionsOf(login: string, exceptTokenHash?: string): Promise<void>;
  /** Changes settings and writes the audit line in one transaction; the merchant then keeps them over configuration seeding. */
  updateMerchantSettings(login: string, patch: MerchantSettingsPatch, audit: AuditInput): Promise<void>;
  /** A new cabinet key hash; every session but `keepSession` ends, so the old key's sign-ins stop too. */
  rotateMerchantApiKey(login: string, apiKeyHash: string, audit: AuditInput, keepSession?: string): Promise<void>;
  /** A new K; the current one becomes the previous K, accepted in verifying until `previousUntil`. */
  rotateMerchantSecret(login: string, secret: string, previousUntil: number, audit: AuditInput): Promise<void>;
  merchantAuditOf(login: string, limit: number): Promise<MerchantAuditEntry[]>;
  /** An audit line that changes nothing else (an integration test run). */
  addMerchantAudit(login: string, audit: AuditInput): Promise<void>;
}

const TERMINAL_NOTIFICATION = ['retrying', 'gave_up'] as const;
/** Every payment status, the refund ones included (they come with the refunds API). */
const ALL_STATUSES = [...PAYMENT_STATUSES, 'partially_refunded', 'refunded'] as const;

const CHECK_EXCHANGE_COLUMNS = ['payment_id', 'at', 'duration_ms', 'method', 'url', 'content_type', 'request_body', 'http_status', 'answer_body', 'error', 'verdict'] as const;

export function cabinetStorage(
  db: Kysely<Database>,
  _dialect: Dialect,
  map: { toPayment: (r: Selectable<PaymentTable>) => Payment; toMerchant: (r: Selectable<MerchantTable>) => Merchant },
): CabinetStorage {
  const count = (v: string | number | bigint | null | undefined): number => Number(v ?? 0);
  // Every payment with CHECK writes one: compiled once (compiled.ts).
  const insertCheckExchange = compiledQuery(db, CHECK_EXCHANGE_COLUMNS, (v) => db.insertInto('check_exchanges').values(v));

  async function audit(trx: Kysely<Database> | Transaction<Database>, login: string, a: AuditInput): Promise<void> {
    await trx.insertInto('merchant_audit').values({ merchant_login: login, at: a.at, actor: a.actor, action: a.action, details: JSON.stringify(a.details) }).execute();
  }

  return {
    async searchPayments(f) {
      // Two steps: the page's payment numbers first, from the indexes alone (every filter's index
      // holds the number), then those rows. One step made SQLite sort whole rows for a date range
      // (250 ms at a million payments instead of 11).
      let numbers = db.selectFrom('payments as f').select('f.number').where('f.merchant_login', '=', f.merchantLogin);
      if (f.status) numbers = numbers.where('f.status', '=', f.status);
      if (f.way) numbers = numbers.where('f.way', '=', f.way);
      if (f.payFor !== undefined) numbers = numbers.where('f.pay_for', '=', f.payFor);
      if (f.id !== undefined) numbers = numbers.where('f.id', '=', f.id);
      if (f.email !== undefined) numbers = numbers.where('f.user_email', '=', f.email);
      if (f.amountMinor !== undefined) {
        const a = f.amountMinor;
        numbers = numbers.where((eb) => eb.or([eb('f.price_minor', '=', a), eb('f.amount_minor', '=', a)]));
      }
      if (f.text) {
        const t = f.text;
        numbers = numbers.where((eb) => eb.or([
          eb('f.pay_for', '=', t.payFor),
          ...(t.amountMinor !== null ? [eb('f.price_minor', '=', t.amountMinor), eb('f.amount_minor', '=', t.amountMinor)] : []),
        ]));
      }
      if (f.createdFrom !== undefined) numbers = numbers.where('f.created_at', '>=', f.createdFrom);
      if (f.createdTo !== undefined) numbers = numbers.where('f.created_at', '<', f.createdTo);
      if (f.before !== undefined) numbers = numbers.where('f.number', '<', f.before as never);
      const page = numbers.orderBy('f.number', 'desc').limit(f.limit);
      const rows = await db.selectFrom('payments').selectAll('payments')
        .select((eb) => eb.selectFrom('notifications').select('notifications.status')
          .whereRef('notifications.payment_id', '=', 'payments.id')
          .orderBy('notifications.id', 'desc').limit(1).as('notification_status'))
        .where('payments.number', 'in', page as never)
        .orderBy('payments.number', 'desc').execute();
      return rows.map((r) => {
        const { notification_status: n, ...payment } = r as typeof r & { notification_status: string | null };
        return { payment: map.toPayment(payment as Selectable<PaymentTable>), notificationStatus: (n ?? null) as NotificationStatus | null };
      });
    },

    async overviewFigures(login, from, to, offsetMs) {
      // A literal (an integer we computed), so that SELECT and GROUP BY are the same expression on PostgreSQL.
      const day = sql<string | number>`(payments.paid_at + ${sql.lit(Math.trunc(offsetMs))}) / 86400000`;
      const turnover = await db.selectFrom('payments')
        .select([day.as('d'), 'payments.balance_ticker as ticker', (eb) => eb.fn.sum<string | number>('payments.balance_minor').as('amount'), (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('payments.merchant_login', '=', login).where('payments.paid_at', '>=', from).where('payments.paid_at', '<', to)
        .groupBy([day, 'payments.balance_ticker']).orderBy('d').orderBy('ticker').execute();
      // One count per status, each an index-only range of payments_m_status_created: with an IN
      // list or a GROUP BY, SQLite's planner takes the older (status, created_at) index and reads
      // the table row by row (40 ms at a million payments instead of a few).
      const statuses: { status: string; n: string | number }[] = [];
      for (const status of ALL_STATUSES) {
        const r = await db.selectFrom('payments').select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('merchant_login', '=', login).where('status', '=', status).where('created_at', '>=', from).where('created_at', '<', to)
          .executeTakeFirstOrThrow();
        if (Number(r.n) > 0) statuses.push({ status, n: r.n });
      }
      const kind = sql<string>`case when status_reason like 'check_declined%' then 'declined' else 'failed' end`;
      const rejected = await db.selectFrom('payments').select([kind.as('kind'), (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('merchant_login', '=', login).where('status', '=', 'rejected').where('created_at', '>=', from).where('created_at', '<', to)
        .groupBy(kind).execute();
      // Few rows: the partial index payments_m_duplicate (0009_orders).
      const duplicates = await db.selectFrom('payments').select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('merchant_login', '=', login).where('duplicate_of', 'is not', null).where('created_at', '>=', from).where('created_at', '<', to)
        .executeTakeFirstOrThrow();
      return {
        turnover: turnover.map((r) => ({ dayIndex: Math.floor(Number(r.d)), ticker: r.ticker, amountMinor: BigInt(String(r.amount ?? 0).replace(/\.0+$/, '')), count: count(r.n) })),
        statuses: Object.fromEntries(statuses.map((r) => [r.status, count(r.n)])),
        checkDeclined: count(rejected.find((r) => r.kind === 'declined')?.n),
        checkFailed: count(rejected.find((r) => r.kind === 'failed')?.n),
        duplicates: count(duplicates.n),
      };
    },

    async deliveryHealth(login) {
      const rows = await db.selectFrom('notifications').select(['status', (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('merchant_login', '=', login).where('status', 'in', ['pending', 'retrying', 'gave_up']).groupBy('status').execute();
      const by = (s: string) => count(rows.find((r) => r.status === s)?.n);
      // The newest failing PAY: one index seek per state, then its last attempt.
      let latest: { id: number; paymentId: string } | null = null;
      for (const status of TERMINAL_NOTIFICATION) {
        const r = await db.selectFrom('notifications').select(['id', 'payment_id'])
          .where('merchant_login', '=', login).where('status', '=', status).orderBy('id', 'desc').limit(1).executeTakeFirst();
        if (r && (!latest || Number(r.id) > latest.id)) latest = { id: Number(r.id), paymentId: r.payment_id };
      }
      let lastError: DeliveryHealth['lastError'] = null;
      if (latest) {
        const a = await db.selectFrom('attempts').selectAll().where('notification_id', '=', latest.id).orderBy('id', 'desc').limit(1).executeTakeFirst();
        if (a) lastError = { at: Number(a.started_at), paymentId: latest.paymentId, verdict: a.verdict, excerpt: a.excerpt, httpStatus: a.http_status };
      }
      return { pending: by('pending'), retrying: by('retrying'), gaveUp: by('gave_up'), lastError };
    },

    async attention(login, limit, now) {
      // Held money about to be released or captured by the expiry policy (issue 25) heads the list,
      // the nearest deadline first: the shop has a day or two left to decide.
      const expiring = now === undefined ? [] : await db.selectFrom('payments').select(['id', 'number', 'pay_for', 'hold_expires_at'])
        .where('merchant_login', '=', login).where('status', '=', 'authorized').where('hold_expires_at', '<=', now + HOLD_ATTENTION_MS)
        .orderBy('hold_expires_at').limit(limit).execute();
      const holds: AttentionRow[] = expiring.map((r) => ({
        kind: 'hold_expiring' as const, paymentId: r.id, number: Number(r.number), payFor: r.pay_for, at: Number(r.hold_expires_at), text: new Date(Number(r.hold_expires_at)).toISOString(),
      }));
      // A given-up PAY needs a person unless a later PAY of the same payment (a resend) replaced it.
      const gaveUp = await db.selectFrom('notifications as n').innerJoin('payments as p', 'p.id', 'n.payment_id')
        .select(['p.id', 'p.number', 'p.pay_for', 'n.updated_at'])
        .where('n.merchant_login', '=', login).where('n.status', '=', 'gave_up')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('notifications as later').select('later.id')
          .whereRef('later.payment_id', '=', 'n.payment_id').whereRef('later.id', '>', 'n.id'))))
        .orderBy('n.id', 'desc').limit(limit).execute();
      // A payment its buyer left for another method (orders.ts) needs nobody.
      const failed = await db.selectFrom('payments').select(['id', 'number', 'pay_for', 'updated_at', 'status_reason'])
        .where('merchant_login', '=', login).where('status', '=', 'failed').where('manual', '=', 0).where('status_reason', 'not like', 'abandoned%')
        .orderBy('number', 'desc').limit(limit).execute();
      const mismatched = await db.selectFrom('payments').select(['id', 'number', 'pay_for', 'updated_at', 'amount_minor', 'way_ticker'])
        .where('merchant_login', '=', login).where('amount_mismatch', '=', 1)
        .orderBy('number', 'desc').limit(limit).execute();
      // Money taken twice for one order heads the list: a person (or the refund setting) settles it.
      const duplicates = await db.selectFrom('payments').select(['id', 'number', 'pay_for', 'updated_at', 'duplicate_of', 'amount_minor', 'way_ticker', 'refunded_minor'])
        .where('merchant_login', '=', login).where('duplicate_of', 'is not', null)
        .orderBy('number', 'desc').limit(limit).execute();
      // Failed fiscal receipts (issue 24) head the list: a shop without its receipt breaks the law.
      const receiptsFailed = await db.selectFrom('receipts as r').innerJoin('payments as p', 'p.id', 'r.payment_id')
        .select(['p.id', 'p.number', 'p.pay_for', 'r.updated_at', 'r.kind', 'r.reason'])
        .where('r.merchant_login', '=', login).where('r.status', '=', 'failed')
        .orderBy('r.id', 'desc').limit(limit).execute();
      const heads: AttentionRow[] = receiptsFailed.map((r) => ({
        kind: 'receipt_failed' as const, paymentId: r.id, number: Number(r.number), payFor: r.pay_for, at: Number(r.updated_at), text: `${r.kind}: ${r.reason ?? ''}`,
      }));
      const rows: AttentionRow[] = [
        ...mismatched.map((r) => ({ kind: 'amount_mismatch' as const, paymentId: r.id, number: Number(r.number), payFor: r.pay_for, at: Number(r.updated_at), text: '' })),
        ...gaveUp.map((r) => ({ kind: 'gave_up' as const, paymentId: r.id, number: Number(r.number), payFor: r.pay_for, at: Number(r.updated_at), text: '' })),
        ...failed.map((r) => ({ kind: 'provider_failed' as const, paymentId: r.id, number: Number(r.number), payFor: r.pay_for, at: Number(r.updated_at), text: r.status_reason })),
      ];
      const first = duplicates.map((r) => ({
        kind: 'duplicate' as const, paymentId: r.id, number: Number(r.number), payFor: r.pay_for, at: Number(r.updated_at),
        text: `${r.duplicate_of ?? ''}${BigInt(r.refunded_minor ?? 0) >= BigInt(r.amount_minor) ? ' (refunded)' : ''}`,
      }));
      return [...holds, ...heads, ...first, ...rows.sort((a, b) => b.at - a.at)].slice(0, limit);
    },

    async recordCheckExchange(e) {
      await insertCheckExchange({
        payment_id: e.paymentId, at: e.at, duration_ms: e.durationMs, method: e.method, url: e.url, content_type: e.contentType,
        request_body: e.requestBody, http_status: e.httpStatus, answer_body: e.answerBody, error: e.error, verdict: e.verdict,
      });
    },

    async checkExchangesOf(paymentId) {
      const rows = await db.selectFrom('check_exchanges').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
      return rows.map((r) => ({
        paymentId: r.payment_id, at: Number(r.at), durationMs: r.duration_ms, method: r.method, url: r.url, contentType: r.content_type,
        requestBody: r.request_body, httpStatus: r.http_status, answerBody: r.answer_body, error: r.error, verdict: r.verdict,
      }));
    },

    async createCabinetSession(s) {
      await db.deleteFrom('cabinet_sessions').where('merchant_login', '=', s.merchantLogin).where('expires_at', '<=', s.createdAt).execute();
      await db.insertInto('cabinet_sessions').values({
        token_hash: s.tokenHash, merchant_login: s.merchantLogin, csrf_token: s.csrfToken, created_at: s.createdAt, expires_at: s.expiresAt,
      }).execute();
    },

    async getCabinetSession(tokenHash, now) {
      const r = await db.selectFrom('cabinet_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!r) return undefined;
      if (Number(r.expires_at) <= now) {
        await db.deleteFrom('cabinet_sessions').where('token_hash', '=', tokenHash).execute();
        return undefined;
      }
      return { tokenHash: r.token_hash, merchantLogin: r.merchant_login, csrfToken: r.csrf_token, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) };
    },

    async deleteCabinetSession(tokenHash) {
      await db.deleteFrom('cabinet_sessions').where('token_hash', '=', tokenHash).execute();
    },

    async deleteCabinetSessionsOf(login, exceptTokenHash) {
      let q = db.deleteFrom('cabinet_sessions').where('merchant_login', '=', login);
      if (exceptTokenHash) q = q.where('token_hash', '!=', exceptTokenHash);
      await q.execute();
    },

    async updateMerchantSettings(login, patch, a) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('merchants').set({
          ...(patch.notifications !== undefined ? { notifications: patch.notifications ? 1 : 0 } : {}),
          ...(patch.apiUrl !== undefined ? { api_url: patch.apiUrl } : {}),
          ...(patch.apiType !== undefined ? { api_type: patch.apiType } : {}),
          ...(patch.apiMethod !== undefined ? { api_method: patch.apiMethod } : {}),
          ...(patch.notifyStyle !== undefined ? { notify_style: patch.notifyStyle } : {}),
          ...(patch.origins !== undefined ? { origins: JSON.stringify(patch.origins) } : {}),
          ...(patch.duplicates !== undefined ? { duplicates: patch.duplicates } : {}),
          ...(patch.receipts !== undefined ? { receipts: patch.receipts === null ? null : JSON.stringify(patch.receipts) } : {}),
          cabinet_managed_at: a.at,
          updated_at: a.at,
        }).where('login', '=', login).execute();
        await audit(trx, login, a);
      });
    },

    async rotateMerchantApiKey(login, apiKeyHash, a, keepSession) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('merchants').set({ api_key_hash: apiKeyHash, cabinet_managed_at: a.at, updated_at: a.at }).where('login', '=', login).execute();
        let del = trx.deleteFrom('cabinet_sessions').where('merchant_login', '=', login);
        if (keepSession) del = del.where('token_hash', '!=', keepSession);
        await del.execute();
        await audit(trx, login, a);
      });
    },

    async rotateMerchantSecret(login, secret, previousUntil, a) {
      await db.transaction().execute(async (trx) => {
        // The current K becomes the previous one in the same statement: no read-then-write race.
        await trx.updateTable('merchants').set({
          previous_secret: sql<string>`secret`, previous_secret_until: previousUntil, secret, cabinet_managed_at: a.at, updated_at: a.at,
        } as never).where('login', '=', login).execute();
        await audit(trx, login, a);
      });
    },

    async addMerchantAudit(login, a) {
      await audit(db, login, a);
    },

    async merchantAuditOf(login, limit) {
      const rows = await db.selectFrom('merchant_audit').selectAll().where('merchant_login', '=', login).orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({ at: Number(r.at), actor: r.actor, action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
    },
  };
}
