/**
 * The payment link (PROTOCOL.md §2): its parameters parsed, validated and normalised — aliases,
 * `_enc` URLs in both forms, `onpay_ap_*` — into `LinkParams`; the link md5; and the link written
 * back as a query or as `<onpay-checkout>` attributes, all from the one table in `link-params.ts`.
 * Bad input comes back as issues `{field, message}` naming the wire parameter, never as an HTTP
 * error: the gateway and the merchant kit each turn them into their own.
 */
import { z } from 'zod';
import { canonicalAmount, parseAmount, type Minor } from './money.ts';
import { linkSignature, safeEqualHex } from './onpay-api.ts';
import { createHash } from 'node:crypto';
import { resolveLanguage, type Language } from './languages.ts';
import { EXTENSION_PARAMS, EXTRA_PARAM_PREFIX, LINK_PARAMS, type ExtensionParam } from './link-params.ts';
import { checkReceiptForPayment, decodeReceiptParam, type Receipt } from './receipt.ts';
import { buyerEmail, isBuyerEmail } from './email.ts';

export { EXTENSION_PARAMS, EXTRA_ATTRIBUTE_PREFIX, EXTRA_PARAM_PREFIX, LINK_PARAMS, type ExtensionParam, type LinkParam } from './link-params.ts';

/** The signed extension parameters of a link as their wire texts (percent-decoded), with their `ext_md5`. */
export type LinkExtensions = Partial<Record<ExtensionParam, string>> & { ext_md5: string };

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
  /**
   * The signed extension parameters as given (PROTOCOL.md §5), kept to write the link back; absent
   * when the link has none. Their `ext_md5` is checked by the gateway with the merchant's K
   * (`extMd5Matches`), the parsed values are below.
   */
  extensions?: LinkExtensions;
  /** The fiscal receipt from the link's `receipt` (valid on its own; its contact may still be missing). */
  receipt?: Receipt;
  /** The shop's customer id (`customer`), for saved methods (issue 26: docs/API.md). */
  customer?: string;
  /** `save_method`: saving the buyer's method is `optional` (the buyer's consent asked) or `required` (a stated condition; issue 26). */
  saveMethod?: 'optional' | 'required';
  /** `capture`: `manual` holds the money until the shop captures it (a later issue). */
  capture?: 'auto' | 'manual';
}

/** A parsed link: the parameters, the price in minor units, and what the md5 check needs. */
export interface ParsedLink {
  link: LinkParams;
  /** `link.price` in minor units (0 in free mode without a price). */
  priceMinor: Minor;
  md5?: string;
  rawPrice: string;
  rawTicker: string;
}

/** What is wrong with one parameter, named by its wire name. */
export interface LinkIssue {
  field: string;
  message: string;
}

export type LinkParseResult = { ok: true; value: ParsedLink } | { ok: false; issues: LinkIssue[] };

// eslint-disable-next-line no-control-regex -- the point: control characters are refused in link texts
const CTRL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const EXTRA_NAME = /^onpay_ap_[a-z0-9]{1,32}$/;
/** The longest `receipt` text: base64url of the largest receipt JSON taken (8 KB, receipt.ts), with padding. */
const MAX_RECEIPT_TEXT = 10_924;
const RECEIPT_TEXT = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_RECEIPT_TEXT}}={0,2}$`);
/** The shop's customer id: 1 to 64 printable characters (no control characters; counted as UTF-16 units). */
const CUSTOMER = /^[^\p{Cc}]{1,64}$/u;
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
  // Any language tag; one the gateway does not speak falls back (languages.ts).
  ln: z.string().regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$/, 'must be a language code such as ru, en, uk, kk, be, uz, de').optional().transform(resolveLanguage),
  url_success: httpUrl.default(''),
  url_fail: httpUrl.default(''),
  user_email: buyerEmail().default(''),
  user_phone: text(40).refine((s) => /^[0-9+()\- ]*$/.test(s), 'must be a phone number').default(''),
  price_final: bool('price_final'),
  one_way: z.string().regex(/^[A-Za-z]{3}$/, 'must be a payment system code').optional(),
  f: z.string().regex(/^\d{0,3}$/, 'must be a form design number').optional(),
  receipt: z.string().regex(RECEIPT_TEXT, `must be base64url (RFC 4648 §5) of the receipt's JSON, at most ${MAX_RECEIPT_TEXT} characters`).optional(),
  customer: z.string().regex(CUSTOMER, 'must be 1 to 64 printable characters').optional(),
  save_method: z.enum(['optional', 'required'], { message: 'must be optional or required' }).optional(),
  capture: z.enum(['auto', 'manual'], { message: 'must be auto or manual' }).optional(),
  ext_md5: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits').optional(),
});

