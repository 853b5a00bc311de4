/**
 * The storage interface: what the domain asks of the database, one method per question or change.
 * One implementation (storage.ts, on Kysely) passes one contract suite on SQLite and PostgreSQL.
 */
import type { FailureReason } from '../../protocol/checkout-api.ts';
import type { NotificationStatus, PaymentStatus } from '../states.ts';
import type {
  AttemptRecord, HoldOperation, Merchant, NewHoldOperation, NewNotification, NewPayment, NewReceipt, NewRefund, NotificationRecord, Payment, PaymentAction, ReceiptRecord, ReceiptStatus, RefundRecord, SaveConsent, SavedMethod,
} from '../types.ts';
import type { Dialect } from './schema.ts';
import type { CabinetStorage } from './cabinet-storage.ts';
import type { SubscriptionsStore } from './subscriptions-store.ts';

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
  /** An audit line (manual changes; late money). */
  audit?: { actor: string; action: string; reason: string };
  /** Money a provider reported after the payment had ended (`expired`, `failed`, `rejected` → `paid`). */
  paidLate?: boolean;
  /** Why the payment ends without money (a move to `failed`, `expired`, `rejected`). */
  failureReason?: FailureReason;
  /**
   * A move to `expired` of a provider payment: reconciliation keeps asking at `reconcileAt` until
   * `lateUntil` (the provider's own deadline). Without it, a payment that stops waiting is not asked again.
   */
  lateCheck?: { reconcileAt: number | null; lateUntil: number };
  /** The payment's capture as CHECK settled it (issue 25): `manual` holds; null charges at once. */
  captureMode?: 'manual' | null;
  /** A hold's deadline at the provider (a move to `authorized`). */
  holdExpiresAt?: number;
  /** When reconciliation next asks about the payment (a hold's policy moment), overriding the default. */
  reconcileAt?: number | null;
  /** A capture of a smaller amount: what was taken (and reaches the merchant) and what had been held. */
  captured?: { amountMinor: bigint; balanceMinor: bigint; heldMinor: bigint };
  /** The hold operation this change completes, marked `succeeded` in the same transaction. */
  settleHold?: string;
  /** A second notification written with the change (a webhooks merchant's `payment.voided` beside nothing else, say). */
  extraNotification?: NewNotification & { dueAt: number };
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

export interface Storage extends CabinetStorage, SubscriptionsStore {
  readonly dialect: Dialect;
  /**
   * Adds or updates a merchant. Seeding from the configuration keeps what the merchant changed in the
   * cabinet (K, key, notification settings, origins); `operator: true` (the merchant-admin command,
   * an explicit act) writes everything and hands the merchant back to the configuration.
   */
  upsertMerchant(m: Merchant, now: number, opts?: { operator?: boolean }): Promise<void>;
  getMerchant(login: string): Promise<Merchant | undefined>;
  /**
   * The statuses of the given payments, in one query (ids not found are left out): the status
   * streams of a process share one read of their payments (see http/stream-hub.ts).
   */
  statusesOf(ids: readonly string[]): Promise<Map<string, PaymentStatus>>;
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
  /**
   * A failed payment's reason made more precise by a later report (a notification naming insufficient
   * funds after a status read that said only "declined"); never over a precise one.
   */
  refineFailureReason(id: string, reason: FailureReason): Promise<boolean>;
  /** How many payments carry the `amount_mismatch` flag (monitoring). */
  countAmountMismatches(): Promise<number>;
  /** Payments still `created` or `checking` since before `createdBefore`: their request was cut off. */
  staleUnfinished(createdBefore: number, limit: number, opts?: { sandboxOnly?: boolean }): Promise<Payment[]>;
  /** Payments waiting for money past their deadline. */
  dueExpirations(now: number, limit: number): Promise<Payment[]>;
  /** The order's newest payment waiting for the buyer (`awaiting_payment`), if any: what a reload of the order's form resumes. */
  waitingPaymentOf(merchantLogin: string, payFor: string): Promise<Payment | undefined>;
  /** The order's newest payment whose money is held (`authorized`), else its newest waiting one: what a reload of the order's form resumes. */
  resumablePaymentOf(merchantLogin: string, payFor: string): Promise<Payment | undefined>;
  /** The order's first paid or held payment (refunded ones included) other than `exceptId`, by time paid; not a duplicate itself. */
  firstPaidOf(merchantLogin: string, payFor: string, exceptId: string): Promise<Payment | undefined>;
  /** The order's paid and held payments (refunded ones included), in the order they were paid or made (then by number), among its 50 newest. */
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

  // ---- fiscal receipts (0011) ----

