/**
 * The fiscal receipt (54-ФЗ) in our own names: one model for every source (the link's signed
 * `receipt` extension, the CHECK answer, the merchant's default) and every provider, which map it
 * to their own format. Amounts and quantities are exact decimal strings, never numbers.
 *
 * The names are exact: shops and scripts write them (docs/PROTOCOL.md §5, issue 24).
 */
import { z } from 'zod';
import { formatTwoDecimals, type Minor } from './money.ts';

/** The seller's taxation system (система налогообложения). */
export type Taxation = 'osn' | 'usn_income' | 'usn_income_outcome' | 'esn' | 'patent';

/** The fiscal data format version. */
export type Ffd = '1.05' | '1.2';

/**
 * The VAT rate of an item: `none` (без НДС), `vat0`, `vat5`, `vat7`, `vat10`, `vat22` and the
 * calculated rates `vat105` (5/105), `vat107` (7/107), `vat110` (10/110), `vat122` (22/122).
 * The rates no longer in force (20 %, 20/120) are not in the union: a receipt naming them is refused.
 */
export type Vat = 'none' | 'vat0' | 'vat5' | 'vat7' | 'vat10' | 'vat22' | 'vat105' | 'vat107' | 'vat110' | 'vat122';

/** The payment method sign (признак способа расчёта). */
export type ReceiptPaymentMethod =
  | 'full_prepayment'
  | 'prepayment'
  | 'advance'
  | 'full_payment'
  | 'partial_payment'
  | 'credit'
  | 'credit_payment';

/** The payment object sign (признак предмета расчёта). */
export type PaymentObject =
  | 'commodity'
  | 'excise'
  | 'job'
  | 'service'
  | 'gambling_bet'
  | 'gambling_prize'
  | 'lottery'
  | 'lottery_prize'
  | 'intellectual_activity'
  | 'payment'
  | 'agent_commission'
  | 'composite'
  | 'another';

/** One line of the receipt. */
export interface ReceiptItem {
  /** At most 128 characters. */
  name: string;
  /** The unit price, a decimal string (`"1200.00"`). */
  price: string;
  /** Up to 3 decimals (`"1"`, `"0.125"`). */
  quantity: string;
  /** `price × quantity`, a decimal string. */
  amount: string;
  vat: Vat;
  paymentMethod: ReceiptPaymentMethod;
  paymentObject: PaymentObject;
  /** The unit of measure (FFD 1.2): `piece`, `gram`, `kilogram`, … */
  measure?: string;
  /** The marking code of marked goods (FFD 1.2). */
  markCode?: string;
}

/** The buyer's contact the receipt is sent to: at least one of the two. */
export interface ReceiptCustomer {
  email?: string;
  phone?: string;
}

/** A receipt: its items sum to the amount the buyer pays. */
export interface Receipt {
  taxation: Taxation;
  customer: ReceiptCustomer;
  ffd?: Ffd;
  items: ReceiptItem[];
}

// ---------------------------------------------------------------------------------------------
// The rules (issue 24). Everything below is pure: the link parser, the gateway and the merchant
// kit all hold a receipt to the same checks and name a bad field by the same path.


/** Every VAT rate in force; the list the schema accepts. */
export const VATS = ['none', 'vat0', 'vat5', 'vat7', 'vat10', 'vat22', 'vat105', 'vat107', 'vat110', 'vat122'] as const satisfies readonly Vat[];
/** Rates that were in force until 2026 (20 %, 20/120): named so the refusal says why. */
export const WITHDRAWN_VATS: readonly string[] = ['vat20', 'vat120'];
export const TAXATIONS = ['osn', 'usn_income', 'usn_income_outcome', 'esn', 'patent'] as const satisfies readonly Taxation[];
export const FFDS = ['1.05', '1.2'] as const satisfies readonly Ffd[];
export const RECEIPT_PAYMENT_METHODS = ['full_prepayment', 'prepayment', 'advance', 'full_payment', 'partial_payment', 'credit', 'credit_payment'] as const satisfies readonly ReceiptPaymentMethod[];
export const PAYMENT_OBJECTS = [
  'commodity', 'excise', 'job', 'service', 'gambling_bet', 'gambling_prize', 'lottery', 'lottery_prize',
  'intellectual_activity', 'payment', 'agent_commission', 'composite', 'another',
] as const satisfies readonly PaymentObject[];

