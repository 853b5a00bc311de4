/**
 * The T-Bank emulator's T-Pay and SberPay: `GET /v2/TinkoffPay/terminals/{TerminalKey}/status`,
 * `GET /v2/TinkoffPay/transactions/{paymentId}/versions/{version}/link`, `GET /v2/TinkoffPay/{paymentId}/QR`,
 * `GET /v2/SberPay/transactions/{paymentId}/link`, `GET /v2/SberPay/{paymentId}/QR` (T-Bank's API
 * reference, «T-Pay» and «SberPay»; unsigned GETs, as T-Bank's iOS SDK sends them), and a "bank app"
 * page for each link (`/tpay/{paymentId}`, `/sberpay/{paymentId}`): what the app shows a buyer who
 * followed the link, with Pay and Decline. Written from the documentation, like the rest of the
 * emulator; it imports nothing of the connector.
 */
import type http from 'node:http';
import { renderSVG } from 'uqr';
import { escapeHtml, page, rubles } from './emulator-pages.ts';
import { MESSAGES, readBody } from './emulator-wire.ts';
import type { EmulatorPayment } from './emulator-types.ts';

/** What `TinkoffPay/terminals/{TerminalKey}/status` answers for a terminal (default: allowed, 2.0). */
export interface TpayTerminalStatus {
  allowed: boolean;
  /** `1.0` (e-invoice) or `2.0` (T-Pay), per the reference. */
  version?: '1.0' | '2.0';
}

/** What the wallet routes need of the emulator. */
export interface WalletHost {
  base(): string;
  knownTerminal(terminalKey: string): boolean;
  payment(paymentId: string): EmulatorPayment | undefined;
  /** Moves a session past its deadline to `DEADLINE_EXPIRED` first. */
  expireIfDue(p: EmulatorPayment): void;
  isOpen(p: EmulatorPayment): boolean;
  /** Sets the status and notifies (`CONFIRMED` also sets what the payment holds). */
  setStatus(p: EmulatorPayment, status: string, errorCode?: string): void;
}

export interface TbankWalletRoutes {
  /** Answers the request when it is one of these routes; false otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean>;
  setTpayStatus(terminalKey: string, status: TpayTerminalStatus): void;
  /** How many status calls were answered (tests check that the connector keeps the answer). */
  readonly statusCalls: number;
}

const APP_NAMES = { tpay: 'T-Pay (приложение Т-Банка, эмулятор)', sberpay: 'SberPay (приложение СберБанка, эмулятор)' } as const;
type Wallet = keyof typeof APP_NAMES;

