/** The message catalogue's shape, and `Intl` for amounts (dates: instructions.ts). */
import type ru from './ru.ts';
import type { FailureReason } from '../../../protocol/checkout-api.ts';

export type MessageKey = keyof typeof ru;
/** Why a payment failed: Russian's are in the failure view's chunk, the other languages' in their catalogues. */
export type ReasonKey = `reasons.${FailureReason}`;
/** The instructions view's strings: Russian's are in its chunk (instructions.ts), the others' in their catalogues. */
/** The failure view's words: Russian's in its chunk (failure.ts), the others' in their catalogues. */
export type FailureKey = 'failed' | 'expired' | 'rejected' | 'failedHint' | 'tryOther';
export type InstructionsKey = 'instructions' | 'payBefore' | 'timeLeft' | 'minutesLeft' | 'copy' | 'copied' | 'copiedMark' | 'copyByHand' | 'waiting' | 'another' | 'qr' | 'openApp'
  | 'banks' | 'bankSearch' | 'showQr' | 'banksFound';
/** A bank app wallet's strings (T-Pay, SberPay): Russian's in the instructions chunk (wallet.ts), the others' in their catalogues. */
export type WalletKey = 'walletOpen' | 'walletScan' | 'walletShowQr';
/** The payment system's page (overlay, popup): Russian's in its chunk (popup.ts), the others' in their catalogues. */
export type PopupKey = 'redirecting' | 'redirectHint' | 'popupBlocked' | 'popupClosed' | 'close' | 'openAgain' | 'reopen';
/** The chunks' keys: Russian's strings for them are in the chunks, the other languages' in their catalogues. */
export type LazyKey = ReasonKey | InstructionsKey | FailureKey | WalletKey | PopupKey;
/** One language's catalogue: every key, each an ICU-style message (Russian's lazy views' strings in their chunks). */
export type Messages = Record<MessageKey, string> & Partial<Record<LazyKey, string>>;
/** A catalogue other than Russian's: every key, every reason and the lazy views' strings. */
export type FullMessages = Record<MessageKey | LazyKey, string>;

/** ICU-style placeholders: only the lazy views fill them, so the function sits in its own module (icu.ts). */
export { format } from './icu.ts';

/** Amounts for display: the one formatter of the element, the pages and the cabinet. */
export { formatMoney } from '../../../protocol/locale-format.ts';
