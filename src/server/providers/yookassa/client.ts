/**
 * The YooKassa API v3 connector: the only YooKassa file that talks to the network (through the
 * guarded provider client it is given). Bodies and answers are built and read by `transform.ts`.
 *
 * YooKassa's notifications are not signed, so a notification is only a hint: its source address is
 * checked against `notifyIps` (when set), then the payment is read back with our own credentials
 * (`GET /payments/{id}`) and only that answer is applied.
 */
import { createHash } from 'node:crypto';
import type {
  ChargeRequest, ChargeResult, Connector, ConnectorDeps, CreateRequest, CreateResult, HoldResult, HttpAnswer, IncomingNotification, NotifyContext, ProviderResponse,
  ProviderStatus, ReceiptOutcome, ReceiptQuery, RefundRequest, RefundResult,
} from '../contract.ts';
import type { Payment } from '../../types.ts';
import type { Receipt } from '../../../protocol/receipt.ts';
import { closingReceiptBody, receiptOutcomeOf } from './receipt.ts';
import { createRecentReads } from './recent-reads.ts';
import {
  actionFor, basicAuth, captureBody, chargeBody, CONFIRMATION_TTL_MS, createPaymentBody, failureOfCancellation, createRefundBody, errorReason, ipAllowed, isOtherEvent, isYooKassaId, kindOf,
  ourPaymentId, parseError, parseIpRanges, parseNotification, parsePayment, parsePaymentList, parseRefund, retryAfterOf, toProviderStatus,
  toYooKassaCurrency, type IpRanges, type YkPayment,
} from './transform.ts';

/** The methods whose payments can save them for later charges (issue 26): cards («Автоплатежи»). */
const SAVING = new Set(['bank_card']);

/** One YooKassa shop, as configured in `providers` (after validation by `index.ts`). */
export interface YooKassaConfig {
  id: string;
  type: 'yookassa';
  shopId: string;
  secretKey: string;
  /** Without a trailing slash. */
  apiUrl: string;
  /** Addresses and CIDR ranges notifications may come from; any source when absent. */
  notifyIps?: string[] | undefined;
}

/** Test hooks. */
export interface YooKassaConnectorOptions {
  /** Waits between retries (default `setTimeout`). */
  sleep?: (ms: number) => Promise<void>;
}

/** YooKassa's `Idempotence-Key` is at most 64 characters: a longer key is sent as its SHA-256 hex, which is as stable. */
export const IDEMPOTENCE_KEY_MAX = 64;

export function idempotenceKey(key: string): string {
  return key.length <= IDEMPOTENCE_KEY_MAX ? key : createHash('sha256').update(key, 'utf8').digest('hex');
}

/** First wait before retrying a 429 / 5xx, doubled each time up to `RETRY_MAX_MS`. */
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 2000;
/** A bound on attempts besides the deadline, so that a clock that does not move (a test's) cannot loop. */
const MAX_ATTEMPTS = 8;
/** How far around our payment's creation reconciliation looks for a YooKassa payment whose create outcome was unknown. */
const SEARCH_BEFORE_MS = 5 * 60_000;
const SEARCH_AFTER_MS = CONFIRMATION_TTL_MS;
/** Page size of that search: a page of YooKassa payments stays well under the HTTP client's 64 KB answer cap. */
const SEARCH_PAGE = 40;
const SEARCH_MAX_PAGES = 25;

type PostOutcome =
  | { kind: 'answer'; status: number; body: string }
  /** No definite answer at the deadline. `maybeDone`: YooKassa may have acted (a request reached it without a clear no). */
  | { kind: 'none'; reason: string; maybeDone: boolean };

function json(status: number, body: Record<string, unknown>): HttpAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

/**
 * @example const yk = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId, secretKey, apiUrl }, deps);
 */
