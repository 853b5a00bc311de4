/**
 * The payment domain: form payloads, creating payments with CHECK, settling them from payment
 * system events, expiry. Routes call this; it never sees HTTP requests, and it reaches the world
 * only through injected storage, clock, randomness and merchant HTTP.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { GatewayConfig, WayConfig } from './config.ts';
import { GatewayError } from './errors.ts';
import type { LinkParams } from './link.ts';
import type { MerchantHttp } from './merchant-http.ts';
import { convert, feeOf, formatAmount, formatRate, MAX_AMOUNT_MINOR, parseAmount, parseRate, type Minor, type Rate } from './money.ts';
import { checkRequest, checkData, payNotification } from './notify.ts';
import { judgeCheckApi1, judgeCheckApi2, type CheckVerdict } from './protocol.ts';
import { createSandboxSystem, type PaymentSystem, type SystemEvent } from './payment-systems/sandbox.ts';
import { canTransition, isFinal, type PaymentStatus } from './states.ts';
import type { Storage } from './storage/storage.ts';
import { signToken, verifyToken } from './token.ts';
import type { Merchant, Payment, PaymentAction } from './types.ts';
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
  order: { payFor: string; price: string; ticker: string; mode: 'fix' | 'free'; note: string; convert: boolean; priceFinal: boolean };
  ln: 'ru' | 'en';
  urlSuccess: string;
  urlFail: string;
  userEmail: string;
  userPhone: string;
  ways: WayQuote[];
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

/** A stored answer: the route sends exactly this. */
export interface Answer {
  status: number;
  body: string;
}

export interface PaymentView {
  id: string;
  status: PaymentStatus;
  way: string;
  amount: string;
  ticker: string;
  payFor: string;
  urlSuccess: string;
  urlFail: string;
  action: PaymentAction | null;
  updatedAt: string;
}

export interface ServiceDeps {
  storage: Storage;
  config: GatewayConfig;
  now: () => number;
  randomId: () => string;
  merchantHttp: MerchantHttp;
  /** Structured log lines (CHECK); none when absent. */
  logger?: Logger;
}

export type PaymentService = ReturnType<typeof createPaymentService>;

/**
 * The `reason` of a 424 check_failed answer (docs/API.md). The buyer sees it, so the merchant's raw
 * answer text (PHP warnings, stack traces) stays in the stored status reason only.
 */
const publicCheckReason = (reason: string): string => reason.replace(/^(unreadable answer):[\s\S]*$/, '$1').slice(0, 200);

/** The event every status change is also emitted under, with `{id, status}` (payment ids start with `pay_`). */
export const ANY_STATUS_EVENT = 'status';

/** Emitted once on the service's events when the gateway begins to shut down: open status streams end. */
export const SHUTDOWN_EVENT = 'shutdown';

/** How long past the CHECK timeout a payment may stay unfinished before it counts as interrupted. */
const STALE_GRACE_MS = 30_000;

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
    action: p.action,
    updatedAt: new Date(p.updatedAt).toISOString(),
  };
}

/** Whether a browser origin may use a merchant's checkout API. No Origin (a server) is allowed. */
export function originAllowed(origin: string | undefined, merchant: Merchant, publicUrl: string): boolean {
  if (!origin) return true;
  return origin === new URL(publicUrl).origin || merchant.origins.includes(origin);
}

/**
 * @example const service = createPaymentService({ storage, config, now: Date.now, randomId, merchantHttp });
 */
