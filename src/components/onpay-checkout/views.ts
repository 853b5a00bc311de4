/**
 * Pure render helpers, one per view. They get data and callbacks, never the element: every
 * merchant or payment-system string goes through Lit's text bindings, so markup in it stays text.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { FormPayload, InstructionsAction, Payment, Way } from './api.ts';
import { formatMoney, type Strings, type Ln } from './locales.ts';

const heading = (text: string) => html`<h2 tabindex="-1" part="heading">${text}</h2>`;

export function loadingView(t: Strings): TemplateResult {
  return html`<div aria-busy="true"><p class="muted">${t.loading}</p></div>`;
}

export interface PickingProps {
  t: Strings;
  ln: Ln;
  form: FormPayload;
  selected: string;
  busy: boolean;
  amount: string;
  amountError: boolean;
  email: string;
  onSelect(code: string, focus: boolean): void;
  onAmount(value: string): void;
  onEmail(value: string): void;
  onSubmit(): void;
}

function wayRow(p: PickingProps, w: Way, index: number, ways: Way[]): TemplateResult {
  const checked = w.code === p.selected;
  const move = (e: KeyboardEvent) => {
    const delta = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : e.key === 'ArrowUp' || e.key === 'ArrowLeft' ? -1 : 0;
    if (delta) {
      e.preventDefault();
      p.onSelect(ways[(index + delta + ways.length) % ways.length]!.code, true);
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      p.onSelect(w.code, false);
      if (e.key === 'Enter') p.onSubmit();
    }
  };
  return html`<div role="radio" part="way" id="way-${w.code}" data-way=${w.code} aria-checked=${checked ? 'true' : 'false'}
    tabindex=${checked ? 0 : -1} @click=${() => p.onSelect(w.code, true)} @keydown=${move}>
    <span>${w.title}</span>${w.amount !== null ? html`<span class="amount">${formatMoney(w.amount, w.ticker, p.ln)}</span>` : nothing}
  </div>`;
}

export function pickingView(p: PickingProps): TemplateResult {
  const { t, form } = p;
  const free = form.order.mode === 'free';
  return html`<form part="form" novalidate @submit=${(e: Event) => { e.preventDefault(); p.onSubmit(); }}>
    ${heading(form.merchant.name)}
    <p>${t.order}: <strong>${form.order.payFor}</strong></p>
    ${form.order.note ? html`<p class="muted">${t.note}: ${form.order.note}</p>` : nothing}
    ${free ? html`<label for="amount">${t.amount}, ${form.order.ticker}</label>
      <input id="amount" name="amount" inputmode="decimal" autocomplete="off" placeholder=${t.amountHint} .value=${p.amount}
        aria-invalid=${p.amountError ? 'true' : 'false'} aria-describedby=${p.amountError ? 'amount-error' : nothing}
        @input=${(e: Event) => p.onAmount((e.target as HTMLInputElement).value)}>
      ${p.amountError ? html`<p id="amount-error" class="error">${t.amountInvalid}</p>` : nothing}`
      : html`<p>${t.toPay}: <strong>${formatMoney(form.order.price, form.order.ticker, p.ln)}</strong></p>`}
    <p id="ways-label">${t.chooseWay}</p>
    <div role="radiogroup" aria-labelledby="ways-label" part="ways">${form.ways.map((w, i) => wayRow(p, w, i, form.ways))}</div>
    <label for="email">${t.email}</label>
    <input id="email" name="email" type="email" autocomplete="email" maxlength="40" .value=${p.email}
      @input=${(e: Event) => p.onEmail((e.target as HTMLInputElement).value)}>
    <div class="actions"><button type="submit" part="button" ?disabled=${p.busy}>${p.busy ? t.submitting : t.cont}</button></div>
  </form>`;
}

export function messageView(title: string, text: string, role: 'alert' | 'status', actions: TemplateResult, extra: unknown = nothing): TemplateResult {
  return html`${heading(title)}<p role=${role} class=${role === 'alert' ? 'error' : ''}>${text}</p>${extra}<div class="actions">${actions}</div>`;
}

export const button = (label: string, onClick: () => void, secondary = false) =>
  html`<button type="button" part="button" class=${secondary ? 'secondary' : ''} @click=${onClick}>${label}</button>`;

function countdown(expiresAt: string, now: number): string {
  const left = Math.max(0, Math.floor((Date.parse(expiresAt) - now) / 1000));
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

export interface InstructionsProps {
  t: Strings;
  ln: Ln;
  action: InstructionsAction;
  now: number;
  /** `shown`: the element showing the value on screen. */
  onCopy(key: string, value: string, shown: Element | null): void;
}

