/**
 * The CloudPayments connector: I/O only, through the guarded provider HTTP client. Wire forms live in
 * `transform.ts`; the choices and their sources in README.md.
 */
import { createHash } from 'node:crypto';
import type {
  ApplyOutcome,
  CancelResult,
  Connector,
  ConnectorDeps,
  CreateRequest,
  CreateResult,
  HoldResult,
  HttpAnswer,
  IncomingNotification,
  NotifyContext,
  ProviderResponse,
  ProviderStatus,
  ReceiptOutcome, ReceiptQuery,
  RefundRequest,
  RefundResult,
} from '../contract.ts';
import type { Payment } from '../../types.ts';
import type { Receipt } from '../../../protocol/receipt.ts';
import { stringifyWithRawNumbers } from '../../../protocol/exact-json.ts';
import { closingReceiptRequest, cpReceiptOutcome } from './receipt.ts';
import { receiptNotificationReport } from './fiscal.ts';
import { flatJson } from '../../../protocol/exact-json.ts';
import {
  CHECK_CODES,
  checkCode,
  classifyNotification,
  codeAnswer,
  confirmBody,
  createOrderBody,
  fromCpCurrency,
  isTransactionId,
  kindFromUrl,
  type NotificationKind,
  parseCpAmount,
  parseEnvelope,
  parseNotificationFields,
  failureOfReasonCode,
  readCreateAnswer,
  refundBody,
  statusFromFind,
  statusFromTransaction,
  text,
  verifyHmac,
} from './transform.ts';
import { createCloudPaymentsSaved } from './saved.ts';
import { createCloudPaymentsSbpLink } from './sbp-link.ts';

/** One CloudPayments site (its Public ID and API Secret) as configured in `providers`. */
export interface CloudPaymentsConfig {
  id: string;
  type: 'cloudpayments';
  publicId: string;
  apiSecret: string;
  apiUrl: string;
  /** The seller's INN, for the receipt API (`kkt/receipt`); without it no closing receipt can be sent. */
  inn?: string | undefined;
  /**
   * How an `sbp` way pays: `page` (the default, as before) sends the buyer to the hosted order page;
   * `qr` shows the NSPK link from `payments/qr/sbp/link` in the element with CloudPayments' banks (`sbp-link.ts`).
   */
  sbpFlow?: 'page' | 'qr' | undefined;
}

/** After the deadline, how long a payment already under way at CloudPayments may still finish. */
const LATE_MARGIN_MS = 60 * 60 * 1000;

/** How long a payment link lives when the payment itself has no deadline. */
const DEFAULT_ORDER_TTL_MS = 24 * 60 * 60 * 1000;

function answer(code: number): HttpAnswer {
  return { status: 200, contentType: 'application/json', body: codeAnswer(code) };
}

/**
 * Builds the connector for one CloudPayments site.
 * @example const c = createCloudPaymentsConnector({ id: 'cp', type: 'cloudpayments', publicId, apiSecret, apiUrl }, deps);
 */
