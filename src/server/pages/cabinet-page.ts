/**
 * The cabinet page: a static shell rendered here, driven by `/assets/cabinet.js` over the cabinet
 * API. No inline script or style (strict CSP); the script's own words come in `data-strings`, so
 * the page speaks ru and en from one script. The overview's chart is uPlot, served by the gateway
 * itself (`/assets/vendor/uplot.js`), with the same figures in a table for screen readers.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { PAGE_CSP } from './pages.ts';

type Ln = 'ru' | 'en';

/** The page CSP, and no framing: a cabinet inside another site's frame could be clicked through. */
export const CABINET_CSP = `${PAGE_CSP}; frame-ancestors 'none'`;

const T = {
  ru: {
    title: 'Кабинет продавца', noscript: 'Кабинету нужен JavaScript.', nav: 'Разделы кабинета',
    login: 'Вход', key: 'API-ключ кабинета', keyHint: 'Ключ отправляется один раз; дальше вход держит защищённая cookie сессии. Ключ в странице не хранится.', enter: 'Войти',
    overview: 'Обзор', payments: 'Платежи', linksNav: 'Ссылка на оплату', testNav: 'Проверка интеграции', settingsNav: 'Настройки',
    logout: 'Выйти', filters: 'Поиск и фильтры', status: 'Статус', any: 'Любой', search: 'Поиск',
    searchHint: 'Номер заказа, идентификатор платежа (pay_…), e-mail покупателя или сумма', way: 'Способ оплаты',
    from: 'Создан с', to: 'по', show: 'Показать', more: 'Показать ещё', empty: 'Платежей не найдено.',
    number: '№', order: 'Заказ', amount: 'Сумма', notification: 'Уведомление PAY', created: 'Создан',
    caption: 'Платежи, новые сверху', back: 'К списку платежей',
    exportTitle: 'Выгрузка CSV', encoding: 'Кодировка', separator: 'Разделитель', comma: 'запятая', semicolon: 'точка с запятой', download: 'Скачать CSV',
    details: 'Сведения', attempts: 'Попытки доставки', attemptsCaption: 'Попытки доставки последнего уведомления',
    at: 'Время', http: 'HTTP', duration: 'Длительность, мс', verdict: 'Итог', excerpt: 'Ответ магазина',
    resend: 'Отправить уведомление повторно', timeline: 'Хронология', closingReceipt: 'Выбить чек полного расчёта',
    receiptsSettings: 'Фискальные чеки: настройки receipts в JSON (пусто — выключены), см. docs/CONFIGURATION.md',
    hold: 'Блокировка на карте', captureAmount: 'Сумма списания (пусто — вся)', holdReason: 'Причина (необязательно)', capture: 'Списать', voidHold: 'Снять блокировку',
    refunds: 'Возвраты', refundAmount: 'Сумма возврата', refundReason: 'Причина возврата (обязательно)', refund: 'Вернуть деньги',
    setStatus: 'Изменить статус вручную', newStatus: 'Новый статус', reason: 'Причина (обязательно, до 500 символов)',
    actor: 'Кто меняет (необязательно)', save: 'Сохранить статус', locked: 'Статус этого платежа вручную изменить нельзя.',
    audit: 'Журнал ручных действий', auditCaption: 'Кто, когда и почему менял платёж', who: 'Кто', action: 'Действие', change: 'Изменение',
    why: 'Причина',
    period: 'Период', turnover: 'Оборот по дням', turnoverCaption: 'Зачислено по дням и валютам', day: 'День',
    chartLabel: 'График оборота по дням', byStatus: 'Платежи по статусам', byStatusCaption: 'Платежи, созданные за период, по статусам', count: 'Количество',
    conversion: 'Конверсия', delivery: 'Доставка уведомлений PAY', attention: 'Требует внимания', totals: 'Итого за период',
    linkTitle: 'Ссылка на оплату', price: 'Сумма', ticker: 'Валюта', payFor: 'Номер заказа', note: 'Комментарий (необязательно)',
    urlSuccess: 'Адрес после оплаты (необязательно)', urlFail: 'Адрес при отказе (необязательно)', lang: 'Язык формы', build: 'Сделать ссылку',
    linkUrl: 'Подписанная ссылка', snippet: 'Код элемента <onpay-checkout>', snippetUrl: 'Адрес HTML-фрагмента формы',
    linkHint: 'Подпись md5 делается на сервере: секретный ключ в браузер не попадает.',
    testTitle: 'Проверка интеграции', testIntro: 'Шлюз отправит на ваш API URL шесть запросов: верный CHECK, CHECK с неверной подписью, CHECK для неизвестного заказа, PAY, тот же PAY повторно и PAY с неверной подписью. Запросы помечены параметром onpay_ap_gwtest=1.',
    testPayFor: 'Тестовый заказ (необязательно)', testAmount: 'Его сумма (необязательно)', run: 'Запустить проверку',
    testCaption: 'Результаты проверки', caseName: 'Проверка', time: 'Время, мс', hint: 'Подсказка',
    settingsTitle: 'Настройки', notificationsOn: 'Отправлять уведомления CHECK и PAY', apiUrl: 'API URL', apiType: 'Тип API', apiMethod: 'Метод (API 1)',
    notifyStyle: 'Формат PAY', duplicates: 'Повторная оплата оплаченного заказа', duplicatesFlag: 'отметить и сообщить', duplicatesRefund: 'отметить и вернуть деньги', origins: 'Разрешённые адреса сайтов (по одному в строке)', saveSettings: 'Сохранить настройки',
    settingsAudit: 'Журнал настроек', settingsAuditCaption: 'Изменения настроек, ключей и проверки интеграции', details2: 'Подробности',
    rotateKey: 'Новый ключ кабинета', rotateKeyHint: 'Старый ключ и другие сессии перестанут работать сразу.', rotateKeyButton: 'Выпустить новый ключ кабинета',
    rotateSecret: 'Новый секретный ключ K', graceHours: 'Сколько часов принимать ответы со старым K', rotateSecretButton: 'Выпустить новый K',
    shownOnce: 'Показывается один раз — сохраните его сейчас.', warnings: 'Предупреждения', testMode: 'Тестовый режим',
  },
  en: {
    title: 'Merchant cabinet', noscript: 'The cabinet needs JavaScript.', nav: 'Cabinet sections',
    login: 'Sign in', key: 'Cabinet API key', keyHint: 'The key is sent once; then a protected session cookie keeps you signed in. The page never stores the key.', enter: 'Sign in',
    overview: 'Overview', payments: 'Payments', linksNav: 'Payment link', testNav: 'Integration test', settingsNav: 'Settings',
    logout: 'Sign out', filters: 'Search and filters', status: 'Status', any: 'Any', search: 'Search',
    searchHint: 'Order number, payment id (pay_…), buyer e-mail or amount', way: 'Payment method',
    from: 'Created from', to: 'to', show: 'Show', more: 'Show more', empty: 'No payments found.',
    number: 'No.', order: 'Order', amount: 'Amount', notification: 'PAY notification', created: 'Created',
    caption: 'Payments, newest first', back: 'Back to payments',
    exportTitle: 'CSV export', encoding: 'Encoding', separator: 'Separator', comma: 'comma', semicolon: 'semicolon', download: 'Download CSV',
    details: 'Details', attempts: 'Delivery attempts', attemptsCaption: 'Delivery attempts of the latest notification',
    at: 'Time', http: 'HTTP', duration: 'Duration, ms', verdict: 'Verdict', excerpt: 'Shop answer',
    resend: 'Resend the notification', timeline: 'Timeline', closingReceipt: 'Issue the closing receipt (full payment)',
    receiptsSettings: 'Fiscal receipts: the receipts settings as JSON (empty: off), see docs/CONFIGURATION.md',
    hold: 'Money held on the card', captureAmount: 'Amount to capture (empty: all of it)', holdReason: 'Reason (optional)', capture: 'Capture', voidHold: 'Release the hold',
    refunds: 'Refunds', refundAmount: 'Amount to refund', refundReason: 'Reason for the refund (required)', refund: 'Refund',
    setStatus: 'Set the status by hand', newStatus: 'New status', reason: 'Reason (required, up to 500 characters)',
    actor: 'Who is changing it (optional)', save: 'Save the status', locked: 'This payment\'s status cannot be changed by hand.',
    audit: 'Log of manual actions', auditCaption: 'Who changed the payment, when and why', who: 'Who', action: 'Action', change: 'Change',
    why: 'Reason',
    period: 'Period', turnover: 'Turnover by day', turnoverCaption: 'Credited by day and currency', day: 'Day',
    chartLabel: 'Chart of the turnover by day', byStatus: 'Payments by status', byStatusCaption: 'Payments created in the period, by status', count: 'Count',
    conversion: 'Conversion', delivery: 'PAY delivery', attention: 'Needs attention', totals: 'Totals for the period',
    linkTitle: 'Payment link', price: 'Amount', ticker: 'Currency', payFor: 'Order number', note: 'Comment (optional)',
    urlSuccess: 'Address after paying (optional)', urlFail: 'Address after giving up (optional)', lang: 'Form language', build: 'Build the link',
    linkUrl: 'Signed link', snippet: 'The <onpay-checkout> element code', snippetUrl: 'URL of the form\'s HTML snippet',
    linkHint: 'The md5 is made on the server: the secret key never reaches the browser.',
    testTitle: 'Integration test', testIntro: 'The gateway sends six requests to your API URL: a correct CHECK, a CHECK with a wrong signature, a CHECK for an unknown order, a PAY, the same PAY again and a PAY with a wrong signature. They carry the parameter onpay_ap_gwtest=1.',
    testPayFor: 'Test order (optional)', testAmount: 'Its amount (optional)', run: 'Run the test',
    testCaption: 'Test results', caseName: 'Case', time: 'Time, ms', hint: 'Hint',
    settingsTitle: 'Settings', notificationsOn: 'Send CHECK and PAY notifications', apiUrl: 'API URL', apiType: 'API type', apiMethod: 'Method (API 1)',
    notifyStyle: 'PAY format', duplicates: 'An order paid again', duplicatesFlag: 'flag and tell', duplicatesRefund: 'flag and refund', origins: 'Allowed site origins (one per line)', saveSettings: 'Save the settings',
    settingsAudit: 'Settings log', settingsAuditCaption: 'Changes of settings and keys, and integration tests', details2: 'Details',
    rotateKey: 'New cabinet key', rotateKeyHint: 'The old key and other sessions stop working at once.', rotateKeyButton: 'Issue a new cabinet key',
    rotateSecret: 'New secret key K', graceHours: 'Hours to keep accepting answers signed with the old K', rotateSecretButton: 'Issue a new K',
    shownOnce: 'Shown once — save it now.', warnings: 'Warnings', testMode: 'Test mode',
  },
} as const;

