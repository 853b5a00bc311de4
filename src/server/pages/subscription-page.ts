/**
 * The customer's subscription page (issue 26 item 4), opened by the shop's signed link: the shop,
 * the amount, how often, the next charge and the card, with «Отменить подписку» (a plain form posting
 * the same signed query back: no JavaScript, no account). Every value escaped; no inline script.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { merchantText, type Language, type MerchantText } from '../../protocol/languages.ts';
import type { SubscriptionInterval, SubscriptionStatus } from '../types.ts';
import { PAGE_STRINGS } from './page-strings.ts';
import { layout } from './pages.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The key of page-strings.ts that words each subscription status. */
const STATUS_KEY = {
  active: 'subActive', past_due: 'subPastDue', cancelled: 'subCancelled', completed: 'subCompleted',
} as const satisfies Record<SubscriptionStatus, keyof (typeof PAGE_STRINGS)['ru']>;

/** What the page shows of a subscription. */
export interface SubscriptionPageData {
  id: string;
  /** As configured: one text, or one per language (the page shows the viewer's). */
  merchantName: MerchantText;
  status: SubscriptionStatus;
  amount: string;
  ticker: string;
  interval: SubscriptionInterval;
  every: number;
  /** ISO time, or null when nothing more will be charged. */
  nextChargeAt: string | null;
  last4: string | null;
  /** The signed query, posted back by the cancel button. */
  query: string;
  /** Cancelled by this visit. */
  justCancelled: boolean;
}

/** «1 месяц», «2 недели», «every 3 days»: the period's length in the language, its plural forms by Intl. */
export const periodText = (ln: Language, interval: SubscriptionInterval, every: number): string =>
  new Intl.NumberFormat(ln, { style: 'unit', unit: interval, unitDisplay: 'long' }).format(every);

const dateText = (ln: Language, iso: string): string => new Intl.DateTimeFormat(ln, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(iso));

/** The page of one subscription. */
export function subscriptionPage(ln: Language, d: SubscriptionPageData): Html {
  const t = PAGE_STRINGS[ln];
  const open = d.status === 'active' || d.status === 'past_due';
  const name = merchantText(d.merchantName, ln);
  return layout(ln, `${t.subTitle} — ${name}`, html`<h1>${t.subTitle}: ${name}</h1>
${d.justCancelled ? html`<p role="status">${t.subCancelDone}</p>` : ''}
<dl>
<dt>${t.subAmount}</dt><dd><strong>${d.amount} ${d.ticker}</strong></dd>
<dt>${t.subEvery}</dt><dd>${periodText(ln, d.interval, d.every)}</dd>
${d.nextChargeAt ? html`<dt>${t.subNext}</dt><dd><time datetime="${d.nextChargeAt}">${dateText(ln, d.nextChargeAt)}</time></dd>` : ''}
${d.last4 ? html`<dt>${t.subCard}</dt><dd>•••• ${d.last4}</dd>` : ''}
<dt>${t.subTitle}</dt><dd data-status="${d.status}">${t[STATUS_KEY[d.status]]}</dd>
</dl>
${open ? html`<form method="post" action="/subscriptions/${d.id}/manage?${d.query}">
<p>${t.subConfirm}</p>
<p><button type="submit" name="action" value="cancel">${t.subCancel}</button></p>
</form>` : ''}`);
}

/** The page for a link that does not open: forged or expired. */
export function subscriptionLinkProblemPage(ln: Language, problem: 'invalid' | 'expired'): Html {
  const t = PAGE_STRINGS[ln];
  return layout(ln, t.subTitle, html`<h1>${t.subTitle}</h1><p role="alert" class="error">${t[problem === 'invalid' ? 'subInvalid' : 'subExpired']}</p>`);
}