/** @example const wallets = createTbankWalletRoutes(host); if (await wallets.handle(req, res, path)) return; */
export function createTbankWalletRoutes(host: WalletHost): TbankWalletRoutes {
  const tpay = new Map<string, TpayTerminalStatus>();
  let statusCalls = 0;

  function send(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): true {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
    return true;
  }
  const json = (res: http.ServerResponse, o: unknown): true => send(res, 200, 'application/json', JSON.stringify(o));
  const error = (code: string, details = ''): Record<string, unknown> => ({ Success: false, ErrorCode: code, Message: MESSAGES[code] ?? 'Ошибка', Details: details });
  const statusOf = (terminalKey: string): TpayTerminalStatus => tpay.get(terminalKey) ?? { allowed: true, version: '2.0' };
  const linkOf = (wallet: Wallet, p: EmulatorPayment): string => `${host.base()}/${wallet}/${p.paymentId}`;

  /** The link call: the session must be open; it is then paid in the app, not on the card form. */
  function link(wallet: Wallet, p: EmulatorPayment | undefined, version?: string): Record<string, unknown> {
    if (!p) return error('255');
    if (wallet === 'tpay') {
      const s = statusOf(p.terminalKey);
      if (!s.allowed) return error('1', 'T-Pay не подключен на терминале');
      if (version !== (s.version ?? '2.0')) return error('1', `версия T-Pay ${version ?? ''} недоступна на терминале`);
    }
    host.expireIfDue(p);
    if (!host.isOpen(p) || (p.method !== null && p.method !== wallet)) return error('8');
    p.method = wallet;
    const params: Record<string, string> = { RedirectUrl: linkOf(wallet, p) };
    if (wallet === 'tpay') params.WebQR = `${host.base()}/v2/TinkoffPay/${p.paymentId}/QR`;
    return { Success: true, ErrorCode: '0', Params: params };
  }

  /** `…/QR`: the link drawn as an SVG QR code (the reference: `image/svg`, «для десктопов»). */
  function qr(res: http.ServerResponse, wallet: Wallet, p: EmulatorPayment | undefined): true {
    if (!p || p.method !== wallet) return json(res, error('255'));
    return send(res, 200, 'image/svg+xml', renderSVG(linkOf(wallet, p)));
  }

  async function app(req: http.IncomingMessage, res: http.ServerResponse, wallet: Wallet, p: EmulatorPayment | undefined): Promise<true> {
    const html = (status: number, body: string): true => send(res, status, 'text/html; charset=utf-8', body);
    if (!p || p.method !== wallet) return html(404, page('Не найдено', '<h1>Платёж не найден</h1>'));
    host.expireIfDue(p);
    const title = APP_NAMES[wallet];
    if (!host.isOpen(p)) return html(410, page(title, `<h1>Платёж недоступен</h1><p>Статус: ${escapeHtml(p.status)}</p>`));
    if (req.method === 'GET') {
      if (p.status === 'NEW') p.status = 'FORM_SHOWED';
      return html(200, page(title, `<h1>${escapeHtml(title)}</h1><p>Магазин: терминал ${escapeHtml(p.terminalKey)}</p>`
        + `<p>Сумма: <strong>${escapeHtml(rubles(p.amount))}</strong></p><p>${escapeHtml(p.description)}</p>`
        + `<form method="post" action="/${wallet}/${p.paymentId}"><button type="submit" name="action" value="pay">Оплатить</button>`
        + '<button type="submit" name="action" value="decline">Отклонить</button></form>'));
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'Method Not Allowed');
    const form = new URLSearchParams((await readBody(req)) ?? '');
    const back = (url: string | undefined, text: string): string => (url ? `<p><a href="${escapeHtml(url)}">${text}</a></p>` : '');
    if (form.get('action') === 'pay') {
      // One-stage payments only through the apps here: straight to CONFIRMED.
      p.remaining = p.amount;
      host.setStatus(p, 'CONFIRMED');
      return html(200, page(title, `<h1>Оплачено</h1><p>${escapeHtml(rubles(p.amount))}</p>${back(p.successUrl, 'Вернуться в магазин')}`));
    }
    host.setStatus(p, 'REJECTED', '1006');
    return html(200, page(title, `<h1>Платёж отклонён</h1>${back(p.failUrl, 'Вернуться в магазин')}`));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    const parts = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const [a, b, c, d, e, f, g] = parts;
    if (a === 'tpay' || a === 'sberpay') {
      if (parts.length !== 2) return false;
      return app(req, res, a, host.payment(b ?? ''));
    }
    if (a !== 'v2' || (b !== 'TinkoffPay' && b !== 'SberPay')) return false;
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'Method Not Allowed', { allow: 'GET' });
    const wallet: Wallet = b === 'TinkoffPay' ? 'tpay' : 'sberpay';
    if (wallet === 'tpay' && c === 'terminals' && d && e === 'status' && parts.length === 5) {
      statusCalls++;
      if (!host.knownTerminal(d)) return json(res, error('501'));
      const s = statusOf(d);
      return json(res, { Success: true, ErrorCode: '0', Params: s.allowed ? { Allowed: true, Version: s.version ?? '2.0' } : { Allowed: false } });
    }
    if (c === 'transactions' && d) {
      if (wallet === 'tpay' && e === 'versions' && f && g === 'link' && parts.length === 7) return json(res, link('tpay', host.payment(d), f));
      if (wallet === 'sberpay' && e === 'link' && parts.length === 5) return json(res, link('sberpay', host.payment(d)));
    }
    if (c && d === 'QR' && parts.length === 4) return qr(res, wallet, host.payment(c));
    return json(res, error('9999', `unknown method ${path}`));
  }

  return {
    handle,
    setTpayStatus: (terminalKey, status) => void tpay.set(terminalKey, status),
    get statusCalls() {
      return statusCalls;
    },
  };
}
