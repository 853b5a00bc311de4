/**
 * What the CloudPayments emulator keeps (orders, transactions, saved cards) and how it shows them:
 * the transaction model of `payments/find`, `payments/get`, `payments/list` and the payment methods,
 * the `orders/create` model, the `payments/tokens/list` rows and the notification fields. Field
 * names and forms are CloudPayments' (README, «The emulator»); nothing here comes from the connector.
 */
import type { LosslessNumber } from 'lossless-json';
import { amountJson, isoDate, netDate, notifyDate, num } from './emulator-wire.ts';

/** Transaction statuses and their codes (CloudPayments «Transaction statuses»). */
export const STATUS_CODES = { AwaitingAuthentication: 1, Authorized: 2, Completed: 3, Cancelled: 4, Declined: 5 } as const;
export type TxStatus = keyof typeof STATUS_CODES;

/** Order (invoice) statuses; the codes are not in the documentation we had (README). */
export const ORDER_STATUS_CODES = { Created: 0, Paid: 2, Cancelled: 3 } as const;
export type OrderStatus = keyof typeof ORDER_STATUS_CODES;

/** ISO 4217 letters → CloudPayments' `CurrencyCode` («Currency list»). */
export const CURRENCY_CODES: Readonly<Record<string, number>> = {
  RUB: 0, USD: 1, EUR: 2, GBP: 3, UAH: 4, BYR: 5, BYN: 5, KZT: 7, AZN: 8, CHF: 9, CZK: 10, CAD: 11, PLN: 12, SEK: 13, TRY: 14, CNY: 15, INR: 16, BRL: 17, ZAR: 18, UZS: 19, BGN: 20, RON: 21, AUD: 22, HKD: 23, GEL: 24, KGS: 25, AMD: 26, AED: 27,
};

/** Where the 7 days of a hold come from: «up to 7 days, depending on the card type, to confirm». */
export const HOLD_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** What a card does when charged: the outcomes CloudPayments' test cards and the token tests need. */
export type CardOutcome = 'success' | 'insufficient_funds' | 'do_not_honor' | '3ds';

/** CloudPayments' published test cards («Testing»); on the hosted page 3-D Secure is passed at once. */
export const TEST_CARDS: Readonly<Record<string, { type: string; result: 'success' | 'insufficient_funds'; threeDs: boolean }>> = {
  '4242424242424242': { type: 'Visa', result: 'success', threeDs: true },
  '5555555555554444': { type: 'MasterCard', result: 'success', threeDs: true },
  '4012888888881881': { type: 'Visa', result: 'insufficient_funds', threeDs: true },
  '5105105105105100': { type: 'MasterCard', result: 'insufficient_funds', threeDs: true },
  '4111111111111111': { type: 'Visa', result: 'success', threeDs: false },
  '5200828282828210': { type: 'MasterCard', result: 'success', threeDs: false },
  '4000056655665556': { type: 'Visa', result: 'insufficient_funds', threeDs: false },
  '5404000000000043': { type: 'MasterCard', result: 'insufficient_funds', threeDs: false },
};

/** Reason, ReasonCode and CardHolderMessage of the outcomes («Error codes»). */
export const REASONS = {
  approved: { code: 0, reason: 'Approved', message: 'Оплата успешно проведена' },
  insufficientFunds: { code: 5051, reason: 'InsufficientFunds', message: 'Недостаточно средств на карте' },
  doNotHonor: { code: 5005, reason: 'DoNotHonor', message: 'Свяжитесь с вашим банком или воспользуйтесь другой картой' },
  authenticationFailed: { code: 5206, reason: 'AuthenticationFailed', message: 'Не пройдена аутентификация 3-D Secure' },
} as const;

export interface EmulatedOrder {
  id: string;
  number: number;
  internalId: number;
  amountMinor: bigint;
  currency: string;
  description: string;
  email: string;
  phone: string;
  invoiceId: string;
  accountId: string;
  cultureName: string;
  successRedirectUrl: string;
  failRedirectUrl: string;
  requireConfirmation: boolean;
  /** `JsonData` as the merchant gave it (JSON text), carried to the order's transactions. */
  jsonData: string | null;
  status: OrderStatus;
  url: string;
  createdAt: number;
  paidAt: number | null;
}

