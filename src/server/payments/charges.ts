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
import type { ApplyOutcome, ChargeResult, ProviderStatus } from '../providers/contract.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { merchantMode } from '../merchants/merchant-rules.ts';
import type { Merchant, NewPayment, Payment } from '../types.ts';
import type { PaymentCore } from './core.ts';
import { paymentView } from './outcome.ts';
import { providerCustomerKey, savedMethodsOn } from './saved-methods.ts';

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

  /** The provider's answer, applied: paid through the one report path (PAY in the same transaction). */
  async function settle(p: Payment, r: ChargeResult, merchant: Merchant): Promise<void> {
    switch (r.kind) {
      case 'paid': {
        await transitionOrThrow(p, 'awaiting_payment', { providerPaymentId: r.providerPaymentId, reason: 'merchant-initiated charge' });
        const waiting = await storage.getPayment(p.id);
        if (waiting) await applyReport(waiting, { state: 'paid', providerPaymentId: r.providerPaymentId, amountMinor: p.amountMinor, currency: p.wayTicker, providerState: r.providerState });
        return;
      }
      case 'declined':
        await transitionOrThrow(p, 'failed', { reason: `declined by the payment system: ${r.reason}`.slice(0, 500), failureReason: r.failure, ...(r.providerPaymentId ? { providerPaymentId: r.providerPaymentId } : {}) });
        return;
      case 'action_required':
        await transitionOrThrow(p, 'awaiting_payment', { action: r.action, expiresAt: r.expiresAt, providerPaymentId: r.providerPaymentId, reason: 'merchant-initiated charge: the payment system asks for the buyer' });
        return;
      case 'unknown':
        // Never guessed: reconciliation asks the provider (its key makes a repeat safe).
        await transitionOrThrow(p, 'awaiting_payment', {
          reason: `provider_unavailable: ${r.reason}`.slice(0, 500), expiresAt: deps.now() + 86_400_000, ...(r.providerPaymentId ? { providerPaymentId: r.providerPaymentId } : {}),
        });
        deps.log?.(`charge ${p.id} for ${merchant.login}: no definite answer from ${p.providerId}; left to reconciliation`);
    }
  }

  return {
    /** A charge's checks without charging (the subscriptions' creation): a 4xx naming the field, nothing written. */
    async checkCharge(input: ChargeInput): Promise<void> {
      await prepare(input);
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
      const base = `${config.publicUrl}/providers/${encodeURIComponent(connector.id)}`;
      let r: ChargeResult;
      try {
        r = await connector.chargeSaved!({
          payment, method: entry.method, token: method.token, customerKey: providerCustomerKey(input.merchant.login, input.customer),
          idempotencyKey: providerChargeKey(input.merchant.login, input.idempotencyKey),
          notificationUrl: `${base}/notify`, successUrl: `${base}/return/${payment.id}?result=success`, failUrl: `${base}/return/${payment.id}?result=fail`,
          description: `${input.merchant.name}: ${payment.payFor}`.slice(0, 128), ...(receipt ? { receipt } : {}),
        });
      } catch {
        r = { kind: 'unknown', reason: 'the connector failed' };
      }
      await settle(payment, r, input.merchant);
      await storage.touchSavedMethod(method.id, deps.now());
      return { created, payment: paymentView((await storage.getPayment(payment.id)) ?? payment) };
    },
  };
}
