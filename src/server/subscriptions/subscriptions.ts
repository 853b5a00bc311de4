/**
 * Subscriptions (issue 26 item 4): a customer's saved method charged every period through
 * `chargeSavedMethod`, with the provider's idempotency key derived from the subscription, the period
 * and the attempt, so a period is charged once whatever repeats it (two schedulers, a crash between
 * the charge and its record). A failed period is retried on the merchant's dunning schedule
 * (`savedMethods.retrySchedule`, days after the period's date), then the subscription is `past_due`.
 * Webhook merchants get `subscription.*` events with every change (events.ts); every paid charge
 * gets its PAY as any payment does.
 *
 * @example
 * const subs = createSubscriptions({ storage, now, randomId, charges });
 * const view = await subs.create({ merchant, customer: 'c-1', methodId, amountMinor: 49900n, … });
 */
import { GatewayError } from '../errors.ts';
import { checkReceiptForPayment, type Receipt } from '../../protocol/receipt.ts';
import { formatAmount, type Minor } from '../../protocol/money.ts';
import type { PaymentView } from '../../protocol/checkout-api.ts';
import { CHARGE_IN_PROGRESS_MS, type ChargeInput } from '../payments/charges.ts';
import type { Storage } from '../storage/storage.ts';
import type { SubscriptionChange } from '../storage/subscriptions-store.ts';
import type { Merchant, Subscription, SubscriptionInterval, SubscriptionStatus } from '../types.ts';
import { DEFAULT_RETRY_DAYS, periodDueAt, retryDueAt } from './calendar.ts';
import { subscriptionEvent } from './events.ts';
import { attemptKey } from './charge-key.ts';

export { attemptKey };
import { MANAGE_LINK_DEFAULT_DAYS, manageLinkProblem, manageLinkQuery } from './manage-link.ts';
import type { Language } from '../../protocol/languages.ts';
import type { SubscriptionPageData } from '../pages/subscription-page.ts';

/** How far in the past `startAt` / `nextChargeAt` may be (clocks differ a little). */
export const PAST_TOLERANCE_MS = 5 * 60_000;
/** How often a charge still waiting for its buyer (3-D Secure) is looked at again. */
export const WAITING_RECHECK_MS = 60 * 60_000;
/** How soon a charge with no answer recorded (the provider unreachable, a crash mid-record) is resumed. */
export const UNANSWERED_RECHECK_MS = CHARGE_IN_PROGRESS_MS + 1000;
/** How soon a charge another request is making (or one cut off by a crash, resumable a minute after it began) is looked at again. */
export const BUSY_RECHECK_MS = 10_000;
/** The most intervals one period may span: a year at most (five for yearly ones), so dates stay in range. */
export const MAX_EVERY: Record<SubscriptionInterval, number> = { day: 365, week: 52, month: 12, year: 5 };
/** The longest `payFor` a charge takes (the payment's). */
const PAY_FOR_MAX = 100;

/** What a new subscription asks (parsed by the route). */
export interface NewSubscriptionInput {
  merchant: Merchant;
  customer: string;
  methodId: string;
  amountMinor: Minor;
  ticker: string;
  interval: SubscriptionInterval;
  every: number;
  startAt: number;
  maxPeriods?: number;
  payFor: string;
  receipt?: Receipt;
}

