/**
 * Merchants read through a short-lived in-memory cache. Every payment link and payment reads its
 * merchant; over a database that was a third of the form payload's time. Changes made through this
 * storage are seen at once; changes made elsewhere (`npm run merchant` in another process, another
 * instance) within `ttlMs`.
 */
import type { Merchant } from '../types.ts';
import type { Storage } from './storage.ts';

/** Logins kept at most; past it the cache starts over (a flood of unknown logins cannot grow it). */
const MAX_ENTRIES = 10_000;

/** Every caller shares the cached object: none may change it. */
const frozen = (m: Merchant | undefined): Merchant | undefined => (m ? Object.freeze({ ...m, origins: Object.freeze([...m.origins]) as string[] }) : m);

/**
 * @example const storage = withMerchantCache(createStorage(db, 'sqlite'), { ttlMs: 1000 });
 */
export function withMerchantCache(storage: Storage, opts: { ttlMs: number; now?: () => number }): Storage {
  if (opts.ttlMs <= 0) return storage;
  const now = opts.now ?? Date.now;
  // The pending read is cached, so concurrent requests for one login make one query; unknown logins
  // are cached as undefined too.
  const entries = new Map<string, { until: number; merchant: Promise<Merchant | undefined> }>();
  return {
    ...storage,
    getMerchant(login) {
      const t = now();
      const hit = entries.get(login);
      if (hit && hit.until > t) return hit.merchant;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      const merchant = storage.getMerchant(login).then(frozen);
      entries.set(login, { until: t + opts.ttlMs, merchant });
      // A failed read is not remembered.
      merchant.catch(() => {
        if (entries.get(login)?.merchant === merchant) entries.delete(login);
      });
      return merchant;
    },
    // Cabinet changes to a merchant are seen at once, like upserts.
    async updateMerchantSettings(login, patch, audit) {
      entries.delete(login);
      await storage.updateMerchantSettings(login, patch, audit);
      entries.delete(login);
    },
    async rotateMerchantApiKey(login, hash, audit, keep) {
      entries.delete(login);
      await storage.rotateMerchantApiKey(login, hash, audit, keep);
      entries.delete(login);
    },
    async rotateMerchantSecret(login, secret, until, audit) {
      entries.delete(login);
      await storage.rotateMerchantSecret(login, secret, until, audit);
      entries.delete(login);
    },
    async upsertMerchant(m, at, opts) {
      entries.delete(m.login);
      await storage.upsertMerchant(m, at, opts);
      entries.delete(m.login);
    },
  };
}
