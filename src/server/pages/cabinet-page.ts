/**
 * The cabinet page: a static shell rendered here, driven by `/assets/cabinet.js` over the cabinet
 * API. No inline script or style (strict CSP); the script's own words come in `data-strings`, so
 * the page speaks every language of ./cabinet-strings/ from one script, with a switch on the page. The overview's chart is uPlot, served by the gateway
 * itself (`/assets/vendor/uplot.js`), with the same figures in a table for screen readers.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { PAGE_CSP } from './pages.ts';
import { CABINET_MESSAGES, type CabinetLanguage, type CabinetMessages } from './cabinet-strings/index.ts';
import { resolveLanguage } from '../../protocol/languages.ts';
import type { CabinetWay } from '../cabinet/ways.ts';

type Ln = CabinetLanguage;

/** Each language by its own name, for the switch (and the link builder's form language). */
const LANGUAGE_NAMES: Record<Ln, string> = {
  ru: 'Русский', en: 'English', uk: 'Українська', kk: 'Қазақша', be: 'Беларуская', uz: 'Oʻzbekcha', de: 'Deutsch',
};

/** The cabinet's language for a requested one, by the gateway's rule (languages.ts): Russian when none. */
export const cabinetLanguage = (asked: string | null | undefined): Ln => resolveLanguage(asked);

/** The page CSP, and no framing: a cabinet inside another site's frame could be clicked through. */
export const CABINET_CSP = `${PAGE_CSP}; frame-ancestors 'none'`;

const STATUS_OPTIONS = ['created', 'checking', 'awaiting_payment', 'paid', 'rejected', 'failed', 'expired'] as const;

/**
 * A customer's saved cards (issue 26): searched by the shop's customer id, each removable after a
 * confirmation (/assets/cabinet-customers.js over `/api/v1/customers/{customer}/methods`).
 */
