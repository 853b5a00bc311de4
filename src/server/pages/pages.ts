/**
 * Server-rendered pages: the hosted payment page (works without JavaScript; the element takes it
 * over when its script loads), the HTML snippet for merchants' servers, payment result and error
 * pages, and the sandbox card system's page. Every value goes through hono/html's escaping; pages
 * carry no inline script, so they work under a strict Content-Security-Policy.
 */
import { consentText, savedCardLabel } from '../../protocol/save-consent.ts';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { FormPayload, WayQuote } from '../../protocol/checkout-api.ts';
import { elementAttributes, linkQuery, type LinkParams } from '../../protocol/link.ts';
import type { Payment, PaymentAction } from '../types.ts';
import { formatAmount } from '../../protocol/money.ts';
import { formatDateTime, formatMoney } from '../../protocol/locale-format.ts';
import type { Language } from '../../protocol/languages.ts';
import { FAILURE_TEXT, PAGE_STRINGS } from './page-strings.ts';
import { checkCommentOf, failureReasonOf } from '../payments/failure.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
type Ln = Language;

const T = PAGE_STRINGS;

export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src *; form-action *; base-uri 'none'";

/** The element's script on the gateway's own pages: its content-hashed name when the build made one. */
export const DEFAULT_ELEMENT_SCRIPT = '/cdn/onpay-checkout.js';

/**
 * The element's chunk of the language `ln` beside its module `script` (vite.config.ts names them
 * `onpay-checkout.<ln>.js`), or null for Russian, which is in the module itself. Preloaded with the
 * module: with the payload in the page the element needs it before its first render, and would
 * otherwise ask for it only once the module has run, one round trip later.
 * @example languageChunk('/cdn/onpay-checkout.3f9a.js', 'kk') // '/cdn/onpay-checkout.kk.js'
 */
export function languageChunk(script: string, ln: Ln): string | null {
  return ln === 'ru' ? null : `${script.slice(0, script.lastIndexOf('/') + 1)}onpay-checkout.${ln}.js`;
}

