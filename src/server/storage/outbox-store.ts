/**
 * The outbox: notifications written with the state changes that cause them, claimed under a lease,
 * their attempts recorded (several in one transaction: group commit).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { NewNotification } from '../types.ts';
import type { AttemptOutcome, Storage } from './interface.ts';
import { num, toAttempt, toNotification } from './rows.ts';
import type { Database, Dialect } from './schema.ts';

/** Writes one notification row, due at `dueAt` (inside the caller's transaction when given one). */
export 
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

type OutboxMethods = 'notificationsOf' | 'attemptsOf' | 'addNotification' | 'claimDue' | 'recordAttempt' | 'recordAttempts' | 'nextDueAt'
  | 'statusCounts' | 'expiredLeases' | 'releaseLeases' | 'countNotifications';

/** The outbox's part of the storage. */
export function outboxStore(db: Kysely<Database>, dialect: Dialect): Pick<Storage, OutboxMethods> {
  return {
    async notificationsOf(paymentId) {
      const rows = await db.selectFrom('notifications').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
      return rows.map(toNotification);
    },

    async attemptsOf(notificationId) {
      const rows = await db.selectFrom('attempts').selectAll().where('notification_id', '=', notificationId).orderBy('id').execute();
      return rows.map(toAttempt);
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
    }
  };
}
