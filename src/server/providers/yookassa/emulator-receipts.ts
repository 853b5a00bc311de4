/**
 * The YooKassa emulator's 54-ФЗ receipts: the `receipt` object of `POST /payments`, of a partial
 * `capture` and of `POST /refunds`, checked as YooKassa checks it, with its error objects. Part of
 * the emulator: it imports nothing of the connector.
 */
import { valueToMinor } from './emulator-model.ts';

/** A refusal as the API gives it: 400 `invalid_request`, naming the parameter. */
export interface ReceiptProblem {
  description: string;
  parameter: string;
}

/** A receipt that passed, as it is kept. */
export interface ValidReceipt {
  customer: Record<string, string>;
  items: Record<string, unknown>[];
  taxSystemCode?: number;
}

/**
 * `vat_code` values: 1 (no VAT) … 6 (20/120) of the API reference, and 7–12, the codes YooKassa added
 * for the 5 % and 7 % rates (and their 105/107 fractions) and 22 % (22/122).
 */
export const VAT_CODES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
/** `tax_system_code`: 1–6 (ОСН, УСН доход, УСН доход − расход, ЕНВД, ЕСХН, ПСН). */
const TAX_SYSTEM_CODES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6]);
const PAYMENT_SUBJECTS = new Set([
  'commodity', 'excise', 'job', 'service', 'gambling_bet', 'gambling_prize', 'lottery', 'lottery_prize', 'intellectual_activity',
  'payment', 'agent_commission', 'composite', 'another', 'property_right', 'non_operating_gain', 'insurance_premium', 'sales_tax', 'resort_fee',
  'marked', 'non_marked', 'fine', 'tax', 'lien', 'cost', 'pension_insurance_without_payouts', 'pension_insurance_with_payouts',
  'health_insurance_without_payouts', 'health_insurance_with_payouts', 'health_insurance', 'casino', 'agent_withdrawals',
  'non_marked_excise', 'marked_excise', 'marked_without_code', 'non_marked_without_code',
]);
const PAYMENT_MODES = new Set(['full_prepayment', 'partial_prepayment', 'advance', 'full_payment', 'partial_payment', 'credit', 'credit_payment']);
const ITEMS_MAX = 100;
const ITEM_DESCRIPTION_MAX = 128;
/** YooKassa's words for a receipt that is absent or unusable where one is required. */
export const RECEIPT_MISSING = 'Receipt is missing or illegal';
/** YooKassa's words for a value of the wrong format or out of range. */
export const INVALID_VALUE = "Invalid parameter's value (for example, the value is illegal or its format is incorrect). Send the value in accordance with the documentation.";

const QUANTITY_RE = /^(\d{1,10})(?:\.(\d{1,3}))?$/;

/** `quantity` (number or decimal string, ≤ 3 places) in thousandths. */
function quantityMilli(q: unknown): bigint | null {
  const text = typeof q === 'number' && Number.isFinite(q) ? String(q) : q;
  if (typeof text !== 'string') return null;
  const m = QUANTITY_RE.exec(text);
  if (!m) return null;
  const milli = BigInt(m[1]!) * 1000n + BigInt((m[2] ?? '').padEnd(3, '0'));
  return milli > 0n ? milli : null;
}

/**
 * Checks a `receipt` against the amount it must add up to (the payment's, the captured part, or the
 * refund's): at least one item, each with a description, a positive quantity, an amount in the
 * payment's currency and a known `vat_code`; a customer email or phone; the items' sum (amount ×
 * quantity) equal to `amountMinor`, to the kopeck.
 *
 * @example validateReceipt(body.receipt, 122400n, 'RUB') // { ok: true, receipt } or { ok: false, problem }
 */
