/**
 * 54-ФЗ receipts as the CloudPayments emulator checks them: the `CustomerReceipt` object a merchant
 * puts in `JsonData.CloudPayments` of `orders/create`, the payment methods, `payments/confirm` and
 * `payments/refund` (CloudPayments' «Online receipt» section). The documented refusals are a sum that
 * is not the operation's amount, a VAT rate that is not in the VAT table and a receipt with no buyer
 * contact; the message wording is ours (README, «Receipts»).
 */
import { isLosslessNumber } from 'lossless-json';
import { amountText, readAmount, readJson, scalar, type Json } from './emulator-wire.ts';

/**
 * VAT values of the receipt's `vat` (CloudPayments' VAT table): `null`/absent = without VAT, 0, 10,
 * 20, 110 (10/110), 120 (20/120), and the 2025–2026 rates 5, 7, 105, 107, 22, 122. The old 18 / 118
 * were dropped in 2019 and are refused.
 */
export const RECEIPT_VAT_VALUES: readonly string[] = ['0', '10', '20', '110', '120', '5', '7', '105', '107', '22', '122'];

/** A validated receipt: the items' total and the buyer contact it carries. */
export interface CheckedReceipt {
  totalMinor: bigint;
  items: number;
  contact: string;
}

/** Why a receipt was refused: the provider's envelope message. */
export interface ReceiptError {
  message: string;
}

function asObject(value: Json | undefined): Record<string, Json> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isLosslessNumber(value) ? (value as Record<string, Json>) : null;
}

/**
 * The `CustomerReceipt` inside a request's `JsonData` (an object, or a string holding JSON, as some
 * SDKs send it), `null` when there is none, or an error when `JsonData` is not JSON.
 */
export function receiptOf(jsonData: Json | undefined): { receipt: Record<string, Json> } | ReceiptError | null {
  if (jsonData === undefined || jsonData === null || jsonData === '') return null;
  const data = typeof jsonData === 'string' ? readJson(jsonData) : jsonData;
  if (data === undefined) return { message: 'Invalid JsonData value' };
  const cp = asObject(asObject(data)?.CloudPayments ?? asObject(data)?.cloudPayments);
  if (!cp) return null;
  const raw = cp.CustomerReceipt ?? cp.customerReceipt;
  if (raw === undefined) return null;
  const receipt = asObject(raw);
  return receipt ? { receipt } : { message: 'CustomerReceipt: must be an object' };
}

/**
 * Checks a receipt against the amount of the operation it goes with (payment, confirmation or
 * refund), in that operation's minor units.
 */
export function checkReceipt(receipt: Record<string, Json>, operationMinor: bigint): CheckedReceipt | ReceiptError {
  const items = receipt.Items ?? receipt.items;
  if (!Array.isArray(items) || items.length === 0) return { message: 'CustomerReceipt.Items: at least one item is required' };
  let total = 0n;
  for (const [i, raw] of items.entries()) {
    const item = asObject(raw);
    if (!item) return { message: `CustomerReceipt.Items[${i}]: must be an object` };
    const label = scalar(item.label ?? item.Label);
    if (!label) return { message: `CustomerReceipt.Items[${i}].label is required` };
    if (readAmount(item.price ?? item.Price) === null) return { message: `CustomerReceipt.Items[${i}].price: invalid value` };
    const quantity = scalar(item.quantity ?? item.Quantity);
    if (quantity === undefined || !/^\d{1,10}(\.\d{1,3})?$/.test(quantity) || Number(quantity) <= 0) return { message: `CustomerReceipt.Items[${i}].quantity: invalid value` };
    const amount = readAmount(item.amount ?? item.Amount);
    if (amount === null) return { message: `CustomerReceipt.Items[${i}].amount: invalid value` };
    const vat = item.vat ?? item.Vat;
    if (vat !== undefined && vat !== null && vat !== '') {
      const text = scalar(vat);
      if (text === undefined || !RECEIPT_VAT_VALUES.includes(text)) return { message: `CustomerReceipt.Items[${i}].vat: unknown VAT value ${text ?? JSON.stringify(vat)}` };
    }
    total += amount;
  }
  if (total !== operationMinor) return { message: `CustomerReceipt: the sum of Items (${amountText(total)}) does not match Amount (${amountText(operationMinor)})` };
  const amounts = asObject(receipt.amounts ?? receipt.Amounts);
  if (amounts) {
    let paid = 0n;
    for (const key of ['electronic', 'advancePayment', 'credit', 'provision']) {
      const v = amounts[key];
      if (v === undefined || v === null) continue;
      const minor = readAmount(v);
      if (minor === null) return { message: `CustomerReceipt.amounts.${key}: invalid value` };
      paid += minor;
    }
    if (paid !== operationMinor) return { message: `CustomerReceipt.amounts: the sum (${amountText(paid)}) does not match Amount (${amountText(operationMinor)})` };
  }
  const taxation = receipt.taxationSystem ?? receipt.TaxationSystem;
  if (taxation !== undefined && taxation !== null && !['0', '1', '2', '3', '4', '5'].includes(scalar(taxation) ?? '')) {
    return { message: 'CustomerReceipt.taxationSystem: unknown value' };
  }
  const email = scalar(receipt.email ?? receipt.Email) ?? '';
  const phone = scalar(receipt.phone ?? receipt.Phone) ?? '';
  if (!email && !phone) return { message: 'CustomerReceipt: email or phone of the buyer is required' };
  return { totalMinor: total, items: items.length, contact: email || phone };
}

