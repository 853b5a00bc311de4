/**
 * Storage: the one implementation, on Kysely, used with SQLite and PostgreSQL alike. Every payment
 * state change is a conditional update on the expected current state, and writes its outgoing
 * notification and audit record in the same transaction (outbox).
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { resolveLanguage } from '../../protocol/languages.ts';
import { canTransition, WAITING_STATUSES, type PaymentStatus, type NotificationStatus } from '../payments/states.ts';
import type {
  AttemptRecord, Merchant, NewNotification, NewPayment, NewRefund, NotificationRecord, Payment, PaymentAction, RefundRecord,
} from '../types.ts';
import type { Database, Dialect, MerchantTable, NotificationTable, PaymentTable, AttemptTable, RefundTable } from './schema.ts';
import { cabinetStorage, type CabinetStorage } from './cabinet-storage.ts';
import { compiledByShape, compiledQuery } from './compiled.ts';

/** How many of an order's newest payments are read to find its waiting or paid ones (an order has a few). */
const ORDER_PAYMENTS_READ = 50;

/** Statuses in which money was received (payments/states.ts `PAID_STATUSES`): the order is paid. */
const ORDER_PAID = ['paid', 'partially_refunded', 'refunded'] as const satisfies readonly PaymentStatus[];

/** A state change to apply if, and only if, the payment is still in `from`. */
export interface Transition {
  from: PaymentStatus;
  to: PaymentStatus;
  at: number;
  reason?: string;
  manual?: boolean;
  action?: PaymentAction;
  paidAt?: number;
  expiresAt?: number;
  /** The provider's id of the payment, once known. */
  providerPaymentId?: string;
  /** The order's first paid payment, set when this change pays a duplicate. */
  duplicateOf?: string;
  /** A refund to ask, written `pending` with the change (a duplicate's, by the merchant's setting). */
  refund?: NewRefund;
  /** The answer to keep for the payment's idempotency key, written in the same statement. */
  response?: { status: number; body: string };
  /** The notification to write with the change (outbox), due at `dueAt`. */
  notification?: NewNotification & { dueAt: number };
  /** An audit line (manual changes). */
  audit?: { actor: string; action: string; reason: string };
}

/** The outcome of one delivery attempt, applied only while the worker still holds the lease. */
export interface AttemptOutcome {
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  excerpt: string;
  verdict: string;
  status: NotificationStatus;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

export interface PaymentFilter {
  merchantLogin: string;
  status?: PaymentStatus;
  payFor?: string;
  createdFrom?: number;
  createdTo?: number;
  /** Cursor: return payments with `number` below this. */
  before?: number;
  limit: number;
}

/** A payment in a list, with the status of its latest notification (read by the same query). */
export type ListedPayment = Payment & { notificationStatus: NotificationStatus | null };

export interface Storage extends CabinetStorage {
  readonly dialect: Dialect;
  /**
   * Adds or updates a merchant. Seeding from the configuration keeps what the merchant changed in the
   * cabinet (K, key, notification settings, origins); `operator: true` (the merchant-admin command,
   * an explicit act) writes everything and hands the merchant back to the configuration.
   */
  upsertMerchant(m: Merchant, now: number, opts?: { operator?: boolean }): Promise<void>;
  getMerchant(login: string): Promise<Merchant | undefined>;
  listMerchants(): Promise<Merchant[]>;
  findMerchantByApiKeyHash(hash: string): Promise<Merchant | undefined>;
  /** Inserts a payment. When the merchant already has one with the same idempotency key, returns that one instead. */
  createPayment(p: NewPayment): Promise<{ created: boolean; payment: Payment }>;
  getPayment(id: string): Promise<Payment | undefined>;
  getPaymentByNumber(n: number): Promise<Payment | undefined>;
  listPayments(f: PaymentFilter): Promise<ListedPayment[]>;
  /** Applies a transition; `false` when the payment was no longer in `from` (nothing written). */
  transition(id: string, t: Transition): Promise<boolean>;
  /** Flags a payment `amount_mismatch` (a provider reported another amount); its status is left alone. `false` when already flagged or unknown. */
  flagAmountMismatch(id: string): Promise<boolean>;
  /** How many payments carry the `amount_mismatch` flag (monitoring). */
  countAmountMismatches(): Promise<number>;
  /** Payments still `created` or `checking` since before `createdBefore`: their request was cut off. */
  staleUnfinished(createdBefore: number, limit: number, opts?: { sandboxOnly?: boolean }): Promise<Payment[]>;
  /** Payments waiting for money past their deadline. */
  dueExpirations(now: number, limit: number): Promise<Payment[]>;
  /** The order's newest payment waiting for the buyer (`awaiting_payment`), if any: what a reload of the order's form resumes. */
  waitingPaymentOf(merchantLogin: string, payFor: string): Promise<Payment | undefined>;
  /** The order's first paid payment (refunded ones included) other than `exceptId`, by time paid; not a duplicate itself. */
  firstPaidOf(merchantLogin: string, payFor: string, exceptId: string): Promise<Payment | undefined>;
  /** The order's paid payments (refunded ones included), in the order they were paid (then by number), among its 50 newest. */
  paidOfOrder(merchantLogin: string, payFor: string): Promise<Payment[]>;
  /** Marks a paid payment as a duplicate of `firstId`, unless it is marked already, with its refund to ask (`pending`); whether it changed. */
  markDuplicate(id: string, firstId: string, at: number, refund?: NewRefund): Promise<boolean>;
  /** Refunds still `pending` whose idempotency key starts with `keyPrefix`, created before `createdBefore`, oldest first. */
  pendingRefunds(keyPrefix: string, createdBefore: number, limit: number): Promise<RefundRecord[]>;
  notificationsOf(paymentId: string): Promise<NotificationRecord[]>;
  attemptsOf(notificationId: number): Promise<AttemptRecord[]>;
  auditOf(paymentId: string): Promise<{ at: number; actor: string; action: string; fromStatus: string; toStatus: string; reason: string }[]>;
  /**
   * Adds a notification outside a transition (an explicit resend), with its audit line (who asked,
   * why; the payment's status unchanged) in the same transaction when given.
   */
  addNotification(n: NewNotification & { dueAt: number }, now: number, audit?: { actor: string; action: string; reason: string; status: PaymentStatus }): Promise<number>;
  /**
   * Claims up to `limit` due notifications for `owner`: their next attempt time moves to the lease's
   * end, so a worker that dies leaves them due again when the lease expires.
   */
  claimDue(now: number, limit: number, owner: string, leaseMs: number): Promise<NotificationRecord[]>;
  /** Records an attempt and the notification's new state; `false` when the lease was lost. */
  recordAttempt(id: number, owner: string, o: AttemptOutcome): Promise<boolean>;
  /** `recordAttempt` for several notifications in one transaction (group commit); one flag each. */
  recordAttempts(owner: string, items: readonly { id: number; outcome: AttemptOutcome }[]): Promise<boolean[]>;
  /** The earliest due time of any waiting notification, or null. */
  nextDueAt(): Promise<number | null>;
  countNotifications(status?: NotificationStatus): Promise<number>;
  /** Counts for monitoring: payments and notifications by status. */
  statusCounts(): Promise<{ payments: Record<string, number>; notifications: Record<string, number> }>;
  /** Notifications whose lease ran out before `now` with no attempt recorded: their worker died or stalled mid-send. */
  expiredLeases(now: number): Promise<number>;
  /**
   * Gives back every lease `owner` still holds: those notifications are due again at `now`, for
   * another dispatcher (a dispatcher shutting down whose attempts did not end in time). Returns how many.
   */
  releaseLeases(owner: string, now: number): Promise<number>;

