/**
 * The element's views by name: one exhaustive switch over the view union, given what it reads of the
 * element and the actions it may take (the element's render passes them), so the class keeps its
 * state and behaviour and this module only draws.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Language } from '../../../protocol/languages.ts';
import type { PaymentView as Payment } from '../../../protocol/checkout-api.ts';
import { formatMoney, type MessageKey, type Messages } from '../messages/format.ts';
import { formatDateTime } from '../../../protocol/locale-format.ts';
import type { loadOrderItems } from '../messages/load.ts';
import { button, doneView, heading, loadingView, messageView, pickingView, type T } from '../views.ts';
import type { Checkout, View } from './checkout-state.ts';

/** What the views read of the element, and what they may ask of it. */
export interface ViewHost {
  t: T;
  ln: Language;
  view: View;
  now: number;
  /** The language's catalogue without the shop's strings (which error codes have a text). */
  strings: Messages;
  /** A server-rendered form inside the element, on show until the picker replaces it. */
  serverContent: boolean;
  drawItems: Awaited<ReturnType<typeof loadOrderItems>> | undefined;
  root: DocumentFragment;
  /** The popup the payment system's page is in, if any. */
  popup: Window | null;
  gateway: string;
  select(code: string, focus: boolean): void;
  patch(change: Partial<Checkout>): void;
  submit(): void;
  setView(view: View): void;
  another(): void;
  announce(text: string): void;
  openPopup(): void;
  closeOverlay(checkout: Checkout): void;
  frameLoaded(): void;
  chooseOther(checkout: Checkout | undefined): void;
  retry(): void;
  /** The return page's message: a final status finishes the payment. */
  result(payment: Payment, status: string): void;
}

/** The current view, drawn. */
export function renderView(h: ViewHost): TemplateResult {
  const { t, ln } = h;
  const v = h.view;
  switch (v.name) {
    case 'loading':
      // A server-rendered form inside stays on show until the picker replaces it.
      return h.serverContent ? html`<slot></slot>` : loadingView(t);
    case 'picking':
    case 'submitting': {
      const c = v.checkout;
      return pickingView({
        t, ln, form: c.form, selected: c.selected, busy: v.name === 'submitting',
        amount: c.amount, amountError: c.amountError, email: c.email,
        onSelect: (code, focus) => h.select(code, focus),
        onAmount: (value) => h.patch({ amount: value }),
        onEmail: (value) => h.patch({ email: value }),
        onSubmit: () => h.submit(),
        // The order's lines and the consent to save the card (issue 26), from their chunk.
        items: h.drawItems?.({ items: c.form.order.items ?? [], title: t.items, html, money: (amount) => formatMoney(amount, 'RUR', ln), form: c.form, selected: c.selected }),
      });
    }
    case 'refused':
      return messageView(t.refused, v.comment || t.refusedHint, 'alert', html`${button(t.back, () => h.setView({ name: 'picking', checkout: v.checkout }))}${
        v.checkout.form.urlFail ? html`<a href=${v.checkout.form.urlFail} part="link">${t.toShop}</a>` : nothing}`,
        v.comment ? html`<p class="muted">${t.refusedHint}</p>` : nothing);
    case 'instructions':
      return v.draw({
        t, action: v.action, now: h.now, html, nothing, heading, root: h.root,
        money: (amount, ticker) => formatMoney(amount, ticker, ln), when: (ms) => formatDateTime(ms, ln),
        announce: (text) => h.announce(text), onAnother: () => h.another(),
      });
    case 'redirecting':
      return v.draw({
        t, html, nothing, heading, button, url: v.url, root: h.root,
        state: v.framed ? 'framed' : v.closed ? 'closed' : h.popup ? 'open' : 'blocked',
        origin: new URL(h.gateway).origin, paymentId: v.payment.id, popup: h.popup, onResult: (status) => h.result(v.payment, status),
        onOpen: () => h.openPopup(), onClose: () => h.closeOverlay(v.checkout), onLoad: () => h.frameLoaded(),
      });
    case 'done':
      return doneView(t, v.payment, v.note);
    case 'failed':
      return v.draw({ t, html, nothing, heading, button, status: v.status, reason: v.reason, comment: v.comment, urlFail: v.payment.urlFail, onOther: () => h.chooseOther(v.checkout) });
    case 'error': {
      const key = `errors.${v.code}` as MessageKey;
      const text = key in h.strings ? t[key] : `${t['errors.other']}${v.message ? `: ${v.message}` : ''}`;
      return messageView(t.errorTitle, text, 'alert', button(t.retry, () => h.retry()));
    }
  }
}
