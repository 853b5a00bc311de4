/**
 * The failure view (a payment that ended without money, explained), in its own chunk: most buyers
 * never see it, so the default module does not carry it, nor the Russian reasons (the other
 * languages' catalogues, chunks themselves, carry theirs). Like the instructions chunk it imports
 * nothing the main module has: Lit and the helpers come in its props, so the classic script can
 * load this same chunk.
 */
import type { TemplateResult, html as litHtml, nothing as litNothing } from 'lit';
import type { FailureReason, PaymentStatus } from '../../protocol/checkout-api.ts';
import type { T } from './views.ts';
import type { FailureKey } from './messages/format.ts';

export interface FailureProps {
  t: T;
  html: typeof litHtml;
  nothing: typeof litNothing;
  heading(text: string): TemplateResult;
  button(label: string, onClick: () => void): TemplateResult;
  status: Exclude<PaymentStatus, 'paid'>;
  reason: FailureReason;
  /** The shop's CHECK comment (`check_declined`), as text. */
  comment: string;
  urlFail: string;
  /** «Попробовать другой способ»: back to the picker. */
  onOther(): void;
}

/** The view's words in Russian (the other languages' catalogues carry them: `FailureKey`). */
export const RU_TITLES: Record<FailureKey, string> = {
  failed: 'Оплата не прошла',
  expired: 'Срок оплаты истёк',
  rejected: 'Платёж отклонён',
  failedHint: 'Деньги не списаны. Можно попробовать ещё раз.',
  tryOther: 'Попробовать другой способ',
};

/** Why, in Russian: the main module's catalogue leaves these out (`reasons.*` keys of the others). */
export const RU_REASONS: Record<FailureReason, string> = {
  declined: 'Банк отклонил платёж.',
  insufficient_funds: 'Недостаточно средств на карте.',
  '3ds_failed': 'Не пройдена проверка 3-D Secure.',
  expired: 'Срок оплаты истёк.',
  check_declined: 'Магазин отклонил платёж.',
  check_failed: 'Магазин не подтвердил платёж.',
  provider_error: 'Платёжная система не приняла платёж.',
  abandoned: 'Вы выбрали другой способ оплаты.',
  cancelled: 'Платёж отменён.',
  unknown: 'Платёж не прошёл.',
};

/**
 * The reason in the buyer's language (the shop's comment with a CHECK refusal), «Попробовать другой
 * способ» back to the picker, and «Вернуться в магазин» to `url_fail`.
 */
export default function failedView(p: FailureProps): TemplateResult {
  const { html, nothing } = p;
  const t = { ...RU_TITLES, ...p.t };
  const title = p.status === 'expired' ? t.expired : p.status === 'rejected' ? t.rejected : t.failed;
  return html`${p.heading(title)}<p role="alert" class="error" data-reason=${p.reason}>${t[`reasons.${p.reason}`] ?? RU_REASONS[p.reason]}</p>
    ${p.comment ? html`<p class="muted">${t.note}: ${p.comment}</p>` : nothing}<p class="muted">${t.failedHint}</p>
    <div class="actions">${p.button(t.tryOther, p.onOther)}${p.urlFail ? html`<a href=${p.urlFail} part="link">${t.toShop}</a>` : nothing}</div>`;
}
