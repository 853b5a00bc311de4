/**
 * Merchant-initiated charges of saved methods (issue 26): a payment with no buyer present, through
 * the method's provider, ending `paid`, `failed` (with the provider's reason) or `awaiting_payment`
 * (the provider asks for the buyer: 3-D Secure; the answer carries the link to send them). CHECK is
 * not sent (the shop asked for the charge); PAY is, as for any payment.
 *
 * One function, `chargeSavedMethod`, serves `POST /api/v1/charges` and, later, the subscriptions'
 * scheduler: the provider's idempotency key is derived from the caller's `idempotencyKey`, so the
 * same key charges once, across retries, crashes and gateways.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { formatAmount, type Minor } from '../../protocol/money.ts';
import { checkReceiptForPayment, type Receipt } from '../../protocol/receipt.ts';
import type { PaymentView } from '../../protocol/checkout-api.ts';
import type { ApplyOutcome, ChargeRequest, ChargeResult, Connector, ProviderStatus } from '../providers/contract.ts';
import type { WayEntry } from '../providers/registry.ts';
import { providerUnavailableOutcome, publicReason, remember, type CreateOutcome } from './outcome.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { merchantMode } from '../merchants/merchant-rules.ts';
import type { Merchant, NewPayment, Payment, SavedMethod } from '../types.ts';
import type { PaymentCore } from './core.ts';
import { paymentView } from './outcome.ts';
import { providerCustomerKey, savedMethodsOn } from './saved-methods.ts';
import { merchantText } from '../../protocol/languages.ts';
import { subscriptionOfCharge } from '../subscriptions/charge-key.ts';

/** What a charge asks. `amountMinor` in kopecks of `ticker` (RUR only). */
export interface ChargeInput {
  merchant: Merchant;
  customer: string;
  /** A saved method's `id`. */
  methodId: string;
  amountMinor: Minor;
  ticker: string;
  payFor: string;
  receipt?: Receipt;
  /** The caller's key (`Idempotency-Key`; the scheduler: subscription and period). */
  idempotencyKey: string;
}

/** The payment the charge made, and whether this call made it (`false`: the same key answered again). */
export interface ChargeAnswer {
  created: boolean;
  payment: PaymentView;
}

/** How long a charge found still `created` is taken for one in progress (another request's) before it is resumed. */
export const CHARGE_IN_PROGRESS_MS = 60_000;

/** The provider's idempotency key of a charge: the merchant and the caller's key, hashed (36 characters). */
export const providerChargeKey = (merchantLogin: string, idempotencyKey: string): string =>
  `chg_${createHash('sha256').update(`${merchantLogin}\u0000${idempotencyKey}`).digest('base64url').slice(0, 32)}`;

