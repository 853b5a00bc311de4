/**
 * Saved cards at CloudPayments (issue 26): a paid payment's Pay names the card's `Token` (tied to the
 * order's `AccountId`, which the connector sends only with the buyer's consent, as the customer's
 * key); a merchant-initiated charge is `payments/tokens/charge` with `TrInitiatorCode: 0`, under
 * `X-Request-ID` (CloudPayments answers a repeated id with the first success: README).
 *
 * No revoke: CloudPayments' API has no call to delete a token (README); the gateway forgets it.
 * 3-D Secure asked on a token charge (`AcsUrl`, `PaReq` in the answer) needs the buyer on the
 * issuer's page through a POSTed form and `payments/cards/post3ds` after: not offered for charges
 * yet, so it ends `failed` (`3ds_failed`), and the shop asks the buyer to pay with the page.
 */
import type { ChargeRequest, ChargeResult, ProviderResponse } from '../contract.ts';
import { failureOfReasonCode, parseEnvelope, text, tokenChargeBody } from './transform.ts';

type Call = (path: string, body: string, requestId?: string) => Promise<ProviderResponse>;

/** The saved-card half of the CloudPayments connector. */
export function createCloudPaymentsSaved(call: Call) {
  return {
    canSave: (method: string): boolean => method === 'card',

    async chargeSaved(req: ChargeRequest): Promise<ChargeResult> {
      let body: string;
      try {
        body = tokenChargeBody({ payment: req.payment, token: req.token, accountId: req.customerKey, description: req.description, receipt: req.receipt, initiator: req.initiator });
      } catch (e) {
        return { kind: 'declined', failure: 'provider_error', reason: `cloudpayments: ${(e as Error).message}` };
      }
      const r = await call('/payments/tokens/charge', body, req.idempotencyKey);
      if (!r.ok) return { kind: 'unknown', reason: `cloudpayments: ${r.error}` };
      const env = r.status === 200 ? parseEnvelope(r.body) : null;
      if (!env) return { kind: 'unknown', reason: `cloudpayments: unexpected HTTP ${r.status} to payments/tokens/charge` };
      const model = env.model && typeof env.model === 'object' && !Array.isArray(env.model) ? env.model as Record<string, unknown> : null;
      const transactionId = model ? text(model, 'TransactionId') : undefined;
      const id = transactionId ? { providerPaymentId: transactionId } : {};
      if (env.success && model && text(model, 'Status') === 'Completed' && transactionId) return { kind: 'paid', providerPaymentId: transactionId, providerState: 'Completed' };
      if (env.success) return { kind: 'unknown', ...id, reason: `cloudpayments: token charge ${model ? text(model, 'Status') ?? 'without a status' : 'without a model'}` };
      if (model && text(model, 'AcsUrl')) return { kind: 'declined', ...id, failure: '3ds_failed', reason: 'cloudpayments: the issuer asks for 3-D Secure; charges do not take the buyer to it' };
      if (model && text(model, 'ReasonCode')) {
        const code = text(model, 'ReasonCode');
        return { kind: 'declined', ...id, failure: failureOfReasonCode(code) ?? 'declined', reason: `cloudpayments: declined ${code} ${text(model, 'Reason') ?? ''}`.trim() };
      }
      // A refusal of the request itself (`Token not found`, `Invalid AccountId value`): nothing was charged.
      return { kind: 'declined', failure: 'provider_error', reason: `cloudpayments: ${env.message ?? 'refused'}` };
    },
  };
}
