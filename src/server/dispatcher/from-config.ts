/**
 * The dispatcher as the gateway process and `npm run worker` run it: real clock, real merchant
 * HTTP, the configured schedule and limits, and an owner name unique to this process.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { GatewayConfig } from '../config.ts';
import { createMerchantHttp } from '../merchants/merchant-http.ts';
import type { Storage } from '../storage/storage.ts';
import { createDispatcher, type Dispatcher, type DispatcherOptions } from './dispatcher.ts';

/** `host:pid:random`, at most 64 characters: who holds a lease. */
export const processOwner = (prefix: string): string =>
  `${prefix}:${hostname().slice(0, 24)}:${process.pid}:${randomBytes(6).toString('hex')}`.slice(0, 64);

/**
 * @example const d = dispatcherFromConfig(config, storage, { owner: processOwner('gw') }); d.start();
 */
export function dispatcherFromConfig(
  config: GatewayConfig,
  storage: Storage,
  opts: { owner: string; log?: (m: string) => void } & Partial<Pick<DispatcherOptions, 'now' | 'random' | 'merchantHttp' | 'sleep' | 'logger'>>,
): Dispatcher {
  const c = config.dispatcher ?? {};
  return createDispatcher({
    storage,
    now: opts.now ?? Date.now,
    // This builds the dispatcher from the configuration (a composition root): the default randomness is chosen here.
    // eslint-disable-next-line no-restricted-properties -- jitter of retry times, injected below this point
    random: opts.random ?? Math.random,
    merchantHttp: opts.merchantHttp ?? createMerchantHttp({ allowPrivate: config.allowPrivateMerchantUrls }),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    owner: opts.owner,
    ...(config.retrySchedule ? { scheduleS: config.retrySchedule } : {}),
    ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}),
    ...(c.concurrency !== undefined ? { concurrency: c.concurrency } : {}),
    ...(c.batchSize !== undefined ? { batchSize: c.batchSize } : {}),
    ...(c.leaseMs !== undefined ? { leaseMs: c.leaseMs } : {}),
    ...(c.pollMs !== undefined ? { pollMs: c.pollMs } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}
