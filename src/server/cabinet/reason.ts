/**
 * A payment's status reason as the cabinet shows it (issue 28 item 5): the gateway writes its
 * reasons as English text for logs and scripts (`declined by the payment system (REJECTED)`,
 * `refunded: <the merchant's reason>`); the page shows them in the merchant's language from a code
 * and the detail that follows it (a provider's state, the merchant's own words). Pure.
 *
 * @example describeReason('partially_refunded', 'refunded: damaged box') // { code: 'partial_refund', detail: 'damaged box' }
 */
import type { PaymentStatus } from '../states.ts';

/** What a reason says, as a code the page has words for. */
export type ReasonCode =
  | 'none' | 'declined_by_provider' | 'expired_at_provider' | 'refund' | 'partial_refund' | 'abandoned'
  | 'check_declined' | 'check_failed' | 'provider_error' | 'duplicate' | 'other';

export interface ReasonView {
  code: ReasonCode;
  /** The words after the gateway's own prefix (a provider's state, the merchant's or shop's text); may be empty. */
  detail: string;
}

/** Prefixes the gateway writes (payments/reports.ts, refunds/refunds.ts, payments/create.ts, payments/orders.ts). */
const PREFIXES: { re: RegExp; code: ReasonCode }[] = [
  { re: /^declined by the payment system(?: \((.*)\))?$/s, code: 'declined_by_provider' },
  { re: /^expired at the payment system(?: \((.*)\))?$/s, code: 'expired_at_provider' },
  { re: /^refunded(?:: (.*))?$/s, code: 'refund' },
  { re: /^abandoned(?:: (.*))?$/s, code: 'abandoned' },
  { re: /^check_declined(?:: (.*))?$/s, code: 'check_declined' },
  { re: /^check_failed(?:: (.*))?$/s, code: 'check_failed' },
  { re: /^provider_error(?:: (.*))?$/s, code: 'provider_error' },
  // Money for an order already paid (payments/reports.ts): the detail is the first payment's id.
  { re: /^duplicate: order [\s\S]* was paid by (pay_[A-Za-z0-9_-]+)$/, code: 'duplicate' },
];

/** The code and detail of a payment's status reason; a partial refund reads as one, not as "refunded". */
export function describeReason(status: PaymentStatus, reason: string): ReasonView {
  if (reason === '') return { code: 'none', detail: '' };
  for (const { re, code } of PREFIXES) {
    const m = re.exec(reason);
    if (!m) continue;
    const detail = m[1] ?? '';
    if (code === 'refund') return { code: status === 'partially_refunded' ? 'partial_refund' : 'refund', detail };
    // An abandoned payment's detail is the gateway's own English account of the cancel: the code says it.
    return { code, detail: code === 'abandoned' ? '' : detail };
  }
  return { code: 'other', detail: reason };
}
