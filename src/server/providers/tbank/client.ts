/**
 * T-Bank Internet Acquiring API v2, the I/O part: one `Connector` per configured terminal. Every call
 * goes through the guarded `ProviderHttp` with the deadline from `ConnectorDeps`; bodies and answers
 * are built and read by transform.ts. Choices and their documentation basis: README.md.
 */
import type {
  CancelResult, Connector, ConnectorDeps, CreateRequest, CreateResult, HoldResult, HttpAnswer, IncomingNotification, NotifyContext, ProviderStatus,
  ReceiptOutcome, RefundRequest, RefundResult,
} from '../contract.ts';
import type { Receipt } from '../../../protocol/receipt.ts';
import type { Payment, PaymentAction } from '../../types.ts';
import { baseLanguage } from '../../../protocol/languages.ts';
import {
  buildCancel, buildCheckOrder, buildConfirm, buildGetQr, buildGetState, buildInit, buildSendClosingReceipt, cashboxUrl, describeError, failureOfErrorCode,
  mapStatus, NOTIFICATION_OK, tbankHoldDeadline, parseAnswer, parseNotification, pickOrderPayment, savedCardOf, TBANK_TICKER, type Credentials, type TbankAnswer,
} from './transform.ts';
import { tbankReceipt } from './receipt.ts';
import { fiscalReport, RECEIPT_STATUS } from './fiscal.ts';
import { createTbankWallets } from './wallet-client.ts';
import { isTbankWallet } from './wallets.ts';
import { createTbankSaved } from './saved.ts';
import { qrInstructions } from '../qr-instructions.ts';

export interface TbankConfig {
  id: string;
  type: 'tbank';
  terminalKey: string;
  password: string;
  apiUrl: string;
}

export const TBANK_PRODUCTION_URL = 'https://securepay.tinkoff.ru/v2';
/** A payment link (and an SBP QR) lives 24 hours unless Init says otherwise (`RedirectDueDate`). */
export const DEFAULT_LINK_TTL_MS = 24 * 3_600_000;
const MIN_TTL_MS = 60_000;
/** After RedirectDueDate, how long a session already under way may still be confirmed. */
const LATE_MARGIN_MS = 3_600_000;
const MAX_TTL_MS = 90 * 24 * 3_600_000;
const METHODS = new Set(['card', 'sbp', 'tpay', 'sberpay']);

/** T-Bank's smallest SBP payment: 10 roubles, in kopecks. */
export const TBANK_SBP_MIN_MINOR = 1000n;

type Call = { kind: 'answer'; answer: TbankAnswer } | { kind: 'none'; reason: string };

const OK_ANSWER: HttpAnswer = { status: 200, contentType: 'text/plain; charset=utf-8', body: NOTIFICATION_OK };

function refusal(status: number, body: string): HttpAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body };
}

