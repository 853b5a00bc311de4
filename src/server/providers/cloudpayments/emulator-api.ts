/**
 * The CloudPayments emulator's API methods, each with its documented refusals: orders
 * (`orders/create`, `orders/cancel`), reading (`payments/find`, `v2/payments/find`, `payments/get`,
 * `payments/list`), money after payment (`payments/refund`, `payments/confirm`, `payments/void`) and
 * saved cards (`payments/tokens/charge`, `payments/tokens/auth`, `payments/cards/post3ds`,
 * `payments/tokens/list`). Answers are CloudPayments' envelope `{Model?, Success, Message}`.
 */
import { randomBytes } from 'node:crypto';
import { createKktReceipt, isReceiptError, receiptFor, type KktReceipt } from './emulator-receipts.ts';
import {
  CURRENCY_CODES,
  HOLD_TTL_MS,
  REASONS,
  orderModel,
  paymentNotification,
  tokenModel,
  transactionModel,
  newTransaction,
  type EmulatedOrder,
  type EmulatedTransaction,
  type NotificationFields,
  type SavedCard,
} from './emulator-model.ts';
import { amountJson, notifyDate, num, readAmount, scalar, writeJson, type Json } from './emulator-wire.ts';

/** One API answer: HTTP status and the JSON body. */
export interface ApiAnswer {
  status: number;
  body: string;
  /** Whether the envelope says `Success: true` (only those are kept for `X-Request-ID`). */
  success: boolean;
}

/** The notifications the API itself causes (Pay / Fail of a token payment, Confirm, Cancel, Refund). */
export type ApiNotifyKind = 'pay' | 'fail' | 'confirm' | 'cancel' | 'refund';

/** What the API works on, shared with the server and the hosted page. */
export interface ApiState {
  publicId: string;
  baseUrl: () => string;
  now: () => number;
  orders: Map<string, EmulatedOrder>;
  transactions: EmulatedTransaction[];
  cards: Map<string, SavedCard>;
  nextTransactionId: () => number;
  nextOrderNumber: () => number;
  deliver: (kind: ApiNotifyKind, fields: NotificationFields) => void;
  /** Receipts made through the receipt API (`kkt/receipt`), by id. */
  kktReceipts: Map<string, KktReceipt>;
  /** The cash register takes a receipt made through the receipt API (emulator-fiscal.ts). */
  receiptTaken?: (r: KktReceipt, receipt: Record<string, unknown>) => void;
}

/** Time zones `payments/list` accepts («Time zones»), as hours from UTC. */
const TIME_ZONES: Readonly<Record<string, number>> = { UTC: 0, MSK: 3, CET: 1, EET: 2, AZT: 4, ALMT: 6, SAMT: 4, YEKT: 5, OMST: 6, KRAT: 7, IRKT: 8, YAKT: 9, VLAT: 10, MAGT: 11, PETT: 12 };

/** `{Model?, Success, Message}` as JSON. */
export function envelope(success: boolean, message: string | null, model?: unknown): ApiAnswer {
  const body = writeJson(model === undefined ? { Success: success, Message: message } : { Model: model, Success: success, Message: message });
  return { status: 200, body, success };
}

const refuse = (message: string): ApiAnswer => envelope(false, message);

/** `Success:true` with the transaction model, or `Success:false` with it (a decline) or with 3-D Secure data. */
function paymentAnswer(state: ApiState, tx: EmulatedTransaction): ApiAnswer {
  if (tx.status === 'AwaitingAuthentication' && tx.paReq) {
    return envelope(false, null, { TransactionId: num(tx.transactionId), PaReq: tx.paReq, AcsUrl: `${state.baseUrl()}/acs`, ThreeDsCallbackId: tx.paReq.slice(0, 16) });
  }
  const ok = tx.status === 'Completed' || tx.status === 'Authorized';
  return envelope(ok, null, transactionModel(tx, state.publicId));
}

