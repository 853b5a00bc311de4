/**
 * The YooKassa emulator's buyer pages at `/checkout/payments/v2/contract?orderId={id}`: when the
 * shop named no method, the choice among the methods the shop has on (as YooKassa's page offers
 * them); then the card form with YooKassa's test cards, the SBP "scan and pay" page or the YooMoney
 * wallet page; each returns the buyer to `return_url` (303). Part of the emulator: it imports
 * nothing of the connector.
 */
import type { ServerResponse } from 'node:http';
import type { Shop } from './emulator-api.ts';
import { DECLINE_CARDS, escapeHtml, type EmuPayment, SUCCESS_CARDS } from './emulator-model.ts';
import { appChoice } from './emulator-wallets.ts';

const PAGE_STYLE = 'body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}'
  + 'h1{font-size:1.4rem}label{display:block;margin:.6rem 0}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}'
  + 'button{font:inherit;padding:.6rem 1.2rem;margin:.8rem .5rem 0 0;cursor:pointer}.amount{font-size:1.6rem;font-weight:600}'
  + '.note{color:#555;font-size:.9rem}.qr{font-family:monospace;word-break:break-all;border:1px dashed #999;padding:.6rem}'
  + 'ul.methods{list-style:none;padding:0}ul.methods a{display:block;padding:.6rem;margin:.4rem 0;border:1px solid #999;border-radius:.4rem;color:inherit}';

const METHOD_TITLES: Record<string, string> = { bank_card: 'Банковская карта', sbp: 'СБП', yoo_money: 'ЮMoney', tinkoff_bank: 'T-Pay', sberbank: 'SberPay' };

