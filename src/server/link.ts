/**
 * The payment link (PROTOCOL.md §2): its parameters parsed, validated and normalised — aliases,
 * `_enc` URLs in both forms, `onpay_ap_*` — into `LinkParams`, and the link md5 check.
 */
import { z } from 'zod';
import { GatewayError, fromZod } from './errors.ts';
import { canonicalAmount, parseAmount } from './money.ts';
import { linkSignature, safeEqualHex } from './protocol.ts';
import { resolveLanguage, type Language } from '../protocol/languages.ts';

/** Validated link parameters; amounts canonical. */
export interface LinkParams {
  payMode: 'fix' | 'free';
  price: string;
  ticker: string;
  payFor: string;
  convert: boolean;
  note: string;
  ln: Language;
  urlSuccess: string;
  urlFail: string;
  userEmail: string;
  userPhone: string;
  priceFinal: boolean;
  oneWay: string;
  extraParams: Record<string, string>;
}

const CTRL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const text = (max: number) => z.string().max(max, `at most ${max} characters`).refine((s) => !CTRL.test(s), 'control characters are not allowed');
const bool = (name: string) => z.string().optional().transform((v, ctx) => {
  if (v === undefined || v === '') return undefined;
  const s = v.toLowerCase();
  if (['true', 'yes', '1'].includes(s)) return true;
  if (['false', 'no', '0'].includes(s)) return false;
  ctx.addIssue({ code: 'custom', message: `${name} must be true/yes or false/no` });
  return z.NEVER;
});
const httpUrl = text(255).refine((s) => s === '' || /^https?:\/\/[^\s]+$/i.test(s), 'must be an http(s) URL');

const linkSchema = z.object({
  pay_mode: z.enum(['fix', 'free'], { message: 'must be fix or free' }).default('fix'),
  price: text(32).optional(),
  ticker: z.string().regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code'),
  pay_for: text(100).min(1, 'is required'),
  convert: z.enum(['yes', 'no'], { message: 'must be yes or no' }).default('yes'),
  md5: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits').optional(),
  note: text(255).default(''),
  // Any language tag; one the gateway does not speak falls back (src/protocol/languages.ts).
  ln: z.string().regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$/, 'must be a language code such as ru, en, uk, kk, be, uz, de').optional().transform(resolveLanguage),
  url_success: httpUrl.default(''),
  url_fail: httpUrl.default(''),
  user_email: text(40).refine((s) => s === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s), 'must be an e-mail address').default(''),
  user_phone: text(40).refine((s) => /^[0-9+()\- ]*$/.test(s), 'must be a phone number').default(''),
  price_final: bool('price_final'),
  one_way: z.string().regex(/^[A-Za-z]{3}$/, 'must be a payment system code').optional(),
  f: z.string().regex(/^\d{0,3}$/, 'must be a form design number').optional(),
});

function decodeEncUrl(value: string, field: string): string {
  if (/^https?:/i.test(value)) return value;
  const decoded = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  if (!/^https?:\/\//i.test(decoded)) throw new GatewayError(400, 'invalid_param', `${field}: must be a base64-encoded http(s) URL`, field);
  return decoded;
}

/**
 * Parses a payment link's parameters (first value of each name).
 * @example parseLink(new URLSearchParams('price=100&pay_for=42'))
 */
export function parseLink(params: URLSearchParams): { link: LinkParams; md5?: string; rawPrice: string; rawTicker: string } {
  const raw: Record<string, string> = {};
  const extraParams: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in raw) continue;
    if (key.startsWith('onpay_ap_')) {
      if (!/^onpay_ap_[a-z0-9]{1,32}$/.test(key)) throw new GatewayError(400, 'invalid_param', `${key}: extra parameter names are onpay_ap_ followed by lower-case latin letters and digits`, key);
      if (value.length > 255 || CTRL.test(value)) throw new GatewayError(400, 'invalid_param', `${key}: at most 255 characters, no control characters`, key);
      extraParams[key] = value;
      continue;
    }
    raw[key] = value;
  }
  // Currency aliases: currency > ticker > to.
  const tickerField = raw.currency !== undefined ? 'currency' : raw.ticker !== undefined ? 'ticker' : raw.to !== undefined ? 'to' : 'ticker';
  const rawTicker = raw[tickerField] ?? 'RUR';
  const input: Record<string, string | undefined> = { ...raw, ticker: rawTicker };
  for (const [plain, enc] of [['url_success', 'url_success_enc'], ['url_fail', 'url_fail_enc']] as const) {
    if (raw[enc]) input[plain] = decodeEncUrl(raw[enc], enc);
  }
  const r = linkSchema.safeParse(input);
  if (!r.success) {
    const e = fromZod(r.error);
    if (e.field === 'ticker' && tickerField !== 'ticker') throw new GatewayError(400, 'invalid_param', e.message.replace(/^ticker/, tickerField), tickerField);
    throw e;
  }
  const d = r.data;
  let ticker = d.ticker.toUpperCase();
  if (ticker === 'RUB') ticker = 'RUR';
  let price = '0.0';
  if (d.pay_mode === 'fix' || (d.price !== undefined && d.price !== '')) {
    if (d.price === undefined || d.price === '') throw new GatewayError(400, 'invalid_param', 'price: is required in fix mode', 'price');
    const canonical = canonicalAmount(d.price);
    if (canonical === null) throw new GatewayError(400, 'invalid_param', 'price: must be an amount like 100.0', 'price');
    if (d.pay_mode === 'fix' && parseAmount(canonical) === 0n) throw new GatewayError(400, 'invalid_param', 'price: must be above zero', 'price');
    price = canonical;
  }
  return {
    link: {
      payMode: d.pay_mode,
      price,
      ticker,
      payFor: d.pay_for,
      convert: d.convert === 'yes',
      note: d.note,
      ln: d.ln,
      urlSuccess: d.url_success,
      urlFail: d.url_fail,
      userEmail: d.user_email,
      userPhone: d.user_phone,
      priceFinal: d.price_final ?? false,
      oneWay: d.one_way?.toUpperCase() ?? '',
      extraParams,
    },
    ...(d.md5 !== undefined ? { md5: d.md5 } : {}),
    rawPrice: d.price ?? '',
    rawTicker,
  };
}

/**
 * Checks the link md5 `md5("pay_mode;price;ticker;pay_for;convert;K")`, case-insensitively, over the
 * canonical price and, as some modules do, over the raw price text and the raw ticker.
 */
export function linkMd5Matches(parsed: ReturnType<typeof parseLink>, key: string): boolean {
  if (!parsed.md5) return false;
  const { link } = parsed;
  const convert = link.convert ? 'yes' : 'no';
  const prices = new Set([link.price, parsed.rawPrice]);
  const tickers = new Set([link.ticker, parsed.rawTicker]);
  let ok = false;
  for (const price of prices) {
    for (const ticker of tickers) {
      // Evaluate every candidate: the time taken does not depend on which one matched.
      if (safeEqualHex(parsed.md5, linkSignature({ payMode: link.payMode, price, ticker, payFor: link.payFor, convert }, key))) ok = true;
    }
  }
  return ok;
}