export interface EmulatedTransaction {
  transactionId: number;
  /** 0 payment, 1 refund («Type» of the transaction model). */
  type: 0 | 1;
  orderId: string | null;
  invoiceId: string;
  accountId: string;
  amountMinor: bigint;
  currency: string;
  status: TxStatus;
  reason: string;
  reasonCode: number;
  cardHolderMessage: string;
  cardFirstSix: string;
  cardLastFour: string;
  cardType: string;
  cardExpDate: string;
  refundedMinor: bigint;
  originalTransactionId: number | null;
  email: string;
  description: string;
  name: string;
  ipAddress: string;
  jsonData: string | null;
  /** The saved card's token, once the payment is authorised. */
  token: string | null;
  /** A token charge's `TrInitiatorCode` as sent: `0` the merchant, `1` the cardholder (absent elsewhere). */
  trInitiatorCode?: string;
  authCode: string | null;
  createdAt: number;
  authAt: number | null;
  confirmAt: number | null;
  /** Two-stage (auth) payment: held until confirmed, voided or `holdUntil`. */
  twoStage: boolean;
  holdUntil: number | null;
  /** While 3-D Secure is pending: the `PaReq` handed out. */
  paReq: string | null;
}

/**
 * A new payment transaction as it starts (awaiting authentication, nothing taken, no card unless
 * given): the fields every way of paying shares, with what the caller knows on top.
 * @example const tx = newTransaction(id, now, { invoiceId: 'pay_1', amountMinor: 100n, currency: 'RUB' });
 */
export function newTransaction(
  transactionId: number,
  now: number,
  fields: Pick<EmulatedTransaction, 'invoiceId' | 'amountMinor' | 'currency'> & Partial<EmulatedTransaction>,
): EmulatedTransaction {
  return {
    transactionId, type: 0, orderId: null, accountId: '', status: 'AwaitingAuthentication', reason: '', reasonCode: 0, cardHolderMessage: '',
    cardFirstSix: '', cardLastFour: '', cardType: '', cardExpDate: '', refundedMinor: 0n, originalTransactionId: null,
    email: '', description: '', name: '', ipAddress: '', jsonData: null, token: null, authCode: null,
    createdAt: now, authAt: null, confirmAt: null, twoStage: false, holdUntil: null, paReq: null,
    ...fields,
  };
}

/** A card saved by a paid payment (`payments/tokens/list`); `outcome` is what charging it does next. */
export interface SavedCard {
  token: string;
  accountId: string;
  cardFirstSix: string;
  cardLastFour: string;
  cardType: string;
  expMonth: number;
  expYear: number;
  outcome: CardOutcome;
  createdAt: number;
}

type ModelValue = string | boolean | null | LosslessNumber;

function dates(prefix: string, ms: number | null): Record<string, ModelValue> {
  return { [`${prefix}Date`]: ms === null ? null : netDate(ms), [`${prefix}DateIso`]: ms === null ? null : isoDate(ms) };
}

/**
 * The transaction model: every field of the documented success and decline answers. Fields the
 * emulator cannot know (the buyer's IP geography, the issuer) carry fixed test values.
 */
