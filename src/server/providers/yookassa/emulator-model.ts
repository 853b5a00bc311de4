/**
 * The YooKassa emulator's own model: its objects, money text, test cards and how the API shows a
 * payment, refund or receipt. An independent reading of YooKassa's documentation: it imports nothing
 * of the connector (`transform.ts`, `client.ts`) nor of the gateway, so a misreading in one cannot
 * pass in the other.
 */
import { renderConfirmation } from './emulator-wallets.ts';
import { randomBytes } from 'node:crypto';

/** YooKassa cancels a payment the buyer has not confirmed after «Срок оплаты 1 час» (cards, YooMoney, SBP). */
export const EMU_CONFIRMATION_TTL_MS = 60 * 60 * 1000;
/** A hold (`waiting_for_capture`) of a bank card lasts 7 days («Предавторизация»: «Прошло 7 дней»), then it is canceled. */
export const EMU_CARD_HOLD_TTL_MS = 7 * 24 * 3_600_000;
/** Holds of other methods: 6 hours (our reading of the two-stage payments page; README «choices»). */
export const EMU_OTHER_HOLD_TTL_MS = 6 * 3_600_000;
/** `description` of a payment: at most 128 characters. */
export const EMU_DESCRIPTION_MAX = 128;
/** The methods a test shop has switched on, offered on the page when the shop did not choose one. */
export const EMU_DEFAULT_METHODS: readonly string[] = ['bank_card', 'sbp', 'yoo_money', 'tinkoff_bank', 'sberbank'];

/**
 * When the emulator repeats an unanswered notification, in ms after the event. YooKassa documents
 * only that it keeps trying for 24 hours until HTTP 200; these intervals are our choice.
 */
export const NOTIFY_RETRY_MS: readonly number[] = [
  0, 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000, 4 * 3_600_000, 8 * 3_600_000, 16 * 3_600_000, 24 * 3_600_000,
];

/** YooKassa's published test cards that pay (any future expiry, any CVC and 3-D Secure code). */
export const SUCCESS_CARDS: readonly string[] = [
  '5555555555554477', '5555555555554444', '4793128161644804', '4111111111111111', '2200000000000004', '2202474301322987',
  '6759649826438453', '4175001000000017', '370000000000002', '3528000700000000', '36700102000000',
];

/** A cancellation as the API shows it. */
export interface Cancellation {
  party: string;
  reason: string;
}

/** YooKassa's published test cards that are declined, with `cancellation_details` (party, reason). */
export const DECLINE_CARDS: Readonly<Record<string, Cancellation>> = (() => {
  const byReason: [string, string, string[]][] = [
    ['payment_network', '3d_secure_failed', ['5555555555554592', '4839665499603842', '2200000000000012']],
    ['payment_network', 'call_issuer', ['5555555555554535', '4926946416239025', '2200000000000020']],
    ['payment_network', 'card_expired', ['5555555555554543', '4141435412630840', '2200000000000038']],
    ['payment_network', 'fraud_suspected', ['5555555555554568', '4483274282299972', '2200000000000046']],
    ['payment_network', 'general_decline', ['5555555555554527', '4889971706588753', '2202202212312379']],
    ['payment_network', 'insufficient_funds', ['5555555555554600', '4562265587712390', '2200000000000053']],
    ['payment_network', 'invalid_card_number', ['5555555555554618', '4951017853630544', '2201382000000013']],
    ['payment_network', 'invalid_csc', ['5555555555554626', '4194180666146368', '2200770212727079']],
    ['payment_network', 'issuer_unavailable', ['5555555555554501', '4654130848359150', '2201382000000021']],
    ['payment_network', 'payment_method_limit_exceeded', ['5555555555554576', '4565231022577548', '2201382000000039']],
    ['payment_network', 'payment_method_restricted', ['5555555555554550', '4233961169071671', '2201382000000047']],
    ['yoo_money', 'country_forbidden', ['5555555555554584', '4969751510013864', '2201382000000054']],
    ['yoo_money', 'fraud_suspected', ['5555555555554634', '4119098878796485', '2201696981989955']],
  ];
  const out: Record<string, Cancellation> = {};
  for (const [party, reason, cards] of byReason) for (const c of cards) out[c] = { party, reason };
  return out;
})();

/** A saved payment method (`save_payment_method: true` on a payment that succeeded). */
export interface EmuSavedMethod {
  id: string;
  type: string;
  card: string | null;
  /**
   * What the next charge with it does. YooKassa's test shop has no published "saved card that
   * declines"; tests set it with `chargeOutcome` (emulator only), default `succeeded`.
   */
  nextCharge: 'succeeded' | Cancellation;
}

/** A 54-ФЗ receipt as it was validated: kept to show `receipt_registration` and `GET /receipts`. */
export interface EmuReceipt {
  id: string;
  type: 'payment' | 'refund';
  paymentId: string;
  refundId?: string;
  customer: Record<string, string>;
  items: Record<string, unknown>[];
  taxSystemCode?: number;
  createdAt: number;
  /** A separate receipt's (`POST /receipts`) `settlements`. */
  settlements?: Record<string, unknown>[];
}

export interface EmuRefund {
  id: string;
  paymentId: string;
  amountMinor: bigint;
  currency: string;
  description: string | undefined;
  createdAt: number;
  receiptId: string | null;
}

