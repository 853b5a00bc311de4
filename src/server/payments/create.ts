/**
 * Creating a payment: saved once per idempotency key, CHECK sent to the merchant when it has
 * notifications on, then started at the way's provider. Every outcome is stored with the payment,
 * so a replay under the same key answers the same bytes.
 */
import { firstReceiptCheckAt } from './receipt-status.ts';
import { createHash } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import type { LinkParams } from '../../protocol/link.ts';
import type { MerchantHttp } from '../merchants/merchant-http.ts';
import { formatAmount, type Minor } from '../../protocol/money.ts';
import { checkRequest, checkData } from './notify.ts';
import { judgeCheckApi1, judgeCheckApi2, type CheckVerdict } from '../../protocol/onpay-api.ts';
import type { CreateResult } from '../providers/contract.ts';
import type { WayEntry } from '../providers/registry.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { isBadSignatureVerdict, judgeWithGrace } from '../merchants/secret-grace.ts';
import type { Merchant, NewPayment, Payment, PaymentAction, SavedMethod } from '../types.ts';
import { annotateRequest, urlForLog } from '../logger.ts';
import type { PaymentCore } from './core.ts';
import { canHold, captureModeOf, type PaymentForms, type Quote } from './form.ts';
import { canSaveWith, type SavedMethods } from './saved-methods.ts';
import { planReceipt, receiptFromCheck, type PlannedReceipt } from './receipts.ts';
import { failReceipt } from '../refunds/receipt-event.ts';
import type { Receipt } from '../../protocol/receipt.ts';
import { outcomeOf, paymentView, providerUnavailableOutcome, publicReason, remember, type CreateOutcome, type CreatePaymentInput } from './outcome.ts';
import { merchantText } from '../../protocol/languages.ts';

/** A buyer's charge of a saved method (charges.ts `chargePresent`), passed in: that wing is built after this one. */
export type ChargePresent = (p: Payment, m: Merchant, method: SavedMethod, entry: WayEntry, receipt: Receipt | undefined) => Promise<CreateOutcome>;

