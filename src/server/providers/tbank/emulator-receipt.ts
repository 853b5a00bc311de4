/**
 * The emulator's check of a 54-FZ receipt (`Receipt`) on `Init`, `Confirm` and `Cancel`, from T-Bank's
 * «Структура объекта Receipt» (FFD 1.05 and 1.2) and its error codes. Pure; independent of the
 * connector. Choices where the documentation names no code are in README.md.
 */
import { kopecksOf } from './emulator-wire.ts';

/** A refusal: T-Bank's error code and the field it is about (`Details`). */
export interface ReceiptError {
  code: string;
  details: string;
}

/**
 * `Tax` («Ставка НДС», tag 1199) as the API reference lists it, with the 2026 rates `vat22` and
 * `vat122` (22 %, 22/122) T-Bank added when the general rate changed.
 */
export const RECEIPT_TAXES = new Set(['none', 'vat0', 'vat5', 'vat7', 'vat10', 'vat20', 'vat22', 'vat105', 'vat107', 'vat110', 'vat120', 'vat122']);
/** `Taxation` («Система налогообложения», tag 1055). */
export const RECEIPT_TAXATIONS = new Set(['osn', 'usn_income', 'usn_income_outcome', 'esn', 'patent']);
/** The kinds of payment of the `Payments` object, in kopecks. */
const PAYMENT_KINDS = ['Cash', 'Electronic', 'AdvancePayment', 'Credit', 'Provision'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function filled(v: unknown): boolean {
  return typeof v === 'string' ? v.trim() !== '' : v !== undefined && v !== null;
}

/**
 * Checks a receipt against the operation's amount (kopecks); null when T-Bank would take it.
 * Order of checks: structure, contact (329), each item (required fields, `Tax`), the items' sum
 * against the amount (334), the `Payments` kinds against the items (308).
 */
export function checkReceipt(receipt: unknown, amount: number): ReceiptError | null {
  if (!isObject(receipt)) return { code: '309', details: 'Receipt' };
  const items = receipt.Items;
  if (!Array.isArray(items) || items.length === 0) return { code: '309', details: 'Receipt.Items' };
  if (items.length > 100) return { code: '1', details: 'Receipt.Items: не более 100 позиций' };
  if (typeof receipt.Taxation !== 'string' || !RECEIPT_TAXATIONS.has(receipt.Taxation)) return { code: '1', details: 'Receipt.Taxation' };
  if (!filled(receipt.Email) && !filled(receipt.Phone)) return { code: '329', details: 'Receipt.Email / Receipt.Phone' };
  const ffd12 = receipt.FfdVersion === '1.2';
  let sum = 0;
  for (const [i, raw] of items.entries()) {
    const at = `Receipt.Items[${i}]`;
    if (!isObject(raw)) return { code: '1', details: at };
    for (const field of ['Name', 'Price', 'Quantity', 'Amount', 'Tax'] as const) {
      if (!filled(raw[field])) return { code: '2', details: `${at}.${field}` };
    }
    if (ffd12) {
      // FFD 1.2 makes the method, the object and the unit of measure mandatory (error 201).
      for (const field of ['PaymentMethod', 'PaymentObject', 'MeasurementUnit'] as const) {
        if (!filled(raw[field])) return { code: '201', details: `${at}.${field}` };
      }
    }
    if (typeof raw.Tax !== 'string' || !RECEIPT_TAXES.has(raw.Tax)) return { code: '1', details: `${at}.Tax` };
    const price = kopecksOf(raw.Price);
    const itemAmount = kopecksOf(raw.Amount);
    const quantity = typeof raw.Quantity === 'number' ? raw.Quantity : Number.NaN;
    if (price === undefined) return { code: '1', details: `${at}.Price` };
    if (itemAmount === undefined) return { code: '1', details: `${at}.Amount` };
    if (!(quantity > 0) || !/^\d{1,5}(\.\d{1,3})?$/.test(String(quantity))) return { code: '310', details: `${at}.Quantity` };
    sum += itemAmount;
  }
  if (sum !== amount) return { code: '334', details: `Receipt.Items: ${sum} ≠ Amount ${amount}` };
  if (receipt.Payments !== undefined) {
    if (!isObject(receipt.Payments)) return { code: '1', details: 'Receipt.Payments' };
    let paid = 0;
    for (const kind of PAYMENT_KINDS) {
      const v = receipt.Payments[kind];
      if (v === undefined) continue;
      const k = kopecksOf(v);
      if (k === undefined) return { code: '1', details: `Receipt.Payments.${kind}` };
      paid += k;
    }
    if (paid !== sum) return { code: '308', details: `Receipt.Payments: ${paid} ≠ ${sum}` };
  }
  return null;
}
