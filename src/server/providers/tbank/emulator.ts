/**
 * An offline T-Bank Internet Acquiring API v2, for tests, the demo and shops developing offline.
 * It follows T-Bank's public documentation, not what our connector expects: `POST /v2/Init`,
 * `GetState`, `Cancel`, `Confirm`, `Charge`, `GetQr`, `CheckOrder` and the customer and card methods,
 * with token checks and T-Bank's error codes; receipts (54-FZ) checked as T-Bank checks them; a
 * payment form at `PaymentURL` taking T-Bank's published test cards (3-D Secure challenge
 * included); an SBP "scan and pay" page for the NSPK link of the QR code; holds (`PayType: "T"`)
 * that lapse after 7 days; notifications to `NotificationURL`, resent once an hour for 24 hours
 * until the answer is `OK`. Switches make it drop notifications or fail its API.
 *
 * It keeps everything in memory and imports nothing of the connector: its token rule and wire
 * reading (emulator-wire.ts) are written independently of transform.ts, so that a mistake in one is
 * caught by the other. See README.md for what it does and does not do, and the sources.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  holdDeadline, idOf, kopecksOf, MESSAGES, newQrId, nspkLink, parseDueDate, parseRequestBody, qrIdOfLink, readBody, sameHex, tokenOf,
} from './emulator-wire.ts';
import { checkReceipt } from './emulator-receipt.ts';
import { createFiscalRegister } from './emulator-fiscal.ts';
import { createCustomerStore, maskPan, type ChargeOutcome } from './emulator-customers.ts';
import { createTbankWalletRoutes } from './emulator-wallets.ts';
import { ACS_PASSCODE, acsPage, cardFormPage, escapeHtml, finishedPage, notFoundPage, page, rubles, sbpPage, TEST_CARDS } from './emulator-pages.ts';

export { ACS_PASSCODE, TEST_CARDS } from './emulator-pages.ts';
export type { ChargeOutcome, EmulatorCard } from './emulator-customers.ts';
export * from './emulator-types.ts';
import {
  DEFAULT_TERMINAL, realScheduler, type ApiFault, type EmulatorPayment, type NotificationRecord, type TbankEmulator, type TbankEmulatorOptions,
} from './emulator-types.ts';
import { readFileSync } from 'node:fs';

/** The gateway's favicon, read from its assets (issue 28: no 404 for the icon on any page). */
const FAVICON_ICO = readFileSync(new URL('../../assets/favicon.ico', import.meta.url));

const PAID = new Set(['CONFIRMED', 'PARTIAL_REFUNDED', 'REFUNDED']);
const OPEN = new Set(['NEW', 'FORM_SHOWED']);
/** A hold that `Confirm` or `Cancel` may still act on. */
const HELD = new Set(['AUTHORIZED', 'PARTIAL_REVERSED']);
/** Statuses whose `Amount` is what the payment holds now (see README.md, «Amount after refunds»). */
const CURRENT_AMOUNT = new Set(['AUTHORIZED', 'PARTIAL_REVERSED', 'REVERSED', 'CONFIRMED', 'PARTIAL_REFUNDED', 'REFUNDED']);
/** The smallest SBP amount (10 roubles, per the Init reference). */
const SBP_MIN_KOPECKS = 1000;
const CARD_MIN_KOPECKS = 100;
const DAY_MS = 24 * 3_600_000;