/** The most items one receipt carries (T-Bank and YooKassa both stop at 100 positions). */
export const MAX_RECEIPT_ITEMS = 100;
/** The currency a receipt may be issued in: roubles only (54-ФЗ receipts are in roubles). */
export const RECEIPT_TICKER = 'RUR';

/** A money text: digits, at most two decimals, no sign, no exponent (`"1200.00"`, `"5"`). */
const MONEY = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;
/** A quantity: at most three decimals (`"1"`, `"0.125"`). */
const QUANTITY = /^(0|[1-9]\d{0,8})(\.\d{1,3})?$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?\d{10,15}$/;
// eslint-disable-next-line no-control-regex -- the point: control characters are refused in names
const CTRL = /[\u0000-\u001f\u007f]/;

/** Exact decimal text as an integer count of 1/10^scale units; the text is already checked. */
function scaled(text: string, scale: number): bigint {
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole!) * 10n ** BigInt(scale) + BigInt(frac.padEnd(scale, '0') || '0');
}

/** Minor units (kopecks) of a money text already checked by the schema. */
export const moneyMinor = (text: string): Minor => scaled(text, 2);

/**
 * `price × quantity` in kopecks, rounded half up: a weighed item (`0.333` kg at `10.01`) has no
 * exact kopeck amount, and the providers round the product the same way (T-Bank's `Amount`,
 * YooKassa's own check of `amount` against `quantity`).
 */
export function lineAmountMinor(price: string, quantity: string): Minor {
  const thousandths = scaled(price, 2) * scaled(quantity, 3);
  return (thousandths + 500n) / 1000n;
}

const money = (what: string) => z.string({ message: `${what} must be a decimal string like "1200.00", never a number` })
  .regex(MONEY, `${what} must be a decimal string like "1200.00" (at most 2 decimals)`);

const vatSchema = z.string({ message: 'must be one of ' + VATS.join(', ') }).superRefine((v, ctx) => {
  if (WITHDRAWN_VATS.includes(v)) ctx.addIssue({ code: 'custom', message: `${v} is no longer in force (since 2026: vat22, vat122, or vat5/vat7 on the simplified system)` });
  else if (!(VATS as readonly string[]).includes(v)) ctx.addIssue({ code: 'custom', message: 'must be one of ' + VATS.join(', ') });
}) as unknown as z.ZodType<Vat>;

const itemSchema = z.object({
  name: z.string({ message: 'is required' }).min(1, 'is required').max(128, 'at most 128 characters').refine((s) => !CTRL.test(s), 'control characters are not allowed'),
  price: money('price'),
  quantity: z.string({ message: 'quantity must be a decimal string like "1" or "0.125"' })
    .regex(QUANTITY, 'quantity must be a decimal string with at most 3 decimals, like "1" or "0.125"')
    .refine((q) => scaled(q, 3) > 0n, 'must be above zero'),
  amount: money('amount'),
  vat: vatSchema,
  paymentMethod: z.enum(RECEIPT_PAYMENT_METHODS, { message: 'must be one of ' + RECEIPT_PAYMENT_METHODS.join(', ') }),
  paymentObject: z.enum(PAYMENT_OBJECTS, { message: 'must be one of ' + PAYMENT_OBJECTS.join(', ') }),
  measure: z.string().regex(/^[a-z_]{1,32}$/, 'must be a unit such as piece, gram, kilogram').optional(),
  markCode: z.string().min(1).max(512, 'at most 512 characters').refine((s) => !CTRL.test(s), 'control characters are not allowed').optional(),
}).strict().superRefine((item, ctx) => {
  if (!MONEY.test(item.price) || !QUANTITY.test(item.quantity) || !MONEY.test(item.amount)) return;
  const expected = lineAmountMinor(item.price, item.quantity);
  if (moneyMinor(item.amount) !== expected) {
    ctx.addIssue({ code: 'custom', path: ['amount'], message: `must be price × quantity = ${formatTwoDecimals(expected)}` });
  }
});

const customerSchema = z.object({
  email: z.string().max(64, 'at most 64 characters').regex(EMAIL, 'must be an e-mail address').optional(),
  phone: z.string().regex(PHONE, 'must be a phone number in international form, like +79001234567').optional(),
}).strict();

