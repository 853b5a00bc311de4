/**
 * Saved cards at CloudPayments (issue 26): a paid payment's Pay names the card's `Token` (tied to the
 * order's `AccountId`, which the connector sends only with the buyer's consent, as the customer's
 * key); a merchant-initiated charge is `payments/tokens/charge` with `TrInitiatorCode: 0`, under
 * `X-Request-ID` (CloudPayments answers a repeated id with the first success: README).
 *
 * No revoke: CloudPayments' API has no call to delete a token (README); the gateway forgets it.
 *
 * 3-D Secure asked on a token charge (`Success: false`, a model with `AcsUrl`, `PaReq` and the
 * `TransactionId`): the charge waits for the buyer. Its link is the gateway's own page
 * (`/providers/{id}/3ds/{payment}`), carrying the three values under an HMAC of the API secret; the
 * page POSTs `PaReq`, `MD` (the transaction) and `TermUrl` to the issuer's page, which POSTs `MD` and
 * `PaRes` back to `TermUrl`; the gateway then finishes with `payments/cards/post3ds`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChargeRequest, ChargeResult, Connector, ProviderResponse, ThreeDsFinish } from '../contract.ts';
import { failureOfReasonCode, isTransactionId, parseEnvelope, text, tokenChargeBody } from './transform.ts';
import { flatJson } from '../../../protocol/exact-json.ts';
import type { Payment } from '../../types.ts';

type Call = (path: string, body: string, requestId?: string) => Promise<ProviderResponse>;

/** How long the buyer's 3-D Secure link of a charge lives (CloudPayments states none; as T-Bank's charges: README). */
export const THREE_DS_LINK_TTL_MS = 24 * 3_600_000;

/** What the link carries: the issuer's page, its request, the transaction (`MD`). */
interface ThreeDsData {
  acsUrl: string;
  paReq: string;
  transactionId: string;
}

/** The saved-card half of the CloudPayments connector; `base` is `{publicUrl}/providers/{id}`. */
export function createCloudPaymentsSaved(call: Call, opts: { base: string; apiSecret: string; now: () => number }) {
  const mac = (paymentId: string, d: string) => createHmac('sha256', opts.apiSecret).update(`3ds\u0000${paymentId}\u0000${d}`).digest('base64url');

  function threeDsLink(paymentId: string, data: ThreeDsData): string {
    const d = Buffer.from(JSON.stringify([data.acsUrl, data.paReq, data.transactionId]), 'utf8').toString('base64url');
    return `${opts.base}/3ds/${paymentId}?${new URLSearchParams({ d, s: mac(paymentId, d) })}`;
  }

  /** The link's values when the link is this connector's for this payment, else null. */
  function readLink(paymentId: string, query: URLSearchParams): ThreeDsData | null {
    const d = query.get('d') ?? '';
    const s = Buffer.from(query.get('s') ?? '', 'utf8');
    const want = Buffer.from(mac(paymentId, d), 'utf8');
    if (!d || s.length !== want.length || !timingSafeEqual(s, want)) return null;
    try {
      const [acsUrl, paReq, transactionId] = JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as string[];
      return acsUrl && paReq && transactionId ? { acsUrl, paReq, transactionId } : null;
    } catch {
      return null;
    }
  }

  /** A payment answer (`tokens/charge`, `cards/post3ds`) as the charge's outcome. */
  function outcome(r: ProviderResponse, what: string, paymentId: string): ChargeResult {
    if (!r.ok) return { kind: 'unknown', reason: `cloudpayments: ${r.error}` };
    const env = r.status === 200 ? parseEnvelope(r.body) : null;
    if (!env) return { kind: 'unknown', reason: `cloudpayments: unexpected HTTP ${r.status} to ${what}` };
    const model = env.model && typeof env.model === 'object' && !Array.isArray(env.model) ? env.model as Record<string, unknown> : null;
    const transactionId = model ? text(model, 'TransactionId') : undefined;
    const id = transactionId ? { providerPaymentId: transactionId } : {};
    if (env.success && model && text(model, 'Status') === 'Completed' && transactionId) return { kind: 'paid', providerPaymentId: transactionId, providerState: 'Completed' };
    if (env.success) return { kind: 'unknown', ...id, reason: `cloudpayments: ${what} ${model ? text(model, 'Status') ?? 'without a status' : 'without a model'}` };
    const acsUrl = model ? text(model, 'AcsUrl') : undefined;
    const paReq = model ? text(model, 'PaReq') : undefined;
    if (acsUrl && paReq && transactionId && /^https?:\/\//.test(acsUrl)) {
      return {
        kind: 'action_required', providerPaymentId: transactionId, expiresAt: opts.now() + THREE_DS_LINK_TTL_MS,
        action: { type: 'redirect', url: threeDsLink(paymentId, { acsUrl, paReq, transactionId }), frame: false },
      };
    }
    if (model && text(model, 'ReasonCode')) {
      const code = text(model, 'ReasonCode');
      return { kind: 'declined', ...id, failure: failureOfReasonCode(code) ?? 'declined', reason: `cloudpayments: declined ${code} ${text(model, 'Reason') ?? ''}`.trim() };
    }
    // A refusal of the request itself (`Token not found`, `Invalid AccountId value`): nothing was charged.
    return { kind: 'declined', failure: 'provider_error', reason: `cloudpayments: ${env.message ?? 'refused'}` };
  }

  const threeDs: NonNullable<Connector['threeDs']> = {
    form(payment: Payment, query: URLSearchParams) {
      const data = readLink(payment.id, query);
      if (!data || data.transactionId !== payment.providerPaymentId) return null;
      return { url: data.acsUrl, fields: { PaReq: data.paReq, MD: data.transactionId, TermUrl: `${opts.base}/3ds/${payment.id}/term` } };
    },

    async finish(payment: Payment, answer: URLSearchParams): Promise<ThreeDsFinish> {
      const md = answer.get('MD');
      const paRes = answer.get('PaRes');
      if (!md) return { kind: 'invalid', field: 'MD', message: 'MD: required (the transaction the issuer authenticated)' };
      if (md !== payment.providerPaymentId) return { kind: 'invalid', field: 'MD', message: 'MD: not this payment\'s transaction' };
      if (!paRes) return { kind: 'invalid', field: 'PaRes', message: 'PaRes: required (the issuer\'s answer)' };
      if (!isTransactionId(md)) return { kind: 'invalid', field: 'MD', message: 'MD: not a CloudPayments transaction' };
      // The TransactionId is a JSON number at CloudPayments, written with its exact digits.
      const r = await call('/payments/cards/post3ds', flatJson({ TransactionId: { raw: md }, PaRes: paRes }));
      const o = outcome(r, 'payments/cards/post3ds', payment.id);
      // The issuer asking again is not an answer this page can take: the payment stays for reconciliation.
      return o.kind === 'action_required' ? { kind: 'unknown', providerPaymentId: o.providerPaymentId, reason: 'cloudpayments: 3-D Secure asked again after post3ds' } : o;
    },
  };

  return {
    canSave: (method: string): boolean => method === 'card',

    async chargeSaved(req: ChargeRequest): Promise<ChargeResult> {
      let body: string;
      try {
        body = tokenChargeBody({ payment: req.payment, token: req.token, accountId: req.customerKey, description: req.description, receipt: req.receipt, initiator: req.initiator });
      } catch (e) {
        return { kind: 'declined', failure: 'provider_error', reason: `cloudpayments: ${(e as Error).message}` };
      }
      return outcome(await call('/payments/tokens/charge', body, req.idempotencyKey), 'token charge', req.payment.id);
    },

    threeDs,
  };
}
