/**
 * The connector contract: what the payment service knows of a payment system. Each provider lives in
 * `src/server/providers/<type>/` (`client.ts` I/O, `transform.ts` pure, `emulator.ts` the provider
 * from its public documentation, tests) and registers a `ConnectorModule`; the registry builds one
 * `Connector` per configured provider account. The service never knows which provider it talks to.
 *
 * Amounts are minor units in `bigint` (kopecks for RUR); currencies are the gateway's tickers (`RUR`,
 * never `RUB`: a connector maps the provider's codes at its edge).
 */
import type { z } from 'zod';
import type { Payment, PaymentAction } from '../types.ts';
import type { Receipt } from '../../protocol/receipt.ts';
import type { FailureReason } from '../../protocol/checkout-api.ts';
import type { LocalizedText } from '../../protocol/languages.ts';

/** One outgoing call to a provider. Sent through the guarded HTTP client, with a hard deadline. */
export interface ProviderRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** The exact bytes to send (POST). */
  body?: string;
  timeoutMs: number;
}

/** The provider's answer, or why there is none. Never throws. */
export type ProviderResponse =
  | { ok: true; status: number; headers: Record<string, string>; body: string; durationMs: number }
  | { ok: false; error: string; durationMs: number };

export type ProviderHttp = (req: ProviderRequest) => Promise<ProviderResponse>;

/** What a connector is given when it is built. */
export interface ConnectorDeps {
  http: ProviderHttp;
  now: () => number;
  /** The gateway's public base URL, without a trailing slash. */
  publicUrl: string;
  /** Deadline of one call to the provider. */
  timeoutMs: number;
}

/** How the buyer pays with a method: sent to a page, or shown instructions (a QR code for SBP). */
export type ActionKind = 'redirect' | 'instructions';

/** Everything a connector needs to start a payment at its provider. */
export interface CreateRequest {
  payment: Payment;
  /** The way's method at this provider (`card`, `sbp`, `bank_card`, `yoo_money`, …). */
  method: string;
  /**
   * Stable for the payment: a retry of the same create sends the same key (or the same order id),
   * so the provider never makes a second charge.
   */
  idempotencyKey: string;
  /** `{publicUrl}/providers/{provider id}/notify`. */
  notificationUrl: string;
  /** Where the provider sends the buyer back: through the gateway, which forwards to the shop. */
  successUrl: string;
  failUrl: string;
  /** A human description of the order (the merchant's name and `pay_for`), already cut to 128 characters. */
  description: string;
  /**
   * The fiscal receipt to issue with the payment (54-ФЗ), already validated: in the payment's
   * currency (RUR), its items summing to `payment.amountMinor` (a fee line added when the buyer pays
   * the fee), its contact filled. Absent: no receipt.
   */
  receipt?: Receipt;
  /**
   * The buyer consented to saving the method (issue 26): the provider is asked to keep it for
   * merchant-initiated charges under `customerKey` (T-Bank `Recurrent` + `CustomerKey`, YooKassa
   * `save_payment_method`, CloudPayments' token of a paid payment). Absent: nothing is saved.
   */
  save?: { customerKey: string };
  /**
   * `manual`: hold the money and capture it later (issue 25: T-Bank `PayType: "T"`, YooKassa
   * `capture: false`, CloudPayments' two-stage `auth`). Absent: charge at once.
   */
  capture?: 'manual';
}

/**
 * A method the provider kept for later charges, as its paid report names it. `token` is the
 * provider's handle (T-Bank `RebillId`, YooKassa `payment_method.id`, CloudPayments `Token`): a
 * secret, never logged, never shown. The card fields are as the provider reports them, never a number.
 */
export interface SavedMethodReport {
  token: string;
  first6?: string;
  last4?: string;
  /** `MM/YY` as the provider reports it. */
  expiry?: string;
}

