/** The audit trail of payments: who changed what, when and why (manual changes, resends, refunds). */
import type { Kysely } from 'kysely';
import type { Storage } from './interface.ts';
import type { Database } from './schema.ts';

/** The audit's part of the storage. */
export function auditStore(db: Kysely<Database>): Pick<Storage, 'auditOf'> {
  return {
    async auditOf(paymentId) {
      const rows = await db.selectFrom('audit').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
      return rows.map((r) => ({ at: Number(r.at), actor: r.actor, action: r.action, fromStatus: r.from_status, toStatus: r.to_status, reason: r.reason }));
    }
  };
}
