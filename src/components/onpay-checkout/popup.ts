/**
 * The payment system's page, in its own chunk: the overlay with the frame, the popup's «open again»
 * and «choose another method», their Russian strings and the overlay's styles. The picker does not
 * need any of it, so the main module leaves it out and loads this chunk once the picker is on show
 * (long before «Продолжить» is pressed). Like the other chunks it imports nothing the main module
 * has: Lit and the helpers come in its props, so the classic script can load this same chunk.
 */
import type { TemplateResult, html as litHtml, nothing as litNothing } from 'lit';
import type { PopupKey } from './messages/format.ts';
import type { T } from './views.ts';

/** Where the payment system's page is: the frame, a popup, a popup the browser blocked, or one the buyer closed. */
export type PopupState = 'framed' | 'open' | 'blocked' | 'closed';

export interface PopupProps {
  t: T;
  html: typeof litHtml;
  nothing: typeof litNothing;
  heading(text: string): TemplateResult;
  button(label: string, onClick: () => void, secondary?: boolean): TemplateResult;
  url: string;
  state: PopupState;
  /** The shadow root: the overlay's styles are adopted there once. */
  root: DocumentFragment;
  /** «Открыть снова»: the popup, opened by the buyer's click. */
  onOpen(): void;
  /** ✕, Esc, «Выбрать другой способ»: back to the picker. */
  onClose(): void;
  onLoad(): void;
  /** The gateway's origin, the payment's id and the popup: whose `onpay:result` message counts. */
  origin: string;
  paymentId: string;
  popup: Window | null;
  /** The payment's status as the return page posted it. */
  onResult(status: string): void;
}

/** The view's Russian strings: the main module's catalogue leaves them out (the other languages' catalogues carry theirs). */
export const RU_POPUP: Record<PopupKey | 'another', string> = {
  redirecting: 'Оплата в платёжной системе',
  redirectHint: 'Завершите оплату в открывшемся окне.',
  popupBlocked: 'Окно оплаты не открылось. Откройте его кнопкой ниже.',
  popupClosed: 'Окно оплаты закрыто. Если вы не успели оплатить, откройте его снова или выберите другой способ.',
  close: 'Закрыть окно оплаты',
  openAgain: 'Открыть окно оплаты',
  reopen: 'Открыть снова',
  another: 'Выбрать другой способ',
};

// A chunk's own rules, added to the shadow root when its view first draws (the main module's
// stylesheet has only the picker's): a constructed sheet, as Lit's own, so a strict CSP's `style-src`
// does not apply. Written in each chunk (not shared) so that a chunk is one request.
const sheets = new Map<string, CSSStyleSheet>();

/** Adopts `css` (a plain CSS text) into `root` once. */
function adoptStyles(root: DocumentFragment, css: string): void {
  const shadow = root as ShadowRoot;
  if (!shadow.adoptedStyleSheets) return;
  let sheet = sheets.get(css);
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    sheets.set(css, sheet);
  }
  if (!shadow.adoptedStyleSheets.includes(sheet)) shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];
}

// The overlay's rules, adopted into the shadow root when this view first draws. The close button is large,
// high-contrast and always on top of the frame, so a buyer who cannot use Esc still sees a way out.
const CSS = `.overlay{position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;background:var(--onpay-overlay,rgba(0,0,0,.55))}
.frame-box{position:relative;width:min(100vw,30rem);height:min(100vh,40rem);background:#fff;border-radius:.75rem;overflow:hidden}
.frame-box iframe{width:100%;height:100%;border:0}
.frame-box .close{position:absolute;z-index:1;inset-block-start:.4rem;inset-inline-end:.4rem;min-width:2.5rem;min-height:2.5rem;padding:.2rem .6rem;background:#fff;color:#1b1b1f;border:2px solid #1b1b1f;font-size:1.1rem;line-height:1}
.frame-box .close:focus-visible{outline:3px solid #0057b8;outline-offset:2px}`;

/**
 * A keydown handler for the modal overlay: Esc closes it, Tab and Shift+Tab cycle between the close
 * button and the frame, never leaving the dialog. (Keys pressed inside a cross-origin frame never
 * reach this page: the close button is what a keyboard user there tabs back to.)
 */