/** A charge of a saved method with no buyer present (issue 26). */
export interface ChargeRequest {
  payment: Payment;
  method: string;
  /** The provider's token of the saved method (a secret). */
  token: string;
  customerKey: string;
  /** Stable for the charge: a retry sends the same key, so the provider charges once. */
  idempotencyKey: string;
  notificationUrl: string;
  successUrl: string;
  failUrl: string;
  description: string;
  receipt?: Receipt;
  /**
   * Who started the charge: `buyer` when a returning buyer pays with the saved method on the page
   * (issue 26; CloudPayments' `TrInitiatorCode` 1), else the merchant (a charge, a subscription: 0).
   */
  initiator?: 'buyer';
}

/**
 * The outcome of a charge: `paid`; `declined` with the reason the provider gave; `action_required`
 * (the provider asks for the buyer, e.g. 3-D Secure: `action` is where to send them); `unknown`: no
 * definite answer, the payment is asked about later (repeating with the same key is safe).
 */
export type ChargeResult =
  | { kind: 'paid'; providerPaymentId: string; providerState: string }
  | { kind: 'declined'; providerPaymentId?: string; failure: FailureReason; reason: string }
  | { kind: 'action_required'; providerPaymentId: string; action: PaymentAction; expiresAt: number }
  | { kind: 'unknown'; providerPaymentId?: string; reason: string };

/** The outcome of a create. */
export type CreateResult =
  /** The provider took it: hand the buyer `action`. */
  | { kind: 'started'; action: PaymentAction; providerPaymentId: string; expiresAt: number }
  /** The provider said no (an error code, a refusal): the payment fails with `provider_error`. */
  | { kind: 'refused'; reason: string }
  /**
   * No definite answer (timeout, connection cut after sending, garbage): the provider may or may not
   * have the payment. It is never guessed; reconciliation asks the provider later.
   */
  | { kind: 'unknown'; reason: string };

/** What the provider says of a payment now (from a verified notification or a status query). */
export interface ProviderStatus {
  state: 'pending' | 'authorized' | 'paid' | 'failed' | 'expired' | 'voided' | 'refunded' | 'partially_refunded' | 'not_found';
  /**
   * `authorized`: until when the provider keeps the money held (its documented deadline, or the one
   * it reports, as YooKassa's `expires_at`).
   */
  holdExpiresAt?: number;
  providerPaymentId?: string;
  /** The amount the provider reports for the payment, and its currency (as our ticker). */
  amountMinor?: bigint;
  currency?: string;
  /**
   * The payment's refunded TOTAL so far at the provider (every refund added up), when the provider
   * says it; never one refund's amount. Absent when the provider names only a refund's own amount
   * (CloudPayments' Refund notification) or nothing (T-Bank): the gateway then keeps its own total
   * from the refunds it made, and a `refunded` report alone means "all of it".
   */
  refundedMinor?: bigint;
  /** The provider's own status name (`CONFIRMED`, `succeeded`, …), for the timeline. */
  providerState: string;
  /**
   * Why a `failed` / `expired` payment failed, as the provider's code maps to the checkout's
   * reasons (insufficient funds, 3-D Secure, …); absent: `declined` (or `expired`).
   */
  failure?: FailureReason;
  /**
   * The registration status of the payment's receipt, where the provider reports it with the
   * payment (YooKassa's `receipt_registration`); absent when it does not say.
   */
  receipt?: ReceiptOutcome;
  /** A paid payment asked to save its method: what the provider kept (issue 26). */
  savedMethod?: SavedMethodReport;
}

/** A notification as it arrived at `POST /providers/{id}/notify`. */
export interface IncomingNotification {
  /** The exact bytes received: signatures are checked over these, never over re-serialised JSON. */
  rawBody: Uint8Array;
  /** `rawBody` decoded as UTF-8. */
  body: string;
  headers: Headers;
  /** The client address (after `trustProxy`), when known. */
  remoteAddress: string | undefined;
  /**
   * The URL it was posted to (path and query, `/providers/cp/notify?kind=pay`): providers with one
   * URL per notification type (CloudPayments) learn from it what the body is.
   */
  url?: string;
}