export function createPaymentService(deps: ServiceDeps) {
  const { storage, config } = deps;
  const rates = new Map<string, Rate>(Object.entries(config.rates).map(([k, v]) => [k, parseRate(v)!]));
  const ways = new Map<string, { way: WayConfig; system: PaymentSystem }>(
    config.ways.map((w) => [w.code, { way: w, system: createSandboxSystem(w, config.publicUrl) }]),
  );
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

  function waysFor(link: LinkParams): WayConfig[] {
    if (!link.oneWay) return config.ways;
    const w = ways.get(link.oneWay);
    if (!w) throw new GatewayError(400, 'invalid_param', `one_way: no payment system ${link.oneWay}`, 'one_way');
    return [w.way];
  }

  async function transitionOrThrow(p: Payment, to: PaymentStatus, extra: Omit<Parameters<Storage['transition']>[1], 'from' | 'to' | 'at'> = {}): Promise<boolean> {
    if (!canTransition(p.status, to, extra.manual ? 'manual' : 'system')) return false;
    const ok = await storage.transition(p.id, { from: p.status, to, at: deps.now(), ...extra });
    if (ok) emit({ id: p.id, status: to });
    return ok;
  }

  async function sendCheck(p: Payment, m: Merchant): Promise<CheckVerdict> {
    if (!m.apiUrl) return { kind: 'failed', reason: 'merchant has no API URL' };
    annotateRequest({ paymentId: p.id, merchantLogin: m.login });
    const req = checkRequest(p, m);
    const r = await deps.merchantHttp({ url: m.apiUrl, ...req, timeoutMs: config.checkTimeoutMs });
    let verdict: CheckVerdict;
    if (!r.ok) verdict = { kind: 'failed', reason: r.error };
    else if (r.status < 200 || r.status > 299) verdict = { kind: 'failed', reason: `HTTP ${r.status}` };
    else {
      const d = checkData(p);
      verdict = m.apiType === 2 ? judgeCheckApi2(r.body, d, m.secret) : judgeCheckApi1(r.body, d, m.secret);
    }
    deps.logger?.info({
      paymentId: p.id, merchantLogin: m.login, url: urlForLog(m.apiUrl), apiType: m.apiType, durationMs: r.durationMs,
      ...(r.ok ? { httpStatus: r.status } : {}), verdict: verdict.kind, ...('reason' in verdict ? { reason: publicCheckReason(String(verdict.reason)) } : {}),
    }, 'check');
    return verdict;
  }

  /** The answer kept with the state change, for a payment created under an idempotency key. */
  const remember = (p: Payment, answer: Answer): { response?: Answer } => (p.idempotencyKey ? { response: answer } : {});

  return {
    events,

    /** The form payload of a payment link (the link already parsed and its md5 checked). */
    async formPayload(login: string, link: LinkParams, merchant?: Merchant): Promise<FormPayload> {
      const m = merchant ?? await merchantOf(login);
      const priceMinor = parseAmount(link.price)!;
      rateOf(link.ticker, 'ticker');
      const list = waysFor(link).map((w): WayQuote => ({
        code: w.code,
        kind: ways.get(w.code)!.system.kind,
        title: w.title[link.ln],
        amount: link.payMode === 'free' ? null : formatAmount(amountOf(link, priceMinor, w).amount),
        ticker: w.ticker,
      }));
      const expiresAt = deps.now() + config.tokenTtlSeconds * 1000;
      const payload: TokenPayload = { m: m.login, l: link };
      return {
        token: signToken(payload, expiresAt, config.secret),
        expiresAt: new Date(expiresAt).toISOString(),
        merchant: { login: m.login, name: m.name },
        order: { payFor: link.payFor, price: link.price, ticker: link.ticker, mode: link.payMode, note: link.note, convert: link.convert, priceFinal: link.priceFinal },
        ln: link.ln,
        urlSuccess: link.urlSuccess,
        urlFail: link.urlFail,
        userEmail: link.userEmail,
        userPhone: link.userPhone,
        ways: list,
      };
    },

    /** Creates a payment (idempotently), runs CHECK and starts the payment system. */
    async createPayment(input: CreatePaymentInput): Promise<Answer> {
      const t = verifyToken(input.token, deps.now(), config.secret);
      if (!t.ok) {
        throw t.reason === 'expired'
          ? new GatewayError(410, 'token_expired', 'token: the payment form has expired; reload it', 'token')
          : new GatewayError(400, 'token_invalid', 'token: not a token issued by this gateway', 'token');
      }
      const { m: login, l: link } = t.payload as TokenPayload;
      const merchant = await merchantOf(login);
      if (!originAllowed(input.origin, merchant, config.publicUrl)) {
        throw new GatewayError(403, 'origin_forbidden', `origin ${input.origin} is not allowed for this merchant`, 'origin');
      }
      const entry = ways.get(input.way);
      if (!entry || !waysFor(link).some((w) => w.code === input.way)) {
        throw new GatewayError(400, 'unknown_way', `way: ${JSON.stringify(input.way.slice(0, 8))} is not offered for this order`, 'way');
      }
      let priceMinor = parseAmount(link.price)!;
      if (link.payMode === 'free') {
        const typed = input.amount === undefined ? null : parseAmount(input.amount);
        if (typed === null || typed === 0n) throw new GatewayError(400, 'invalid_param', 'amount: an amount above zero like 150.0 is required in free mode', 'amount');
        priceMinor = typed;
      } else if (input.amount !== undefined && parseAmount(input.amount) !== priceMinor) {
        throw new GatewayError(400, 'invalid_param', 'amount: the amount is fixed by the merchant', 'amount');
      }
      const q = quote(link, priceMinor, entry.way, link.payMode === 'free' ? 'amount' : 'price');
      if (q.amount === 0n) throw new GatewayError(400, 'invalid_param', 'amount: too small to pay in this currency', 'amount');
      const userEmail = input.userEmail || link.userEmail;
      const userPhone = input.userPhone || link.userPhone;
      const requestHash = createHash('sha256').update(JSON.stringify([input.token, input.way, userEmail, userPhone, formatAmount(priceMinor)])).digest('hex');
      const now = deps.now();
      const { created, payment } = await storage.createPayment({
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
        requestHash,
        expiresAt: null,
        createdAt: now,
        updatedAt: now,
      });
      if (!created) {
        if (payment.requestHash !== requestHash) {
          throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: this key was used for another request', 'Idempotency-Key');
        }
        if (payment.responseStatus !== null && payment.responseBody !== null) return { status: payment.responseStatus, body: payment.responseBody };
        throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: a request with this key is still in progress; retry shortly', 'Idempotency-Key');
      }

      const current = payment;
      if (merchant.notifications) {
        const verdict = await sendCheck(current, merchant);
        if (verdict.kind !== 'accepted') {
          const declined = verdict.kind === 'declined';
          const reason = declined ? `check_declined${verdict.comment ? `: ${verdict.comment}` : ''}` : `check_failed: ${verdict.reason}`;
          const error = declined
            ? new GatewayError(422, 'check_declined', 'The shop declined this payment', undefined, { comment: verdict.comment.slice(0, 255), paymentId: current.id })
            : new GatewayError(424, 'check_failed', 'The shop did not confirm this payment; try again later', undefined, { reason: publicCheckReason(verdict.reason), paymentId: current.id });
          const answer = { status: error.status, body: JSON.stringify(error.toJSON()) };
          await transitionOrThrow(current, 'rejected', { reason: reason.slice(0, 500), ...remember(current, answer) });
          return answer;
        }
      }
      const { action, expiresAt } = entry.system.start(current, deps.now());
      const answer = { status: 201, body: JSON.stringify(paymentView({ ...current, status: 'awaiting_payment', action, updatedAt: deps.now() })) };
      await transitionOrThrow(current, 'awaiting_payment', { action, expiresAt, ...remember(current, answer) });
      return answer;
    },

    async getPayment(id: string): Promise<Payment> {
      const p = /^pay_[A-Za-z0-9_-]{10,60}$/.test(id) ? await storage.getPayment(id) : undefined;
      if (!p) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
      return p;
    },

    /**
     * Applies a payment system's event. Idempotent: a replay of an applied event changes nothing
     * and answers `applied: false`.
     */
    async settle(e: SystemEvent): Promise<{ applied: boolean; payment: Payment }> {
      const p = await storage.getPayment(e.paymentId);
      if (!p) throw new GatewayError(404, 'not_found', 'no such payment', 'paymentId');
      if (e.outcome === 'paid' && (parseAmount(e.amount) !== p.amountMinor || e.ticker !== p.wayTicker)) {
        throw new GatewayError(422, 'invalid_param', `amount: ${e.amount} ${e.ticker} is not what this payment expects`, 'amount');
      }
      if (p.status === e.outcome) return { applied: false, payment: p };
      if (p.status !== 'awaiting_payment') {
        throw new GatewayError(409, 'invalid_state', `payment is ${p.status}; it cannot become ${e.outcome}`, 'status');
      }
      const now = deps.now();
      const merchant = await merchantOf(p.merchantLogin);
      const ok = e.outcome === 'paid'
        ? await transitionOrThrow(p, 'paid', {
          paidAt: now,
          ...(merchant.notifications && merchant.apiUrl ? { notification: { ...payNotification(p, merchant, now), dueAt: now } } : {}),
        })
        : await transitionOrThrow(p, 'failed', { reason: 'declined by the payment system' });
      const after = await storage.getPayment(p.id);
      return { applied: ok, payment: after! };
    },

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
      for (const p of await storage.staleUnfinished(now - config.checkTimeoutMs - STALE_GRACE_MS, limit)) {
        const e = new GatewayError(424, 'check_failed', 'The payment was interrupted; start again', undefined, { reason: 'interrupted before the payment could start', paymentId: p.id });
        const answer = { status: e.status, body: JSON.stringify(e.toJSON()) };
        if (await transitionOrThrow(p, 'rejected', { reason: 'check_failed: interrupted before the payment could start', ...remember(p, answer) })) n++;
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
