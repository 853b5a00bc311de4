/** Domain records shared by the gateway's modules. Amounts are minor units in `bigint`. */
import type { InstructionsAction, RedirectAction, SbpBank } from '../protocol/checkout-api.ts';
import type { Minor } from '../protocol/money.ts';
import type { MerchantText } from '../protocol/languages.ts';
import type { FailureReason } from '../protocol/checkout-api.ts';
import type { LinkParams } from '../protocol/link.ts';
import type { PayAnswerKey } from '../protocol/onpay-api.ts';
import type { Receipt, ReceiptSettings } from '../protocol/receipt.ts';
import type { NotificationStatus, PaymentStatus } from './states.ts';

export type NotifyStyle = 'onpay' | 'webhooks';

/** A test merchant may use the sandbox payment systems; a live one never (merchant-rules.ts). */
export type MerchantMode = 'test' | 'live';

/** Who pays the ways' fees: the buyer on top, the merchant out of the price, or as the link's `price_final` says. */
export type FeePolicy = 'buyer' | 'merchant' | 'link';

export interface Merchant {
  login: string;
  /** What buyers see as the shop's name: one string or per language (`merchantText` picks one). */
  name: MerchantText;
  /** Secret key K of the protocol. Never logged, never in an error. */
  secret: string;
  apiKeyHash: string | null;
  notifications: boolean;
  apiUrl: string | null;
  apiType: 1 | 2;
  apiMethod: 'POST' | 'GET';
  notifyStyle: NotifyStyle;
  checkLinkMd5: boolean;
  origins: string[];
  /**
   * The K before the last rotation in the cabinet and until when it is still accepted in verifying
   * merchant answers (a grace period for the shop's deploy). Never used for signing.
   */
  previousSecret?: { secret: string; until: number } | null;
  /** Null or absent: `test` while the gateway's sandbox is on, else `live` (`merchantMode`). */
  mode?: MerchantMode | null;
  /** Null or absent: the default policy (`feePolicy`). */
  fees?: FeePolicy | null;
  /** Allowed return URL prefixes / origins; absent or empty: `origins` (or anything, without those). */
  returnUrls?: string[];
  /**
   * What a second paid payment of an order already paid gets: `flag` (recorded, told, shown) or
   * `refund` (also refunded at its provider where it refunds). Null or absent: `flag`.
   */
  duplicates?: DuplicatePolicy | null;
  /** The fiscal receipts' settings (merchant key `receipts`, issue 24); absent or null: none. */
  receipts?: ReceiptSettings | null;
  /** `manual`: hold the money and capture it later (merchant key `capture`, issue 25); absent or null: `auto`. */
  capture?: 'auto' | 'manual' | null;
  /** What the gateway does with a hold a day before its deadline (merchant key `holdExpiry`); absent or null: `void`. */
  holdExpiry?: 'void' | 'capture' | null;
  /** Saved payment methods and merchant-initiated charges (merchant key `savedMethods`, issue 26); absent or null: off. */
  savedMethods?: SavedMethodsSettings | null;
}

/** The merchant's `savedMethods` settings (issue 26). */
export interface SavedMethodsSettings {
  enabled: boolean;
  /** The largest merchant-initiated charge, in minor units of RUR; absent: no maximum but the way's. */
  maxChargeMinor?: Minor;
  /** A subscription's failed period is retried this many days after its due time, in order; absent: [1, 3, 5]. */
  retryScheduleDays?: number[];
}

/** How often a subscription charges (issue 26 item 4). */
export type SubscriptionInterval = 'day' | 'week' | 'month' | 'year';
/** A subscription's state: `past_due` after every retry of a period failed. */
export type SubscriptionStatus = 'active' | 'past_due' | 'cancelled' | 'completed';