/** What applying a verified provider report did. */
export type ApplyOutcome =
  | 'applied'
  /** Already in that state: a repeated notification. */
  | 'unchanged'
  | 'unknown_payment'
  /** The amount or currency differs from the payment's: not applied, flagged for a person. */
  | 'amount_mismatch'
  /** The payment cannot move there (say, `paid` reported for an expired payment). */
  | 'invalid_state';

/** The gateway's side of a notification, given to the connector while it handles one. */
export interface NotifyContext {
  /**
   * The gateway's payment with this id, if it belongs to this provider account. For the sandbox
   * account it throws a `GatewayError` (403 `live_merchant`) for a live merchant's payment: the
   * route answers that refusal itself, and the connector changes nothing.
   */
  payment(paymentId: string): Promise<Payment | undefined>;
  /** Applies a verified report. Idempotent. */
  apply(paymentId: string, status: ProviderStatus): Promise<ApplyOutcome>;
  /**
   * Applies a verified report of one fiscal receipt of the payment (T-Bank's fiscalisation
   * notification, CloudPayments' Receipt notification). Idempotent: a receipt moves
   * `sent → registered | failed` once. Optional so that contexts built before issue 24 still fit;
   * the gateway's always has it.
   */
  receipt?(paymentId: string, report: ReceiptReport): Promise<ApplyOutcome>;
}

/**
 * A provider's word on one receipt of a payment: the outcome, and what tells which receipt it is
 * (the provider's receipt id, whether it is an income or a return, its sum) when the provider
 * reports receipts apart from payments.
 */
export type ReceiptReport = ReceiptOutcome & {
  /** `income`: the payment's receipt or a closing one; `refund`: a refund's (return of income). */
  operation: 'income' | 'refund';
  /** The receipt's total, in minor units, when the report names it. */
  amountMinor?: bigint;
};

/** Which receipt `fetchReceiptStatus` is asked about, beside its provider id. */
export interface ReceiptQuery {
  kind: 'payment' | 'refund' | 'closing';
  /** The refund's id at the provider (`refund` receipts), when known. */
  providerRefundId?: string | null;
}