/** The page shell: the gateway's style sheet, no inline script. */
export function layout(ln: Ln, title: string, body: Html, opts: { script?: string; head?: Html | string; css?: string } = {}): Html {
  return html`<!doctype html>
<html lang="${ln}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${opts.css === undefined ? html`<link rel="stylesheet" href="/assets/gateway.css">` : html`<style>${raw(opts.css)}</style>`}
${opts.head ?? ''}
${opts.script ? html`<script type="module" src="${opts.script}"></script>` : ''}
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

const attrs = (a: Record<string, string>, gateway?: string): Html =>
  html`${Object.entries({ ...(gateway ? { gateway } : {}), ...a }).map(([k, v]) => html` ${raw(k)}="${v}"`)}`;

/**
 * The order's waiting payment, resumed (the form payload's `pending`): its instructions, a link to
 * its live status page, and «Выбрать другой способ», a plain form that leaves it and comes back to
 * this page (`back`: the page's own link query).
 */
function pendingBlock(login: string, f: FormPayload, pending: NonNullable<FormPayload['pending']>, back: string, base: string): Html {
  const t = T[f.ln];
  return html`<div class="onpay-form onpay-pending">
<h1>${f.merchant.name}</h1>
${f.testMode ? html`<p class="badge">${t.testMode}</p>` : ''}
<p>${t.order}: <strong>${f.order.payFor}</strong></p>
${pending.action?.type === 'instructions' ? instructionsBlock(f.ln, pending.action) : ''}
<p><a href="${base}/payments/${pending.id}">${t.status}</a></p>
${pending.action ? html`<form method="post" action="${base}/pay/${encodeURIComponent(login)}/abandon">
<input type="hidden" name="token" value="${f.token}">
<input type="hidden" name="payment" value="${pending.id}">
<input type="hidden" name="back" value="${back}">
<p><button type="submit">${t.another}</button></p>
</form>` : ''}
</div>`;
}

/** «Включая комиссию 9,00 ₽» (or «Комиссию платит магазин») under a way with a fee, as the element says it. */
function feeLine(ln: Ln, w: WayQuote): Html | string {
  if (!w.fee) return '';
  const t = T[ln];
  return html`<br><small class="fee">${w.fee.payer === 'shop' ? t.feeShop : t.fee.replace('{fee}', formatMoney(w.fee.amount, w.ticker, ln))}</small>`;
}

/** A payment's amount as the buyer reads it in their language. */
export const moneyOf = (p: Payment): string => formatMoney(formatAmount(p.amountMinor), p.wayTicker, p.ln);

/**
 * The plain form: the no-JavaScript checkout, also the element's light-DOM fallback. `base` is the
 * gateway's origin on a page that is not the gateway's own (the snippet in a shop's page).
 */
function plainForm(login: string, f: FormPayload, idempotencyKey: string, back = '', base = ''): Html {
  const t = T[f.ln];
  if (f.pending) return pendingBlock(login, f, f.pending, back, base);
  return html`<form class="onpay-form" method="post" action="${base}/pay/${encodeURIComponent(login)}/continue">
<input type="hidden" name="token" value="${f.token}">
<input type="hidden" name="idempotency_key" value="${idempotencyKey}">
<h1>${f.merchant.name}</h1>
${f.testMode ? html`<p class="badge">${t.testMode}</p>` : ''}
<p>${t.order}: <strong>${f.order.payFor}</strong></p>
${f.order.note ? html`<p>${t.note}: ${f.order.note}</p>` : ''}
${f.order.mode === 'fix' ? html`<p>${t.amount}: <strong>${formatMoney(f.order.price, f.order.ticker, f.ln)}</strong></p>`
    : html`<p><label>${t.amount}, ${f.order.ticker}: <input name="amount" inputmode="decimal" required pattern="[0-9]+([.,][0-9]{1,2})?"></label></p>`}
<fieldset><legend>${t.choose}</legend>
${savedChoices(f)}
${f.ways.map((w, i) => html`<p><label><input type="radio" name="way" value="${w.code}" ${i === 0 && !f.savedMethods ? 'checked' : ''} required> ${w.title}${w.amount ? html` — <strong>${formatMoney(w.amount, w.ticker, f.ln)}</strong>` : ''}${feeLine(f.ln, w)}</label></p>`)}
</fieldset>
${consentBlock(f)}
<p><label>${t.email}: <input type="email" name="user_email" value="${f.userEmail}" maxlength="40"></label></p>
<p><button type="submit">${t.cont}</button></p>
</form>`;
}

/**
 * A returning customer's saved cards (issue 26), first among the choices and the first one chosen:
 * one radio of `way` each, `CRD:pm_…` (its way and id), which the gateway charges as the buyer's.
 */
function savedChoices(f: FormPayload): Html | '' {
  if (!f.savedMethods) return '';
  return html`${f.savedMethods.map((s, i) => html`<p><label><input type="radio" name="way" value="${s.way}:${s.id}" ${i === 0 ? 'checked' : ''} required> ${savedCardLabel(f.ln, s.last4 ?? '····')}</label></p>`)}`;
}

/**
 * The consent to save the card (issue 26) in the plain form: an unticked box, or for
 * `save_method=required` the condition stated (sent as accepted). The gateway takes it only for a way
 * that can save (the others are marked in the list, `canSave`).
 */
function consentBlock(f: FormPayload): Html | '' {
  if (!f.saveMethod) return '';
  return f.saveMethod === 'required'
    ? html`<p class="onpay-save">${consentText(f.ln, 'required')}<input type="hidden" name="save_consent" value="1"></p>`
    : html`<p class="onpay-save"><label><input type="checkbox" name="save_consent" value="1"> ${consentText(f.ln, 'optional')}</label></p>`;
}

/**
 * The form payload as the element's JSON child: data, not script (a strict CSP allows it), with `<`
 * escaped so that no text in it can end the element.
 */
export const payloadChild = (f: FormPayload): Html =>
  html`<script type="application/json" slot="payload">${raw(JSON.stringify(f).replace(/</g, '\\u003c'))}</script>`;

/**
 * The hosted payment page: the element over the plain form, with the payload it starts from (the
 * element upgrades the form in place, with no second request for what the page already holds). With
 * `css`, the stylesheet inline (the answer's CSP must then allow it: http/page-style.ts).
 */
export function hostedPage(login: string, f: FormPayload, link: LinkParams, md5: string | undefined, idempotencyKey: string, script = DEFAULT_ELEMENT_SCRIPT, css?: string): Html {
  const back = new URLSearchParams(linkQuery({ ...link, md5 })).toString();
  const chunk = languageChunk(script, f.ln);
  return layout(f.ln, `${T[f.ln].title} — ${f.merchant.name}`, html`<onpay-checkout${attrs(elementAttributes(login, { ...link, md5 }))}>
${payloadChild(f)}
${plainForm(login, f, idempotencyKey, back)}
</onpay-checkout>`, { script, ...(chunk ? { head: html`<link rel="modulepreload" href="${chunk}">` } : {}), ...(css !== undefined ? { css } : {}) });
}

/**
 * The HTML snippet a merchant's server pastes into its own page. With the payload, the picker is
 * rendered there already: the plain form (posting to the gateway) inside the element, which starts
 * from the payload child and keeps the form on show until its own picker renders, so the buyer can
 * choose at the page's first paint, before any request to the gateway. `script` is the element's
 * path on the gateway (its content-hashed name when the build made one: cached `immutable`).
 */
export function snippet(publicUrl: string, login: string, link: LinkParams, md5: string | undefined, payload?: FormPayload, idempotencyKey = '', script = DEFAULT_ELEMENT_SCRIPT): Html {
  const back = new URLSearchParams(linkQuery({ ...link, md5 })).toString();
  // Only with the payload: without it the element fetches it first, and the chunk can wait.
  const chunk = payload ? languageChunk(script, payload.ln) : null;
  return html`<script type="module" src="${publicUrl}${script}"></script>
${chunk ? html`<link rel="modulepreload" href="${publicUrl}${chunk}" crossorigin>
` : ''}<onpay-checkout${attrs(elementAttributes(login, { ...link, md5 }), publicUrl)}>
${payload ? html`${payloadChild(payload)}
${plainForm(login, payload, idempotencyKey, back, publicUrl)}` : html`<a href="${publicUrl}/pay/${encodeURIComponent(login)}?${back}">${T[link.ln].cont}</a>`}
</onpay-checkout>
`;
}

export function errorPage(ln: Ln, message: string, field?: string): Html {
  const t = T[ln];
  return layout(ln, t.error, html`<h1>${t.error}</h1><p role="alert" class="error">${message}</p>${field ? html`<p><code>${field}</code></p>` : ''}`);
}

function instructionsBlock(ln: Ln, a: Pick<Extract<PaymentAction, { type: 'instructions' }>, 'title' | 'amount' | 'ticker' | 'details' | 'expiresAt'>): Html {
  const t = T[ln];
  return html`<h2>${t.instructions}</h2>
<p>${a.title}</p>
<dl>
<dt>${t.amount}</dt><dd><strong>${formatMoney(a.amount, a.ticker, ln)}</strong></dd>
${a.details.map((d) => html`<dt>${d.label}</dt><dd><code>${d.value}</code></dd>`)}
<dt>${t.until}</dt><dd><time datetime="${a.expiresAt}">${formatDateTime(Date.parse(a.expiresAt), ln, 'UTC')} UTC</time></dd>
</dl>`;
}

/**
 * Why a payment ended without money, in the buyer's language, with the shop's CHECK comment; and the
 * two ways on: another method (a fresh form for the same order) or back to the shop's `url_fail`.
 */
function failureBlock(p: Payment, top = false): Html {
  const t = T[p.ln];
  const reason = failureReasonOf(p) ?? 'unknown';
  const comment = reason === 'check_declined' ? checkCommentOf(p) : undefined;
  const target = top ? raw(' target="_top"') : '';
  return html`<p class="error" role="alert" data-reason="${reason}">${FAILURE_TEXT[p.ln][reason]}</p>
${comment ? html`<p>${t.note}: ${comment}</p>` : ''}
<p><a href="/payments/${p.id}/retry"${target}>${t.tryOther}</a></p>
${p.urlFail ? html`<p><a href="${p.urlFail}"${target}>${t.toShop}</a></p>` : ''}`;
}

const ENDED_WITHOUT_MONEY = new Set(['failed', 'expired', 'rejected']);

/** The status page of a payment (no-JavaScript flow; refreshes itself while waiting). */
export function statusPage(p: Payment): Html {
  const t = T[p.ln];
  const label = { created: t.waiting, checking: t.waiting, awaiting_payment: t.waiting, paid: t.paid, failed: t.failed, expired: t.expired, rejected: t.rejected, partially_refunded: t.paid, refunded: t.paid, authorized: t.held, partially_captured: t.paid, voided: t.voided }[p.status];
  const waiting = p.status === 'awaiting_payment';
  const failed = ENDED_WITHOUT_MONEY.has(p.status);
  return layout(p.ln, t.status, html`<h1>${label}</h1>
<p>${t.order}: <strong>${p.payFor}</strong> — ${moneyOf(p)}</p>
${waiting && p.action?.type === 'instructions' ? instructionsBlock(p.ln, p.action) : ''}
${waiting ? html`<p><a href="/payments/${p.id}">${t.refresh}</a></p>` : ''}
${failed ? failureBlock(p) : ''}
${!waiting && !failed && p.urlSuccess ? html`<p><a href="${p.urlSuccess}">${t.toShop}</a></p>` : ''}`,
  { head: waiting ? html`<meta http-equiv="refresh" content="10">` : '' });
}

/** The plain form again for an order whose payment failed: the buyer picks another method (no JavaScript needed). */
export function retryPage(login: string, f: FormPayload, idempotencyKey: string): Html {
  return layout(f.ln, `${T[f.ln].title} — ${f.merchant.name}`, plainForm(login, f, idempotencyKey));
}

/** The sandbox card system's own page. */
export function cardPage(p: Payment): Html {
  const t = T[p.ln];
  return layout(p.ln, t.cardTitle, html`<h1>${t.cardTitle}</h1>
<p>${t.amount}: <strong>${moneyOf(p)}</strong></p>
<form method="post" action="/sandbox/card/${p.id}">
<p><label>${t.card}: <input name="card" value="4111 1111 1111 1111" autocomplete="off" readonly></label></p>
<p>${p.captureMode === 'manual'
    // A manual-capture payment is held, not charged: the test card authorises it (issue 25).
    ? html`<button type="submit" name="action" value="authorize">${t.authorize}</button>`
    : html`<button type="submit" name="action" value="pay">${t.pay}</button>`}
<button type="submit" name="action" value="decline">${t.decline}</button></p>
</form>`);
}

/**
 * Where the payment system returns the buyer, once the payment is final. In a frame or popup,
 * /assets/return.js posts the outcome to the element (only to the merchant's allowed origins). At top
 * level a paid payment goes on to the shop's success URL (a delayed refresh without JavaScript); a
 * failed one shows why, with another method or the shop's fail URL to choose.
 */
export function returnPage(p: Payment, targetOrigins: string[]): Html {
  const t = T[p.ln];
  // A hold (`authorized`) is the buyer's success too: the shop captures it later.
  const held = p.status === 'authorized';
  const paid = p.status === 'paid' || p.status === 'partially_refunded' || p.status === 'refunded' || p.status === 'partially_captured' || held;
  const next = (paid ? p.urlSuccess : p.urlFail) || `/payments/${p.id}`;
  const reason = paid ? undefined : failureReasonOf(p) ?? 'unknown';
  const title = held ? t.held : paid ? t.paid : t.failed;
  return layout(p.ln, title, html`<h1 data-onpay-result="${held ? 'authorized' : paid ? 'paid' : p.status}" data-id="${p.id}" data-next="${next}"${reason ? html` data-reason="${reason}"` : ''} data-origins="${targetOrigins.join(' ')}">${title}</h1>
${paid ? html`<p><a href="${next}" target="_top">${t.toShop}</a></p>` : failureBlock(p, true)}
<script src="/assets/return.js"></script>`,
  { head: paid ? html`<noscript><meta http-equiv="refresh" content="2;url=${next}"></noscript>` : '' });
}

/** How often the checking page looks again, and how many times before it stops guessing nothing and says so. */
export const RETURN_CHECK_EVERY_S = 3;
export const RETURN_CHECK_TIMES = 20;

/**
 * The return page while the provider still says pending: «Проверяем оплату…», looked at again every
 * few seconds by a `<meta http-equiv="refresh">` (no script, so it works under the CSP and without
 * JavaScript) until the payment is final; after `RETURN_CHECK_TIMES` looks, it says the payment is not
 * confirmed yet and offers the payment again or the shop — never the success URL.
 */
export function returnCheckingPage(p: Payment, providerId: string, attempt: number): Html {
  const t = T[p.ln];
  const self = (n: number) => `/providers/${encodeURIComponent(providerId)}/return/${p.id}?check=${n}`;
  if (attempt < RETURN_CHECK_TIMES) {
    return layout(p.ln, t.checking, html`<h1 role="status" data-onpay-checking="${p.id}">${t.checking}</h1>
<p>${t.checkingNote}</p>
<p>${t.order}: <strong>${p.payFor}</strong> — ${moneyOf(p)}</p>
<p><a href="${self(attempt + 1)}">${t.again}</a></p>`,
    { head: html`<meta http-equiv="refresh" content="${RETURN_CHECK_EVERY_S};url=${self(attempt + 1)}">` });
  }
  const back = p.action?.type === 'redirect' ? p.action.url : `/payments/${p.id}`;
  return layout(p.ln, t.notConfirmed, html`<h1 role="status" data-onpay-checking="${p.id}" data-timeout="">${t.notConfirmed}</h1>
<p>${t.notConfirmedNote}</p>
<p><a href="${back}" target="_top">${t.backToPay}</a></p>
<p><a href="${self(0)}">${t.again}</a></p>
${p.urlFail ? html`<p><a href="${p.urlFail}" target="_top">${t.toShop}</a></p>` : ''}`);
}

/**
 * The issuer's 3-D Secure for a charge (issue 26): a form POSTing the provider's fields to the
 * issuer's page, sent by /assets/autosubmit.js at once, or by the buyer's press without JavaScript.
 * The page's address carries the signed link: only the origin goes on as the referrer.
 */
export function threeDsPage(p: Payment, form: { url: string; fields: Record<string, string> }): Html {
  const t = T[p.ln];
  return layout(p.ln, t.title, html`<h1>${t.title}</h1>
<p>${t.order}: <strong>${p.payFor}</strong> — ${moneyOf(p)}</p>
<p>${t.toBank}</p>
<form method="post" action="${form.url}" data-autosubmit="">
${Object.entries(form.fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<p><button type="submit">${t.cont}</button></p>
</form>
<script src="/assets/autosubmit.js"></script>`, { head: html`<meta name="referrer" content="origin">` });
}
