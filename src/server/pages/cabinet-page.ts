/**
 * The cabinet page: a static shell rendered here, driven by `/assets/cabinet.js` over the cabinet
 * API. No inline script or style (strict CSP); the script's own words come in `data-strings`, so
 * the page speaks ru and en from one script.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { PAGE_CSP } from './pages.ts';

type Ln = 'ru' | 'en';

/** The page CSP, and no framing: a cabinet inside another site's frame could be clicked through. */
export const CABINET_CSP = `${PAGE_CSP}; frame-ancestors 'none'`;

const T = {
  ru: {
    title: 'Кабинет продавца', noscript: 'Кабинету нужен JavaScript.',
    login: 'Вход', key: 'API-ключ кабинета', keyHint: 'Ключ хранится только в этой вкладке и забывается при её закрытии.', enter: 'Войти',
    payments: 'Платежи', logout: 'Выйти', filters: 'Фильтры', status: 'Статус', any: 'Любой', payFor: 'Номер заказа',
    from: 'Создан с', to: 'по', show: 'Показать', more: 'Показать ещё', empty: 'Платежей не найдено.',
    number: '№', order: 'Заказ', amount: 'Сумма', notification: 'Уведомление PAY', created: 'Создан',
    caption: 'Платежи, новые сверху', back: 'К списку платежей',
    details: 'Сведения', attempts: 'Попытки доставки', attemptsCaption: 'Попытки доставки последнего уведомления',
    at: 'Время', http: 'HTTP', duration: 'Длительность, мс', verdict: 'Итог', excerpt: 'Ответ магазина',
    resend: 'Отправить уведомление повторно',
    setStatus: 'Изменить статус вручную', newStatus: 'Новый статус', reason: 'Причина (обязательно, до 500 символов)',
    actor: 'Кто меняет (необязательно)', save: 'Сохранить статус', locked: 'Статус этого платежа вручную изменить нельзя.',
    audit: 'Журнал ручных действий', auditCaption: 'Кто, когда и почему менял платёж', who: 'Кто', action: 'Действие', change: 'Изменение',
    why: 'Причина', warnings: 'Предупреждения', testMode: 'Тестовый режим',
  },
  en: {
    title: 'Merchant cabinet', noscript: 'The cabinet needs JavaScript.',
    login: 'Sign in', key: 'Cabinet API key', keyHint: 'The key is kept in this tab only and forgotten when it closes.', enter: 'Sign in',
    payments: 'Payments', logout: 'Sign out', filters: 'Filters', status: 'Status', any: 'Any', payFor: 'Order number',
    from: 'Created from', to: 'to', show: 'Show', more: 'Show more', empty: 'No payments found.',
    number: 'No.', order: 'Order', amount: 'Amount', notification: 'PAY notification', created: 'Created',
    caption: 'Payments, newest first', back: 'Back to payments',
    details: 'Details', attempts: 'Delivery attempts', attemptsCaption: 'Delivery attempts of the latest notification',
    at: 'Time', http: 'HTTP', duration: 'Duration, ms', verdict: 'Verdict', excerpt: 'Shop answer',
    resend: 'Resend the notification',
    setStatus: 'Set the status by hand', newStatus: 'New status', reason: 'Reason (required, up to 500 characters)',
    actor: 'Who is changing it (optional)', save: 'Save the status', locked: 'This payment\'s status cannot be changed by hand.',
    audit: 'Log of manual actions', auditCaption: 'Who changed the payment, when and why', who: 'Who', action: 'Action', change: 'Change',
    why: 'Reason', warnings: 'Warnings', testMode: 'Test mode',
  },
} as const;

