/**
 * The payment domain: form payloads, creating payments with CHECK and at the provider, applying
 * provider reports, expiry. Routes call this; it never sees HTTP requests, and it reaches the world
 * only through injected storage, clock, randomness, merchant HTTP and the connector registry.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { DEFAULT_RECONCILE_SCHEDULE_S, type GatewayConfig, type WayConfig } from './config.ts';
import { GatewayError } from './errors.ts';
import { linkMd5Matches, type LinkParams } from '../protocol/link.ts';
import { parseLink } from './link.ts';
import type { MerchantHttp } from './merchant-http.ts';
import { convert, feeOf, formatAmount, formatRate, MAX_AMOUNT_MINOR, parseAmount, parseRate, type Minor, type Rate } from '../protocol/money.ts';
import { checkRequest, checkData, payNotification } from './notify.ts';
import { judgeCheckApi1, judgeCheckApi2, type CheckVerdict } from '../protocol/onpay-api.ts';
import type { ApplyOutcome, CreateResult, HttpAnswer, IncomingNotification, NotifyContext, ProviderStatus } from './providers/contract.ts';
import { type ConnectorRegistry, type WayEntry } from './providers/registry.ts';
import { SANDBOX_PROVIDER_ID } from './providers/modules.ts';
import { refundNotification } from './refunds/refund-event.ts';
import { checkReturnUrls, merchantMode, merchantPaysFees } from './merchant-rules.ts';
import { isBadSignatureVerdict, judgeWithGrace, verifyingSecrets } from './secret-grace.ts';
import { canTransition, isFinal, type Cause, type PaymentStatus } from './states.ts';
import type { Storage } from './storage/storage.ts';
import { signToken, verifyToken } from './token.ts';
import type { Merchant, NewPayment, Payment, PaymentAction } from './types.ts';
import { buyerAction, type BuyerAction } from './buyer-action.ts';
import { baseLanguage, type Language } from '../protocol/languages.ts';
import { annotateRequest, urlForLog, type Logger } from './logger.ts';

/** What the token binds: the merchant and the validated link. */
interface TokenPayload {
  m: string;
  l: LinkParams;
}

export interface WayQuote {
  code: string;
  kind: 'redirect' | 'instructions';
  title: string;
  /** What the buyer pays in `ticker`; null in free mode until the buyer types the amount. */
  amount: string | null;
  ticker: string;
}

export interface FormPayload {
  token: string;
  expiresAt: string;
  merchant: { login: string; name: string };
  /** A test merchant's form (the element shows a «Тестовый режим» badge). */
  testMode: boolean;
  order: { payFor: string; price: string; ticker: string; mode: 'fix' | 'free'; note: string; convert: boolean; priceFinal: boolean };
  ln: Language;
  urlSuccess: string;
  urlFail: string;
  userEmail: string;
  userPhone: string;
  ways: readonly WayQuote[];
}

export interface CreatePaymentInput {
  token: string;
  way: string;
  userEmail?: string | undefined;
  userPhone?: string | undefined;
  amount?: string | undefined;
  idempotencyKey?: string | undefined;
  /** The browser's Origin, when the request came from one. */
  origin?: string | undefined;
}

/** Why a payment did not start, as the buyer is told (docs/API.md). */
export interface Refusal {
  status: 422 | 424 | 502;
  code: 'check_declined' | 'check_failed' | 'provider_error' | 'provider_unavailable';
  message: string;
  /** Extra fields of the error JSON: `paymentId` always, `comment` or `reason` when there is one. */
  details: Record<string, string>;
}

/**
 * The outcome of creating a payment. A replay under the same idempotency key gives the same outcome
 * (read back from the answer stored with the payment), so the same answer byte for byte.
 */
export type CreateOutcome =
  | { kind: 'started'; payment: PaymentView }
  | { kind: 'refused'; refusal: Refusal };

/** A refusal as the error the app answers with. */
export const refusalError = (r: Refusal): GatewayError => new GatewayError(r.status, r.code, r.message, undefined, r.details);

export interface PaymentView {
  id: string;
  status: PaymentStatus;
  way: string;
  amount: string;
  ticker: string;
  payFor: string;
  urlSuccess: string;
  urlFail: string;
  /** The buyer's action, its QR code (SBP) drawn into modules for the element. */
  action: BuyerAction | null;
  updatedAt: string;
}

export interface ServiceDeps {
  storage: Storage;
  config: GatewayConfig;
  now: () => number;
  randomId: () => string;
  merchantHttp: MerchantHttp;
  /** The payment systems: one connector per provider account, the sandbox included. */
  connectors: ConnectorRegistry;
  /** Where operational messages go (never secrets). */
  log?: (message: string) => void;
  /** Structured log lines (CHECK); none when absent. */
  logger?: Logger;
}

export type PaymentService = ReturnType<typeof createPaymentService>;