/**
 * The receipt's shape and the rules of one receipt on its own (every line's amount, names, rates,
 * FFD 1.2 fields). What depends on the payment (the total, the contact filled from `user_email`,
 * the currency) is `checkReceiptForPayment`'s.
 */
export const receiptSchema = z.object({
  taxation: z.enum(TAXATIONS, { message: 'must be one of ' + TAXATIONS.join(', ') }),
  customer: customerSchema.default({}),
  ffd: z.enum(FFDS, { message: 'must be 1.05 or 1.2' }).optional(),
  items: z.array(itemSchema, { message: 'must be a list of items' }).min(1, 'at least one item').max(MAX_RECEIPT_ITEMS, `at most ${MAX_RECEIPT_ITEMS} items`),
}).strict().superRefine((r, ctx) => {
  r.items.forEach((item, i) => {
    if (r.ffd !== '1.2' && item.markCode !== undefined) ctx.addIssue({ code: 'custom', path: ['items', i, 'markCode'], message: 'marking codes need ffd 1.2' });
    if (r.ffd !== '1.2' && item.measure !== undefined) ctx.addIssue({ code: 'custom', path: ['items', i, 'measure'], message: 'measure needs ffd 1.2' });
  });
});

/** A receipt's refusal: the field as a path (`receipt.items[2].vat`) and what is wrong. */
export interface ReceiptIssue {
  field: string;
  message: string;
}

export type ReceiptResult = { ok: true; receipt: Receipt } | { ok: false; issue: ReceiptIssue };

/** `['items', 2, 'vat']` under `receipt` → `receipt.items[2].vat`. */
export function receiptPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

/**
 * Holds any value (parsed JSON) to the receipt's own rules.
 * @example parseReceipt({ taxation: 'osn', items: [] }).ok // false: receipt.items, at least one item
 */
export function parseReceipt(value: unknown, root = 'receipt'): ReceiptResult {
  const r = receiptSchema.safeParse(value);
  if (r.success) return { ok: true, receipt: r.data as Receipt };
  const issue = r.error.issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!.slice(0, 64)] : issue.path;
  const message = issue.code === 'unrecognized_keys' ? 'is not a receipt field' : issue.message;
  return { ok: false, issue: { field: receiptPath(root, path), message } };
}

/**
 * The largest decoded receipt a link or an attribute may carry (bytes of JSON): what still fits,
 * with the rest of the order, in the form token (`POST /api/v1/payments` takes 16 KB).
 */
export const MAX_RECEIPT_JSON_BYTES = 8192;

/**
 * The link's `receipt`: base64url (RFC 4648 §5; `=` padding optional) of the receipt's UTF-8 JSON.
 * @example decodeReceiptParam(encodeReceiptParam(r)) // { ok: true, receipt: r }
 */
export function decodeReceiptParam(text: string): ReceiptResult {
  const bad = (message: string): ReceiptResult => ({ ok: false, issue: { field: 'receipt', message } });
  const body = text.replace(/={0,2}$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(body) || body.length % 4 === 1) return bad('must be base64url (RFC 4648 §5) of the receipt\'s JSON');
  if (body.length > Math.ceil((MAX_RECEIPT_JSON_BYTES * 4) / 3)) return bad(`at most ${MAX_RECEIPT_JSON_BYTES} bytes of JSON`);
  const bytes = Buffer.from(body, 'base64url');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return bad('must be base64url of UTF-8 JSON');
  }
  return parseReceipt(json);
}

/** The receipt as the link's `receipt` parameter: base64url of its UTF-8 JSON, no padding. */
export const encodeReceiptParam = (r: Receipt): string => Buffer.from(JSON.stringify(r), 'utf8').toString('base64url');

/** The sum of the items, in kopecks. */
export const receiptTotalMinor = (r: Receipt): Minor => r.items.reduce((sum, item) => sum + moneyMinor(item.amount), 0n);

/** What the payment says of itself when its receipt is checked against it. */
export interface ReceiptPaymentFacts {
  /** The order's currency (the link's ticker). */
  ticker: string;
  /** The currency the buyer pays in (the way's ticker), when known. */
  wayTicker?: string;
  /** The order's price in kopecks, which the items must sum to; undefined in free mode before the buyer types it. */
  priceMinor?: Minor;
  /** The buyer's e-mail from the link or the form: the receipt's contact when it has none. */
  userEmail?: string;
  /** False at the link: the buyer may still type an e-mail in the form. Default true. */
  requireContact?: boolean;
}

