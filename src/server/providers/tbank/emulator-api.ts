/**
 * The T-Bank emulator's API methods, from T-Bank's Internet Acquiring API v2 reference: `Init`,
 * `GetState`, `CheckOrder`, `Cancel` (of a session, a hold or a payment, whole or in part, with
 * `ExternalRequestId` idempotency), `Confirm`, `Charge` (a saved card's `RebillId`), `GetQr` and
 * the cashbox's `SendClosingReceipt`, with the customer and card methods of emulator-customers.ts.
 * A request's terminal and token are checked before anything else; answers carry T-Bank's error
 * codes. Pure over the shared state: the HTTP side (faults, body reading) is in emulator.ts.
 */
import { randomBytes } from 'node:crypto';
import { HELD, OPEN, PAID, reportedAmount, type EmulatorState } from './emulator-model.ts';
import { escapeHtml } from './emulator-pages.ts';
import { checkReceipt } from './emulator-receipt.ts';
import type { EmulatorPayment } from './emulator-types.ts';
import { idOf, kopecksOf, MESSAGES, newQrId, nspkLink, parseDueDate, sameHex, tokenOf } from './emulator-wire.ts';

type Answer = Record<string, unknown>;

/** The smallest SBP amount (10 roubles, per the Init reference). */
const SBP_MIN_KOPECKS = 1000;
const CARD_MIN_KOPECKS = 100;
const DAY_MS = 24 * 3_600_000;

/** T-Bank's error answer: `Success: false`, the code, its message and details. */
export function apiError(terminalKey: unknown, code: string, details?: string): Answer {
  return {
    Success: false, ErrorCode: code, Message: MESSAGES[code] ?? 'Ошибка', Details: details ?? '',
    ...(typeof terminalKey === 'string' ? { TerminalKey: terminalKey } : {}),
  };
}

function paymentAnswer(p: EmulatorPayment): Answer {
  return { Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId, Amount: reportedAmount(p) };
}

function ownPayment(state: EmulatorState, body: Answer): EmulatorPayment | undefined {
  const id = idOf(body.PaymentId);
  const p = id === undefined ? undefined : state.payments.get(id);
  return p && p.terminalKey === body.TerminalKey ? p : undefined;
}

/** A receipt, when one is sent, checked against the operation's amount. */
function receiptError(body: Answer, amount: number): Answer | undefined {
  if (body.Receipt === undefined) return undefined;
  const e = checkReceipt(body.Receipt, amount);
  return e ? apiError(body.TerminalKey, e.code, e.details) : undefined;
}

function init(state: EmulatorState, terminalKey: string, body: Answer): Answer {
  const { OrderId } = body;
  if (body.Amount === undefined || OrderId === undefined) return apiError(terminalKey, '2', 'Amount, OrderId');
  if (typeof OrderId !== 'string' || OrderId.length < 1 || OrderId.length > 36) return apiError(terminalKey, '212');
  const amount = kopecksOf(body.Amount);
  if (amount === undefined || amount < CARD_MIN_KOPECKS) return apiError(terminalKey, '251');
  const payType = body.PayType ?? 'O';
  if (payType !== 'O' && payType !== 'T') return apiError(terminalKey, '1', 'PayType');
  const customerKey = body.CustomerKey;
  if (customerKey !== undefined && (typeof customerKey !== 'string' || customerKey.length < 1 || customerKey.length > 36)) return apiError(terminalKey, '216');
  const recurrent = body.Recurrent === 'Y';
  // «CustomerKey обязателен, если передан атрибут Recurrent».
  if (recurrent && customerKey === undefined) return apiError(terminalKey, '2', 'CustomerKey');
  const bad = receiptError(body, amount);
  if (bad) return bad;
  // A new session per Init, even for a known OrderId; refused once the order has been paid.
  const earlier = [...state.payments.values()].filter((q) => q.terminalKey === terminalKey && q.orderId === OrderId);
  if (earlier.some((q) => PAID.has(q.status) || HELD.has(q.status))) return apiError(terminalKey, '623', 'Запрещено проводить платеж с OrderId, для которого уже есть успешный платеж');
  const now = state.clock.now();
  const due = parseDueDate(body.RedirectDueDate) ?? now + DAY_MS;
  const p: EmulatorPayment = {
    paymentId: state.newPaymentId(), terminalKey, orderId: OrderId, amount, remaining: amount,
    description: typeof body.Description === 'string' ? body.Description : '', status: 'NEW', method: null,
    payType, customerKey: customerKey as string | undefined, recurrent, card: null,
    successUrl: typeof body.SuccessURL === 'string' ? body.SuccessURL : undefined,
    failUrl: typeof body.FailURL === 'string' ? body.FailURL : undefined,
    notificationUrl: typeof body.NotificationURL === 'string' ? body.NotificationURL : undefined,
    dueAt: due, holdUntil: null, formId: randomBytes(6).toString('base64url'), qrId: null, pan: null, errorCode: '0', refundRequests: new Map(),
  };
  state.payments.set(p.paymentId, p);
  state.byForm.set(p.formId, p);
  state.fiscal.atInit(p, body.Receipt);
  state.clock.setTimeout(() => state.expireIfDue(p), Math.max(0, due - now));
  return { ...paymentAnswer(p), PaymentURL: `${state.base()}/new/${p.formId}` };
}

