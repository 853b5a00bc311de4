/**
 * Pure render helpers, one per view. They get data and callbacks, never the element: every
 * merchant or payment-system string goes through Lit's text bindings, so markup in it stays text.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { FormPayload, PaymentView as Payment, WayQuote as Way } from '../../protocol/checkout-api.ts';
import { formatMoney, type Messages } from './messages/format.ts';

/** The buyer's language's strings, the shop's overrides over them; `format` fills placeholders. */
export type T = Messages & { ln: string };

export const heading = (text: string): TemplateResult => html`<h2 tabindex="-1" part="heading">${text}</h2>`;

export function loadingView(t: T): TemplateResult {
  return html`<div aria-busy="true"><p class="muted">${t.loading}</p></div>`;
}

export interface PickingProps {
  t: T;
  ln: string;
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
  /** «Состав заказа», drawn by its chunk once loaded; absent without lines. */
  items?: TemplateResult | undefined;
}

function wayRow(p: PickingProps, w: Way, index: number, ways: readonly Way[]): TemplateResult {
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
    <span class="title">${w.title}${w.fee ? html`<small class="muted">${w.fee.payer === 'shop' ? p.t.feeShop : p.t.fee.replace('{fee}', formatMoney(w.fee.amount, w.ticker, p.ln))}</small>` : nothing}</span>${
      w.amount !== null ? html`<span class="amount">${formatMoney(w.amount, w.ticker, p.ln)}</span>` : nothing}
  </div>`;
}

export function pickingView(p: PickingProps): TemplateResult {
  const { t, form } = p;
  const free = form.order.mode === 'free';
  return html`<form part="form" novalidate @submit=${(e: Event) => { e.preventDefault(); p.onSubmit(); }}>
    ${heading(form.merchant.name)}${form.testMode ? html`<p class="badge" part="badge">${t.testMode}</p>` : nothing}
    <p>${t.order}: <strong>${form.order.payFor}</strong></p>
    ${form.order.note ? html`<p class="muted">${t.note}: ${form.order.note}</p>` : nothing}
    ${free ? html`<label for="amount">${t.amount}, ${form.order.ticker}</label>
      <input id="amount" name="amount" inputmode="decimal" autocomplete="off" placeholder=${t.amountHint} .value=${p.amount}
        aria-invalid=${p.amountError ? 'true' : 'false'} aria-describedby=${p.amountError ? 'amount-error' : nothing}
        @input=${(e: Event) => p.onAmount((e.target as HTMLInputElement).value)}>
      ${p.amountError ? html`<p id="amount-error" class="error">${t.amountInvalid}</p>` : nothing}`
      : html`<p>${t.toPay}: <strong>${formatMoney(form.order.price, form.order.ticker, p.ln)}</strong></p>`}
    ${p.items ?? nothing}
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

export function doneView(t: T, payment: Payment, note?: string): TemplateResult {
  return html`${note ? nothing : heading(t.paid)}<p role="status" class="ok">${note || t.paidHint}</p>
    ${payment.urlSuccess ? html`<div class="actions"><a href=${payment.urlSuccess}>${t.toShop}</a></div>` : nothing}`;
}
