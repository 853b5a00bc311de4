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

export interface InstructionsProps {
  t: T;
  action: InstructionsAction;
  now: number;
  html: typeof litHtml;
  nothing: typeof litNothing;
  heading(text: string): TemplateResult;
  money(amount: string, ticker: string): string;
  format(message: string, values: Record<string, string | number>): string;
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
    t: { banks: t.banks, bankSearch: t.bankSearch, banksFound: t.banksFound }, format: p.format, announce: p.announce,
  }), () => (box.hidden = true));
  return chooser;
}

export default function instructionsView(p: InstructionsProps): TemplateResult {
  const { html, action: a } = p;
  const t = { ...RU_INSTRUCTIONS, ...p.t };
  const left = Math.max(0, Date.parse(a.expiresAt) - p.now);
  const copy = (value: string) => async (e: Event) => {
    const shown = (e.currentTarget as Element).previousElementSibling;
    p.announce((await copyText(value, p.root, shown)) ? p.format(t.copied, { value }) : t.copyByHand);
  };
  return html`${p.heading(t.instructions)}
    <p>${a.title}</p>${a.qr ? (a.wallet ? walletView(p, a.qr, a.wallet.name) : qrCode(p, a.qr)) : p.nothing}
    <dl part="instructions">
      <dt>${t.amount}</dt>
      <dd><strong>${p.money(a.amount, a.ticker)}</strong>
        <button type="button" class="secondary" aria-label="${t.copy}: ${t.amount}" @click=${copy(a.amount)}>${t.copy}</button></dd>
      ${a.details.map((d) => html`<dt>${d.label}</dt>
        <dd><code>${d.value}</code><button type="button" class="secondary" aria-label="${t.copy}: ${d.label}" @click=${copy(d.value)}>${t.copy}</button></dd>`)}
      <dt>${t.payBefore}</dt><dd><time datetime=${a.expiresAt}>${new Date(a.expiresAt).toLocaleString(t.ln)}</time></dd>
      <dt>${t.timeLeft}</dt><dd><span class="countdown" aria-hidden="true">${countdown(left)}</span><span class="sr-only">${p.format(t.minutesLeft, { count: Math.ceil(left / 60000) })}</span></dd>
    </dl>
    <p class="muted">${t.waiting}</p>
    ${p.onAnother ? html`<div class="actions"><button type="button" part="button another" class="secondary" @click=${p.onAnother}>${t.another}</button></div>` : p.nothing}`;
}
