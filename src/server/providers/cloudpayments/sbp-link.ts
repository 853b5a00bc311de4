/**
 * SBP through CloudPayments by its QR link (`POST /payments/qr/sbp/link`, issue 27 item 1): the `sbp`
 * way of a provider entry with `"sbpFlow": "qr"` becomes an instructions action (the NSPK link as QR
 * code and deep link) carrying CloudPayments' own bank list (`qr.banks`, `sbp-qr.ts`), which the
 * element's chooser prefers to the gateway's. The request's fields and the answer's `Model` are as
 * CloudPayments' mobile SDKs and server clients send and read them (README, «SBP by QR link»).
 *
 * The answer's `TransactionId` is the payment's `providerPaymentId`: the transaction CloudPayments
 * opens for the QR code carries our `InvoiceId`, so `v2/payments/find` reads its status, Check and
 * Pay / Fail arrive as for a card, and a refund names that transaction.
 */
import type { CreateRequest, CreateResult, ProviderResponse } from '../contract.ts';
import { formatTwoDecimals } from '../../../protocol/money.ts';
import { flatJson, stringifyWithRawNumbers } from '../../../protocol/exact-json.ts';
import { receiptJsonData } from './receipt.ts';
import { isTransactionId, parseEnvelope, text, toCpCurrency } from './transform.ts';
import { cloudPaymentsSbpQr, type StoredQr } from './sbp-qr.ts';
import { qrInstructions } from '../qr-instructions.ts';

/** How long the QR code lives when the payment itself has no deadline (as the order link: README). */
export const DEFAULT_SBP_TTL_MS = 24 * 60 * 60 * 1000;

/** The shortest lifetime asked for: CloudPayments counts `TtlMinutes` in whole minutes. */
const MIN_TTL_MINUTES = 1;

/** What the request is built from. */
export interface SbpLinkInput {
  publicId: string;
  req: CreateRequest;
  /** The QR code's deadline (the payment's `expiresAt`, or the default). */
  expiresAt: number;
  now: number;
}

/**
 * The body of `payments/qr/sbp/link`, exact JSON: the amount with two decimals from the minor units,
 * `Scheme: "charge"` (one stage: SBP has no hold), `TtlMinutes` up to the payment's deadline (rounded
 * up, at least one), the receipt in `JsonData` as for `orders/create`. Throws on an amount that
 * cannot be written (never for a stored payment).
 * @example sbpLinkBody({ publicId: 'pk_1', req, expiresAt: now + 900_000, now }) // '{"PublicId":"pk_1","Amount":150.00,…,"TtlMinutes":15,…}'
 */
export function sbpLinkBody(input: SbpLinkInput): string {
  const p = input.req.payment;
  const ttlMinutes = Math.max(MIN_TTL_MINUTES, Math.ceil((input.expiresAt - input.now) / 60_000));
  return flatJson({
    PublicId: input.publicId,
    Amount: { raw: formatTwoDecimals(p.amountMinor) },
    Currency: toCpCurrency(p.wayTicker),
    Description: input.req.description,
    InvoiceId: p.id,
    Email: p.userEmail || undefined,
    Scheme: 'charge',
    // The element shows the QR code on a desktop and the bank chooser on a phone from one link: the
    // desktop form is asked for, whose NSPK link a phone opens as well (README: a choice).
    Device: 'DesktopWeb',
    Webview: false,
    TtlMinutes: { raw: String(ttlMinutes) },
    SuccessRedirectUrl: input.req.successUrl,
    FailRedirectUrl: input.req.failUrl,
    CultureName: p.ln === 'en' ? 'en-US' : 'ru-RU',
    JsonData: input.req.receipt ? { raw: stringifyWithRawNumbers(receiptJsonData(input.req.receipt)) } : undefined,
  });
}

/** What the answer says: the transaction and its QR code, a refusal, or no definite answer. */
export type SbpLinkAnswer =
  | { kind: 'link'; transactionId: string; qr: StoredQr }
  | { kind: 'refused'; reason: string }
  | { kind: 'unknown'; reason: string };

/**
 * Interprets the HTTP answer of `payments/qr/sbp/link`. `Success: true` with a numeric
 * `TransactionId` and an https `QrUrl` is a link; `Success: false` (or HTTP 401/403) a refusal,
 * nothing created; anything else (5xx, HTML, garbage, a model without its transaction or its link)
 * is unknown: the transaction may exist, and reconciliation asks `v2/payments/find` by our invoice.
 */
export function readSbpLinkAnswer(status: number, body: string): SbpLinkAnswer {
  if (status === 401 || status === 403) return { kind: 'refused', reason: `cloudpayments: authentication failed (HTTP ${status})` };
  if (status >= 500 || status < 200) return { kind: 'unknown', reason: `cloudpayments: HTTP ${status}` };
  const env = parseEnvelope(body);
  if (!env) return { kind: 'unknown', reason: `cloudpayments: unreadable answer (HTTP ${status})` };
  if (!env.success) return { kind: 'refused', reason: `cloudpayments: ${env.message ?? 'SBP link refused'}` };
  if (env.model === null || typeof env.model !== 'object' || Array.isArray(env.model)) return { kind: 'unknown', reason: 'cloudpayments: SBP link answer without Model' };
  const model = env.model as Record<string, unknown>;
  const transactionId = text(model, 'TransactionId');
  if (!transactionId || !isTransactionId(transactionId)) return { kind: 'unknown', reason: 'cloudpayments: SBP link answer without TransactionId' };
  const qr = cloudPaymentsSbpQr(model);
  if (!qr) return { kind: 'unknown', reason: 'cloudpayments: SBP link answer without an https QrUrl' };
  return { kind: 'link', transactionId, qr };
}

/** The connector's call to CloudPayments' API (`client.ts`). */
export type CloudPaymentsCall = (path: string, body: string, requestId?: string) => Promise<ProviderResponse>;

/**
 * The QR link flow of an `sbp` way: one `payments/qr/sbp/link` under the request's idempotency key
 * (`X-Request-ID`), then the instructions action in the payment's language.
 * @example const sbp = createCloudPaymentsSbpLink(call, { publicId, now }); await sbp.create(req);
 */
export function createCloudPaymentsSbpLink(call: CloudPaymentsCall, deps: { publicId: string; now: () => number }) {
  return {
    async create(req: CreateRequest): Promise<CreateResult> {
      const { payment } = req;
      // SBP moves the money at once: there is nothing to hold and capture later.
      if (req.capture === 'manual') return { kind: 'refused', reason: 'cloudpayments: an SBP payment cannot be held (no two-stage SBP)' };
      const now = deps.now();
      const expiresAt = payment.expiresAt ?? now + DEFAULT_SBP_TTL_MS;
      let body: string;
      try {
        body = sbpLinkBody({ publicId: deps.publicId, req, expiresAt, now });
      } catch (e) {
        return { kind: 'refused', reason: `cloudpayments: ${(e as Error).message}` };
      }
      const r = await call('/payments/qr/sbp/link', body, req.idempotencyKey);
      if (!r.ok) return { kind: 'unknown', reason: `cloudpayments: ${r.error}` };
      const a = readSbpLinkAnswer(r.status, r.body);
      if (a.kind !== 'link') return a;
      return { kind: 'started', action: qrInstructions(payment, expiresAt, a.qr), providerPaymentId: a.transactionId, expiresAt };
    },
  };
}
