/**
 * The receipt of a refund (issue 24): a full refund returns the payment's whole receipt; a partial
 * one names the receipt's lines (by position) and quantities, or, when the receipt has one line,
 * needs only the amount (a one-line refund receipt). Quantities refunded before are counted, so a
 * line never goes back more than was sold. Pure: the payment's receipts are given.
 */
import { GatewayError } from '../errors.ts';
import { formatTwoDecimals, type Minor } from '../../protocol/money.ts';
import { lineAmountMinor, receiptTotalMinor, type Receipt, type ReceiptItem } from '../../protocol/receipt.ts';
import type { ReceiptRecord } from '../types.ts';

/** One line refunded: its position in the payment's receipt and how much of it. */
export interface RefundLine {
  index: number;
  quantity: string;
}

const QUANTITY = /^(0|[1-9]\d{0,8})(\.\d{1,3})?$/;
/** A quantity in thousandths. */
const milli = (q: string): bigint => {
  const [w, f = ''] = q.split('.');
  return BigInt(w!) * 1000n + BigInt(f.padEnd(3, '0'));
};
const quantityText = (m: bigint): string => (m % 1000n === 0n ? String(m / 1000n) : `${m / 1000n}.${(m % 1000n).toString().padStart(3, '0')}`.replace(/0+$/, ''));
/** Lines that are the same goods: what earlier refund receipts are counted against. */
const goodsKey = (i: ReceiptItem): string => JSON.stringify([i.name, i.price, i.vat, i.paymentObject]);
const refuse = (field: string, message: string) => new GatewayError(400, 'invalid_param', `${field}: ${message}`, field);

/**
 * The refund's amount and receipt. Without a payment receipt: the amount as given and no receipt
 * (naming items is refused). `paidLeftMinor`: what is paid and not yet refunded.
 */
export function refundReceipt(own: ReceiptRecord | undefined, earlier: readonly ReceiptRecord[], paidLeftMinor: Minor, input: { amountMinor?: Minor | undefined; items?: readonly RefundLine[] | undefined }): { amountMinor: Minor; receipt?: Receipt } {
  if (!own) {
    if (input.items) throw refuse('items', 'this payment has no receipt to name items of');
    if (input.amountMinor === undefined) throw refuse('amount', 'is required');
    return { amountMinor: input.amountMinor };
  }
  const sold = own.receipt;
  if (input.items) {
    const returned = new Map<string, bigint>();
    for (const r of earlier) for (const i of r.receipt.items) returned.set(goodsKey(i), (returned.get(goodsKey(i)) ?? 0n) + milli(i.quantity));
    const soldOf = new Map<string, bigint>();
    for (const i of sold.items) soldOf.set(goodsKey(i), (soldOf.get(goodsKey(i)) ?? 0n) + milli(i.quantity));
    const lines: ReceiptItem[] = [];
    input.items.forEach((l, k) => {
      const item = Number.isInteger(l.index) ? sold.items[l.index] : undefined;
      if (!item) throw refuse(`items[${k}].index`, `the payment's receipt has lines 0 to ${sold.items.length - 1}`);
      if (!QUANTITY.test(l.quantity) || milli(l.quantity) === 0n) throw refuse(`items[${k}].quantity`, 'must be a quantity above zero with at most 3 decimals, like "1" or "0.5"');
      const key = goodsKey(item);
      const after = (returned.get(key) ?? 0n) + milli(l.quantity);
      if (after > soldOf.get(key)!) throw refuse(`items[${k}].quantity`, `at most ${quantityText(soldOf.get(key)! - (returned.get(key) ?? 0n))} of line ${l.index} is left to refund`);
      returned.set(key, after);
      lines.push({ ...item, quantity: l.quantity, amount: formatTwoDecimals(lineAmountMinor(item.price, l.quantity)) });
    });
    const receipt: Receipt = { ...sold, items: lines };
    const total = receiptTotalMinor(receipt);
    if (input.amountMinor !== undefined && input.amountMinor !== total) throw refuse('amount', `the items named come to ${formatTwoDecimals(total)}`);
    return { amountMinor: total, receipt };
  }
  const amountMinor = input.amountMinor;
  if (amountMinor === undefined) throw refuse('amount', 'is required (or name the items refunded)');
  // The whole of a payment nothing was refunded from: its receipt as it was.
  if (earlier.length === 0 && amountMinor === receiptTotalMinor(sold) && amountMinor === paidLeftMinor) return { amountMinor, receipt: sold };
  if (sold.items.length === 1) {
    const amount = formatTwoDecimals(amountMinor);
    return { amountMinor, receipt: { ...sold, items: [{ ...sold.items[0]!, price: amount, quantity: '1', amount }] } };
  }
  throw refuse('items', 'this payment\'s receipt has several lines: name the lines and quantities refunded');
}