/** What the script says; status names, messages. */
const SCRIPT_STRINGS = {
  ru: {
    statuses: { created: 'Создан', checking: 'Проверка магазином', awaiting_payment: 'Ожидает оплаты', paid: 'Оплачен', rejected: 'Отклонён', failed: 'Не оплачен', expired: 'Истёк', partially_refunded: 'Частично возвращён', refunded: 'Возвращён', authorized: 'Заблокирован на карте', partially_captured: 'Списан частично', voided: 'Блокировка снята' },
    notifications: { none: '—', pending: 'ожидает отправки', delivered: 'доставлено', retrying: 'повторяется', gave_up: 'не доставлено в API' },
    actions: { set_status: 'смена статуса', resend: 'повторная отправка', settings: 'настройки', rotate_cabinet_key: 'новый ключ кабинета', rotate_secret: 'новый K', integration_test: 'проверка интеграции', closing_receipt: 'чек полного расчёта' },
    kinds: { created: 'Создан', check_request: 'Запрос CHECK', check_answer: 'Ответ на CHECK', status: 'Статус', pay_written: 'Уведомление PAY', pay_attempt: 'Попытка PAY', manual: 'Вручную', paid_late: 'Оплачен с опозданием', refund: 'Возврат', provider_request: 'Запрос к платёжной системе', provider_notification: 'Уведомление платёжной системы', receipt: 'Чек' },
    attentionKinds: { duplicate: 'заказ оплачен повторно', gave_up: 'PAY не доставлено', amount_mismatch: 'сумма не совпала', provider_failed: 'отказ платёжной системы', receipt_failed: 'чек не зарегистрирован', hold_expiring: 'блокировка скоро истечёт' },
    holdUntil: 'Заблокировано {amount} {ticker} до {at}; за день до срока шлюз сам {policy}.', policyVoid: 'снимет блокировку', policyCapture: 'спишет всю сумму',
    captureConfirm: 'Списать {amount} {ticker} с карты покупателя?', voidConfirm: 'Снять блокировку {amount} {ticker}? Списать эти деньги будет уже нельзя.',
    capturedDone: 'Списано: {amount} {ticker}.', voidedDone: 'Блокировка снята.', holdPending: 'Отправлено в платёжную систему; результат придёт позже.',
    cases: { check_ok: 'Верный CHECK принят', check_bad_signature: 'CHECK с неверной подписью отклонён', check_unknown_order: 'CHECK неизвестного заказа отклонён', pay_ok: 'PAY принят', pay_repeat: 'Повторный PAY принят', pay_bad_signature: 'PAY с неверной подписью отклонён' },
    verdicts: { pass: 'пройдено', fail: 'ошибка', skipped: 'не выполнено' },
    closingDone: 'Чек полного расчёта: {status}.', receiptsInvalid: 'Настройки чеков — не JSON.',
    refundDone: 'Возврат оформлен: {amount} {ticker}.', refundPending: 'Возврат отправлен в платёжную систему: {amount} {ticker}.', refundedTotal: 'Возвращено: {refunded} из {amount} {ticker}.', refundStatuses: { pending: 'в обработке', succeeded: 'выполнен', failed: 'отказ' },
    day: 'День', manual: 'вручную', paidLate: 'оплачен с опозданием', paymentTitle: 'Платёж № {n}', loggedIn: 'Вы вошли как {name}.', loggedOut: 'Вы вышли.', loading: 'Загрузка…',
    shown: 'Показано платежей: {n}.', statusSet: 'Статус изменён: {status}.', resent: 'Уведомление поставлено в очередь на отправку.',
    badKey: 'Ключ не подошёл.', network: 'Сервер недоступен, попробуйте ещё раз.', noAttempts: 'Попыток ещё не было.', noAudit: 'Ручных действий не было.',
    warnings: {
      unsigned_unchecked: 'Внимание: ссылки на оплату не подписываются (md5 выключен) и CHECK не отправляется — кто угодно может создать заказ на любую сумму. Включите проверку md5 ссылок или CHECK.',
      short_secret: 'Внимание: секретный ключ K короче 16 символов — по одной подписанной ссылке его можно подобрать. Смените ключ (кнопка смены K ниже создаёт длинный).',
    },
    noNotification: 'Уведомление PAY не создавалось.', notificationState: 'Состояние: {state}. Попыток: {n}.',
    overviewShown: 'Обзор за период {from} — {to}.', noTurnover: 'За период оплат не было.', nothingToAttend: 'Всё в порядке: ничего не требует внимания.',
    conv: { created: 'Создано', paid: 'Оплачено', rate: 'Конверсия', duplicates: 'Повторные оплаты заказов', checkDeclined: 'Отказ магазина на CHECK', checkFailed: 'Сбой CHECK', failed: 'Не оплачено', expired: 'Истекло', waiting: 'Ожидают' },
    deliv: { pending: 'Ожидают отправки', retrying: 'Повторяются', gaveUp: 'Не доставлены в API', lastError: 'Последняя ошибка' },
    linkBuilt: 'Ссылка готова.', testDone: 'Проверка завершена: {n} из 6 пройдено.', testRunning: 'Проверка идёт…', settingsSaved: 'Настройки сохранены.',
    keyRotated: 'Новый ключ кабинета выпущен.', secretRotated: 'Новый K выпущен.', graceUntil: 'Старый K принимается до {t}.', request: 'Запрос', answer: 'Ответ', bytes: 'Байты',
    fields: { duplicateOf: 'Повторная оплата заказа, первый платёж', id: 'Идентификатор', payFor: 'Заказ', status: 'Статус', statusReason: 'Причина статуса', amount: 'К оплате', order: 'Сумма заказа', balance: 'Зачисляется', way: 'Способ оплаты', createdAt: 'Создан', paidAt: 'Оплачен', userEmail: 'E-mail покупателя', note: 'Комментарий' },
  },
  en: {
    statuses: { created: 'Created', checking: 'Checked by the shop', awaiting_payment: 'Awaiting payment', paid: 'Paid', rejected: 'Rejected', failed: 'Failed', expired: 'Expired', partially_refunded: 'Partially refunded', refunded: 'Refunded', authorized: 'Held on the card', partially_captured: 'Partly captured', voided: 'Hold released' },
    notifications: { none: '—', pending: 'waiting to be sent', delivered: 'delivered', retrying: 'retrying', gave_up: 'not delivered to the API' },
    actions: { set_status: 'status set', resend: 'resend', settings: 'settings', rotate_cabinet_key: 'new cabinet key', rotate_secret: 'new K', integration_test: 'integration test', closing_receipt: 'closing receipt' },
    kinds: { created: 'Created', check_request: 'CHECK request', check_answer: 'CHECK answer', status: 'Status', pay_written: 'PAY notification', pay_attempt: 'PAY attempt', manual: 'By hand', paid_late: 'Paid late', refund: 'Refund', provider_request: 'Request to the payment system', provider_notification: 'Payment system notification', receipt: 'Receipt' },
    attentionKinds: { duplicate: 'order paid again', gave_up: 'PAY not delivered', amount_mismatch: 'amount mismatch', provider_failed: 'refused by the payment system', receipt_failed: 'receipt not registered', hold_expiring: 'hold about to expire' },
    holdUntil: '{amount} {ticker} held until {at}; a day before, the gateway will {policy} by itself.', policyVoid: 'release it', policyCapture: 'capture all of it',
    captureConfirm: 'Capture {amount} {ticker} from the buyer\'s card?', voidConfirm: 'Release the hold of {amount} {ticker}? The money cannot be captured afterwards.',
    capturedDone: 'Captured: {amount} {ticker}.', voidedDone: 'The hold is released.', holdPending: 'Sent to the payment system; the outcome comes later.',
    cases: { check_ok: 'A correct CHECK is accepted', check_bad_signature: 'A CHECK with a wrong signature is refused', check_unknown_order: 'A CHECK for an unknown order is refused', pay_ok: 'A PAY succeeds', pay_repeat: 'The same PAY again succeeds', pay_bad_signature: 'A PAY with a wrong signature is refused' },
    verdicts: { pass: 'passed', fail: 'failed', skipped: 'not run' },
    closingDone: 'Closing receipt: {status}.', receiptsInvalid: 'The receipts settings are not JSON.',
    refundDone: 'Refunded: {amount} {ticker}.', refundPending: 'The refund is sent to the payment system: {amount} {ticker}.', refundedTotal: 'Refunded: {refunded} of {amount} {ticker}.', refundStatuses: { pending: 'pending', succeeded: 'done', failed: 'refused' },
    day: 'Day', manual: 'by hand', paidLate: 'paid late', paymentTitle: 'Payment No. {n}', loggedIn: 'Signed in as {name}.', loggedOut: 'Signed out.', loading: 'Loading…',
    shown: 'Payments shown: {n}.', statusSet: 'Status changed: {status}.', resent: 'The notification is queued for sending.',
    badKey: 'The key was not accepted.', network: 'The server is unreachable; try again.', noAttempts: 'No attempts yet.', noAudit: 'No manual actions.',
    warnings: {
      unsigned_unchecked: 'Warning: payment links are not signed (md5 off) and no CHECK is sent, so anyone can create an order at any price. Turn on link md5 or CHECK.',
      short_secret: 'Warning: the key K is shorter than 16 characters, so it can be found from one signed link. Rotate it (the K rotation below makes a long one).',
    },
    noNotification: 'No PAY notification was written.', notificationState: 'State: {state}. Attempts: {n}.',
    overviewShown: 'Overview of {from} — {to}.', noTurnover: 'No payments in the period.', nothingToAttend: 'All is well: nothing needs attention.',
    conv: { created: 'Created', paid: 'Paid', rate: 'Conversion', duplicates: 'Orders paid again', checkDeclined: 'Declined by the shop in CHECK', checkFailed: 'CHECK failed', failed: 'Failed', expired: 'Expired', waiting: 'Waiting' },
    deliv: { pending: 'Waiting to be sent', retrying: 'Retrying', gaveUp: 'Not delivered to the API', lastError: 'Last error' },
    linkBuilt: 'The link is ready.', testDone: 'Test finished: {n} of 6 passed.', testRunning: 'Testing…', settingsSaved: 'Settings saved.',
    keyRotated: 'A new cabinet key is issued.', secretRotated: 'A new K is issued.', graceUntil: 'The old K is accepted until {t}.', request: 'Request', answer: 'Answer', bytes: 'Bytes',
    fields: { duplicateOf: 'Order paid again; the first payment', id: 'Id', payFor: 'Order', status: 'Status', statusReason: 'Status reason', amount: 'To pay', order: 'Order amount', balance: 'Credited', way: 'Payment method', createdAt: 'Created', paidAt: 'Paid', userEmail: 'Buyer e-mail', note: 'Comment' },
  },
} as const;

