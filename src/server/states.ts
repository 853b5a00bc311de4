/**
 * The payment state machine (DESIGN.md §4) as one transition table. Storage applies every change as
 * a conditional update on the expected current state, so this table is the single source of truth
 * for which moves exist.
 */

import type { PaymentStatus } from '../protocol/checkout-api.ts';

export type { PaymentStatus };

/** Every status of the checkout contract's union, once (the type below fails to compile when one is missing). */
export const PAYMENT_STATUSES = [
  'created', 'checking', 'awaiting_payment', 'paid', 'rejected', 'failed', 'expired', 'partially_refunded', 'refunded',
  'authorized', 'partially_captured', 'voided',
] as const satisfies readonly PaymentStatus[];
const ALL_LISTED: Exclude<PaymentStatus, (typeof PAYMENT_STATUSES)[number]> extends never ? true : never = true;
void ALL_LISTED;

/**
 * Why a payment changes state. `system`: the gateway itself (CHECK, create, expiry, a refund it
 * made). `provider`: a verified report of the payment's provider (a signed notification, or the
 * provider's own answer to a status query), applied after the amount and currency checks.
 * `manual`: the merchant's hand in the cabinet.
 */
export type Cause = 'system' | 'provider' | 'manual';

const SYSTEM: Record<PaymentStatus, readonly PaymentStatus[]> = {
  // `failed` before the buyer was handed anything: the provider refused to create the payment.
  created: ['checking', 'awaiting_payment', 'rejected', 'failed'],
  checking: ['awaiting_payment', 'rejected', 'failed'],
  // `authorized`: a manual-capture payment's money held on the card (issue 25).
  awaiting_payment: ['paid', 'failed', 'expired', 'authorized'],
  // A hold captured in full (`paid`), in part (`partially_captured`), or released (`voided`).
  authorized: ['paid', 'partially_captured', 'voided'],
  // A smaller amount taken: `paid` once the provider reports it settled; refundable meanwhile.
  partially_captured: ['paid', 'partially_refunded', 'refunded'],
  // A refund the gateway made (cabinet API): part, or the rest.
  paid: ['partially_refunded', 'refunded'],
  partially_refunded: ['refunded'],
  refunded: [],
  rejected: [],
  failed: [],
  expired: [],
  // A void is not a refund: nothing was taken, nothing follows.
  voided: [],
};

/**
 * A provider's verified report may do what the gateway may, and one thing more: pay a payment that
 * had ended without money (`failed`, by the provider, the gateway or by hand; `expired`; `rejected`).
 * Money the provider says it took, in the right amount and currency, is paid money and is never
 * dropped: a decline that was not final (CloudPayments: the buyer pays again on the same page after a
 * Fail), a provider page still open past the gateway's deadline, a payment failed by hand and then
 * really paid. The payment is marked `paidLate` (DESIGN.md §4).
 */
const PROVIDER: Record<PaymentStatus, readonly PaymentStatus[]> = {
  ...SYSTEM,
  failed: ['paid', 'authorized'],
  expired: ['paid', 'authorized'],
  rejected: ['paid', 'authorized'],
};

/** Ended statuses from which a provider's report of money makes a payment paid late. */
export const LATE_MONEY_STATUSES: readonly PaymentStatus[] = ['failed', 'expired', 'rejected'];

/** The merchant may settle by hand what the systems did not: mark paid or failed, never un-pay. */
const MANUAL: Record<PaymentStatus, readonly PaymentStatus[]> = {
  created: ['paid', 'failed'],
  checking: ['paid', 'failed'],
  awaiting_payment: ['paid', 'failed'],
  paid: [],
  partially_refunded: [],
  refunded: [],
  rejected: ['paid'],
  failed: ['paid'],
  expired: ['paid', 'failed'],
  // Held money moves only through the provider (capture or void): a hand cannot take or release it.
  authorized: [],
  partially_captured: [],
  voided: [],
};

const TABLES: Record<Cause, Record<PaymentStatus, readonly PaymentStatus[]>> = { system: SYSTEM, provider: PROVIDER, manual: MANUAL };

/** Whether `from → to` is allowed for the given cause. */
export function canTransition(from: PaymentStatus, to: PaymentStatus, cause: Cause = 'system'): boolean {
  return TABLES[cause][from].includes(to);
}

/** Statuses after which nothing happens by itself (a refund is the merchant's act). */
export const FINAL_STATUSES: readonly PaymentStatus[] = ['paid', 'rejected', 'failed', 'expired', 'partially_refunded', 'refunded', 'voided'];
export const isFinal = (s: PaymentStatus): boolean => FINAL_STATUSES.includes(s);

/**
 * Statuses that end the buyer's part: the final ones, and a hold (`authorized`, then
 * `partially_captured`): the buyer has done all they will do; the shop captures or voids later.
 */
export const BUYER_DONE_STATUSES: readonly PaymentStatus[] = [...FINAL_STATUSES, 'authorized', 'partially_captured'];
export const isBuyerDone = (s: PaymentStatus): boolean => BUYER_DONE_STATUSES.includes(s);

/** Statuses in which money was received (a refund may follow). */
export const PAID_STATUSES: readonly PaymentStatus[] = ['paid', 'partially_refunded', 'refunded', 'partially_captured'];

/** Statuses of a hold still open at the provider: capture or void may follow (issue 25). */
export const HELD_STATUSES: readonly PaymentStatus[] = ['authorized'];

/** Statuses in which the gateway still waits for the provider: reconciliation asks about these. */
export const WAITING_STATUSES: readonly PaymentStatus[] = ['created', 'checking', 'awaiting_payment'];

/**
 * Statuses reconciliation asks about: the waiting ones, and `expired` while its provider's own
 * deadline may not have passed (the payment's `lateUntil`; only such a payment keeps a due time).
 */
export const RECONCILED_STATUSES: readonly PaymentStatus[] = [...WAITING_STATUSES, 'expired', 'authorized', 'partially_captured'];

export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'retrying', 'gave_up'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