/** An HTTP answer exactly as the provider requires it (T-Bank: 200 `OK`). */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The outcome of a refund. `done.refundedMinor` is, as in `ProviderStatus`, the payment's refunded
 * TOTAL after this refund (not this refund's amount), when the provider reports it; absent otherwise,
 * and the gateway adds this refund's amount to the total it keeps. `unknown`: sent, no definite answer
 * (the refund is kept `pending`; repeating it with the same key is safe).
 */
export type RefundResult =
  | { kind: 'done'; providerRefundId: string; refundedMinor?: bigint }
  | { kind: 'refused'; reason: string }
  | { kind: 'unknown'; reason: string };

export interface RefundRequest {
  payment: Payment;
  providerPaymentId: string;
  /** This refund's amount, in the payment's `wayTicker`. */
  amountMinor: bigint;
  /** Stable for this refund (the gateway's refund id): a retry sends the same key. */
  idempotencyKey: string;
  reason: string;
  /** The refund receipt (54-ФЗ): the items taken back, summing to `amountMinor`. */
  receipt?: Receipt;
}

/**
 * What became of a receipt sent to the provider: `sent` (taken, not yet registered by the cash
 * register), `registered` (fiscalised), `failed` (with the provider's reason).
 */
export type ReceiptOutcome = { status: 'sent' | 'registered' | 'failed'; providerReceiptId?: string; reason?: string };

/** One provider account, ready to use. */
export interface Connector {
  /** The provider account's id from the configuration (`tbank`). */
  readonly id: string;
  /** The connector type (`tbank`, `yookassa`, `cloudpayments`, `sandbox`). */
  readonly type: string;
  /** What the buyer gets for a method. */
  kind(method: string): ActionKind;
  /** Whether the provider's page for a method may be shown in a frame. */
  frame(method: string): boolean;
  create(req: CreateRequest): Promise<CreateResult>;
  /**
   * Optional: the smallest amount, in minor units of `currency`, the provider takes for a method,
   * where its documentation gives one (T-Bank's SBP: 10 roubles). Absent, or undefined for a method:
   * any amount above zero. The gateway does not offer a way for an amount below it.
   */
  minAmountMinor?(method: string, currency: string): bigint | undefined;
  /**
   * Optional: whether the provider account offers a method now, where the provider has a call that
   * says so (T-Bank's T-Pay status). The answer may be kept for a few minutes; a provider that cannot
   * be asked answers false (the way is withheld, never offered on a guess). Absent, or a method it
   * has no call for: the way's configuration alone decides.
   */
  offered?(method: string): Promise<boolean>;
  /**
   * Verifies and handles one notification, calling `ctx` for what the gateway knows and does, and
   * returns the answer the provider requires. A bad signature or an unreadable body changes nothing
   * and gets the provider's refusal. Never throws for bad input.
   */
  handleNotification(n: IncomingNotification, ctx: NotifyContext): Promise<HttpAnswer>;
  /** Asks the provider about a payment (reconciliation). `providerPaymentId` is null when create's outcome was unknown. */
  fetchStatus(payment: Payment, providerPaymentId: string | null): Promise<ProviderStatus | { state: 'unreachable'; reason: string }>;
  refund(req: RefundRequest): Promise<RefundResult>;
  /**
   * Optional: closes a payment nobody has started paying at the provider, so that it can no longer
   * be paid (T-Bank `Cancel` of a `NEW` payment, CloudPayments `orders/cancel`). `cancelled`: closed;
   * `not_cancellable`: the provider's state does not allow it (the buyer is paying, or it is paid);
   * `unknown`: no definite answer. Never refunds money.
   */
  cancel?(payment: Payment, providerPaymentId: string): Promise<CancelResult>;
  /**
   * Optional: captures `amountMinor` (at most what is held) of a held payment (`authorized`), with
   * the receipt for the captured amount where the provider takes one with the capture. Only connectors
   * that can hold have it. `unknown`: no definite answer; reconciliation's status read settles it.
   */
  capture?(payment: Payment, providerPaymentId: string, amountMinor: bigint, receipt?: Receipt): Promise<HoldResult>;
  /** Optional: releases a held payment's money, nothing taken (a void is not a refund). `unknown` as for `capture`. */
  void?(payment: Payment, providerPaymentId: string): Promise<HoldResult>;
  /**
   * Optional: the moment after which the provider certainly takes no more money for this payment (its
   * own deadline, with a margin for a session already under way), documented in the connector's
   * README. Reconciliation keeps asking about an expired payment until then. Absent: the gateway's
   * deadline plus `LATE_CHECK_DEFAULT_MS`.
   */
  lastPaymentAt?(payment: Payment): number;
  /** Optional: sends the closing receipt (full payment after a prepayment) for a paid payment. */
  sendClosingReceipt?(payment: Payment, receipt: Receipt): Promise<ReceiptOutcome>;
  /**
   * Optional: asks the provider what became of one receipt it took (`providerReceiptId` from a
   * `ReceiptOutcome`; '' when the provider gave none yet), where it has a call for that (YooKassa,
   * CloudPayments). `of` says which receipt of the payment it is, for providers that find a
   * payment's or a refund's receipt by the operation (YooKassa `GET /receipts?payment_id=`). An
   * answer `sent` means no news yet; the gateway asks again on its schedule.
   */
  fetchReceiptStatus?(payment: Payment, providerReceiptId: string, of?: ReceiptQuery): Promise<ReceiptOutcome | { status: 'unreachable'; reason: string }>;
  /**
   * Optional (issue 26): whether the provider can save a method for later charges. Absent, or false
   * for a method: the way's form says `canSave: false` and no consent is asked.
   */
  canSave?(method: string): boolean;
  /** Optional (issue 26): charges a saved method with no buyer present. Present wherever `canSave` may be true. */
  chargeSaved?(req: ChargeRequest): Promise<ChargeResult>;
  /**
   * Optional (issue 26): revokes a saved method at the provider (T-Bank `RemoveCard`). Absent: the
   * provider has no such call (YooKassa), and the gateway only forgets the token.
   */
  revokeSaved?(token: string, customerKey: string): Promise<{ kind: 'revoked' } | { kind: 'unknown'; reason: string }>;
  /**
   * Optional (issue 26): the issuer's 3-D Secure of a charge whose provider leaves the round trip to
   * the merchant (CloudPayments' token charge). The charge's action links to the gateway's page
   * `/providers/{id}/3ds/{payment}`; `form` reads that link (null: not this connector's link for this
   * payment) into the form the page POSTs to the issuer; `finish` takes what the issuer POSTed back
   * to the form's `TermUrl` and completes the charge at the provider.
   */
  threeDs?: {
    form(payment: Payment, query: URLSearchParams): { url: string; fields: Record<string, string> } | null;
    finish(payment: Payment, answer: URLSearchParams): Promise<ThreeDsFinish>;
  };
}

/** How a 3-D Secure round trip ended: the charge's outcome, or the issuer's answer not usable (the field named). */
export type ThreeDsFinish = ChargeResult | { kind: 'invalid'; field: string; message: string };

/**
 * The outcome of `Connector.capture` / `Connector.void`: `done` (taken or released), `refused` (the
 * provider's documented error: more than held, after a void or expiry, a void of a captured
 * payment), `unknown` (no definite answer).
 */
export type HoldResult = { kind: 'done' } | { kind: 'refused'; reason: string } | { kind: 'unknown'; reason: string };

/** How long the providers keep card money held, as they document it: 7 days. */
export const CARD_HOLD_MS = 7 * 24 * 3_600_000;

/** The outcome of `Connector.cancel`. */
export type CancelResult = { kind: 'cancelled' } | { kind: 'not_cancellable'; reason: string } | { kind: 'unknown'; reason: string };

/** How long after the gateway's deadline a provider without `lastPaymentAt` is still asked: a day. */
export const LATE_CHECK_DEFAULT_MS = 24 * 3_600_000;

/**
 * A provider type, registered once. `configSchema` validates one entry of `providers` (its `id` and
 * `type` included); `secretKeys` names the keys holding secrets (masked in output, resolvable from
 * `{env}` / `{file}`); `methods` are the way methods it accepts.
 */
export interface ConnectorModule<C extends { id: string; type: string } = { id: string; type: string }> {
  readonly type: string;
  readonly configSchema: z.ZodType<C>;
  readonly secretKeys: readonly string[];
  readonly methods: readonly string[];
  /** Providers whose notification URL is set in their own dashboard say so here (docs, start-up hint). */
  readonly notificationUrlInDashboard: boolean;
  /** What to set in that dashboard, given the account's notify URL; default: that URL, as POST. */
  dashboardNotificationHint?(notifyUrl: string): string;
  create(config: C, deps: ConnectorDeps): Connector;
}

/**
 * A module of any configuration type, as the registry holds them. Its `create` is only ever given
 * what its own `configSchema` parsed, so the configuration type may be erased here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `create`'s parameter is contravariant: no other type admits every module; safe as said above
export type AnyConnectorModule = ConnectorModule<any>;

/** Connector modules by type (`moduleTable` in providers/modules.ts builds one). */
export type ConnectorModules = ReadonlyMap<string, AnyConnectorModule>;

/**
 * A way as the registry and the payment service read it: a sandbox system (`system`) or a method of
 * a provider account (`provider` and `method`). config.ts's `WayConfig` fits it; declared here so that
 * the providers never import the configuration (which imports them).
 */
export interface WayDefinition {
  code: string;
  system?: 'card' | 'bank' | 'expiring' | undefined;
  provider?: string | undefined;
  method?: string | undefined;
  ticker: string;
  feeBps: number;
  /** The buyer's title per language (any supported one as a key), shown by `wayTitle`'s rule. */
  title: LocalizedText;
  ttlSeconds: number;
  frame: boolean;
}

/** What the registry reads of the configuration (a parsed `GatewayConfig` fits it). */
export interface RegistryConfig {
  /** Signs the sandbox systems' callbacks. */
  secret: string;
  /** Provider accounts, each already checked against its module's schema. */
  providers: readonly ({ id: string; type: string } & Record<string, unknown>)[];
  ways: readonly WayDefinition[];
}