function page(res: ServerResponse, status: number, title: string, content: string): void {
  const html = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>${escapeHtml(title)} — ЮKassa (эмулятор)</title><style>${PAGE_STYLE}</style></head><body>`
    + `<p class="note">ЮKassa — тестовый магазин (офлайн-эмулятор)</p><h1>${escapeHtml(title)}</h1>${content}</body></html>`;
  // YooKassa's redirect page is not meant to be framed (its embedded widget is a separate product).
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
    'cache-control': 'no-store',
  });
  res.end(html);
}

/** The buyer's pages of one emulator. */
export interface BuyerPages {
  show(res: ServerResponse, p: EmuPayment, chosen: string | null, error?: string): void;
  submit(res: ServerResponse, p: EmuPayment, form: URLSearchParams): void;
  notFound(res: ServerResponse): void;
}

/** @example const pages = createBuyerPages(shop, () => base); pages.show(res, payment, url.searchParams.get('method')); */
export function createBuyerPages(shop: Shop, base: () => string): BuyerPages {
  function back(res: ServerResponse, p: EmuPayment): void {
    res.writeHead(303, { location: p.returnUrl ?? '/', 'content-length': 0 });
    res.end();
  }

  function show(res: ServerResponse, p: EmuPayment, chosen: string | null, error?: string): void {
    shop.expireIfDue(p);
    const sum = `<p class="amount">${escapeHtml(shop.amountText(p))}</p>` + (p.description ? `<p>${escapeHtml(p.description)}</p>` : '');
    if (p.status !== 'pending') {
      const text = p.status === 'canceled' ? `Платёж отменён (${escapeHtml(p.cancellation?.reason ?? 'canceled')})` : 'Платёж прошёл';
      return page(res, 200, text, `${sum}<p><a href="${escapeHtml(p.returnUrl ?? '/')}">Вернуться в магазин</a></p>`);
    }
    const action = `/checkout/payments/v2/contract?orderId=${encodeURIComponent(p.id)}`;
    const method = p.method ?? (chosen && p.offered.includes(chosen) ? chosen : null);
    if (method === null) {
      // No `payment_method_data`: the buyer chooses among the shop's methods, as on YooKassa's page.
      const items = p.offered.map((m) => `<li><a href="${escapeHtml(`${action}&method=${encodeURIComponent(m)}`)}">${escapeHtml(METHOD_TITLES[m] ?? m)}</a></li>`).join('');
      return page(res, 200, 'Выберите способ оплаты', `${sum}<ul class="methods">${items}</ul>`);
    }
    const err = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
    const hidden = `<input type="hidden" name="method" value="${escapeHtml(method)}">`;
    const refuse = '<button name="action" value="cancel" type="submit" formnovalidate>Отказаться</button></form>';
    if (p.savedMethodId !== null) {
      // A saved method whose issuer asked for 3-D Secure: the buyer confirms it here.
      const card = p.card ? `<p>Карта *${escapeHtml(p.card.slice(-4))}</p>` : '';
      return page(res, 200, 'Подтверждение 3-D Secure', `${sum}${err}${card}`
        + `<form method="post" action="${escapeHtml(action)}">${hidden}<button name="action" value="pay" type="submit">Подтвердить</button>${refuse}`);
    }
    if (method === 'bank_card') {
      return page(res, 200, 'Оплата картой', `${sum}${err}<form method="post" action="${escapeHtml(action)}">${hidden}`
        + '<label>Номер карты <input name="card" inputmode="numeric" autocomplete="cc-number" required></label>'
        + '<label>Срок действия (ММ/ГГ) <input name="expiry" autocomplete="cc-exp" placeholder="12/30" required></label>'
        + '<label>CVC <input name="cvc" inputmode="numeric" autocomplete="cc-csc" required></label>'
        + `<button name="action" value="pay" type="submit">Заплатить</button>${refuse}`
        + '<p class="note">Тестовые карты ЮKassa: 5555 5555 5555 4477 — успех, 5555 5555 5555 4600 — недостаточно средств, '
        + '5555 5555 5555 4592 — 3-D Secure не пройден. Срок — любая будущая дата, CVC — любые цифры.</p>');
    }
    const app = appChoice(p, method, base());
    if (app) return page(res, 200, `Оплата через ${METHOD_TITLES[method] ?? method}`, `${sum}${err}${app}<form method="post" action="${escapeHtml(action)}">${hidden}${refuse}`);
    if (method === 'sbp') {
      return page(res, 200, 'Оплата через СБП', `${sum}${err}<p>Отсканируйте QR-код в приложении банка или выберите банк на телефоне.</p>`
        + `<p class="qr">${escapeHtml(`${base()}${action}`)}</p><form method="post" action="${escapeHtml(action)}">${hidden}`
        + `<button name="action" value="pay" type="submit">Оплатить в приложении банка (тест)</button>${refuse}`);
    }
    return page(res, 200, 'Оплата из кошелька ЮMoney', `${sum}${err}<form method="post" action="${escapeHtml(action)}">${hidden}`
      + '<p>Тестовый кошелёк: платёж проходит без настоящего кошелька.</p>'
      + `<button name="action" value="pay" type="submit">Заплатить</button>${refuse}`);
  }

  function submit(res: ServerResponse, p: EmuPayment, form: URLSearchParams): void {
    shop.expireIfDue(p);
    if (p.status !== 'pending') return back(res, p);
    const act = form.get('action');
    const chosen = form.get('method');
    const method = p.method ?? (chosen && p.offered.includes(chosen) ? chosen : null);
    if (act === 'cancel') {
      shop.finish(p, { party: 'merchant', reason: 'canceled_by_merchant' });
      return back(res, p);
    }
    if (act !== 'pay' || method === null) return show(res, p, method, 'Выберите действие');
    if (method === 'bank_card' && p.savedMethodId === null) {
      const card = (form.get('card') ?? '').replace(/[\s-]/g, '');
      if (!/^\d{12,19}$/.test(card)) return show(res, p, method, 'Проверьте номер карты');
      if (!/^(0[1-9]|1[0-2])\/?\d{2}$/.test((form.get('expiry') ?? '').replace(/\s/g, ''))) return show(res, p, method, 'Проверьте срок действия');
      if (!/^\d{3,4}$/.test(form.get('cvc') ?? '')) return show(res, p, method, 'Проверьте CVC');
      p.method = method;
      p.card = card;
      // Only the published test cards pay in a test shop; any other number is declined.
      shop.finish(p, DECLINE_CARDS[card] ?? (SUCCESS_CARDS.includes(card) ? 'succeeded' : { party: 'payment_network', reason: 'general_decline' }));
      return back(res, p);
    }
    p.method = method;
    shop.finish(p, 'succeeded');
    back(res, p);
  }

  return { show, submit, notFound: (res) => page(res, 404, 'Платёж не найден', '<p>Проверьте ссылку.</p>') };
}