  // ---- reconciliation and refunds (0006) ----

  /**
   * Claims up to `limit` waiting payments whose reconciliation is due, for `owner`: their due time
   * moves to the lease's end (PostgreSQL: `FOR UPDATE SKIP LOCKED`), so two reconcilers never ask
   * about one payment in one slot, and one that dies leaves it due again when the lease ends.
   */
  claimReconcile(now: number, limit: number, owner: string, leaseMs: number): Promise<Payment[]>;
  /** Ends a claim: the next due time (null: no more), one more attempt counted; `false` when the lease was lost. */
  finishReconcile(id: string, owner: string, nextAt: number | null): Promise<boolean>;
  /** The earliest reconciliation due time, or null. */
  nextReconcileAt(): Promise<number | null>;
  /**
   * Starts a refund, atomically with its checks (the payment row locked): the same idempotency key
   * gives back the refund already made; a payment not paid, or an amount above what was paid less
   * what is refunded and what is pending, is refused and nothing is written.
   */
  beginRefund(r: NewRefund): Promise<
    | { kind: 'created' | 'existing'; refund: RefundRecord }
    | { kind: 'invalid_state'; status: PaymentStatus }
    | { kind: 'too_much'; availableMinor: bigint }
    | { kind: 'unknown_payment' }>;
  /** Records the provider's outcome of a refund still `pending`; `false` when it was settled already. */
  settleRefund(id: string, s: { status: 'succeeded' | 'failed'; providerRefundId?: string; failureReason?: string; at: number }): Promise<boolean>;
  /**
   * Raises a paid payment's refunded total (never lowers it) to the highest of `totalMinor` (what the
   * provider says, 0 when it does not) and the sum of its succeeded refunds, and moves it to
   * `partially_refunded` / `refunded` accordingly — with `settle` (a refund that just succeeded), the
   * notification `event` builds from the payment after the change and an audit line, all in one
   * transaction. `unchanged` when neither total nor status moves; `invalid_state` when never paid.
   */
  raiseRefunded(id: string, r: {
    totalMinor: bigint; at: number; reason: string;
    settle?: { refundId: string; providerRefundId: string };
    audit?: { actor: string; action: string; reason: string };
    event?: (p: Payment) => (NewNotification & { dueAt: number }) | null;
  }): Promise<'applied' | 'unchanged' | 'invalid_state'>;
  refundsOf(paymentId: string): Promise<RefundRecord[]>;
}

/** Merchant columns the cabinet may change (settings, cabinet key, K). */
const CABINET_MANAGED = new Set(['secret', 'api_key_hash', 'notifications', 'api_url', 'api_type', 'api_method', 'notify_style', 'origins', 'duplicates']);

const num = (v: string | number | bigint | null): number | null => (v === null ? null : Number(v));
const big = (v: string | number | bigint): bigint => BigInt(v);

function toMerchant(r: Selectable<MerchantTable>): Merchant {
  return {
    login: r.login,
    name: r.name,
    secret: r.secret,
    apiKeyHash: r.api_key_hash,
    notifications: r.notifications === 1,
    apiUrl: r.api_url,
    apiType: r.api_type === 1 ? 1 : 2,
    apiMethod: r.api_method === 'GET' ? 'GET' : 'POST',
    notifyStyle: r.notify_style === 'webhooks' ? 'webhooks' : 'onpay',
    checkLinkMd5: r.check_link_md5 === 1,
    origins: JSON.parse(r.origins) as string[],
    previousSecret: r.previous_secret && r.previous_secret_until !== null && r.previous_secret_until !== undefined
      ? { secret: r.previous_secret, until: Number(r.previous_secret_until) }
      : null,
    mode: r.mode === 'test' || r.mode === 'live' ? r.mode : null,
    fees: r.fees === 'buyer' || r.fees === 'merchant' || r.fees === 'link' ? r.fees : null,
    returnUrls: JSON.parse(r.return_urls) as string[],
    duplicates: r.duplicates === 'flag' || r.duplicates === 'refund' ? r.duplicates : null,
  };
}

function toPayment(r: Selectable<PaymentTable>): Payment {
  return {
    id: r.id,
    number: Number(r.number),
    merchantLogin: r.merchant_login,
    payFor: r.pay_for,
    mode: r.mode === 'free' ? 'free' : 'fix',
    priceMinor: big(r.price_minor),
    ticker: r.ticker,
    convert: r.convert === 1,
    priceFinal: r.price_final === 1,
    note: r.note,
    ln: resolveLanguage(r.ln),
    urlSuccess: r.url_success,
    urlFail: r.url_fail,
    userEmail: r.user_email,
    userPhone: r.user_phone,
    extraParams: JSON.parse(r.extra_params) as Record<string, string>,
    way: r.way,
    wayTicker: r.way_ticker,
    amountMinor: big(r.amount_minor),
    feeMinor: big(r.fee_minor),
    balanceMinor: big(r.balance_minor),
    balanceTicker: r.balance_ticker,
    rate: r.rate,
    status: r.status as PaymentStatus,
    statusReason: r.status_reason,
    manual: r.manual === 1,
    action: r.action === null ? null : (JSON.parse(r.action) as PaymentAction),
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    responseStatus: r.response_status,
    responseBody: r.response_body,
    expiresAt: num(r.expires_at),
    paidAt: num(r.paid_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    providerId: r.provider_id,
    providerPaymentId: r.provider_payment_id,
    amountMismatch: Number(r.amount_mismatch) === 1,
    duplicateOf: r.duplicate_of ?? null,
    refundedMinor: big(r.refunded_minor ?? 0),
  };
}

function toRefund(r: Selectable<RefundTable>): RefundRecord {
  return {
    id: r.id,
    paymentId: r.payment_id,
    merchantLogin: r.merchant_login,
    amountMinor: big(r.amount_minor),
    ticker: r.ticker,
    reason: r.reason,
    actor: r.actor,
    status: r.status === 'succeeded' ? 'succeeded' : r.status === 'failed' ? 'failed' : 'pending',
    providerRefundId: r.provider_refund_id,
    failureReason: r.failure_reason,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toNotification(r: Selectable<NotificationTable>): NotificationRecord {
  return {
    id: Number(r.id),
    paymentId: r.payment_id,
    merchantLogin: r.merchant_login,
    kind: r.kind === 'refund' ? 'refund' : 'pay',
    style: r.style === 'webhooks' ? 'webhooks' : 'onpay',
    method: r.method === 'GET' ? 'GET' : 'POST',
    url: r.url,
    contentType: r.content_type,
    body: r.body,
    headers: JSON.parse(r.headers) as Record<string, string>,
    answerKey: r.api_type === 1 || r.api_type === 2
      ? {
        apiType: r.api_type, payFor: r.answer_pay_for ?? '', onpayId: Number(r.answer_onpay_id ?? 0),
        orderAmount: r.answer_order_amount ?? '', orderTicker: r.answer_order_ticker ?? '',
      }
      : null,
    status: r.status as NotificationStatus,
    attempts: r.attempts,
    nextAttemptAt: num(r.next_attempt_at),
    firstDueAt: Number(r.first_due_at),
    leaseOwner: r.lease_owner,
    leaseUntil: num(r.lease_until),
    deliveredAt: num(r.delivered_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toAttempt(r: Selectable<AttemptTable>): AttemptRecord {
  return {
    id: Number(r.id),
    notificationId: Number(r.notification_id),
    startedAt: Number(r.started_at),
    durationMs: r.duration_ms,
    httpStatus: r.http_status,
    excerpt: r.excerpt,
    verdict: r.verdict,
  };
}

/** A refund row, `pending` (refunds.ts sends it and settles it). */
async function insertPendingRefund(db: Kysely<Database> | Transaction<Database>, r: NewRefund): Promise<void> {
  await db.insertInto('refunds').values({
    id: r.id, payment_id: r.paymentId, merchant_login: r.merchantLogin, amount_minor: r.amountMinor, ticker: r.ticker,
    reason: r.reason, actor: r.actor, status: 'pending', provider_refund_id: null, failure_reason: null,
    idempotency_key: r.idempotencyKey, request_hash: r.requestHash, created_at: r.createdAt, updated_at: r.createdAt,
  }).execute();
}

async function insertNotification(db: Kysely<Database> | Transaction<Database>, n: NewNotification & { dueAt: number }, now: number): Promise<number> {
  const row = await db.insertInto('notifications').values({
    payment_id: n.paymentId,
    merchant_login: n.merchantLogin,
    kind: n.kind,
    style: n.style,
    method: n.method,
    url: n.url,
    content_type: n.contentType,
    body: n.body,
    headers: JSON.stringify(n.headers),
    api_type: n.answerKey?.apiType ?? null,
    answer_pay_for: n.answerKey?.payFor ?? null,
    answer_onpay_id: n.answerKey?.onpayId ?? null,
    answer_order_amount: n.answerKey?.orderAmount ?? null,
    answer_order_ticker: n.answerKey?.orderTicker ?? null,
    status: 'pending',
    attempts: 0,
    next_attempt_at: n.dueAt,
    first_due_at: n.dueAt,
    created_at: now,
    updated_at: now,
  }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * Applies attempt outcomes, each only where `owner` still holds the lease, and inserts their attempt
 * rows: one UPDATE (a CASE per column) and one INSERT for the whole group, so a group commit costs
 * two statements however many attempts it carries.
 */
async function applyAttempts(trx: Transaction<Database>, owner: string, items: readonly { id: number; outcome: AttemptOutcome }[]): Promise<boolean[]> {
  const byId = (pick: (o: AttemptOutcome) => string | number | null, type: 'bigint' | 'text') =>
    sql<never>`case id ${sql.join(items.map(({ id, outcome }) => sql`when ${id} then cast(${pick(outcome)} as ${sql.raw(type)})`), sql` `)} end`;
  const updated = await trx.updateTable('notifications').set({
    status: byId((o) => o.status, 'text'),
    attempts: sql<never>`attempts + 1`,
    next_attempt_at: byId((o) => o.nextAttemptAt, 'bigint'),
    delivered_at: byId((o) => o.deliveredAt, 'bigint'),
    lease_owner: null,
    lease_until: null,
    updated_at: byId((o) => o.startedAt + o.durationMs, 'bigint'),
  }).where('id', 'in', items.map((i) => i.id) as never[]).where('lease_owner', '=', owner).returning('id').execute();
  const applied = new Set(updated.map((r) => Number(r.id)));
  const rows = items.filter((i) => applied.has(i.id)).map(({ id, outcome: o }) => ({
    notification_id: id,
    started_at: o.startedAt,
    duration_ms: o.durationMs,
    http_status: o.httpStatus,
    excerpt: o.excerpt,
    verdict: o.verdict,
  }));
  if (rows.length > 0) await trx.insertInto('attempts').values(rows).execute();
  return items.map((i) => applied.has(i.id));
}

/** The columns a new payment is inserted with. */
const NEW_PAYMENT_COLUMNS = [
  'id', 'merchant_login', 'pay_for', 'mode', 'price_minor', 'ticker', 'convert', 'price_final', 'note', 'ln', 'url_success',
  'url_fail', 'user_email', 'user_phone', 'extra_params', 'way', 'way_ticker', 'amount_minor', 'fee_minor', 'balance_minor',
  'balance_ticker', 'rate', 'status', 'status_reason', 'manual', 'action', 'idempotency_key', 'request_hash', 'expires_at',
  'created_at', 'updated_at', 'provider_id', 'reconcile_at',
] as const;

/**
 * @example const storage = createStorage(db, 'sqlite');
 */
export function createStorage(db: Kysely<Database>, dialect: Dialect): Storage {
  // The statements of every payment, compiled once (compiled.ts).
  const insertPayment = compiledQuery(db, NEW_PAYMENT_COLUMNS, (v) => db.insertInto('payments').values(v)
    .onConflict((oc) => oc.columns(['merchant_login', 'idempotency_key']).doNothing()).returningAll());
  const paymentById = compiledQuery(db, ['id'], (v) => db.selectFrom('payments').selectAll().where('id', '=', v.id));
  const merchantByLogin = compiledQuery(db, ['login'], (v) => db.selectFrom('merchants').selectAll().where('login', '=', v.login));
  const transitionUpdate = compiledByShape();
  // An order's payments, newest first, over payments_m_pay_for (merchant, order, number): the order
  // and no other condition, so that no planner takes an index of the merchant's statuses or payment
  // times and reads all of the merchant's payments. An order has a few; the status is read here.
  // Every form of an order asks it (a reload resumes the waiting payment), and almost always finds
  // nothing: ids and statuses alone (selecting every column cost twice as much even with no row).
  const paymentsOfOrder = compiledQuery(db, ['login', 'payFor'], (v) => db.selectFrom('payments').select(['id', 'status'])
    .where('merchant_login', '=', v.login).where('pay_for', '=', v.payFor)
    .orderBy('number', 'desc').limit(ORDER_PAYMENTS_READ));
  /** An order's paid payments (refunded ones included), by time paid, then number. */
  const paidOfOrder = async (merchantLogin: string, payFor: string): Promise<Payment[]> => {
    const rows = await db.selectFrom('payments').selectAll()
      .where('merchant_login', '=', merchantLogin).where('pay_for', '=', payFor)
      .orderBy('number', 'desc').limit(ORDER_PAYMENTS_READ).execute();
    return rows.map(toPayment).filter((p) => (ORDER_PAID as readonly string[]).includes(p.status))
      .sort((a, b) => (a.paidAt ?? 0) - (b.paidAt ?? 0) || a.number - b.number);
  };
  return {
    dialect,
    ...cabinetStorage(db, dialect, { toPayment, toMerchant }),

    async upsertMerchant(m, now, opts) {
      const values = {
        login: m.login,
        name: m.name,
        secret: m.secret,
        api_key_hash: m.apiKeyHash,
        notifications: m.notifications ? 1 : 0,
        api_url: m.apiUrl,
        api_type: m.apiType,
        api_method: m.apiMethod,
        notify_style: m.notifyStyle,
        check_link_md5: m.checkLinkMd5 ? 1 : 0,
        origins: JSON.stringify(m.origins),
        mode: m.mode ?? null,
        fees: m.fees ?? null,
        return_urls: JSON.stringify(m.returnUrls ?? []),
        duplicates: m.duplicates ?? null,
        created_at: now,
        updated_at: now,
      };
      const { login: _l, created_at: _c, ...update } = values;
      // Once the merchant changed its settings or keys in the cabinet, seeding from the configuration
      // (every start) keeps them: a rotated key must not come back to life on a restart.
      if (opts?.operator) {
        await db.insertInto('merchants').values(values).onConflict((oc) => oc.column('login').doUpdateSet({ ...update, cabinet_managed_at: null })).execute();
        return;
      }
      const kept = Object.fromEntries(Object.keys(update).filter((k) => CABINET_MANAGED.has(k)).map((k) => [
        k, sql`case when merchants.cabinet_managed_at is null then excluded.${sql.ref(k)} else merchants.${sql.ref(k)} end`,
      ]));
      await db.insertInto('merchants').values(values).onConflict((oc) => oc.column('login').doUpdateSet({ ...update, ...kept } as never)).execute();
    },

    async getMerchant(login) {
      const r = (await merchantByLogin({ login })).rows[0];
      return r && toMerchant(r);
    },

    async listMerchants() {
      const rows = await db.selectFrom('merchants').selectAll().orderBy('login').execute();
      return rows.map(toMerchant);
    },

    async findMerchantByApiKeyHash(hash) {
      const r = await db.selectFrom('merchants').selectAll().where('api_key_hash', '=', hash).executeTakeFirst();
      return r && toMerchant(r);
    },

    async createPayment(p) {
      const inserted = (await insertPayment({
        id: p.id,
        merchant_login: p.merchantLogin,
        pay_for: p.payFor,
        mode: p.mode,
        price_minor: p.priceMinor,
        ticker: p.ticker,
        convert: p.convert ? 1 : 0,
        price_final: p.priceFinal ? 1 : 0,
        note: p.note,
        ln: p.ln,
        url_success: p.urlSuccess,
        url_fail: p.urlFail,
        user_email: p.userEmail,
        user_phone: p.userPhone,
        extra_params: JSON.stringify(p.extraParams),
        way: p.way,
        way_ticker: p.wayTicker,
        amount_minor: p.amountMinor,
        fee_minor: p.feeMinor,
        balance_minor: p.balanceMinor,
        balance_ticker: p.balanceTicker,
        rate: p.rate,
        status: p.status,
        status_reason: '',
        manual: 0,
        action: null,
        idempotency_key: p.idempotencyKey,
        request_hash: p.requestHash,
        expires_at: p.expiresAt,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
        provider_id: p.providerId ?? null,
        reconcile_at: p.reconcileAt ?? null,
      })).rows[0];
      if (inserted) return { created: true, payment: toPayment(inserted) };
      const existing = await db.selectFrom('payments').selectAll()
        .where('merchant_login', '=', p.merchantLogin).where('idempotency_key', '=', p.idempotencyKey)
        .executeTakeFirstOrThrow();
      return { created: false, payment: toPayment(existing) };
    },

    async getPayment(id) {
      const r = (await paymentById({ id })).rows[0];
      return r && toPayment(r);
    },

    async getPaymentByNumber(n) {
      const r = await db.selectFrom('payments').selectAll().where('number', '=', n as never).executeTakeFirst();
      return r && toPayment(r);
    },

    async listPayments(f) {
      let q = db.selectFrom('payments').selectAll('payments')
        // The latest notification's status in the same query: a list page costs one round trip.
        .select((eb) => eb.selectFrom('notifications').select('notifications.status')
          .whereRef('notifications.payment_id', '=', 'payments.id').orderBy('notifications.id', 'desc').limit(1)
          .as('notification_status'))
        .where('merchant_login', '=', f.merchantLogin);
      if (f.status) q = q.where('status', '=', f.status);
      if (f.payFor !== undefined) q = q.where('pay_for', '=', f.payFor);
      if (f.createdFrom !== undefined) q = q.where('created_at', '>=', f.createdFrom);
      if (f.createdTo !== undefined) q = q.where('created_at', '<', f.createdTo);
      if (f.before !== undefined) q = q.where('number', '<', f.before as never);
      const rows = await q.orderBy('number', 'desc').limit(f.limit).execute();
      return rows.map(({ notification_status: status, ...r }) => ({ ...toPayment(r), notificationStatus: (status ?? null) as NotificationStatus | null }));
    },

    async transition(id, t) {
      const set = {
        status: t.to,
        updated_at: t.at,
        ...(t.reason !== undefined ? { status_reason: t.reason } : {}),
        ...(t.manual ? { manual: 1 } : {}),
        ...(t.action !== undefined ? { action: JSON.stringify(t.action) } : {}),
        ...(t.paidAt !== undefined ? { paid_at: t.paidAt } : {}),
        ...(t.expiresAt !== undefined ? { expires_at: t.expiresAt } : {}),
        ...(t.providerPaymentId !== undefined ? { provider_payment_id: t.providerPaymentId } : {}),
        ...(t.duplicateOf !== undefined ? { duplicate_of: t.duplicateOf } : {}),
        ...(t.response !== undefined ? { response_status: t.response.status, response_body: t.response.body } : {}),
        // Nothing more to ask the provider about once the payment stops waiting (keeps the due index small).
        ...(WAITING_STATUSES.includes(t.to) ? {} : { reconcile_at: null }),
      };
      // Compiled once per set of columns (a handful of shapes), then run with this change's values.
      const columns = Object.keys(set);
      const values: Record<string, unknown> = { ...set, id, from: t.from };
      const change = (q: Kysely<Database> | Transaction<Database>) => transitionUpdate(columns.join(','), db, [...columns, 'id', 'from'], (v) => db.updateTable('payments')
        .set(Object.fromEntries(columns.map((c) => [c, v[c]!])))
        .where('id', '=', v.id!).where('status', '=', v.from!))(values, q);
      const updated = async (q: Kysely<Database> | Transaction<Database>) => Number((await change(q)).numAffectedRows ?? 0) === 1;
      // A lone conditional update is atomic by itself; a transaction only when more is written with it.
      if (!t.notification && !t.audit && !t.refund) return updated(db);
      return db.transaction().execute(async (trx) => {
        if (!(await updated(trx))) return false;
        if (t.notification) await insertNotification(trx, t.notification, t.at);
        if (t.refund) await insertPendingRefund(trx, t.refund);
        if (t.audit) {
          await trx.insertInto('audit').values({
            payment_id: id, at: t.at, actor: t.audit.actor, action: t.audit.action,
            from_status: t.from, to_status: t.to, reason: t.audit.reason,
          }).execute();
        }
        return true;
      });
    },

    async flagAmountMismatch(id) {
      const r = await db.updateTable('payments').set({ amount_mismatch: 1 }).where('id', '=', id).where('amount_mismatch', '=', 0).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async countAmountMismatches() {
      const r = await db.selectFrom('payments').select((eb) => eb.fn.countAll<string | number>().as('n')).where('amount_mismatch', '=', 1).executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async staleUnfinished(createdBefore, limit, opts = {}) {
      let q = db.selectFrom('payments').selectAll();
      if (opts.sandboxOnly) q = q.where((eb) => eb.or([eb('provider_id', 'is', null), eb('provider_id', '=', 'sandbox')]));
      const rows = await q
        .where('status', 'in', ['created', 'checking']).where('created_at', '<', createdBefore)
        .orderBy('created_at').limit(limit).execute();
      return rows.map(toPayment);
    },

    async dueExpirations(now, limit) {
      const rows = await db.selectFrom('payments').selectAll()
        .where('status', '=', 'awaiting_payment').where('expires_at', '<=', now)
        .orderBy('expires_at').limit(limit).execute();
      return rows.map(toPayment);
    },

    async waitingPaymentOf(merchantLogin, payFor) {
      const found = (await paymentsOfOrder({ login: merchantLogin, payFor })).rows.find((r) => r.status === 'awaiting_payment');
      const r = found && (await paymentById({ id: found.id })).rows[0];
      return r && r.status === 'awaiting_payment' ? toPayment(r) : undefined;
    },

    async firstPaidOf(merchantLogin, payFor, exceptId) {
      return (await paidOfOrder(merchantLogin, payFor)).find((p) => p.id !== exceptId && !p.duplicateOf);
    },

    paidOfOrder,

    async markDuplicate(id, firstId, at, refund) {
      return db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('payments').set({ duplicate_of: firstId, updated_at: at })
          .where('id', '=', id).where('duplicate_of', 'is', null).where('id', '<>', firstId).executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) return false;
        if (refund) await insertPendingRefund(trx, refund);
        return true;
      });
    },

    async pendingRefunds(keyPrefix, createdBefore, limit) {
      const rows = await db.selectFrom('refunds').selectAll()
        .where('status', '=', 'pending').where('created_at', '<', createdBefore).where('idempotency_key', 'like', `${keyPrefix.replace(/[%_\\]/g, '')}%`)
        .orderBy('created_at').limit(limit).execute();
      return rows.map(toRefund);
    },

    async notificationsOf(paymentId) {
      const rows = await db.selectFrom('notifications').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
      return rows.map(toNotification);
    },

    async attemptsOf(notificationId) {
      const rows = await db.selectFrom('attempts').selectAll().where('notification_id', '=', notificationId).orderBy('id').execute();
      return rows.map(toAttempt);
    },

    async auditOf(paymentId) {
      const rows = await db.selectFrom('audit').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
      return rows.map((r) => ({ at: Number(r.at), actor: r.actor, action: r.action, fromStatus: r.from_status, toStatus: r.to_status, reason: r.reason }));
    },

    async addNotification(n, now, audit) {
      if (!audit) return insertNotification(db, n, now);
      return db.transaction().execute(async (trx) => {
        const id = await insertNotification(trx, n, now);
        await trx.insertInto('audit').values({
          payment_id: n.paymentId, at: now, actor: audit.actor, action: audit.action,
          from_status: audit.status, to_status: audit.status, reason: audit.reason,
        }).execute();
        return id;
      });
    },

    async claimDue(now, limit, owner, leaseMs) {
      let due = db.selectFrom('notifications').select('id')
        .where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit);
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db.updateTable('notifications')
        .set({ lease_owner: owner, lease_until: now + leaseMs, next_attempt_at: now + leaseMs, updated_at: now })
        .where('id', 'in', due)
        .returningAll().execute();
      return rows.map(toNotification).sort((a, b) => a.id - b.id);
    },

    recordAttempt: async (id, owner, o) => (await db.transaction().execute((trx) => applyAttempts(trx, owner, [{ id, outcome: o }])))[0]!,

    recordAttempts: (owner, items) => (items.length === 0 ? Promise.resolve([]) : db.transaction().execute((trx) => applyAttempts(trx, owner, items))),

    async nextDueAt() {
      const r = await db.selectFrom('notifications').select('next_attempt_at')
        .where('next_attempt_at', 'is not', null).orderBy('next_attempt_at').limit(1).executeTakeFirst();
      return r ? num(r.next_attempt_at) : null;
    },

    async statusCounts() {
      const payments = await db.selectFrom('payments').select(['status', (eb) => eb.fn.countAll<string | number>().as('n')]).groupBy('status').execute();
      const notifications = await db.selectFrom('notifications').select(['status', (eb) => eb.fn.countAll<string | number>().as('n')]).groupBy('status').execute();
      return {
        payments: Object.fromEntries(payments.map((r) => [r.status, Number(r.n)])),
        notifications: Object.fromEntries(notifications.map((r) => [r.status, Number(r.n)])),
      };
    },

    async expiredLeases(now) {
      // A lease moves next_attempt_at to its end, so expired ones are among the due rows (indexed).
      const r = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('next_attempt_at', '<=', now).where('lease_owner', 'is not', null).where('lease_until', '<', now)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async releaseLeases(owner, now) {
      const r = await db.updateTable('notifications')
        .set({ lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now })
        .where('lease_owner', '=', owner).where('status', 'in', ['pending', 'retrying'])
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async countNotifications(status) {
      let q = db.selectFrom('notifications').select((eb) => eb.fn.countAll<string | number>().as('n'));
      if (status) q = q.where('status', '=', status);
      const r = await q.executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async claimReconcile(now, limit, owner, leaseMs) {
      let due = db.selectFrom('payments').select('id')
        .where('reconcile_at', '<=', now).where('status', 'in', [...WAITING_STATUSES]).orderBy('reconcile_at').limit(limit);
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db.updateTable('payments')
        .set({ reconcile_owner: owner, reconcile_until: now + leaseMs, reconcile_at: now + leaseMs })
        .where('id', 'in', due)
        // Re-checked on the row itself: under READ COMMITTED the subquery's row may have moved on.
        .where('reconcile_at', '<=', now)
        .returningAll().execute();
      return rows.map(toPayment);
    },

    async finishReconcile(id, owner, nextAt) {
      const r = await db.updateTable('payments').set({
        reconcile_at: sql<never>`case when status in (${sql.join([...WAITING_STATUSES])}) then cast(${nextAt} as bigint) else null end`,
        reconcile_attempts: sql<never>`reconcile_attempts + 1`,
        reconcile_owner: null,
        reconcile_until: null,
      }).where('id', '=', id).where('reconcile_owner', '=', owner).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async nextReconcileAt() {
      const r = await db.selectFrom('payments').select('reconcile_at')
        .where('reconcile_at', 'is not', null).orderBy('reconcile_at').limit(1).executeTakeFirst();
      return r ? num(r.reconcile_at) : null;
    },

    async beginRefund(r) {
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('refunds').selectAll()
          .where('payment_id', '=', r.paymentId).where('idempotency_key', '=', r.idempotencyKey).executeTakeFirst();
        if (existing) return { kind: 'existing' as const, refund: toRefund(existing) };
        // The payment row is locked (PostgreSQL; SQLite's transaction holds the write lock already),
        // so two refunds at once cannot both pass the amount check.
        let q = trx.selectFrom('payments').selectAll().where('id', '=', r.paymentId);
        if (dialect === 'postgres') q = q.forUpdate();
        const row = await q.executeTakeFirst();
        if (!row) return { kind: 'unknown_payment' as const };
        const p = toPayment(row);
        if (p.status !== 'paid' && p.status !== 'partially_refunded') return { kind: 'invalid_state' as const, status: p.status };
        const pending = await trx.selectFrom('refunds').select('amount_minor')
          .where('payment_id', '=', r.paymentId).where('status', '=', 'pending').execute();
        const available = p.amountMinor - p.refundedMinor - pending.reduce((s, x) => s + big(x.amount_minor), 0n);
        if (r.amountMinor > available) return { kind: 'too_much' as const, availableMinor: available < 0n ? 0n : available };
        const inserted = await trx.insertInto('refunds').values({
          id: r.id, payment_id: r.paymentId, merchant_login: r.merchantLogin, amount_minor: r.amountMinor, ticker: r.ticker,
          reason: r.reason, actor: r.actor, status: 'pending', provider_refund_id: null, failure_reason: null,
          idempotency_key: r.idempotencyKey, request_hash: r.requestHash, created_at: r.createdAt, updated_at: r.createdAt,
        }).returningAll().executeTakeFirstOrThrow();
        return { kind: 'created' as const, refund: toRefund(inserted) };
      });
    },

    async settleRefund(id, s) {
      const r = await db.updateTable('refunds').set({
        status: s.status,
        updated_at: s.at,
        ...(s.providerRefundId !== undefined ? { provider_refund_id: s.providerRefundId.slice(0, 128) } : {}),
        ...(s.failureReason !== undefined ? { failure_reason: s.failureReason.slice(0, 500) } : {}),
      }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async raiseRefunded(id, r) {
      return db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('payments').selectAll().where('id', '=', id);
        if (dialect === 'postgres') q = q.forUpdate();
        const row = await q.executeTakeFirst();
        if (!row) return 'invalid_state' as const;
        const p = toPayment(row);
        if (p.status !== 'paid' && p.status !== 'partially_refunded' && p.status !== 'refunded') return 'invalid_state' as const;
        if (r.settle) {
          await trx.updateTable('refunds').set({ status: 'succeeded', provider_refund_id: r.settle.providerRefundId.slice(0, 128), updated_at: r.at })
            .where('id', '=', r.settle.refundId).where('status', '=', 'pending').execute();
        }
        const succeeded = await trx.selectFrom('refunds').select('amount_minor').where('payment_id', '=', id).where('status', '=', 'succeeded').execute();
        const ours = succeeded.reduce((sum, x) => sum + big(x.amount_minor), 0n);
        const wanted = [r.totalMinor, ours, p.refundedMinor].reduce((a, b) => (b > a ? b : a));
        const total = wanted > p.amountMinor ? p.amountMinor : wanted;
        // A refund reported with no amount known (total 0) still moves a paid payment on.
        const to: PaymentStatus = total >= p.amountMinor ? 'refunded' : 'partially_refunded';
        if (total === p.refundedMinor && to === p.status) return 'unchanged' as const;
        if (to !== p.status && !canTransition(p.status, to)) return 'unchanged' as const;
        const u = await trx.updateTable('payments').set({
          status: to, refunded_minor: total, updated_at: r.at, status_reason: r.reason.slice(0, 500), reconcile_at: null,
        }).where('id', '=', id).where('status', '=', p.status).where('refunded_minor', '=', p.refundedMinor).executeTakeFirst();
        if (Number(u.numUpdatedRows) !== 1) return 'unchanged' as const;
        const after: Payment = { ...p, status: to, refundedMinor: total, updatedAt: r.at, statusReason: r.reason };
        const n = total > p.refundedMinor ? r.event?.(after) : null;
        if (n) await insertNotification(trx, n, r.at);
        if (r.audit) {
          await trx.insertInto('audit').values({
            payment_id: id, at: r.at, actor: r.audit.actor, action: r.audit.action, from_status: p.status, to_status: to, reason: r.audit.reason,
          }).execute();
        }
        return 'applied' as const;
      });
    },

    async refundsOf(paymentId) {
      const rows = await db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).orderBy('number').execute();
      return rows.map(toRefund);
    },
  };
}
