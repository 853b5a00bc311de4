/**
 * Signing payment links on the shop's server (PROTOCOL.md §2): the md5, the link URL and the
 * element's attributes, all from one validated description of the order.
 */
import { elementAttributes, extSignature, EXTRA_PARAM_PREFIX, linkQuery, signLink, type LinkExtensions } from '../protocol/link.ts';
import { encodeReceiptParam, parseReceipt, type Receipt } from '../protocol/receipt.ts';
import { canonicalAmount, formatTwoDecimals } from '../protocol/money.ts';
import { linkSignature } from '../protocol/onpay-api.ts';
import type { Language } from '../protocol/languages.ts';

export interface PaymentLinkInput {
  /** The gateway's public URL, e.g. `https://pay.example.com`. */
  gateway: string;
  merchantLogin: string;
  /** The merchant's secret key K. */
  secret: string;
  /** Amount text or minor units (`12345n` is 123.45); never a float. */
  price: string | bigint;
  payFor: string;
  ticker?: string;
  payMode?: 'fix' | 'free';
  convert?: boolean;
  note?: string;
  /** The form's language: any the gateway speaks (docs/ELEMENT.md). */
  ln?: Language;
  urlSuccess?: string;
  urlFail?: string;
  userEmail?: string;
  userPhone?: string;
  priceFinal?: boolean;
  oneWay?: string;
  /** `onpay_ap_*` parameters (the prefix may be left out). */
  extraParams?: Record<string, string>;
  /** The fiscal receipt (54-ФЗ): its items sum to `price`; sent as `receipt` and signed by `ext_md5`. */
  receipt?: Receipt;
  /** The shop's customer id (≤ 64 printable characters), signed by `ext_md5`. */
  customer?: string;
  /** Whether the buyer's method is saved, signed by `ext_md5`. */
  saveMethod?: 'optional' | 'required';
  /** `manual`: the money is held until the shop captures it; signed by `ext_md5`. */
  capture?: 'auto' | 'manual';
}

export interface SignedPaymentLink {
  /** The payment link, `{gateway}/pay/{login}?…`. */
  url: string;
  md5: string;
  /** The link's query parameters. */
  query: Record<string, string>;
  /** The `<onpay-checkout>` attributes (kebab-case), including `gateway` and `md5`. */
  attributes: Record<string, string>;
  /**
   * `{gateway}/pay/{login}/payload?…`: the form payload the element rendered with `attributes` asks
   * for, byte for byte, so that a `<link rel=preload as=fetch crossorigin>` of it (see
   * `preloadLinks`) arrives while the element's script does, and the element uses it.
   */
  payloadUrl: string;
  /**
   * `{gateway}/pay/{login}/snippet?…`: the gateway's HTML for the shop's page with the picker rendered
   * (the element, the payload inside it and the plain form); see `fetchCheckoutHtml`.
   */
  snippetUrl: string;
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The `<head>` lines that start the element's requests with the page's own: the form payload
 * preloaded (the element then renders its picker one round trip sooner) and, when the script's URL is
 * given, the element's module. Attribute values are escaped; put the string in the page as HTML.
 * @example
 * const link = signPaymentLink({ … });
 * const head = preloadLinks(link, { script: 'https://pay.example.com/cdn/onpay-checkout.js' });
 */
export function preloadLinks(link: Pick<SignedPaymentLink, 'payloadUrl'>, opts: { script?: string } = {}): string {
  const lines = [`<link rel="preload" as="fetch" crossorigin href="${escapeAttr(link.payloadUrl)}">`];
  if (opts.script) lines.push(`<link rel="modulepreload" crossorigin href="${escapeAttr(opts.script)}">`);
  return lines.join('\n');
}

/** `md5("pay_mode;price;ticker;pay_for;convert;K")`, lower-case hex. */
export const linkMd5 = (payMode: string, price: string, ticker: string, payFor: string, convert: 'yes' | 'no', secret: string): string =>
  linkSignature({ payMode, price, ticker, payFor, convert }, secret);

/** A price given in minor units as amount text; a negative one keeps its sign and is refused as not an amount. */
const priceOfMinor = (minor: bigint): string => (minor < 0n ? `-${formatTwoDecimals(-minor)}` : formatTwoDecimals(minor));

/**
 * The extension parameters given, with their `ext_md5` (PROTOCOL.md §5); undefined when none is.
 * A receipt breaking the model's own rules throws, naming its path, as a bad price does.
 */
function signedExtensions(input: PaymentLinkInput): LinkExtensions | undefined {
  const texts: Omit<LinkExtensions, 'ext_md5'> = {};
  if (input.receipt !== undefined) {
    const r = parseReceipt(input.receipt);
    if (!r.ok) throw new RangeError(`${r.issue.field}: ${r.issue.message}`);
    texts.receipt = encodeReceiptParam(r.receipt);
  }
  if (input.customer !== undefined) texts.customer = input.customer;
  if (input.saveMethod !== undefined) texts.save_method = input.saveMethod;
  if (input.capture !== undefined) texts.capture = input.capture;
  if (Object.keys(texts).length === 0) return undefined;
  return { ...texts, ext_md5: extSignature(texts, input.secret) };
}

/**
 * Signs a payment link.
 * @example
 * const link = signPaymentLink({ gateway: 'https://pay.example.com', merchantLogin: 'shop', secret: K, price: '100', payFor: '42' });
 * // link.url, link.attributes['md5'] === '…'
 */
export function signPaymentLink(input: PaymentLinkInput): SignedPaymentLink {
  const payMode = input.payMode ?? 'fix';
  const priceText = typeof input.price === 'bigint' ? priceOfMinor(input.price) : input.price;
  const price = canonicalAmount(priceText);
  if (price === null) throw new RangeError(`price: not an amount: ${priceText}`);
  const ticker = (input.ticker ?? 'RUR').toUpperCase();
  if (!/^[A-Z]{3}$/.test(ticker)) throw new RangeError('ticker: a 3-letter currency code');
  if (!input.payFor || input.payFor.length > 100) throw new RangeError('payFor: 1 to 100 characters');
  const convert = input.convert !== false;
  const md5 = signLink({ payMode, price, ticker, payFor: input.payFor, convert }, input.secret);
  const extraParams = Object.fromEntries(Object.entries(input.extraParams ?? {})
    .map(([k, v]) => [k.startsWith(EXTRA_PARAM_PREFIX) ? k : `${EXTRA_PARAM_PREFIX}${k}`, v]));
  const { merchantLogin } = input;
  const extensions = signedExtensions(input);
  const values = {
    payMode, price, ticker, payFor: input.payFor, convert, md5, note: input.note, ln: input.ln, urlSuccess: input.urlSuccess,
    urlFail: input.urlFail, userEmail: input.userEmail, userPhone: input.userPhone, priceFinal: input.priceFinal, oneWay: input.oneWay,
    extraParams, extensions,
  };
  const query = linkQuery(values);
  const gateway = input.gateway.replace(/\/+$/, '');
  const attributes = { gateway, ...elementAttributes(merchantLogin, values) };
  const search = new URLSearchParams(query).toString();
  const url = `${gateway}/pay/${encodeURIComponent(merchantLogin)}?${search}`;
  // The element writes its query from the attributes in the same order (protocol/link-params.ts).
  const payloadUrl = `${gateway}/pay/${encodeURIComponent(merchantLogin)}/payload?${search}`;
  const snippetUrl = `${gateway}/pay/${encodeURIComponent(merchantLogin)}/snippet?${search}`;
  return { url, md5, query, attributes, payloadUrl, snippetUrl };
}
