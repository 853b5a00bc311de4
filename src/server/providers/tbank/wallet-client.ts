/**
 * T-Pay and SberPay through T-Bank, the I/O part: the T-Pay status call (kept a few minutes, so a
 * form does not wait on T-Bank each time) and, after `Init`, the link call that gives the bank app's
 * link. Bodies are read by wallets.ts; choices in README.md, «T-Pay and SberPay».
 */
import type { ConnectorDeps, CreateResult } from '../contract.ts';
import type { Payment } from '../../types.ts';
import { parseTpayStatus, parseWalletLink, sberPayLinkPath, tpayLinkPath, tpayStatusPath, WALLET_NAMES, type TbankWallet, type TpayStatus } from './wallets.ts';
import { qrInstructions } from '../qr-instructions.ts';

/** How long a T-Pay status answer is trusted: T-Bank's SDKs ask once per payment screen; minutes are enough. */
export const TPAY_STATUS_TTL_MS = 5 * 60_000;
/** After a failed status call the way stays withheld this long before T-Bank is asked again. */
export const TPAY_STATUS_RETRY_MS = 60_000;
/** The status call's own deadline: a form waits for it, so a slow T-Bank withholds T-Pay rather than the form. */
export const TPAY_STATUS_TIMEOUT_MS = 2_000;

export interface TbankWallets {
  /** Whether T-Bank says the terminal takes T-Pay (the status call, kept `TPAY_STATUS_TTL_MS`). */
  tpayAllowed(): Promise<boolean>;
  /** The buyer's action for a session `Init` opened: the app's link, as a button and a QR code. */
  start(wallet: TbankWallet, payment: Payment, paymentId: string, dueAt: number): Promise<CreateResult>;
}

/** @example const wallets = createTbankWallets('1234567890DEMO', 'https://securepay.tinkoff.ru/v2', deps); */
export function createTbankWallets(terminalKey: string, apiUrl: string, deps: ConnectorDeps): TbankWallets {
  let kept: { status: TpayStatus; until: number } | null = null;
  let asking: Promise<TpayStatus> | null = null;

  async function get(path: string, timeoutMs = deps.timeoutMs): Promise<{ ok: true; body: string } | { ok: false; reason: string }> {
    const r = await deps.http({ method: 'GET', url: `${apiUrl}/${path}`, headers: { accept: 'application/json' }, timeoutMs });
    return r.ok ? { ok: true, body: r.body } : { ok: false, reason: r.error };
  }

  async function askStatus(): Promise<TpayStatus> {
    const r = await get(tpayStatusPath(terminalKey), Math.min(deps.timeoutMs, TPAY_STATUS_TIMEOUT_MS));
    const status: TpayStatus = r.ok ? parseTpayStatus(r.body) : { allowed: false, reason: `T-Pay status: ${r.reason}` };
    kept = { status, until: deps.now() + (status.allowed || r.ok ? TPAY_STATUS_TTL_MS : TPAY_STATUS_RETRY_MS) };
    return status;
  }

  /** One call at a time: forms opened together share it. */
  async function tpayStatus(): Promise<TpayStatus> {
    if (kept && deps.now() < kept.until) return kept.status;
    asking ??= askStatus().finally(() => (asking = null));
    return asking;
  }

  async function start(wallet: TbankWallet, payment: Payment, paymentId: string, dueAt: number): Promise<CreateResult> {
    let path: string;
    if (wallet === 'tpay') {
      const status = await tpayStatus();
      if (!status.allowed) return { kind: 'refused', reason: status.reason };
      path = tpayLinkPath(paymentId, status.version);
    } else {
      path = sberPayLinkPath(paymentId);
    }
    const r = await get(path);
    // Init went through: the session exists at T-Bank; without its link the outcome is not known.
    if (!r.ok) return { kind: 'unknown', reason: `T-Bank ${WALLET_NAMES[wallet]} link: ${r.reason}` };
    const link = parseWalletLink(r.body, wallet);
    if (link.kind === 'refused') return { kind: 'refused', reason: link.reason };
    if (link.kind === 'unreadable') return { kind: 'unknown', reason: link.reason };
    const action = qrInstructions(payment, dueAt, { payload: link.url, deepLink: link.url }, { wallet: WALLET_NAMES[wallet] });
    return { kind: 'started', action, providerPaymentId: paymentId, expiresAt: dueAt };
  }

  return { tpayAllowed: async () => (await tpayStatus()).allowed, start };
}
