/**
 * Server-rendered pages: the hosted payment page (works without JavaScript; the element takes it
 * over when its script loads), the HTML snippet for merchants' servers, payment result and error
 * pages, and the sandbox card system's page. Every value goes through hono/html's escaping; pages
 * carry no inline script, so they work under a strict Content-Security-Policy.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { FormPayload } from '../../protocol/checkout-api.ts';
import { elementAttributes, linkQuery, type LinkParams } from '../../protocol/link.ts';
import type { Payment, PaymentAction } from '../types.ts';
import { formatAmount } from '../../protocol/money.ts';
import type { Language } from '../../protocol/languages.ts';
import { PAGE_STRINGS } from './page-strings.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
type Ln = Language;

const T = PAGE_STRINGS;

export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src *; form-action *; base-uri 'none'";

/** The element's script on the gateway's own pages: its content-hashed name when the build made one. */
export const DEFAULT_ELEMENT_SCRIPT = '/cdn/onpay-checkout.js';

function layout(ln: Ln, title: string, body: Html, opts: { script?: string; head?: Html | string; css?: string } = {}): Html {
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

/** The plain form: the no-JavaScript checkout, also the element's light-DOM fallback. */
function plainForm(login: string, f: FormPayload, idempotencyKey: string): Html {
  const t = T[f.ln];
  return html`<form class="onpay-form" method="post" action="/pay/${encodeURIComponent(login)}/continue">
<input type="hidden" name="token" value="${f.token}">
<input type="hidden" name="idempotency_key" value="${idempotencyKey}">
<h1>${f.merchant.name}</h1>
${f.testMode ? html`<p class="badge">${t.testMode}</p>` : ''}
<p>${t.order}: <strong>${f.order.payFor}</strong></p>
${f.order.note ? html`<p>${t.note}: ${f.order.note}</p>` : ''}
${f.order.mode === 'fix' ? html`<p>${t.amount}: <strong>${f.order.price} ${f.order.ticker}</strong></p>`
    : html`<p><label>${t.amount}, ${f.order.ticker}: <input name="amount" inputmode="decimal" required pattern="[0-9]+([.,][0-9]{1,2})?"></label></p>`}
<fieldset><legend>${t.choose}</legend>
${f.ways.map((w, i) => html`<p><label><input type="radio" name="way" value="${w.code}" ${i === 0 ? 'checked' : ''} required> ${w.title}${w.amount ? html` — <strong>${w.amount} ${w.ticker}</strong>` : ''}</label></p>`)}
</fieldset>
<p><label>${t.email}: <input type="email" name="user_email" value="${f.userEmail}" maxlength="40"></label></p>
<p><button type="submit">${t.cont}</button></p>
</form>`;
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
  return layout(f.ln, `${T[f.ln].title} — ${f.merchant.name}`, html`<onpay-checkout${attrs(elementAttributes(login, { ...link, md5 }))}>
${payloadChild(f)}
${plainForm(login, f, idempotencyKey)}
</onpay-checkout>`, { script, ...(css !== undefined ? { css } : {}) });
}

/**
 * The HTML snippet a merchant's server pastes into its own page; with the payload, the element starts
 * from it (no request to the gateway before the picker), the link to the hosted page meanwhile.
 */
export function snippet(publicUrl: string, login: string, link: LinkParams, md5: string | undefined, payload?: FormPayload): Html {
  return html`<script type="module" src="${publicUrl}/cdn/onpay-checkout.js"></script>
<onpay-checkout${attrs(elementAttributes(login, { ...link, md5 }), publicUrl)}>
${payload ? payloadChild(payload) : ''}
<a href="${publicUrl}/pay/${encodeURIComponent(login)}?${new URLSearchParams(linkQuery({ ...link, md5 })).toString()}">${T[link.ln].cont}</a>
</onpay-checkout>
`;
}

export function errorPage(ln: Ln, message: string, field?: string): Html {
  const t = T[ln];
  return layout(ln, t.error, html`<h1>${t.error}</h1><p role="alert" class="error">${message}</p>${field ? html`<p><code>${field}</code></p>` : ''}`);
}

function instructionsBlock(ln: Ln, a: Extract<PaymentAction, { type: 'instructions' }>): Html {
  const t = T[ln];
  return html`<h2>${t.instructions}</h2>
<p>${a.title}</p>
<dl>
<dt>${t.amount}</dt><dd><strong>${a.amount} ${a.ticker}</strong></dd>
${a.details.map((d) => html`<dt>${d.label}</dt><dd><code>${d.value}</code></dd>`)}
<dt>${t.until}</dt><dd><time datetime="${a.expiresAt}">${a.expiresAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time></dd>
</dl>`;
}

/** The status page of a payment (no-JavaScript flow; refreshes itself while waiting). */
export function statusPage(p: Payment): Html {
  const t = T[p.ln];
  const label = { created: t.waiting, checking: t.waiting, awaiting_payment: t.waiting, paid: t.paid, failed: t.failed, expired: t.expired, rejected: t.rejected, partially_refunded: t.paid, refunded: t.paid }[p.status];
  const back = p.status === 'paid' ? p.urlSuccess : p.urlFail;
  const waiting = p.status === 'awaiting_payment';
  return layout(p.ln, t.status, html`<h1>${label}</h1>
<p>${t.order}: <strong>${p.payFor}</strong> — ${formatAmount(p.amountMinor)} ${p.wayTicker}</p>
${waiting && p.action?.type === 'instructions' ? instructionsBlock(p.ln, p.action) : ''}
${waiting ? html`<p><a href="/payments/${p.id}">${t.refresh}</a></p>` : ''}
${!waiting && back ? html`<p><a href="${back}">${t.toShop}</a></p>` : ''}`,
  { head: waiting ? html`<meta http-equiv="refresh" content="10">` : '' });
}

/** The sandbox card system's own page. */
export function cardPage(p: Payment): Html {
  const t = T[p.ln];
  return layout(p.ln, t.cardTitle, html`<h1>${t.cardTitle}</h1>
<p>${t.amount}: <strong>${formatAmount(p.amountMinor)} ${p.wayTicker}</strong></p>
<form method="post" action="/sandbox/card/${p.id}">
<p><label>${t.card}: <input name="card" value="4111 1111 1111 1111" autocomplete="off" readonly></label></p>
<p><button type="submit" name="action" value="pay">${t.pay}</button>
<button type="submit" name="action" value="decline">${t.decline}</button></p>
</form>`);
}

/**
 * Where the payment system returns the buyer. In a frame or popup, /assets/return.js posts the
 * outcome to the element (only to the merchant's allowed origins); at top level it goes on to
 * the shop's success or fail URL. Without JavaScript, a link and a delayed refresh do it.
 */
export function returnPage(p: Payment, targetOrigins: string[]): Html {
  const t = T[p.ln];
  const paid = p.status === 'paid';
  const next = (paid ? p.urlSuccess : p.urlFail) || `/payments/${p.id}`;
  return layout(p.ln, paid ? t.paid : t.failed, html`<h1 data-onpay-result="${p.status}" data-id="${p.id}" data-next="${next}" data-origins="${targetOrigins.join(' ')}">${paid ? t.paid : t.failed}</h1>
<p><a href="${next}" target="_top">${t.toShop}</a></p>
<script src="/assets/return.js"></script>`,
  { head: html`<noscript><meta http-equiv="refresh" content="2;url=${next}"></noscript>` });
}