/** What the script says; status names, messages. */
const SCRIPT_STRINGS = {
  ru: {
    statuses: { created: 'Создан', checking: 'Проверка магазином', awaiting_payment: 'Ожидает оплаты', paid: 'Оплачен', rejected: 'Отклонён', failed: 'Не оплачен', expired: 'Истёк' },
    notifications: { none: '—', pending: 'ожидает отправки', delivered: 'доставлено', retrying: 'повторяется', gave_up: 'не доставлено в API' },
    actions: { set_status: 'смена статуса', resend: 'повторная отправка' },
    manual: 'вручную', paymentTitle: 'Платёж № {n}', loggedIn: 'Вы вошли как {name}.', loggedOut: 'Вы вышли.', loading: 'Загрузка…',
    shown: 'Показано платежей: {n}.', statusSet: 'Статус изменён: {status}.', resent: 'Уведомление поставлено в очередь на отправку.',
    badKey: 'Ключ не подошёл.', network: 'Сервер недоступен, попробуйте ещё раз.', noAttempts: 'Попыток ещё не было.', noAudit: 'Ручных действий не было.',
    warnings: { unsigned_unchecked: 'Внимание: ссылки на оплату не подписываются (md5 выключен) и CHECK не отправляется — кто угодно может создать заказ на любую сумму. Включите проверку md5 ссылок или CHECK.' },
    noNotification: 'Уведомление PAY не создавалось.', notificationState: 'Состояние: {state}. Попыток: {n}.',
    fields: { id: 'Идентификатор', payFor: 'Заказ', status: 'Статус', statusReason: 'Причина статуса', amount: 'К оплате', order: 'Сумма заказа', balance: 'Зачисляется', way: 'Способ оплаты', createdAt: 'Создан', paidAt: 'Оплачен', userEmail: 'E-mail покупателя', note: 'Комментарий' },
  },
  en: {
    statuses: { created: 'Created', checking: 'Checked by the shop', awaiting_payment: 'Awaiting payment', paid: 'Paid', rejected: 'Rejected', failed: 'Failed', expired: 'Expired' },
    notifications: { none: '—', pending: 'waiting to be sent', delivered: 'delivered', retrying: 'retrying', gave_up: 'not delivered to the API' },
    actions: { set_status: 'status set', resend: 'resend' },
    manual: 'by hand', paymentTitle: 'Payment No. {n}', loggedIn: 'Signed in as {name}.', loggedOut: 'Signed out.', loading: 'Loading…',
    shown: 'Payments shown: {n}.', statusSet: 'Status changed: {status}.', resent: 'The notification is queued for sending.',
    badKey: 'The key was not accepted.', network: 'The server is unreachable; try again.', noAttempts: 'No attempts yet.', noAudit: 'No manual actions.',
    warnings: { unsigned_unchecked: 'Warning: payment links are not signed (md5 off) and no CHECK is sent, so anyone can create an order at any price. Turn on link md5 or CHECK.' },
    noNotification: 'No PAY notification was written.', notificationState: 'State: {state}. Attempts: {n}.',
    fields: { id: 'Id', payFor: 'Order', status: 'Status', statusReason: 'Status reason', amount: 'To pay', order: 'Order amount', balance: 'Credited', way: 'Payment method', createdAt: 'Created', paidAt: 'Paid', userEmail: 'Buyer e-mail', note: 'Comment' },
  },
} as const;

