/**
 * Sandbox payment systems: they behave like real ones without a network. A card system with its
 * own hosted page, a bank transfer completed by a signed callback, and test money that expires.
 * Each reports outcomes through the same signed callback a real system would send.
 */
import { formatAmount } from '../../protocol/money.ts';
import { hmacHex, } from '../token.ts';
import { safeEqualHex } from '../../protocol/onpay-api.ts';
import type { WayConfig } from '../config.ts';
import type { Payment, PaymentAction } from '../types.ts';

/** What a payment system reports about a payment. */
export interface SystemEvent {
  paymentId: string;
  outcome: 'paid' | 'failed';
  /** Amount the system received, canonical, in `ticker`. */
  amount: string;
  ticker: string;
}

/** The interface every payment system adapter implements. */
export interface PaymentSystem {
  readonly kind: 'redirect' | 'instructions';
  /** The action handed to the buyer, and the deadline (ms) after which the payment expires. */
  start(payment: Payment, now: number): { action: PaymentAction; expiresAt: number };
}

const LABELS = {
  ru: { bank: 'Банк получателя', account: 'Счёт получателя', bic: 'БИК', recipient: 'Получатель', reference: 'Назначение платежа', wallet: 'Тестовый кошелёк' },
  en: { bank: 'Beneficiary bank', account: 'Account', bic: 'BIC', recipient: 'Beneficiary', reference: 'Payment reference', wallet: 'Test wallet' },
} as const;

/**
 * @example const system = createSandboxSystem(way, 'http://localhost:8080');
 */
export function createSandboxSystem(way: WayConfig, publicUrl: string): PaymentSystem {
  const ttlMs = way.ttlSeconds * 1000;
  if (way.system === 'card') {
    return {
      kind: 'redirect',
      start: (p, now) => ({ action: { type: 'redirect', url: `${publicUrl}/sandbox/card/${p.id}`, frame: way.frame }, expiresAt: now + ttlMs }),
    };
  }
  return {
    kind: 'instructions',
    start(p, now) {
      const l = LABELS[p.ln];
      const reference = `OP-${p.number}`;
      const details = way.system === 'bank'
        ? [
          { key: 'recipient', label: l.recipient, value: 'ООО «Онпэй Песочница»' },
          { key: 'bank', label: l.bank, value: 'Sandbox Bank' },
          { key: 'bic', label: l.bic, value: '044525000' },
          { key: 'account', label: l.account, value: '40702810900000012345' },
          { key: 'reference', label: l.reference, value: reference },
        ]
        : [
          { key: 'wallet', label: l.wallet, value: `TST-${p.number.toString().padStart(8, '0')}` },
          { key: 'reference', label: l.reference, value: reference },
        ];
      const expiresAt = now + ttlMs;
      return {
        action: {
          type: 'instructions',
          title: way.title[p.ln],
          amount: formatAmount(p.amountMinor),
          ticker: p.wayTicker,
          expiresAt: new Date(expiresAt).toISOString(),
          details,
        },
        expiresAt,
      };
    },
  };
}

/** The header carrying a sandbox callback's signature. */
export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';

/** Signs a sandbox callback body (exact bytes) with the gateway secret. */
export const signSandboxCallback = (body: string, secret: string): string => hmacHex(secret, `sandbox-callback.${body}`);

/** Verifies a sandbox callback body against its signature header, in constant time. */
export const verifySandboxCallback = (body: string, signature: string, secret: string): boolean =>
  safeEqualHex(signature, signSandboxCallback(body, secret));
