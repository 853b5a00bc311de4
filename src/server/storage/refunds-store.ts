/**
 * Refunds: begun atomically with their checks (the payment row locked), settled once, and the
 * payment's refunded total raised (never lowered) with its notification in the same transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import { canTransition, type PaymentStatus } from '../states.ts';
import type { NewRefund, Payment } from '../types.ts';
import type { Storage } from './interface.ts';
import { insertNotification } from './outbox-store.ts';
import { big, toPayment, toRefund } from './rows.ts';
import type { Database, Dialect } from './schema.ts';

type RefundMethods = 'beginRefund' | 'settleRefund' | 'raiseRefunded' | 'refundsOf' | 'pendingRefunds';

/** A refund row, `pending` (refunds.ts sends it and settles it). */
export async function insertPendingRefund(db: Kysely<Database> | Transaction<Database>, r: NewRefund): Promise<void> {
  await db.insertInto('refunds').values({
    id: r.id, payment_id: r.paymentId, merchant_login: r.merchantLogin, amount_minor: r.amountMinor, ticker: r.ticker,
    reason: r.reason, actor: r.actor, status: 'pending', provider_refund_id: null, failure_reason: null,
    idempotency_key: r.idempotencyKey, request_hash: r.requestHash, created_at: r.createdAt, updated_at: r.createdAt,
  }).execute();
}

/** The refunds' part of the storage. */
export function refundsStore(db: Kysely<Database>, dialect: Dialect): Pick<Storage, RefundMethods> {
  return {
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

    async pendingRefunds(keyPrefix, createdBefore, limit) {
      const rows = await db.selectFrom('refunds').selectAll()
        .where('status', '=', 'pending').where('created_at', '<', createdBefore).where('idempotency_key', 'like', `${keyPrefix.replace(/[%_\\]/g, '')}%`)
        .orderBy('created_at').limit(limit).execute();
      return rows.map(toRefund);
    },
  };
}
