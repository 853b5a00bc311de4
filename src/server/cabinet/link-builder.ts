/**
 * The cabinet's link builder (issue 14 §6): from an order's price, currency, number, note and URLs,
 * the signed payment link, the `<onpay-checkout>` snippet with its attributes and the URL of the
 * gateway's HTML snippet. The md5 is made here, on the server: K never reaches the browser. The link
 * is read back through the gateway's own link parser and, when `checkLink` is given, held to the
 * rules the gateway applies when the link is opened (return URLs, currency, `one_way`, the fee
 * policy), so the builder never signs a link the gateway would then refuse or rewrite.
 *
 * @example const built = buildLink({ publicUrl }, merchant, { price: '100', payFor: '42' });
 */
import { GatewayError } from '../errors.ts';
import { linkMd5Matches } from '../../protocol/link.ts';
import { parseLink } from '../payments/link.ts';
import { signPaymentLink, type PaymentLinkInput } from '../../merchant/link.ts';
import type { Merchant } from '../types.ts';
import type { Receipt } from '../../protocol/receipt.ts';
import type { Language } from '../../protocol/languages.ts';

export interface LinkInput {
  price: string;
  ticker?: string | undefined;
  payFor: string;
  payMode?: 'fix' | 'free' | undefined;
  convert?: boolean | undefined;
  note?: string | undefined;
  ln?: Language | undefined;
  urlSuccess?: string | undefined;
  urlFail?: string | undefined;
  userEmail?: string | undefined;
  priceFinal?: boolean | undefined;
  oneWay?: string | undefined;
  /** The fiscal receipt, not yet checked: `signPaymentLink` holds it to the model's rules. */
  receipt?: Record<string, unknown> | undefined;
}

export interface BuiltLink {
  url: string;
  md5: string;
  /** The `<onpay-checkout>` attributes, and the element with its script as HTML to paste. */
  attributes: Record<string, string>;
  snippet: string;
  /** The gateway's HTML snippet of the same order (`GET /pay/{login}/snippet?…`). */
  snippetUrl: string;
}

/** The builder's own names for the link's fields, so that its errors name what the caller sent. */
const INPUT_FIELD: Record<string, string> = {
  price: 'price', ticker: 'ticker', pay_for: 'payFor', pay_mode: 'payMode', convert: 'convert', note: 'note', ln: 'ln',
  url_success: 'urlSuccess', url_success_enc: 'urlSuccess', url_fail: 'urlFail', url_fail_enc: 'urlFail',
  user_email: 'userEmail', price_final: 'priceFinal', one_way: 'oneWay',
};

/** The gateway's refusal of a link, renamed to the builder's field names (`one_way` → `oneWay`). */
function asInputError(e: GatewayError): GatewayError {
  const field = e.field === undefined ? undefined : INPUT_FIELD[e.field];
  if (field === undefined || e.field === undefined) return e;
  const message = e.message.startsWith(`${e.field}: `) ? `${field}: ${e.message.slice(e.field.length + 2)}` : e.message;
  return new GatewayError(e.status, e.code, message, field, e.extra, e.headers);
}

export interface LinkBuilderDeps {
  publicUrl: string;
  /** The gateway's rules for an opened link (`service.checkLink`): throws its 4xx naming the link's field. */
  checkLink?: (m: Merchant, params: URLSearchParams) => void;
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Signs a payment link for the merchant, or throws a 4xx naming the builder's field.
 */
export function buildLink(deps: LinkBuilderDeps, m: Merchant, input: LinkInput): BuiltLink {
  const gateway = deps.publicUrl.replace(/\/+$/, '');
  const li: PaymentLinkInput = {
    gateway, merchantLogin: m.login, secret: m.secret, price: input.price, payFor: input.payFor,
    ...(input.ticker ? { ticker: input.ticker } : {}),
    ...(input.payMode ? { payMode: input.payMode } : {}),
    ...(input.convert !== undefined ? { convert: input.convert } : {}),
    ...(input.note ? { note: input.note } : {}),
    ...(input.ln ? { ln: input.ln } : {}),
    ...(input.urlSuccess ? { urlSuccess: input.urlSuccess } : {}),
    ...(input.urlFail ? { urlFail: input.urlFail } : {}),
    ...(input.userEmail ? { userEmail: input.userEmail } : {}),
    ...(input.priceFinal ? { priceFinal: true } : {}),
    ...(input.oneWay ? { oneWay: input.oneWay } : {}),
    ...(input.receipt ? { receipt: input.receipt as unknown as Receipt } : {}),
  };
  let signed;
  try {
    signed = signPaymentLink(li);
  } catch (e) {
    const [field, ...rest] = (e as Error).message.split(': ');
    throw new GatewayError(400, 'invalid_body', `${field}: ${rest.join(': ') || 'invalid'}`, field);
  }
  // Read back as the gateway reads a link: every limit of PROTOCOL.md §2 applies.
  const params = new URLSearchParams(signed.query);
  try {
    const parsed = parseLink(params);
    if (!linkMd5Matches(parsed, m.secret)) throw new GatewayError(400, 'invalid_body', 'price: the link could not be signed', 'price');
    deps.checkLink?.(m, params);
  } catch (e) {
    throw e instanceof GatewayError ? asInputError(e) : e;
  }
  const attrs = Object.entries(signed.attributes).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  const snippet = `<script type="module" src="${escapeAttr(`${gateway}/cdn/onpay-checkout.js`)}"></script>\n<onpay-checkout${attrs}></onpay-checkout>`;
  return {
    url: signed.url,
    md5: signed.md5,
    attributes: signed.attributes,
    snippet,
    snippetUrl: `${gateway}/pay/${encodeURIComponent(m.login)}/snippet?${params.toString()}`,
  };
}
