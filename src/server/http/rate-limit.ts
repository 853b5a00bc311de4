/**
 * Rate limits (issue 12), with `rate-limiter-flexible`'s in-memory limiter: one set of counters per
 * gateway process.
 *
 * Why in memory: the limits are there to stop a brute force or a flood from one source, and an
 * in-memory counter costs nothing on the payment path (no database round trip per request, no write
 * on SQLite's single writer). With several instances behind a balancer each counts on its own, so
 * the effective limit is up to N times the configured one (and a client spread over instances by the
 * balancer gets that much more); divide the numbers by N if that matters, or replace
 * `RateLimiterMemory` here by `RateLimiterPostgres` / `RateLimiterRedis` of the same library, which
 * keep the same interface. A restart forgets the counters.
 *
 * What is limited (names are the `rateLimits` configuration keys):
 * - `cabinetFailuresPerAddress`: wrong or missing cabinet keys from one client address; once used up,
 *   that address is blocked (every cabinet API call, right key or not) for `blockS`.
 * - `cabinetPerAddress`, `cabinetPerMerchant`: cabinet API calls per client address and per merchant
 *   whose key is used.
 * - `paymentsPerToken`: payment requests (`POST /api/v1/payments`, the no-JS form) per form token.
 * - `paymentsPerAddress`: payment requests per client address.
 * - `checksPerMerchant`: payment requests for a merchant that has CHECK on (each may send a CHECK),
 *   so a flood of buyers cannot turn the gateway into a CHECK cannon against one shop.
 * - `notifyPerAddress`: provider notifications (`POST /providers/{id}/notify`) per client address,
 *   counted before anything is read or verified: without `notifyIps`, each YooKassa notification
 *   makes the gateway call YooKassa's API with the shop's credentials.
 * - `streamsPerAddress`: server-sent status streams open at once per client address (only `points`
 *   counts; see status-stream.ts, which also caps the streams of one payment).
 *
 * A refused request gets `429 rate_limited` with `Retry-After` (seconds) and the RateLimit fields
 * of draft-ietf-httpapi-ratelimit-headers-09/-10 (structured fields): `RateLimit-Policy:
 * "<name>";q=<points>;w=<window s>` and `RateLimit: "<name>";r=<remaining>;t=<s until reset>`.
 * Cabinet answers carry them too. Requests that reach the handler with no connection (in-process
 * calls, tests through `gateway.fetch`) have no client address and are limited per token and per
 * merchant only.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayError } from '../errors.ts';

/** One limit: `points` per `durationS` seconds; `blockS` keeps a key refused that long once used up. */
export interface LimitConfig {
  points: number;
  durationS: number;
  blockS?: number | undefined;
}

export const RATE_LIMIT_NAMES = [
  'cabinetFailuresPerAddress', 'cabinetPerAddress', 'cabinetPerMerchant', 'paymentsPerToken', 'paymentsPerAddress', 'checksPerMerchant',
  'notifyPerAddress', 'streamsPerAddress',
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/**
 * Generous defaults: a person or a shop never meets them; a script hammering one key or one form
 * token does. The per-address and per-merchant numbers allow load tests from one host (thousands
 * of payments a minute); an operator who knows its traffic sets tighter ones.
 */
export const DEFAULT_RATE_LIMITS: Record<RateLimitName, LimitConfig> = {
  cabinetFailuresPerAddress: { points: 20, durationS: 60, blockS: 300 },
  cabinetPerAddress: { points: 600, durationS: 60 },
  cabinetPerMerchant: { points: 1200, durationS: 60 },
  paymentsPerToken: { points: 100, durationS: 600 },
  paymentsPerAddress: { points: 6000, durationS: 60 },
  checksPerMerchant: { points: 6000, durationS: 60 },
  // Providers resend what is not answered, and one provider's notifications come from a few addresses.
  notifyPerAddress: { points: 600, durationS: 60 },
  // Status streams open at once per address (a gauge, not a rate: see status-stream.ts); durationS unused.
  streamsPerAddress: { points: 20, durationS: 60 },
};

/** The answer of one counted request: what the RateLimit fields say. */
export interface LimitState {
  name: RateLimitName;
  limit: LimitConfig;
  remaining: number;
  resetMs: number;
}

export interface RateLimits {
  /** Whether the limits count at all (`rateLimits.enabled`). */
  readonly enabled: boolean;
  /** Counts one request against `name` for `key`; throws `429 rate_limited` when used up. */
  consume(name: RateLimitName, key: string): Promise<LimitState | null>;
  /** Gives back one point counted for `key` (a request that turned out to create nothing). */
  refund(name: RateLimitName, key: string): Promise<void>;
  /** Throws `429` if `key` is used up (blocked) for `name`, without counting. */
  ensureNotBlocked(name: RateLimitName, key: string): Promise<void>;
}

/** The RateLimit fields (draft-ietf-httpapi-ratelimit-headers-09/-10) for one limit's state. */
export function rateLimitHeaders(s: LimitState): Record<string, string> {
  const window = s.limit.durationS;
  return {
    'ratelimit-policy': `"${s.name}";q=${s.limit.points};w=${window}`,
    ratelimit: `"${s.name}";r=${Math.max(0, s.remaining)};t=${Math.max(0, Math.ceil(s.resetMs / 1000))}`,
  };
}

function refused(name: RateLimitName, limit: LimitConfig, msBeforeNext: number): GatewayError {
  const retryS = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new GatewayError(429, 'rate_limited', `too many requests (${name}); try again in ${retryS} s`, undefined, { limit: name }, {
    'retry-after': String(retryS),
    ...rateLimitHeaders({ name, limit, remaining: 0, resetMs: msBeforeNext }),
  });
}

/**
 * @example const limits = createRateLimits({ paymentsPerToken: { points: 5, durationS: 60 } });
 *          await limits.consume('paymentsPerToken', tokenHash);
 */
export function createRateLimits(config: Partial<Record<RateLimitName, LimitConfig>> = {}, enabled = true): RateLimits {
  const limits = { ...DEFAULT_RATE_LIMITS, ...config };
  const limiters = new Map<RateLimitName, RateLimiterMemory>();
  for (const name of RATE_LIMIT_NAMES) {
    const l = limits[name];
    limiters.set(name, new RateLimiterMemory({ keyPrefix: name, points: l.points, duration: l.durationS, ...(l.blockS ? { blockDuration: l.blockS } : {}) }));
  }
  return {
    enabled,
    async consume(name, key) {
      if (!enabled) return null;
      const limit = limits[name];
      try {
        const r = await limiters.get(name)!.consume(key, 1);
        return { name, limit, remaining: r.remainingPoints, resetMs: r.msBeforeNext };
      } catch (e) {
        if (e instanceof RateLimiterRes) throw refused(name, limit, e.msBeforeNext);
        throw e;
      }
    },
    async refund(name, key) {
      if (!enabled) return;
      await limiters.get(name)!.reward(key, 1);
    },
    async ensureNotBlocked(name, key) {
      if (!enabled) return;
      const limit = limits[name];
      const r = await limiters.get(name)!.get(key);
      if (r && r.consumedPoints > limit.points) throw refused(name, limit, r.msBeforeNext);
    },
  };
}