const STATUS_OPTIONS = ['created', 'checking', 'awaiting_payment', 'paid', 'rejected', 'failed', 'expired'] as const;

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
<link rel="stylesheet" href="/assets/vendor/uplot.css">
<link rel="stylesheet" href="/assets/cabinet.css">
<script type="module" src="/assets/cabinet.js"></script>
</head>
<body class="cabinet">
<main id="cabinet" data-strings="${JSON.stringify(s)}">
<div class="bar">
<h1>${t.title}</h1>
<p id="account" hidden><span id="merchant-name"></span> <span id="test-mode" class="badge" hidden>${t.testMode}</span> <button type="button" id="logout" class="secondary">${t.logout}</button></p>
</div>
<nav id="nav" aria-label="${t.nav}" hidden>
<ul>
<li><a href="#overview" data-section="overview">${t.overview}</a></li>
<li><a href="#payments" data-section="payments">${t.payments}</a></li>
<li><a href="#links" data-section="links">${t.linksNav}</a></li>
<li><a href="#test" data-section="test">${t.testNav}</a></li>
<li><a href="#settings" data-section="settings">${t.settingsNav}</a></li>
</ul>
</nav>
<ul id="warnings" class="warn" aria-label="${t.warnings}" hidden></ul>
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

<section id="overview" aria-labelledby="overview-heading" hidden>
<h2 id="overview-heading" tabindex="-1">${t.overview}</h2>
<form id="period-form">
<fieldset>
<legend>${t.period}</legend>
<p><label for="o-from">${t.from}</label> <input id="o-from" name="from" type="date">
<label for="o-to">${t.to}</label> <input id="o-to" name="to" type="date"></p>
<p><button type="submit">${t.show}</button></p>
</fieldset>
</form>
<h3>${t.turnover}</h3>
<p id="totals"></p>
<div id="chart" class="chart" role="img" aria-label="${t.chartLabel}"></div>
<details>
<summary>${t.turnoverCaption}</summary>
<table id="turnover-table">
<caption>${t.turnoverCaption}</caption>
<thead id="turnover-head"></thead>
<tbody id="turnover-body"></tbody>
</table>
</details>
<div class="columns">
<div>
<h3>${t.byStatus}</h3>
<table id="status-table">
<caption>${t.byStatusCaption}</caption>
<thead><tr><th scope="col">${t.status}</th><th scope="col">${t.count}</th></tr></thead>
<tbody id="status-body"></tbody>
</table>
</div>
<div>
<h3>${t.conversion}</h3>
<dl id="conversion"></dl>
<h3>${t.delivery}</h3>
<dl id="delivery"></dl>
</div>
</div>
<h3>${t.attention}</h3>
<ul id="attention"></ul>
</section>