export function instructionsView(p: InstructionsProps): TemplateResult {
  const { t, action: a } = p;
  const deadline = new Date(a.expiresAt).toLocaleString(p.ln);
  return html`${heading(t.instructions)}
    <p>${a.title}</p>
    <dl part="instructions">
      <dt>${t.amount}</dt>
      <dd><strong>${formatMoney(a.amount, a.ticker, p.ln)}</strong>
        <button type="button" class="secondary" aria-label="${t.copy}: ${t.amount}" @click=${(e: Event) => p.onCopy('amount', a.amount, (e.currentTarget as Element).previousElementSibling)}>${t.copy}</button></dd>
      ${a.details.map((d) => html`<dt>${d.label}</dt>
        <dd><code>${d.value}</code><button type="button" class="secondary" aria-label="${t.copy}: ${d.label}" @click=${(e: Event) => p.onCopy(d.key, d.value, (e.currentTarget as Element).previousElementSibling)}>${t.copy}</button></dd>`)}
      <dt>${t.payBefore}</dt><dd><time datetime=${a.expiresAt}>${deadline}</time></dd>
      <dt>${t.timeLeft}</dt><dd><span class="countdown">${countdown(a.expiresAt, p.now)}</span></dd>
    </dl>
    <p class="muted">${t.waiting}</p>`;
}

export interface OverlayProps {
  t: Strings;
  url: string;
  onClose(): void;
  onLoad(): void;
}

/** The payment system's page in a frame over the shop's page: a modal dialog with a focus trap. */
export function overlay(p: OverlayProps): TemplateResult {
  const trap = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      p.onClose();
    } else if (e.key === 'Tab') {
      const root = (e.currentTarget as HTMLElement);
      const items = [root.querySelector('button'), root.querySelector('iframe')].filter(Boolean) as HTMLElement[];
      const active = (root.getRootNode() as ShadowRoot).activeElement;
      const i = items.indexOf(active as HTMLElement);
      e.preventDefault();
      items[(i + (e.shiftKey ? -1 : 1) + items.length) % items.length]!.focus();
    }
  };
  return html`<div class="overlay" part="overlay" role="dialog" aria-modal="true" aria-label=${p.t.redirecting} @keydown=${trap}>
    <div class="frame-box">
      <iframe part="frame" title=${p.t.redirecting} src=${p.url} @load=${p.onLoad}></iframe>
      <button type="button" class="close secondary" part="close" aria-label=${p.t.close} @click=${p.onClose}>✕</button>
    </div>
  </div>`;
}

export function doneView(t: Strings, payment: Payment, status: string, onAgain: () => void): TemplateResult {
  if (status === 'paid') {
    return html`${heading(t.paid)}<p role="status" class="ok">${t.paidHint}</p>
      ${payment.urlSuccess ? html`<div class="actions"><a href=${payment.urlSuccess}>${t.toShop}</a></div>` : nothing}`;
  }
  const title = status === 'expired' ? t.expired : status === 'rejected' ? t.rejected : t.failed;
  return messageView(title, t.failedHint, 'alert', button(t.tryAgain, onAgain));
}
