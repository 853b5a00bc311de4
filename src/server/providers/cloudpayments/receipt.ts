/**
 * Our fiscal receipt (54-ФЗ, `protocol/receipt.ts`) as CloudPayments' `CustomerReceipt` (CloudKassir):
 * in `JsonData.CloudPayments` of `orders/create` and `payments/refund`, and in `kkt/receipt` (the
 * receipt API) for the closing receipt; the receipt API's statuses as the contract's outcome. Pure.
 * Amounts are written as JSON numbers with their exact text (`RawNumber`), never through a float.
 * The mapping table and the choices: README.md («Receipts»).
 */
import type { PaymentObject, Receipt, ReceiptItem, ReceiptPaymentMethod, Taxation, Vat } from '../../../protocol/receipt.ts';
import { formatTwoDecimals, parseAmount } from '../../../protocol/money.ts';
import { RawNumber } from '../../../protocol/exact-json.ts';
import type { ReceiptOutcome } from '../contract.ts';

/** `taxationSystem`: 0 ОСН, 1 УСН доходы, 2 УСН доходы − расходы, 4 ЕСХН, 5 ПСН (3, ЕНВД, is gone). */
export const CP_TAXATION_SYSTEMS: Readonly<Record<Taxation, number>> = { osn: 0, usn_income: 1, usn_income_outcome: 2, esn: 4, patent: 5 };

/** `vat`: `null` without VAT, else the rate's number (`110` for 10/110, `122` for 22/122). */
export const CP_VAT: Readonly<Record<Vat, number | null>> = {
  none: null, vat0: 0, vat5: 5, vat7: 7, vat10: 10, vat22: 22, vat105: 105, vat107: 107, vat110: 110, vat122: 122,
};

/** `method` (tag 1214): 1 full_prepayment … 7 credit_payment. */
export const CP_METHODS: Readonly<Record<ReceiptPaymentMethod, number>> = {
  full_prepayment: 1, prepayment: 2, advance: 3, full_payment: 4, partial_payment: 5, credit: 6, credit_payment: 7,
};

/** `object` (tag 1212): 1 commodity … 13 another. */
export const CP_OBJECTS: Readonly<Record<PaymentObject, number>> = {
  commodity: 1, excise: 2, job: 3, service: 4, gambling_bet: 5, gambling_prize: 6, lottery: 7, lottery_prize: 8,
  intellectual_activity: 9, payment: 10, agent_commission: 11, composite: 12, another: 13,
};

/** FFD 1.2 (tag 1212): goods with a marking code are 33 (ТМ), excisable ones 31 (АТМ). */
const MARKED_OBJECTS: Partial<Record<PaymentObject, number>> = { commodity: 33, excise: 31 };

/** `measurementUnit`: the short Russian unit names CloudKassir's examples use (`шт`). */
export const CP_MEASUREMENT_UNITS: Readonly<Record<string, string>> = {
  piece: 'шт', gram: 'г', kilogram: 'кг', ton: 'т', centimeter: 'см', decimeter: 'дм', meter: 'м',
  square_centimeter: 'кв. см', square_decimeter: 'кв. дм', square_meter: 'кв. м', milliliter: 'мл', liter: 'л',
  cubic_meter: 'куб. м', kilowatt_hour: 'кВт·ч', gigacalorie: 'Гкал', day: 'сутки', hour: 'ч', minute: 'мин',
  second: 'с', kilobyte: 'Кбайт', megabyte: 'Мбайт', gigabyte: 'Гбайт', terabyte: 'Тбайт', another: 'иная',
};

function money(text: string, field: string): RawNumber {
  const minor = parseAmount(text);
  if (minor === null) throw new RangeError(`${field} is not an amount`);
  return new RawNumber(formatTwoDecimals(minor));
}