<section id="payments" aria-labelledby="payments-heading" hidden>
<h2 id="payments-heading" tabindex="-1">${t.payments}</h2>
<form id="filters">
<fieldset>
<legend>${t.filters}</legend>
<p class="wide"><label for="f-q">${t.search}</label><br><input id="f-q" name="q" maxlength="100" type="search" aria-describedby="f-q-hint"> <span id="f-q-hint" class="hint">${t.searchHint}</span></p>
<p><label for="f-status">${t.status}</label>
<select id="f-status" name="status">
<option value="">${t.any}</option>
${STATUS_OPTIONS.map((k) => html`<option value="${k}">${s.statuses[k]}</option>`)}
</select></p>
<p><label for="f-way">${t.way}</label> <input id="f-way" name="way" maxlength="3" size="4" pattern="[A-Za-z]{3}"></p>
<p><label for="f-from">${t.from}</label> <input id="f-from" name="from" type="date">
<label for="f-to">${t.to}</label> <input id="f-to" name="to" type="date"></p>
<p><button type="submit">${t.show}</button></p>
</fieldset>
</form>
<form id="export-form">
<fieldset>
<legend>${t.exportTitle}</legend>
<p><label for="x-encoding">${t.encoding}</label> <select id="x-encoding"><option value="utf-8">UTF-8</option><option value="windows-1251">Windows-1251</option></select></p>
<p><label for="x-separator">${t.separator}</label> <select id="x-separator"><option value=",">${t.comma}</option><option value=";">${t.semicolon}</option></select></p>
<p><a id="export" href="/api/v1/cabinet/payments.csv" download>${t.download}</a></p>
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
<p><a href="#payments" id="back">${t.back}</a></p>
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
<p><button type="button" id="closing-receipt" class="secondary" hidden>${t.closingReceipt}</button></p>

