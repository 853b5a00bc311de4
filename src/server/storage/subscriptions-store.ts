/**
 * Subscriptions (issue 26 item 4, 0014_subscriptions). A subscription belongs to one merchant:
 * every read by id names the merchant. The scheduler claims due ones under a lease
 * (`lease_owner`, `lease_until`; PostgreSQL `FOR UPDATE SKIP LOCKED`) as the receipt checker claims
 * receipts, and records a period's outcome only while it holds the lease, in one transaction with
 * the `subscription.*` events it causes (outbox).
 */
import type { Kysely, Selectable } from 'kysely';
import type { NewNotification, Subscription, SubscriptionInterval, SubscriptionStatus } from '../types.ts';
import type { Database, Dialect, SubscriptionTable } from './schema.ts';
import { insertNotification } from './outbox-store.ts';
import { num } from './rows.ts';

type Event = NewNotification & { dueAt: number };

/** What a change of a subscription writes: its new fields and the events it causes. */
export interface SubscriptionChange {
  status?: SubscriptionStatus;
  period?: number;
  attempt?: number;
  tries?: number;
  dueAt?: number | null;
  amountMinor?: bigint;
  anchorPeriod?: number;
  anchorAt?: number;
  lastPaymentId?: string | null;
  events?: Event[];
}

/** The subscriptions' part of the storage. */
export interface SubscriptionsStore {
  createSubscription(s: Subscription, events: Event[]): Promise<void>;
  subscriptionOf(merchantLogin: string, id: string): Promise<Subscription | undefined>;
  subscriptionsOf(merchantLogin: string, customer: string | undefined, limit: number): Promise<Subscription[]>;
  /** By id alone: only for a caller that proved its right to it (the customer's signed link). */
  subscriptionById(id: string): Promise<Subscription | undefined>;
  /**
   * Applies `change` where the subscription is in one of `statuses` and, unless `evenLeased`, no
   * scheduler's lease holds it (a charge under way); false: nothing changed.
   */
  changeSubscription(merchantLogin: string, id: string, statuses: SubscriptionStatus[], now: number, change: SubscriptionChange, evenLeased: boolean): Promise<boolean>;
  /** Claims due active subscriptions for `owner` until `now + leaseMs`. */
  claimDueSubscriptions(now: number, limit: number, owner: string, leaseMs: number): Promise<Subscription[]>;
  /** Records a claimed period's outcome and lets go of the lease; false when the lease was lost (nothing written). */
  finishSubscriptionClaim(id: string, owner: string, now: number, change: SubscriptionChange): Promise<boolean>;
  nextSubscriptionDueAt(): Promise<number | null>;
  /**
   * Makes an active subscription due now when its waiting charge (`last_payment_id`) has ended, so the
   * scheduler records the outcome at once instead of at its next look; false when it was not waiting
   * on that payment (or a scheduler holds it: it records the outcome itself).
   */
  wakeSubscription(id: string, paymentId: string, now: number): Promise<boolean>;
}