/** The cabinet page in `ln`. */
export function cabinetPage(ln: Ln): HtmlEscapedString | Promise<HtmlEscapedString> {
  const t = T[ln];
  const s = SCRIPT_STRINGS[ln];
  return html`<!doctype html>
<html lang="${ln}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${t.title}</title>
<link rel="stylesheet" href="/assets/gateway.css">
<link rel="stylesheet" href="/assets/cabinet.css">
<script type="module" src="/assets/cabinet.js"></script>
</head>
<body class="cabinet">
<main id="cabinet" data-strings="${JSON.stringify(s)}">
<h1>${t.title}</h1>
<p id="message" class="message" role="status" aria-live="polite"></p>
<p id="error" class="error" role="alert"></p>
<noscript><p>${t.noscript}</p></noscript>

<section id="login" aria-labelledby="login-heading" hidden>
<h2 id="login-heading">${t.login}</h2>
<form id="login-form">
<p><label for="api-key">${t.key}</label><br>
<input id="api-key" name="key" type="password" autocomplete="current-password" required spellcheck="false" aria-describedby="api-key-hint"></p>
<p id="api-key-hint" class="hint">${t.keyHint}</p>
<p><button type="submit">${t.enter}</button></p>
</form>
</section>

<section id="payments" aria-labelledby="payments-heading" hidden>
<div class="bar">
<h2 id="payments-heading" tabindex="-1">${t.payments}</h2>
<p><span id="merchant-name"></span> <span id="test-mode" class="badge" hidden>${t.testMode}</span> <button type="button" id="logout" class="secondary">${t.logout}</button></p>
<ul id="warnings" class="warn" aria-label="${t.warnings}" hidden></ul>
</div>
<form id="filters">
<fieldset>
<legend>${t.filters}</legend>
<p><label for="f-status">${t.status}</label>
<select id="f-status" name="status">
<option value="">${t.any}</option>
${Object.entries(s.statuses).map(([k, v]) => html`<option value="${k}">${v}</option>`)}
</select></p>
<p><label for="f-pay-for">${t.payFor}</label> <input id="f-pay-for" name="pay_for" maxlength="100"></p>
<p><label for="f-from">${t.from}</label> <input id="f-from" name="from" type="date">
<label for="f-to">${t.to}</label> <input id="f-to" name="to" type="date"></p>
<p><button type="submit">${t.show}</button></p>
</fieldset>
</form>
<table id="payments-table">
<caption>${t.caption}</caption>
<thead><tr><th scope="col">${t.number}</th><th scope="col">${t.order}</th><th scope="col">${t.amount}</th><th scope="col">${t.status}</th><th scope="col">${t.notification}</th><th scope="col">${t.created}</th></tr></thead>
<tbody id="payments-body"></tbody>
</table>
<p id="payments-empty" hidden>${t.empty}</p>
<p><button type="button" id="more" class="secondary" hidden>${t.more}</button></p>
</section>

<section id="detail" aria-labelledby="detail-heading" hidden>
<p><a href="#" id="back">${t.back}</a></p>
<h2 id="detail-heading" tabindex="-1"></h2>
<h3>${t.details}</h3>
<dl id="detail-fields"></dl>

<h3>${t.notification}</h3>
<p id="notification-state"></p>
<table id="attempts-table">
<caption>${t.attemptsCaption}</caption>
<thead><tr><th scope="col">${t.at}</th><th scope="col">${t.http}</th><th scope="col">${t.duration}</th><th scope="col">${t.verdict}</th><th scope="col">${t.excerpt}</th></tr></thead>
<tbody id="attempts-body"></tbody>
</table>
<p id="attempts-empty" hidden></p>
<p><button type="button" id="resend">${t.resend}</button></p>

<h3>${t.setStatus}</h3>
<form id="status-form">
<p><label for="new-status">${t.newStatus}</label> <select id="new-status" name="status" required></select></p>
<p><label for="reason">${t.reason}</label><br><textarea id="reason" name="reason" required maxlength="500" rows="3"></textarea></p>
<p><label for="actor">${t.actor}</label> <input id="actor" name="actor" maxlength="100" autocomplete="name"></p>
<p><button type="submit">${t.save}</button></p>
</form>
<p id="status-locked" hidden>${t.locked}</p>

<h3>${t.audit}</h3>
<table id="audit-table">
<caption>${t.auditCaption}</caption>
<thead><tr><th scope="col">${t.at}</th><th scope="col">${t.who}</th><th scope="col">${t.action}</th><th scope="col">${t.change}</th><th scope="col">${t.why}</th></tr></thead>
<tbody id="audit-body"></tbody>
</table>
<p id="audit-empty" hidden></p>
</section>
</main>
</body>
</html>`;
}
