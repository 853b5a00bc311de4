/**
 * Payments: created once per idempotency key, every state change a conditional update on the
 * expected current state that writes its notification and audit line in the same transaction, and
 * the reconciliation claims.
 */
import type { PaymentStatus } from '../states.ts';
import { sql, type Kysely, type Transaction } from 'kysely';
import { RECONCILED_STATUSES, WAITING_STATUSES, type NotificationStatus } from '../states.ts';
import type { Payment } from '../types.ts';
import type { Storage } from './interface.ts';

/** How many of an order's newest payments are read to find its waiting or paid ones (an order has a few). */
const ORDER_PAYMENTS_READ = 50;

/**
 * Statuses in which the order is taken: money received (states.ts `PAID_STATUSES`), or held on the
 * buyer's card for the shop to capture (`authorized`; a released hold, `voided`, gives the order back).
 */
const ORDER_PAID = ['paid', 'partially_refunded', 'refunded', 'partially_captured', 'authorized'] as const satisfies readonly PaymentStatus[];
import { insertNotification } from './outbox-store.ts';
import { insertPendingRefund } from './refunds-store.ts';
import { num, toPayment } from './rows.ts';
import type { Database, Dialect } from './schema.ts';
import { compiledByShape, compiledQuery } from './compiled.ts';

/** The columns a new payment is inserted with. */
const NEW_PAYMENT_COLUMNS = [
  'id', 'merchant_login', 'pay_for', 'mode', 'price_minor', 'ticker', 'convert', 'price_final', 'note', 'ln', 'url_success',
  'url_fail', 'user_email', 'user_phone', 'extra_params', 'way', 'way_ticker', 'amount_minor', 'fee_minor', 'balance_minor',
  'balance_ticker', 'rate', 'status', 'status_reason', 'manual', 'action', 'idempotency_key', 'request_hash', 'expires_at',
  'created_at', 'updated_at', 'provider_id', 'reconcile_at', 'capture_mode',
] as const;

type PaymentMethods = 'createPayment' | 'getPayment' | 'statusesOf' | 'getPaymentByNumber' | 'listPayments' | 'transition' | 'flagAmountMismatch' | 'refineFailureReason' | 'waitingPaymentOf' | 'resumablePaymentOf' | 'firstPaidOf' | 'paidOfOrder' | 'markDuplicate'
  | 'countAmountMismatches' | 'staleUnfinished' | 'dueExpirations' | 'claimReconcile' | 'finishReconcile' | 'nextReconcileAt';