/** The checked fields of a link, as `parseLink` reads them from either check below. */
export interface LinkFields {
  pay_mode: 'fix' | 'free';
  price: string | undefined;
  ticker: string;
  pay_for: string;
  convert: 'yes' | 'no';
  md5: string | undefined;
  note: string;
  ln: Language;
  url_success: string;
  url_fail: string;
  user_email: string;
  user_phone: string;
  price_final: boolean | undefined;
  one_way: string | undefined;
  f: string | undefined;
  receipt: string | undefined;
  customer: string | undefined;
  save_method: 'optional' | 'required' | undefined;
  capture: 'auto' | 'manual' | undefined;
  ext_md5: string | undefined;
}

/** The schema's verdict: the fields, or the first issue (its path and message). */
export function linkFieldsBySchema(input: Record<string, string | undefined>): { ok: true; fields: LinkFields } | { ok: false; field: string; message: string } {
  const r = linkSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, field: issue.path.map(String).join('.'), message: issue.message };
  }
  const d = r.data;
  return {
    ok: true,
    fields: {
      pay_mode: d.pay_mode, price: d.price, ticker: d.ticker, pay_for: d.pay_for, convert: d.convert, md5: d.md5, note: d.note, ln: d.ln,
      url_success: d.url_success, url_fail: d.url_fail, user_email: d.user_email, user_phone: d.user_phone, price_final: d.price_final,
      one_way: d.one_way, f: d.f, receipt: d.receipt, customer: d.customer, save_method: d.save_method, capture: d.capture, ext_md5: d.ext_md5,
    },
  };
}

const TICKER = /^[A-Za-z]{3}$/;
const MD5 = /^[0-9a-fA-F]{32}$/;
const LANGUAGE_TAG = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$/;
const HTTP_URL = /^https?:\/\/[^\s]+$/i;
const PHONE = /^[0-9+()\- ]*$/;
const FORM_DESIGN = /^\d{0,3}$/;
const okText = (s: string, max: number): boolean => s.length <= max && !CTRL.test(s);
const okUrl = (s: string): boolean => okText(s, 255) && (s === '' || HTTP_URL.test(s));
const BOOLEANS: Record<string, boolean> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };

/**
 * The same checks as the schema, written out for the payment link's hot path (the schema cost a
 * form payload ≈ 15 µs of its CPU; this ≈ 2). It answers only links that pass: anything it doubts
 * goes to the schema, which then names the field and says what is wrong. A property test holds the
 * two to the same answer on any input (test/link-fast.property.test.ts).
 */
