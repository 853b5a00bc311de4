/**
 * Fiscal receipts (issue 24): kept with their payment, one per payment, kind and idempotency key,
 * and their registration status as the provider reports it.
 */
import type { Kysely } from 'kysely';
import type { Storage } from './interface.ts';
import { toReceipt } from './rows.ts';
import type { ReceiptStatus } from '../types.ts';
import type { Database } from './schema.ts';

type ReceiptMethods = 'saveReceipt' | 'replacePendingReceipt' | 'replaceCapturedReceipt' | 'setReceiptStatus' | 'receiptsOf' | 'failedReceipts' | 'receiptStatusesOf';

/** The receipts' part of the storage. */
export function receiptsStore(db: Kysely<Database>): Pick<Storage, ReceiptMethods> {
  const find = (paymentId: string, kind: string, key: string) => db.selectFrom('receipts').selectAll()
    .where('payment_id', '=', paymentId).where('kind', '=', kind).where('idempotency_key', '=', key).executeTakeFirst();
  return {
    async saveReceipt(r, audit) {
      // The receipt and its audit line (an explicit act: the closing receipt) in one transaction.
      const inserted = await db.transaction().execute(async (trx) => {
        const row = await trx.insertInto('receipts').values({
          payment_id: r.paymentId, merchant_login: r.merchantLogin, kind: r.kind, refund_id: r.refundId,
          receipt: JSON.stringify(r.receipt), status: r.status ?? 'pending', provider_receipt_id: null, reason: null,
          idempotency_key: r.idempotencyKey, created_at: r.createdAt, updated_at: r.createdAt,
        }).onConflict((oc) => oc.columns(['payment_id', 'kind', 'idempotency_key']).doNothing()).returningAll().executeTakeFirst();
        if (row && audit) {
          await trx.insertInto('audit').values({
            payment_id: r.paymentId, at: r.createdAt, actor: audit.actor, action: audit.action,
            from_status: audit.status, to_status: audit.status, reason: audit.reason.slice(0, 500),
          }).execute();
        }
        return row;
      });
      if (inserted) return { created: true, receipt: toReceipt(inserted) };
      const existing = await find(r.paymentId, r.kind, r.idempotencyKey);
      return { created: false, receipt: toReceipt(existing!) };
    },

    async replacePendingReceipt(paymentId, receipt, now) {
      const r = await db.updateTable('receipts').set({ receipt: JSON.stringify(receipt), updated_at: now })
        .where('payment_id', '=', paymentId).where('kind', '=', 'payment').where('idempotency_key', '=', '').where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async replaceCapturedReceipt(paymentId, receipt, now) {
      // A hold's receipt is fiscalised at capture: until then the one given at creation is only
      // pending or sent, and the capture's (of what is taken) replaces it, made now and asked anew.
      const r = await db.updateTable('receipts').set({ receipt: JSON.stringify(receipt), status: 'pending', provider_receipt_id: null, reason: null, check_at: null, check_attempts: 0, created_at: now, updated_at: now })
        .where('payment_id', '=', paymentId).where('kind', '=', 'payment').where('idempotency_key', '=', '').where('status', 'in', ['pending', 'sent'])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async setReceiptStatus(id, s) {
      let q = db.updateTable('receipts').set({
        status: s.status,
        updated_at: s.at,
        ...(s.providerReceiptId !== undefined ? { provider_receipt_id: s.providerReceiptId.slice(0, 128) } : {}),
        ...(s.reason !== undefined ? { reason: s.reason.slice(0, 500) } : {}),
      }).where('id', '=', id).where('status', '!=', 'registered');
      // Failed once is reported once (its event is queued by whoever saw the change).
      if (s.status === 'failed') q = q.where('status', '!=', 'failed');
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async receiptStatusesOf(ids) {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('receipts').select(['payment_id', 'status'])
        .where('payment_id', 'in', [...ids]).where('kind', '=', 'payment').where('idempotency_key', '=', '').execute();
      return new Map(rows.map((r) => [r.payment_id, r.status as ReceiptStatus]));
    },

    async receiptsOf(paymentId) {
      const rows = await db.selectFrom('receipts').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
      return rows.map(toReceipt);
    },

    async failedReceipts(merchantLogin, limit) {
      const rows = await db.selectFrom('receipts').selectAll()
        .where('merchant_login', '=', merchantLogin).where('status', '=', 'failed').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toReceipt);
    },
  };
}