/** The payments' part of the storage. */
export function paymentsStore(db: Kysely<Database>, dialect: Dialect): Pick<Storage, PaymentMethods> {
  // The statements of every payment, compiled once (compiled.ts).
  const insertPayment = compiledQuery(db, NEW_PAYMENT_COLUMNS, (v) => db.insertInto('payments').values(v)
    .onConflict((oc) => oc.columns(['merchant_login', 'idempotency_key']).doNothing()).returningAll());
  const paymentById = compiledQuery(db, ['id'], (v) => db.selectFrom('payments').selectAll().where('id', '=', v.id));
  const transitionUpdate = compiledByShape();
  // An order's payments, newest first, over payments_m_pay_for (merchant, order, number): the order
  // and no other condition, so that no planner takes an index of the merchant's statuses or payment
  // times and reads all of the merchant's payments. An order has a few; the status is read here.
  // Every form of an order asks it (a reload resumes the waiting payment), and almost always finds
  // nothing: ids and statuses alone (selecting every column cost twice as much even with no row).
  const paymentsOfOrder = compiledQuery(db, ['login', 'payFor'], (v) => db.selectFrom('payments').select(['id', 'status'])
    .where('merchant_login', '=', v.login).where('pay_for', '=', v.payFor)
    // The limit as a literal: bound as a parameter, SQLite (built with STAT4) re-prepares the statement
    // at every run to plan for the bound value, 10 µs against 3 µs a read (issue #29).
    .orderBy('number', 'desc').limit(sql.lit(ORDER_PAYMENTS_READ)));
  /**
   * An order's paid payments (refunded ones included) and held ones, by time paid (a hold, not paid
   * yet, by when it was made), then number.
   */
  const paidOfOrder = async (merchantLogin: string, payFor: string): Promise<Payment[]> => {
    const rows = await db.selectFrom('payments').selectAll()
      .where('merchant_login', '=', merchantLogin).where('pay_for', '=', payFor)
      .orderBy('number', 'desc').limit(ORDER_PAYMENTS_READ).execute();
    return rows.map(toPayment).filter((p) => (ORDER_PAID as readonly string[]).includes(p.status))
      .sort((a, b) => (a.paidAt ?? a.createdAt) - (b.paidAt ?? b.createdAt) || a.number - b.number);
  };
  return {
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
        capture_mode: p.captureMode ?? null,
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

    async statusesOf(ids) {
      const out = new Map<string, PaymentStatus>();
      // In slices: SQLite's and PostgreSQL's limits on bound parameters are far above this.
      for (let i = 0; i < ids.length; i += 500) {
        const slice = ids.slice(i, i + 500);
        const rows = await db.selectFrom('payments').select(['id', 'status']).where('id', 'in', slice as string[]).execute();
        for (const r of rows) out.set(r.id, r.status as PaymentStatus);
      }
      return out;
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
        ...(t.paidLate ? { paid_late: 1 } : {}),
        ...(t.failureReason !== undefined ? { failure_reason: t.failureReason } : {}),
        ...(t.holdExpiresAt !== undefined ? { hold_expires_at: t.holdExpiresAt } : {}),
        ...(t.captureMode !== undefined ? { capture_mode: t.captureMode } : {}),
        ...(t.captured !== undefined ? { amount_minor: t.captured.amountMinor, balance_minor: t.captured.balanceMinor, held_minor: t.captured.heldMinor } : {}),
        // Nothing more to ask the provider about once the payment stops waiting (keeps the due index
        // small), except an expired one whose provider may still take money until its own deadline.
        // A hold is asked about on its own schedule (`reconcileAt`: its expiry policy's moment, or a settling read).
        ...(t.reconcileAt !== undefined ? { reconcile_at: t.reconcileAt }
          : t.lateCheck ? { reconcile_at: t.lateCheck.reconcileAt, late_until: t.lateCheck.lateUntil } : WAITING_STATUSES.includes(t.to) ? {} : { reconcile_at: null }),
      };
      // Compiled once per set of columns (a handful of shapes), then run with this change's values.
      const columns = Object.keys(set);
      const values: Record<string, unknown> = { ...set, id, from: t.from };
      const change = (q: Kysely<Database> | Transaction<Database>) => transitionUpdate(columns.join(','), db, [...columns, 'id', 'from'], (v) => db.updateTable('payments')
        .set(Object.fromEntries(columns.map((c) => [c, v[c]!])))
        .where('id', '=', v.id!).where('status', '=', v.from!))(values, q);
      const updated = async (q: Kysely<Database> | Transaction<Database>) => Number((await change(q)).numAffectedRows ?? 0) === 1;
      // A lone conditional update is atomic by itself; a transaction only when more is written with it.
      if (!t.notification && !t.audit && !t.refund && !t.settleHold && !t.extraNotification) return updated(db);
      return db.transaction().execute(async (trx) => {
        if (!(await updated(trx))) return false;
        if (t.notification) await insertNotification(trx, t.notification, t.at);
        if (t.extraNotification) await insertNotification(trx, t.extraNotification, t.at);
        if (t.settleHold) {
          await trx.updateTable('hold_operations').set({ status: 'succeeded', updated_at: t.at })
            .where('id', '=', t.settleHold).where('status', '=', 'pending').execute();
        }
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

    async refineFailureReason(id, reason) {
      const r = await db.updateTable('payments').set({ failure_reason: reason }).where('id', '=', id).where('status', '=', 'failed')
        .where((eb) => eb.or([eb('failure_reason', 'is', null), eb('failure_reason', '=', 'declined')])).executeTakeFirst();
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

    async waitingPaymentOf(merchantLogin, payFor) {
      const found = (await paymentsOfOrder({ login: merchantLogin, payFor })).rows.find((r) => r.status === 'awaiting_payment');
      const r = found && (await paymentById({ id: found.id })).rows[0];
      return r && r.status === 'awaiting_payment' ? toPayment(r) : undefined;
    },

    async resumablePaymentOf(merchantLogin, payFor) {
      // One read of the order's ids and statuses, as for a waiting payment: a hold first.
      const { rows } = await paymentsOfOrder({ login: merchantLogin, payFor });
      const found = rows.find((r) => r.status === 'authorized') ?? rows.find((r) => r.status === 'awaiting_payment');
      const r = found && (await paymentById({ id: found.id })).rows[0];
      return r && r.status === found.status ? toPayment(r) : undefined;
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

    async dueExpirations(now, limit) {
      const rows = await db.selectFrom('payments').selectAll()
        .where('status', '=', 'awaiting_payment').where('expires_at', '<=', now)
        .orderBy('expires_at').limit(limit).execute();
      return rows.map(toPayment);
    },

    async claimReconcile(now, limit, owner, leaseMs) {
      let due = db.selectFrom('payments').select('id')
        .where('reconcile_at', '<=', now).where('status', 'in', [...RECONCILED_STATUSES]).orderBy('reconcile_at').limit(limit);
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
        reconcile_at: sql<never>`case when status in (${sql.join([...RECONCILED_STATUSES])}) then cast(${nextAt} as bigint) else null end`,
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
    }
  };
}