export function createCloudPaymentsConnector(config: CloudPaymentsConfig, deps: ConnectorDeps): Connector {
  const base = config.apiUrl.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${config.publicId}:${config.apiSecret}`, 'utf8').toString('base64')}`;

  function call(path: string, body: string, requestId?: string): Promise<ProviderResponse> {
    return deps.http({
      method: 'POST',
      url: `${base}${path}`,
      headers: {
        Authorization: authorization,
        'Content-Type': 'application/json',
        Accept: 'application/json',
        ...(requestId ? { 'X-Request-ID': requestId } : {}),
      },
      body,
      timeoutMs: deps.timeoutMs,
    });
  }

  const sbpLink = createCloudPaymentsSbpLink(call, { publicId: config.publicId, now: deps.now });
  const sbpByQr = (method: string) => method === 'sbp' && config.sbpFlow === 'qr';

  async function find(invoiceId: string): Promise<ProviderResponse> {
    return call('/v2/payments/find', flatJson({ InvoiceId: invoiceId }));
  }

  /** The paid transaction's id: the stored one when it is a transaction id, else from `v2/payments/find`. */
  /** A hold's confirm or void: `Success` is done, a refusal is CloudPayments' no; no answer is unknown. */
  async function holdCall(path: string, body: string, requestId: string): Promise<HoldResult> {
    const r = await call(path, body, requestId);
    if (!r.ok) return { kind: 'unknown', reason: `cloudpayments: ${r.error}` };
    if (r.status >= 500) return { kind: 'unknown', reason: `cloudpayments: HTTP ${r.status}` };
    const env = parseEnvelope(r.body);
    if (!env) return { kind: 'unknown', reason: `cloudpayments: unreadable answer (HTTP ${r.status})` };
    return env.success ? { kind: 'done' } : { kind: 'refused', reason: `cloudpayments: ${env.message ?? `${path} refused`}` };
  }

  async function paidTransactionId(payment: Payment, stored: string | null): Promise<{ id: string } | { error: RefundResult }> {
    if (stored && isTransactionId(stored)) return { id: stored };
    const r = await find(payment.id);
    if (!r.ok) return { error: { kind: 'unknown', reason: `cloudpayments: ${r.error}` } };
    const env = parseEnvelope(r.body);
    if (!env) return { error: { kind: 'unknown', reason: `cloudpayments: unreadable answer (HTTP ${r.status})` } };
    const model = env.model !== null && typeof env.model === 'object' ? (env.model as Record<string, unknown>) : null;
    if (!model) return { error: { kind: 'refused', reason: `cloudpayments: no payment for this invoice (${env.message ?? 'not found'})` } };
    // The latest operation may be a refund: it names the payment it refunds.
    const id = text(model, 'OriginalTransactionId') ?? text(model, 'TransactionId');
    if (!id || !isTransactionId(id)) return { error: { kind: 'unknown', reason: 'cloudpayments: answer without TransactionId' } };
    return { id };
  }

  async function handle(n: IncomingNotification, ctx: NotifyContext): Promise<HttpAnswer> {
    // Content-HMAC is the HMAC of the body exactly as sent; X-Content-HMAC is computed over the
    // URL-decoded form, so it equals Content-HMAC only when nothing was encoded. We check only the
    // exact received bytes: Content-HMAC when present, else X-Content-HMAC over the same bytes.
    const signature = n.headers.get('content-hmac') ?? n.headers.get('x-content-hmac');
    if (!verifyHmac(config.apiSecret, n.rawBody, signature)) return answer(CHECK_CODES.notAccepted);
    const fields = parseNotificationFields(n.body, n.headers.get('content-type'));
    if (!fields) return answer(CHECK_CODES.notAccepted);
    const fromBody = classifyNotification(fields);
    const fromUrl = kindFromUrl(n.url);
    // Check and Pay bodies are nearly alike, so the kind of the address CloudPayments posted to
    // decides (one URL per type, README). Only a body that is plainly another type (a Refund's or a
    // Fail's own fields) is refused; without `?kind=` the body's fields decide.
    const kind = fromUrl === 'absent' ? fromBody : fromUrl;
    if (kind === null || (fromUrl !== 'absent' && fromUrl !== null && contradicts(fromUrl, fromBody))) return answer(CHECK_CODES.notAccepted);
    const invoiceId = fields.InvoiceId ?? '';

    switch (kind) {
      case 'check': {
        const payment = invoiceId ? await ctx.payment(invoiceId) : undefined;
        return answer(checkCode(payment, fields, deps.now()));
      }
      case 'pay':
      case 'confirm': {
        if (!invoiceId) return answer(CHECK_CODES.unknownInvoice);
        const payment = await ctx.payment(invoiceId);
        if (!payment) return answer(CHECK_CODES.unknownInvoice);
        const status = statusFromTransaction(fields, payment);
        // Two-stage `Authorized` is held money, not paid money: nothing to apply (README).
        if (status.state !== 'paid') return answer(CHECK_CODES.ok);
        return answer(outcomeCode(await ctx.apply(invoiceId, status)));
      }
      case 'fail': {
        if (!invoiceId) return answer(CHECK_CODES.unknownInvoice);
        const payment = await ctx.payment(invoiceId);
        if (!payment) return answer(CHECK_CODES.unknownInvoice);
        const amountMinor = fields.Amount === undefined ? null : parseCpAmount(fields.Amount);
        const failure = failureOfReasonCode(fields.ReasonCode);
        const status: ProviderStatus = {
          state: 'failed',
          ...(failure ? { failure } : {}),
          ...(fields.TransactionId ? { providerPaymentId: fields.TransactionId } : {}),
          ...(amountMinor !== null ? { amountMinor } : {}),
          ...(fields.Currency ? { currency: fromCpCurrency(fields.Currency) } : {}),
          providerState: `Declined:${fields.ReasonCode ?? ''}${fields.Reason ? ` ${fields.Reason}` : ''}`.slice(0, 120),
        };
        return answer(outcomeCode(await ctx.apply(invoiceId, status)));
      }
      case 'refund': {
        if (!invoiceId) return answer(CHECK_CODES.unknownInvoice);
        const payment = await ctx.payment(invoiceId);
        if (!payment) return answer(CHECK_CODES.unknownInvoice);
        const status = statusFromTransaction({ ...fields, OperationType: 'Refund' }, payment);
        return answer(outcomeCode(await ctx.apply(invoiceId, status)));
      }
      case 'receipt': {
        // A receipt issued (fiscal.ts): its registration applied; one not of ours is acknowledged.
        const report = receiptNotificationReport(fields);
        const payment = invoiceId && report ? await ctx.payment(invoiceId) : undefined;
        if (payment && report && ctx.receipt) await ctx.receipt(invoiceId, report);
        return answer(CHECK_CODES.ok);
      }
      // Recurrent / Cancel: not used by this connector (no subscriptions, no two-stage payments).
      default:
        return answer(CHECK_CODES.ok);
    }
  }

  return {
    // Saved cards and merchant-initiated charges (issue 26): saved.ts.
    ...createCloudPaymentsSaved(call, { base: `${deps.publicUrl}/providers/${encodeURIComponent(config.id)}`, apiSecret: config.apiSecret, now: deps.now }),
    id: config.id,
    type: 'cloudpayments',
    kind: (method) => (sbpByQr(method) ? 'instructions' : 'redirect'),
    frame: () => true,

    async create(req: CreateRequest): Promise<CreateResult> {
      if (sbpByQr(req.method)) return sbpLink.create(req);
      let body: string;
      try {
        body = createOrderBody({
          payment: req.payment, description: req.description, successUrl: req.successUrl, failUrl: req.failUrl, receipt: req.receipt,
          ...(req.save ? { accountId: req.save.customerKey } : {}),
        });
      } catch (e) {
        return { kind: 'refused', reason: `cloudpayments: ${(e as Error).message}` };
      }
      const r = await call('/orders/create', body, req.idempotencyKey);
      if (!r.ok) return { kind: 'unknown', reason: `cloudpayments: ${r.error}` };
      const a = readCreateAnswer(r.status, r.body);
      if (a.kind !== 'order') return a;
      return {
        kind: 'started',
        action: { type: 'redirect', url: a.url, frame: true },
        providerPaymentId: a.id,
        expiresAt: req.payment.expiresAt ?? deps.now() + DEFAULT_ORDER_TTL_MS,
      };
    },

    async handleNotification(n, ctx) {
      try {
        return await handle(n, ctx);
      } catch {
        // A failure on our side (storage down): not handled, so CloudPayments sends it again.
        return { status: 503, contentType: 'application/json', body: codeAnswer(CHECK_CODES.notAccepted) };
      }
    },

    async fetchStatus(payment) {
      const r = await find(payment.id);
      if (!r.ok) return { state: 'unreachable', reason: `cloudpayments: ${r.error}` };
      return statusFromFind(r.status, r.body, payment);
    },

    /**
     * `orders/cancel`: the order's payment link stops taking payments. Only an order (its id, not a
     * transaction's) can be cancelled; money already taken is never touched by it.
     */
    async cancel(payment: Payment, providerPaymentId: string): Promise<CancelResult> {
      if (isTransactionId(providerPaymentId)) return { kind: 'not_cancellable', reason: 'cloudpayments: a transaction, not an order' };
      const r = await call('/orders/cancel', flatJson({ Id: providerPaymentId }), `cancel-${payment.id}`);
      if (!r.ok) return { kind: 'unknown', reason: `cloudpayments: ${r.error}` };
      const env = parseEnvelope(r.body);
      if (!env || r.status >= 500) return { kind: 'unknown', reason: `cloudpayments: unreadable answer (HTTP ${r.status})` };
      return env.success ? { kind: 'cancelled' } : { kind: 'not_cancellable', reason: `cloudpayments: ${env.message ?? 'cancel refused'}` };
    },

    /** The order is cancelled at the deadline; a payment already past its Check may still finish: an hour's margin (README). */
    lastPaymentAt: (payment: Payment) => (payment.expiresAt ?? deps.now()) + LATE_MARGIN_MS,

    /** `payments/confirm` of a hold (all, or less): CloudPayments' refusals (above the hold, cancelled, not authorised) are refused. */
    async capture(payment: Payment, providerPaymentId: string, amountMinor: bigint, receipt?: Receipt): Promise<HoldResult> {
      const tx = await paidTransactionId(payment, providerPaymentId);
      if ('error' in tx) return tx.error.kind === 'done' ? { kind: 'unknown', reason: 'cloudpayments: unexpected' } : tx.error;
      let body: string;
      try {
        body = confirmBody(tx.id, amountMinor, receipt);
      } catch (e) {
        return { kind: 'refused', reason: `cloudpayments: ${(e as Error).message}` };
      }
      // The same body, the same X-Request-ID: a repeat is one confirm; another body, another request.
      return holdCall('/payments/confirm', body, `${payment.id}:confirm:${createHash('sha256').update(body).digest('hex').slice(0, 24)}`);
    },

    /** `payments/void` of a hold: the money released. */
    async void(payment: Payment, providerPaymentId: string): Promise<HoldResult> {
      const tx = await paidTransactionId(payment, providerPaymentId);
      if ('error' in tx) return tx.error.kind === 'done' ? { kind: 'unknown', reason: 'cloudpayments: unexpected' } : tx.error;
      return holdCall('/payments/void', flatJson({ TransactionId: { raw: tx.id } }), `${payment.id}:void`);
    },

    async refund(req: RefundRequest): Promise<RefundResult> {
      if (req.amountMinor <= 0n) return { kind: 'refused', reason: 'refund amount must be positive' };
      if (req.amountMinor > req.payment.amountMinor) return { kind: 'refused', reason: 'refund amount is above what was paid' };
      const tx = await paidTransactionId(req.payment, req.providerPaymentId);
      if ('error' in tx) return tx.error;
      let body: string;
      try {
        body = refundBody(tx.id, req.amountMinor, req.receipt);
      } catch (e) {
        return { kind: 'refused', reason: `cloudpayments: ${(e as Error).message}` };
      }
      const r = await call('/payments/refund', body, req.idempotencyKey);
      if (!r.ok) return { kind: 'unknown', reason: `cloudpayments: ${r.error}` };
      if (r.status >= 500) return { kind: 'unknown', reason: `cloudpayments: HTTP ${r.status}` };
      const env = parseEnvelope(r.body);
      if (!env) return { kind: 'unknown', reason: `cloudpayments: unreadable answer (HTTP ${r.status})` };
      if (!env.success) return { kind: 'refused', reason: `cloudpayments: ${env.message ?? 'refund refused'}` };
      const model = env.model !== null && typeof env.model === 'object' ? (env.model as Record<string, unknown>) : {};
      // CloudPayments names this refund only, never the payment's refunded total: no refundedMinor
      // (the contract's total); the gateway adds this refund's amount to its own.
      return { kind: 'done', providerRefundId: text(model, 'TransactionId') ?? '' };
    },

    /**
     * `kkt/receipt`: an `Income` receipt for the invoice with the prepayment set off. `X-Request-ID`
     * from the payment and the receipt's bytes, so a resent closing receipt is made once.
     */
    async sendClosingReceipt(payment: Payment, receipt: Receipt): Promise<ReceiptOutcome> {
      if (!config.inn) return { status: 'failed', reason: 'cloudpayments: no inn configured for this provider account (the receipt API needs it)' };
      let body: string;
      try {
        body = stringifyWithRawNumbers(closingReceiptRequest(config.inn, payment.id, receipt));
      } catch (e) {
        return { status: 'failed', reason: `cloudpayments: ${(e as Error).message}` };
      }
      const requestId = `closing-${payment.id}-${createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 24)}`;
      const r = await call('/kkt/receipt', body, requestId);
      if (!r.ok) return { status: 'failed', reason: `cloudpayments: ${r.error} (the receipt may have been taken; sending it again is safe)` };
      const env = parseEnvelope(r.body);
      if (!env) return { status: 'failed', reason: `cloudpayments: unreadable answer (HTTP ${r.status})` };
      if (!env.success) return { status: 'failed', reason: `cloudpayments: ${env.message ?? 'receipt refused'}` };
      const id = env.model !== null && typeof env.model === 'object' ? text(env.model as Record<string, unknown>, 'Id') : undefined;
      if (!id) return { status: 'failed', reason: 'cloudpayments: answer without Model.Id' };
      return cpReceiptOutcome(env.message ?? 'Queued', id) ?? { status: 'sent', providerReceiptId: id };
    },

    /**
     * `kkt/receipt/status/get`: what became of one receipt. A payment's or a refund's receipt has no
     * CloudKassir id until its Receipt notification brings one (and registers it): no news (README).
     */
    async fetchReceiptStatus(_payment: Payment, providerReceiptId: string, of?: ReceiptQuery): Promise<ReceiptOutcome | { status: 'unreachable'; reason: string }> {
      if (of && of.kind !== 'closing') return { status: 'sent' };
      const r = await call('/kkt/receipt/status/get', stringifyWithRawNumbers({ Id: providerReceiptId }));
      if (!r.ok) return { status: 'unreachable', reason: `cloudpayments: ${r.error}` };
      const env = parseEnvelope(r.body);
      if (!env || !env.success) return { status: 'unreachable', reason: `cloudpayments: ${env?.message ?? `unreadable answer (HTTP ${r.status})`}` };
      return cpReceiptOutcome(env.model, providerReceiptId) ?? { status: 'unreachable', reason: `cloudpayments: unknown receipt status ${String(env.model)}` };
    },
  };
}

/**
 * Whether the body cannot be what the address's `kind` says: a body plainly of another type (a
 * Refund's or a Fail's own fields), or, for the Pay address, a body without Pay's own fields
 * (`TotalFee`, which a Check never carries): a signed Check replayed there marks nothing paid.
 */
function contradicts(fromUrl: NotificationKind, fromBody: NotificationKind | null): boolean {
  if (fromBody === fromUrl) return false;
  if (fromUrl === 'pay') return true;
  const distinct: readonly (NotificationKind | null)[] = ['refund', 'fail', 'recurrent', 'receipt'];
  return distinct.includes(fromBody) || distinct.includes(fromUrl);
}

/** `{"code":0}` once the gateway has handled the report; a refusal where sending it again can help. */
function outcomeCode(outcome: ApplyOutcome): number {
  switch (outcome) {
    case 'applied':
    case 'unchanged':
    case 'amount_mismatch':
      return CHECK_CODES.ok;
    case 'unknown_payment':
      return CHECK_CODES.unknownInvoice;
    case 'invalid_state':
      return CHECK_CODES.notAccepted;
  }
}
