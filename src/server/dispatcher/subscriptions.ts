/**
 * The subscriptions' scheduler (issue 26 item 4), on the leased worker (`leased-worker.ts`): the due
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
import { createLeasedWorker, type LeasedLoopOptions, type LeasedWorker } from './leased-worker.ts';
import type { GatewayConfig } from '../config.ts';
import type { Storage } from '../storage/storage.ts';
import type { Subscriptions } from '../subscriptions/subscriptions.ts';

/** How long one charge at a provider may take (the connectors' own deadline), for the lease check. */
export const CHARGE_CALL_TIMEOUT_MS = 10_000;

export interface SubscriptionSchedulerOptions extends LeasedLoopOptions {
  storage: Pick<Storage, 'claimDueSubscriptions' | 'nextSubscriptionDueAt'>;
  subscriptions: Pick<Subscriptions, 'chargeDue'>;
  now: () => number;
}

/** Claims one batch of due subscriptions and charges them (`runOnce` returns how many); `stop` waits for charges in flight. */
export type SubscriptionScheduler = LeasedWorker;

/** @example const s = createSubscriptionScheduler({ storage, subscriptions, now: clock.now, owner: 'test' }); await s.runOnce(); */
export function createSubscriptionScheduler(o: SubscriptionSchedulerOptions): SubscriptionScheduler {
  const batchSize = o.batchSize ?? 10;
  const callTimeoutMs = o.callTimeoutMs ?? CHARGE_CALL_TIMEOUT_MS;
  // Charged one after another: each must end within the lease.
  const leaseMs = o.leaseMs ?? batchSize * (callTimeoutMs + 1000) + 30_000;
  const pollMs = o.pollMs ?? 5000;

  return createLeasedWorker({
    name: 'subscription scheduler', owner: o.owner, batchSize, leaseMs, callTimeoutMs, pollMs, now: o.now, sleep: o.sleep, log: o.log,
    leaseTooShort: 'leaseMs must be longer than a charge, or a slow charge would be tried twice',
    claim: (now, n, owner, lease) => o.storage.claimDueSubscriptions(now, n, owner, lease),
    work: (s) => o.subscriptions.chargeDue(s, o.owner),
    // A charge that throws was not recorded (storage down): the lease runs out and the same attempt
    // is made again, under the same key.
    label: (s) => `subscription ${s.id}: period ${s.period} not recorded`,
    nextDueAt: () => o.storage.nextSubscriptionDueAt(),
  });
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
