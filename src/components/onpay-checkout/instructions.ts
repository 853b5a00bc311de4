/**
 * The instructions view (bank details, a QR code, the countdown, copying), in its own chunk:
 * only instructions-kind payment systems need it, so the default module does not carry it. It
 * imports nothing the main module has (Lit and the formatters come in its props), so the classic
 * script can load this same chunk. For an NSPK QR code it loads the SBP bank chooser's chunk
 * (sbp-banks.ts) in turn.
 */
import type { TemplateResult, html as litHtml, nothing as litNothing } from 'lit';
import type { InstructionsAction } from '../../protocol/checkout-api.ts';
import { copyText } from './internal/clipboard.ts';
import { onPhone, walletView } from './wallet.ts';
import type { T } from './views.ts';
import type { InstructionsKey } from './messages/format.ts';
import { format } from './messages/icu.ts';

export interface InstructionsProps {
  t: T;
  action: InstructionsAction;
  now: number;
  html: typeof litHtml;
  nothing: typeof litNothing;
  heading(text: string): TemplateResult;
  money(amount: string, ticker: string): string;
  /** A moment as the buyer reads it (the one formatter's `formatDateTime`, in the buyer's time zone). */
  when(ms: number): string;
  /** Where the copy fallback's hidden field goes (the shadow root). */
  root: DocumentFragment;
  announce(text: string): void;
  /** «Выбрать другой способ»: leaves this payment for the picker; absent, no such action. */
  onAnother?: () => void;
}

