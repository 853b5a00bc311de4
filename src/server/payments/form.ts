/**
 * The payment form: rates and quotes, the ways offered for an order, the form payload and the token
 * that binds it. The order's price in minor units is computed once per request (by `parseLink` for
 * the form, from the token's link on create) and carried to every quote.
 */
import type { WayDefinition } from '../providers/contract.ts';
import { GatewayError } from '../errors.ts';
import { extMd5Matches, linkMd5Matches, type LinkParams } from '../../protocol/link.ts';
import { parseLink } from './link.ts';
import { convert, feeOf, formatAmount, formatRate, MAX_AMOUNT_MINOR, parseAmount, parseRate, type Minor, type Rate } from '../../protocol/money.ts';
import type { WayEntry } from '../providers/registry.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { checkReturnUrls, merchantMode, merchantPaysFees } from '../merchants/merchant-rules.ts';
import { verifyingSecrets } from '../merchants/secret-grace.ts';
import { signToken, verifyToken } from '../token.ts';
import type { Merchant, Payment } from '../types.ts';
import { merchantText, wayTitle } from '../../protocol/languages.ts';
import type { PaymentCore } from './core.ts';
import type { FormPayload, PendingPayment, WayQuote } from '../../protocol/checkout-api.ts';
import { canSaveWith, savedMethodsOn } from './saved-methods.ts';

/** What the token binds: the merchant and the validated link. */
export interface TokenPayload {
  m: string;
  l: LinkParams;
}

/** What a way costs for an order: the buyer's amount, the fee, the merchant's balance and the rate. */
export interface Quote {
  amount: Minor;
  fee: Minor;
  balance: Minor;
  balanceTicker: string;
  rate: string;
}

const LOGIN = /^[a-z0-9][a-z0-9_.-]{1,63}$/;
/** No way withheld. */
const NONE: ReadonlySet<string> = new Set();

/** The methods that can hold money at their providers (cards); SBP has no hold anywhere (issue 25). */
const HOLD_METHODS = new Set(['card', 'bank_card']);

/** Whether a way can hold money for a later capture: a card method of a connector that captures and voids. */
export const canHold = (e: WayEntry): boolean => e.connector.capture !== undefined && e.connector.void !== undefined && HOLD_METHODS.has(e.method);

/** A payment's capture: the link's signed `capture` when given, else the merchant's key `capture` (default `auto`). */
export const captureModeOf = (m: Merchant, link: Pick<LinkParams, 'capture'>): 'auto' | 'manual' => link.capture ?? m.capture ?? 'auto';

export type PaymentForms = ReturnType<typeof createPaymentForms>;

/** The order's payment waiting with instructions, for a form to resume (orders.ts `pendingFor`). */
export type PendingLookup = (m: Merchant, link: LinkParams, priceMinor: Minor) => Promise<PendingPayment | undefined>;

