/**
 * T-Pay and SberPay through T-Bank, the pure part: the paths of the `TinkoffPay` and `SberPay`
 * calls and the reading of their answers. These calls are GETs with the ids in the path and no
 * `Token` (T-Bank's API reference, «T-Pay» and «SberPay» sections; T-Bank's iOS SDK sends the status
 * and link calls unsigned, with no `TerminalKey` in a body). Choices: README.md, «T-Pay and SberPay».
 */
import { readJsonObject } from '../../../protocol/exact-json.ts';

/** The way methods a T-Bank terminal pays through a bank app. */
export const TBANK_WALLETS = ['tpay', 'sberpay'] as const;
export type TbankWallet = (typeof TBANK_WALLETS)[number];

/** The name the buyer sees on the button and beside the QR code. */
export const WALLET_NAMES: Record<TbankWallet, string> = { tpay: 'T-Pay', sberpay: 'SberPay' };

export function isTbankWallet(method: string): method is TbankWallet {
  return (TBANK_WALLETS as readonly string[]).includes(method);
}

/** `GET TinkoffPay/terminals/{TerminalKey}/status`: may this terminal take T-Pay, and which version. */
export const tpayStatusPath = (terminalKey: string): string => `TinkoffPay/terminals/${encodeURIComponent(terminalKey)}/status`;

/** `GET TinkoffPay/transactions/{paymentId}/versions/{version}/link` (version from the status call). */
export const tpayLinkPath = (paymentId: string, version: string): string =>
  `TinkoffPay/transactions/${encodeURIComponent(paymentId)}/versions/${encodeURIComponent(version)}/link`;

/** `GET SberPay/transactions/{paymentId}/link`. */
export const sberPayLinkPath = (paymentId: string): string => `SberPay/transactions/${encodeURIComponent(paymentId)}/link`;

/** What the status call says: `allowed` with the version to put in the link's path, or not allowed. */
export type TpayStatus = { allowed: true; version: string } | { allowed: false; reason: string };

/** The answer's error in the words of `describeError` (transform.ts), for a refusal. */
function errorOf(o: Record<string, unknown>): string {
  const code = typeof o.ErrorCode === 'string' || typeof o.ErrorCode === 'number' ? String(o.ErrorCode) : '?';
  return [`T-Bank error ${code}`, typeof o.Message === 'string' ? o.Message : undefined, typeof o.Details === 'string' ? o.Details : undefined]
    .filter((s) => s !== undefined && s !== '')
    .join(': ');
}

/**
 * Reads the status answer `{Success, ErrorCode, Params: {Allowed, Version}}`. A version we do not
 * know, or an answer we cannot read, is "not allowed": the way is withheld rather than offered on a
 * guess. `Version` `1.0` is T-Bank's older e-invoice flow and `2.0` T-Pay; both go into the path as given.
 */
export function parseTpayStatus(text: string): TpayStatus {
  const o = readJsonObject(text);
  if (!o) return { allowed: false, reason: 'T-Pay status: answer is not a JSON object' };
  if (o.Success !== true) return { allowed: false, reason: `T-Pay status: ${errorOf(o)}` };
  const params = o.Params;
  if (!params || typeof params !== 'object') return { allowed: false, reason: 'T-Pay status: answer without Params' };
  const p = params as Record<string, unknown>;
  if (p.Allowed !== true) return { allowed: false, reason: 'T-Pay is not allowed on this terminal' };
  if (typeof p.Version !== 'string' || !/^\d+\.\d+$/.test(p.Version)) return { allowed: false, reason: 'T-Pay status: no readable Version' };
  return { allowed: true, version: p.Version };
}

/** What a link call gave: the link a phone opens (and a QR code carries), or why not. */
export type WalletLink =
  | { kind: 'link'; url: string }
  /** T-Bank answered with an error: the payment cannot be paid this way. */
  | { kind: 'refused'; reason: string }
  /** Not an answer we can read. */
  | { kind: 'unreadable'; reason: string };

/** Reads a link answer `{Success, ErrorCode, Params: {RedirectUrl, WebQR?}}` (T-Pay and SberPay alike). */
export function parseWalletLink(text: string, wallet: TbankWallet): WalletLink {
  const name = WALLET_NAMES[wallet];
  const o = readJsonObject(text);
  if (!o) return { kind: 'unreadable', reason: `${name} link: answer is not a JSON object` };
  if (typeof o.Success !== 'boolean') return { kind: 'unreadable', reason: `${name} link: answer has no Success` };
  if (!o.Success) return { kind: 'refused', reason: `${name} link: ${errorOf(o)}` };
  const params = o.Params as Record<string, unknown> | undefined;
  const url = params && typeof params === 'object' ? params.RedirectUrl : undefined;
  // A link that is not a web or app address (javascript:, data:) is never handed to a buyer.
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url) || /^(javascript|data|vbscript):/i.test(url)) {
    return { kind: 'unreadable', reason: `${name} link: answer without a usable Params.RedirectUrl` };
  }
  return { kind: 'link', url };
}
