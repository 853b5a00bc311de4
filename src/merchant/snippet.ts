/**
 * The picker rendered on the shop's server: the gateway's HTML snippet, fetched server to server and
 * pasted into the shop's page. The buyer's browser then gets the plain form and the form payload with
 * the page itself, with no round trip to the gateway before it can choose and pay (issue #29).
 */
import type { SignedPaymentLink } from './link.ts';

export interface CheckoutHtmlOptions {
  /** The HTTP client; `globalThis.fetch` unless given (tests, proxies). */
  fetch?: typeof fetch;
  /** How long the gateway may take before the shop falls back to the bare element (1,500 ms). */
  timeoutMs?: number;
}

/** What to paste into the shop's page, and whether the gateway rendered it. */
export interface CheckoutHtml {
  /** HTML: put it in the page as it is (every value in it is escaped). */
  html: string;
  /** True when it is the gateway's snippet; false for the fallback (the bare element, which loads its form itself). */
  serverRendered: boolean;
  /** Why the fallback was used: the gateway's status and error, or the network failure. */
  reason?: string;
  /**
   * The `Link` header value of the module the snippet loads (`<…/cdn/onpay-checkout.<hash>.js>;
   * rel=modulepreload; crossorigin`): for the shop's `103 Early Hints` or `Link` header of its pages.
   * It changes only when the gateway is upgraded, so a shop may keep the last one it saw.
   */
  preload?: string;
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The `<onpay-checkout>` element with the link's attributes (and its script, when given): what a shop
 * shows when it does not (or cannot) render the picker on its server; the element loads its form.
 */
export function elementHtml(link: Pick<SignedPaymentLink, 'attributes'>, opts: { script?: string } = {}): string {
  const attrs = Object.entries(link.attributes).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  const script = opts.script ? `<script type="module" src="${escapeAttr(opts.script)}"></script>\n` : '';
  return `${script}<onpay-checkout${attrs}></onpay-checkout>`;
}

/**
 * The picker for the shop's page, rendered by the gateway (`GET {snippetUrl}`): its script tag, the
 * element with the payload as its JSON child and the plain form posting to the gateway. The gateway
 * checks the link as it checks any (a wrong md5 or amount is refused, naming the field); then, and on
 * a network failure or timeout, the answer is the bare element (`elementHtml`) with the reason, so the
 * shop's page still shows a way to pay.
 * @example
 * const link = signPaymentLink({ gateway, merchantLogin, secret: K, price: 45000n, payFor: 'order-7' });
 * const { html } = await fetchCheckoutHtml(link);
 */
export async function fetchCheckoutHtml(link: Pick<SignedPaymentLink, 'snippetUrl' | 'attributes'>, opts: CheckoutHtmlOptions = {}): Promise<CheckoutHtml> {
  const fallback = (reason: string): CheckoutHtml => ({
    html: elementHtml(link, { script: `${link.attributes.gateway ?? ''}/cdn/onpay-checkout.js` }), serverRendered: false, reason,
  });
  try {
    const res = await (opts.fetch ?? fetch)(link.snippetUrl, { signal: AbortSignal.timeout(opts.timeoutMs ?? 1500), headers: { accept: 'text/html' } });
    const text = await res.text();
    if (!res.ok) return fallback(`gateway answered ${res.status}: ${text.slice(0, 300)}`);
    const preload = res.headers.get('link');
    return { html: text, serverRendered: true, ...(preload ? { preload } : {}) };
  } catch (e) {
    return fallback(`gateway unreachable: ${e instanceof Error ? e.message : String(e)}`);
  }
}