/** A fresh 6-digit authorisation code. */
export function authCode(): string {
  return String(randomBytes(3).readUIntBE(0, 3) % 1_000_000).padStart(6, '0');
}

/** A card token as CloudPayments hands them out (`tk_` and 29 hex digits). */
export function newToken(): string {
  return `tk_${randomBytes(15).toString('hex').slice(0, 29)}`;
}

/** Authorises a transaction: Authorized (two-stage, held 7 days) or Completed, with a saved card token. */
export function authorise(state: ApiState, tx: EmulatedTransaction, token: string | null): void {
  const at = state.now();
  tx.authAt = at;
  tx.authCode = authCode();
  tx.reason = REASONS.approved.reason;
  tx.reasonCode = REASONS.approved.code;
  tx.cardHolderMessage = REASONS.approved.message;
  tx.token = token;
  tx.paReq = null;
  if (tx.twoStage) {
    tx.status = 'Authorized';
    tx.holdUntil = at + HOLD_TTL_MS;
  } else {
    tx.status = 'Completed';
    tx.confirmAt = at;
  }
  if (tx.orderId) {
    const order = state.orders.get(tx.orderId);
    if (order) {
      order.status = 'Paid';
      order.paidAt = at;
    }
  }
}

/** Pay notification fields of an authorised transaction (Status Completed or Authorized). */
export function payFields(tx: EmulatedTransaction): NotificationFields {
  return { ...paymentNotification(tx), GatewayName: 'Test', TotalFee: amountJson(0n), AuthCode: tx.authCode ?? '', ...(tx.token ? { Token: tx.token } : {}) };
}

/** Declines a transaction and sends Fail. */
export function declineTx(state: ApiState, tx: EmulatedTransaction, why: { code: number; reason: string; message: string }): void {
  tx.status = 'Declined';
  tx.reason = why.reason;
  tx.reasonCode = why.code;
  tx.cardHolderMessage = why.message;
  tx.paReq = null;
  state.deliver('fail', { ...paymentNotification(tx), Reason: why.reason, ReasonCode: num(why.code), CardHolderMessage: why.message });
}

/**
 * Holds past their 7 days are cancelled, as CloudPayments does with a payment not confirmed in time;
 * each sends Cancel. Run before every API call and page view (the emulator has no timer of its own).
 */
export function expireHolds(state: ApiState): void {
  const at = state.now();
  for (const tx of state.transactions) {
    if (tx.status === 'Authorized' && tx.holdUntil !== null && at >= tx.holdUntil) {
      tx.status = 'Cancelled';
      tx.reason = 'Cancelled';
      state.deliver('cancel', cancelFields(tx, at));
    }
  }
}

function cancelFields(tx: EmulatedTransaction, at: number): NotificationFields {
  return { TransactionId: num(tx.transactionId), Amount: amountJson(tx.amountMinor), DateTime: notifyDate(at), InvoiceId: tx.invoiceId, AccountId: tx.accountId, Email: tx.email };
}

function findTx(state: ApiState, value: Json | undefined): EmulatedTransaction | undefined {
  const id = scalar(value);
  return id === undefined ? undefined : state.transactions.find((t) => String(t.transactionId) === id.trim());
}

function jsonDataText(value: Json | undefined): string | null {
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'string' ? value : writeJson(value);
}

function currencyOf(params: Record<string, Json>): string | null {
  const currency = (scalar(params.Currency) ?? 'RUB').toUpperCase();
  return currency in CURRENCY_CODES ? currency : null;
}

