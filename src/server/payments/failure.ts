/**
 * Why a payment ended without money, as the buyer's side is told it (`PaymentView.reason`): a code
 * from the checkout contract, never the provider's or the shop's raw words (except the shop's CHECK
 * comment, which is meant for the buyer). Pure.
 */
import type { FailureReason } from '../../protocol/checkout-api.ts';
import type { Payment } from '../types.ts';

const ENDED_WITHOUT_MONEY = new Set(['failed', 'expired', 'rejected']);

/**
 * The reason code of a payment that ended without money; undefined for any other status. The code
 * recorded with the change when there is one; for payments stored before it was (0010_late_money),
 * read from the status reason the gateway wrote.
 */
export function failureReasonOf(p: Pick<Payment, 'status' | 'statusReason' | 'failureReason' | 'manual'>): FailureReason | undefined {
  if (!ENDED_WITHOUT_MONEY.has(p.status)) return undefined;
  if (p.failureReason) return p.failureReason;
  const r = p.statusReason;
  if (r.startsWith('abandoned')) return 'abandoned';
  if (r.startsWith('check_declined')) return 'check_declined';
  if (r.startsWith('check_failed')) return 'check_failed';
  if (r.startsWith('provider_error')) return 'provider_error';
  if (p.status === 'expired') return 'expired';
  if (p.manual) return 'cancelled';
  if (r.startsWith('declined')) return 'declined';
  return 'unknown';
}

/** The shop's CHECK comment of a payment it declined (the text after `check_declined: `), or undefined. */
export function checkCommentOf(p: Pick<Payment, 'status' | 'statusReason'>): string | undefined {
  if (p.status !== 'rejected') return undefined;
  const m = /^check_declined: ([\s\S]+)$/.exec(p.statusReason);
  return m ? m[1]!.slice(0, 255) : undefined;
}