/** Starts the emulator. */
export async function startTbankEmulator(opts: TbankEmulatorOptions = {}): Promise<TbankEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.scheduler ?? realScheduler;
  const retryMs = opts.notificationRetryMs ?? 3_600_000;
  const windowMs = opts.notificationWindowMs ?? 24 * 3_600_000;
  const attemptTimeoutMs = opts.notificationTimeoutMs ?? 10_000;
  const terminals = new Map((opts.terminals ?? [DEFAULT_TERMINAL]).map((t) => [t.terminalKey, t]));
  const payments = new Map<string, EmulatorPayment>();
  const closingReceipts: { paymentId: string; receipt: unknown }[] = [];
  const byForm = new Map<string, EmulatorPayment>();
  const byQr = new Map<string, EmulatorPayment>();
  const notifications: NotificationRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  /** Notifications of one payment go out one after another, in order. */
  const chains = new Map<string, Promise<void>>();
  let nextPaymentId = 4_000_000_000 + Math.floor(Math.random() * 1_000_000);
  let nextCardId = 100_000 + Math.floor(Math.random() * 100_000);
  const customers = createCustomerStore(() => String(nextCardId++));
  let fault: { fault: ApiFault; methods?: string[]; times?: number } | null = null;
  let base = '';
  const wallets = createTbankWalletRoutes({ base: () => base, knownTerminal: (k) => terminals.has(k), payment: (id) => payments.get(id), expireIfDue, isOpen: (p) => OPEN.has(p.status), setStatus });

  const emulator = {
    dropNotifications: false,
  } as TbankEmulator;
  // The cash register: fiscalisation notifications of the receipts taken (issue 24).
  const fiscal = createFiscalRegister<EmulatorPayment>({ scheduler: clock, delayMs: opts.receiptDelayMs, send: (p, fields) => deliver(p, fields) });

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  async function attempt(n: NotificationRecord, firstAt: number): Promise<void> {
    let answer: string;
    try {
      const r = await fetch(n.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: n.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
      const text = await r.text();
      answer = `${r.status} ${text.slice(0, 200)}`;
      if (r.status === 200 && text.trim() === 'OK') {
        n.attempts.push({ at: clock.now(), answer });
        n.state = 'delivered';
        return;
      }
    } catch (e) {
      answer = `no answer: ${(e as Error).name}`;
    }
    n.attempts.push({ at: clock.now(), answer });
    if (clock.now() + retryMs - firstAt > windowMs) {
      n.state = 'dumped';
      return;
    }
    clock.setTimeout(() => track(attempt(n, firstAt)), retryMs);
  }

  /** `Amount` of GetState and notifications: see README.md («Amount after refunds»). */
  function reportedAmount(p: EmulatorPayment): number {
    return CURRENT_AMOUNT.has(p.status) ? p.remaining : p.amount;
  }

  /** Sends the payment's current state to its NotificationURL, as T-Bank does on each change. */
  function notify(p: EmulatorPayment): void {
    if (!p.notificationUrl) return;
    const t = terminals.get(p.terminalKey);
    if (!t) return;
    const fields: Record<string, unknown> = {
      TerminalKey: p.terminalKey,
      OrderId: p.orderId,
      Success: p.errorCode === '0',
      Status: p.status,
      PaymentId: Number(p.paymentId),
      ErrorCode: p.errorCode,
      Amount: reportedAmount(p),
    };
    if (p.errorCode !== '0') fields.Message = MESSAGES[p.errorCode] ?? 'Платеж не прошел';
    if (p.method === 'card' && p.pan) {
      fields.CardId = Number(p.card?.cardId ?? 100_000 + (Number(p.paymentId) % 100_000));
      fields.Pan = maskPan(p.pan);
      fields.ExpDate = '1230';
      // «в уведомлении на AUTHORIZED или CONFIRMED будет передан параметр RebillId»
      if (p.card?.rebillId && (p.status === 'AUTHORIZED' || p.status === 'CONFIRMED')) fields.RebillId = Number(p.card.rebillId);
    }
    if (p.method === 'sbp') fields.Pan = '+7 (9**) ***-**-11';
    deliver(p, fields);
  }

  /** Signs one notification of the payment and queues it after the payment's earlier ones. */
  function deliver(p: EmulatorPayment, fields: Record<string, unknown>): void {
    const t = terminals.get(p.terminalKey);
    if (!t || !p.notificationUrl) return;
    fields.Token = tokenOf(fields, t.password);
    const n: NotificationRecord = {
      paymentId: p.paymentId, status: String(fields.Status), url: p.notificationUrl, body: JSON.stringify(fields), attempts: [],
      state: emulator.dropNotifications ? 'dropped' : 'pending',
    };
    notifications.push(n);
    if (n.state === 'dropped') return;
    const prev = chains.get(p.paymentId) ?? Promise.resolve();
    const next = prev.then(() => attempt(n, clock.now()));
    chains.set(p.paymentId, next);
    track(next);
  }

  function setStatus(p: EmulatorPayment, status: string, errorCode = '0'): void {
    p.status = status;
    p.errorCode = errorCode;
    notify(p);
    fiscal.statusChanged(p);
  }

  /** The link's lifetime ran out before the buyer paid; or a hold lapsed unconfirmed. */
  function expireIfDue(p: EmulatorPayment): void {
    if (OPEN.has(p.status) && clock.now() >= p.dueAt) setStatus(p, 'DEADLINE_EXPIRED', '0');
    if (HELD.has(p.status) && p.holdUntil !== null && clock.now() >= p.holdUntil) {
      p.remaining = 0;
      setStatus(p, 'REVERSED', '0');
    }
  }

  /** A card payment that went through: the card saved for a customer, then held or charged. */
  function authorize(p: EmulatorPayment): void {
    if (p.customerKey && p.pan) p.card = customers.saveCard(p.terminalKey, p.customerKey, p.pan, p.recurrent);
    setStatus(p, 'AUTHORIZED');
    if (p.payType === 'T') {
      p.holdUntil = holdDeadline(clock.now());
      clock.setTimeout(() => expireIfDue(p), Math.max(0, p.holdUntil - clock.now()));
      return;
    }
    setStatus(p, 'CONFIRMED');
  }

  function answer(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  const json = (res: http.ServerResponse, o: unknown): void => answer(res, 200, 'application/json; charset=utf-8', JSON.stringify(o));

  function error(terminalKey: unknown, code: string, details?: string): Record<string, unknown> {
    return {
      Success: false, ErrorCode: code, Message: MESSAGES[code] ?? 'Ошибка', Details: details ?? '',
      ...(typeof terminalKey === 'string' ? { TerminalKey: terminalKey } : {}),
    };
  }

  function paymentAnswer(p: EmulatorPayment): Record<string, unknown> {
    return { Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId, Amount: reportedAmount(p) };
  }

  function ownPayment(body: Record<string, unknown>): EmulatorPayment | undefined {
    const id = idOf(body.PaymentId);
    const p = id === undefined ? undefined : payments.get(id);
    return p && p.terminalKey === body.TerminalKey ? p : undefined;
  }

  /** A receipt, when one is sent, checked against the operation's amount. */
  function receiptError(body: Record<string, unknown>, amount: number): Record<string, unknown> | undefined {
    if (body.Receipt === undefined) return undefined;
    const e = checkReceipt(body.Receipt, amount);
    return e ? error(body.TerminalKey, e.code, e.details) : undefined;
  }

  function init(terminalKey: string, body: Record<string, unknown>): Record<string, unknown> {
    const { OrderId } = body;
    if (body.Amount === undefined || OrderId === undefined) return error(terminalKey, '2', 'Amount, OrderId');
    if (typeof OrderId !== 'string' || OrderId.length < 1 || OrderId.length > 36) return error(terminalKey, '212');
    const amount = kopecksOf(body.Amount);
    if (amount === undefined || amount < CARD_MIN_KOPECKS) return error(terminalKey, '251');
    const payType = body.PayType ?? 'O';
    if (payType !== 'O' && payType !== 'T') return error(terminalKey, '1', 'PayType');
    const customerKey = body.CustomerKey;
    if (customerKey !== undefined && (typeof customerKey !== 'string' || customerKey.length < 1 || customerKey.length > 36)) return error(terminalKey, '216');
    const recurrent = body.Recurrent === 'Y';
    // «CustomerKey обязателен, если передан атрибут Recurrent».
    if (recurrent && customerKey === undefined) return error(terminalKey, '2', 'CustomerKey');
    const bad = receiptError(body, amount);
    if (bad) return bad;
    // A new session per Init, even for a known OrderId; refused once the order has been paid.
    const earlier = [...payments.values()].filter((q) => q.terminalKey === terminalKey && q.orderId === OrderId);
    if (earlier.some((q) => PAID.has(q.status) || HELD.has(q.status))) return error(terminalKey, '623', 'Запрещено проводить платеж с OrderId, для которого уже есть успешный платеж');
    const now = clock.now();
    const due = parseDueDate(body.RedirectDueDate) ?? now + DAY_MS;
    const p: EmulatorPayment = {
      paymentId: String(nextPaymentId++), terminalKey, orderId: OrderId, amount, remaining: amount,
      description: typeof body.Description === 'string' ? body.Description : '', status: 'NEW', method: null,
      payType, customerKey: customerKey as string | undefined, recurrent, card: null,
      successUrl: typeof body.SuccessURL === 'string' ? body.SuccessURL : undefined,
      failUrl: typeof body.FailURL === 'string' ? body.FailURL : undefined,
      notificationUrl: typeof body.NotificationURL === 'string' ? body.NotificationURL : undefined,
      dueAt: due, holdUntil: null, formId: randomBytes(6).toString('base64url'), qrId: null, pan: null, errorCode: '0', refundRequests: new Map(),
    };
    payments.set(p.paymentId, p);
    byForm.set(p.formId, p);
    fiscal.atInit(p, body.Receipt);
    clock.setTimeout(() => expireIfDue(p), Math.max(0, due - now));
    return { ...paymentAnswer(p), PaymentURL: `${base}/new/${p.formId}` };
  }

  function cancel(p: EmulatorPayment, body: Record<string, unknown>): Record<string, unknown> {
    const ext = typeof body.ExternalRequestId === 'string' && body.ExternalRequestId !== '' ? body.ExternalRequestId : undefined;
    const repeated = ext ? p.refundRequests.get(ext) : undefined;
    if (repeated) return repeated;
    const original = p.remaining;
    if (OPEN.has(p.status)) {
      // «При отмене статуса NEW поле Amount игнорируется … Отмена производится на полную сумму».
      p.remaining = 0;
      setStatus(p, 'CANCELED');
    } else if (HELD.has(p.status) || p.status === 'CONFIRMED' || p.status === 'PARTIAL_REFUNDED') {
      const amount = body.Amount === undefined ? p.remaining : kopecksOf(body.Amount);
      if (amount === undefined || amount <= 0) return error(body.TerminalKey, '1', 'Amount');
      if (amount > p.remaining) return error(body.TerminalKey, '330');
      // A partial cancel names the goods taken back; a full one needs no receipt.
      const bad = receiptError(body, amount);
      if (bad) return bad;
      p.remaining -= amount;
      if (HELD.has(p.status)) setStatus(p, p.remaining === 0 ? 'REVERSED' : 'PARTIAL_REVERSED');
      else setStatus(p, p.remaining === 0 ? 'REFUNDED' : 'PARTIAL_REFUNDED');
      if (body.Receipt !== undefined) fiscal.take(p, 'refund', body.Receipt, amount);
    } else {
      return error(body.TerminalKey, '8');
    }
    const result = {
      Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId,
      OriginalAmount: original, NewAmount: p.remaining, ...(ext ? { ExternalRequestId: ext } : {}),
    };
    if (ext) p.refundRequests.set(ext, result);
    return result;
  }

  function confirmHold(p: EmulatorPayment, body: Record<string, unknown>): Record<string, unknown> {
    if (!HELD.has(p.status)) return error(body.TerminalKey, '8');
    const amount = body.Amount === undefined ? p.remaining : kopecksOf(body.Amount);
    if (amount === undefined || amount <= 0) return error(body.TerminalKey, '1', 'Amount');
    // «Сумма списания может быть меньше или равна сумме авторизации».
    if (amount > p.remaining) return error(body.TerminalKey, '330');
    const bad = receiptError(body, amount);
    if (bad) return bad;
    p.remaining = amount;
    p.holdUntil = null;
    setStatus(p, 'CONFIRMED');
    return { Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId };
  }

  function charge(p: EmulatorPayment, body: Record<string, unknown>): Record<string, unknown> {
    if (!OPEN.has(p.status)) return error(body.TerminalKey, '8');
    if (body.RebillId === undefined) return error(body.TerminalKey, '2', 'RebillId');
    const card = customers.rebill(p.terminalKey, body.RebillId);
    if (!card || !card.rebillId) return error(body.TerminalKey, '107', 'RebillId');
    p.method = 'card';
    p.pan = card.pan;
    p.card = card;
    const outcome = customers.chargeOutcome(card.rebillId);
    if (outcome === 'success') {
      authorize(p);
      return { ...paymentAnswer(p), Message: 'OK', Details: '' };
    }
    const code = outcome === 'insufficient_funds' ? '1051' : outcome === '3ds_required' ? '108' : '1006';
    setStatus(p, 'REJECTED', code);
    return { ...error(body.TerminalKey, code), Status: 'REJECTED', PaymentId: p.paymentId, OrderId: p.orderId, Amount: p.amount };
  }

  /** One API method: its body is verified (terminal, token) before anything else. */
  function api(method: string, body: Record<string, unknown>): unknown {
    const terminal = typeof body.TerminalKey === 'string' ? terminals.get(body.TerminalKey) : undefined;
    if (!terminal) return error(body.TerminalKey, '501');
    if (typeof body.Token !== 'string' || !sameHex(body.Token, tokenOf(body, terminal.password))) return error(body.TerminalKey, '204');
    const key = terminal.terminalKey;
    const customerAnswer = customers.handle(method, key, body);
    if (customerAnswer) return customerAnswer;
    switch (method) {
      case 'Init':
        return init(key, body);
      case 'CheckOrder': {
        const list = [...payments.values()].filter((q) => q.terminalKey === key && q.orderId === body.OrderId);
        if (list.length === 0) return error(key, '335');
        for (const q of list) expireIfDue(q);
        return {
          Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: key, OrderId: body.OrderId,
          Payments: list.map((q) => ({ PaymentId: q.paymentId, Amount: reportedAmount(q), Status: q.status, Success: 'true', ErrorCode: 0, Message: 'None' })),
        };
      }
      case 'GetState':
      case 'GetQr':
      case 'Cancel':
      case 'Confirm':
      case 'Charge':
      case 'SendClosingReceipt':
        break;
      default:
        return error(key, '9999', `unknown method ${method}`);
    }
    const p = ownPayment(body);
    if (!p) return error(key, '255');
    expireIfDue(p);
    switch (method) {
      case 'GetState':
        return paymentAnswer(p);
      case 'Cancel':
        return cancel(p, body);
      case 'Confirm':
        return confirmHold(p, body);
      case 'Charge':
        return charge(p, body);
      case 'SendClosingReceipt': {
        // A closing receipt is for money already taken: a paid payment, the receipt summing to what it kept.
        if (p.status !== 'CONFIRMED' && p.status !== 'PARTIAL_REFUNDED') return error(key, '8');
        if (body.Receipt === undefined) return error(key, '309', 'Receipt');
        const bad = receiptError(body, p.remaining);
        if (bad) return bad;
        closingReceipts.push({ paymentId: p.paymentId, receipt: body.Receipt });
        fiscal.take(p, 'closing', body.Receipt, p.remaining);
        return { Success: true, ErrorCode: '0', Message: 'OK', Details: '' };
      }
      default: {
        if (!OPEN.has(p.status)) return error(key, '8');
        if (p.amount < SBP_MIN_KOPECKS) return error(key, '3016', 'Сумма операции по СБП вне допустимого диапазона');
        p.method = 'sbp';
        p.qrId ??= newQrId();
        byQr.set(p.qrId, p);
        // The NSPK link a phone opens; offline, sbpPageUrl() gives the emulator's page for it.
        const payload = nspkLink(p.qrId, p.amount);
        if (body.DataType === 'IMAGE') return { Success: true, ErrorCode: '0', TerminalKey: key, OrderId: p.orderId, PaymentId: Number(p.paymentId), Data: `<svg xmlns="http://www.w3.org/2000/svg"><text>${escapeHtml(payload)}</text></svg>` };
        return { Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: key, OrderId: p.orderId, PaymentId: Number(p.paymentId), Data: payload };
      }
    }
  }

  const finished = (p: EmulatorPayment): string => finishedPage(PAID.has(p.status), p.status);

  function back(res: http.ServerResponse, url: string | undefined, p: EmulatorPayment): void {
    if (url) answer(res, 303, 'text/plain; charset=utf-8', '', { location: url });
    else answer(res, 200, 'text/html; charset=utf-8', finished(p));
  }

  async function pages(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    const form = req.method === 'POST' ? new URLSearchParams((await readBody(req)) ?? '') : new URLSearchParams();
    const html = (status: number, body: string): void => answer(res, status, 'text/html; charset=utf-8', body);
    if (parts[0] === 'new' && parts[1]) {
      const p = byForm.get(parts[1]);
      if (!p) return html(404, notFoundPage('Платёж'));
      expireIfDue(p);
      const action = parts[2];
      if (!action && req.method === 'GET') {
        if (!OPEN.has(p.status)) return html(410, finished(p));
        if (p.status === 'NEW') p.status = 'FORM_SHOWED';
        return html(200, cardFormPage(p.formId, p.amount, p.description));
      }
      if (req.method !== 'POST') return answer(res, 405, 'text/plain', 'Method Not Allowed');
      if (action === 'cancel') {
        if (OPEN.has(p.status)) setStatus(p, 'CANCELED');
        return back(res, p.failUrl, p);
      }
      if (action === 'pay') {
        if (!OPEN.has(p.status)) return html(410, finished(p));
        const pan = (form.get('pan') ?? '').replace(/\D/g, '');
        const card = TEST_CARDS.find((c) => c.pan === pan);
        p.method = 'card';
        p.pan = pan;
        if (!card) return html(200, cardFormPage(p.formId, p.amount, p.description, `${MESSAGES['642']}: используйте тестовую карту`));
        if (card.outcome === 'success') {
          authorize(p);
          return back(res, p.successUrl, p);
        }
        if (card.outcome === 'decline') {
          setStatus(p, 'REJECTED', card.errorCode);
          return back(res, p.failUrl, p);
        }
        // Intermediate statuses are not notified.
        p.status = '3DS_CHECKING';
        return html(200, acsPage(p.formId));
      }
      if (action === 'acs') {
        if (p.status !== '3DS_CHECKING') return html(410, finished(p));
        const card = TEST_CARDS.find((c) => c.pan === p.pan);
        if (card?.outcome === '3ds_challenge' && form.get('otp') === ACS_PASSCODE) {
          p.status = '3DS_CHECKED';
          authorize(p);
          return back(res, p.successUrl, p);
        }
        setStatus(p, 'AUTH_FAIL', '101');
        return back(res, p.failUrl, p);
      }
      return answer(res, 404, 'text/plain', 'Not Found');
    }
    if (parts[0] === 'sbp' && !parts[1] && req.method === 'GET') {
      // The NSPK link leaves loopback; a buyer trying the demo on this machine finds open QR codes here.
      const open = [...byQr.entries()].filter(([, q]) => OPEN.has(q.status));
      const rows = open.map(([id, q]) => `<li><a href="/sbp/${id}">${escapeHtml(rubles(q.amount))} — ${escapeHtml(q.description || q.orderId)}</a></li>`).join('');
      return html(200, page('СБП', `<h1>Неоплаченные QR-коды СБП</h1>${rows ? `<ul>${rows}</ul>` : '<p>Нет неоплаченных QR-кодов.</p>'}`));
    }
    if (parts[0] === 'sbp' && parts[1]) {
      const p = byQr.get(parts[1]);
      if (!p) return html(404, notFoundPage('QR-код'));
      expireIfDue(p);
      if (!OPEN.has(p.status)) return html(410, finished(p));
      if (req.method === 'GET') {
        if (p.status === 'NEW') p.status = 'FORM_SHOWED';
        return html(200, sbpPage(parts[1], p.terminalKey, p.amount, p.description));
      }
      if (form.get('action') === 'pay') {
        // SBP has no two-stage payments: straight to CONFIRMED.
        p.remaining = p.amount;
        setStatus(p, 'CONFIRMED');
        return html(200, page('СБП', `<h1>Оплачено</h1><p>${escapeHtml(rubles(p.amount))}. Вернитесь на страницу магазина.</p>`));
      }
      setStatus(p, 'REJECTED', '1006');
      return html(200, page('СБП', '<h1>Платёж отклонён</h1>'));
    }
    answer(res, 404, 'text/plain', 'Not Found');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (await wallets.handle(req, res, path)) return;
    // T-Bank's own PHP class posts to `/v2/Init/` (a trailing slash): both spellings are one method.
    // `SendClosingReceipt` is the cashbox API's, at `/cashbox/` beside `/v2/`.
    const m = /^\/(v2|cashbox)\/([A-Za-z0-9]+)\/?$/.exec(path);
    if (!m || (m[1] === 'cashbox') !== (m[2] === 'SendClosingReceipt')) return pages(req, res, path);
    const method = m[2] as string;
    const f = fault && (!fault.methods || fault.methods.includes(method)) ? fault : null;
    if (f && f.times !== undefined && --f.times <= 0) fault = null;
    if (f?.fault.kind === 'down') {
      req.socket.destroy();
      return;
    }
    const raw = await readBody(req);
    if (f?.fault.kind === 'slow') await new Promise((r) => setTimeout(r, (f.fault as { delayMs: number }).delayMs));
    if (f?.fault.kind === 'garbage') return answer(res, 200, 'application/json', '\u0000{"Succ');
    if (f?.fault.kind === 'html') return answer(res, 502, 'text/html', '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>');
    if (req.method !== 'POST') return answer(res, 405, 'text/plain', 'Method Not Allowed');
    const body = parseRequestBody(req.headers['content-type'], raw ?? '');
    if (!body) return json(res, error(undefined, '9999', 'request is not a JSON object'));
    if (f?.fault.kind === 'error') {
      const code = f.fault.errorCode ?? '9999';
      return json(res, { ...error(body.TerminalKey, code), ...(f.fault.message ? { Message: f.fault.message } : {}) });
    }
    const result = api(method, body);
    if (f?.fault.kind === 'lost') {
      req.socket.destroy();
      return;
    }
    json(res, result);
  }

  const server = http.createServer((req, res) => {
    // The gateway's icon (a file, not the gateway's code): the emulator's pages ask for nothing missing.
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/favicon.ico') {
      res.writeHead(200, { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' }).end(FAVICON_ICO);
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, 'text/plain', 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = (opts.baseUrl ?? `http://${host}:${port}`).replace(/\/$/, '');

  return Object.assign(emulator, {
    url: base,
    apiUrl: `${base}/v2`,
    setFault(f: ApiFault | null, o: { methods?: string[]; times?: number } = {}) {
      fault = f ? { fault: f, ...(o.methods ? { methods: o.methods } : {}), ...(o.times !== undefined ? { times: o.times } : {}) } : null;
    },
    payment: (id: string) => payments.get(id),
    /** The closing receipts taken (`SendClosingReceipt`), in order. */
    closingReceipts,
    receipts: fiscal.taken,
    pay(id: string, outcome: 'success' | 'decline' = 'success') {
      const p = payments.get(id);
      if (!p) return false;
      expireIfDue(p);
      if (!OPEN.has(p.status)) return false;
      if (p.method === null || p.method === 'card') {
        p.method = 'card';
        p.pan = outcome === 'success' ? '2200770239097761' : '2201382000000021';
      }
      if (outcome === 'decline') setStatus(p, 'REJECTED', '1006');
      else if (p.method !== 'card') setStatus(p, 'CONFIRMED');
      else authorize(p);
      return true;
    },
    paymentsOfOrder: (orderId: string) => [...payments.values()].filter((p) => p.orderId === orderId),
    sbpPageUrl(link: string) {
      const id = qrIdOfLink(link);
      return id !== undefined && byQr.has(id) ? `${base}/sbp/${id}` : undefined;
    },
    setChargeOutcome: (rebillId: string, outcome: ChargeOutcome) => customers.setChargeOutcome(rebillId, outcome),
    wallets,
    customer: (terminalKey: string, customerKey: string) => customers.customer(terminalKey, customerKey),
    notifications,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
