/**
 * The payment state machine (DESIGN.md §4) as one transition table. Storage applies every change as
 * a conditional update on the expected current state, so this table is the single source of truth
 * for which moves exist.
 */

export const PAYMENT_STATUSES = ['created', 'checking', 'awaiting_payment', 'paid', 'rejected', 'failed', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Why a payment changes state. `manual` is the merchant's hand in the cabinet. */
export type Cause = 'system' | 'manual';

const SYSTEM: Record<PaymentStatus, readonly PaymentStatus[]> = {
  // `failed` before the buyer was handed anything: the provider refused to create the payment.
  created: ['checking', 'awaiting_payment', 'rejected', 'failed'],
  checking: ['awaiting_payment', 'rejected', 'failed'],
  awaiting_payment: ['paid', 'failed', 'expired'],
  paid: [],
  rejected: [],
  failed: [],
  expired: [],
};

/** The merchant may settle by hand what the systems did not: mark paid or failed, never un-pay. */
const MANUAL: Record<PaymentStatus, readonly PaymentStatus[]> = {
  created: ['paid', 'failed'],
  checking: ['paid', 'failed'],
  awaiting_payment: ['paid', 'failed'],
  paid: [],
  rejected: ['paid'],
  failed: ['paid'],
  expired: ['paid', 'failed'],
};

/** Whether `from → to` is allowed for the given cause. */
export function canTransition(from: PaymentStatus, to: PaymentStatus, cause: Cause = 'system'): boolean {
  return (cause === 'manual' ? MANUAL : SYSTEM)[from].includes(to);
}

/** Statuses after which nothing happens by itself. */
export const FINAL_STATUSES: readonly PaymentStatus[] = ['paid', 'rejected', 'failed', 'expired'];
export const isFinal = (s: PaymentStatus): boolean => FINAL_STATUSES.includes(s);

export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'retrying', 'gave_up'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