/** A customer's saved method charged every period (issue 26 item 4). Times in ms since the epoch. */
export interface Subscription {
  id: string;
  merchantLogin: string;
  customer: string;
  methodId: string;
  amountMinor: Minor;
  ticker: string;
  interval: SubscriptionInterval;
  every: number;
  startAt: number;
  maxPeriods: number | null;
  /** The order of each charge; `{period}` is replaced by the period's number. */
  payFor: string;
  receipt: unknown;
  status: SubscriptionStatus;
  /** The period charged next (1-based). */
  period: number;
  anchorPeriod: number;
  anchorAt: number;
  /** Failed attempts of the current period (the dunning schedule's position; a new date resets it). */
  attempt: number;
  /** Attempts made in the current period whatever the dates: the charge key's attempt number. */
  tries: number;
  dueAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastPaymentId: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * A method saved at its provider for a merchant's customer (issue 26). `token` is the provider's
 * handle (a secret: never logged, never in an answer); the card as the provider reported it.
 */
export interface SavedMethod {
  id: string;
  merchantLogin: string;
  customer: string;
  providerId: string;
  way: string;
  token: string;
  first6: string | null;
  last4: string | null;
  expiry: string | null;
  /** The payment whose consent and money saved it. */
  sourcePaymentId: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The buyer's consent to save a method, kept with the payment it was given for (issue 26). */
export interface SaveConsent {
  paymentId: string;
  merchantLogin: string;
  customer: string;
  /** The exact words the buyer was shown beside the box. */
  text: string;
  /** `optional` (ticked by the buyer) or `required` (a stated condition of the payment, accepted). */
  kind: 'optional' | 'required';
  /** The buyer's address, when known. */
  address: string | null;
  at: number;
}

/** What the gateway does with a duplicate payment of a paid order (merchant setting `duplicates`). */
export type DuplicatePolicy = 'flag' | 'refund';

/**
 * What the buyer is handed after «Продолжить», as stored: the checkout contract's action, with an
 * instructions QR code kept as `payload` and `deepLink` only (T-Bank's `GetQr` `Data`, an NSPK
 * link; for SBP the deep link is the same link, which brings up the bank chooser). The modules the
 * element draws follow from the payload (`buyerAction`). A redirect without `frame` was stored
 * before it existed: a frame.
 */
export type PaymentAction =
  | RedirectAction
  | (Omit<InstructionsAction, 'qr'> & { qr?: { payload: string; deepLink: string; banks?: SbpBank[] } });

/** The order as the link gave it (`src/protocol/link.ts`), kept with the payment. */
type LinkOrder = Pick<LinkParams,
  'payFor' | 'ticker' | 'convert' | 'priceFinal' | 'note' | 'ln' | 'urlSuccess' | 'urlFail' | 'userEmail' | 'userPhone' | 'extraParams'>;

export interface Payment extends LinkOrder {
  id: string;
  /** Integer payment number: `onpay_id` / `payment.id` on the wire. */
  number: number;
  merchantLogin: string;
  /** The link's `pay_mode`. */
  mode: LinkParams['payMode'];
  priceMinor: Minor;
  way: string;
  wayTicker: string;
  /** What the buyer pays, in `wayTicker`. */
  amountMinor: Minor;
  feeMinor: Minor;
  /** What reaches the merchant, in `balanceTicker`. */
  balanceMinor: Minor;
  balanceTicker: string;
  /** `wayTicker → balanceTicker`. */
  rate: string;
  status: PaymentStatus;
  statusReason: string;
  manual: boolean;
  action: PaymentAction | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  responseStatus: number | null;
  responseBody: string | null;
  expiresAt: number | null;
  paidAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** The provider account of the payment's way (`providers[].id`, `sandbox` for the sandbox systems). */
  providerId: string | null;
  /**
   * The provider's id of the payment. Null while unknown: a create whose outcome was unknown leaves a
   * payment `awaiting_payment` with no action and no provider id, for reconciliation to ask about.
   */
  providerPaymentId: string | null;
  /** A provider reported another amount or currency: not applied, flagged for a person to settle. */
  amountMismatch: boolean;
  /** The id of the order's first paid payment, when this one was paid after it (a duplicate); else null. */
  duplicateOf?: string | null;
  /** How much has been refunded in all, in `wayTicker` (0 when nothing was). */
  refundedMinor: Minor;
  /** Paid by a provider's report after the gateway had called it expired, failed or rejected (0010_late_money). */
  paidLate: boolean;
  /** Why it ended without money, as a code (`failed`, `expired`, `rejected`); null otherwise or when not recorded. */
  failureReason: FailureReason | null;
  /**
   * An expired payment at a real provider: until when reconciliation keeps asking the provider, whose
   * own deadline may be later than the gateway's (null: not asked after expiry).
   */
  lateUntil: number | null;
  /** `manual`: the money is held at the provider and captured later (issue 25); null: charged at once. */
  captureMode?: 'manual' | null;
  /** A hold's deadline at the provider (`authorized`); null otherwise. */
  holdExpiresAt?: number | null;
  /** The amount held, once a smaller amount was captured (`amountMinor` is then what was taken); null otherwise. */
  heldMinor?: Minor | null;
}

export type NewPayment = Omit<Payment, 'number' | 'responseStatus' | 'responseBody' | 'paidAt' | 'manual' | 'statusReason' | 'action' | 'providerId' | 'providerPaymentId' | 'amountMismatch' | 'refundedMinor' | 'paidLate' | 'failureReason' | 'lateUntil' | 'captureMode' | 'holdExpiresAt' | 'heldMinor'> & {
  providerId?: string | null;
  /** `manual`: hold, capture later. */
  captureMode?: 'manual' | null;
  /** When reconciliation first asks the provider about it (payments at a real provider); null: never. */
  reconcileAt?: number | null;
};

/** One refund asked through the cabinet API. */
export interface RefundRecord {
  id: string;
  paymentId: string;
  merchantLogin: string;
  /** This refund's amount, in the payment's `wayTicker`. */
  amountMinor: Minor;
  ticker: string;
  reason: string;
  actor: string;
  /** `pending`: sent, the provider's outcome unknown; `succeeded`; `failed`: refused by the provider. */
  status: 'pending' | 'succeeded' | 'failed';
  providerRefundId: string | null;
  failureReason: string | null;
  idempotencyKey: string;
  requestHash: string;
  createdAt: number;
  updatedAt: number;
}

export type NewRefund = Omit<RefundRecord, 'status' | 'providerRefundId' | 'failureReason' | 'updatedAt'>;

/** A capture or void of a hold (0012_holds), written `pending` before the provider is asked. */
export interface HoldOperation {
  id: string;
  paymentId: string;
  merchantLogin: string;
  kind: 'capture' | 'void';
  /** The amount to capture, in the payment's `wayTicker` (a void: what was held). */
  amountMinor: Minor;
  reason: string;
  /** Who asked: the merchant's login (and the person named), or `gateway:hold_expiry`. */
  actor: string;
  status: 'pending' | 'succeeded' | 'failed';
  failureReason: string | null;
  idempotencyKey: string;
  requestHash: string;
  createdAt: number;
  updatedAt: number;
  /** The receipt given with a smaller capture (of what is taken); null: none (a full capture sends the payment's own). */
  receipt: Receipt | null;
}

export type NewHoldOperation = Omit<HoldOperation, 'status' | 'failureReason' | 'updatedAt'> & {
  /**
   * When reconciliation asks the provider about the payment if nothing settles the operation first:
   * written with the operation, so a crash right after the provider acted still gets it settled.
   */
  settleAt: number;
};

/** What a fiscal receipt is for: the payment itself, a refund, or the closing receipt (full payment on delivery). */
export type ReceiptKind = 'payment' | 'refund' | 'closing';

/**
 * A receipt's registration: `pending` (not yet given to the provider, or no definite answer), `sent`
 * (the provider took it), `registered` (the cash register registered it), `failed` (with the
 * provider's reason).
 */
export type ReceiptStatus = 'pending' | 'sent' | 'registered' | 'failed';

/** A fiscal receipt kept with its payment (0011_receipts). */
export interface ReceiptRecord {
  id: number;
  paymentId: string;
  merchantLogin: string;
  kind: ReceiptKind;
  /** The refund it belongs to (`refund`). */
  refundId: string | null;
  receipt: Receipt;
  status: ReceiptStatus;
  providerReceiptId: string | null;
  reason: string | null;
  /** `payment`: empty; `refund`: the refund's id; `closing`: the request's Idempotency-Key. */
  idempotencyKey: string;
  createdAt: number;
  updatedAt: number;
}

export type NewReceipt = Omit<ReceiptRecord, 'id' | 'status' | 'providerReceiptId' | 'reason' | 'updatedAt'> & { status?: ReceiptStatus };

export interface NotificationRecord {
  id: number;
  paymentId: string;
  merchantLogin: string;
  /**
   * `pay`: PAY / `payment.paid`; `refund`: `payment.refunded`; `receipt`: `receipt.failed`; `hold`:
   * `payment.authorized` / `payment.voided`; `subscription`: `subscription.*` (these four: webhooks
   * merchants only).
   */
  kind: 'pay' | 'refund' | 'receipt' | 'hold' | 'subscription';
  style: NotifyStyle;
  method: 'POST' | 'GET';
  url: string;
  contentType: string;
  /** The exact bytes sent (for GET, the query string). */
  body: string;
  headers: Record<string, string>;
  /** What judging an Onpay-style answer needs; null for webhooks (and old rows that could not be read). */
  answerKey: PayAnswerKey | null;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: number | null;
  firstDueAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  deliveredAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NewNotification = Pick<NotificationRecord, 'paymentId' | 'merchantLogin' | 'kind' | 'style' | 'method' | 'url' | 'contentType' | 'body' | 'headers'>
  & { answerKey?: PayAnswerKey | null };

export interface AttemptRecord {
  id: number;
  notificationId: number;
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  excerpt: string;
  verdict: string;
}

/** What the readiness probe asks; `check` resolves to null when ready, else the public reason. */
export interface Readiness {
  check(): Promise<string | null>;
  /** True once shutdown began: ready answers 503 so that the balancer stops sending. */
  draining?: () => boolean;
}