/** A stored answer: what the idempotency key gives back. */
interface StoredAnswer {
  status: number;
  body: string;
}

/**
 * The `reason` of a 424 check_failed or 502 provider_error answer (docs/API.md). The buyer sees it,
 * so the other side's raw answer text (PHP warnings, stack traces) stays in the stored status reason.
 */
const publicReason = (reason: string): string => reason.replace(/^(unreadable answer):[\s\S]*$/, '$1').slice(0, 200);

/** The event every status change is also emitted under, with `{id, status}` (payment ids start with `pay_`). */
export const ANY_STATUS_EVENT = 'status';

/** Emitted once on the service's events when the gateway begins to shut down: open status streams end. */
export const SHUTDOWN_EVENT = 'shutdown';

/** How long past the CHECK timeout a payment may stay unfinished before it counts as interrupted. */
const STALE_GRACE_MS = 30_000;

const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{10,60}$/;
const LOGIN = /^[a-z0-9][a-z0-9_.-]{1,63}$/;

/** Where provider states lead; null: nothing to do (still pending, or not handled here yet). */
const TARGET: Record<ProviderStatus['state'], PaymentStatus | null> = {
  pending: null,
  paid: 'paid',
  failed: 'failed',
  expired: 'expired',
  refunded: 'refunded',
  partially_refunded: 'partially_refunded',
  not_found: null,
};

/** The public view of a payment, as the element and the status API see it. */
export function paymentView(p: Payment): PaymentView {
  return {
    id: p.id,
    status: p.status,
    way: p.way,
    amount: formatAmount(p.amountMinor),
    ticker: p.wayTicker,
    payFor: p.payFor,
    urlSuccess: p.urlSuccess,
    urlFail: p.urlFail,
    action: p.action && buyerAction(p.action),
    updatedAt: new Date(p.updatedAt).toISOString(),
  };
}

/** Whether a browser origin may use a merchant's checkout API. No Origin (a server) is allowed. */
export function originAllowed(origin: string | undefined, merchant: Merchant, publicUrl: string): boolean {
  if (!origin) return true;
  return origin === new URL(publicUrl).origin || merchant.origins.includes(origin);
}

/** The outcome a stored answer stands for. */
function outcomeOf(answer: StoredAnswer): CreateOutcome {
  if (answer.status === 201) return { kind: 'started', payment: JSON.parse(answer.body) as PaymentView };
  const { error } = JSON.parse(answer.body) as { error: Record<string, string> };
  const { code, message, ...details } = error;
  return { kind: 'refused', refusal: { status: answer.status as Refusal['status'], code: code as Refusal['code'], message: message ?? '', details } };
}

const storedAnswer = (o: CreateOutcome): StoredAnswer => (o.kind === 'started'
  ? { status: 201, body: JSON.stringify(o.payment) }
  : { status: o.refusal.status, body: JSON.stringify(refusalError(o.refusal).toJSON()) });

/**
 * @example const service = createPaymentService({ storage, config, now: Date.now, randomId, merchantHttp, connectors });
 */