/** Runs one API method; `null` when the path is no method. */
export function runApi(state: ApiState, path: string, params: Record<string, Json>): ApiAnswer | null {
  expireHolds(state);
  switch (path.replace(/\/+$/, '').toLowerCase()) {
    case '/orders/create':
      return createOrder(state, params);
    case '/orders/cancel': {
      const order = state.orders.get(scalar(params.Id) ?? '');
      if (!order) return refuse('Not found');
      if (order.status !== 'Created') return refuse(`Order is ${order.status}`);
      order.status = 'Cancelled';
      return envelope(true, null);
    }
    case '/payments/find':
    case '/v2/payments/find': {
      const invoiceId = scalar(params.InvoiceId);
      if (!invoiceId) return refuse('InvoiceId is required');
      // v2 reports the latest operation of the invoice, refunds included; the first payments only.
      const v2 = path.startsWith('/v2');
      const found = state.transactions.filter((t) => t.invoiceId === invoiceId && (v2 || t.type === 0)).at(-1);
      if (!found) return refuse('Not found');
      return envelope(found.status === 'Completed' || found.status === 'Authorized', null, transactionModel(found, state.publicId));
    }
    case '/payments/get': {
      const tx = findTx(state, params.TransactionId);
      if (!tx) return refuse('Not found');
      return envelope(true, null, transactionModel(tx, state.publicId));
    }
    case '/payments/list':
      return listPayments(state, params);
    case '/payments/refund':
      return refund(state, params);
    case '/payments/confirm':
      return confirm(state, params);
    case '/payments/void': {
      const tx = findTx(state, params.TransactionId);
      if (!tx || tx.type !== 0) return refuse('Not found');
      // A hold may be voided until it is confirmed; a completed payment only the day it was made and
      // before any refund («Cancellation», changelog 3.1.3: «до 24 часов»); after that it takes a refund.
      const sameDay = tx.status === 'Completed' && tx.refundedMinor === 0n && tx.confirmAt !== null && state.now() - tx.confirmAt < 24 * 60 * 60 * 1000;
      if (tx.status !== 'Authorized' && !sameDay) return refuse('Transaction cannot be voided');
      tx.status = 'Cancelled';
      tx.reason = 'Cancelled';
      tx.holdUntil = null;
      state.deliver('cancel', cancelFields(tx, state.now()));
      return envelope(true, null);
    }
    case '/payments/tokens/charge':
    case '/payments/tokens/auth':
      return chargeToken(state, params, path.endsWith('/auth'));
    case '/payments/cards/post3ds':
      return post3ds(state, params);
    case '/payments/tokens/list': {
      const page = Number(scalar(params.PageNumber) ?? '1');
      if (!Number.isInteger(page) || page < 1) return refuse('Invalid PageNumber value');
      const cards = [...state.cards.values()].slice((page - 1) * 100, page * 100);
      return envelope(true, null, cards.map(tokenModel));
    }
    case '/kkt/receipt': {
      const r = createKktReceipt(params, state.kktReceipts, () => randomBytes(16).toString('hex'));
      if ('message' in r) return refuse(r.message);
      state.receiptTaken?.(r, params.CustomerReceipt as Record<string, unknown>);
      return envelope(true, 'Queued', { Id: r.id, ErrorCode: 0, ReceiptLocalUrl: `${state.baseUrl()}/kkt/receipt/${r.id}` });
    }
    case '/kkt/receipt/status/get': {
      const r = state.kktReceipts.get(scalar(params.Id) ?? '');
      return r ? envelope(true, null, r.status) : refuse('Receipt not found');
    }
    default:
      return null;
  }
}

function createOrder(state: ApiState, params: Record<string, Json>): ApiAnswer {
  if (params.Amount === undefined || params.Amount === '') return refuse('Amount is required');
  const amountMinor = readAmount(params.Amount);
  if (amountMinor === null || amountMinor <= 0n) return refuse('Invalid Amount value');
  const currency = currencyOf(params);
  if (!currency) return refuse('Invalid Currency value');
  const description = scalar(params.Description);
  if (!description) return refuse('Description is required');
  const receipt = receiptFor(params.JsonData, amountMinor);
  if (isReceiptError(receipt)) return refuse(receipt.message);
  const id = randomBytes(12).toString('base64url').slice(0, 16);
  const number = state.nextOrderNumber();
  const order: EmulatedOrder = {
    id,
    number,
    internalId: 100_000 + number,
    amountMinor,
    currency,
    description,
    email: scalar(params.Email) ?? '',
    phone: scalar(params.Phone) ?? '',
    invoiceId: scalar(params.InvoiceId) ?? '',
    accountId: scalar(params.AccountId) ?? '',
    cultureName: scalar(params.CultureName) ?? 'ru-RU',
    successRedirectUrl: scalar(params.SuccessRedirectUrl) ?? '',
    failRedirectUrl: scalar(params.FailRedirectUrl) ?? '',
    requireConfirmation: scalar(params.RequireConfirmation) === 'true',
    jsonData: jsonDataText(params.JsonData),
    status: 'Created',
    url: `${state.baseUrl()}/d/${id}`,
    createdAt: state.now(),
    paidAt: null,
  };
  state.orders.set(id, order);
  return envelope(true, null, orderModel(order));
}