function itemOf(item: ReceiptItem, i: number, ffd12: boolean): Record<string, unknown> {
  const at = `receipt.items[${i}]`;
  if (!/^\d{1,10}(\.\d{1,3})?$/.test(item.quantity)) throw new RangeError(`${at}.quantity is not a quantity`);
  const marked = ffd12 && item.markCode !== undefined ? MARKED_OBJECTS[item.paymentObject] : undefined;
  const o: Record<string, unknown> = {
    label: item.name,
    price: money(item.price, `${at}.price`),
    quantity: new RawNumber(item.quantity),
    amount: money(item.amount, `${at}.amount`),
    vat: CP_VAT[item.vat],
    method: CP_METHODS[item.paymentMethod],
    object: marked ?? CP_OBJECTS[item.paymentObject],
  };
  if (ffd12) {
    const unit = item.measure === undefined ? 'шт' : CP_MEASUREMENT_UNITS[item.measure];
    if (unit === undefined) throw new RangeError(`${at}.measure: CloudPayments has no unit ${item.measure}`);
    o.measurementUnit = unit;
    if (item.markCode !== undefined) o.ProductCodeData = { CodeProductNomenclature: item.markCode };
  }
  return o;
}

export interface CpReceiptOptions {
  /** The closing receipt: the whole sum set off against the advance (`amounts.advancePayment`). */
  closing?: boolean;
}

/**
 * `CustomerReceipt` for our receipt. Throws a `RangeError` naming the field for what CloudPayments
 * cannot carry.
 *
 * @example cpCustomerReceipt(receipt) // { Items: [{ label, price: 1200.00, quantity: 1, amount: 1200.00, vat: null, method: 4, object: 1 }], taxationSystem: 1, email }
 */
export function cpCustomerReceipt(r: Receipt, o: CpReceiptOptions = {}): Record<string, unknown> {
  const ffd12 = r.ffd === '1.2';
  const out: Record<string, unknown> = {
    Items: r.items.map((item, i) => itemOf(item, i, ffd12)),
    taxationSystem: CP_TAXATION_SYSTEMS[r.taxation],
  };
  if (r.customer.email !== undefined) out.email = r.customer.email;
  if (r.customer.phone !== undefined) out.phone = r.customer.phone;
  if (o.closing) {
    let total = 0n;
    for (const [i, item] of r.items.entries()) {
      const amount = parseAmount(item.amount);
      if (amount === null) throw new RangeError(`receipt.items[${i}].amount is not an amount`);
      total += amount;
    }
    out.amounts = { electronic: new RawNumber('0.00'), advancePayment: new RawNumber(formatTwoDecimals(total)) };
  }
  return out;
}

/** `JsonData` carrying a receipt: `{"CloudPayments": {"CustomerReceipt": …}}`. */
export function receiptJsonData(r: Receipt): Record<string, unknown> {
  return { CloudPayments: { CustomerReceipt: cpCustomerReceipt(r) } };
}

/**
 * The body of `kkt/receipt` for the closing receipt: an `Income` receipt for the invoice (our payment
 * id), the prepayment set off.
 */
export function closingReceiptRequest(inn: string, invoiceId: string, r: Receipt): Record<string, unknown> {
  // A string: an INN may begin with 0 (the region code), which a JSON number cannot keep.
  return { Inn: inn, Type: 'Income', InvoiceId: invoiceId, CustomerReceipt: cpCustomerReceipt(r, { closing: true }) };
}

/**
 * The receipt API's status (`kkt/receipt/status/get`) as the contract's outcome: `Queued` → sent,
 * `Processed` → registered, `Error` / `Cancelled` → failed.
 */
export function cpReceiptOutcome(status: unknown, providerReceiptId: string): ReceiptOutcome | undefined {
  switch (status) {
    case 'Queued':
      return { status: 'sent', providerReceiptId };
    case 'Processed':
      return { status: 'registered', providerReceiptId };
    case 'Error':
    case 'Cancelled':
      return { status: 'failed', providerReceiptId, reason: `cloudpayments: receipt ${status}` };
    default:
      return undefined;
  }
}
