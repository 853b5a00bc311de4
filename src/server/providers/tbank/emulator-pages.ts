/**
 * The HTML of the T-Bank emulator's buyer pages: the card form at `PaymentURL`, the issuer's 3-D
 * Secure page, the SBP "scan and pay" page of a bank app. Pure: text in, HTML out.
 */

/** T-Bank's test cards (the «Тестирование и тестовые карты» section), and what each does here. */
export const TEST_CARDS: readonly { pan: string; outcome: 'success' | '3ds_challenge' | 'decline' | '3ds_reject'; errorCode: string; note: string }[] = [
  { pan: '2200770239097761', outcome: 'success', errorCode: '0', note: 'успешная оплата без 3DS' },
  { pan: '2201382000000013', outcome: 'success', errorCode: '0', note: '3DS 2.0 frictionless, успешная оплата' },
  { pan: '2201382000000039', outcome: 'success', errorCode: '0', note: '3DS 2.0 attempt, успешная оплата' },
  { pan: '4300000000000777', outcome: 'success', errorCode: '0', note: 'успешная оплата (карта старой тестовой среды)' },
  { pan: '2201382000000047', outcome: '3ds_challenge', errorCode: '0', note: '3DS 2.0 challenge, пароль 1qwezxc' },
  { pan: '2201382000000021', outcome: 'decline', errorCode: '1006', note: 'ошибка при списании' },
  { pan: '2201382000000831', outcome: 'decline', errorCode: '1051', note: 'недостаточно средств' },
  { pan: '2201382000000005', outcome: '3ds_reject', errorCode: '101', note: '3DS 2.0: эмитент отклонил аутентификацию' },
];
export const ACS_PASSCODE = '1qwezxc';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Kopecks as «1 200.00 ₽»-like text for the pages. */
export function rubles(kopecks: number): string {
  return `${Math.floor(kopecks / 100)}.${String(kopecks % 100).padStart(2, '0')} ₽`;
}

/** A whole page around `inner`. */
export function page(title: string, inner: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.6rem 0}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}button{font:inherit;padding:.6rem 1rem;margin:.8rem .5rem 0 0}table{border-collapse:collapse;font-size:.85rem}td{padding:.15rem .4rem;border-bottom:1px solid #ddd}.note{color:#555;font-size:.9rem}</style>
</head><body><p class="note">Эмулятор Т-Банка (интернет-эквайринг) — тестовая среда, деньги не списываются.</p>${inner}</body></html>`;
}

/** The card form of one payment session (`/new/{formId}`). */
export function cardFormPage(formId: string, amount: number, description: string, message = ''): string {
  const cards = TEST_CARDS.map((c) => `<tr><td><code>${c.pan}</code></td><td>${escapeHtml(c.note)}</td></tr>`).join('');
  return page('Оплата картой', `<h1>Оплата ${escapeHtml(rubles(amount))}</h1><p>${escapeHtml(description)}</p>
${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/new/${formId}/pay">
<label>Номер карты <input name="pan" inputmode="numeric" autocomplete="cc-number" required></label>
<label>Срок действия (ММ/ГГ) <input name="exp" value="12/30" autocomplete="cc-exp" required></label>
<label>CVV <input name="cvv" value="123" inputmode="numeric" autocomplete="cc-csc" required></label>
<button type="submit">Оплатить</button></form>
<form method="post" action="/new/${formId}/cancel"><button type="submit">Отменить</button></form>
<h2>Тестовые карты</h2><table>${cards}</table>`);
}

/** The issuer's challenge (ACS) page. */
export function acsPage(formId: string): string {
  return page('3-D Secure', `<h1>Подтверждение платежа</h1><p>Банк-эмитент (ACS эмулятора). Пароль: <code>${ACS_PASSCODE}</code></p>
<form method="post" action="/new/${formId}/acs"><label>Одноразовый пароль <input name="otp" autocomplete="one-time-code" required></label><button type="submit">Подтвердить</button></form>`);
}

/** A session that can no longer be paid. */
export function finishedPage(paid: boolean, status: string): string {
  return page('Платёж', `<h1>Платёж ${paid ? 'уже оплачен' : 'недоступен'}</h1><p>Статус: ${escapeHtml(status)}</p>`);
}

/** The buyer's bank app after scanning the SBP code. */
export function sbpPage(qrId: string, terminalKey: string, amount: number, description: string): string {
  return page('СБП', `<h1>Оплата по QR-коду СБП</h1><p>Банк покупателя (эмулятор). Получатель: терминал ${escapeHtml(terminalKey)}</p><p>Сумма: <strong>${escapeHtml(rubles(amount))}</strong></p><p>${escapeHtml(description)}</p>
<form method="post" action="/sbp/${qrId}"><button type="submit" name="action" value="pay">Оплатить</button><button type="submit" name="action" value="decline">Отклонить</button></form>`);
}

export const notFoundPage = (what: string): string => page('Не найдено', `<h1>${escapeHtml(what)} не найден</h1>`);