export function linkFieldsFast(i: Record<string, string | undefined>): LinkFields | undefined {
  const { price, ticker, pay_for: payFor, md5, ln, one_way: oneWay, f } = i;
  const payMode = i.pay_mode ?? 'fix';
  const convert = i.convert ?? 'yes';
  const note = i.note ?? '';
  const urlSuccess = i.url_success ?? '';
  const urlFail = i.url_fail ?? '';
  const email = i.user_email ?? '';
  const phone = i.user_phone ?? '';
  if (payMode !== 'fix' && payMode !== 'free') return undefined;
  if (convert !== 'yes' && convert !== 'no') return undefined;
  if (price !== undefined && !okText(price, 32)) return undefined;
  if (ticker === undefined || !TICKER.test(ticker)) return undefined;
  if (payFor === undefined || payFor.length === 0 || !okText(payFor, 100)) return undefined;
  if (md5 !== undefined && !MD5.test(md5)) return undefined;
  if (!okText(note, 255) || !okUrl(urlSuccess) || !okUrl(urlFail)) return undefined;
  if (ln !== undefined && !LANGUAGE_TAG.test(ln)) return undefined;
  if (!isBuyerEmail(email)) return undefined;
  if (!okText(phone, 40) || !PHONE.test(phone)) return undefined;
  let priceFinal: boolean | undefined;
  if (i.price_final !== undefined && i.price_final !== '') {
    const word = i.price_final.toLowerCase();
    if (!Object.hasOwn(BOOLEANS, word)) return undefined;
    priceFinal = BOOLEANS[word];
  }
  if (oneWay !== undefined && !TICKER.test(oneWay)) return undefined;
  if (f !== undefined && !FORM_DESIGN.test(f)) return undefined;
  const { receipt, customer, save_method: saveMethod, capture, ext_md5: extMd5 } = i;
  if (receipt !== undefined && !RECEIPT_TEXT.test(receipt)) return undefined;
  if (customer !== undefined && !CUSTOMER.test(customer)) return undefined;
  if (saveMethod !== undefined && saveMethod !== 'optional' && saveMethod !== 'required') return undefined;
  if (capture !== undefined && capture !== 'auto' && capture !== 'manual') return undefined;
  if (extMd5 !== undefined && !MD5.test(extMd5)) return undefined;
  return {
    pay_mode: payMode, price, ticker, pay_for: payFor, convert, md5, note, ln: resolveLanguage(ln), url_success: urlSuccess, url_fail: urlFail,
    user_email: email, user_phone: phone, price_final: priceFinal, one_way: oneWay, f,
    receipt, customer, save_method: saveMethod, capture, ext_md5: extMd5,
  };
}

const fail = (field: string, message: string): LinkParseResult => ({ ok: false, issues: [{ field, message }] });
const EXTENSION_NAMES: ReadonlySet<string> = new Set(EXTENSION_PARAMS);

/** An `_enc` URL: base64 (standard or URL-safe) of an http(s) URL, or, as many modules send it, the plain URL. */
function decodeEncUrl(value: string): string | null {
  if (/^https?:/i.test(value)) return value;
  const decoded = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return /^https?:\/\//i.test(decoded) ? decoded : null;
}

/**
 * Parses a payment link's parameters (first value of each name).
 * @example
 * const r = parseLink(new URLSearchParams('price=100&pay_for=42'));
 * if (r.ok) r.value.link.price; // '100.0'
 * else r.issues[0]; // { field: 'price', message: 'must be an amount like 100.0' }
 */