/**
 * A valid receipt held to its payment: roubles only, its items summing to the order's price, a
 * contact (the buyer's `user_email` when it has none). Returns the receipt with the contact filled.
 */
export function checkReceiptForPayment(r: Receipt, facts: ReceiptPaymentFacts, root = 'receipt'): ReceiptResult {
  const bad = (field: string, message: string): ReceiptResult => ({ ok: false, issue: { field, message } });
  if (facts.ticker !== RECEIPT_TICKER) return bad(root, `receipts are issued for orders in ${RECEIPT_TICKER} only (this order is in ${facts.ticker})`);
  if (facts.wayTicker !== undefined && facts.wayTicker !== RECEIPT_TICKER) return bad('way', `an order with a receipt is paid in ${RECEIPT_TICKER} only`);
  if (facts.priceMinor !== undefined) {
    const total = receiptTotalMinor(r);
    if (total !== facts.priceMinor) return bad(`${root}.items`, `the items sum to ${formatTwoDecimals(total)}, the order to ${formatTwoDecimals(facts.priceMinor)}`);
  }
  let customer = r.customer;
  if (!customer.email && !customer.phone) {
    if (facts.requireContact === false && !facts.userEmail) return { ok: true, receipt: r };
    if (!facts.userEmail) return bad(`${root}.customer`, 'an e-mail or a phone is required (or the buyer\'s user_email)');
    customer = { email: facts.userEmail };
  }
  return { ok: true, receipt: { ...r, customer } };
}

/** The merchant's receipt settings (merchant key `receipts`): the default receipt and the fee item. */
export interface ReceiptSettings {
  /** On: a payment without a receipt from the link or CHECK gets the default one; none is never started. */
  enabled: boolean;
  taxation: Taxation;
  vat: Vat;
  paymentObject: PaymentObject;
  paymentMethod: ReceiptPaymentMethod;
  /** The default line's name; `{pay_for}` becomes the order id. */
  itemName: string;
  /** The name of the line added when the buyer pays a way's fee on top. */
  feeItemName: string;
  ffd: Ffd;
}

/** The settings' schema (configuration, `npm run merchant -- set`, the cabinet). */
export const receiptSettingsSchema = z.object({
  enabled: z.boolean(),
  taxation: z.enum(TAXATIONS),
  vat: vatSchema,
  paymentObject: z.enum(PAYMENT_OBJECTS).default('service'),
  paymentMethod: z.enum(RECEIPT_PAYMENT_METHODS).default('full_payment'),
  itemName: z.string().min(1).max(128).default('Оплата заказа {pay_for}'),
  feeItemName: z.string().min(1).max(128).default('Комиссия платёжной системы'),
  ffd: z.enum(FFDS).default('1.05'),
}).strict();

/** One line of `amountMinor` under the settings, named `name`. */
const settingsLine = (s: ReceiptSettings, name: string, amountMinor: Minor): ReceiptItem => {
  const amount = formatTwoDecimals(amountMinor);
  return { name: name.slice(0, 128), price: amount, quantity: '1', amount, vat: s.vat, paymentMethod: s.paymentMethod, paymentObject: s.paymentObject };
};

/**
 * The merchant's one-line default receipt for an order.
 * @example defaultReceipt(settings, '42', 150000n).items[0].name // 'Оплата заказа 42'
 */
export function defaultReceipt(s: ReceiptSettings, payFor: string, priceMinor: Minor): Receipt {
  return { taxation: s.taxation, customer: {}, ffd: s.ffd, items: [settingsLine(s, s.itemName.replaceAll('{pay_for}', payFor), priceMinor)] };
}

/** The receipt with the way's fee, paid by the buyer on top, as one more line (the settings' name, VAT and subject). */
export function withFeeItem(r: Receipt, s: Pick<ReceiptSettings, 'feeItemName' | 'vat' | 'paymentMethod' | 'paymentObject'> & Partial<ReceiptSettings>, feeMinor: Minor): Receipt {
  if (feeMinor <= 0n) return r;
  return { ...r, items: [...r.items, settingsLine(s as ReceiptSettings, s.feeItemName, feeMinor)] };
}
