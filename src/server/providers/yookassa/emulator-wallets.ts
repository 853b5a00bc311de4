/**
 * The YooKassa emulator's T-Pay (`tinkoff_bank`) and SberPay (`sberbank`): which confirmation each
 * takes (YooKassa's payment-method pages: T-Pay «Сценарий подтверждения: Redirect»; SberPay
 * «Redirect, External, Mobile application и QR-код», External — a push or SMS to a phone number — not
 * emulated), what `confirmation` looks like in the payment, and the bank app's page a buyer reaches by
 * the link (`/bank-app?orderId=…`), with Pay and Decline. Part of the emulator: nothing of the connector.
 */
import type { ServerResponse } from 'node:http';
import type { Shop } from './emulator-api.ts';
import type { EmuPayment } from './emulator-model.ts';

// Its own escaping: emulator-model.ts imports this file, so nothing but types comes back from it.
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Confirmation types the emulator takes. */
export type EmuConfirmation = 'redirect' | 'qr' | 'mobile_application';
export const EMU_CONFIRMATIONS: readonly string[] = ['redirect', 'qr', 'mobile_application'];

/** The bank apps behind the methods, and the confirmations their pages document. */
const APPS: Record<string, { name: string; confirmations: readonly EmuConfirmation[] }> = {
  tinkoff_bank: { name: 'T-Pay (приложение Т-Банка)', confirmations: ['redirect'] },
  sberbank: { name: 'SberPay (СберБанк Онлайн)', confirmations: ['redirect', 'qr', 'mobile_application'] },
  sbp: { name: 'СБП', confirmations: ['redirect', 'qr'] },
};

/**
 * Whether a method takes a confirmation type: `redirect` always; `qr` and `mobile_application`
 * only where the method's page lists them (a method chosen later on the page: `redirect` only).
 */
export function confirmationAllowed(method: string | null, type: EmuConfirmation): boolean {
  if (type === 'redirect') return true;
  return method !== null && (APPS[method]?.confirmations.includes(type) ?? false);
}

/** The page YooKassa's page sends the buyer to for a bank app, and what the QR code and the app link carry. */
export const bankAppUrl = (base: string, p: Pick<EmuPayment, 'id'>): string => `${base}/bank-app?orderId=${encodeURIComponent(p.id)}`;

/** `confirmation` of a pending payment: `redirect` to the page; `qr` with `confirmation_data`; `mobile_application` with the app link. */
export function renderConfirmation(p: EmuPayment, base: string): Record<string, unknown> {
  if (p.confirmation === 'qr') return { type: 'qr', confirmation_data: bankAppUrl(base, p) };
  if (p.confirmation === 'mobile_application') return { type: 'mobile_application', return_url: p.returnUrl, confirmation_url: bankAppUrl(base, p) };
  return { type: 'redirect', return_url: p.returnUrl, confirmation_url: `${base}/checkout/payments/v2/contract?orderId=${p.id}` };
}

/** What YooKassa's own page shows for a bank-app method: the link as a button (phone) and as text for a QR code (desktop). */
export function appChoice(p: EmuPayment, method: string, base: string): string | undefined {
  const app = APPS[method];
  if (!app || method === 'sbp') return undefined;
  const url = escapeHtml(bankAppUrl(base, p));
  return `<p>Отсканируйте QR-код камерой телефона или откройте приложение на телефоне.</p><p class="qr">${url}</p>`
    + `<p><a href="${url}">Открыть ${escapeHtml(app.name)}</a></p>`;
}

const STYLE = 'body{font:16px system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}button{font:inherit;padding:.6rem 1rem;margin:.8rem .5rem 0 0}';

function page(res: ServerResponse, status: number, title: string, inner: string): void {
  const html = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><p>Приложение банка (эмулятор ЮKassa), деньги не списываются.</p>${inner}</body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' });
  res.end(html);
}

/**
 * The bank app's page: GET shows the payment, POST `action=pay` pays it (`succeeded`), `decline`
 * cancels it (`canceled`, `payment_network` / `general_decline`), then back to `return_url` when the
 * payment has one (the app returns the buyer to the shop), else a page saying so.
 */
export function bankAppPage(shop: Shop, res: ServerResponse, p: EmuPayment | undefined, post: URLSearchParams | null): void {
  if (!p || p.method === null || !APPS[p.method]) return page(res, 404, 'Не найдено', '<h1>Платёж не найден</h1>');
  shop.expireIfDue(p);
  const app = APPS[p.method]!;
  if (p.status !== 'pending') return page(res, 410, app.name, `<h1>Платёж ${p.status === 'canceled' ? 'отменён' : 'уже оплачен'}</h1>`);
  if (post === null) {
    return page(res, 200, app.name, `<h1>${escapeHtml(app.name)}</h1><p>Сумма: <strong>${escapeHtml(shop.amountText(p))}</strong></p>`
      + (p.description ? `<p>${escapeHtml(p.description)}</p>` : '')
      + `<form method="post" action="/bank-app?orderId=${encodeURIComponent(p.id)}"><button name="action" value="pay" type="submit">Оплатить</button>`
      + '<button name="action" value="decline" type="submit">Отклонить</button></form>');
  }
  const paid = post.get('action') === 'pay';
  shop.finish(p, paid ? 'succeeded' : { party: 'payment_network', reason: 'general_decline' });
  if (p.returnUrl) {
    res.writeHead(303, { location: p.returnUrl, 'content-length': 0 });
    return void res.end();
  }
  page(res, 200, app.name, `<h1>${paid ? 'Оплачено' : 'Платёж отклонён'}</h1><p>Вернитесь на страницу магазина.</p>`);
}