export interface EmuPayment {
  id: string;
  status: 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';
  amountMinor: bigint;
  /** Set on a partial capture: the amount actually taken. */
  capturedMinor: bigint | null;
  currency: string;
  /** `null` until the buyer chooses on YooKassa's page (when the shop sent no `payment_method_data`). */
  method: string | null;
  /** The methods the page offers: the shop's choice, or every method the shop has on. */
  offered: readonly string[];
  returnUrl: string | null;
  /** The create's `confirmation.type`; null: none (a saved method charged without the buyer). */
  confirmation: 'redirect' | 'qr' | 'mobile_application' | null;
  description: string | undefined;
  metadata: Record<string, string>;
  capture: boolean;
  savePaymentMethod: boolean;
  savedMethodId: string | null;
  createdAt: number;
  capturedAt: number | null;
  holdExpiresAt: number | null;
  refundedMinor: bigint;
  cancellation: Cancellation | null;
  card: string | null;
  receiptId: string | null;
}

/** YooKassa's ids look like `22e12f66-000f-5000-8000-18db351245c7`. */
export function newId(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-000f-5000-${(8 + (parseInt(h[8]!, 16) & 3)).toString(16)}${h.slice(9, 12)}-${h.slice(12, 24)}`;
}

const VALUE_RE = /^(\d{1,15})(?:\.(\d{1,2}))?$/;

/** `amount.value` ("1224.00", "5", "0.5") → kopecks; `null` when it is not a plain decimal with ≤ 2 places. */
export function valueToMinor(text: unknown): bigint | null {
  if (typeof text !== 'string') return null;
  const m = VALUE_RE.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/** Kopecks → `amount.value` as YooKassa writes it, two decimals. */
export function minorToValue(minor: bigint): string {
  return `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
}

/** A JSON text with sorted keys: two bodies that mean the same are one idempotent request. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function cardType(card: string): string {
  if (card.startsWith('4')) return 'Visa';
  if (card.startsWith('5')) return 'MasterCard';
  if (card.startsWith('22')) return 'Mir';
  if (card.startsWith('6')) return 'Maestro';
  if (card.startsWith('3')) return card.startsWith('35') ? 'JCB' : card.startsWith('37') ? 'AmericanExpress' : 'DinersClub';
  return 'Unknown';
}

/** The `payment_method` object for a method and (for cards) the card used. */
export function renderMethod(id: string, type: string, card: string | null, saved: boolean): Record<string, unknown> {
  const m: Record<string, unknown> = { type, id, saved };
  if (card) m.card = { first6: card.slice(0, 6), last4: card.slice(-4), expiry_month: '12', expiry_year: '2030', card_type: cardType(card) };
  m.title = card ? `${cardType(card)} *${card.slice(-4)}` : type;
  return m;
}

/** What `render` needs beyond the payment: the emulator's address and shop. */
export interface RenderContext {
  base: string;
  shopId: string;
}

/** A payment as the API answers it. */
export function renderPayment(p: EmuPayment, ctx: RenderContext): Record<string, unknown> {
  const charged = p.capturedMinor ?? p.amountMinor;
  const o: Record<string, unknown> = {
    id: p.id,
    status: p.status,
    paid: p.status === 'succeeded' || p.status === 'waiting_for_capture',
    amount: { value: minorToValue(charged), currency: p.currency },
  };
  // YooKassa's fee in the test shop: 3.5 % (any figure would do; the connector must not rely on it).
  if (p.status === 'succeeded') o.income_amount = { value: minorToValue(charged - (charged * 35n) / 1000n), currency: p.currency };
  if (p.status === 'pending' && p.confirmation !== null) o.confirmation = renderConfirmation(p, ctx.base);
  o.created_at = new Date(p.createdAt).toISOString();
  if (p.capturedAt !== null) o.captured_at = new Date(p.capturedAt).toISOString();
  if (p.status === 'waiting_for_capture' && p.holdExpiresAt !== null) o.expires_at = new Date(p.holdExpiresAt).toISOString();
  if (p.description !== undefined) o.description = p.description;
  o.metadata = p.metadata;
  // YooKassa shows `payment_method` only once it is known: chosen by the shop or by the buyer on its page.
  if (p.method !== null) o.payment_method = renderMethod(p.savedMethodId ?? p.id, p.method, p.card, p.savedMethodId !== null);
  o.recipient = { account_id: ctx.shopId, gateway_id: `${ctx.shopId}01` };
  if (p.refundedMinor > 0n) o.refunded_amount = { value: minorToValue(p.refundedMinor), currency: p.currency };
  o.refundable = p.status === 'succeeded' && p.refundedMinor < charged;
  if (p.receiptId !== null) o.receipt_registration = p.status === 'succeeded' ? 'succeeded' : 'pending';
  if (p.cancellation) o.cancellation_details = p.cancellation;
  o.test = true;
  return o;
}

/** A refund as the API answers it. */
export function renderRefund(r: EmuRefund): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: r.id,
    payment_id: r.paymentId,
    status: 'succeeded',
    created_at: new Date(r.createdAt).toISOString(),
    amount: { value: minorToValue(r.amountMinor), currency: r.currency },
  };
  if (r.receiptId !== null) o.receipt_registration = 'succeeded';
  if (r.description) o.description = r.description;
  return o;
}

/** A receipt as `GET /receipts` lists it. */
export function renderReceipt(r: EmuReceipt): Record<string, unknown> {
  const o: Record<string, unknown> = { id: r.id, type: r.type, payment_id: r.paymentId, status: 'succeeded', items: r.items };
  if (r.refundId) o.refund_id = r.refundId;
  if (r.taxSystemCode !== undefined) o.tax_system_code = r.taxSystemCode;
  if (r.settlements) o.settlements = r.settlements;
  o.registered_at = new Date(r.createdAt).toISOString();
  return o;
}
