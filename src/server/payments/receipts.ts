/**
 * The fiscal receipt of a payment being created (issue 24): which one (the link's, replaced by the
 * CHECK answer's, else the merchant's default), held to the payment (roubles, its sum, a contact),
 * with a fee line when the buyer pays the way's fee on top. Called from `create.ts`.
 */
import { GatewayError } from '../errors.ts';
import type { LinkParams } from '../../protocol/link.ts';
import type { Minor } from '../../protocol/money.ts';
import {
  checkReceiptForPayment, defaultReceipt, parseReceipt, receiptTotalMinor, withFeeItem,
  type Receipt, type ReceiptSettings,
} from '../../protocol/receipt.ts';
import type { Merchant, Payment } from '../types.ts';
import type { Quote } from './form.ts';

/** The fee line without merchant settings: a service, no VAT (a payment system's fee passed on). */
export const DEFAULT_FEE_LINE = { feeItemName: 'Комиссия платёжной системы', vat: 'none', paymentObject: 'service' } as const;

/** Where a payment's receipt came from. */
export type ReceiptSource = 'link' | 'check' | 'default';

/** The receipt a payment will carry before CHECK, and where it came from. */
export interface PlannedReceipt {
  receipt: Receipt;
  source: ReceiptSource;
}

const refuse = (field: string, message: string): GatewayError => new GatewayError(400, 'invalid_param', `${field}: ${message}`, field);

/** The fee line's settings: the merchant's, or the default with the first item's payment method. */
function feeLine(settings: ReceiptSettings | null | undefined, r: Receipt): Parameters<typeof withFeeItem>[1] {
  return settings ?? { ...DEFAULT_FEE_LINE, paymentMethod: r.items[0]!.paymentMethod };
}

/** The receipt with the fee line when the buyer pays the fee on top (the quote's amount above the price). */
function withFee(r: Receipt, merchant: Merchant, q: Pick<Quote, 'amount'>, priceMinor: Minor): Receipt {
  return withFeeItem(r, feeLine(merchant.receipts, r), q.amount - priceMinor);
}

/**
 * The receipt a new payment starts with, checked before anything is written: the link's, else the
 * merchant's default when its receipts are on; null when there is none to issue. A bad one is a 400
 * naming the field (`receipt.items`, `receipt.customer`, `way`), and no payment is made.
 */
export function planReceipt(merchant: Merchant, link: LinkParams, wayTicker: string, priceMinor: Minor, q: Pick<Quote, 'amount'>, userEmail: string): PlannedReceipt | null {
  const settings = merchant.receipts?.enabled ? merchant.receipts : null;
  let base: Receipt;
  let source: ReceiptSource;
  if (link.receipt) {
    base = link.receipt;
    source = 'link';
  } else if (settings) {
    base = defaultReceipt(settings, link.payFor, priceMinor);
    source = 'default';
  } else {
    return null;
  }
  const c = checkReceiptForPayment(base, { ticker: link.ticker, wayTicker, priceMinor, userEmail });
  if (!c.ok) {
    // A receipt without a contact needs the buyer's e-mail: ask for it by the name the form knows.
    if (c.issue.field === 'receipt.customer') throw refuse('user_email', 'a fiscal receipt is issued for this payment: an e-mail is required');
    throw refuse(c.issue.field, c.issue.message);
  }
  return { receipt: withFee(c.receipt, merchant, q, priceMinor), source };
}

/**
 * The CHECK answer's receipt for a created payment, held to it as a link's is (its contact filled
 * from the buyer's e-mail); the fee line added. `{ ok: false }` names what is wrong, for the
 * payment's refusal (the shop's answer, not the buyer's input, is at fault).
 */
export function receiptFromCheck(value: unknown, p: Payment, merchant: Merchant): { ok: true; receipt: Receipt } | { ok: false; reason: string } {
  const parsed = parseReceipt(value);
  if (!parsed.ok) return { ok: false, reason: `${parsed.issue.field}: ${parsed.issue.message}` };
  const c = checkReceiptForPayment(parsed.receipt, { ticker: p.ticker, wayTicker: p.wayTicker, priceMinor: p.priceMinor, userEmail: p.userEmail });
  if (!c.ok) return { ok: false, reason: `${c.issue.field}: ${c.issue.message}` };
  const receipt = withFee(c.receipt, merchant, { amount: p.amountMinor }, p.priceMinor);
  // Conversion RUR → RUR is exact, so the lines sum to what the buyer pays; anything else is a bug.
  if (receiptTotalMinor(receipt) !== p.amountMinor) return { ok: false, reason: 'receipt.items: the lines do not sum to the amount paid' };
  return { ok: true, receipt };
}
