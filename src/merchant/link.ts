/**
 * Signing payment links on the shop's server (PROTOCOL.md §2): the md5, the link URL and the
 * element's attributes, all from one validated description of the order.
 */
import { createHash } from 'node:crypto';
import { canonicalAmount } from '../protocol/money.ts';

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
  ln?: 'ru' | 'en';
  urlSuccess?: string;
  urlFail?: string;
  userEmail?: string;
  userPhone?: string;
  priceFinal?: boolean;
  oneWay?: string;
  /** `onpay_ap_*` parameters (the prefix may be left out). */
  extraParams?: Record<string, string>;
}

export interface SignedPaymentLink {
  /** The payment link, `{gateway}/pay/{login}?…`. */
  url: string;
  md5: string;
  /** The link's query parameters. */
  query: Record<string, string>;
  /** The `<onpay-checkout>` attributes (kebab-case), including `gateway` and `md5`. */
  attributes: Record<string, string>;
}

/** `md5("pay_mode;price;ticker;pay_for;convert;K")`, lower-case hex. */
export function linkMd5(payMode: string, price: string, ticker: string, payFor: string, convert: 'yes' | 'no', secret: string): string {
  return createHash('md5').update(`${payMode};${price};${ticker};${payFor};${convert};${secret}`, 'utf8').digest('hex');
}

/**
 * Signs a payment link.
 * @example
 * const link = signPaymentLink({ gateway: 'https://pay.example.com', merchantLogin: 'shop', secret: K, price: '100', payFor: '42' });
 * // link.url, link.attributes['md5'] === '…'
 */
export function signPaymentLink(input: PaymentLinkInput): SignedPaymentLink {
  const payMode = input.payMode ?? 'fix';
  const priceText = typeof input.price === 'bigint' ? `${input.price / 100n}.${(input.price % 100n).toString().padStart(2, '0')}` : input.price;
  const price = canonicalAmount(priceText);
  if (price === null) throw new RangeError(`price: not an amount: ${priceText}`);
  const ticker = (input.ticker ?? 'RUR').toUpperCase();
  if (!/^[A-Z]{3}$/.test(ticker)) throw new RangeError('ticker: a 3-letter currency code');
  if (!input.payFor || input.payFor.length > 100) throw new RangeError('payFor: 1 to 100 characters');
  const convert = input.convert === false ? 'no' : 'yes';
  const md5 = linkMd5(payMode, price, ticker, input.payFor, convert, input.secret);
  const query: Record<string, string> = { pay_mode: payMode, price, ticker, pay_for: input.payFor, convert, md5 };
  const attributes: Record<string, string> = {
    gateway: input.gateway.replace(/\/+$/, ''), 'merchant-login': input.merchantLogin, 'pay-mode': payMode, price, ticker,
    'pay-for': input.payFor, convert, md5,
  };
  const optional: [keyof PaymentLinkInput, string, string][] = [
    ['note', 'note', 'note'], ['ln', 'ln', 'ln'], ['urlSuccess', 'url_success', 'url-success'], ['urlFail', 'url_fail', 'url-fail'],
    ['userEmail', 'user_email', 'user-email'], ['userPhone', 'user_phone', 'user-phone'], ['oneWay', 'one_way', 'one-way'],
  ];
  for (const [key, wire, attr] of optional) {
    const v = input[key];
    if (typeof v === 'string' && v !== '') {
      query[wire] = v;
      attributes[attr] = v;
    }
  }
  if (input.priceFinal) {
    query.price_final = 'true';
    attributes['price-final'] = 'true';
  }
  const extra = Object.entries(input.extraParams ?? {}).map(([k, v]) => [k.startsWith('onpay_ap_') ? k : `onpay_ap_${k}`, v] as const);
  for (const [k, v] of extra) query[k] = v;
  if (extra.length) attributes.params = new URLSearchParams(Object.fromEntries(extra)).toString();
  const url = `${attributes.gateway}/pay/${encodeURIComponent(input.merchantLogin)}?${new URLSearchParams(query).toString()}`;
  return { url, md5, query, attributes };
}