const trap = (onClose: () => void) => (e: KeyboardEvent): void => {
  if (e.key === 'Escape') {
    e.preventDefault();
    onClose();
  } else if (e.key === 'Tab') {
    const root = e.currentTarget as HTMLElement;
    const list = [root.querySelector('button'), root.querySelector('iframe')].filter(Boolean) as HTMLElement[];
    const i = list.indexOf((root.getRootNode() as ShadowRoot).activeElement as HTMLElement);
    e.preventDefault();
    list[(i + (e.shiftKey ? -1 : 1) + list.length) % list.length]!.focus();
  }
};

/** The elements whose payment system's page is on show, by shadow root, with what they drew last. */
const shown = new Map<DocumentFragment, PopupProps>();
let listening = false;

/**
 * The page-wide listeners, added once: each acts only for an element whose view is still this one
 * (its `[data-popup]` on show), so a stale entry is dropped, never acted on.
 *
 * Esc anywhere on the page closes an open overlay, not only inside it: a click on the backdrop or
 * the shop's page moves focus out of the dialog, and the buyer still expects Esc to work. Keys typed
 * inside the payment system's cross-origin frame never reach this document (the browser delivers
 * them to the frame alone); Tab out of the frame lands on the close button, where Esc works again.
 *
 * The gateway's return page in the frame or the popup posts `{type: 'onpay:result', id, status}`:
 * taken only from the gateway's origin, for this payment, from this element's frame or popup.
 */
function listen(p: PopupProps): void {
  shown.set(p.root, p);
  if (listening) return;
  listening = true;
  const each = (act: (root: DocumentFragment, q: PopupProps) => void) => {
    for (const [root, q] of shown) {
      if ((root as ShadowRoot).host?.isConnected && root.querySelector('[data-popup]')) act(root, q);
      else shown.delete(root);
    }
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented) each((_root, q) => q.state === 'framed' && q.onClose());
  });
  window.addEventListener('message', (e) => {
    const data = e.data as { type?: string; id?: string; status?: string } | null;
    if (data?.type !== 'onpay:result' || !data.status) return;
    each((root, q) => {
      if (e.origin === q.origin && data.id === q.paymentId && (e.source === root.querySelector('iframe')?.contentWindow || e.source === q.popup)) q.onResult(data.status!);
    });
  });
}

/**
 * The payment system's page: in the overlay (a modal dialog over the shop's page), or in a popup
 * with «open again» and «back» (a blocked popup) or «Открыть снова» and «Выбрать другой способ»
 * (a popup the buyer closed before the payment ended).
 */
export default function popupView(p: PopupProps): TemplateResult {
  const { html, nothing, state } = p;
  const t = { ...RU_POPUP, ...p.t };
  adoptStyles(p.root, CSS);
  listen(p);
  const hint = state === 'blocked' ? t.popupBlocked : state === 'closed' ? t.popupClosed : t.redirectHint;
  const actions = state === 'framed' ? nothing : state === 'closed' ? html`${p.button(t.reopen, p.onOpen)}${p.button(t.another, p.onClose, true)}`
    : html`${p.button(t.openAgain, p.onOpen)}${p.button(t.back, p.onClose, true)}`;
  return html`${p.heading(t.redirecting)}<p role="status" data-popup=${state}>${hint}</p><div class="actions">${actions}</div>
    ${state === 'framed' ? html`<div class="overlay" part="overlay" role="dialog" aria-modal="true" aria-label=${t.redirecting} tabindex="-1" @keydown=${trap(p.onClose)}
      @click=${(e: Event) => e.target === e.currentTarget && (e.currentTarget as Element).querySelector('button')?.focus()}>
      <div class="frame-box">
        <iframe part="frame" title=${t.redirecting} src=${p.url} @load=${p.onLoad}></iframe>
        <button type="button" class="close secondary" part="close" aria-label=${t.close} title=${t.close} @click=${p.onClose}>✕</button>
      </div>
    </div>` : nothing}`;
}