function checkOrder(state: EmulatorState, terminalKey: string, body: Answer): Answer {
  const list = [...state.payments.values()].filter((q) => q.terminalKey === terminalKey && q.orderId === body.OrderId);
  if (list.length === 0) return apiError(terminalKey, '335');
  for (const q of list) state.expireIfDue(q);
  return {
    Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: terminalKey, OrderId: body.OrderId,
    Payments: list.map((q) => ({ PaymentId: q.paymentId, Amount: reportedAmount(q), Status: q.status, Success: 'true', ErrorCode: 0, Message: 'None' })),
  };
}

function cancel(state: EmulatorState, p: EmulatorPayment, body: Answer): Answer {
  const ext = typeof body.ExternalRequestId === 'string' && body.ExternalRequestId !== '' ? body.ExternalRequestId : undefined;
  const repeated = ext ? p.refundRequests.get(ext) : undefined;
  if (repeated) return repeated;
  const original = p.remaining;
  if (OPEN.has(p.status)) {
    // «При отмене статуса NEW поле Amount игнорируется … Отмена производится на полную сумму».
    p.remaining = 0;
    state.setStatus(p, 'CANCELED');
  } else if (HELD.has(p.status) || p.status === 'CONFIRMED' || p.status === 'PARTIAL_REFUNDED') {
    const amount = body.Amount === undefined ? p.remaining : kopecksOf(body.Amount);
    if (amount === undefined || amount <= 0) return apiError(body.TerminalKey, '1', 'Amount');
    if (amount > p.remaining) return apiError(body.TerminalKey, '330');
    // A partial cancel names the goods taken back; a full one needs no receipt.
    const bad = receiptError(body, amount);
    if (bad) return bad;
    p.remaining -= amount;
    if (HELD.has(p.status)) state.setStatus(p, p.remaining === 0 ? 'REVERSED' : 'PARTIAL_REVERSED');
    else state.setStatus(p, p.remaining === 0 ? 'REFUNDED' : 'PARTIAL_REFUNDED');
    if (body.Receipt !== undefined) state.fiscal.take(p, 'refund', body.Receipt, amount);
  } else {
    return apiError(body.TerminalKey, '8');
  }
  const result = {
    Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId,
    OriginalAmount: original, NewAmount: p.remaining, ...(ext ? { ExternalRequestId: ext } : {}),
  };
  if (ext) p.refundRequests.set(ext, result);
  return result;
}

function confirmHold(state: EmulatorState, p: EmulatorPayment, body: Answer): Answer {
  if (!HELD.has(p.status)) return apiError(body.TerminalKey, '8');
  const amount = body.Amount === undefined ? p.remaining : kopecksOf(body.Amount);
  if (amount === undefined || amount <= 0) return apiError(body.TerminalKey, '1', 'Amount');
  // «Сумма списания может быть меньше или равна сумме авторизации».
  if (amount > p.remaining) return apiError(body.TerminalKey, '330');
  const bad = receiptError(body, amount);
  if (bad) return bad;
  p.remaining = amount;
  p.holdUntil = null;
  state.setStatus(p, 'CONFIRMED');
  return { Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId };
}

