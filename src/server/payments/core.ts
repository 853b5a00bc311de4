/**
 * What the payment wing's parts share: their dependencies, the lookups that answer 404 / 403, and
 * the one way a payment changes state (the transition table checked, the change stored
 * conditionally, listeners told).
 */
import { EventEmitter } from 'node:events';
import { GatewayError } from '../errors.ts';
import type { MerchantHttp } from '../merchants/merchant-http.ts';
import type { ConnectorRegistry } from '../providers/registry.ts';
import type { WayDefinition } from '../providers/contract.ts';
import { merchantMode } from '../merchants/merchant-rules.ts';
import { canTransition, type Cause, type PaymentStatus } from '../states.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant, Payment } from '../types.ts';
import type { Logger } from '../logger.ts';
import { originAllowed } from './outcome.ts';

/**
 * What the payment wing reads of the configuration: a parsed `GatewayConfig` fits it. Declared here
 * so that the domain depends on the settings it uses, not on the configuration's schema.
 */
export interface PaymentSettings {
  /** The gateway's address as buyers and shops see it (provider return and notification URLs, own origin). */
  publicUrl: string;
  /** The sandbox systems are on (they serve test merchants only). */
  sandbox: boolean;
  /** Signs form tokens. */
  secret: string;
  checkTimeoutMs: number;
  tokenTtlSeconds: number;
  /** Roubles per unit of each currency, decimal strings. */
  rates: Record<string, string>;
  ways: readonly WayDefinition[];
}

export interface ServiceDeps {
  storage: Storage;
  config: PaymentSettings;
  /** When reconciliation asks a provider about a waiting payment, in seconds after its creation (the default or `reconcileSchedule`). */
  reconcileScheduleS: readonly number[];
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

/** The event every status change is also emitted under, with `{id, status}` (payment ids start with `pay_`). */
export const ANY_STATUS_EVENT = 'status';

/** Emitted once on the service's events when the gateway begins to shut down: open status streams end. */
export const SHUTDOWN_EVENT = 'shutdown';

/** How long past the CHECK timeout a payment may stay unfinished before it counts as interrupted. */
export const STALE_GRACE_MS = 30_000;

export const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{10,60}$/;

/** The fields of a state change besides the move itself. */
export type TransitionExtra = Omit<Parameters<Storage['transition']>[1], 'from' | 'to' | 'at'>;

export type PaymentCore = ReturnType<typeof createPaymentCore>;

/** The shared part of the payment wing, built once per service. */
export function createPaymentCore(deps: ServiceDeps) {
  const { storage, config } = deps;
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

  async function transitionOrThrow(p: Payment, to: PaymentStatus, extra: TransitionExtra = {}, cause: Cause = extra.manual ? 'manual' : 'system'): Promise<boolean> {
    if (!canTransition(p.status, to, cause)) return false;
    const ok = await storage.transition(p.id, { from: p.status, to, at: deps.now(), ...extra });
    if (ok) emit({ id: p.id, status: to });
    return ok;
  }

  return { deps, events, emit, merchantOf, allowOrigin, paymentOf, assertSandboxMayChange, transitionOrThrow };
}