const toSubscription = (r: Selectable<SubscriptionTable>): Subscription => ({
  id: r.id, merchantLogin: r.merchant_login, customer: r.customer, methodId: r.method_id, amountMinor: BigInt(r.amount_minor), ticker: r.ticker,
  interval: r.interval as SubscriptionInterval, every: Number(r.every), startAt: Number(r.start_at), maxPeriods: num(r.max_periods), payFor: r.pay_for,
  receipt: r.receipt === null ? null : JSON.parse(r.receipt), status: r.status as SubscriptionStatus, period: Number(r.period),
  anchorPeriod: Number(r.anchor_period), anchorAt: Number(r.anchor_at), attempt: Number(r.attempt), tries: Number(r.tries), dueAt: num(r.due_at),
  leaseOwner: r.lease_owner, leaseUntil: num(r.lease_until), lastPaymentId: r.last_payment_id, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

function columns(c: SubscriptionChange, now: number) {
  return {
    updated_at: now,
    ...(c.status !== undefined ? { status: c.status } : {}),
    ...(c.period !== undefined ? { period: c.period } : {}),
    ...(c.attempt !== undefined ? { attempt: c.attempt } : {}),
    ...(c.tries !== undefined ? { tries: c.tries } : {}),
    ...(c.dueAt !== undefined ? { due_at: c.dueAt } : {}),
    ...(c.amountMinor !== undefined ? { amount_minor: c.amountMinor } : {}),
    ...(c.anchorPeriod !== undefined ? { anchor_period: c.anchorPeriod } : {}),
    ...(c.anchorAt !== undefined ? { anchor_at: c.anchorAt } : {}),
    ...(c.lastPaymentId !== undefined ? { last_payment_id: c.lastPaymentId } : {}),
  };
}

/** @example const s = subscriptionsStore(db, 'sqlite'); await s.claimDueSubscriptions(now, 10, 'gw-1', 60_000); */
export function subscriptionsStore(db: Kysely<Database>, dialect: Dialect): SubscriptionsStore {
  return {
    async createSubscription(s, events) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('subscriptions').values({
          id: s.id, merchant_login: s.merchantLogin, customer: s.customer, method_id: s.methodId, amount_minor: s.amountMinor, ticker: s.ticker,
          interval: s.interval, every: s.every, start_at: s.startAt, max_periods: s.maxPeriods, pay_for: s.payFor,
          receipt: s.receipt === null ? null : JSON.stringify(s.receipt), status: s.status, period: s.period, anchor_period: s.anchorPeriod, anchor_at: s.anchorAt,
          attempt: s.attempt, tries: s.tries, due_at: s.dueAt, lease_owner: null, lease_until: null, last_payment_id: null, created_at: s.createdAt, updated_at: s.updatedAt,
        }).execute();
        for (const e of events) await insertNotification(trx, e, s.createdAt);
      });
    },

    async subscriptionOf(merchantLogin, id) {
      const r = await db.selectFrom('subscriptions').selectAll().where('merchant_login', '=', merchantLogin).where('id', '=', id).executeTakeFirst();
      return r && toSubscription(r);
    },

    async subscriptionById(id) {
      const r = await db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toSubscription(r);
    },

    async subscriptionsOf(merchantLogin, customer, limit) {
      let q = db.selectFrom('subscriptions').selectAll().where('merchant_login', '=', merchantLogin);
      if (customer !== undefined) q = q.where('customer', '=', customer);
      return (await q.orderBy('created_at', 'desc').orderBy('id').limit(limit).execute()).map(toSubscription);
    },

    async changeSubscription(merchantLogin, id, statuses, now, change, evenLeased) {
      return db.transaction().execute(async (trx) => {
        let q = trx.updateTable('subscriptions').set(columns(change, now))
          .where('merchant_login', '=', merchantLogin).where('id', '=', id).where('status', 'in', statuses);
        if (!evenLeased) q = q.where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
        const r = await q.executeTakeFirst();
        const changed = Number(r.numUpdatedRows) === 1;
        if (changed) for (const e of change.events ?? []) await insertNotification(trx, e, now);
        return changed;
      });
    },

    async claimDueSubscriptions(now, limit, owner, leaseMs) {
      let due = db.selectFrom('subscriptions').select('id').where('due_at', '<=', now).where('status', '=', 'active').orderBy('due_at').limit(limit);
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db.updateTable('subscriptions')
        .set({ lease_owner: owner, lease_until: now + leaseMs, due_at: now + leaseMs })
        .where('id', 'in', due)
        // Re-checked on the row itself: under READ COMMITTED the subquery's row may have moved on.
        .where('due_at', '<=', now).where('status', '=', 'active')
        .returningAll().execute();
      return rows.map(toSubscription).sort((a, b) => (a.id < b.id ? -1 : 1));
    },

    async finishSubscriptionClaim(id, owner, now, change) {
      return db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('subscriptions').set({ ...columns(change, now), lease_owner: null, lease_until: null })
          // Still this owner's, and still active: a cancel during the charge stays a cancel.
          .where('id', '=', id).where('lease_owner', '=', owner).where('lease_until', '>=', now).where('status', '=', 'active').executeTakeFirst();
        const changed = Number(r.numUpdatedRows) === 1;
        if (changed) for (const e of change.events ?? []) await insertNotification(trx, e, now);
        return changed;
      });
    },

    async wakeSubscription(id, paymentId, now) {
      const r = await db.updateTable('subscriptions').set({ due_at: now, updated_at: now })
        .where('id', '=', id).where('last_payment_id', '=', paymentId).where('status', '=', 'active').where('due_at', '>', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async nextSubscriptionDueAt() {
      const r = await db.selectFrom('subscriptions').select('due_at').where('due_at', 'is not', null).where('status', '=', 'active').orderBy('due_at').limit(1).executeTakeFirst();
      return r ? num(r.due_at) : null;
    },
  };
}