function savedSection(t: CabinetMessages['page']['saved'], show: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<section id="customers" aria-labelledby="customers-heading" hidden>
<h2 id="customers-heading" tabindex="-1">${t.nav}</h2>
<form id="customer-form">
<p><label for="c-customer">${t.customer}</label><br><input id="c-customer" name="customer" maxlength="64" required spellcheck="false" autocomplete="off"> <button type="submit">${show}</button></p>
</form>
<table id="methods-table" hidden>
<caption>${t.caption}</caption>
<thead><tr><th scope="col">${t.card}</th><th scope="col">${t.way}</th><th scope="col">${t.expiry}</th><th scope="col">${t.createdAt}</th><th scope="col">${t.lastUsedAt}</th><th scope="col">${t.actions}</th></tr></thead>
<tbody id="methods-body"></tbody>
</table>
<p id="methods-none" hidden>${t.none}</p>
</section>`;
}

/** The cabinet page in `ln`. */
export function cabinetPage(ln: Ln, ways: readonly CabinetWay[] = []): HtmlEscapedString | Promise<HtmlEscapedString> {
  // The shell's words and the script's, in the page's language (one table: ./cabinet-strings/).
  const { page: t, script: s } = CABINET_MESSAGES[ln];
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
<main id="cabinet" data-strings="${JSON.stringify(s)}" data-ways="${JSON.stringify(ways)}">
<div class="bar">
<h1>${t.title}</h1>
<nav id="languages" aria-label="${t.language}"><ul>
${(Object.keys(LANGUAGE_NAMES) as Ln[]).map((l) => html`<li><a href="?ln=${l}" lang="${l}" hreflang="${l}"${l === ln ? html` aria-current="true"` : ''}>${LANGUAGE_NAMES[l]}</a></li>`)}
</ul></nav>
<p id="account" hidden><span id="merchant-name"></span> <span id="test-mode" class="badge" hidden>${t.testMode}</span> <button type="button" id="logout" class="secondary">${t.logout}</button></p>
</div>
<nav id="nav" aria-label="${t.nav}" hidden>
<ul>
<li><a href="#overview" data-section="overview">${t.overview}</a></li>
<li><a href="#payments" data-section="payments">${t.payments}</a></li>
<li><a href="#links" data-section="links">${t.linksNav}</a></li>
<li><a href="#test" data-section="test">${t.testNav}</a></li>
<li><a href="#settings" data-section="settings">${t.settingsNav}</a></li>
<li><a href="#customers" data-section="customers">${t.saved.nav}</a></li>
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
<h3>${t.heldTitle}</h3>
<table id="holds-table" hidden>
<caption>${t.heldCaption}</caption>
<thead><tr><th scope="col">${t.number}</th><th scope="col">${t.order}</th><th scope="col">${t.amount}</th><th scope="col">${t.heldDeadline}</th></tr></thead>
<tbody id="holds-body"></tbody>
</table>
<p id="holds-empty">${t.heldEmpty}</p>
</section>

${savedSection(t.saved, t.show)}

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
<p><label for="f-way">${t.way}</label>
<select id="f-way" name="way">
<option value="">${t.any}</option>
${ways.map((w) => html`<option value="${w.code}">${w.title}</option>`)}
</select></p>
<p><label for="f-from">${t.from}</label> <input id="f-from" name="from" type="date">
<label for="f-to">${t.to}</label> <input id="f-to" name="to" type="date"></p>
<p><button type="submit">${t.show}</button></p>
</fieldset>
</form>
<form id="export-form">
<fieldset>
<legend>${t.exportTitle}</legend>
<p><label for="x-profile">${t.csvProfile}</label> <select id="x-profile" aria-describedby="x-profile-hint"><option value="excel">${t.csvExcel}</option><option value="machine">${t.csvMachine}</option></select></p>
<p id="x-profile-hint" class="hint">${t.csvHint}</p>
<p><a id="export" href="/api/v1/cabinet/payments.csv" download>${t.download}</a></p>
</fieldset>
</form>
<table id="payments-table">
<caption>${t.caption}</caption>
<thead><tr><th scope="col">${t.number}</th><th scope="col">${t.order}</th><th scope="col">${t.amount}</th><th scope="col">${t.way}</th><th scope="col">${t.status}</th><th scope="col">${t.notification}</th><th scope="col">${t.created}</th></tr></thead>
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
<p><label for="l-ln">${t.lang}</label> <select id="l-ln" name="ln">${(Object.keys(LANGUAGE_NAMES) as Ln[]).map((l) => html`<option value="${l}" lang="${l}"${l === ln ? html` selected` : ''}>${LANGUAGE_NAMES[l]}</option>`)}</select></p>
<p><button type="submit">${t.build}</button></p>
</form>
<div id="link-result" hidden>
<p><label for="link-url">${t.linkUrl}</label><br><textarea id="link-url" readonly rows="3"></textarea><br>
<button type="button" class="secondary copy" data-copy="link-url">${t.copy}</button> <button type="button" class="secondary" id="link-qr-button" aria-expanded="false" aria-controls="link-qr">${t.qr}</button></p>
<figure id="link-qr" class="qr" hidden><div id="link-qr-code" role="img" aria-label="${t.qrLabel}"></div><figcaption>${t.qrLabel}</figcaption></figure>
<p><label for="link-snippet">${t.snippet}</label><br><textarea id="link-snippet" readonly rows="5"></textarea><br>
<button type="button" class="secondary copy" data-copy="link-snippet">${t.copy}</button></p>
<p><label for="link-snippet-url">${t.snippetUrl}</label><br><textarea id="link-snippet-url" readonly rows="3"></textarea><br>
<button type="button" class="secondary copy" data-copy="link-snippet-url">${t.copy}</button></p>
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
<dialog id="confirm" aria-labelledby="confirm-text">
<form method="dialog">
<p id="confirm-text"></p>
<p class="actions"><button type="submit" value="cancel" id="confirm-cancel" class="secondary">${t.cancel}</button> <button type="submit" value="ok" id="confirm-ok">${t.confirm}</button></p>
</form>
</dialog>
</main>
</body>
</html>`;
}
