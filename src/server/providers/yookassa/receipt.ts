/**
 * Our fiscal receipt (54-ФЗ, `protocol/receipt.ts`) as YooKassa's `receipt` object (payments,
 * refunds) and `POST /receipts` body (the closing receipt), and YooKassa's receipt statuses as the
 * contract's `ReceiptOutcome`. Pure. The mapping table and the choices: README.md («Receipts»).
 */
import type { Receipt, ReceiptItem, Taxation, Vat } from '../../../protocol/receipt.ts';
import { formatTwoDecimals, parseAmount } from '../../../protocol/money.ts';
import type { ReceiptOutcome } from '../contract.ts';

/** `vat_code`: 1 без НДС, 2 0 %, 3 10 %, 5 10/110, 7 5 %, 8 7 %, 9 5/105, 10 7/107, 11 22 %, 12 22/122 (4 and 6 are 20 %, 20/120). */
export const YOOKASSA_VAT_CODES: Readonly<Record<Vat, number>> = {
  none: 1, vat0: 2, vat10: 3, vat110: 5, vat5: 7, vat7: 8, vat105: 9, vat107: 10, vat22: 11, vat122: 12,
};

/** `tax_system_code`: 1 ОСН, 2 УСН доходы, 3 УСН доходы − расходы, 5 ЕСХН, 6 ПСН (4, ЕНВД, is gone). */
export const YOOKASSA_TAX_SYSTEM_CODES: Readonly<Record<Taxation, number>> = {
  osn: 1, usn_income: 2, usn_income_outcome: 3, esn: 5, patent: 6,
};

/** `payment_mode`: our names, but for the partial prepayment (`prepayment` → `partial_prepayment`). */
function paymentMode(item: ReceiptItem): string {
  return item.paymentMethod === 'prepayment' ? 'partial_prepayment' : item.paymentMethod;
}

/** FFD 1.2: a `commodity` or `excise` item with a marking code is `marked` / `marked_excise`. */
function paymentSubject(item: ReceiptItem, ffd12: boolean): string {
  if (ffd12 && item.markCode !== undefined) {
    if (item.paymentObject === 'commodity') return 'marked';
    if (item.paymentObject === 'excise') return 'marked_excise';
  }
  return item.paymentObject;
}

/** YooKassa wants the phone in E.164 digits only (`79001234567`): the `+` and any separators go. */
function phoneOf(phone: string): string {
  return phone.replace(/\D/g, '');
}

function itemOf(item: ReceiptItem, i: number, currency: string, ffd12: boolean): Record<string, unknown> {
  const unit = parseAmount(item.price);
  if (unit === null) throw new RangeError(`receipt.items[${i}].price is not an amount`);
  const o: Record<string, unknown> = {
    description: item.name,
    // The exact decimal text: YooKassa reads quantity as a decimal with up to 3 places.
    quantity: item.quantity,
    // `amount` is the price of ONE unit; YooKassa multiplies by `quantity` itself.
    amount: { value: formatTwoDecimals(unit), currency },
    vat_code: YOOKASSA_VAT_CODES[item.vat],
    payment_mode: paymentMode(item),
    payment_subject: paymentSubject(item, ffd12),
  };
  if (ffd12) {
    // FFD 1.2 makes the unit mandatory: an item without one is counted in pieces.
    o.measure = item.measure ?? 'piece';
    if (item.markCode !== undefined) {
      o.mark_mode = '0';
      o.mark_code_info = { gs_1m: item.markCode };
    }
  }
  return o;
}

function customerOf(r: Receipt): Record<string, string> {
  const c: Record<string, string> = {};
  if (r.customer.email !== undefined) c.email = r.customer.email;
  if (r.customer.phone !== undefined) c.phone = phoneOf(r.customer.phone);
  return c;
}

/**
 * The `receipt` of `POST /payments` and `POST /refunds`. `currency` is YooKassa's code (`RUB`).
 *
 * @example yookassaReceipt(receipt, 'RUB') // { customer: { email }, items: [{ description, quantity, amount, vat_code, … }], tax_system_code: 2 }
 */
export function yookassaReceipt(r: Receipt, currency: string): Record<string, unknown> {
  const ffd12 = r.ffd === '1.2';
  return {
    customer: customerOf(r),
    items: r.items.map((item, i) => itemOf(item, i, currency, ffd12)),
    tax_system_code: YOOKASSA_TAX_SYSTEM_CODES[r.taxation],
  };
}

/**
 * The body of `POST /receipts` for the closing receipt of a prepaid payment: `type: "payment"`, sent
 * to the buyer, the whole sum settled as `prepayment` (the money taken before is set off).
 */
export function closingReceiptBody(providerPaymentId: string, r: Receipt, currency: string): Record<string, unknown> {
  const receipt = yookassaReceipt(r, currency);
  let total = 0n;
  for (const [i, item] of r.items.entries()) {
    const amount = parseAmount(item.amount);
    if (amount === null) throw new RangeError(`receipt.items[${i}].amount is not an amount`);
    total += amount;
  }
  return {
    type: 'payment',
    payment_id: providerPaymentId,
    send: true,
    ...receipt,
    settlements: [{ type: 'prepayment', amount: { value: formatTwoDecimals(total), currency } }],
  };
}

/**
 * YooKassa's registration status (`receipt_registration` of a payment or refund, `status` of a
 * receipt) as the contract's outcome: `pending` → sent, `succeeded` → registered, `canceled` → failed.
 */
export function receiptOutcomeOf(status: unknown, providerReceiptId?: string): ReceiptOutcome | undefined {
  const id = providerReceiptId !== undefined ? { providerReceiptId } : {};
  switch (status) {
    case 'pending':
      return { status: 'sent', ...id };
    case 'succeeded':
      return { status: 'registered', ...id };
    case 'canceled':
      return { status: 'failed', ...id, reason: 'yookassa: receipt registration canceled' };
    default:
      return undefined;
  }
}
