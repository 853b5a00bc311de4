/** The message catalogue's shape, ICU-style placeholders, and `Intl` for amounts (dates: instructions.ts). */
import type ru from './ru.ts';
import type { FailureReason } from '../../../protocol/checkout-api.ts';

export type MessageKey = keyof typeof ru;
/** Why a payment failed: Russian's are in the failure view's chunk, the other languages' in their catalogues. */
export type ReasonKey = `reasons.${FailureReason}`;
/** The instructions view's strings: Russian's are in its chunk (instructions.ts), the others' in their catalogues. */
/** The failure view's titles: Russian's in its chunk (failure.ts), the others' in their catalogues. */
export type FailureKey = 'expired' | 'rejected';
export type InstructionsKey = 'instructions' | 'payBefore' | 'timeLeft' | 'minutesLeft' | 'copy' | 'copied' | 'copyByHand' | 'waiting' | 'another' | 'qr' | 'openApp'
  | 'banks' | 'bankSearch' | 'showQr' | 'banksFound';
/** A bank app wallet's strings (T-Pay, SberPay): Russian's in the instructions chunk (wallet.ts), the others' in their catalogues. */
export type WalletKey = 'walletOpen' | 'walletScan' | 'walletShowQr';
/** One language's catalogue: every key, each an ICU-style message (Russian's reasons and instructions in their chunks). */
export type Messages = Record<MessageKey, string> & Partial<Record<ReasonKey | InstructionsKey | FailureKey | WalletKey, string>>;
/** A catalogue other than Russian's: every key, every reason and the instructions view's strings. */
export type FullMessages = Record<MessageKey | ReasonKey | InstructionsKey | FailureKey | WalletKey, string>;

/**
 * Formats an ICU-style message: `{name}` is replaced by the value, and
 * `{count, plural, =0 {…} one {…} few {…} other {…}}` picks the form `Intl.PluralRules` chooses for
 * the language (an exact `=n` first), `#` standing for the number in the language's digits.
 */
export function format(message: string, ln: string, values: Record<string, string | number> = {}): string {
  return message
    .replace(/\{(\w+), plural,((?:[^{}]|\{[^{}]*\})*)\}/g, (_m, key: string, body: string) => {
      const n = Number(values[key]);
      const forms: Record<string, string> = {};
      body.replace(/(=?\w+)\s*\{([^{}]*)\}/g, (_f, form: string, text: string) => (forms[form] = text));
      return (forms[`=${n}`] ?? forms[new Intl.PluralRules(ln).select(n)] ?? forms.other ?? '').replace(/#/g, new Intl.NumberFormat(ln).format(n));
    })
    .replace(/\{(\w+)\}/g, (m, key: string) => (key in values ? String(values[key]) : m));
}

/** Amounts for display: the one formatter of the element, the pages and the cabinet. */
export { formatMoney } from '../../../protocol/locale-format.ts';