export function parseLink(params: URLSearchParams): LinkParseResult {
  const raw: Record<string, string> = {};
  const extraParams: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in raw) continue;
    if (key.startsWith(EXTRA_PARAM_PREFIX)) {
      if (!EXTRA_NAME.test(key)) return fail(key, 'extra parameter names are onpay_ap_ followed by lower-case latin letters and digits');
      if (value.length > 255 || CTRL.test(value)) return fail(key, 'at most 255 characters, no control characters');
      extraParams[key] = value;
      continue;
    }
    // An empty extension parameter (an element writing every attribute) is as good as absent.
    if (value === '' && (EXTENSION_NAMES.has(key) || key === 'ext_md5')) continue;
    raw[key] = value;
  }
  // Currency aliases: currency > ticker > to.
  const tickerField = raw.currency !== undefined ? 'currency' : raw.ticker !== undefined ? 'ticker' : raw.to !== undefined ? 'to' : 'ticker';
  const rawTicker = raw[tickerField] ?? 'RUR';
  const input: Record<string, string | undefined> = { ...raw, ticker: rawTicker };
  for (const [plain, enc] of [['url_success', 'url_success_enc'], ['url_fail', 'url_fail_enc']] as const) {
    if (!raw[enc]) continue;
    const url = decodeEncUrl(raw[enc]);
    if (url === null) return fail(enc, 'must be a base64-encoded http(s) URL');
    input[plain] = url;
  }
  let d = linkFieldsFast(input);
  if (!d) {
    const r = linkFieldsBySchema(input);
    if (!r.ok) return fail(r.field === 'ticker' ? tickerField : r.field, r.message);
    d = r.fields;
  }
  let ticker = d.ticker.toUpperCase();
  if (ticker === 'RUB') ticker = 'RUR';
  let price = '0.0';
  let priceMinor = 0n;
  if (d.pay_mode === 'fix' || (d.price !== undefined && d.price !== '')) {
    if (d.price === undefined || d.price === '') return fail('price', 'is required in fix mode');
    const canonical = canonicalAmount(d.price);
    if (canonical === null) return fail('price', 'must be an amount like 100.0');
    priceMinor = parseAmount(canonical)!;
    if (d.pay_mode === 'fix' && priceMinor === 0n) return fail('price', 'must be above zero');
    price = canonical;
  }
  const ext = extensionsOf(d, ticker, d.pay_mode === 'fix' ? priceMinor : undefined);
  if (!ext.ok) return fail(ext.field, ext.message);
  return {
    ok: true,
    value: {
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
        ...ext.parsed,
      },
      priceMinor,
      ...(d.md5 !== undefined ? { md5: d.md5 } : {}),
      rawPrice: d.price ?? '',
      rawTicker,
    },
  };
}

type Extensions = { ok: true; parsed: Pick<LinkParams, 'extensions' | 'receipt' | 'customer' | 'saveMethod' | 'capture'> } | { ok: false; field: string; message: string };

/**
 * The link's extension parameters: present ones need `ext_md5` (checked against K by the gateway,
 * `extMd5Matches`); the receipt decoded and held to the order's currency and, in fix mode, its
 * price. Its contact is checked when the payment is created: the buyer may still give an e-mail.
 */
function extensionsOf(d: LinkFields, ticker: string, priceMinor: Minor | undefined): Extensions {
  const texts: Partial<Record<ExtensionParam, string>> = {};
  for (const name of EXTENSION_PARAMS) if (d[name] !== undefined) texts[name] = d[name];
  if (Object.keys(texts).length === 0) return { ok: true, parsed: {} };
  if (d.ext_md5 === undefined) return { ok: false, field: 'ext_md5', message: `is required with the extension parameters (${Object.keys(texts).join(', ')})` };
  let receipt: Receipt | undefined;
  if (texts.receipt !== undefined) {
    const r = decodeReceiptParam(texts.receipt);
    if (!r.ok) return { ok: false, ...r.issue };
    const c = checkReceiptForPayment(r.receipt, { ticker, ...(priceMinor !== undefined ? { priceMinor } : {}), requireContact: false });
    if (!c.ok) return { ok: false, ...c.issue };
    receipt = c.receipt;
  }
  return {
    ok: true,
    parsed: {
      extensions: { ...texts, ext_md5: d.ext_md5 },
      ...(receipt ? { receipt } : {}),
      ...(d.customer !== undefined ? { customer: d.customer } : {}),
      ...(d.save_method !== undefined ? { saveMethod: d.save_method } : {}),
      ...(d.capture !== undefined ? { capture: d.capture } : {}),
    },
  };
}

/**
 * `ext_md5` (PROTOCOL.md §5): `md5("{name1}={value1};…;{K}")` over the extension parameters
 * present, sorted by name, values as given (percent-decoded), lower-case hex.
 * @example extSignature({ customer: 'c-42', capture: 'manual' }, 'test') // 'faa16304425630856eb0f64635e27baf'
 */
