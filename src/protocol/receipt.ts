/**
 * The fiscal receipt (54-ФЗ) in our own names: one model for every source (the link's signed
 * `receipt` extension, the CHECK answer, the merchant's default) and every provider, which map it
 * to their own format. Amounts and quantities are exact decimal strings, never numbers.
 *
 * The names are exact: shops and scripts write them (docs/PROTOCOL.md §5, issue 24).
 */

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