<section id="hold" aria-labelledby="hold-heading" hidden>
<h3 id="hold-heading">${t.hold}</h3>
<p id="hold-until"></p>
<form id="hold-form">
<p><label for="capture-amount">${t.captureAmount}</label> <input id="capture-amount" name="amount" inputmode="decimal" size="10" pattern="[0-9]+([.,][0-9]{1,2})?"></p>
<p><label for="hold-reason">${t.holdReason}</label><br><textarea id="hold-reason" name="reason" maxlength="500" rows="2"></textarea></p>
<p><button type="submit">${t.capture}</button> <button type="button" id="void-hold" class="secondary">${t.voidHold}</button></p>
</form>
</section>

<section id="refunds" aria-labelledby="refunds-heading" hidden>
<h3 id="refunds-heading">${t.refunds}</h3>
<p id="refunded-total"></p>
<table id="refunds-table">
<caption>${t.refunds}</caption>
<thead><tr><th scope="col">${t.at}</th><th scope="col">${t.amount}</th><th scope="col">${t.status}</th><th scope="col">${t.who}</th><th scope="col">${t.why}</th></tr></thead>
<tbody id="refunds-body"></tbody>
</table>
<form id="refund-form">
<p><label for="refund-amount">${t.refundAmount}</label> <input id="refund-amount" name="amount" required inputmode="decimal" size="10" pattern="[0-9]+([.,][0-9]{1,2})?"></p>
<p><label for="refund-reason">${t.refundReason}</label><br><textarea id="refund-reason" name="reason" required maxlength="500" rows="2"></textarea></p>
<p><button type="submit">${t.refund}</button></p>
</form>
</section>