/** A subscription as the merchant's API shows it. */
export interface SubscriptionView {
  id: string;
  status: SubscriptionStatus;
  customer: string;
  method: string;
  amount: string;
  ticker: string;
  interval: SubscriptionInterval;
  every: number;
  startAt: string;
  maxPeriods: number | null;
  payFor: string;
  /** The period charged next (1-based); after the last one, one past it. */
  period: number;
  /** When the next period is due; null unless `active`. */
  nextChargeAt: string | null;
  /** A failed period being retried: how many attempts failed and when the next one is. */
  retry: { failedAttempts: number; nextAttemptAt: string | null } | null;
  lastPaymentId: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public view of a subscription. */
export function subscriptionView(s: Subscription): SubscriptionView {
  const active = s.status === 'active';
  return {
    id: s.id, status: s.status, customer: s.customer, method: s.methodId, amount: formatAmount(s.amountMinor), ticker: s.ticker,
    interval: s.interval, every: s.every, startAt: iso(s.startAt)!, maxPeriods: s.maxPeriods, payFor: s.payFor, period: s.period,
    nextChargeAt: active ? iso(periodDueAt(s, s.period)) : null,
    retry: active && s.attempt > 0 ? { failedAttempts: s.attempt, nextAttemptAt: iso(s.dueAt) } : null,
    lastPaymentId: s.lastPaymentId, createdAt: iso(s.createdAt)!, updatedAt: iso(s.updatedAt)!,
  };
}

/** The order of one period's charge. */
export const periodPayFor = (template: string, period: number): string => template.replaceAll('{period}', String(period));


export interface SubscriptionDeps {
  storage: Storage;
  /** Signs the customers' links. */
  secret: string;
  /** The gateway's address as customers see it. */
  publicUrl: string;
  now: () => number;
  randomId: () => string;
  charges: {
    chargeSavedMethod(input: ChargeInput): Promise<{ created: boolean; payment: PaymentView }>;
    /** The charge's checks without charging: a 4xx naming the field. */
    checkCharge(input: ChargeInput): Promise<void>;
  };
  log?: (message: string) => void;
}

/** How one attempt ended. */
type AttemptOutcome =
  | { kind: 'paid'; paymentId: string }
  | { kind: 'failed'; paymentId: string | null; reason: string }
  | { kind: 'waiting'; paymentId: string; buyer: boolean }
  | { kind: 'busy' };

/** The subscriptions' domain: the API's calls and the scheduler's one step. */
export function createSubscriptions(deps: SubscriptionDeps) {
  const { storage } = deps;
  const log = deps.log ?? (() => {});
  const notFound = () => new GatewayError(404, 'not_found', 'no such subscription', 'id');

  async function get(m: Merchant, id: string): Promise<Subscription> {
    const s = await storage.subscriptionOf(m.login, id);
    if (!s) throw notFound();
    return s;
  }

  function checkPayFor(template: string): void {
    if (!template.includes('{period}')) {
      // Every charge is its own order: one payFor for all would make the second a duplicate of the first.
      throw new GatewayError(400, 'invalid_param', 'payFor: must contain {period}, which each charge replaces by its period\'s number', 'payFor');
    }
    if (periodPayFor(template, 999_999).length > PAY_FOR_MAX) throw new GatewayError(400, 'invalid_param', `payFor: must be at most ${PAY_FOR_MAX} characters with {period} replaced`, 'payFor');
  }

  function chargeOf(s: Subscription, m: Merchant, attempt: number): ChargeInput {
    return {
      merchant: m, customer: s.customer, methodId: s.methodId, amountMinor: s.amountMinor, ticker: s.ticker, payFor: periodPayFor(s.payFor, s.period),
      idempotencyKey: attemptKey(s.id, s.period, attempt), ...(s.receipt ? { receipt: s.receipt as Receipt } : {}),
    };
  }

  /** Why a change could not be made: gone, finished, or held by a charge under way. */
  async function refusal(m: Merchant, id: string, allowed: SubscriptionStatus[]): Promise<GatewayError> {
    const s = await get(m, id);
    if (!allowed.includes(s.status)) return new GatewayError(409, 'invalid_state', `status: the subscription is ${s.status}`, 'status');
    return new GatewayError(409, 'invalid_state', 'status: a charge of this subscription is under way; retry shortly', 'status');
  }

  async function attempt(s: Subscription, m: Merchant): Promise<AttemptOutcome> {
    try {
      const { payment } = await deps.charges.chargeSavedMethod(chargeOf(s, m, s.tries));
      switch (payment.status) {
        case 'paid':
          return { kind: 'paid', paymentId: payment.id };
        case 'failed': case 'expired': case 'rejected':
          return { kind: 'failed', paymentId: payment.id, reason: payment.reason ?? payment.status };
        default:
          return { kind: 'waiting', paymentId: payment.id, buyer: payment.action !== null };
      }
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e;
      if (e.status === 409 && e.code === 'idempotency_conflict' && e.message.includes('in progress')) return { kind: 'busy' };
      // The method removed, saved methods turned off, a charge above the maximum: this attempt failed.
      return { kind: 'failed', paymentId: null, reason: e.message };
    }
  }

  return {
    /** Creates an active subscription; its first period is due at `startAt`. */
    async create(input: NewSubscriptionInput): Promise<SubscriptionView> {
      const now = deps.now();
      checkPayFor(input.payFor);
      if (input.every > MAX_EVERY[input.interval]) throw new GatewayError(400, 'invalid_param', `every: at most ${MAX_EVERY[input.interval]} for interval ${input.interval}`, 'every');
      if (input.startAt < now - PAST_TOLERANCE_MS) throw new GatewayError(400, 'invalid_param', 'startAt: must not be in the past', 'startAt');
      if (input.receipt) {
        const r = checkReceiptForPayment(input.receipt, { ticker: input.ticker, wayTicker: 'RUR', priceMinor: input.amountMinor });
        if (!r.ok) throw new GatewayError(400, 'invalid_param', `${r.issue.field}: ${r.issue.message}`, r.issue.field);
      }
      const s: Subscription = {
        id: `sub_${deps.randomId().replace(/^pay_/, '')}`, merchantLogin: input.merchant.login, customer: input.customer, methodId: input.methodId,
        amountMinor: input.amountMinor, ticker: input.ticker, interval: input.interval, every: input.every, startAt: input.startAt,
        maxPeriods: input.maxPeriods ?? null, payFor: input.payFor, receipt: input.receipt ?? null, status: 'active', period: 1, anchorPeriod: 1,
        anchorAt: input.startAt, attempt: 0, tries: 0, dueAt: input.startAt, leaseOwner: null, leaseUntil: null, lastPaymentId: null, createdAt: now, updatedAt: now,
      };
      // The method, the merchant's switch and maximum, a live merchant's sandbox method: as a charge checks them.
      await deps.charges.checkCharge(chargeOf(s, input.merchant, 0));
      await storage.createSubscription(s, subscriptionEvent(input.merchant, s, 'created', now));
      return subscriptionView(s);
    },

    async get(m: Merchant, id: string): Promise<SubscriptionView> {
      return subscriptionView(await get(m, id));
    },

    async list(m: Merchant, customer: string | undefined): Promise<{ subscriptions: SubscriptionView[] }> {
      return { subscriptions: (await storage.subscriptionsOf(m.login, customer, 100)).map(subscriptionView) };
    },

    /**
     * Changes the amount (from the next attempt on) and/or the next charge's date (later periods
     * count from it). A new date brings a `past_due` subscription back to `active`, its period tried afresh.
     */
    async update(m: Merchant, id: string, patch: { amountMinor?: Minor; nextChargeAt?: number }): Promise<SubscriptionView> {
      const now = deps.now();
      const s = await get(m, id);
      if (patch.amountMinor !== undefined) await deps.charges.checkCharge({ ...chargeOf(s, m, 0), amountMinor: patch.amountMinor });
      if (patch.nextChargeAt !== undefined && patch.nextChargeAt < now - PAST_TOLERANCE_MS) throw new GatewayError(400, 'invalid_param', 'nextChargeAt: must not be in the past', 'nextChargeAt');
      const allowed: SubscriptionStatus[] = ['active', 'past_due'];
      const change: SubscriptionChange = {
        ...(patch.amountMinor !== undefined ? { amountMinor: patch.amountMinor } : {}),
        ...(patch.nextChargeAt !== undefined ? { status: 'active', anchorPeriod: s.period, anchorAt: patch.nextChargeAt, dueAt: patch.nextChargeAt, attempt: 0 } : {}),
      };
      if (!(await storage.changeSubscription(m.login, id, allowed, now, change, false))) throw await refusal(m, id, allowed);
      return subscriptionView(await get(m, id));
    },

    /** Cancels: no further charge (one under way finishes and gets its PAY). Cancelling again answers the same. */
    async cancel(m: Merchant, id: string): Promise<SubscriptionView> {
      return cancel(m, await get(m, id));
    },

    /** The signed link for the customer's page, lasting `days` (default 30). */
    async manageLink(m: Merchant, id: string, opts: { days?: number; ln: Language }): Promise<{ url: string; expiresAt: string }> {
      await get(m, id);
      const expS = Math.floor(deps.now() / 1000) + (opts.days ?? MANAGE_LINK_DEFAULT_DAYS) * 86_400;
      return { url: `${deps.publicUrl}/subscriptions/${id}/manage?${manageLinkQuery(deps.secret, id, expS, opts.ln)}`, expiresAt: new Date(expS * 1000).toISOString() };
    },

    /**
     * The customer's page through the signed link: what it shows, or why the link does not open
     * (forged, expired, or for a subscription that does not exist: `invalid`). With `cancel`, cancels first.
     */
    async customerPage(id: string, link: { exp?: string; sig?: string; query: string }, cancelNow: boolean): Promise<{ problem: 'invalid' | 'expired' } | { page: SubscriptionPageData }> {
      const problem = manageLinkProblem(deps.secret, id, link.exp, link.sig, deps.now());
      if (problem) return { problem };
      let s = await storage.subscriptionById(id);
      const m = s && await storage.getMerchant(s.merchantLogin);
      if (!s || !m) return { problem: 'invalid' };
      let justCancelled = false;
      if (cancelNow && s.status !== 'cancelled' && s.status !== 'completed') {
        await cancel(m, s);
        s = (await storage.subscriptionById(id))!;
        justCancelled = s.status === 'cancelled';
      }
      const v = subscriptionView(s);
      const method = await storage.savedMethodOf(m.login, s.methodId);
      return { page: { id, merchantName: m.name, status: s.status, amount: v.amount, ticker: v.ticker, interval: v.interval, every: v.every, nextChargeAt: v.nextChargeAt, last4: method?.last4 ?? null, query: link.query, justCancelled } };
    },

    /**
     * The scheduler's step for one subscription it claimed: charges its period (this attempt's key)
     * and records the outcome while `owner` still holds the lease. Throws only when storage fails
     * (the lease then runs out and the attempt is made again, under the same key).
     */
    async chargeDue(s: Subscription, owner: string): Promise<void> {
      const m = await storage.getMerchant(s.merchantLogin);
      const outcome: AttemptOutcome = m ? await attempt(s, m) : { kind: 'failed', paymentId: null, reason: 'the merchant is not known' };
      const now = deps.now();
      let change: SubscriptionChange;
      switch (outcome.kind) {
        case 'busy':
          change = { dueAt: now + BUSY_RECHECK_MS };
          break;
        case 'waiting':
          // For the buyer (3-D Secure): hours. For the provider's answer (none recorded): the charge is resumed under its key.
          change = { dueAt: now + (outcome.buyer ? WAITING_RECHECK_MS : UNANSWERED_RECHECK_MS), lastPaymentId: outcome.paymentId };
          break;
        case 'paid': {
          const next = s.period + 1;
          const completed = s.maxPeriods !== null && s.period >= s.maxPeriods;
          const after: Subscription = { ...s, period: next, attempt: 0, tries: 0, status: completed ? 'completed' : 'active', lastPaymentId: outcome.paymentId, updatedAt: now };
          const detail = { period: s.period, attempt: s.attempt, paymentId: outcome.paymentId };
          change = {
            period: next, attempt: 0, tries: 0, lastPaymentId: outcome.paymentId, dueAt: completed ? null : periodDueAt(s, next),
            ...(completed ? { status: 'completed' as const } : {}),
            events: m ? [...subscriptionEvent(m, after, 'charged', now, detail), ...(completed ? subscriptionEvent(m, after, 'completed', now) : [])] : [],
          };
          break;
        }
        case 'failed': {
          const failed = s.attempt + 1;
          const retryAt = retryDueAt(periodDueAt(s, s.period), m?.savedMethods?.retryScheduleDays ?? DEFAULT_RETRY_DAYS, failed);
          const after: Subscription = { ...s, attempt: failed, tries: s.tries + 1, status: retryAt === null ? 'past_due' : 'active', updatedAt: now, lastPaymentId: outcome.paymentId ?? s.lastPaymentId };
          const detail = { period: s.period, attempt: s.attempt, paymentId: outcome.paymentId, reason: outcome.reason };
          change = {
            attempt: failed, tries: s.tries + 1, dueAt: retryAt === null ? null : Math.max(retryAt, now), ...(outcome.paymentId ? { lastPaymentId: outcome.paymentId } : {}),
            ...(retryAt === null ? { status: 'past_due' as const } : {}),
            events: m ? [...subscriptionEvent(m, after, 'failed', now, detail), ...(retryAt === null ? subscriptionEvent(m, after, 'past_due', now) : [])] : [],
          };
          break;
        }
      }
      if (!(await storage.finishSubscriptionClaim(s.id, owner, now, change))) {
        // Cancelled meanwhile, or the lease ran out (another scheduler repeats this attempt under the same key: charged once).
        log(`subscription ${s.id} period ${s.period}: outcome not recorded (lease lost or cancelled)`);
      }
    },
  };

  async function cancel(m: Merchant, s: Subscription): Promise<SubscriptionView> {
    const now = deps.now();
    const id = s.id;
    if (s.status === 'cancelled') return subscriptionView(s);
    const allowed: SubscriptionStatus[] = ['active', 'past_due'];
    const cancelled: Subscription = { ...s, status: 'cancelled', dueAt: null, updatedAt: now };
    if (!(await storage.changeSubscription(m.login, id, allowed, now, { status: 'cancelled', dueAt: null, events: subscriptionEvent(m, cancelled, 'cancelled', now) }, true))) {
      throw await refusal(m, id, allowed);
    }
    return subscriptionView(await get(m, id));
  }
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