function charge(state: EmulatorState, p: EmulatorPayment, body: Answer): Answer {
  if (!OPEN.has(p.status)) return apiError(body.TerminalKey, '8');
  if (body.RebillId === undefined) return apiError(body.TerminalKey, '2', 'RebillId');
  const card = state.customers.rebill(p.terminalKey, body.RebillId);
  if (!card || !card.rebillId) return apiError(body.TerminalKey, '107', 'RebillId');
  p.method = 'card';
  p.pan = card.pan;
  p.card = card;
  const outcome = state.customers.chargeOutcome(card.rebillId);
  if (outcome === 'success') {
    state.authorize(p);
    return { ...paymentAnswer(p), Message: 'OK', Details: '' };
  }
  const code = outcome === 'insufficient_funds' ? '1051' : outcome === '3ds_required' ? '108' : '1006';
  state.setStatus(p, 'REJECTED', code);
  return { ...apiError(body.TerminalKey, code), Status: 'REJECTED', PaymentId: p.paymentId, OrderId: p.orderId, Amount: p.amount };
}

/** A closing receipt is for money already taken: a paid payment, the receipt summing to what it kept. */
function sendClosingReceipt(state: EmulatorState, p: EmulatorPayment, body: Answer): Answer {
  const key = p.terminalKey;
  if (p.status !== 'CONFIRMED' && p.status !== 'PARTIAL_REFUNDED') return apiError(key, '8');
  if (body.Receipt === undefined) return apiError(key, '309', 'Receipt');
  const bad = receiptError(body, p.remaining);
  if (bad) return bad;
  state.closingReceipts.push({ paymentId: p.paymentId, receipt: body.Receipt });
  state.fiscal.take(p, 'closing', body.Receipt, p.remaining);
  return { Success: true, ErrorCode: '0', Message: 'OK', Details: '' };
}

function getQr(state: EmulatorState, p: EmulatorPayment, body: Answer): Answer {
  const key = p.terminalKey;
  if (!OPEN.has(p.status)) return apiError(key, '8');
  if (p.amount < SBP_MIN_KOPECKS) return apiError(key, '3016', 'Сумма операции по СБП вне допустимого диапазона');
  p.method = 'sbp';
  p.qrId ??= newQrId();
  state.byQr.set(p.qrId, p);
  // The NSPK link a phone opens; offline, sbpPageUrl() gives the emulator's page for it.
  const payload = nspkLink(p.qrId, p.amount);
  if (body.DataType === 'IMAGE') return { Success: true, ErrorCode: '0', TerminalKey: key, OrderId: p.orderId, PaymentId: Number(p.paymentId), Data: `<svg xmlns="http://www.w3.org/2000/svg"><text>${escapeHtml(payload)}</text></svg>` };
  return { Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: key, OrderId: p.orderId, PaymentId: Number(p.paymentId), Data: payload };
}

/** The methods that act on one payment of the terminal (`PaymentId`). */
const ON_PAYMENT: Readonly<Record<string, (state: EmulatorState, p: EmulatorPayment, body: Answer) => Answer>> = {
  GetState: (_state, p) => paymentAnswer(p),
  GetQr: getQr,
  Cancel: cancel,
  Confirm: confirmHold,
  Charge: charge,
  SendClosingReceipt: sendClosingReceipt,
};

/**
 * One API method: its body is verified (terminal, token) before anything else.
 * @example runApi(state, 'GetState', { TerminalKey, PaymentId, Token }) // { Success: true, Status: 'NEW', … }
 */
export function runApi(state: EmulatorState, method: string, body: Answer): unknown {
  const terminal = typeof body.TerminalKey === 'string' ? state.terminals.get(body.TerminalKey) : undefined;
  if (!terminal) return apiError(body.TerminalKey, '501');
  if (typeof body.Token !== 'string' || !sameHex(body.Token, tokenOf(body, terminal.password))) return apiError(body.TerminalKey, '204');
  const key = terminal.terminalKey;
  const customerAnswer = state.customers.handle(method, key, body);
  if (customerAnswer) return customerAnswer;
  if (method === 'Init') return init(state, key, body);
  if (method === 'CheckOrder') return checkOrder(state, key, body);
  const run = Object.hasOwn(ON_PAYMENT, method) ? ON_PAYMENT[method] : undefined;
  if (!run) return apiError(key, '9999', `unknown method ${method}`);
  const p = ownPayment(state, body);
  if (!p) return apiError(key, '255');
  state.expireIfDue(p);
  return run(state, p, body);
}