<h3>${t.setStatus}</h3>
<form id="status-form">
<p><label for="new-status">${t.newStatus}</label> <select id="new-status" name="status" required></select></p>
<p><label for="reason">${t.reason}</label><br><textarea id="reason" name="reason" required maxlength="500" rows="3"></textarea></p>
<p><label for="actor">${t.actor}</label> <input id="actor" name="actor" maxlength="100" autocomplete="name"></p>
<p><button type="submit">${t.save}</button></p>
</form>
<p id="status-locked" hidden>${t.locked}</p>

<h3>${t.timeline}</h3>
<ol id="timeline" class="timeline"></ol>

<h3>${t.audit}</h3>
<table id="audit-table">
<caption>${t.auditCaption}</caption>
<thead><tr><th scope="col">${t.at}</th><th scope="col">${t.who}</th><th scope="col">${t.action}</th><th scope="col">${t.change}</th><th scope="col">${t.why}</th></tr></thead>
<tbody id="audit-body"></tbody>
</table>
<p id="audit-empty" hidden></p>
</section>

<section id="links" aria-labelledby="links-heading" hidden>
<h2 id="links-heading" tabindex="-1">${t.linkTitle}</h2>
<p class="hint">${t.linkHint}</p>
<form id="link-form">
<p><label for="l-price">${t.price}</label> <input id="l-price" name="price" required inputmode="decimal" pattern="[0-9]+([.,][0-9]{1,2})?" size="10">
<label for="l-ticker">${t.ticker}</label> <input id="l-ticker" name="ticker" value="RUR" maxlength="3" size="4" pattern="[A-Za-z]{3}"></p>
<p><label for="l-pay-for">${t.payFor}</label> <input id="l-pay-for" name="payFor" required maxlength="100"></p>
<p><label for="l-note">${t.note}</label> <input id="l-note" name="note" maxlength="255"></p>
<p><label for="l-url-success">${t.urlSuccess}</label> <input id="l-url-success" name="urlSuccess" type="url" maxlength="255"></p>
<p><label for="l-url-fail">${t.urlFail}</label> <input id="l-url-fail" name="urlFail" type="url" maxlength="255"></p>
<p><label for="l-ln">${t.lang}</label> <select id="l-ln" name="ln"><option value="ru">Русский</option><option value="en">English</option></select></p>
<p><button type="submit">${t.build}</button></p>
</form>
<div id="link-result" hidden>
<p><label for="link-url">${t.linkUrl}</label><br><textarea id="link-url" readonly rows="3"></textarea></p>
<p><label for="link-snippet">${t.snippet}</label><br><textarea id="link-snippet" readonly rows="5"></textarea></p>
<p><label for="link-snippet-url">${t.snippetUrl}</label><br><textarea id="link-snippet-url" readonly rows="3"></textarea></p>
</div>
</section>