/** The view's Russian strings: the main module's catalogue leaves them out (the other languages' catalogues carry theirs). */
export const RU_INSTRUCTIONS: Record<InstructionsKey, string> = {
  instructions: 'Как оплатить',
  payBefore: 'Оплатите до',
  timeLeft: 'Осталось',
  minutesLeft: '{count, plural, one {# минута} few {# минуты} many {# минут} other {# минуты}}',
  copy: 'Копировать',
  copied: 'Скопировано: {value}',
  copiedMark: 'Скопировано',
  copyByHand: 'Выделено: скопируйте вручную',
  waiting: 'Ждём поступления денег. Страницу можно не обновлять.',
  another: 'Выбрать другой способ',
  qr: 'QR-код для оплаты',
  openApp: 'Открыть в приложении банка',
  banks: 'Выберите свой банк',
  bankSearch: 'Поиск банка',
  showQr: 'Показать QR-код',
  banksFound: '{count, plural, =0 {Банк не найден} one {Найден # банк} few {Найдено # банка} many {Найдено # банков} other {Найдено # банка}}',
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

// The view's rules (the main module's stylesheet has only the picker's), adopted when it first draws.
const CSS = `dl{margin:.5rem 0}dt{color:var(--_muted);font-size:.9rem;margin-block-start:.5rem}
dd{margin:0;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;word-break:break-all}
dd button{padding:.2rem .6rem;font-size:.85rem}dd button.copied{color:var(--_ok);border-color:var(--_ok)}
.qr{display:block;inline-size:min(100%,14rem);margin:.5rem 0;background:#fff;color:#000}
@media (min-width:40rem){.app{display:none}}`;

/** The value last copied in each element, and when: its button says «Скопировано» for a moment. */
const lastCopy = new WeakMap<DocumentFragment, { value: string; at: number }>();
const COPIED_SHOWN_MS = 2000;

function countdown(left: number): string {
  const s = Math.floor(left / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The gateway's QR matrix as one SVG path (no QR encoder here, no inline style: strict CSP holds),
 * and on a phone a link that opens the bank's app. A link that is not a web or app URL is dropped.
 */
function qrCode(p: InstructionsProps, qr: NonNullable<InstructionsAction['qr']>): TemplateResult {
  const { html } = p;
  const t = { ...RU_INSTRUCTIONS, ...p.t };
  const n = qr.size;
  let d = '';
  for (let i = 0; i < n * n; i++) if (qr.modules[i] === '1') d += `M${i % n} ${(i / n) | 0}h1v1h-1z`;
  const svg = html`<svg part="qr" class="qr" role="img" aria-label=${t.qr} viewBox="-4 -4 ${n + 8} ${n + 8}" shape-rendering="crispEdges"><path d=${d}></path></svg>`;
  const app = /^\s*(javascript|data|vbscript):/i.test(qr.deepLink) ? p.nothing : html`<p class="app"><a part="button" href=${qr.deepLink}>${t.openApp}</a></p>`;
  if (!/^https:\/\/qr\.nspk\.ru\//.test(qr.payload)) return html`${svg}${app}`;
  // An NSPK link: the bank chooser. On a phone (a touch screen that is narrow, or a mobile browser)
  // it leads and the QR code, useless there, is folded; on a desktop the QR code leads.
  const c = chooserFor(p, qr);
  return c.phone
    ? html`${c.box}<details class="fold" part="qr-fold"><summary>${t.showQr}</summary>${svg}</details>${app}`
    : html`${svg}<details class="fold" part="banks-fold"><summary>${t.banks}</summary>${c.box}</details>${app}`;
}

/** The bank chooser of the payment on show: its box kept across the view's renders, filled by its chunk. */
let chooser: { key: string; box: HTMLElement; phone: boolean } | undefined;

function chooserFor(p: InstructionsProps, qr: NonNullable<InstructionsAction['qr']>): NonNullable<typeof chooser> {
  // One per payment and language (a reload in another language resumes the same payment).
  const key = `${qr.payload} ${p.t.ln}`;
  if (chooser?.key === key) return chooser;
  const box = document.createElement('div');
  box.className = 'banks';
  box.setAttribute('part', 'banks');
  const ua = navigator.userAgent;
  // Decided once per payment, so a rotation does not move the list under the buyer's finger.
  chooser = { key, box, phone: onPhone() };
  const t = { ...RU_INSTRUCTIONS, ...p.t };
  import('./sbp-banks.ts').then((m) => m.default(box, {
    link: qr.payload, banks: qr.banks, root: p.root, android: /Android/i.test(ua),
    t: { banks: t.banks, bankSearch: t.bankSearch, banksFound: t.banksFound }, format: (m, v) => format(m, t.ln, v), announce: p.announce,
  }), () => (box.hidden = true));
  return chooser;
}

export default function instructionsView(p: InstructionsProps): TemplateResult {
  const { html, action: a } = p;
  const t = { ...RU_INSTRUCTIONS, ...p.t };
  adoptStyles(p.root, CSS);
  const left = Math.max(0, Date.parse(a.expiresAt) - p.now);
  const copy = (value: string) => async (e: Event) => {
    const shown = (e.currentTarget as Element).previousElementSibling;
    const ok = await copyText(value, p.root, shown);
    if (ok) lastCopy.set(p.root, { value, at: Date.now() });
    // The announcement redraws the view (the button's «Скопировано»); the countdown's tick puts the label back.
    p.announce(ok ? format(t.copied, t.ln, { value }) : t.copyByHand);
  };
  const copyButton = (value: string, label: string) => {
    const c = lastCopy.get(p.root);
    const done = c?.value === value && Date.now() - c.at < COPIED_SHOWN_MS;
    return html`<button type="button" class=${done ? 'secondary copied' : 'secondary'} aria-label="${t.copy}: ${label}" @click=${copy(value)}>${done ? `✓ ${t.copiedMark}` : t.copy}</button>`;
  };
  return html`${p.heading(t.instructions)}
    <p>${a.title}</p>${a.qr ? (a.wallet ? walletView({ t: p.t, html, format: (m, v) => format(m, t.ln, v) }, a.qr, a.wallet.name) : qrCode(p, a.qr)) : p.nothing}
    <dl part="instructions">
      <dt>${t.amount}</dt>
      <dd><strong>${p.money(a.amount, a.ticker)}</strong>
        ${copyButton(a.amount, t.amount)}</dd>
      ${a.details.map((d) => html`<dt>${d.label}</dt>
        <dd><code>${d.value}</code>${copyButton(d.value, d.label)}</dd>`)}
      <dt>${t.payBefore}</dt><dd><time datetime=${a.expiresAt}>${p.when(Date.parse(a.expiresAt))}</time></dd>
      <dt>${t.timeLeft}</dt><dd><span class="countdown" aria-hidden="true">${countdown(left)}</span><span class="sr-only">${format(t.minutesLeft, t.ln, { count: Math.ceil(left / 60000) })}</span></dd>
    </dl>
    <p class="muted">${t.waiting}</p>
    ${p.onAnother ? html`<div class="actions"><button type="button" part="button another" class="secondary" @click=${p.onAnother}>${t.another}</button></div>` : p.nothing}`;
}