function listPayments(state: ApiState, params: Record<string, Json>): ApiAnswer {
  const date = scalar(params.Date);
  const day = date === undefined ? null : /^(\d{4}-\d{2}-\d{2})/.exec(date)?.[1];
  if (!day || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return refuse('Date is required');
  const zone = (scalar(params.TimeZone) ?? 'UTC').toUpperCase();
  const offset = TIME_ZONES[zone];
  if (offset === undefined) return refuse('Invalid TimeZone value');
  const start = Date.parse(`${day}T00:00:00Z`) - offset * 3_600_000;
  const list = state.transactions.filter((t) => t.createdAt >= start && t.createdAt < start + 86_400_000);
  return envelope(true, null, list.map((t) => transactionModel(t, state.publicId)));
}

function refund(state: ApiState, params: Record<string, Json>): ApiAnswer {
  const tx = findTx(state, params.TransactionId);
  if (!tx || tx.type !== 0) return refuse('Transaction not found');
  if (tx.status !== 'Completed') return refuse('Transaction is not completed');
  const amountMinor = readAmount(params.Amount);
  if (amountMinor === null || amountMinor <= 0n) return refuse('Invalid Amount value');
  if (tx.refundedMinor + amountMinor > tx.amountMinor) return refuse('Refund amount is greater than the available amount');
  const receipt = receiptFor(params.JsonData, amountMinor);
  if (isReceiptError(receipt)) return refuse(receipt.message);
  tx.refundedMinor += amountMinor;
  const at = state.now();
  const refundTx: EmulatedTransaction = {
    ...tx,
    transactionId: state.nextTransactionId(),
    type: 1,
    amountMinor,
    originalTransactionId: tx.transactionId,
    refundedMinor: 0n,
    jsonData: jsonDataText(params.JsonData),
    createdAt: at,
    authAt: at,
    confirmAt: at,
    holdUntil: null,
    twoStage: false,
  };
  state.transactions.push(refundTx);
  state.deliver('refund', {
    TransactionId: num(refundTx.transactionId),
    PaymentTransactionId: num(tx.transactionId),
    Amount: amountJson(amountMinor),
    DateTime: notifyDate(at),
    OperationType: 'Refund',
    InvoiceId: tx.invoiceId,
    AccountId: tx.accountId,
    Email: tx.email,
    ...(refundTx.jsonData ? { Data: refundTx.jsonData } : {}),
  });
  return envelope(true, null, { TransactionId: num(refundTx.transactionId) });
}

function confirm(state: ApiState, params: Record<string, Json>): ApiAnswer {
  const tx = findTx(state, params.TransactionId);
  if (!tx || tx.type !== 0) return refuse('Transaction not found');
  if (tx.status !== 'Authorized') return refuse(tx.status === 'Cancelled' ? 'Transaction is cancelled' : 'Transaction is not authorized');
  const amountMinor = readAmount(params.Amount);
  if (amountMinor === null || amountMinor <= 0n) return refuse('Invalid Amount value');
  // «The confirmation amount may be less than or equal to the authorised one»; the rest is released.
  if (amountMinor > tx.amountMinor) return refuse('Amount is greater than the authorized amount');
  const receipt = receiptFor(params.JsonData, amountMinor);
  if (isReceiptError(receipt)) return refuse(receipt.message);
  tx.amountMinor = amountMinor;
  tx.status = 'Completed';
  tx.confirmAt = state.now();
  tx.holdUntil = null;
  if (params.JsonData !== undefined) tx.jsonData = jsonDataText(params.JsonData);
  state.deliver('confirm', payFields(tx));
  return envelope(true, null);
}

function chargeToken(state: ApiState, params: Record<string, Json>, twoStage: boolean): ApiAnswer {
  if (params.Amount === undefined || params.Amount === '') return refuse('Amount is required');
  const amountMinor = readAmount(params.Amount);
  if (amountMinor === null || amountMinor <= 0n) return refuse('Invalid Amount value');
  const currency = currencyOf(params);
  if (!currency) return refuse('Invalid Currency value');
  const accountId = scalar(params.AccountId);
  if (!accountId) return refuse('AccountId is required');
  const tokenText = scalar(params.Token);
  if (!tokenText) return refuse('Token is required');
  // Required since API 3.6.0 (24.08.2023): 0 — the merchant initiates, 1 — the cardholder does.
  const initiator = scalar(params.TrInitiatorCode);
  if (initiator === undefined) return refuse('TrInitiatorCode is required');
  if (initiator !== '0' && initiator !== '1') return refuse('Invalid TrInitiatorCode value');
  const scheduled = scalar(params.PaymentScheduled);
  if (scheduled !== undefined && scheduled !== '0' && scheduled !== '1') return refuse('Invalid PaymentScheduled value');
  const card = state.cards.get(tokenText);
  if (!card) return refuse('Token not found');
  if (card.accountId && card.accountId !== accountId) return refuse('Invalid AccountId value');
  const receipt = receiptFor(params.JsonData, amountMinor);
  if (isReceiptError(receipt)) return refuse(receipt.message);
  const tx = newTransaction(state.nextTransactionId(), state.now(), {
    invoiceId: scalar(params.InvoiceId) ?? '', accountId, trInitiatorCode: initiator, amountMinor, currency,
    cardFirstSix: card.cardFirstSix, cardLastFour: card.cardLastFour, cardType: card.cardType,
    cardExpDate: `${String(card.expMonth).padStart(2, '0')}/${String(card.expYear % 100).padStart(2, '0')}`,
    email: scalar(params.Email) ?? '', description: scalar(params.Description) ?? '', ipAddress: scalar(params.IpAddress) ?? '',
    jsonData: jsonDataText(params.JsonData),
    // The saved card; the model shows it only once the payment is authorised.
    token: card.token,
    twoStage,
  });
  state.transactions.push(tx);
  switch (card.outcome) {
    case 'insufficient_funds':
      declineTx(state, tx, REASONS.insufficientFunds);
      break;
    case 'do_not_honor':
      declineTx(state, tx, REASONS.doNotHonor);
      break;
    case '3ds':
      // The issuer asks for 3-D Secure: the answer carries AcsUrl and PaReq; payments/cards/post3ds finishes.
      tx.paReq = randomBytes(24).toString('base64');
      break;
    default:
      authorise(state, tx, card.token);
      state.deliver('pay', payFields(tx));
  }
  return paymentAnswer(state, tx);
}

function post3ds(state: ApiState, params: Record<string, Json>): ApiAnswer {
  const tx = findTx(state, params.TransactionId);
  if (!tx || tx.status !== 'AwaitingAuthentication' || !tx.paReq) return refuse('Transaction not found');
  const paRes = scalar(params.PaRes);
  if (!paRes) return refuse('PaRes is required');
  // The emulator's ACS page hands out `<PaReq>:Y` (passed) or `<PaReq>:N` (failed).
  if (paRes === `${tx.paReq}:Y`) {
    authorise(state, tx, tx.token);
    state.deliver('pay', payFields(tx));
  } else {
    declineTx(state, tx, REASONS.authenticationFailed);
  }
  return paymentAnswer(state, tx);
}
