/**
 * The checkout's JSON contract (docs/API.md): what the gateway answers the element and the hosted
 * pages, written once. Types only: the server builds these shapes, the element reads them, and the
 * compiler catches either side drifting. Nothing here costs the element's bundle a byte.
 */
import type { Language } from './languages.ts';

/**
 * The payment's states (DESIGN.md §4). `paid`, `failed`, `expired`, `rejected` and `authorized` end
 * the buyer's flow; a paid payment may later become `partially_refunded` or `refunded`. With a hold
 * (issue 25): `authorized` (the money held on the card until the shop captures or voids it), then
 * `paid` on a full capture, `partially_captured` (a smaller amount taken, the rest being released)
 * then `paid`, or `voided` (the hold released, nothing taken).
 */
export type PaymentStatus =
  | 'created' | 'checking' | 'awaiting_payment' | 'paid' | 'rejected' | 'failed' | 'expired' | 'partially_refunded' | 'refunded'
  | 'authorized' | 'partially_captured' | 'voided';

/** A payment system offered in the form, with what the buyer pays in it. */
export interface WayQuote {
  code: string;
  kind: 'redirect' | 'instructions';
  title: string;
  /** The way can hold the money (capture later): true on a manual-capture form's ways, which all can. */
  hold?: true;
  /** What the buyer pays in `ticker` (canonical amount text); null in free mode until the buyer types the amount. */
  amount: string | null;
  ticker: string;
  /**
   * Whether this way can save the buyer's method for later charges (issue 26). Present only on forms
   * of a merchant with saved methods on and a link naming the shop's customer.
   */
  canSave?: boolean;
  /**
   * The way's fee in `ticker` when it has one (fixed amounts only): `buyer` when it is in `amount`
   * («Включая комиссию 9,00 ₽»), `shop` when the shop pays it (`price_final`). Absent without a fee.
   */
  fee?: { amount: string; payer: 'buyer' | 'shop' };
}

/** `GET /pay/{login}` as JSON: the form the element shows, and the token that binds it. */
export interface FormPayload {
  token: string;
  expiresAt: string;
  merchant: { login: string; name: string };
  /** A test merchant's form (the element shows a «Тестовый режим» badge). */
  testMode: boolean;
  order: {
    payFor: string; price: string; ticker: string; mode: 'fix' | 'free'; note: string; convert: boolean; priceFinal: boolean;
    /** The lines of the link's fiscal receipt, for «Состав заказа» (issue 24); absent without one. */
    items?: readonly OrderItem[];
  };
  /** The language the gateway speaks to this buyer (`ru`, `en`, `uk`, `kk`, `be`, `uz`, `de`, …). */
  ln: Language;
  urlSuccess: string;
  urlFail: string;
  userEmail: string;
  userPhone: string;
  ways: readonly WayQuote[];
  /**
   * The consent to save the method (issue 26), when a way can save it: `optional` (an unticked box)
   * or `required` (a stated condition, shown; the payment is made with `saveMethod: true`). Absent:
   * nothing is asked.
   */
  saveMethod?: 'optional' | 'required';
  /**
   * A returning customer's saved methods (issue 26), offered before the ways: on forms of a merchant
   * with saved methods on, for a link naming the customer, those whose way this form offers. The
   * card's last four digits as the provider reported them (null when it did not); never the token.
   * Paying with one is `POST /api/v1/payments` with `"savedMethod": id`.
   */
  savedMethods?: readonly SavedChoice[];
  /**
   * The order's payment still waiting with instructions (bank details, an SBP QR code): a reload
   * resumes it instead of starting another payment of the same order. Absent when there is none.
   */
  pending?: PendingPayment;
}

/** A saved method as the buyer's form offers it («Карта •••• 4242»). */
export interface SavedChoice {
  id: string;
  way: string;
  last4: string | null;
}

/**
 * A payment of the order the form resumes: one waiting with instructions (its `action`), or one
 * whose money is held (`authorized`, no action: the form shows its status, the order is taken).
 */
export interface PendingPayment {
  id: string;
  way: string;
  action?: BuyerAction;
}