export function extSignature(params: Partial<Record<ExtensionParam, string>>, key: string): string {
  const parts = Object.entries(params).filter(([name, v]) => v !== undefined && v !== '' && EXTENSION_NAMES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, v]) => `${name}=${v}`);
  return createHash('md5').update([...parts, key].join(';'), 'utf8').digest('hex');
}

/** Whether a link's `ext_md5` matches its extension parameters under K (case-insensitive); true when it has none. */
export function extMd5Matches(link: Pick<LinkParams, 'extensions'>, key: string): boolean {
  if (!link.extensions) return true;
  const { ext_md5: md5, ...params } = link.extensions;
  return safeEqualHex(md5, extSignature(params, key));
}

/**
 * The link md5 `md5("pay_mode;price;ticker;pay_for;convert;K")` of these parameters (lower-case hex).
 * @example signLink({ payMode: 'fix', price: '100.0', ticker: 'RUR', payFor: '123', convert: true }, 'test') // '1206be51…'
 */
export const signLink = (l: Pick<LinkParams, 'payMode' | 'price' | 'ticker' | 'payFor' | 'convert'>, key: string): string =>
  linkSignature({ payMode: l.payMode, price: l.price, ticker: l.ticker, payFor: l.payFor, convert: l.convert ? 'yes' : 'no' }, key);

/**
 * Checks a parsed link's md5, case-insensitively, over the canonical price and, as some modules do,
 * over the raw price text and the raw ticker.
 */
export function linkMd5Matches(parsed: ParsedLink, key: string): boolean {
  if (!parsed.md5) return false;
  const { link } = parsed;
  const prices = new Set([link.price, parsed.rawPrice]);
  const tickers = new Set([link.ticker, parsed.rawTicker]);
  let ok = false;
  for (const price of prices) {
    for (const ticker of tickers) {
      // Evaluate every candidate: the time taken does not depend on which one matched.
      if (safeEqualHex(parsed.md5, signLink({ ...link, price, ticker }, key))) ok = true;
    }
  }
  return ok;
}

/** Link parameters to write: any of `LinkParams`, left out or empty where not given. */
export type LinkValues = Partial<Omit<LinkParams, 'extraParams' | 'extensions'>> & { extraParams?: Record<string, string>; md5?: string | undefined; extensions?: LinkExtensions | undefined };

/** The table's entries with their wire text for these values, in the table's order. */
function written(values: LinkValues): [wire: string, attribute: string, text: string][] {
  const out: [string, string, string][] = [];
  for (const [wire, attribute, field] of LINK_PARAMS) {
    const v = field === null ? (wire === 'md5' ? values.md5 : values.extensions?.[wire as keyof LinkExtensions]) : values[field];
    // Booleans: convert is written yes/no, price_final only when true.
    if (v === undefined || v === '' || (v === false && field !== 'convert')) continue;
    out.push([wire, attribute, v === true ? (field === 'convert' ? 'yes' : 'true') : v === false ? 'no' : v]);
  }
  return out;
}

/**
 * The payment link query of these parameters, `onpay_ap_*` last.
 * @example linkQuery({ payMode: 'fix', price: '100.0', ticker: 'RUR', payFor: '42', convert: true }) // { pay_mode: 'fix', …, convert: 'yes' }
 */
export function linkQuery(values: LinkValues): Record<string, string> {
  const q: Record<string, string> = {};
  for (const [wire, , text] of written(values)) q[wire] = text;
  return { ...q, ...values.extraParams };
}

/**
 * The `<onpay-checkout>` attributes of these parameters (kebab-case): `merchant-login` first, the
 * extra parameters as one `params` query.
 */
export function elementAttributes(merchantLogin: string, values: LinkValues): Record<string, string> {
  const a: Record<string, string> = { 'merchant-login': merchantLogin };
  for (const [, attribute, text] of written(values)) a[attribute] = text;
  if (values.extraParams && Object.keys(values.extraParams).length > 0) a.params = new URLSearchParams(values.extraParams).toString();
  return a;
}
