/**
 * Receipts' registration status (issue 24, 0015_receipt_status): a receipt settled once as its
 * provider reports it, and the schedule of questions about open (`sent`) ones, claimed under a lease
 * as reconciliation claims payments, so several gateways and workers never ask about one receipt at
 * once and a checker that dies leaves its claims due again when the lease ends.
 */
import { sql, type Kysely } from 'kysely';
import type { Storage } from './interface.ts';
import { insertNotification } from './outbox-store.ts';
import { num, toReceipt } from './rows.ts';
import type { Database, Dialect } from './schema.ts';

type CheckMethods = 'settleReceipt' | 'scheduleReceiptCheck' | 'claimReceiptChecks' | 'finishReceiptCheck' | 'nextReceiptCheckAt';

/** A receipt still waiting for its provider's word. */
const OPEN = ['pending', 'sent'] as const;

/** The receipts' status part of the storage. */
export function receiptChecksStore(db: Kysely<Database>, dialect: Dialect): Pick<Storage, CheckMethods> {
  return {
    async settleReceipt(id, s) {
      return db.transaction().execute(async (trx) => {
        const final = s.status !== 'sent';
        const r = await trx.updateTable('receipts').set({
          status: s.status,
          updated_at: s.at,
          ...(s.providerReceiptId !== undefined ? { provider_receipt_id: s.providerReceiptId.slice(0, 128) } : {}),
          ...(s.reason !== undefined ? { reason: s.reason.slice(0, 500) } : {}),
          // Final: no more questions (a claim in flight finds it final and keeps no next slot).
          ...(final ? { check_at: null } : {}),
        }).where('id', '=', id).where('status', 'in', [...OPEN]).executeTakeFirst();
        const changed = Number(r.numUpdatedRows) === 1;
        if (changed && s.notification) await insertNotification(trx, s.notification, s.at);
        return changed;
      });
    },

    async scheduleReceiptCheck(id, at) {
      const r = await db.updateTable('receipts').set({ check_at: at }).where('id', '=', id).where('status', 'in', [...OPEN]).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async claimReceiptChecks(now, limit, owner, leaseMs) {
      let due = db.selectFrom('receipts').select('id').where('check_at', '<=', now).orderBy('check_at').limit(limit);
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db.updateTable('receipts')
        .set({ check_owner: owner, check_until: now + leaseMs, check_at: now + leaseMs })
        .where('id', 'in', due)
        // Re-checked on the row itself: under READ COMMITTED the subquery's row may have moved on.
        .where('check_at', '<=', now)
        .returningAll().execute();
      return rows.map(toReceipt).sort((a, b) => a.id - b.id);
    },

    async finishReceiptCheck(id, owner, nextAt) {
      const r = await db.updateTable('receipts').set({
        check_at: sql<never>`case when status in (${sql.join([...OPEN])}) then cast(${nextAt} as bigint) else null end`,
        check_attempts: sql<never>`check_attempts + 1`,
        check_owner: null,
        check_until: null,
      }).where('id', '=', id).where('check_owner', '=', owner).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async nextReceiptCheckAt() {
      const r = await db.selectFrom('receipts').select('check_at').where('check_at', 'is not', null).orderBy('check_at').limit(1).executeTakeFirst();
      return r ? num(r.check_at) : null;
    },
  };
}
