/**
 * «Состав заказа»: the order's lines from its fiscal receipt (issue 24), collapsed in a native
 * `<details>` (keyboard and screen readers get it for free). Its own chunk, loaded only for forms
 * that carry lines; it imports nothing the main module has (Lit and the formatter come in its props),
 * so the classic script can load this same chunk.
 */
import type { TemplateResult, html as litHtml } from 'lit';
import type { FormPayload, OrderItem } from '../../protocol/checkout-api.ts';
import { saveConsent, savedChoice } from './save-consent.ts';

export interface OrderItemsProps {
  items: readonly OrderItem[];
  /** The form and the way chosen: the consent to save the card rides in this chunk (issue 26). */
  form?: FormPayload;
  selected?: string;
  /** The summary's text («Состав заказа»). */
  title: string;
  html: typeof litHtml;
  money(amount: string): string;
}

/** The collapsed list of the order's lines: name, quantity × price, amount. */
export default function orderItems(p: OrderItemsProps): TemplateResult {
  const { html } = p;
  // A returning customer's saved cards first, then the consent for a new one (issue 26).
  const consent = p.form ? html`${savedChoice({ form: p.form, selected: p.selected ?? '', html })}${saveConsent({ form: p.form, selected: p.selected ?? '', html })}` : '';
  if (!p.items.length) return html`${consent}`;
  return html`${consent}<details part="items"><summary>${p.title}</summary><ul>${p.items.map((i) => html`<li part="item"><span>${i.name}</span>
    <span class="muted">${i.quantity} × ${p.money(i.price)}</span> <span class="amount">${p.money(i.amount)}</span></li>`)}</ul></details>`;
}