/** The merchant-initiated side of the payment wing. */
export function createCharges(core: PaymentCore, applyReport: (p: Payment, s: ProviderStatus) => Promise<ApplyOutcome>) {
  const { deps, transitionOrThrow } = core;
  const { storage, config, connectors } = deps;

  /** Checks the charge and builds its payment; a 4xx naming the field for anything the caller got wrong, nothing written. */
  async function prepare(input: ChargeInput) {
    const m = input.merchant;
    if (!savedMethodsOn(m)) throw new GatewayError(403, 'saved_methods_off', 'savedMethods: saved methods are not enabled for this merchant', 'savedMethods');
    if (input.ticker !== 'RUR') throw new GatewayError(400, 'invalid_param', 'ticker: charges are in RUR', 'ticker');
    if (input.amountMinor <= 0n) throw new GatewayError(400, 'invalid_param', 'amount: must be above zero', 'amount');
    const max = m.savedMethods?.maxChargeMinor;
    if (max !== undefined && input.amountMinor > max) {
      throw new GatewayError(422, 'amount_too_large', `amount: above this merchant's maximum charge of ${formatAmount(max)} RUR (savedMethods.maxChargeAmount)`, 'amount');
    }
    const method = await storage.savedMethodOf(m.login, input.methodId);
    // Another merchant's method, another customer's, or a removed one: the same 404.
    if (!method || method.customer !== input.customer) throw new GatewayError(404, 'not_found', 'method: no such saved method of this customer', 'method');
    const entry = connectors.way(method.way);
    const connector = connectors.connector(method.providerId);
    if (!entry || !connector?.chargeSaved || entry.connector.id !== method.providerId) {
      throw new GatewayError(409, 'method_unavailable', `method: its way ${method.way} is no longer offered by ${method.providerId}`, 'method');
    }
    // A live merchant's money never moves through the sandbox.
    if (method.providerId === SANDBOX_PROVIDER_ID && merchantMode(m, config.sandbox) === 'live') {
      throw new GatewayError(403, 'live_merchant', `method: merchant ${m.login} is live; the sandbox cannot charge it`, 'method');
    }
    if (entry.way.ticker !== input.ticker) throw new GatewayError(409, 'method_unavailable', `method: its way is in ${entry.way.ticker}`, 'method');
    let receipt = input.receipt;
    if (receipt) {
      const r = checkReceiptForPayment(receipt, { ticker: input.ticker, wayTicker: entry.way.ticker, priceMinor: input.amountMinor });
      if (!r.ok) throw new GatewayError(400, 'invalid_param', `${r.issue.field}: ${r.issue.message}`, r.issue.field);
      receipt = r.receipt;
    }
    const now = deps.now();
    const fresh: NewPayment = {
      id: deps.randomId(), merchantLogin: m.login, payFor: input.payFor, mode: 'fix', priceMinor: input.amountMinor, ticker: input.ticker,
      convert: false, priceFinal: true, note: '', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: receipt?.customer.email ?? '', userPhone: receipt?.customer.phone ?? '',
      extraParams: {}, way: method.way, wayTicker: entry.way.ticker, amountMinor: input.amountMinor, feeMinor: 0n, balanceMinor: input.amountMinor,
      balanceTicker: input.ticker, rate: '1', status: 'created',
      // Its own space of keys: a charge's key never meets a buyer's payment's.
      idempotencyKey: `charge:${input.idempotencyKey}`,
      requestHash: createHash('sha256').update(JSON.stringify([input.customer, input.methodId, formatAmount(input.amountMinor), input.ticker, input.payFor, receipt ?? null])).digest('hex'),
      expiresAt: null, createdAt: now, updatedAt: now, providerId: method.providerId,
      reconcileAt: method.providerId === SANDBOX_PROVIDER_ID ? null : now + deps.reconcileScheduleS[0]! * 1000,
    };
    return { method, entry, connector, fresh, receipt };
  }

  /**
   * The provider's answer, applied: paid through the one report path (PAY in the same transaction).
   * `kept` rides on the first state change (a buyer's charge keeps its answer there for a replay).
   */
  async function settle(p: Payment, r: ChargeResult, merchant: Merchant, kept: object = {}): Promise<void> {
    switch (r.kind) {
      case 'paid': {
        await transitionOrThrow(p, 'awaiting_payment', { providerPaymentId: r.providerPaymentId, reason: 'merchant-initiated charge', ...kept });
        const waiting = await storage.getPayment(p.id);
        if (waiting) await applyReport(waiting, { state: 'paid', providerPaymentId: r.providerPaymentId, amountMinor: p.amountMinor, currency: p.wayTicker, providerState: r.providerState });
        return;
      }
      case 'declined':
        await transitionOrThrow(p, 'failed', { reason: `declined by the payment system: ${r.reason}`.slice(0, 500), failureReason: r.failure, ...(r.providerPaymentId ? { providerPaymentId: r.providerPaymentId } : {}), ...kept });
        return;
      case 'action_required':
        await transitionOrThrow(p, 'awaiting_payment', { action: r.action, expiresAt: r.expiresAt, providerPaymentId: r.providerPaymentId, reason: 'merchant-initiated charge: the payment system asks for the buyer', ...kept });
        return;
      case 'unknown':
        // Never guessed: reconciliation asks the provider (its key makes a repeat safe).
        await transitionOrThrow(p, 'awaiting_payment', {
          reason: `provider_unavailable: ${r.reason}`.slice(0, 500), expiresAt: deps.now() + 86_400_000, ...(r.providerPaymentId ? { providerPaymentId: r.providerPaymentId } : {}), ...kept,
        });
        deps.log?.(`charge ${p.id} for ${merchant.login}: no definite answer from ${p.providerId}; left to reconciliation`);
    }
  }

  /** What the provider says of a charge whose answer was not recorded, applied as a notification would be; the payment now. */
  async function askProvider(p: Payment, connector: Connector): Promise<Payment> {
    try {
      const s = await connector.fetchStatus(p, p.providerPaymentId);
      if (s.state === 'unreachable' || s.state === 'pending' || s.state === 'not_found') return p;
      await applyReport(p, s);
    } catch (e) {
      deps.log?.(`charge ${p.id}: status at ${p.providerId} failed: ${(e as Error).message}`);
      return p;
    }
    return (await storage.getPayment(p.id)) ?? p;
  }

  /** The provider's charge call: a throwing connector counts as an unknown outcome. */
  async function callProvider(connector: Connector, req: ChargeRequest): Promise<ChargeResult> {
    try {
      return await connector.chargeSaved!(req);
    } catch {
      return { kind: 'unknown', reason: 'the connector failed' };
    }
  }

  const charge = (p: Payment, m: Merchant, customer: string, method: SavedMethod, entry: WayEntry, key: string, receipt: Receipt | undefined, buyer = false) => {
    const base = `${config.publicUrl}/providers/${encodeURIComponent(entry.connector.id)}`;
    return callProvider(entry.connector, {
      payment: p, method: entry.method, token: method.token, customerKey: providerCustomerKey(m.login, customer), idempotencyKey: providerChargeKey(m.login, key),
      notificationUrl: `${base}/notify`, successUrl: `${base}/return/${p.id}?result=success`, failUrl: `${base}/return/${p.id}?result=fail`,
      description: `${merchantText(m.name, p.ln)}: ${p.payFor}`.slice(0, 128), ...(receipt ? { receipt } : {}), ...(buyer ? { initiator: 'buyer' as const } : {}),
    });
  };

  /** A charge waiting for its buyer's 3-D Secure at a connector that leaves the round trip to the gateway; 404 otherwise. */
  async function waitingThreeDs(providerId: string, id: string) {
    const p = await core.paymentOf(id);
    const connector = p.providerId === providerId ? connectors.connector(providerId) : undefined;
    if (!connector?.threeDs) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
    return { p, threeDs: connector.threeDs };
  }

  return {
    /**
     * The issuer's form for a charge's 3-D Secure (`GET /providers/{id}/3ds/{payment}`): where the
     * buyer's browser POSTs what, or, for a payment no longer waiting, the payment (its outcome is shown).
     * A link that is not the connector's for this payment is a 403 naming it.
     */
    async threeDsForm(providerId: string, id: string, query: URLSearchParams): Promise<{ form: { url: string; fields: Record<string, string> }; payment: Payment } | { done: Payment }> {
      const { p, threeDs } = await waitingThreeDs(providerId, id);
      if (p.status !== 'awaiting_payment') return { done: p };
      const form = threeDs.form(p, query);
      if (!form) throw new GatewayError(403, 'bad_signature', 'd: this 3-D Secure link is not the gateway\'s for this payment', 'd');
      return { form, payment: p };
    },

    /**
     * The issuer's answer POSTed to `TermUrl`: the charge finished at the provider and applied (paid
     * with its PAY, or failed with the reason; no definite answer is left to reconciliation). A
     * payment no longer waiting is left as it is (a second post). Bad input: a 400 naming the field.
     */
    async finishThreeDs(providerId: string, id: string, answer: URLSearchParams): Promise<Payment> {
      const { p, threeDs } = await waitingThreeDs(providerId, id);
      if (p.status !== 'awaiting_payment') return p;
      const r = await threeDs.finish(p, answer).catch((e: unknown): ChargeResult => ({ kind: 'unknown', reason: (e as Error).message }));
      switch (r.kind) {
        case 'invalid':
          throw new GatewayError(400, 'invalid_param', r.message, r.field);
        case 'paid':
          await applyReport(p, { state: 'paid', providerPaymentId: r.providerPaymentId, amountMinor: p.amountMinor, currency: p.wayTicker, providerState: r.providerState });
          break;
        case 'declined': {
          await transitionOrThrow(p, 'failed', { reason: `declined by the payment system: ${r.reason}`.slice(0, 500), failureReason: r.failure, ...(r.providerPaymentId ? { providerPaymentId: r.providerPaymentId } : {}) });
          // A subscription waiting on it records the failed attempt now (a paid one is woken by the report path).
          const sub = subscriptionOfCharge(p.idempotencyKey);
          if (sub) await storage.wakeSubscription(sub, p.id, deps.now());
          break;
        }
        default:
          deps.log?.(`charge ${p.id}: no definite answer after 3-D Secure from ${providerId}; left to reconciliation`);
      }
      return (await storage.getPayment(p.id)) ?? p;
    },

    /** A charge's checks without charging (the subscriptions' creation): a 4xx naming the field, nothing written. */
    async checkCharge(input: ChargeInput): Promise<void> {
      await prepare(input);
    },

    /**
     * A buyer's payment with a saved method (issue 26, `"savedMethod"` on `POST /api/v1/payments`):
     * the payment already made and past CHECK (the buyer started it), charged through the same call
     * as a merchant's charge, under a provider key of its own payment. Answers `paid` with no action,
     * an action (3-D Secure), or the refusal a failed start gives; the answer is kept for a replay.
     */
    async chargePresent(p: Payment, m: Merchant, method: SavedMethod, entry: WayEntry, receipt: Receipt | undefined): Promise<CreateOutcome> {
      const r = await charge(p, m, method.customer, method, entry, `present:${p.id}`, receipt, true);
      const outcome: CreateOutcome = r.kind === 'paid'
        ? { kind: 'started', payment: paymentView({ ...p, status: 'paid', providerPaymentId: r.providerPaymentId, updatedAt: deps.now() }) }
        : r.kind === 'action_required'
          ? { kind: 'started', payment: paymentView({ ...p, status: 'awaiting_payment', action: r.action, expiresAt: r.expiresAt, providerPaymentId: r.providerPaymentId, updatedAt: deps.now() }) }
          : r.kind === 'declined'
            ? { kind: 'refused', refusal: { status: 502, code: 'provider_error', message: 'The payment system refused this payment; choose another way', details: { reason: publicReason(r.reason), paymentId: p.id } } }
            : providerUnavailableOutcome(p.id);
      await settle(p, r, m, remember(p, outcome));
      await storage.touchSavedMethod(method.id, deps.now());
      return outcome;
    },

    /**
     * Charges a customer's saved method. The same `idempotencyKey` with the same request gives back
     * the payment it made (its status now) and charges nothing more; with another request, 409.
     * @example await chargeSavedMethod({ merchant, customer: 'c-42', methodId: 'pm_…', amountMinor: 49900n, ticker: 'RUR', payFor: 'sub-7-2027-01', idempotencyKey: 'sub-7:2027-01' })
     */
    async chargeSavedMethod(input: ChargeInput): Promise<ChargeAnswer> {
      const { method, entry, connector, fresh, receipt } = await prepare(input);
      const { created, payment } = await storage.createPayment(fresh);
      if (!created) {
        if (payment.requestHash !== fresh.requestHash) {
          throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: this key was used for another charge', 'Idempotency-Key');
        }
        // Waiting with no buyer's action: the provider's answer was not recorded (none came, or a crash
        // cut its record short). A minute on, the provider is asked what became of it, as reconciliation
        // asks; the charge is never made again.
        if (payment.status === 'awaiting_payment' && !payment.action && deps.now() - payment.updatedAt >= CHARGE_IN_PROGRESS_MS) {
          return { created: false, payment: paymentView(await askProvider(payment, connector)) };
        }
        // Still `created`: another request is charging it now, or one was cut off (then resumed below,
        // under the same provider key, which the provider charges once).
        if (payment.status !== 'created') return { created: false, payment: paymentView(payment) };
        if (deps.now() - payment.createdAt < CHARGE_IN_PROGRESS_MS) {
          throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: a charge with this key is still in progress; retry shortly', 'Idempotency-Key');
        }
      }
      if (created && receipt) {
        await storage.saveReceipt({ paymentId: payment.id, merchantLogin: payment.merchantLogin, kind: 'payment', refundId: null, receipt, idempotencyKey: '', createdAt: deps.now() });
      }
      const r = await charge(payment, input.merchant, input.customer, method, { ...entry, connector }, input.idempotencyKey, receipt);
      await settle(payment, r, input.merchant);
      await storage.touchSavedMethod(method.id, deps.now());
      return { created, payment: paymentView((await storage.getPayment(payment.id)) ?? payment) };
    },
  };
}