export function validateReceipt(raw: unknown, amountMinor: bigint, currency: string): { ok: true; receipt: ValidReceipt } | { ok: false; problem: ReceiptProblem } {
  const bad = (parameter: string, description = INVALID_VALUE) => ({ ok: false as const, problem: { parameter, description } });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return bad('receipt', RECEIPT_MISSING);
  const r = raw as Record<string, unknown>;
  // The contact goes in `customer`; the API also still takes the older top-level `email` / `phone`.
  const c = (r.customer && typeof r.customer === 'object' && !Array.isArray(r.customer) ? r.customer : {}) as Record<string, unknown>;
  const customer: Record<string, string> = {};
  for (const k of ['full_name', 'inn', 'email', 'phone'] as const) {
    const v = c[k] ?? (k === 'email' || k === 'phone' ? r[k] : undefined);
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') return bad(`receipt.customer.${k}`);
    customer[k] = v;
  }
  if (customer.email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(customer.email)) return bad('receipt.customer.email');
  // Phone in ITU-T E.164, digits only (YooKassa refuses spaces and brackets).
  if (customer.phone !== undefined && !/^\+?\d{7,15}$/.test(customer.phone)) return bad('receipt.customer.phone');
  if (customer.email === undefined && customer.phone === undefined) return bad('receipt.customer', 'Receipt customer contact is required: email or phone');
  let taxSystemCode: number | undefined;
  if (r.tax_system_code !== undefined) {
    if (typeof r.tax_system_code !== 'number' || !TAX_SYSTEM_CODES.has(r.tax_system_code)) return bad('receipt.tax_system_code');
    taxSystemCode = r.tax_system_code;
  }
  if (!Array.isArray(r.items) || r.items.length === 0 || r.items.length > ITEMS_MAX) return bad('receipt.items');
  let sumMilli = 0n;
  const items: Record<string, unknown>[] = [];
  for (const it of r.items as unknown[]) {
    if (!it || typeof it !== 'object' || Array.isArray(it)) return bad('receipt.items');
    const item = it as Record<string, unknown>;
    if (typeof item.description !== 'string' || item.description === '' || Array.from(item.description).length > ITEM_DESCRIPTION_MAX) return bad('receipt.items.description');
    const qty = quantityMilli(item.quantity);
    if (qty === null) return bad('receipt.items.quantity');
    const amount = item.amount as Record<string, unknown> | undefined;
    const unit = amount && typeof amount === 'object' ? valueToMinor(amount.value) : null;
    if (unit === null) return bad('receipt.items.amount.value');
    if (amount!.currency !== currency) return bad('receipt.items.amount.currency');
    // In the API reference `vat_code` is an integer; the SDKs send it as a number.
    if (typeof item.vat_code !== 'number' || !VAT_CODES.has(item.vat_code)) return bad('receipt.items.vat_code');
    if (item.payment_subject !== undefined && !PAYMENT_SUBJECTS.has(String(item.payment_subject))) return bad('receipt.items.payment_subject');
    if (item.payment_mode !== undefined && !PAYMENT_MODES.has(String(item.payment_mode))) return bad('receipt.items.payment_mode');
    sumMilli += unit * qty;
    items.push(item);
  }
  if (sumMilli !== amountMinor * 1000n) return bad('receipt.items.amount', 'The sum of the receipt items differs from the amount of the operation');
  return { ok: true, receipt: { customer, items, ...(taxSystemCode !== undefined ? { taxSystemCode } : {}) } };
}

/** `settlements[].type` of `POST /receipts`: how the sum was paid (tag 1031, 1215, 1216, 1217). */
const SETTLEMENT_TYPES = new Set(['cashless', 'prepayment', 'postpayment', 'consideration']);

/**
 * Checks the settlements of a separate receipt (`POST /receipts`): at least one, each of a known
 * type with an amount in `currency`; their total in minor units, or the refusal.
 */
export function settlementsTotal(raw: unknown, currency: string): { ok: true; totalMinor: bigint } | { ok: false; problem: ReceiptProblem } {
  const bad = (parameter: string) => ({ ok: false as const, problem: { parameter, description: INVALID_VALUE } });
  if (!Array.isArray(raw) || raw.length === 0) return { ok: false, problem: { parameter: 'settlements', description: 'Missing the required parameter' } };
  let total = 0n;
  for (const s of raw as unknown[]) {
    if (!s || typeof s !== 'object' || Array.isArray(s)) return bad('settlements');
    const o = s as Record<string, unknown>;
    if (typeof o.type !== 'string' || !SETTLEMENT_TYPES.has(o.type)) return bad('settlements.type');
    const a = o.amount as Record<string, unknown> | undefined;
    const minor = a && typeof a === 'object' ? valueToMinor(a.value) : null;
    if (minor === null || minor <= 0n) return bad('settlements.amount.value');
    if (a!.currency !== currency) return bad('settlements.amount.currency');
    total += minor;
  }
  return { ok: true, totalMinor: total };
}