export function createTbankConnector(config: TbankConfig, deps: ConnectorDeps): Connector {
  const creds: Credentials = { terminalKey: config.terminalKey, password: config.password };
  const apiUrl = config.apiUrl.replace(/\/+$/, '');
  const cashbox = cashboxUrl(apiUrl);
  const wallets = createTbankWallets(config.terminalKey, apiUrl, deps);

  async function call(method: string, body: Record<string, unknown>, base = apiUrl): Promise<Call> {
    const r = await deps.http({
      method: 'POST',
      url: `${base}/${method}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: deps.timeoutMs,
    });
    if (!r.ok) return { kind: 'none', reason: `T-Bank ${method}: ${r.error}` };
    const parsed = parseAnswer(r.body);
    if (!parsed.ok) return { kind: 'none', reason: `T-Bank ${method}: HTTP ${r.status}, ${parsed.reason}` };
    return { kind: 'answer', answer: parsed.answer };
  }

  /**
   * `RedirectDueDate`: the payment's deadline (the way's `ttlSeconds`), at least a minute ahead (T-Bank
   * takes no less) and at most 90 days; 24 hours only for a payment with no deadline.
   */
  function linkDeadline(payment: Payment, now: number): number {
    const wanted = payment.expiresAt;
    if (wanted === null) return now + DEFAULT_LINK_TTL_MS;
    return Math.min(Math.max(wanted, now + MIN_TTL_MS), now + MAX_TTL_MS);
  }

  /**
   * Init was refused because the order has already been paid (623): a retry after a lost answer
   * whose first session the buyer paid. The paid session is found (CheckOrder) and read (GetState)
   * instead of charging again; the buyer is sent back as after a payment.
   */
  async function recoverPaid(req: CreateRequest, refused: TbankAnswer): Promise<CreateResult> {
    const order = await call('CheckOrder', buildCheckOrder(creds, req.payment.id));
    if (order.kind === 'none') return { kind: 'unknown', reason: `order already paid at T-Bank; ${order.reason}` };
    const best = order.answer.Success ? pickOrderPayment(order.answer.Payments ?? []) : undefined;
    if (!best) return { kind: 'refused', reason: describeError(refused) };
    const state = await call('GetState', buildGetState(creds, best.PaymentId));
    if (state.kind === 'none') return { kind: 'unknown', reason: `order already paid at T-Bank; ${state.reason}` };
    if (!state.answer.Success || mapStatus(state.answer.Status ?? '') === undefined) return { kind: 'refused', reason: describeError(refused) };
    const action: PaymentAction = { type: 'redirect', url: req.successUrl, frame: false };
    return { kind: 'started', action, providerPaymentId: best.PaymentId, expiresAt: linkDeadline(req.payment, deps.now()) };
  }

  async function create(req: CreateRequest): Promise<CreateResult> {
    const { payment, method } = req;
    if (!METHODS.has(method)) return { kind: 'refused', reason: `T-Bank has no method ${method}` };
    if (payment.wayTicker !== TBANK_TICKER) return { kind: 'refused', reason: `T-Bank takes ${TBANK_TICKER} only, not ${payment.wayTicker}` };
    const now = deps.now();
    const dueAt = linkDeadline(payment, now);
    let body: Record<string, unknown>;
    try {
      body = buildInit(creds, {
        amountMinor: payment.amountMinor,
        orderId: payment.id,
        description: req.description,
        successUrl: req.successUrl,
        failUrl: req.failUrl,
        notificationUrl: req.notificationUrl,
        language: baseLanguage(payment.ln),
        dueAt,
        ...(req.receipt ? { receipt: tbankReceipt(req.receipt) } : {}),
        ...(req.save && method === 'card' ? { customerKey: req.save.customerKey } : {}),
        ...(req.capture === 'manual' ? { twoStage: true } : {}),
      });
    } catch (e) {
      return { kind: 'refused', reason: `T-Bank Init: ${(e as Error).message}` };
    }
    const init = await call('Init', body);
    if (init.kind === 'none') return { kind: 'unknown', reason: init.reason };
    const a = init.answer;
    if (!a.Success || a.ErrorCode !== '0') {
      if (a.ErrorCode === '623') return recoverPaid(req, a);
      return { kind: 'refused', reason: describeError(a) };
    }
    if (!a.PaymentId) return { kind: 'unknown', reason: 'T-Bank Init: answer without PaymentId' };
    if (method === 'card') {
      if (!a.PaymentURL) return { kind: 'unknown', reason: 'T-Bank Init: answer without PaymentURL' };
      return { kind: 'started', action: { type: 'redirect', url: a.PaymentURL, frame: false }, providerPaymentId: a.PaymentId, expiresAt: dueAt };
    }
    if (isTbankWallet(method)) return wallets.start(method, payment, a.PaymentId, dueAt);
    const qr = await call('GetQr', buildGetQr(creds, a.PaymentId));
    if (qr.kind === 'none') return { kind: 'unknown', reason: qr.reason };
    if (!qr.answer.Success || qr.answer.ErrorCode !== '0') return { kind: 'refused', reason: describeError(qr.answer) };
    if (!qr.answer.Data) return { kind: 'unknown', reason: 'T-Bank GetQr: answer without Data' };
    // The NSPK link is both what the QR encodes and what a phone opens (it shows the bank chooser).
    const action = qrInstructions(payment, dueAt, { payload: qr.answer.Data, deepLink: qr.answer.Data });
    return { kind: 'started', action, providerPaymentId: a.PaymentId, expiresAt: dueAt };
  }

  function statusOf(state: ProviderStatus['state'], paymentId: string, providerState: string, amount: bigint | undefined): ProviderStatus {
    const s: ProviderStatus = { state, providerPaymentId: paymentId, providerState, ...(state === 'authorized' ? { holdExpiresAt: tbankHoldDeadline(deps.now()) } : {}) };
    // After a refund T-Bank's Amount is not the payment's amount in a way the docs pin down: it is
    // passed on only for statuses that are about paying (see README.md).
    if (amount !== undefined && state !== 'refunded' && state !== 'partially_refunded') {
      s.amountMinor = amount;
      s.currency = TBANK_TICKER;
    }
    return s;
  }

  async function offered(method: string): Promise<boolean> {
    return method === 'tpay' ? wallets.tpayAllowed() : true;
  }

  async function handleNotification(n: IncomingNotification, ctx: NotifyContext): Promise<HttpAnswer> {
    const parsed = parseNotification(n.body, creds);
    if (!parsed.ok) return parsed.reason === 'unreadable' ? refusal(400, 'unreadable notification') : refusal(403, 'bad token');
    const tn = parsed.notification;
    if (tn === null) return OK_ANSWER;
    if (tn.Status === RECEIPT_STATUS) return receiptNotification(n.body, tn.OrderId, ctx);
    const twoStage = (await ctx.payment(tn.OrderId))?.captureMode === 'manual';
    const state = mapStatus(tn.Status, twoStage);
    // A status we do not follow (REVERSED, …): acknowledged so T-Bank stops resending, not applied.
    if (state === undefined) return OK_ANSWER;
    if (state === 'failed' || state === 'expired') {
      // A retried Init opens another session for the same order; one that is unpaid and dies must
      // not fail the order while another session of it is live or paid.
      const order = await call('CheckOrder', buildCheckOrder(creds, tn.OrderId));
      if (order.kind === 'none') return refusal(503, 'try again later');
      const best = order.answer.Success ? pickOrderPayment(order.answer.Payments ?? []) : undefined;
      if (best && best.PaymentId !== tn.PaymentId) return OK_ANSWER;
    }
    try {
      const failure = state === 'failed' ? failureOfErrorCode(tn.ErrorCode) : undefined;
      const saved = state === 'paid' ? savedCardOf(tn) : undefined;
      await ctx.apply(tn.OrderId, { ...statusOf(state, tn.PaymentId, tn.Status, tn.Amount), ...(failure ? { failure } : {}), ...(saved ? { savedMethod: saved } : {}) });
    } catch {
      // Not applied (storage down): not OK, so T-Bank sends it again within the hour.
      return refusal(503, 'try again later');
    }
    return OK_ANSWER;
  }

  /** A fiscalisation notification (fiscal.ts): the receipt's registration applied; `OK` once handled. */
  async function receiptNotification(body: string, orderId: string, ctx: NotifyContext): Promise<HttpAnswer> {
    const report = fiscalReport(body);
    if (!report || !ctx.receipt) return OK_ANSWER;
    try {
      await ctx.receipt(orderId, report);
    } catch {
      return refusal(503, 'try again later');
    }
    return OK_ANSWER;
  }

  async function fetchStatus(payment: Payment, providerPaymentId: string | null): Promise<ProviderStatus | { state: 'unreachable'; reason: string }> {
    if (providerPaymentId === null) {
      const order = await call('CheckOrder', buildCheckOrder(creds, payment.id));
      if (order.kind === 'none') return { state: 'unreachable', reason: order.reason };
      if (!order.answer.Success) {
        if (order.answer.ErrorCode === '335') return { state: 'not_found', providerState: 'ORDER_NOT_FOUND' };
        return { state: 'unreachable', reason: describeError(order.answer) };
      }
      const best = pickOrderPayment(order.answer.Payments ?? []);
      if (!best) return { state: 'not_found', providerState: 'ORDER_NOT_FOUND' };
      providerPaymentId = best.PaymentId;
    }
    const r = await call('GetState', buildGetState(creds, providerPaymentId));
    if (r.kind === 'none') return { state: 'unreachable', reason: r.reason };
    const a = r.answer;
    if (!a.Success) {
      if (a.ErrorCode === '255') return { state: 'not_found', providerPaymentId, providerState: 'PAYMENT_NOT_FOUND' };
      return { state: 'unreachable', reason: describeError(a) };
    }
    const providerState = a.Status ?? '';
    const state = mapStatus(providerState, payment.captureMode === 'manual');
    if (state === undefined) return { state: 'unreachable', reason: `T-Bank GetState: status ${providerState || '(none)'} is not followed` };
    return statusOf(state, providerPaymentId, providerState, a.Amount);
  }

  /**
   * `Cancel` of a session nobody has opened (`NEW`, read by `GetState` just before): it becomes
   * `CANCELED` and can no longer be paid. Any other state is left alone: `Cancel` of a `CONFIRMED`
   * payment is a refund, and a buyer on the form (`FORM_SHOWED` and later) may be paying.
   */
  async function cancel(_payment: Payment, providerPaymentId: string): Promise<CancelResult> {
    const st = await call('GetState', buildGetState(creds, providerPaymentId));
    if (st.kind === 'none') return { kind: 'unknown', reason: st.reason };
    if (!st.answer.Success) return { kind: 'unknown', reason: describeError(st.answer) };
    if (st.answer.Status !== 'NEW') return { kind: 'not_cancellable', reason: `T-Bank status ${st.answer.Status ?? '(none)'}` };
    const r = await call('Cancel', buildCancel(creds, providerPaymentId));
    if (r.kind === 'none') return { kind: 'unknown', reason: r.reason };
    if (!r.answer.Success || r.answer.ErrorCode !== '0') return { kind: 'not_cancellable', reason: describeError(r.answer) };
    return r.answer.Status === 'CANCELED' ? { kind: 'cancelled' } : { kind: 'not_cancellable', reason: `T-Bank status ${r.answer.Status ?? '(none)'}` };
  }

  /**
   * `Confirm` of a hold: `CONFIRMED` is done; T-Bank's refusals (the amount above the hold, a payment
   * no longer `AUTHORIZED`: confirmed, reversed, lapsed) are refused; no answer is unknown.
   */
  async function capture(payment: Payment, providerPaymentId: string, amountMinor: bigint, receipt?: Receipt): Promise<HoldResult> {
    if (amountMinor <= 0n || amountMinor > payment.amountMinor) return { kind: 'refused', reason: 'capture above what is held' };
    let body: Record<string, unknown>;
    try {
      body = buildConfirm(creds, providerPaymentId, amountMinor, receipt ? tbankReceipt(receipt) : undefined);
    } catch (e) {
      return { kind: 'refused', reason: `T-Bank Confirm: ${(e as Error).message}` };
    }
    const r = await call('Confirm', body);
    if (r.kind === 'none') return { kind: 'unknown', reason: r.reason };
    if (!r.answer.Success || r.answer.ErrorCode !== '0') {
      // Confirm is not idempotent: a request sent again after a connection cut (ours, or a proxy's)
      // meets our own earlier Confirm as «Неверный статус транзакции» (8). T-Bank's state says which.
      if (r.answer.ErrorCode === '8') {
        const st = await call('GetState', buildGetState(creds, providerPaymentId));
        if (st.kind === 'none') return { kind: 'unknown', reason: st.reason };
        if (st.answer.Success && st.answer.Status === 'CONFIRMED' && st.answer.Amount === amountMinor) return { kind: 'done' };
      }
      return { kind: 'refused', reason: describeError(r.answer) };
    }
    return r.answer.Status === 'CONFIRMED' ? { kind: 'done' } : { kind: 'unknown', reason: `T-Bank Confirm: status ${r.answer.Status ?? '(none)'}` };
  }

  /** `Cancel` of a hold, in full (no `Amount`): `REVERSED` is done; a payment already confirmed is refused (that would be a refund). */
  async function voidHold(_payment: Payment, providerPaymentId: string): Promise<HoldResult> {
    const st = await call('GetState', buildGetState(creds, providerPaymentId));
    if (st.kind === 'none') return { kind: 'unknown', reason: st.reason };
    if (!st.answer.Success) return { kind: 'unknown', reason: describeError(st.answer) };
    if (st.answer.Status === 'REVERSED') return { kind: 'done' };
    if (st.answer.Status !== 'AUTHORIZED') return { kind: 'refused', reason: `T-Bank status ${st.answer.Status ?? '(none)'}: not a hold` };
    const r = await call('Cancel', buildCancel(creds, providerPaymentId));
    if (r.kind === 'none') return { kind: 'unknown', reason: r.reason };
    if (!r.answer.Success || r.answer.ErrorCode !== '0') {
      // As for Confirm: a Cancel sent again may meet our own earlier one.
      const again = r.answer.ErrorCode === '8' ? await call('GetState', buildGetState(creds, providerPaymentId)) : undefined;
      if (again?.kind === 'answer' && again.answer.Success && again.answer.Status === 'REVERSED') return { kind: 'done' };
      return { kind: 'refused', reason: describeError(r.answer) };
    }
    return r.answer.Status === 'REVERSED' ? { kind: 'done' } : { kind: 'unknown', reason: `T-Bank Cancel: status ${r.answer.Status ?? '(none)'}` };
  }

  async function refund(req: RefundRequest): Promise<RefundResult> {
    if (req.amountMinor <= 0n) return { kind: 'refused', reason: 'refund amount must be positive' };
    if (req.amountMinor > req.payment.amountMinor) return { kind: 'refused', reason: 'refund above the paid amount' };
    if (req.payment.wayTicker !== TBANK_TICKER) return { kind: 'refused', reason: `T-Bank takes ${TBANK_TICKER} only` };
    let receipt: Record<string, unknown> | undefined;
    try {
      receipt = req.receipt ? tbankReceipt(req.receipt) : undefined;
    } catch (e) {
      return { kind: 'refused', reason: `T-Bank Cancel: ${(e as Error).message}` };
    }
    // Amount is always sent, even in full: a repeated full refund after a partial one cannot go past what is left.
    const r = await call('Cancel', buildCancel(creds, req.providerPaymentId, req.amountMinor, req.idempotencyKey.slice(0, 64), receipt));
    if (r.kind === 'none') return { kind: 'unknown', reason: r.reason };
    const a = r.answer;
    if (!a.Success || a.ErrorCode !== '0') return { kind: 'refused', reason: describeError(a) };
    // Cancel answers what was left before (OriginalAmount) and after (NewAmount) this refund; the
    // refunded total (the contract's refundedMinor) is what the payment no longer has.
    const total = a.NewAmount !== undefined && a.NewAmount >= 0n && a.NewAmount <= req.payment.amountMinor ? req.payment.amountMinor - a.NewAmount : undefined;
    return { kind: 'done', providerRefundId: `${req.providerPaymentId}:${req.idempotencyKey}`, ...(total !== undefined ? { refundedMinor: total } : {}) };
  }

  /**
   * `SendClosingReceipt`: T-Bank takes the receipt and passes it to the cash register; whether it was
   * registered comes later (a fiscalisation notification), so a success is `sent`.
   */
  async function sendClosingReceipt(payment: Payment, receipt: Receipt): Promise<ReceiptOutcome> {
    if (payment.providerPaymentId === null) return { status: 'failed', reason: 'T-Bank SendClosingReceipt: the payment has no T-Bank PaymentId' };
    let body: Record<string, unknown>;
    try {
      body = buildSendClosingReceipt(creds, payment.providerPaymentId, tbankReceipt(receipt, { closing: true }));
    } catch (e) {
      return { status: 'failed', reason: `T-Bank SendClosingReceipt: ${(e as Error).message}` };
    }
    const r = await call('SendClosingReceipt', body, cashbox);
    // No answer: T-Bank may or may not have the receipt; said so, for a person to look before resending.
    if (r.kind === 'none') return { status: 'failed', reason: `no answer, the receipt may have been taken: ${r.reason}` };
    if (!r.answer.Success || r.answer.ErrorCode !== '0') return { status: 'failed', reason: describeError(r.answer) };
    return { status: 'sent' };
  }

  return {
    id: config.id,
    type: 'tbank',
    kind: (method) => (method === 'card' ? 'redirect' : 'instructions'),
    // T-Bank's form in a frame needs its own integration script; a plain frame is not supported.
    frame: () => false,
    // README: SBP takes 10 roubles and more (error 3016 «Невозможно создать QR» below it).
    minAmountMinor: (method, currency) => (method === 'sbp' && currency === 'RUR' ? TBANK_SBP_MIN_MINOR : undefined),
    create,
    offered,
    handleNotification,
    fetchStatus,
    refund,
    cancel,
    capture,
    void: voidHold,
    // README «Deadlines»: the link dies at RedirectDueDate (the payment's expiresAt); a session
    // already in 3-D Secure at that moment may still end in CONFIRMED: an hour's margin.
    // The link lives at least a minute after Init, however short the way's ttlSeconds.
    lastPaymentAt: (payment) => Math.max(payment.expiresAt ?? deps.now(), payment.createdAt + 2 * MIN_TTL_MS) + LATE_MARGIN_MS,
    sendClosingReceipt,
    // Saved cards and merchant-initiated charges (issue 26): saved.ts.
    ...createTbankSaved(creds, call, deps),
  };
}