/** Both steps: the receipt in `JsonData`, if any, checked against the amount. `null` = no receipt. */
export function receiptFor(jsonData: Json | undefined, operationMinor: bigint): CheckedReceipt | ReceiptError | null {
  const found = receiptOf(jsonData);
  if (found === null || 'message' in found) return found;
  return checkReceipt(found.receipt, operationMinor);
}

/** Narrows a result to the refusal. */
export function isReceiptError(r: CheckedReceipt | ReceiptError | null): r is ReceiptError {
  return r !== null && 'message' in r;
}

/** A receipt made through the receipt API (`kkt/receipt`), as the emulator keeps it. */
export interface KktReceipt {
  id: string;
  type: string;
  inn: string;
  invoiceId: string | undefined;
  totalMinor: bigint;
  /** The emulated cash register registers at once: `Processed`. */
  status: 'Queued' | 'Processed' | 'Error' | 'Cancelled';
}

/** The receipt kinds of `kkt/receipt` (`Type`). */
export const KKT_RECEIPT_TYPES: readonly string[] = ['Income', 'IncomeReturn', 'Expense', 'ExpenseReturn'];

function sumOfAmounts(receipt: Record<string, Json>): bigint | null | ReceiptError {
  const amounts = asObject(receipt.amounts ?? receipt.Amounts);
  if (!amounts) return null;
  let paid = 0n;
  for (const key of ['electronic', 'advancePayment', 'credit', 'provision']) {
    const v = amounts[key];
    if (v === undefined || v === null) continue;
    const minor = readAmount(v);
    if (minor === null) return { message: `CustomerReceipt.amounts.${key}: invalid value` };
    paid += minor;
  }
  return paid;
}

/**
 * `kkt/receipt` («Формирование кассового чека»): a receipt on its own, not tied to a payment operation
 * (the closing receipt of a prepayment, a refund receipt made apart). `Inn` (10 or 12 digits) and
 * `Type` are required; the `CustomerReceipt` is checked as on payments, against the sum of its
 * `amounts` when given (else its items' own sum).
 */
export function createKktReceipt(params: Record<string, Json>, store: Map<string, KktReceipt>, newId: () => string): KktReceipt | ReceiptError {
  const inn = scalar(params.Inn);
  if (!inn || !/^(\d{10}|\d{12})$/.test(inn)) return { message: 'Inn: must be 10 or 12 digits' };
  const type = scalar(params.Type);
  if (!type || !KKT_RECEIPT_TYPES.includes(type)) return { message: 'Type: unknown receipt type' };
  const receipt = asObject(params.CustomerReceipt);
  if (!receipt) return { message: 'CustomerReceipt is required' };
  const paid = sumOfAmounts(receipt);
  if (paid !== null && typeof paid === 'object') return paid;
  let total = paid;
  if (total === null) {
    total = 0n;
    for (const raw of (Array.isArray(receipt.Items ?? receipt.items) ? (receipt.Items ?? receipt.items) as Json[] : [])) total += readAmount(asObject(raw)?.amount ?? asObject(raw)?.Amount) ?? 0n;
  }
  const checked = checkReceipt(receipt, total);
  if ('message' in checked) return checked;
  const r: KktReceipt = { id: newId(), type, inn, invoiceId: scalar(params.InvoiceId), totalMinor: checked.totalMinor, status: 'Processed' };
  store.set(r.id, r);
  return r;
}
