/**
 * What creating a payment answers, and how that answer is kept with the payment so that a replay
 * under the same idempotency key gives it back byte for byte. Pure: no storage, no clock.
 */
import { GatewayError } from '../errors.ts';
import { formatAmount } from '../../protocol/money.ts';
import { buyerAction } from './buyer-action.ts';
import { checkCommentOf, failureReasonOf } from './failure.ts';
import type { Merchant, Payment } from '../types.ts';
import type { PaymentView, Refusal } from '../../protocol/checkout-api.ts';

export interface CreatePaymentInput {
  token: string;
  way: string;
  userEmail?: string | undefined;
  userPhone?: string | undefined;
  amount?: string | undefined;
  idempotencyKey?: string | undefined;
  /** The browser's Origin, when the request came from one. */
  origin?: string | undefined;
  /**
   * The buyer consented to saving the method (issue 26): `"saveMethod": true`. The hosted form's
   * `save_consent=1` is `if_possible`: its one box serves every way, so a way that cannot save ignores it.
   */
  saveMethod?: boolean | 'if_possible' | undefined;
  /** A returning buyer pays with a saved method (issue 26): its `id`, this merchant's and the link's customer's. */
  savedMethod?: string | undefined;
  /** The buyer's address, kept with a consent. */
  address?: string | undefined;
}

/**
 * The outcome of creating a payment. A replay under the same idempotency key gives the same outcome
 * (read back from the answer stored with the payment), so the same answer byte for byte.
 */
export type CreateOutcome =
  | { kind: 'started'; payment: PaymentView }
  | { kind: 'refused'; refusal: Refusal };

/** A refusal as the error the app answers with. */
export const refusalError = (r: Refusal): GatewayError => new GatewayError(r.status, r.code, r.message, undefined, r.details);

/** A stored answer: what the idempotency key gives back. */
export interface StoredAnswer {
  status: number;
  body: string;
}

/**
 * The `reason` of a 424 check_failed or 502 provider_error answer (docs/API.md). The buyer sees it,
 * so the other side's raw answer text (PHP warnings, stack traces) stays in the stored status reason.
 */
export const publicReason = (reason: string): string => reason.replace(/^(unreadable answer):[\s\S]*$/, '$1').slice(0, 200);

/** The public view of a payment, as the element and the status API see it. */
export function paymentView(p: Payment): PaymentView {
  return {
    id: p.id,
    status: p.status,
    way: p.way,
    amount: formatAmount(p.amountMinor),
    ticker: p.wayTicker,
    payFor: p.payFor,
    urlSuccess: p.urlSuccess,
    urlFail: p.urlFail,
    action: p.action && buyerAction(p.action),
    ...(p.duplicateOf ? { duplicateOf: p.duplicateOf } : {}),
    updatedAt: new Date(p.updatedAt).toISOString(),
    ...failureFields(p),
    ...(p.paidLate ? { paidLate: true as const } : {}),
    ...(p.status === 'authorized' && p.holdExpiresAt ? { holdExpiresAt: new Date(p.holdExpiresAt).toISOString() } : {}),
  };
}

/** `reason` (and the shop's `comment`) of a payment that ended without money. */
function failureFields(p: Payment): Pick<PaymentView, 'reason' | 'comment'> {
  const reason = failureReasonOf(p);
  if (!reason) return {};
  const comment = reason === 'check_declined' ? checkCommentOf(p) : undefined;
  return comment ? { reason, comment } : { reason };
}

/** Whether a browser origin may use a merchant's checkout API. No Origin (a server) is allowed. */
export function originAllowed(origin: string | undefined, merchant: Merchant, publicUrl: string): boolean {
  if (!origin) return true;
  return origin === new URL(publicUrl).origin || merchant.origins.includes(origin);
}

/** The outcome a stored answer stands for. */
export function outcomeOf(answer: StoredAnswer): CreateOutcome {
  if (answer.status === 201) return { kind: 'started', payment: JSON.parse(answer.body) as PaymentView };
  const { error } = JSON.parse(answer.body) as { error: Record<string, string> };
  const { code, message, ...details } = error;
  return { kind: 'refused', refusal: { status: answer.status as Refusal['status'], code: code as Refusal['code'], message: message ?? '', details } };
}

const storedAnswer = (o: CreateOutcome): StoredAnswer => (o.kind === 'started'
  ? { status: 201, body: JSON.stringify(o.payment) }
  : { status: o.refusal.status, body: JSON.stringify(refusalError(o.refusal).toJSON()) });

/** The answer kept with the state change, for a payment created under an idempotency key. */
export const remember = (p: Payment, o: CreateOutcome): { response?: StoredAnswer } => (p.idempotencyKey ? { response: storedAnswer(o) } : {});

/** The answer of a payment whose creating request was cut off before it could start. */
export const interruptedOutcome = (paymentId: string): CreateOutcome => ({
  kind: 'refused',
  refusal: { status: 424, code: 'check_failed', message: 'The payment was interrupted; start again', details: { reason: 'interrupted before the payment could start', paymentId } },
});

/** The answer of a payment whose provider did not answer its create. */
export const providerUnavailableOutcome = (paymentId: string): CreateOutcome => ({
  kind: 'refused',
  refusal: { status: 502, code: 'provider_unavailable', message: 'The payment system did not answer; try again later or choose another way', details: { paymentId } },
});
