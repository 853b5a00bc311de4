/**
 * Holds (issue 25): captures and voids begun atomically with their checks (the payment row locked),
 * so a capture racing a void, or two captures under different keys, leave exactly one at the
 * provider; the payment's own move (`authorized → paid | partially_captured | voided`) settles the
 * operation in the same transaction (payments-store.ts `transition`, `settleHold`).
 */
import type { Kysely } from 'kysely';
import type { Storage } from './interface.ts';
import { toHoldOperation, toPayment } from './rows.ts';
import type { Database, Dialect } from './schema.ts';

type HoldMethods = 'beginHoldOperation' | 'failHoldOperation' | 'holdOperationsOf' | 'heldPayments';

/** The holds' part of the storage. */
export function holdsStore(db: Kysely<Database>, dialect: Dialect): Pick<Storage, HoldMethods> {
  return {
    async beginHoldOperation(op) {
      return db.transaction().execute(async (trx) => {
        // Locked (PostgreSQL; SQLite's write transaction holds the lock already): two requests at
        // once cannot both find the hold free. The key is looked up after the lock, so a repeat of
        // a key arriving at once finds the first request's operation (not a busy hold).
        let q = trx.selectFrom('payments').selectAll().where('id', '=', op.paymentId);
        if (dialect === 'postgres') q = q.forUpdate();
        const row = await q.executeTakeFirst();
        const existing = await trx.selectFrom('hold_operations').selectAll()
          .where('payment_id', '=', op.paymentId).where('idempotency_key', '=', op.idempotencyKey).executeTakeFirst();
        if (existing) return { kind: 'existing' as const, operation: toHoldOperation(existing) };
        if (!row) return { kind: 'unknown_payment' as const };
        const p = toPayment(row);
        if (p.status !== 'authorized') return { kind: 'invalid_state' as const, status: p.status };
        const pending = await trx.selectFrom('hold_operations').selectAll()
          .where('payment_id', '=', op.paymentId).where('status', '=', 'pending').executeTakeFirst();
        if (pending) return { kind: 'busy' as const, operation: toHoldOperation(pending) };
        if (op.kind === 'capture' && op.amountMinor > p.amountMinor) return { kind: 'too_much' as const, heldMinor: p.amountMinor };
        const inserted = await trx.insertInto('hold_operations').values({
          id: op.id, payment_id: op.paymentId, merchant_login: op.merchantLogin, kind: op.kind, amount_minor: op.amountMinor,
          reason: op.reason, actor: op.actor, status: 'pending', failure_reason: null, idempotency_key: op.idempotencyKey,
          request_hash: op.requestHash, created_at: op.createdAt, updated_at: op.createdAt, receipt: op.receipt ? JSON.stringify(op.receipt) : null,
        }).returningAll().executeTakeFirstOrThrow();
        await trx.updateTable('payments').set({ reconcile_at: op.settleAt }).where('id', '=', op.paymentId).where('status', '=', 'authorized').execute();
        return { kind: 'created' as const, operation: toHoldOperation(inserted) };
      });
    },

    async failHoldOperation(id, reason, at) {
      const r = await db.updateTable('hold_operations').set({ status: 'failed', failure_reason: reason.slice(0, 500), updated_at: at })
        .where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async holdOperationsOf(paymentId) {
      const rows = await db.selectFrom('hold_operations').selectAll().where('payment_id', '=', paymentId).orderBy('number').execute();
      return rows.map(toHoldOperation);
    },

    async heldPayments(merchantLogin, limit) {
      const rows = await db.selectFrom('payments').selectAll()
        .where('merchant_login', '=', merchantLogin).where('status', '=', 'authorized')
        .orderBy('hold_expires_at').limit(limit).execute();
      return rows.map(toPayment);
    },
  };
}