/** The creating side of the payment wing. */
export function createPaymentCreation(core: PaymentCore, forms: PaymentForms, saved: SavedMethods, present?: ChargePresent) {
  const { deps, transitionOrThrow } = core;
  const { storage, config } = deps;
  const log = deps.log ?? (() => {});
  const { reconcileScheduleS } = deps;

  /** The payment to save: amounts quoted for the way, the request's hash for its idempotency key. */
  function newPayment(input: CreatePaymentInput, merchant: Merchant, link: LinkParams, entry: WayEntry, priceMinor: Minor, q: Quote): NewPayment {
    const userEmail = input.userEmail || link.userEmail;
    const userPhone = input.userPhone || link.userPhone;
    const now = deps.now();
    return {
      id: deps.randomId(),
      merchantLogin: merchant.login,
      payFor: link.payFor,
      mode: link.payMode,
      priceMinor,
      ticker: link.ticker,
      convert: link.convert,
      priceFinal: link.priceFinal,
      note: link.note,
      ln: link.ln,
      urlSuccess: link.urlSuccess,
      urlFail: link.urlFail,
      userEmail,
      userPhone,
      extraParams: link.extraParams,
      way: entry.way.code,
      wayTicker: entry.way.ticker,
      amountMinor: q.amount,
      feeMinor: q.fee,
      balanceMinor: q.balance,
      balanceTicker: q.balanceTicker,
      rate: q.rate,
      // With CHECK to come the payment is saved as checking at once: one write fewer per payment.
      status: merchant.notifications ? 'checking' : 'created',
      idempotencyKey: input.idempotencyKey ?? null,
      // The consent joins the hash only when given, so the keys of requests without it hash as before.
      requestHash: createHash('sha256').update(JSON.stringify([input.token, input.way, userEmail, userPhone, formatAmount(priceMinor), ...(input.saveMethod ? ['save'] : []), ...(input.savedMethod ? [`saved:${input.savedMethod}`] : [])])).digest('hex'),
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
      providerId: entry.connector.id,
      ...(captureModeOf(merchant, link) === 'manual' ? { captureMode: 'manual' as const } : {}),
      // A real provider's payment is asked about on the reconciliation schedule until it settles.
      reconcileAt: entry.connector.id === SANDBOX_PROVIDER_ID ? null : now + reconcileScheduleS[0]! * 1000,
    };
  }

  /** The answer already given under this idempotency key, or why there is none to give. */
  function replay(existing: Payment, requestHash: string | null): CreateOutcome {
    if (existing.requestHash !== requestHash) {
      throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: this key was used for another request', 'Idempotency-Key');
    }
    if (existing.responseStatus !== null && existing.responseBody !== null) return outcomeOf({ status: existing.responseStatus, body: existing.responseBody });
    throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: a request with this key is still in progress; retry shortly', 'Idempotency-Key');
  }

  async function sendCheck(p: Payment, m: Merchant): Promise<CheckVerdict> {
    if (!m.apiUrl) return { kind: 'failed', reason: 'merchant has no API URL' };
    annotateRequest({ paymentId: p.id, merchantLogin: m.login });
    const req = checkRequest(p, m);
    const at = deps.now();
    const r = await deps.merchantHttp({ url: m.apiUrl, ...req, timeoutMs: config.checkTimeoutMs });
    const verdict = judgeCheckAnswer(r, p, m);
    deps.logger?.info({
      paymentId: p.id, merchantLogin: m.login, url: urlForLog(m.apiUrl), apiType: m.apiType, durationMs: r.durationMs,
      ...(r.ok ? { httpStatus: r.status } : {}), verdict: verdict.kind, ...('reason' in verdict ? { reason: publicReason(String(verdict.reason)) } : {}),
    }, 'check');
    // The exact request and answer, for the payment's timeline in the cabinet. Losing this record
    // must not lose the payment: a failure to write it is ignored.
    await storage.recordCheckExchange({
      paymentId: p.id, at, durationMs: r.durationMs, method: req.method, url: m.apiUrl, contentType: req.contentType, requestBody: req.body,
      httpStatus: r.ok ? r.status : null, answerBody: r.ok ? r.body.slice(0, 16_384) : '', error: r.ok ? '' : r.error,
      verdict: verdict.kind === 'failed' ? `failed: ${verdict.reason}` : verdict.kind === 'declined' ? `declined${verdict.comment ? `: ${verdict.comment}` : ''}` : 'accepted',
    }).catch(() => {});
    return verdict;
  }

  function judgeCheckAnswer(r: Awaited<ReturnType<MerchantHttp>>, p: Payment, m: Merchant): CheckVerdict {
    if (!r.ok) return { kind: 'failed', reason: r.error };
    if (r.status < 200 || r.status > 299) return { kind: 'failed', reason: `HTTP ${r.status}` };
    const d = checkData(p);
    // During a K rotation's grace period an answer signed with the previous K is still accepted.
    return judgeWithGrace(m, deps.now(), (key) => (m.apiType === 2 ? judgeCheckApi2(r.body, d, key) : judgeCheckApi1(r.body, d, key)), isBadSignatureVerdict);
  }

  /**
   * CHECK, when the merchant has notifications on: the refusal (the payment rejected), or null and
   * the answer's receipt when it gave one (API 2), not yet checked.
   */
  async function runCheck(p: Payment, m: Merchant): Promise<{ refused: CreateOutcome } | { refused: null; receipt?: unknown; capture?: unknown }> {
    if (!m.notifications) return { refused: null };
    const verdict = await sendCheck(p, m);
    if (verdict.kind === 'accepted') return { refused: null, ...('receipt' in verdict ? { receipt: verdict.receipt } : {}), ...('capture' in verdict ? { capture: verdict.capture } : {}) };
    return { refused: await rejectAfterCheck(p, verdict) };
  }

  /** The payment rejected after CHECK: declined by the shop, or its answer unusable (`failed`). */
  async function rejectAfterCheck(p: Payment, verdict: { kind: 'declined'; comment: string } | { kind: 'failed'; reason: string }): Promise<CreateOutcome> {
    const declined = verdict.kind === 'declined';
    const outcome: CreateOutcome = {
      kind: 'refused',
      refusal: declined
        ? { status: 422, code: 'check_declined', message: 'The shop declined this payment', details: { comment: verdict.comment.slice(0, 255), paymentId: p.id } }
        : { status: 424, code: 'check_failed', message: 'The shop did not confirm this payment; try again later', details: { reason: publicReason(verdict.reason), paymentId: p.id } },
    };
    const reason = declined ? `check_declined${verdict.comment ? `: ${verdict.comment}` : ''}` : `check_failed: ${verdict.reason}`;
    await transitionOrThrow(p, 'rejected', { reason: reason.slice(0, 500), failureReason: declined ? 'check_declined' : 'check_failed', ...remember(p, outcome) });
    return outcome;
  }

  /**
   * The receipt the payment goes to its provider with: the CHECK answer's when it gave one (it
   * replaces the link's or the default), else the planned one; kept with the payment before the
   * provider sees it. A CHECK receipt breaking the rules rejects the payment as a failed CHECK.
   */
  async function settleReceipt(p: Payment, m: Merchant, planned: PlannedReceipt | null, fromCheck: unknown): Promise<{ receipt: Receipt | undefined } | { refused: CreateOutcome }> {
    let receipt = planned?.receipt;
    if (fromCheck !== undefined) {
      const r = receiptFromCheck(fromCheck, p, m);
      if (!r.ok) return { refused: await rejectAfterCheck(p, { kind: 'failed', reason: `the CHECK answer's ${r.reason}` }) };
      receipt = r.receipt;
      if (planned) await storage.replacePendingReceipt(p.id, receipt, deps.now());
      else await saveReceipt(p, receipt);
    }
    return { receipt };
  }

  /**
   * The payment's receipt as its provider took it (the sandbox's test register registers it at
   * once) or refused it. Losing this record must not lose the payment: a failure is logged only.
   */
  async function markReceipt(p: Payment, m: Merchant, entry: WayEntry, receipt: Receipt | undefined, s: { status: 'sent' | 'registered' | 'failed'; providerReceiptId?: string; reason?: string }) {
    if (!receipt) return;
    try {
      const own = (await storage.receiptsOf(p.id)).find((r) => r.kind === 'payment');
      if (own && s.status === 'failed') await failReceipt(storage, p, m, own, s.reason ?? '', deps.now());
      else if (own) await storage.setReceiptStatus(own.id, { ...s, at: deps.now() });
      // Asked about on the receipt checker's schedule where the provider has a status call.
      const checkAt = own && s.status === 'sent' ? firstReceiptCheckAt(entry.connector, own.createdAt, deps.now()) : null;
      if (own && checkAt !== null) await storage.scheduleReceiptCheck(own.id, checkAt);
    } catch (e) {
      log(`receipt of ${p.id} at ${entry.connector.id}: status not recorded: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const saveReceipt = (p: Payment, receipt: Receipt) =>
    storage.saveReceipt({ paymentId: p.id, merchantLogin: p.merchantLogin, kind: 'payment', refundId: null, receipt, idempotencyKey: '', createdAt: deps.now() });

  /** Asks the way's connector to create the payment; a throwing connector counts as an unknown outcome. */
  async function createAtProvider(p: Payment, m: Merchant, entry: WayEntry, receipt: Receipt | undefined, save: { customerKey: string } | undefined): Promise<CreateResult> {
    const base = `${config.publicUrl}/providers/${encodeURIComponent(entry.connector.id)}`;
    try {
      return await entry.connector.create({
        // The way's `ttlSeconds` is the payment's deadline, passed to providers that take one
        // (T-Bank's RedirectDueDate); the connector answers the deadline it could set.
        payment: { ...p, expiresAt: p.expiresAt ?? p.createdAt + entry.way.ttlSeconds * 1000 },
        method: entry.method,
        idempotencyKey: p.id,
        notificationUrl: `${base}/notify`,
        successUrl: `${base}/return/${p.id}?result=success`,
        failUrl: `${base}/return/${p.id}?result=fail`,
        description: `${merchantText(m.name, p.ln)}: ${p.payFor}`.slice(0, 128),
        ...(receipt ? { receipt } : {}),
        ...(save ? { save } : {}),
        ...(p.captureMode === 'manual' ? { capture: 'manual' as const } : {}),
      });
    } catch (e) {
      log(`provider ${entry.connector.id}: create threw: ${e instanceof Error ? e.message : String(e)}`);
      return { kind: 'unknown', reason: 'the connector failed' };
    }
  }

  /**
   * Starts the payment at its provider: `started` hands the buyer the action; `refused` fails the
   * payment (`provider_error`); `unknown` keeps it waiting with no action and no provider id, for
   * reconciliation to ask the provider about, and tells the buyer the provider is unavailable.
   */
  async function startAtProvider(p: Payment, m: Merchant, entry: WayEntry, receipt: Receipt | undefined, save: { customerKey: string } | undefined, captureByCheck = false): Promise<CreateOutcome> {
    // Written only when CHECK changed it: the common path's statement keeps its shape.
    const capture = captureByCheck ? { captureMode: p.captureMode ?? null } : {};
    const r = await createAtProvider(p, m, entry, receipt, save);
    switch (r.kind) {
      case 'started': {
        await markReceipt(p, m, entry, receipt, { status: entry.connector.id === SANDBOX_PROVIDER_ID ? 'registered' : 'sent', providerReceiptId: `${entry.connector.id}:${r.providerPaymentId}` });
        // A way set to `frame: false` opens its page in a popup, whatever the provider says.
        const action: PaymentAction = r.action.type === 'redirect' && !entry.way.frame ? { ...r.action, frame: false } : r.action;
        const outcome: CreateOutcome = { kind: 'started', payment: paymentView({ ...p, status: 'awaiting_payment', action, updatedAt: deps.now() }) };
        // The way's ttlSeconds is the payment's deadline; a provider that keeps its page open longer
        // (T-Bank: at least a minute) is asked about past it (`lastPaymentAt`), never earlier.
        const expiresAt = Math.min(r.expiresAt, p.createdAt + entry.way.ttlSeconds * 1000);
        await transitionOrThrow(p, 'awaiting_payment', { action, expiresAt, providerPaymentId: r.providerPaymentId, ...capture, ...remember(p, outcome) });
        return outcome;
      }
      case 'refused': {
        await markReceipt(p, m, entry, receipt, { status: 'failed', reason: r.reason });
        const outcome: CreateOutcome = {
          kind: 'refused',
          refusal: { status: 502, code: 'provider_error', message: 'The payment system refused this payment; choose another way', details: { reason: publicReason(r.reason), paymentId: p.id } },
        };
        await transitionOrThrow(p, 'failed', { reason: `provider_error: ${r.reason}`.slice(0, 500), failureReason: 'provider_error', ...remember(p, outcome) });
        return outcome;
      }
      case 'unknown': {
        const outcome = providerUnavailableOutcome(p.id);
        await transitionOrThrow(p, 'awaiting_payment', {
          ...capture,
          reason: `provider_unavailable: ${r.reason}`.slice(0, 500),
          expiresAt: deps.now() + entry.way.ttlSeconds * 1000,
          ...remember(p, outcome),
        });
        return outcome;
      }
    }
  }

  /**
   * The saved method a buyer pays with (issue 26): this merchant's and the link's customer's, of the
   * way the request names, on a way that can save for this form; else the request's 400 naming
   * `savedMethod`, nothing written. It saves nothing more: `saveMethod` with it is refused.
   */
  async function savedMethodFor(m: Merchant, link: LinkParams, entry: WayEntry, input: CreatePaymentInput): Promise<SavedMethod> {
    const method = await storage.savedMethodOf(m.login, input.savedMethod!);
    if (!method || link.customer === undefined || method.customer !== link.customer || !canSaveWith(m, link, entry) || !present) {
      throw new GatewayError(400, 'invalid_param', 'savedMethod: no such saved method of this customer', 'savedMethod');
    }
    if (method.way !== entry.way.code || method.providerId !== entry.connector.id) {
      throw new GatewayError(400, 'invalid_param', `savedMethod: this method pays by ${method.way}, not ${entry.way.code}`, 'savedMethod');
    }
    if (input.saveMethod === true) throw new GatewayError(400, 'invalid_param', 'saveMethod: a saved method is already saved', 'saveMethod');
    return method;
  }

  return {
    reconcileScheduleS,

    /** Creates a payment (idempotently), runs CHECK and starts it at the way's provider. */
    async createPayment(input: CreatePaymentInput): Promise<CreateOutcome> {
      const { m: login, l: link, priceMinor: linkPriceMinor } = forms.openToken(input.token);
      const merchant = core.allowOrigin(await core.merchantOf(login), input.origin);
      const entry = forms.offeredWay(merchant, link, linkPriceMinor, input.way);
      const method = input.savedMethod === undefined ? undefined : await savedMethodFor(merchant, link, entry, input);
      const { priceMinor, quote } = forms.paymentQuote(link, linkPriceMinor, input.amount, entry);
      // Checked before anything is written: a consent this way cannot honour, or one missing where the link requires it.
      const consent = method ? null : saved.planConsent(merchant, link, entry, input.saveMethod);
      const fresh = newPayment(input, merchant, link, entry, priceMinor, quote);
      // Checked before anything is written: a bad receipt is the request's 400, no payment made.
      const planned = planReceipt(merchant, link, entry.way.ticker, priceMinor, quote, fresh.userEmail);
      const { created, payment } = await storage.createPayment(fresh);
      if (!created) return replay(payment, fresh.requestHash);
      if (planned) await saveReceipt(payment, planned.receipt);
      const save = consent ? await saved.recordConsent(payment, consent, input.address) : undefined;
      const check = await runCheck(payment, merchant);
      if (check.refused) return check.refused;
      // The CHECK answer's `"capture"` overrides the link's and the merchant's (issue 25); a manual
      // capture on a way that cannot hold is a failed CHECK, as a bad receipt is.
      let started = payment;
      if (check.capture !== undefined) {
        if (check.capture !== 'auto' && check.capture !== 'manual') return rejectAfterCheck(payment, { kind: 'failed', reason: 'the CHECK answer\'s capture: must be "auto" or "manual"' });
        if (check.capture === 'manual' && !canHold(entry)) return rejectAfterCheck(payment, { kind: 'failed', reason: `the CHECK answer's capture: ${entry.way.code} cannot hold money` });
        started = { ...payment, captureMode: check.capture === 'manual' ? 'manual' : null };
      }
      const settled = await settleReceipt(started, merchant, planned, check.receipt);
      if ('refused' in settled) return settled.refused;
      if (method && present) return present(started, merchant, method, entry, settled.receipt);
      return startAtProvider(started, merchant, entry, settled.receipt, save, started !== payment);
    },
  };
}