export function transactionModel(tx: EmulatedTransaction, publicId: string): Record<string, ModelValue> {
  const authorised = tx.status === 'Authorized' || tx.status === 'Completed' || (tx.status === 'Cancelled' && tx.authAt !== null);
  return {
    PublicId: publicId,
    TransactionId: num(tx.transactionId),
    Amount: amountJson(tx.amountMinor),
    Currency: tx.currency,
    CurrencyCode: num(CURRENCY_CODES[tx.currency] ?? 0),
    PaymentAmount: amountJson(tx.amountMinor),
    PaymentCurrency: tx.currency,
    PaymentCurrencyCode: num(CURRENCY_CODES[tx.currency] ?? 0),
    InvoiceId: tx.invoiceId || null,
    AccountId: tx.accountId || null,
    Email: tx.email || null,
    Description: tx.description || null,
    JsonData: tx.jsonData,
    ...dates('Created', tx.createdAt),
    ...(authorised ? { ...dates('Auth', tx.authAt), ...dates('Confirm', tx.confirmAt), AuthCode: tx.authCode } : {}),
    TestMode: true,
    IpAddress: tx.ipAddress,
    IpCountry: 'RU',
    IpCity: 'Москва',
    IpRegion: 'Москва',
    IpDistrict: 'Центральный федеральный округ',
    IpLatitude: num('55.75222'),
    IpLongitude: num('37.61556'),
    CardFirstSix: tx.cardFirstSix,
    CardLastFour: tx.cardLastFour,
    CardExpDate: tx.cardExpDate,
    CardType: tx.cardType,
    CardTypeCode: num(cardTypeCode(tx.cardType)),
    Issuer: 'CloudPayments Test Bank',
    IssuerBankCountry: 'RU',
    Status: tx.status,
    StatusCode: num(STATUS_CODES[tx.status]),
    Reason: tx.reason,
    ReasonCode: num(tx.reasonCode),
    CardHolderMessage: tx.cardHolderMessage,
    Name: tx.name || null,
    Type: num(tx.type),
    Refunded: tx.type === 0 && tx.refundedMinor > 0n,
    OriginalTransactionId: tx.originalTransactionId === null ? null : num(tx.originalTransactionId),
    GatewayName: 'Test',
    TotalFee: amountJson(0n),
    CultureName: 'ru-RU',
    ...(authorised && tx.token ? { Token: tx.token } : {}),
  };
}

/** `CardTypeCode`: Visa 0, MasterCard 1, Maestro 2, MIR 3 («Card types»). */
function cardTypeCode(type: string): number {
  return { Visa: 0, MasterCard: 1, Maestro: 2, MIR: 3 }[type] ?? 0;
}

/** The `orders/create` model (the documented answer plus the fields CloudPayments' SDKs read). */
export function orderModel(order: EmulatedOrder): Record<string, ModelValue> {
  return {
    Id: order.id,
    Number: num(order.number),
    Amount: amountJson(order.amountMinor),
    Currency: order.currency,
    CurrencyCode: num(CURRENCY_CODES[order.currency] ?? 0),
    Email: order.email || null,
    Phone: order.phone || null,
    Description: order.description,
    RequireConfirmation: order.requireConfirmation,
    Url: order.url,
    CultureName: order.cultureName,
    ...dates('Created', order.createdAt),
    ...dates('Payment', order.paidAt),
    StatusCode: num(ORDER_STATUS_CODES[order.status]),
    Status: order.status,
    InternalId: num(order.internalId),
    InvoiceId: order.invoiceId || null,
    AccountId: order.accountId || null,
  };
}

/** A `payments/tokens/list` row. */
export function tokenModel(card: SavedCard): Record<string, ModelValue> {
  return {
    Token: card.token,
    AccountId: card.accountId,
    CardMask: `${card.cardFirstSix.slice(0, 4)} ${card.cardFirstSix.slice(4)}****** ${card.cardLastFour}`,
    ExpirationDateMonth: num(card.expMonth),
    ExpirationDateYear: num(card.expYear),
  };
}

/** A notification's fields, flat: amounts with two decimals, `DateTime` in UTC. */
export type NotificationFields = Record<string, string | LosslessNumber>;

/** The fields Check, Pay, Fail and Confirm share («Notifications» parameter tables). */
export function paymentNotification(tx: EmulatedTransaction): NotificationFields {
  const fields: NotificationFields = {
    TransactionId: num(tx.transactionId),
    Amount: amountJson(tx.amountMinor),
    Currency: tx.currency,
    PaymentAmount: amountJson(tx.amountMinor),
    PaymentCurrency: tx.currency,
    DateTime: notifyDate(tx.createdAt),
    CardFirstSix: tx.cardFirstSix,
    CardLastFour: tx.cardLastFour,
    CardType: tx.cardType,
    CardExpDate: tx.cardExpDate,
    TestMode: num(1),
    Status: tx.status,
    OperationType: 'Payment',
    InvoiceId: tx.invoiceId,
    AccountId: tx.accountId,
    Email: tx.email,
    Description: tx.description,
    IpAddress: tx.ipAddress,
    IpCountry: 'RU',
    Issuer: 'CloudPayments Test Bank',
    IssuerBankCountry: 'RU',
  };
  if (tx.name) fields.Name = tx.name;
  if (tx.jsonData) fields.Data = tx.jsonData;
  return fields;
}
