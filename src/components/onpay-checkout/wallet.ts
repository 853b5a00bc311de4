/**
 * A bank app's wallet (T-Pay, SberPay) in the instructions view, in the instructions chunk:
 * on a phone the button opening the app leads (a QR code on one's own screen cannot be scanned) and
 * the QR code is folded below it; on a desktop the QR code leads, for the phone's camera. The link
 * is the same both ways (`qr.deepLink`, what the QR code carries).
 */
import type { TemplateResult, html as litHtml } from 'lit';
import type { BuyerQr } from '../../protocol/checkout-api.ts';
import type { T } from './views.ts';
import type { WalletKey } from './messages/format.ts';

/** What the view needs of the instructions view's props (instructions.ts), named here so neither file imports the other back. */
export interface WalletProps {
  t: T;
  html: typeof litHtml;
  format(message: string, values: Record<string, string | number>): string;
}

/** The wallet's Russian strings: the other languages' catalogues carry theirs. */
export const RU_WALLET: Record<WalletKey, string> = {
  walletOpen: 'Открыть {name}',
  walletScan: 'Наведите камеру телефона на QR-код: откроется {name}',
  walletShowQr: 'Показать QR-код',
};

/** A phone: a mobile user agent, or a touch screen as narrow as one (the phone profile). */
export const onPhone = (): boolean =>
  /Android|iPhone|iPad|iPod|Mobile/i.test(navigator.userAgent) || matchMedia('(pointer: coarse) and (max-width: 40rem)').matches;

/**
 * @example walletView(props, action.qr, 'T-Pay') // phone: «Открыть T-Pay», then «Показать QR-код» folded
 */
export function walletView(p: WalletProps, qr: BuyerQr, name: string, phone = onPhone()): TemplateResult {
  const { html } = p;
  const t = { ...RU_WALLET, ...(p.t as Partial<Record<WalletKey, string>>) };
  const n = qr.size;
  let d = '';
  for (let i = 0; i < n * n; i++) if (qr.modules[i] === '1') d += `M${i % n} ${(i / n) | 0}h1v1h-1z`;
  const scan = p.format(t.walletScan, { name });
  const code = html`<svg part="qr" class="qr" role="img" aria-label=${scan} viewBox="-4 -4 ${n + 8} ${n + 8}" shape-rendering="crispEdges"><path d=${d}></path></svg>
    <p class="muted">${scan}</p>`;
  // Only a web or app address is ever followed (never javascript:, data:).
  const safe = !/^\s*(javascript|data|vbscript):/i.test(qr.deepLink);
  if (!phone || !safe) return code;
  return html`<div class="actions"><button type="button" part="button app" @click=${() => location.assign(qr.deepLink)}>${p.format(t.walletOpen, { name })}</button></div>
    <details part="qr-fold"><summary>${t.walletShowQr}</summary>${code}</details>`;
}