export function createYooKassaConnector(config: YooKassaConfig, deps: ConnectorDeps, options: YooKassaConnectorOptions = {}): Connector {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const auth = basicAuth(config.shopId, config.secretKey);
  const ranges: IpRanges | null = config.notifyIps && config.notifyIps.length > 0 ? parseIpRanges(config.notifyIps) : null;
  const api = config.apiUrl.replace(/\/+$/, '');

  const get = (path: string, timeoutMs = deps.timeoutMs): Promise<ProviderResponse> =>
    deps.http({ method: 'GET', url: `${api}${path}`, headers: { authorization: auth, accept: 'application/json' }, timeoutMs });

  /**
   * POSTs with the same `Idempotence-Key` until a definite answer, retrying 429, 5xx, YooKassa's 202
   * "still processing" and connection failures within one deadline of `deps.timeoutMs`.
   */
  async function post(path: string, body: string, key: string): Promise<PostOutcome> {
    const deadline = deps.now() + deps.timeoutMs;
    let maybeDone = false;
    let reason = 'no attempt within the deadline';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const remaining = deadline - deps.now();
      if (remaining <= 0) break;
      const r = await deps.http({
        method: 'POST',
        url: `${api}${path}`,
        headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json', 'idempotence-key': idempotenceKey(key) },
        body,
        timeoutMs: remaining,
      });
      let retryAfterMs: number | undefined;
      if (!r.ok) {
        reason = `yookassa: ${r.error}`;
        // Refused connections never reached YooKassa; anything else (a timeout, a reset) may have.
        if (!/ECONNREFUSED|invalid|must be http/.test(r.error)) maybeDone = true;
        if (/^no answer within/.test(r.error)) break;
      } else if (r.status === 429 || r.status === 202 || r.status >= 500) {
        const e = parseError(r.body);
        reason = e ? errorReason(e, r.status) : `yookassa HTTP ${r.status}`;
        // 429: not handled. 5xx: «the result is unknown», 202: still processing: YooKassa may have acted.
        if (r.status !== 429) maybeDone = true;
        const header = Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
        const seconds = header !== undefined ? Number(header) : NaN;
        if (Number.isFinite(seconds) && seconds >= 0) retryAfterMs = seconds * 1000;
        // YooKassa's 202 says when to repeat in its body: `retry_after`, in milliseconds (as the official PHP SDK waits it).
        else retryAfterMs = retryAfterOf(r.body);
      } else {
        return { kind: 'answer', status: r.status, body: r.body };
      }
      const wait = retryAfterMs ?? Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS);
      if (deps.now() + wait >= deadline) break;
      await sleep(wait);
    }
    return { kind: 'none', reason, maybeDone };
  }

  async function create(req: CreateRequest): Promise<CreateResult> {
    const built = createPaymentBody({ payment: req.payment, method: req.method, returnUrl: req.successUrl, description: req.description, receipt: req.receipt, hold: req.capture === 'manual', ...(req.save && SAVING.has(req.method) ? { save: true } : {}) });
    if (!built.ok) return { kind: 'refused', reason: built.reason };
    const out = await post('/payments', JSON.stringify(built.body), req.idempotencyKey);
    if (out.kind === 'none') return out.maybeDone ? { kind: 'unknown', reason: out.reason } : { kind: 'refused', reason: out.reason };
    if (out.status === 200) {
      const p = parsePayment(out.body);
      if (!p) return { kind: 'unknown', reason: 'yookassa: unreadable answer to POST /payments' };
      if (p.status === 'canceled') {
        return { kind: 'refused', reason: `yookassa: payment canceled: ${p.cancellation_details?.reason ?? 'no reason given'}` };
      }
      // A `qr` confirmation (SberPay) gives `confirmation_data`, the link its QR code carries.
      const field = p.confirmation?.type === 'qr' ? 'confirmation_data' : 'confirmation_url';
      const url = p.confirmation?.[field];
      // A link for the buyer: `scheme://…` (an app's link for SberPay), never javascript: or data:; a page: http(s).
      const usable = typeof url === 'string' && /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url) && !/^(javascript|data|vbscript):/i.test(url)
        && (field === 'confirmation_data' || /^https?:\/\//.test(url));
      if (p.status !== 'pending' || !usable) {
        return { kind: 'unknown', reason: `yookassa: payment ${p.id} is ${p.status} without a ${field}` };
      }
      // The payment's deadline (the way's ttlSeconds), but never past YooKassa's own hour: it takes no
      // deadline for a pending payment, and cancels an unconfirmed one after an hour (README).
      const expiresAt = Math.min(deps.now() + CONFIRMATION_TTL_MS, req.payment.expiresAt ?? Infinity);
      return { kind: 'started', providerPaymentId: p.id, expiresAt, action: actionFor(req.method, url as string, req.payment, expiresAt, false) };
    }
    const e = parseError(out.body);
    // A 4xx with YooKassa's error object is a definite no; anything else (an HTML page from a proxy) is not.
    if (e && out.status >= 400 && out.status < 500) return { kind: 'refused', reason: errorReason(e, out.status) };
    return { kind: 'unknown', reason: `yookassa: unexpected HTTP ${out.status} to POST /payments` };
  }

  /** `GET /payments/{id}`: the payment, `not_found`, or why there is no answer. */
  async function readPayment(id: string): Promise<{ kind: 'ok'; payment: YkPayment } | { kind: 'not_found' } | { kind: 'unreachable'; reason: string }> {
    const r = await get(`/payments/${encodeURIComponent(id)}`);
    if (!r.ok) return { kind: 'unreachable', reason: `yookassa: ${r.error}` };
    if (r.status === 404) return { kind: 'not_found' };
    if (r.status !== 200) {
      const e = parseError(r.body);
      return { kind: 'unreachable', reason: e ? errorReason(e, r.status) : `yookassa HTTP ${r.status} to GET /payments/{id}` };
    }
    const p = parsePayment(r.body);
    return p ? { kind: 'ok', payment: p } : { kind: 'unreachable', reason: 'yookassa: unreadable answer to GET /payments/{id}' };
  }

  type Read = Awaited<ReturnType<typeof readPayment>>;
  const recentReads = createRecentReads<Read>({ now: deps.now, keep: (r) => r.kind !== 'unreachable' });
  /**
   * Whether a read already shows the state a notification reports (`payment.succeeded` and the
   * payment succeeded, …). A refund's notification never counts as shown: the refunded total may
   * have changed since.
   */
  const readShows = (r: Read, event: string): boolean =>
    r.kind === 'ok' && event.startsWith('payment.') && event === `payment.${r.payment.status}`;

  /** Finds the YooKassa payment whose metadata names ours, among those created around it. */
  async function searchPayment(payment: Payment): Promise<{ kind: 'ok'; payment: YkPayment } | { kind: 'not_found' } | { kind: 'unreachable'; reason: string }> {
    const q = new URLSearchParams({
      'created_at.gte': new Date(payment.createdAt - SEARCH_BEFORE_MS).toISOString(),
      'created_at.lte': new Date(payment.createdAt + SEARCH_AFTER_MS).toISOString(),
      limit: String(SEARCH_PAGE),
    });
    for (let page = 0; page < SEARCH_MAX_PAGES; page++) {
      const r = await get(`/payments?${q.toString()}`);
      if (!r.ok) return { kind: 'unreachable', reason: `yookassa: ${r.error}` };
      const list = r.status === 200 ? parsePaymentList(r.body) : null;
      if (!list) {
        const e = parseError(r.body);
        return { kind: 'unreachable', reason: e ? errorReason(e, r.status) : `yookassa HTTP ${r.status} to GET /payments` };
      }
      const found = list.items.find((p) => ourPaymentId(p) === payment.id);
      if (found) return { kind: 'ok', payment: found };
      if (!list.nextCursor) return { kind: 'not_found' };
      q.set('cursor', list.nextCursor);
    }
    return { kind: 'unreachable', reason: 'yookassa: too many payments around this one to search' };
  }

  async function fetchStatus(payment: Payment, providerPaymentId: string | null): Promise<ProviderStatus | { state: 'unreachable'; reason: string }> {
    const r = providerPaymentId ? await readPayment(providerPaymentId) : await searchPayment(payment);
    if (r.kind === 'unreachable') return { state: 'unreachable', reason: r.reason };
    if (r.kind === 'not_found') return { state: 'not_found', providerState: 'not_found', ...(providerPaymentId ? { providerPaymentId } : {}) };
    const named = ourPaymentId(r.payment);
    if (named !== undefined && named !== payment.id) {
      return { state: 'not_found', providerPaymentId: r.payment.id, providerState: 'metadata names another payment' };
    }
    return toProviderStatus(r.payment);
  }

  async function handleNotification(n: IncomingNotification, ctx: NotifyContext): Promise<HttpAnswer> {
    if (ranges && !ipAllowed(n.remoteAddress, ranges)) return json(403, { error: 'source address is not one of notifyIps' });
    const note = parseNotification(n.body);
    if (!note) {
      if (isOtherEvent(n.body)) return json(200, { ok: true, ignored: true });
      return json(400, { error: 'not a YooKassa notification' });
    }
    // The body is not trusted beyond the id it names: the payment is read back from YooKassa, once
    // for all the notifications about it within a few seconds (recent-reads.ts). A remembered read
    // is used only when it already shows what the notification claims; otherwise the payment may
    // have changed since, so YooKassa is asked to send again later rather than answered from it.
    const { value: r, fresh } = await recentReads.get(note.providerPaymentId, () => readPayment(note.providerPaymentId));
    if (!fresh && !readShows(r, note.event)) return json(503, { error: 'this payment was read from YooKassa moments ago; send the notification again later' });
    if (r.kind === 'unreachable') return json(503, { error: 'could not verify the notification with YooKassa; send it again' });
    if (r.kind === 'not_found') return json(404, { error: 'YooKassa knows no such payment' });
    const ours = ourPaymentId(r.payment);
    if (!ours) return json(404, { error: 'the payment is not one of this gateway' });
    try {
      if (!(await ctx.payment(ours))) return json(404, { error: 'unknown payment' });
      const status = toProviderStatus(r.payment);
      // Still pending at YooKassa (a forged or early `payment.succeeded`): nothing to apply.
      if (status.state === 'pending') return json(200, { ok: true, applied: false });
      const outcome = await ctx.apply(ours, status);
      if (outcome === 'unknown_payment') return json(404, { error: 'unknown payment' });
      return json(200, { ok: true, outcome });
    } catch {
      return json(503, { error: 'the gateway could not record the notification; send it again' });
    }
  }

  async function refund(req: RefundRequest): Promise<RefundResult> {
    if (req.amountMinor <= 0n) return { kind: 'refused', reason: 'refund amount must be positive' };
    if (req.amountMinor > req.payment.amountMinor) return { kind: 'refused', reason: 'refund amount is above what was paid' };
    if (!isYooKassaId(req.providerPaymentId)) return { kind: 'refused', reason: 'yookassa: not a YooKassa payment id' };
    let body: Record<string, unknown> | null;
    try {
      body = createRefundBody(req.providerPaymentId, req.amountMinor, req.payment.wayTicker, req.reason, req.receipt);
    } catch (e) {
      return { kind: 'refused', reason: `yookassa: ${(e as Error).message}` };
    }
    if (!body) return { kind: 'refused', reason: `yookassa: currency ${req.payment.wayTicker} is not supported` };
    const out = await post('/refunds', JSON.stringify(body), req.idempotencyKey);
    if (out.kind === 'none') return out.maybeDone ? { kind: 'unknown', reason: out.reason } : { kind: 'refused', reason: out.reason };
    if (out.status !== 200) {
      const e = parseError(out.body);
      if (e && out.status >= 400 && out.status < 500) return { kind: 'refused', reason: errorReason(e, out.status) };
      return { kind: 'unknown', reason: `yookassa: unexpected HTTP ${out.status} to POST /refunds` };
    }
    const refundObj = parseRefund(out.body);
    if (!refundObj) return { kind: 'unknown', reason: 'yookassa: unreadable answer to POST /refunds' };
    if (refundObj.status === 'canceled') return { kind: 'refused', reason: `yookassa: refund canceled: ${refundObj.cancellation_details?.reason ?? 'no reason given'}` };
    if (refundObj.status === 'pending') return { kind: 'unknown', reason: `yookassa: refund ${refundObj.id} is pending` };
    // `refundedMinor` is the payment's refunded total, as the payment object reports it after this refund.
    for (let i = 0; i < 2; i++) {
      const p = await readPayment(req.providerPaymentId);
      if (p.kind === 'ok') {
        const status = toProviderStatus(p.payment);
        return { kind: 'done', providerRefundId: refundObj.id, ...(status.refundedMinor !== undefined ? { refundedMinor: status.refundedMinor } : {}) };
      }
    }
    return { kind: 'unknown', reason: `yookassa: refund ${refundObj.id} succeeded, but the payment's refunded total could not be read` };
  }

  /** A receipt object's `status` (and id) from an answer, as the contract's outcome. */
  function receiptAnswer(body: string): ReceiptOutcome | undefined {
    let o: unknown;
    try {
      o = JSON.parse(body);
    } catch {
      return undefined;
    }
    if (!o || typeof o !== 'object') return undefined;
    const r = o as Record<string, unknown>;
    return typeof r.id === 'string' ? receiptOutcomeOf(r.status, r.id) : undefined;
  }

  /**
   * `POST /receipts` with `settlements` (prepayment set off): the closing receipt. Its idempotence key
   * is the payment and the receipt's bytes, so a resent closing receipt is one receipt at YooKassa.
   */
  async function sendClosingReceipt(payment: Payment, receipt: Receipt): Promise<ReceiptOutcome> {
    const currency = toYooKassaCurrency(payment.wayTicker);
    if (!currency) return { status: 'failed', reason: `yookassa: currency ${payment.wayTicker} is not supported` };
    if (payment.providerPaymentId === null || !isYooKassaId(payment.providerPaymentId)) return { status: 'failed', reason: 'yookassa: the payment has no YooKassa id' };
    let body: string;
    try {
      body = JSON.stringify(closingReceiptBody(payment.providerPaymentId, receipt, currency));
    } catch (e) {
      return { status: 'failed', reason: `yookassa: ${(e as Error).message}` };
    }
    const key = `closing:${payment.id}:${createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 32)}`;
    const out = await post('/receipts', body, key);
    if (out.kind === 'none') return { status: 'failed', reason: out.maybeDone ? `${out.reason} (the receipt may have been taken; sending it again is safe)` : out.reason };
    if (out.status !== 200) {
      const e = parseError(out.body);
      return { status: 'failed', reason: e ? errorReason(e, out.status) : `yookassa: unexpected HTTP ${out.status} to POST /receipts` };
    }
    return receiptAnswer(out.body) ?? { status: 'failed', reason: 'yookassa: unreadable answer to POST /receipts' };
  }

  /**
   * What became of one receipt: `GET /receipts/{id}` when its id is known (a closing receipt), else
   * the receipt of the payment or refund, found by `GET /receipts?payment_id=` / `?refund_id=`
   * (README «Receipts' registration status»).
   */
  async function fetchReceiptStatus(payment: Payment, providerReceiptId: string, of?: ReceiptQuery): Promise<ReceiptOutcome | { status: 'unreachable'; reason: string }> {
    if (of?.kind === 'payment' || of?.kind === 'refund') return findReceipt(payment, of);
    const r = await get(`/receipts/${encodeURIComponent(providerReceiptId)}`);
    if (!r.ok) return { status: 'unreachable', reason: `yookassa: ${r.error}` };
    if (r.status !== 200) {
      const e = parseError(r.body);
      return { status: 'unreachable', reason: e ? errorReason(e, r.status) : `yookassa: unexpected HTTP ${r.status} to GET /receipts` };
    }
    return receiptAnswer(r.body) ?? { status: 'unreachable', reason: 'yookassa: unreadable receipt' };
  }

  /** The receipt of a payment (its own, without `settlements`) or of a refund, listed by YooKassa. */
  async function findReceipt(payment: Payment, of: ReceiptQuery): Promise<ReceiptOutcome | { status: 'unreachable'; reason: string }> {
    const refundId = of.kind === 'refund' ? of.providerRefundId ?? null : null;
    const q = of.kind === 'refund' ? (refundId && isYooKassaId(refundId) ? `refund_id=${encodeURIComponent(refundId)}` : null)
      : (payment.providerPaymentId && isYooKassaId(payment.providerPaymentId) ? `payment_id=${encodeURIComponent(payment.providerPaymentId)}` : null);
    if (!q) return { status: 'unreachable', reason: `yookassa: the ${of.kind} has no YooKassa id` };
    const r = await get(`/receipts?${q}`);
    if (!r.ok) return { status: 'unreachable', reason: `yookassa: ${r.error}` };
    if (r.status !== 200) {
      const e = parseError(r.body);
      return { status: 'unreachable', reason: e ? errorReason(e, r.status) : `yookassa: unexpected HTTP ${r.status} to GET /receipts` };
    }
    const items = receiptList(r.body);
    if (!items) return { status: 'unreachable', reason: 'yookassa: unreadable receipt list' };
    // A payment's own receipt goes with it; a closing one (`POST /receipts`) carries `settlements`.
    const own = items.find((o) => o.type === of.kind && (of.kind === 'refund' || o.settlements === undefined));
    // Not listed yet: YooKassa makes the receipt once the payment succeeds; no news.
    if (!own || typeof own.id !== 'string') return { status: 'sent' };
    return receiptOutcomeOf(own.status, own.id) ?? { status: 'unreachable', reason: `yookassa: unknown receipt status ${String(own.status).slice(0, 40)}` };
  }

  /** The outcome of `/capture` or `/cancel` of a hold: the payment as YooKassa answers it. */
  async function holdCall(path: string, body: Record<string, unknown>, key: string, done: YkPayment['status']): Promise<HoldResult> {
    const out = await post(path, JSON.stringify(body), key);
    if (out.kind === 'none') return out.maybeDone ? { kind: 'unknown', reason: out.reason } : { kind: 'refused', reason: out.reason };
    if (out.status !== 200) {
      const e = parseError(out.body);
      if (e && out.status >= 400 && out.status < 500) return { kind: 'refused', reason: errorReason(e, out.status) };
      return { kind: 'unknown', reason: `yookassa: unexpected HTTP ${out.status} to POST ${path}` };
    }
    const p = parsePayment(out.body);
    if (!p) return { kind: 'unknown', reason: `yookassa: unreadable answer to POST ${path}` };
    return p.status === done ? { kind: 'done' } : { kind: 'refused', reason: `yookassa: the payment is ${p.status}` };
  }

  /**
   * `POST /payments/{id}/capture` (all of the hold, or less, with the receipt for what is taken). The
   * Idempotence-Key is the payment's and the body's, so a repeat of the same capture is one capture.
   */
  async function capture(payment: Payment, providerPaymentId: string, amountMinor: bigint, receipt?: Receipt): Promise<HoldResult> {
    if (!isYooKassaId(providerPaymentId)) return { kind: 'refused', reason: 'yookassa: not a YooKassa payment id' };
    let body: Record<string, unknown> | null;
    try {
      body = captureBody(amountMinor, payment.wayTicker, receipt);
    } catch (e) {
      return { kind: 'refused', reason: `yookassa: ${(e as Error).message}` };
    }
    if (!body) return { kind: 'refused', reason: `yookassa: currency ${payment.wayTicker} is not supported` };
    // The same body, the same key: a repeat is one capture; another body (a receipt added after a
    // refusal) a new key, which YooKassa would otherwise refuse as a duplicated key.
    const text = JSON.stringify(body);
    return holdCall(`/payments/${encodeURIComponent(providerPaymentId)}/capture`, body, `${payment.id}:c:${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, 'succeeded');
  }

  /** `POST /payments/{id}/cancel` of a `waiting_for_capture` payment: the hold released. */
  async function voidHold(payment: Payment, providerPaymentId: string): Promise<HoldResult> {
    if (!isYooKassaId(providerPaymentId)) return { kind: 'refused', reason: 'yookassa: not a YooKassa payment id' };
    return holdCall(`/payments/${encodeURIComponent(providerPaymentId)}/cancel`, {}, `${payment.id}:cancel`, 'canceled');
  }

  return {
    id: config.id,
    type: 'yookassa',
    capture,
    void: voidHold,
    kind: kindOf,
    // YooKassa's redirect page is not made for frames (its embeddable widget is another product): a popup.
    frame: () => false,
    create,
    handleNotification,
    fetchStatus,
    refund,
    // README «Deadlines»: YooKassa cancels a payment left unconfirmed an hour after its creation; a
    // confirmation under way then may still succeed: another hour's margin. No cancel: the API cancels
    // only `waiting_for_capture` payments, never a `pending` one.
    lastPaymentAt: (payment) => payment.createdAt + CONFIRMATION_TTL_MS + CONFIRMATION_TTL_MS,
    sendClosingReceipt,
    fetchReceiptStatus,
    // Saved methods (issue 26). No revokeSaved: YooKassa's API has no call to delete a saved method
    // (README); the gateway forgets it, and YooKassa never charges it without the shop asking.
    canSave: (method: string) => SAVING.has(method),
    async chargeSaved(req: ChargeRequest): Promise<ChargeResult> {
      const built = chargeBody({ payment: req.payment, returnUrl: req.successUrl, description: req.description, receipt: req.receipt, paymentMethodId: req.token });
      if (!built.ok) return { kind: 'declined', failure: 'provider_error', reason: built.reason };
      const out = await post('/payments', JSON.stringify(built.body), req.idempotencyKey);
      if (out.kind === 'none') return out.maybeDone ? { kind: 'unknown', reason: out.reason } : { kind: 'declined', failure: 'provider_error', reason: out.reason };
      const p = out.status === 200 ? parsePayment(out.body) : null;
      if (!p) {
        const e = parseError(out.body);
        if (e && out.status >= 400 && out.status < 500) return { kind: 'declined', failure: 'provider_error', reason: errorReason(e, out.status) };
        return { kind: 'unknown', reason: `yookassa: unexpected HTTP ${out.status} to POST /payments` };
      }
      if (p.status === 'succeeded') return { kind: 'paid', providerPaymentId: p.id, providerState: p.status };
      if (p.status === 'canceled') {
        const reason = p.cancellation_details?.reason;
        return { kind: 'declined', providerPaymentId: p.id, failure: failureOfCancellation(reason), reason: `yookassa: payment canceled: ${reason ?? 'no reason given'}` };
      }
      const url = p.confirmation?.confirmation_url;
      if (p.status === 'pending' && url && /^https?:\/\//.test(url)) {
        return { kind: 'action_required', providerPaymentId: p.id, expiresAt: deps.now() + CONFIRMATION_TTL_MS, action: { type: 'redirect', url, frame: false } };
      }
      return { kind: 'unknown', providerPaymentId: p.id, reason: `yookassa: payment ${p.id} is ${p.status}` };
    },
  };
}

/** The `items` of a `GET /receipts` list, or null when the body is not one. */
function receiptList(body: string): Record<string, unknown>[] | null {
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    return null;
  }
  if (!o || typeof o !== 'object' || !Array.isArray((o as { items?: unknown }).items)) return null;
  return ((o as { items: unknown[] }).items).filter((i): i is Record<string, unknown> => i !== null && typeof i === 'object');
}
