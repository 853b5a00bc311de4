/**
 * The buyer's instructions for a payment made by a QR code or its link (SBP, a wallet's app link):
 * one shape for every connector, so the element, the hosted page and the status page show the same
 * thing whoever the provider is. The title is in the payment's language; the order is named as the
 * shop knows it (`pay_for`), not by the gateway's payment number; one link serves both ways (a phone
 * opens it, a desktop shows it as a QR code for the phone's camera).
 *
 * @example qrInstructions(payment, dueAt, { payload: link, deepLink: link }) // «Оплата по СБП», the order, the QR
 * @example qrInstructions(payment, dueAt, { payload: url, deepLink: url }, { wallet: 'T-Pay' }) // «Оплата через T-Pay»
 */
import { formatAmount } from '../../protocol/money.ts';
import { INSTRUCTION_WORDS } from '../../protocol/instruction-words.ts';
import type { Payment, PaymentAction } from '../types.ts';

type QrAction = Extract<PaymentAction, { type: 'instructions' }>;

/**
 * @param qr what the QR code encodes and the phone opens (and a provider's own SBP bank list).
 * @param opts.wallet the app's name: titled «Оплата через {name}» and marked as the app's, so a phone leads with its button.
 * @param opts.title another title of the words' table (`sberPayTitle`).
 * @param opts.order false: no order line (the provider's page names it already).
 */
export function qrInstructions(
  payment: Pick<Payment, 'amountMinor' | 'wayTicker' | 'ln' | 'payFor'>,
  expiresAt: number,
  qr: NonNullable<QrAction['qr']>,
  opts: { wallet?: string; title?: 'sbpTitle' | 'sberPayTitle'; order?: boolean } = {},
): PaymentAction {
  const words = INSTRUCTION_WORDS[payment.ln];
  return {
    type: 'instructions',
    title: opts.wallet !== undefined && opts.title === undefined ? words.walletTitle.replace('{name}', opts.wallet) : words[opts.title ?? 'sbpTitle'],
    amount: formatAmount(payment.amountMinor),
    ticker: payment.wayTicker,
    expiresAt: new Date(expiresAt).toISOString(),
    details: opts.order === false ? [] : [{ key: 'order', label: words.order, value: payment.payFor }],
    qr,
    ...(opts.wallet !== undefined ? { wallet: { name: opts.wallet } } : {}),
  };
}