/** The form side of the payment wing; `pendingFor`: what a reload of an order's form resumes. */
export function createPaymentForms(core: PaymentCore, pendingFor?: PendingLookup) {
  const { deps, allowOrigin } = core;
  const { storage, config, connectors } = deps;
  const rates = new Map<string, Rate>(Object.entries(config.rates).map(([k, v]) => [k, parseRate(v)!]));

  function rateOf(ticker: string, field: string): Rate {
    const r = rates.get(ticker);
    if (r === undefined) throw new GatewayError(400, 'invalid_param', `${field}: currency ${ticker} is not accepted`, field);
    return r;
  }

  /**
   * Amounts of one way for an order price (in the link's ticker). Refuses, naming `field`, an amount
   * that conversion and fees push above the largest amount: it could not be stored exactly (SQLite
   * reads integers above 2^53 as floats), written back as an amount, or reported by the system.
   */
  function amountOf(link: LinkParams, priceMinor: Minor, way: WayDefinition, field: 'price' | 'amount' = 'price') {
    const wayRate = rateOf(way.ticker, 'way');
    const base = convert(priceMinor, rateOf(link.ticker, 'ticker'), wayRate);
    const amount = link.priceFinal ? base : base + feeOf(base, way.feeBps);
    if (amount > MAX_AMOUNT_MINOR) {
      throw new GatewayError(400, 'invalid_param', `${field}: too large once converted to ${way.ticker} for ${way.code}`, field);
    }
    return { base, amount, wayRate };
  }

  function quote(link: LinkParams, priceMinor: Minor, way: WayDefinition, field: 'price' | 'amount' = 'price'): Quote {
    const { base, amount, wayRate } = amountOf(link, priceMinor, way, field);
    const fee = link.priceFinal ? feeOf(base, way.feeBps) : amount - base;
    let balance: Minor;
    let balanceTicker: string;
    if (link.convert) {
      balanceTicker = link.ticker;
      balance = link.priceFinal ? priceMinor - feeOf(priceMinor, way.feeBps) : priceMinor;
    } else {
      balanceTicker = way.ticker;
      balance = link.priceFinal ? amount - fee : base;
    }
    return { amount, fee, balance, balanceTicker, rate: formatRate(wayRate, rateOf(balanceTicker, 'ticker')) };
  }

  /** Whether the sandbox systems serve this merchant: the sandbox on, and the merchant a test one. */
  const sandboxServes = (m: Merchant): boolean => config.sandbox && merchantMode(m, config.sandbox) === 'test';

  /** The smallest amount a way takes: its provider's minimum where the connector knows one, else one minor unit. */
  const minimumOf = (e: WayEntry): Minor => {
    const min = e.connector.minAmountMinor?.(e.method, e.way.ticker);
    return min !== undefined && min > 1n ? min : 1n;
  };

  /**
   * Why a way cannot be offered: `sandbox` (a sandbox system, and the sandbox is off or the merchant
   * live), `amount` (the price comes to zero in its currency, or below its provider's minimum);
   * null when it can. `priceMinor` null: free mode, the amount is checked once the buyer types it.
   */
  function unusable(m: Merchant, link: LinkParams, e: WayEntry, priceMinor: Minor | null, withheld: ReadonlySet<string> = NONE): 'sandbox' | 'withheld' | 'amount' | 'hold' | null {
    if (e.connector.id === SANDBOX_PROVIDER_ID && !sandboxServes(m)) return 'sandbox';
    if (withheld.has(e.way.code)) return 'withheld';
    // A manual-capture payment (issue 25) is offered only ways that can hold (cards; SBP cannot anywhere).
    if (captureModeOf(m, link) === 'manual' && !canHold(e)) return 'hold';
    if (priceMinor === null) return null;
    return amountOf(link, priceMinor, e.way).amount < minimumOf(e) ? 'amount' : null;
  }

  /**
   * The ways offered for an order: only those the buyer can use (`unusable`). `one_way` naming an
   * unusable way is refused naming `one_way`; no way left, naming `price` (too small for all) or
   * `merchant_login` (the merchant has none it may use).
   */
  function waysFor(m: Merchant, link: LinkParams, priceMinor: Minor | null, withheld: ReadonlySet<string> = NONE): WayEntry[] {
    if (link.oneWay) {
      const e = connectors.way(link.oneWay);
      if (!e) throw new GatewayError(400, 'invalid_param', `one_way: no payment system ${link.oneWay}`, 'one_way');
      switch (unusable(m, link, e, priceMinor, withheld)) {
        case 'sandbox':
          throw new GatewayError(400, 'invalid_param', `one_way: ${link.oneWay} is a sandbox payment system, not available to this merchant`, 'one_way');
        case 'withheld':
          throw new GatewayError(400, 'invalid_param', `one_way: ${link.oneWay} is not available at its provider now`, 'one_way');
        case 'hold':
          throw new GatewayError(400, 'invalid_param', `one_way: ${link.oneWay} cannot hold money, and this payment is captured later (capture: manual)`, 'one_way');
        case 'amount':
          throw new GatewayError(400, 'invalid_param', `one_way: ${link.oneWay} cannot take this price (at least ${formatAmount(minimumOf(e))} ${e.way.ticker} after conversion and fees)`, 'one_way');
        case null:
          return [e];
      }
    }
    const verdicts = config.ways.map((w) => {
      const e = connectors.way(w.code)!;
      return { e, why: unusable(m, link, e, priceMinor, withheld) };
    });
    const usable = verdicts.filter((v) => v.why === null).map((v) => v.e);
    if (usable.length > 0) return usable;
    if (verdicts.some((v) => v.why === 'hold') && !verdicts.some((v) => v.why === 'amount')) {
      throw new GatewayError(422, 'no_payment_system', 'capture: no payment system of this merchant can hold money for a later capture', 'capture');
    }
    if (verdicts.some((v) => v.why === 'amount')) {
      throw new GatewayError(400, 'invalid_param', 'price: too small to pay by any payment system of this merchant', 'price');
    }
    throw new GatewayError(422, 'no_payment_system', 'merchant_login: no payment system is available to this merchant (the sandbox serves test merchants only)', 'merchant_login');
  }

  /**
   * The ways a form offers and their amounts depend on the merchant, the price and a few link fields
   * only, not on the order: kept per merchant object (a changed merchant is a new object) for the
   * next form at the same price, in a map emptied when full.
   */
  const quotesByMerchant = new WeakMap<Merchant, Map<string, readonly WayQuote[]>>();
  function quotesFor(m: Merchant, link: LinkParams, priceMinor: Minor, withheld: ReadonlySet<string> = NONE): readonly WayQuote[] {
    const saving = link.customer !== undefined && savedMethodsOn(m);
    const manual = captureModeOf(m, link) === 'manual';
    const key = `${link.payMode}|${priceMinor}|${link.ticker}|${link.priceFinal}|${link.ln}|${link.oneWay}|${[...withheld].join(',')}|${saving}|${manual}`;
    let kept = quotesByMerchant.get(m);
    const found = kept?.get(key);
    if (found) return found;
    const list = Object.freeze(waysFor(m, link, link.payMode === 'fix' ? priceMinor : null, withheld).map((entry): WayQuote => {
      const w = entry.way;
      const q = link.payMode === 'free' ? undefined : quote(link, priceMinor, w);
      return Object.freeze({
        code: w.code,
        kind: entry.connector.kind(entry.method),
        title: wayTitle(w.title, link.ln),
        amount: q ? formatAmount(q.amount) : null,
        ticker: w.ticker,
        // Only where a consent could be asked (issue 26): other forms stay as they were.
        ...(saving ? { canSave: canSaveWith(m, link, entry) } : {}),
        ...(q && q.fee > 0n ? { fee: { amount: formatAmount(q.fee), payer: link.priceFinal ? 'shop' as const : 'buyer' as const } } : {}),
        ...(manual ? { hold: true as const } : {}),
      });
    }));
    if (!kept) quotesByMerchant.set(m, (kept = new Map()));
    if (kept.size >= 1000) kept.clear();
    kept.set(key, list);
    return list;
  }

  /**
   * The ways whose provider account says it does not offer their method now (`Connector.offered`,
   * T-Bank's T-Pay status): asked together, each connector keeping its answer a few minutes.
   */
  async function withheldWays(): Promise<ReadonlySet<string>> {
    const asked = config.ways.map(async (w) => {
      const e = connectors.way(w.code);
      return e?.connector.offered && !(await e.connector.offered(e.method)) ? w.code : null;
    });
    const codes = (await Promise.all(asked)).filter((c): c is string => c !== null);
    return codes.length === 0 ? NONE : new Set(codes);
  }

  function formPayload(m: Merchant, link: LinkParams, priceMinor: Minor, withheld: ReadonlySet<string> = NONE): FormPayload {
    rateOf(link.ticker, 'ticker');
    const list = quotesFor(m, link, priceMinor, withheld);
    const expiresAt = deps.now() + config.tokenTtlSeconds * 1000;
    // The extension parameters' wire texts are left out: their parsed values (the receipt, customer,
    // save_method, capture) are what the token binds, and a receipt twice would not fit its 16 KB.
    const { extensions: _wire, ...bound } = link;
    const payload: TokenPayload = { m: m.login, l: bound };
    return {
      token: signToken(payload, expiresAt, config.secret),
      expiresAt: new Date(expiresAt).toISOString(),
      // The merchant's name in the buyer's language: the element and the pages show it as given.
      merchant: { login: m.login, name: merchantText(m.name, link.ln) },
      testMode: merchantMode(m, config.sandbox) === 'test',
      order: {
        payFor: link.payFor, price: link.price, ticker: link.ticker, mode: link.payMode, note: link.note, convert: link.convert, priceFinal: link.priceFinal,
        ...(link.receipt ? { items: link.receipt.items.map((i) => ({ name: i.name, quantity: i.quantity, price: i.price, amount: i.amount })) } : {}),
      },
      ln: link.ln,
      urlSuccess: link.urlSuccess,
      urlFail: link.urlFail,
      userEmail: link.userEmail,
      userPhone: link.userPhone,
      ways: list,
      ...(link.customer !== undefined && list.some((w) => w.canSave) ? { saveMethod: link.saveMethod ?? 'optional' } : {}),
    };
  }

  /**
   * A returning customer's saved methods the form offers first (issue 26): only for a link naming the
   * customer of a merchant with saved methods on, and only those whose way this form offers, still
   * served by the provider that saved them.
   */
  async function withSavedChoices(m: Merchant, link: LinkParams, payload: FormPayload): Promise<FormPayload> {
    if (link.customer === undefined || !savedMethodsOn(m)) return payload;
    const offered = new Set(payload.ways.filter((w) => w.canSave).map((w) => w.code));
    const choices = (await storage.savedMethodsOf(m.login, link.customer))
      .filter((s) => offered.has(s.way) && connectors.way(s.way)?.connector.id === s.providerId)
      .map((s) => ({ id: s.id, way: s.way, last4: s.last4 }));
    return choices.length ? { ...payload, savedMethods: choices } : payload;
  }

  /** The merchant and link a form token binds, with the link's price in minor units. */
  function openToken(token: string): TokenPayload & { priceMinor: Minor } {
    const t = verifyToken(token, deps.now(), config.secret);
    if (t.ok) {
      const payload = t.payload as TokenPayload;
      return { ...payload, priceMinor: parseAmount(payload.l.price)! };
    }
    throw t.reason === 'expired'
      ? new GatewayError(410, 'token_expired', 'token: the payment form has expired; reload it', 'token')
      : new GatewayError(400, 'token_invalid', 'token: not a token issued by this gateway', 'token');
  }

  /** The way chosen, if the form offers it for this order (`priceMinor`: the link's price). */
  function offeredWay(m: Merchant, link: LinkParams, priceMinor: Minor, code: string): WayEntry {
    const entry = connectors.way(code);
    if (!entry || !waysFor(m, link, link.payMode === 'fix' ? priceMinor : null).some((e) => e.way.code === code)) {
      throw new GatewayError(400, 'unknown_way', `way: ${JSON.stringify(code.slice(0, 8))} is not offered for this order`, 'way');
    }
    return entry;
  }

  /** The order's price: the link's (`priceMinor`) in fix mode, the buyer's typed amount in free mode. */
  function orderPrice(link: LinkParams, priceMinor: Minor, typedAmount: string | undefined): Minor {
    if (link.payMode === 'free') {
      const typed = typedAmount === undefined ? null : parseAmount(typedAmount);
      if (typed === null || typed === 0n) throw new GatewayError(400, 'invalid_param', 'amount: an amount above zero like 150.0 is required in free mode', 'amount');
      return typed;
    }
    if (typedAmount !== undefined && parseAmount(typedAmount) !== priceMinor) {
      throw new GatewayError(400, 'invalid_param', 'amount: the amount is fixed by the merchant', 'amount');
    }
    return priceMinor;
  }

  /**
   * The order's price and the chosen way's quote for a payment about to be created; refuses an
   * amount the way cannot take (zero in its currency, or below its provider's minimum).
   */
  function paymentQuote(link: LinkParams, linkPriceMinor: Minor, typedAmount: string | undefined, entry: WayEntry): { priceMinor: Minor; quote: Quote } {
    const priceMinor = orderPrice(link, linkPriceMinor, typedAmount);
    const q = quote(link, priceMinor, entry.way, link.payMode === 'free' ? 'amount' : 'price');
    if (q.amount === 0n) throw new GatewayError(400, 'invalid_param', 'amount: too small to pay in this currency', 'amount');
    if (q.amount < minimumOf(entry)) throw new GatewayError(400, 'invalid_param', `amount: this payment system takes at least ${formatAmount(minimumOf(entry))} ${entry.way.ticker}`, 'amount');
    return { priceMinor, quote: q };
  }

  /**
   * A parsed link held to the merchant's rules: `url_success` / `url_fail` (not signed) on its return
   * URLs; `price_final` (not covered by the md5) as the fee policy decides. `strict` (the link
   * builder): a `price_final=true` the policy ignores is refused instead of rewritten.
   */
  function linkUnderRules(merchant: Merchant, parsed: LinkParams, params: URLSearchParams, strict: boolean): LinkParams {
    const urlField = (plain: string) => (params.get(`${plain}_enc`) ? `${plain}_enc` : plain);
    checkReturnUrls(merchant, [{ value: parsed.urlSuccess, field: urlField('url_success') }, { value: parsed.urlFail, field: urlField('url_fail') }]);
    const priceFinal = merchantPaysFees(merchant, parsed.priceFinal);
    if (strict && parsed.priceFinal && !priceFinal) {
      throw new GatewayError(400, 'invalid_param', 'price_final: this merchant\'s fee policy makes the buyer pay the fees; the gateway would ignore price_final=true', 'price_final');
    }
    return { ...parsed, priceFinal };
  }

  /**
   * The cabinet's link builder asks before it hands out a signed link: the same rules a link meets
   * when it is opened (return URLs, the currency, `one_way` usable by this merchant at this price,
   * some way left), and `price_final=true` refused when the merchant's fee policy would ignore it,
   * where the gateway rewrites it quietly. Throws the gateway's own 4xx naming the link's field.
   */
  function checkLink(merchant: Merchant, params: URLSearchParams): void {
    const parsed = parseLink(params);
    const link = linkUnderRules(merchant, parsed.link, params, true);
    rateOf(link.ticker, 'ticker');
    quotesFor(merchant, link, parsed.priceMinor);
  }

  /**
   * The signed extension parameters (PROTOCOL.md §5) need a matching `ext_md5` whatever the
   * merchant's "check md5 on links" setting says: a buyer must not write the shop's receipt. Every
   * key of a K rotation is tried, as for the link md5.
   */
  function checkExtMd5(merchant: Merchant, link: LinkParams): void {
    if (!link.extensions) return;
    const matches = verifyingSecrets(merchant, deps.now()).map((key) => extMd5Matches(link, key));
    if (!matches.includes(true)) throw new GatewayError(400, 'bad_signature', 'ext_md5: the signature does not match the extension parameters', 'ext_md5');
  }

  /**
   * A payment link opened: the merchant known, the parameters parsed, the link md5 checked when the
   * merchant signs its links, the page's origin allowed when `origin` is given; with its form payload.
   */
  async function paymentForm(login: string, params: URLSearchParams, origin?: string, opts: { resume?: boolean } = {}): Promise<{ payload: FormPayload; link: LinkParams; md5: string | undefined }> {
    if (!LOGIN.test(login)) throw new GatewayError(404, 'unknown_merchant', 'merchant_login: not a merchant login', 'merchant_login');
    const merchant = await storage.getMerchant(login);
    if (!merchant) throw new GatewayError(404, 'unknown_merchant', `merchant_login: ${login} is not known`, 'merchant_login');
    const parsed = parseLink(params);
    if (merchant.checkLinkMd5) {
      if (!parsed.md5) throw new GatewayError(403, 'bad_signature', 'md5: this merchant signs its links; md5 is required', 'md5');
      // During a K rotation's grace period links the shop still signs with the previous K pass
      // (every key is tried: the time taken does not tell which one matched).
      const matches = verifyingSecrets(merchant, deps.now()).map((key) => linkMd5Matches(parsed, key));
      if (!matches.includes(true)) throw new GatewayError(403, 'bad_signature', 'md5: the link signature does not match its parameters', 'md5');
    }
    checkExtMd5(merchant, parsed.link);
    const link = linkUnderRules(merchant, parsed.link, params, false);
    const payload = await withSavedChoices(merchant, link, formPayload(allowOrigin(merchant, origin), link, parsed.priceMinor, await withheldWays()));
    // A reload of the order's form resumes its payment waiting with instructions (orders.ts).
    const pending = opts.resume === false || !pendingFor ? undefined : await pendingFor(merchant, link, parsed.priceMinor);
    return { payload: pending ? { ...payload, pending } : payload, link, md5: parsed.md5 };
  }

  /**
   * The form again for the order of a payment that ended without money: the same merchant, order and
   * price the gateway already accepted (the link's md5 was checked when the first form was made), so
   * the buyer can try another method without the shop's page or JavaScript. 409 for any other state.
   */
  async function retryForm(p: Payment): Promise<FormPayload> {
    if (p.status !== 'failed' && p.status !== 'expired' && p.status !== 'rejected') {
      throw new GatewayError(409, 'invalid_state', `id: the payment is ${p.status}; only a failed, expired or rejected one is tried again`, 'id');
    }
    const merchant = await core.merchantOf(p.merchantLogin);
    const link: LinkParams = {
      payMode: p.mode, price: formatAmount(p.priceMinor), ticker: p.ticker, payFor: p.payFor, convert: p.convert, note: p.note, ln: p.ln,
      urlSuccess: p.urlSuccess, urlFail: p.urlFail, userEmail: p.userEmail, userPhone: p.userPhone, priceFinal: p.priceFinal, oneWay: '',
      extraParams: p.extraParams,
    };
    return formPayload(merchant, link, p.priceMinor, await withheldWays());
  }

  return { paymentForm, checkLink, openToken, offeredWay, paymentQuote, retryForm };
}