  /**
   * Keeps a receipt. One per payment, kind and idempotency key: a second with the same three gives
   * back the first (`created: false`) and writes nothing.
   */
  saveReceipt(r: NewReceipt, audit?: { actor: string; action: string; reason: string; status: PaymentStatus }): Promise<{ created: boolean; receipt: ReceiptRecord }>;
  /** Replaces the payment's own receipt while none was given to the provider (`pending`); `false` otherwise. */
  replacePendingReceipt(paymentId: string, receipt: NewReceipt['receipt'], now: number): Promise<boolean>;
  /** Replaces the payment's own receipt, not yet registered, by a smaller capture's (status `pending` again, made `now`); `false` when there is none open. */
  replaceCapturedReceipt(paymentId: string, receipt: NewReceipt['receipt'], now: number): Promise<boolean>;
  /** Records a receipt's registration status; a `registered` receipt never moves back, a `failed` one fails once (`false` again). */
  setReceiptStatus(id: number, s: { status: ReceiptStatus; providerReceiptId?: string; reason?: string; at: number }): Promise<boolean>;
  /** The status of each given payment's own receipt (ids without one are left out), in one query. */
  receiptStatusesOf(paymentIds: readonly string[]): Promise<Map<string, ReceiptStatus>>;
  /** A payment's receipts, oldest first. */
  receiptsOf(paymentId: string): Promise<ReceiptRecord[]>;
  /** A merchant's failed receipts, newest first (the attention list). */
  failedReceipts(merchantLogin: string, limit: number): Promise<ReceiptRecord[]>;

  // ---- receipts' registration status (0015) ----

  /**
   * Settles a receipt as its provider reports it: `registered` or `failed` from `pending` / `sent`
   * only, once (`false` when it was final already, nothing written); `sent` keeps it open and
   * records the provider's receipt id. A final status ends its checks. `notification` (the
   * `receipt.failed` event) is written in the same transaction as the change.
   */
  settleReceipt(id: number, s: { status: 'sent' | 'registered' | 'failed'; providerReceiptId?: string; reason?: string; at: number; notification?: NewNotification & { dueAt: number } }): Promise<boolean>;
  /** When to ask the provider about an open receipt next (null: never); `false` for a final one. */
  scheduleReceiptCheck(id: number, at: number | null): Promise<boolean>;
  /** Claims open receipts whose check is due, under a lease (PostgreSQL: `SKIP LOCKED`). */
  claimReceiptChecks(now: number, limit: number, owner: string, leaseMs: number): Promise<ReceiptRecord[]>;
  /** Ends a claim: the next check time (null: no more), kept only while the receipt is open; `false` when the lease was lost. */
  finishReceiptCheck(id: number, owner: string, nextAt: number | null): Promise<boolean>;
  /** The earliest due receipt check, or null. */
  nextReceiptCheckAt(): Promise<number | null>;

  // ---- saved methods (0013, issue 26) ----

  /** Keeps the buyer's consent to save a method, once per payment (a repeat writes nothing). */
  recordSaveConsent(c: SaveConsent): Promise<void>;
  saveConsentOf(paymentId: string): Promise<SaveConsent | undefined>;
  /** Keeps a method saved by a paid payment; a second one for the same payment gives back the first (`created: false`). */
  keepSavedMethod(m: SavedMethod): Promise<{ created: boolean; method: SavedMethod }>;
  /** A merchant's customer's methods not removed, newest first (at most 100; one per provider token). */
  savedMethodsOf(merchantLogin: string, customer: string): Promise<SavedMethod[]>;
  /** One of the merchant's methods not removed; undefined for another merchant's or a removed one. */
  savedMethodOf(merchantLogin: string, id: string): Promise<SavedMethod | undefined>;
  /** Removes a method (never offered or charged again); `false` when unknown, another merchant's or removed already. */
  revokeSavedMethod(merchantLogin: string, id: string, at: number): Promise<boolean>;
  touchSavedMethod(id: string, at: number): Promise<void>;

  // ---- holds (0012) ----

  /**
   * Starts a capture or void of a hold, atomically with its checks (the payment row locked): the same
   * idempotency key gives back the operation already begun; a payment not `authorized`, one with
   * another operation pending (a capture racing a void: exactly one wins), or a capture above what is
   * held is refused and nothing is written.
   */
  beginHoldOperation(op: NewHoldOperation): Promise<
    | { kind: 'created' | 'existing'; operation: HoldOperation }
    | { kind: 'invalid_state'; status: PaymentStatus }
    | { kind: 'busy'; operation: HoldOperation }
    | { kind: 'too_much'; heldMinor: bigint }
    | { kind: 'unknown_payment' }>;
  /** Records a refusal of a pending operation (`failed`); `false` when it was settled already. */
  failHoldOperation(id: string, reason: string, at: number): Promise<boolean>;
  /** A payment's hold operations, oldest first. */
  holdOperationsOf(paymentId: string): Promise<HoldOperation[]>;
  /** A merchant's held payments (`authorized`), the nearest deadline first. */
  heldPayments(merchantLogin: string, limit: number): Promise<Payment[]>;
}