<section id="test" aria-labelledby="test-heading" hidden>
<h2 id="test-heading" tabindex="-1">${t.testTitle}</h2>
<p>${t.testIntro}</p>
<form id="test-form">
<p><label for="t-pay-for">${t.testPayFor}</label> <input id="t-pay-for" name="payFor" maxlength="100">
<label for="t-amount">${t.testAmount}</label> <input id="t-amount" name="amount" inputmode="decimal" size="10" pattern="[0-9]+([.][0-9]{1,2})?"></p>
<p><button type="submit" id="run-test">${t.run}</button></p>
</form>
<table id="test-table" hidden>
<caption>${t.testCaption}</caption>
<thead><tr><th scope="col">${t.caseName}</th><th scope="col">${t.verdict}</th><th scope="col">${t.time}</th><th scope="col">${t.hint}</th></tr></thead>
<tbody id="test-body"></tbody>
</table>
</section>

<section id="settings" aria-labelledby="settings-heading" hidden>
<h2 id="settings-heading" tabindex="-1">${t.settingsTitle}</h2>
<form id="settings-form">
<p><input id="s-notifications" name="notifications" type="checkbox"> <label for="s-notifications">${t.notificationsOn}</label></p>
<p><label for="s-api-url">${t.apiUrl}</label><br><input id="s-api-url" name="apiUrl" type="url" maxlength="500" class="long"></p>
<p><label for="s-api-type">${t.apiType}</label> <select id="s-api-type" name="apiType"><option value="2">API 2 (JSON)</option><option value="1">API 1 (XML)</option></select>
<label for="s-api-method">${t.apiMethod}</label> <select id="s-api-method" name="apiMethod"><option value="POST">POST</option><option value="GET">GET</option></select></p>
<p><label for="s-notify-style">${t.notifyStyle}</label> <select id="s-notify-style" name="notifyStyle"><option value="onpay">Onpay</option><option value="webhooks">Standard Webhooks</option></select></p>
<p><label for="s-duplicates">${t.duplicates}</label> <select id="s-duplicates" name="duplicates"><option value="flag">${t.duplicatesFlag}</option><option value="refund">${t.duplicatesRefund}</option></select></p>
<p><label for="s-origins">${t.origins}</label><br><textarea id="s-origins" name="origins" rows="3"></textarea></p>
<p><label for="s-receipts">${t.receiptsSettings}</label><br><textarea id="s-receipts" name="receipts" rows="4" class="long" spellcheck="false"></textarea></p>
<p><label for="s-actor">${t.actor}</label> <input id="s-actor" name="actor" maxlength="100" autocomplete="name"></p>
<p><button type="submit">${t.saveSettings}</button></p>
</form>
<h3>${t.rotateKey}</h3>
<p class="hint">${t.rotateKeyHint}</p>
<p><button type="button" id="rotate-key" class="secondary">${t.rotateKeyButton}</button></p>
<div id="new-key-box" hidden><p><label for="new-key">${t.rotateKey}</label><br><input id="new-key" readonly class="long" aria-describedby="new-key-hint"></p><p id="new-key-hint" class="hint">${t.shownOnce}</p></div>
<h3>${t.rotateSecret}</h3>
<form id="secret-form">
<p><label for="grace-hours">${t.graceHours}</label> <input id="grace-hours" name="graceHours" type="number" min="0" max="720" value="24" required></p>
<p><button type="submit" class="secondary">${t.rotateSecretButton}</button></p>
</form>
<div id="new-secret-box" hidden><p><label for="new-secret">${t.rotateSecret}</label><br><input id="new-secret" readonly class="long" aria-describedby="new-secret-hint"></p><p id="new-secret-hint" class="hint">${t.shownOnce} <span id="grace-until"></span></p></div>
<h3>${t.settingsAudit}</h3>
<table id="settings-audit-table">
<caption>${t.settingsAuditCaption}</caption>
<thead><tr><th scope="col">${t.at}</th><th scope="col">${t.who}</th><th scope="col">${t.action}</th><th scope="col">${t.details2}</th></tr></thead>
<tbody id="settings-audit-body"></tbody>
</table>
</section>
</main>
</body>
</html>`;
}