export function createPaymentService(deps: ServiceDeps) {
  const { storage, config, connectors } = deps;
  const log = deps.log ?? (() => {});
  const rates = new Map<string, Rate>(Object.entries(config.rates).map(([k, v]) => [k, parseRate(v)!]));
  const reconcileScheduleS = config.reconcileSchedule ?? DEFAULT_RECONCILE_SCHEDULE_S;
  const events = new EventEmitter();
  events.setMaxListeners(0);

  const emit = (p: { id: string; status: PaymentStatus }): void => {
    events.emit(p.id, p.status);
    events.emit(ANY_STATUS_EVENT, p);
  };

  async function merchantOf(login: string): Promise<Merchant> {
    const m = await storage.getMerchant(login);
    if (!m) throw new GatewayError(404, 'unknown_merchant', `merchant ${JSON.stringify(login.slice(0, 64))} is not known`, 'merchant_login');
    return m;
  }

  /** The one origin check: a browser page may use a merchant's checkout only from its allowed origins. */
  function allowOrigin(merchant: Merchant, origin: string | undefined): Merchant {
    if (!originAllowed(origin, merchant, config.publicUrl)) throw new GatewayError(403, 'origin_forbidden', `origin ${origin} is not allowed for this merchant`, 'origin');
    return merchant;
  }

  async function paymentOf(id: string): Promise<Payment> {
    const p = PAYMENT_ID.test(id) ? await storage.getPayment(id) : undefined;
    if (!p) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
    return p;
  }

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
  function amountOf(link: LinkParams, priceMinor: Minor, way: WayConfig, field: 'price' | 'amount' = 'price') {
    const wayRate = rateOf(way.ticker, 'way');
    const base = convert(priceMinor, rateOf(link.ticker, 'ticker'), wayRate);
    const amount = link.priceFinal ? base : base + feeOf(base, way.feeBps);
    if (amount > MAX_AMOUNT_MINOR) {
      throw new GatewayError(400, 'invalid_param', `${field}: too large once converted to ${way.ticker} for ${way.code}`, field);
    }
    return { base, amount, wayRate };
  }

  function quote(link: LinkParams, priceMinor: Minor, way: WayConfig, field: 'price' | 'amount' = 'price') {
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
  function unusable(m: Merchant, link: LinkParams, e: WayEntry, priceMinor: Minor | null): 'sandbox' | 'amount' | null {
    if (e.connector.id === SANDBOX_PROVIDER_ID && !sandboxServes(m)) return 'sandbox';
    if (priceMinor === null) return null;
    return amountOf(link, priceMinor, e.way).amount < minimumOf(e) ? 'amount' : null;
  }

  /**
   * The ways offered for an order: only those the buyer can use (`unusable`). `one_way` naming an
   * unusable way is refused naming `one_way`; no way left, naming `price` (too small for all) or
   * `merchant_login` (the merchant has none it may use).
   */
  function waysFor(m: Merchant, link: LinkParams, priceMinor: Minor | null): WayEntry[] {
    if (link.oneWay) {
      const e = connectors.way(link.oneWay);
      if (!e) throw new GatewayError(400, 'invalid_param', `one_way: no payment system ${link.oneWay}`, 'one_way');
      switch (unusable(m, link, e, priceMinor)) {
        case 'sandbox':
          throw new GatewayError(400, 'invalid_param', `one_way: ${link.oneWay} is a sandbox payment system, not available to this merchant`, 'one_way');
        case 'amount':
          throw new GatewayError(400, 'invalid_param', `one_way: ${link.oneWay} cannot take this price (at least ${formatAmount(minimumOf(e))} ${e.way.ticker} after conversion and fees)`, 'one_way');
        case null:
          return [e];
      }
    }
    const verdicts = config.ways.map((w) => {
      const e = connectors.way(w.code)!;
      return { e, why: unusable(m, link, e, priceMinor) };
    });
    const usable = verdicts.filter((v) => v.why === null).map((v) => v.e);
    if (usable.length > 0) return usable;
    if (verdicts.some((v) => v.why === 'amount')) {
      throw new GatewayError(400, 'invalid_param', 'price: too small to pay by any payment system of this merchant', 'price');
    }
    throw new GatewayError(422, 'no_payment_system', 'merchant_login: no payment system is available to this merchant (the sandbox serves test merchants only)', 'merchant_login');
  }

  /** The order's price as far as the form knows it: the link's in fix mode, none yet in free mode. */
  const linkPrice = (link: LinkParams): Minor | null => (link.payMode === 'fix' ? parseAmount(link.price)! : null);

  /**
   * Refuses a sandbox change to a live merchant's payment: whatever its entry point (card page,
   * callback, scripting API), the sandbox never moves a live merchant's money.
   */
  async function assertSandboxMayChange(p: Payment, field = 'id'): Promise<void> {
    const m = await merchantOf(p.merchantLogin);
    if (merchantMode(m, config.sandbox) === 'live') {
      throw new GatewayError(403, 'live_merchant', `${field}: merchant ${m.login} is live; the sandbox cannot change its payments`, field);
    }
  }

  async function transitionOrThrow(p: Payment, to: PaymentStatus, extra: Omit<Parameters<Storage['transition']>[1], 'from' | 'to' | 'at'> = {}, cause: Cause = extra.manual ? 'manual' : 'system'): Promise<boolean> {
    if (!canTransition(p.status, to, cause)) return false;
    const ok = await storage.transition(p.id, { from: p.status, to, at: deps.now(), ...extra });
    if (ok) emit({ id: p.id, status: to });
    return ok;
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

  /** The answer kept with the state change, for a payment created under an idempotency key. */
  const remember = (p: Payment, o: CreateOutcome): { response?: StoredAnswer } => (p.idempotencyKey ? { response: storedAnswer(o) } : {});

  /**
   * The ways a form offers and their amounts depend on the merchant, the price and a few link fields
   * only, not on the order: kept per merchant object (a changed merchant is a new object) for the
   * next form at the same price, in a map emptied when full.
   */
  const quotesByMerchant = new WeakMap<Merchant, Map<string, readonly WayQuote[]>>();
  function quotesFor(m: Merchant, link: LinkParams, priceMinor: Minor): readonly WayQuote[] {
    const key = `${link.payMode}|${priceMinor}|${link.ticker}|${link.priceFinal}|${baseLanguage(link.ln)}|${link.oneWay}`;
    let kept = quotesByMerchant.get(m);
    const found = kept?.get(key);
    if (found) return found;
    const list = Object.freeze(waysFor(m, link, link.payMode === 'fix' ? priceMinor : null).map((entry): WayQuote => {
      const w = entry.way;
      return Object.freeze({
        code: w.code,
        kind: entry.connector.kind(entry.method),
        title: w.title[baseLanguage(link.ln)],
        amount: link.payMode === 'free' ? null : formatAmount(amountOf(link, priceMinor, w).amount),
        ticker: w.ticker,
      });
    }));
    if (!kept) quotesByMerchant.set(m, (kept = new Map()));
    if (kept.size >= 1000) kept.clear();
    kept.set(key, list);
    return list;
  }

  function formPayload(m: Merchant, link: LinkParams, priceMinor: Minor): FormPayload {
    rateOf(link.ticker, 'ticker');
    const list = quotesFor(m, link, priceMinor);
    const expiresAt = deps.now() + config.tokenTtlSeconds * 1000;
    const payload: TokenPayload = { m: m.login, l: link };
    return {
      token: signToken(payload, expiresAt, config.secret),
      expiresAt: new Date(expiresAt).toISOString(),
      merchant: { login: m.login, name: m.name },
      testMode: merchantMode(m, config.sandbox) === 'test',
      order: { payFor: link.payFor, price: link.price, ticker: link.ticker, mode: link.payMode, note: link.note, convert: link.convert, priceFinal: link.priceFinal },
      ln: link.ln,
      urlSuccess: link.urlSuccess,
      urlFail: link.urlFail,
      userEmail: link.userEmail,
      userPhone: link.userPhone,
      ways: list,
    };
  }

  // ---- createPayment, step by step --------------------------------------------------------------

  /** The merchant and link a form token binds. */
  function openToken(token: string): TokenPayload {
    const t = verifyToken(token, deps.now(), config.secret);
    if (t.ok) return t.payload as TokenPayload;
    throw t.reason === 'expired'
      ? new GatewayError(410, 'token_expired', 'token: the payment form has expired; reload it', 'token')
      : new GatewayError(400, 'token_invalid', 'token: not a token issued by this gateway', 'token');
  }

  function offeredWay(m: Merchant, link: LinkParams, code: string): WayEntry {
    const entry = connectors.way(code);
    if (!entry || !waysFor(m, link, linkPrice(link)).some((e) => e.way.code === code)) {
      throw new GatewayError(400, 'unknown_way', `way: ${JSON.stringify(code.slice(0, 8))} is not offered for this order`, 'way');
    }
    return entry;
  }

  /** The order's price: the link's in fix mode, the buyer's typed amount in free mode. */
  function orderPrice(link: LinkParams, typedAmount: string | undefined): Minor {
    const priceMinor = parseAmount(link.price)!;
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

  /** The payment to save: amounts quoted for the way, the request's hash for its idempotency key. */
  function newPayment(input: CreatePaymentInput, merchant: Merchant, link: LinkParams, entry: WayEntry): NewPayment {
    const priceMinor = orderPrice(link, input.amount);
    const q = quote(link, priceMinor, entry.way, link.payMode === 'free' ? 'amount' : 'price');
    if (q.amount === 0n) throw new GatewayError(400, 'invalid_param', 'amount: too small to pay in this currency', 'amount');
    if (q.amount < minimumOf(entry)) throw new GatewayError(400, 'invalid_param', `amount: this payment system takes at least ${formatAmount(minimumOf(entry))} ${entry.way.ticker}`, 'amount');
    const userEmail = input.userEmail || link.userEmail;
    const userPhone = input.userPhone || link.userPhone;
    const now = deps.now();
    return {
      id: deps.randomId(),
      merchantLogin: merchant.login,
      payFor: link.payFor,
      mode: link.payMode,
      priceMinor,
      ticker: link.ticker,
      convert: link.convert,
      priceFinal: link.priceFinal,
      note: link.note,
      ln: link.ln,
      urlSuccess: link.urlSuccess,
      urlFail: link.urlFail,
      userEmail,
      userPhone,
      extraParams: link.extraParams,
      way: entry.way.code,
      wayTicker: entry.way.ticker,
      amountMinor: q.amount,
      feeMinor: q.fee,
      balanceMinor: q.balance,
      balanceTicker: q.balanceTicker,
      rate: q.rate,
      // With CHECK to come the payment is saved as checking at once: one write fewer per payment.
      status: merchant.notifications ? 'checking' : 'created',
      idempotencyKey: input.idempotencyKey ?? null,
      requestHash: createHash('sha256').update(JSON.stringify([input.token, input.way, userEmail, userPhone, formatAmount(priceMinor)])).digest('hex'),
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
      providerId: entry.connector.id,
      // A real provider's payment is asked about on the reconciliation schedule until it settles.
      reconcileAt: entry.connector.id === SANDBOX_PROVIDER_ID ? null : now + reconcileScheduleS[0]! * 1000,
    };
  }

  /** The answer already given under this idempotency key, or why there is none to give. */
  function replay(existing: Payment, requestHash: string | null): CreateOutcome {
    if (existing.requestHash !== requestHash) {
      throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: this key was used for another request', 'Idempotency-Key');
    }
    if (existing.responseStatus !== null && existing.responseBody !== null) return outcomeOf({ status: existing.responseStatus, body: existing.responseBody });
    throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: a request with this key is still in progress; retry shortly', 'Idempotency-Key');
  }

  async function sendCheck(p: Payment, m: Merchant): Promise<CheckVerdict> {
    if (!m.apiUrl) return { kind: 'failed', reason: 'merchant has no API URL' };
    annotateRequest({ paymentId: p.id, merchantLogin: m.login });
    const req = checkRequest(p, m);
    const at = deps.now();
    const r = await deps.merchantHttp({ url: m.apiUrl, ...req, timeoutMs: config.checkTimeoutMs });
    const verdict = judgeCheckAnswer(r, p, m);
    deps.logger?.info({
      paymentId: p.id, merchantLogin: m.login, url: urlForLog(m.apiUrl), apiType: m.apiType, durationMs: r.durationMs,
      ...(r.ok ? { httpStatus: r.status } : {}), verdict: verdict.kind, ...('reason' in verdict ? { reason: publicReason(String(verdict.reason)) } : {}),
    }, 'check');
    // The exact request and answer, for the payment's timeline in the cabinet. Losing this record
    // must not lose the payment: a failure to write it is ignored.
    await storage.recordCheckExchange({
      paymentId: p.id, at, durationMs: r.durationMs, method: req.method, url: m.apiUrl, contentType: req.contentType, requestBody: req.body,
      httpStatus: r.ok ? r.status : null, answerBody: r.ok ? r.body.slice(0, 16_384) : '', error: r.ok ? '' : r.error,
      verdict: verdict.kind === 'failed' ? `failed: ${verdict.reason}` : verdict.kind === 'declined' ? `declined${verdict.comment ? `: ${verdict.comment}` : ''}` : 'accepted',
    }).catch(() => {});
    return verdict;
  }

  function judgeCheckAnswer(r: Awaited<ReturnType<MerchantHttp>>, p: Payment, m: Merchant): CheckVerdict {
    if (!r.ok) return { kind: 'failed', reason: r.error };
    if (r.status < 200 || r.status > 299) return { kind: 'failed', reason: `HTTP ${r.status}` };
    const d = checkData(p);
    // During a K rotation's grace period an answer signed with the previous K is still accepted.
    return judgeWithGrace(m, deps.now(), (key) => (m.apiType === 2 ? judgeCheckApi2(r.body, d, key) : judgeCheckApi1(r.body, d, key)), isBadSignatureVerdict);
  }

  /** CHECK, when the merchant has notifications on: null when accepted, else the refusal (the payment rejected). */
  async function runCheck(p: Payment, m: Merchant): Promise<CreateOutcome | null> {
    if (!m.notifications) return null;
    const verdict = await sendCheck(p, m);
    if (verdict.kind === 'accepted') return null;
    const declined = verdict.kind === 'declined';
    const outcome: CreateOutcome = {
      kind: 'refused',
      refusal: declined
        ? { status: 422, code: 'check_declined', message: 'The shop declined this payment', details: { comment: verdict.comment.slice(0, 255), paymentId: p.id } }
        : { status: 424, code: 'check_failed', message: 'The shop did not confirm this payment; try again later', details: { reason: publicReason(verdict.reason), paymentId: p.id } },
    };
    const reason = declined ? `check_declined${verdict.comment ? `: ${verdict.comment}` : ''}` : `check_failed: ${verdict.reason}`;
    await transitionOrThrow(p, 'rejected', { reason: reason.slice(0, 500), ...remember(p, outcome) });
    return outcome;
  }

  /** Asks the way's connector to create the payment; a throwing connector counts as an unknown outcome. */
  async function createAtProvider(p: Payment, m: Merchant, entry: WayEntry): Promise<CreateResult> {
    const base = `${config.publicUrl}/providers/${encodeURIComponent(entry.connector.id)}`;
    try {
      return await entry.connector.create({
        payment: p,
        method: entry.method,
        idempotencyKey: p.id,
        notificationUrl: `${base}/notify`,
        successUrl: `${base}/return/${p.id}?result=success`,
        failUrl: `${base}/return/${p.id}?result=fail`,
        description: `${m.name}: ${p.payFor}`.slice(0, 128),
      });
    } catch (e) {
      log(`provider ${entry.connector.id}: create threw: ${e instanceof Error ? e.message : String(e)}`);
      return { kind: 'unknown', reason: 'the connector failed' };
    }
  }

  /**
   * Starts the payment at its provider: `started` hands the buyer the action; `refused` fails the
   * payment (`provider_error`); `unknown` keeps it waiting with no action and no provider id, for
   * reconciliation to ask the provider about, and tells the buyer the provider is unavailable.
   */
  async function startAtProvider(p: Payment, m: Merchant, entry: WayEntry): Promise<CreateOutcome> {
    const r = await createAtProvider(p, m, entry);
    switch (r.kind) {
      case 'started': {
        // A way set to `frame: false` opens its page in a popup, whatever the provider says.
        const action: PaymentAction = r.action.type === 'redirect' && !entry.way.frame ? { ...r.action, frame: false } : r.action;
        const outcome: CreateOutcome = { kind: 'started', payment: paymentView({ ...p, status: 'awaiting_payment', action, updatedAt: deps.now() }) };
        await transitionOrThrow(p, 'awaiting_payment', { action, expiresAt: r.expiresAt, providerPaymentId: r.providerPaymentId, ...remember(p, outcome) });
        return outcome;
      }
      case 'refused': {
        const outcome: CreateOutcome = {
          kind: 'refused',
          refusal: { status: 502, code: 'provider_error', message: 'The payment system refused this payment; choose another way', details: { reason: publicReason(r.reason), paymentId: p.id } },
        };
        await transitionOrThrow(p, 'failed', { reason: `provider_error: ${r.reason}`.slice(0, 500), ...remember(p, outcome) });
        return outcome;
      }
      case 'unknown': {
        const outcome: CreateOutcome = {
          kind: 'refused',
          refusal: { status: 502, code: 'provider_unavailable', message: 'The payment system did not answer; try again later or choose another way', details: { paymentId: p.id } },
        };
        await transitionOrThrow(p, 'awaiting_payment', {
          reason: `provider_unavailable: ${r.reason}`.slice(0, 500),
          expiresAt: deps.now() + entry.way.ttlSeconds * 1000,
          ...remember(p, outcome),
        });
        return outcome;
      }
    }
  }

  // ---- provider reports --------------------------------------------------------------------------

  /** Moves a payment as a verified provider report says; the amount and currency checked first. */
  async function applyReport(p: Payment, s: ProviderStatus): Promise<ApplyOutcome> {
    const target = TARGET[s.state];
    if (target === null) return 'unchanged';
    // Paying needs the amount; any other report is checked against what it names.
    const wrongAmount = target === 'paid' ? s.amountMinor !== p.amountMinor : s.amountMinor !== undefined && s.amountMinor !== p.amountMinor;
    if (wrongAmount || (s.currency !== undefined && s.currency !== p.wayTicker)) {
      await storage.flagAmountMismatch(p.id);
      return 'amount_mismatch';
    }
    if (target === 'refunded' || target === 'partially_refunded') return applyRefundReport(p, target, s);
    if (p.status === target) return 'unchanged';
    if (!canTransition(p.status, target, 'provider')) return 'invalid_state';
    // `failed → paid` is for a provider's decline that was not final; a payment the merchant failed by
    // hand stays as the merchant settled it (a person reconciles the money).
    if (p.status === 'failed' && p.manual) return 'invalid_state';
    const providerPaymentId = p.providerPaymentId === null && s.providerPaymentId ? { providerPaymentId: s.providerPaymentId } : {};
    let ok: boolean;
    if (target === 'paid') {
      const now = deps.now();
      const merchant = await merchantOf(p.merchantLogin);
      ok = await transitionOrThrow(p, 'paid', {
        paidAt: now,
        ...providerPaymentId,
        // A decline that was not final (paid after `failed`): the timeline says so.
        ...(p.status === 'failed' ? { reason: `paid after a decline (${s.providerState.slice(0, 100)})` } : {}),
        ...(merchant.notifications && merchant.apiUrl ? { notification: { ...payNotification(p, merchant, now), dueAt: now } } : {}),
      }, 'provider');
    } else {
      const reason = target === 'failed' ? 'declined by the payment system' : 'expired at the payment system';
      ok = await transitionOrThrow(p, target, { reason, ...providerPaymentId }, 'provider');
    }
    if (ok) return 'applied';
    // Another request moved it first (the same report twice at once): the same state is a repeat.
    const after = await storage.getPayment(p.id);
    return after?.status === target ? 'unchanged' : 'invalid_state';
  }

  /**
   * A provider's report of a refund: the refunded total raised to what it says (`refundedMinor`, a
   * total; a `refunded` report with none means all of it), never lowered; the state follows the
   * total. A `payment.refunded` event goes to webhooks merchants when the total rises.
   */
  async function applyRefundReport(p: Payment, target: 'refunded' | 'partially_refunded', s: ProviderStatus): Promise<ApplyOutcome> {
    if (p.status !== 'paid' && p.status !== 'partially_refunded' && p.status !== 'refunded') return 'invalid_state';
    const merchant = await merchantOf(p.merchantLogin);
    const totalMinor = s.refundedMinor ?? (target === 'refunded' ? p.amountMinor : 0n);
    const r = await storage.raiseRefunded(p.id, {
      totalMinor,
      at: deps.now(),
      reason: `refund reported by the payment system (${s.providerState.slice(0, 100)})`,
      event: (after) => refundNotification(after, merchant, deps.now(), null),
    });
    if (r === 'applied') {
      const after = await storage.getPayment(p.id);
      if (after) emit({ id: p.id, status: after.status });
    }
    return r;
  }

  /**
   * What reconciliation learnt from the provider about a payment it holds (`p`, as claimed). A
   * payment whose creating request was cut off (still `created` / `checking` past the CHECK timeout)
   * is healed: known to the provider, it becomes `awaiting_payment` with its provider id (the buyer's
   * create answered `provider_unavailable`), then the report is applied; unknown to it, it is rejected
   * as interrupted, as the expiry sweep does with the sandbox's. `not_yet`: too young to judge.
   */
  async function reconcileReport(p: Payment, s: ProviderStatus): Promise<ApplyOutcome | 'not_yet'> {
    if (p.status === 'created' || p.status === 'checking') {
      if (p.createdAt > deps.now() - config.checkTimeoutMs - STALE_GRACE_MS) return 'not_yet';
      if (s.state === 'not_found') {
        const outcome: CreateOutcome = {
          kind: 'refused',
          refusal: { status: 424, code: 'check_failed', message: 'The payment was interrupted; start again', details: { reason: 'interrupted before the payment could start', paymentId: p.id } },
        };
        return (await transitionOrThrow(p, 'rejected', { reason: 'check_failed: interrupted before the payment could start', ...remember(p, outcome) })) ? 'applied' : 'invalid_state';
      }
      const entry = connectors.way(p.way);
      const outcome: CreateOutcome = {
        kind: 'refused',
        refusal: { status: 502, code: 'provider_unavailable', message: 'The payment system did not answer; try again later or choose another way', details: { paymentId: p.id } },
      };
      const moved = await transitionOrThrow(p, 'awaiting_payment', {
        reason: 'provider_unavailable: interrupted during create; found at the payment system by reconciliation',
        expiresAt: deps.now() + (entry?.way.ttlSeconds ?? 86400) * 1000,
        ...(s.providerPaymentId ? { providerPaymentId: s.providerPaymentId } : {}),
        ...remember(p, outcome),
      });
      if (!moved) return 'invalid_state';
      const now = await storage.getPayment(p.id);
      return now ? applyReport(now, s) : 'unknown_payment';
    }
    if (p.status === 'awaiting_payment' && p.providerPaymentId === null && s.providerPaymentId && TARGET[s.state] === null) {
      // An unknown create, found still pending: keep the provider's id for the next questions.
      await storage.transition(p.id, { from: 'awaiting_payment', to: 'awaiting_payment', at: deps.now(), providerPaymentId: s.providerPaymentId });
      return 'unchanged';
    }
    return applyReport(p, s);
  }

  /** The gateway's side of one provider account's notifications. */
  function notifyContext(providerId: string): NotifyContext {
    const own = async (id: string): Promise<Payment | undefined> => {
      const p = PAYMENT_ID.test(id) ? await storage.getPayment(id) : undefined;
      if (!p || p.providerId !== providerId) return undefined;
      if (providerId === SANDBOX_PROVIDER_ID) await assertSandboxMayChange(p, 'paymentId');
      return p;
    };
    return {
      payment: own,
      async apply(id, status) {
        const p = await own(id);
        return p ? applyReport(p, status) : 'unknown_payment';
      },
    };
  }

  return {
    events,

    /**
     * A payment link opened: the merchant known, the parameters parsed, the link md5 checked when the
     * merchant signs its links, the page's origin allowed when `origin` is given; with its form payload.
     */
    async paymentForm(login: string, params: URLSearchParams, origin?: string): Promise<{ payload: FormPayload; link: LinkParams; md5: string | undefined }> {
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
      const link = linkUnderRules(merchant, parsed.link, params, false);
      return { payload: formPayload(allowOrigin(merchant, origin), link, parsed.priceMinor), link, md5: parsed.md5 };
    },

    /**
     * The cabinet's link builder asks before it hands out a signed link: the same rules a link meets
     * when it is opened (return URLs, the currency, `one_way` usable by this merchant at this price,
     * some way left), and `price_final=true` refused when the merchant's fee policy would ignore it,
     * where the gateway rewrites it quietly. Throws the gateway's own 4xx naming the link's field.
     */
    checkLink(merchant: Merchant, params: URLSearchParams): void {
      const parsed = parseLink(params);
      const link = linkUnderRules(merchant, parsed.link, params, true);
      rateOf(link.ticker, 'ticker');
      quotesFor(merchant, link, parsed.priceMinor);
    },

    /** Creates a payment (idempotently), runs CHECK and starts it at the way's provider. */
    async createPayment(input: CreatePaymentInput): Promise<CreateOutcome> {
      const { m: login, l: link } = openToken(input.token);
      const merchant = allowOrigin(await merchantOf(login), input.origin);
      const entry = offeredWay(merchant, link, input.way);
      const fresh = newPayment(input, merchant, link, entry);
      const { created, payment } = await storage.createPayment(fresh);
      if (!created) return replay(payment, fresh.requestHash);
      return (await runCheck(payment, merchant)) ?? startAtProvider(payment, merchant, entry);
    },

    /** A payment by id (404 for anything else). */
    getPayment: paymentOf,

    /** Refuses (403 `live_merchant`) a sandbox page or call about a live merchant's payment. */
    assertSandboxMayChange,

    /** A payment for a browser page: its merchant must allow the page's origin. */
    async paymentFor(id: string, origin: string | undefined): Promise<Payment> {
      const p = await paymentOf(id);
      allowOrigin(await merchantOf(p.merchantLogin), origin);
      return p;
    },

    /** A payment's current status, read from the database (another instance may have changed it). */
    async statusOf(id: string): Promise<PaymentStatus | undefined> {
      return (await storage.getPayment(id))?.status;
    },

    /**
     * Hands a notification to the provider account's connector, which verifies it and reports through
     * the gateway's `NotifyContext`. Undefined when no provider has this id.
     */
    async handleNotification(providerId: string, n: IncomingNotification): Promise<HttpAnswer | undefined> {
      const connector = connectors.connector(providerId);
      return connector ? connector.handleNotification(n, notifyContext(providerId)) : undefined;
    },

    /**
     * The payment a provider sends its buyer back with (404 unless it is this provider's). The buyer
     * often arrives before the provider's notification, and some providers (YooKassa) have one
     * return URL for both outcomes: a payment still awaiting is asked about once (the provider's
     * status, applied as a notification would be), so the page tells what the provider knows.
     */
    async returningPayment(providerId: string, id: string): Promise<Payment> {
      const p = await paymentOf(id);
      if (p.providerId !== providerId) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
      const connector = deps.connectors.connector(providerId);
      if (p.status !== 'awaiting_payment' || !p.providerPaymentId || !connector) return p;
      try {
        const s = await connector.fetchStatus(p, p.providerPaymentId);
        if (s.state === 'unreachable' || (await applyReport(p, s)) !== 'applied') return p;
      } catch (e) {
        deps.log?.(`payment ${p.id}: status at ${providerId} on return failed: ${(e as Error).message}`);
        return p;
      }
      return (await storage.getPayment(id)) ?? p;
    },

    /** The gateway's side of a provider account's notifications (for connectors, tests and reconciliation). */
    notifyContext,

    /** Applies what reconciliation learnt about a payment it claimed (see `reconcileReport`). */
    reconcileReport,

    /** The connector registry (reconciliation and refunds reach providers through it). */
    connectors,

    /** The reconciliation schedule in force (seconds after creation). */
    reconcileScheduleS,

    /** Tells this process's listeners that a payment changed (refunds made outside the service). */
    emitStatus: emit,

    /**
     * Expires payments whose deadline passed, and rejects payments whose creating request was cut
     * off (a crash between saving and answering): their idempotency key then answers check_failed.
     * Returns how many changed.
     */
    async expireDue(limit = 100): Promise<number> {
      const now = deps.now();
      let n = 0;
      for (const p of await storage.dueExpirations(now, limit)) {
        if (await transitionOrThrow(p, 'expired', { reason: 'the payment deadline passed' })) n++;
      }
      // Payments at a real provider are not judged here: the provider may have them (a crash during
      // create); reconciliation asks it first (`reconcileReport`).
      for (const p of await storage.staleUnfinished(now - config.checkTimeoutMs - STALE_GRACE_MS, limit, { sandboxOnly: true })) {
        const outcome: CreateOutcome = {
          kind: 'refused',
          refusal: { status: 424, code: 'check_failed', message: 'The payment was interrupted; start again', details: { reason: 'interrupted before the payment could start', paymentId: p.id } },
        };
        if (await transitionOrThrow(p, 'rejected', { reason: 'check_failed: interrupted before the payment could start', ...remember(p, outcome) })) n++;
      }
      return n;
    },

    /** The merchant's allowed browser origins. */
    async merchantOrigins(login: string): Promise<string[]> {
      return (await merchantOf(login)).origins;
    },

    /** Subscribes to status changes of one payment (in this process). */
    onStatus(id: string, listener: (status: PaymentStatus) => void): () => void {
      events.on(id, listener);
      return () => events.off(id, listener);
    },

    isFinal,
  };
}
