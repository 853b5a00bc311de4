/**
 * Saved cards at T-Bank (issue 26), from «Рекуррентный платеж» and «Методы работы с картами»: the
 * parent payment's `Init` carries `Recurrent: "Y"` and `CustomerKey` (client.ts), its paid
 * notification names `RebillId` and `CardId`; a merchant-initiated charge is `Init` (no redirect)
 * then `Charge` with the `RebillId`; removing is `RemoveCard` by `CardId`.
 *
 * T-Bank has no idempotency key: the order (`OrderId`, our payment id, the same for every retry of
 * one charge) is. Before a second `Init` of the same order the connector asks `CheckOrder`, and a
 * session that took the money answers the charge instead of charging again.
 */
import type { ChargeRequest, ChargeResult, ConnectorDeps } from '../contract.ts';
import { baseLanguage } from '../../../protocol/languages.ts';
import {
  buildCharge, buildCheckOrder, buildInit, buildRemoveCard, describeError, failureOfErrorCode, mapStatus, pickOrderPayment, readSavedToken,
  TBANK_TICKER, type Credentials, type TbankAnswer,
} from './transform.ts';
import { tbankReceipt } from './receipt.ts';

type Call = (method: string, body: Record<string, unknown>) => Promise<{ kind: 'answer'; answer: TbankAnswer } | { kind: 'none'; reason: string }>;

/** `Charge`'s «Оплата разрешена только по 3DS картам» (README, emulator choice 5): the buyer must pay once more. */
export const TBANK_3DS_REQUIRED = '108';
/** How long the buyer's link for a charge that needs 3-D Secure lives. */
const THREE_DS_LINK_TTL_MS = 24 * 3_600_000;

/** The saved-card half of the T-Bank connector. */
export function createTbankSaved(creds: Credentials, call: Call, deps: ConnectorDeps) {
  function init(req: ChargeRequest, customerKey?: string) {
    return call('Init', buildInit(creds, {
      amountMinor: req.payment.amountMinor, orderId: req.payment.id, description: req.description,
      successUrl: req.successUrl, failUrl: req.failUrl, notificationUrl: req.notificationUrl, language: baseLanguage(req.payment.ln),
      ...(customerKey ? { customerKey, dueAt: deps.now() + THREE_DS_LINK_TTL_MS } : {}),
      ...(req.receipt ? { receipt: tbankReceipt(req.receipt) } : {}),
    }));
  }

  /** The order already charged (a retry after a lost answer): its paid session, or null. */
  async function alreadyPaid(orderId: string): Promise<ChargeResult | null> {
    const order = await call('CheckOrder', buildCheckOrder(creds, orderId));
    // 335 «заказ не найден»: never started, nothing to find.
    if (order.kind === 'none') return { kind: 'unknown', reason: order.reason };
    const best = order.answer.Success ? pickOrderPayment(order.answer.Payments ?? []) : undefined;
    if (best && mapStatus(best.Status) === 'paid') return { kind: 'paid', providerPaymentId: best.PaymentId, providerState: best.Status };
    return null;
  }

  return {
    canSave: (method: string): boolean => method === 'card',

    async chargeSaved(req: ChargeRequest): Promise<ChargeResult> {
      if (req.payment.wayTicker !== TBANK_TICKER) return { kind: 'declined', failure: 'provider_error', reason: `T-Bank takes ${TBANK_TICKER} only` };
      const ids = readSavedToken(req.token);
      if (!ids) return { kind: 'declined', failure: 'provider_error', reason: 'not a T-Bank saved card' };
      const before = await alreadyPaid(req.payment.id);
      if (before) return before;
      let started;
      try {
        started = await init(req);
      } catch (e) {
        return { kind: 'declined', failure: 'provider_error', reason: `T-Bank Init: ${(e as Error).message}` };
      }
      if (started.kind === 'none') return { kind: 'unknown', reason: started.reason };
      if (!started.answer.Success || !started.answer.PaymentId) return { kind: 'declined', failure: 'provider_error', reason: describeError(started.answer) };
      const paymentId = started.answer.PaymentId;
      const charged = await call('Charge', buildCharge(creds, paymentId, ids.rebillId));
      if (charged.kind === 'none') return { kind: 'unknown', providerPaymentId: paymentId, reason: charged.reason };
      const a = charged.answer;
      if (a.Success && a.ErrorCode === '0') {
        const state = mapStatus(a.Status ?? '');
        if (state === 'paid') return { kind: 'paid', providerPaymentId: paymentId, providerState: a.Status! };
        // AUTHORIZED and the like: not yet money; reconciliation reads it (GetState) later.
        return { kind: 'unknown', providerPaymentId: paymentId, reason: `T-Bank Charge: ${a.Status ?? 'no Status'}` };
      }
      if (a.ErrorCode === TBANK_3DS_REQUIRED) {
        // The bank wants the cardholder: a new session of the same order, paid by the buyer on T-Bank's
        // page (and saving the card again, as the parent payment did).
        const again = await init(req, req.customerKey).catch(() => ({ kind: 'none' as const, reason: 'T-Bank Init failed' }));
        if (again.kind === 'answer' && again.answer.Success && again.answer.PaymentId && again.answer.PaymentURL) {
          return {
            kind: 'action_required', providerPaymentId: again.answer.PaymentId, expiresAt: deps.now() + THREE_DS_LINK_TTL_MS,
            action: { type: 'redirect', url: again.answer.PaymentURL, frame: false },
          };
        }
        return { kind: 'declined', providerPaymentId: paymentId, failure: '3ds_failed', reason: describeError(a) };
      }
      return { kind: 'declined', providerPaymentId: paymentId, failure: failureOfErrorCode(a.ErrorCode) ?? 'declined', reason: describeError(a) };
    },

    async revokeSaved(token: string, customerKey: string): Promise<{ kind: 'revoked' } | { kind: 'unknown'; reason: string }> {
      const ids = readSavedToken(token);
      if (!ids) return { kind: 'unknown', reason: 'not a T-Bank saved card' };
      const r = await call('RemoveCard', buildRemoveCard(creds, customerKey, ids.cardId));
      if (r.kind === 'none') return { kind: 'unknown', reason: r.reason };
      // 231: the card is not the customer's any more (removed already): revoked all the same.
      if ((r.answer.Success && r.answer.ErrorCode === '0') || r.answer.ErrorCode === '231') return { kind: 'revoked' };
      return { kind: 'unknown', reason: describeError(r.answer) };
    },
  };
}