/** One line of the order as the buyer sees it: amounts are the receipt's decimal strings, in roubles. */
export interface OrderItem {
  name: string;
  quantity: string;
  price: string;
  amount: string;
}

/** A detail line of instructions (account, reference, …). */
export interface InstructionDetail {
  key: string;
  label: string;
  value: string;
}

/**
 * A bank that takes SBP payments, as NSPK's C2B members dictionary lists it (`GET /sbp/banks.json`):
 * `schema` opens its app on iOS (`{schema}://qr.nspk.ru/…`), `package_name` names it on Android.
 */
export interface SbpBank {
  bankName: string;
  schema: string;
  package_name?: string | undefined;
  logoURL?: string | undefined;
}

/**
 * A QR code to scan (SBP): `modules` is the gateway's matrix, row by row, `'1'` dark and `'0'`
 * light, `size × size` long; `deepLink` opens the bank's app on a phone. `banks`: the provider's
 * own list of banks for this payment, where it hands one out with the QR (CloudPayments' SBP link
 * answer carries NSPK's dictionary); the element's bank chooser then takes it over the gateway's.
 */
export interface BuyerQr {
  payload: string;
  deepLink: string;
  size: number;
  modules: string;
  banks?: SbpBank[];
}

/** Go to the payment system's page. `frame: false`: the page refuses framing; open it in a popup. */
export interface RedirectAction {
  type: 'redirect';
  url: string;
  frame?: boolean;
}

/** What the buyer must do to pay (bank details, a reference, amount, deadline). */
export interface InstructionsAction {
  type: 'instructions';
  title: string;
  amount: string;
  ticker: string;
  expiresAt: string;
  details: InstructionDetail[];
  qr?: BuyerQr;
  /**
   * A bank app's wallet (T-Pay, SberPay): its name for the button. `qr.deepLink` opens that
   * app on a phone (the button leads there), and the QR code carries the same link for a desktop.
   */
  wallet?: { name: string };
}

/** What the buyer is handed after «Продолжить». */
export type BuyerAction = RedirectAction | InstructionsAction;

/** `POST /api/v1/payments` (201) and `GET /api/v1/payments/{id}`: a payment as the buyer's side sees it. */
export interface PaymentView {
  id: string;
  status: PaymentStatus;
  way: string;
  amount: string;
  ticker: string;
  payFor: string;
  urlSuccess: string;
  urlFail: string;
  /** The buyer's action, its QR code (SBP) drawn into modules for the element. */
  action: BuyerAction | null;
  /** The id of the order's first paid payment, when this one paid the order again (a duplicate). */
  duplicateOf?: string;
  updatedAt: string;
  /** Why the payment ended without money (`failed`, `expired`, `rejected`): a code the buyer's side words in its language. */
  reason?: FailureReason;
  /** The shop's CHECK comment (`reason: "check_declined"`), as text. */
  comment?: string;
  /** Money the provider reported after the gateway had called the payment expired, failed or rejected: applied, never dropped. */
  paidLate?: true;
  /** A hold (`authorized`): until when the money stays held (ISO 8601), the provider's deadline. */
  holdExpiresAt?: string;
}

/**
 * Why a payment ended without money, as a code: `declined` by the bank, `insufficient_funds`,
 * `3ds_failed` (3-D Secure not passed), `expired` (the deadline passed), `check_declined` (the
 * shop's CHECK said no; `comment` carries its words), `check_failed` (no valid CHECK answer),
 * `provider_error` (the payment system refused to start it), `abandoned` (the buyer chose another
 * method), `cancelled` (cancelled at the payment system or by the merchant), `unknown`.
 */
export type FailureReason =
  | 'declined' | 'insufficient_funds' | '3ds_failed' | 'expired' | 'check_declined'
  | 'check_failed' | 'provider_error' | 'abandoned' | 'cancelled' | 'unknown';

/** Why a payment did not start, as the buyer is told (docs/API.md). */
export interface Refusal {
  status: 422 | 424 | 502;
  code: 'check_declined' | 'check_failed' | 'provider_error' | 'provider_unavailable';
  message: string;
  /** Extra fields of the error JSON: `paymentId` always, `comment` or `reason` when there is one. */
  details: Record<string, string>;
}
