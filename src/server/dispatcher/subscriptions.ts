/**
 * The subscriptions' scheduler (issue 26 item 4), on the receipt checker's lease machinery: the due
 * time lives in the database (`subscriptions.due_at`: the period's date or a dunning retry), a claim
 * takes a lease (`lease_owner`, `lease_until`; PostgreSQL `FOR UPDATE SKIP LOCKED`), so any number
 * of gateways and `npm run worker` processes share the work and one attempt of one period is made by
 * one of them at a time. The charge's idempotency key is the subscription, the period and the
 * attempt (`sub:{id}:{period}`, then `…:retry{n}`): a scheduler that dies mid-charge leaves its claim
 * due again when the lease ends, and the next one's charge under the same key charges nothing more.
 *
 * @example
 * const s = createSubscriptionScheduler({ storage, subscriptions: service.subscriptions, now: Date.now, owner: 'gw-1' });
 * s.start(); … await s.stop();
 */
import { createLoop } from './loop.ts';
import type { GatewayConfig } from '../config.ts';
import type { Storage } from '../storage/storage.ts';
import type { Subscriptions } from '../subscriptions/subscriptions.ts';

/** How long one charge at a provider may take (the connectors' own deadline), for the lease check. */
export const CHARGE_CALL_TIMEOUT_MS = 10_000;

export interface SubscriptionSchedulerOptions {
  storage: Pick<Storage, 'claimDueSubscriptions' | 'nextSubscriptionDueAt'>;
  subscriptions: Pick<Subscriptions, 'chargeDue'>;
  now: () => number;
  /** Who holds the leases; unique per process (≤ 64 characters). */
  owner: string;
  /** Subscriptions claimed at once. */
  batchSize?: number;
  /** How long a claim holds a subscription; must outlast a charge at the provider. */
  leaseMs?: number;
  /** The deadline of one charge at a provider (the gateway's), for the lease check. */
  callTimeoutMs?: number;
  /** The longest wait between looks at the due times. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export interface SubscriptionScheduler {
  readonly owner: string;
  /** Claims one batch of due subscriptions and charges them; returns how many. */
  runOnce(): Promise<number>;
  start(): void;
  /** Stops the loop and waits for charges in flight. */
  stop(): Promise<void>;
}

/** @example const s = createSubscriptionScheduler({ storage, subscriptions, now: clock.now, owner: 'test' }); await s.runOnce(); */
export function createSubscriptionScheduler(o: SubscriptionSchedulerOptions): SubscriptionScheduler {
  const batchSize = o.batchSize ?? 10;
  const callTimeoutMs = o.callTimeoutMs ?? CHARGE_CALL_TIMEOUT_MS;
  // Charged one after another: each must end within the lease.
  const leaseMs = o.leaseMs ?? batchSize * (callTimeoutMs + 1000) + 30_000;
  const pollMs = o.pollMs ?? 5000;
  const log = o.log ?? (() => {});
  if (!o.owner || o.owner.length > 64) throw new RangeError('owner: 1–64 characters');
  if (!(batchSize >= 1)) throw new RangeError('batchSize: at least 1');
  if (leaseMs <= callTimeoutMs) throw new RangeError('leaseMs must be longer than a charge, or a slow charge would be tried twice');

  async function runOnce(): Promise<number> {
    const claimed = await o.storage.claimDueSubscriptions(o.now(), batchSize, o.owner, leaseMs);
    for (const s of claimed) {
      try {
        await o.subscriptions.chargeDue(s, o.owner);
      } catch (e) {
        // Not recorded (storage down): the lease runs out and the same attempt is made again, under the same key.
        log(`subscription ${s.id}: period ${s.period} not recorded: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return claimed.length;
  }

  const background = createLoop(loop, o.sleep);

  async function loop(): Promise<void> {
    while (background.running) {
      try {
        const n = await runOnce();
        if (n === batchSize) continue;
        if (!background.running) break;
        const next = await o.storage.nextSubscriptionDueAt();
        await background.pause(next === null ? pollMs : Math.min(pollMs, Math.max(5, next - o.now())));
      } catch (e) {
        log(`subscription scheduler ${o.owner}: ${e instanceof Error ? e.message : String(e)}`);
        await background.pause(pollMs);
      }
    }
  }

  return { owner: o.owner, runOnce, start: background.start, stop: background.stop };
}

/**
 * The scheduler with the configuration's `subscriptions` limits.
 * @example const s = subscriptionSchedulerFromConfig(config, storage, service.subscriptions, { owner: processOwner('gw-sub') }); s.start();
 */
export function subscriptionSchedulerFromConfig(
  config: Pick<GatewayConfig, 'subscriptions'>,
  storage: SubscriptionSchedulerOptions['storage'],
  subscriptions: SubscriptionSchedulerOptions['subscriptions'],
  opts: { owner: string; log?: (m: string) => void; now?: () => number },
): SubscriptionScheduler {
  const c = config.subscriptions ?? {};
  return createSubscriptionScheduler({
    storage, subscriptions, now: opts.now ?? Date.now, owner: opts.owner,
    ...(opts.log ? { log: opts.log } : {}),
    ...(c.batchSize !== undefined ? { batchSize: c.batchSize } : {}),
    ...(c.leaseMs !== undefined ? { leaseMs: c.leaseMs } : {}),
    ...(c.pollMs !== undefined ? { pollMs: c.pollMs } : {}),
  });
}
