/**
 * A short memory of the payments the YooKassa connector read back to verify notifications.
 *
 * YooKassa's notifications are unsigned, so each one costs a `GET /payments/{id}` with the shop's
 * credentials; without `notifyIps`, anyone could make the gateway send those reads as fast as it can
 * post. Here a read is shared by every notification about the same YooKassa payment that arrives
 * while it runs or within `ttlMs` after it (single flight, then a short cache), so a flood of
 * notifications naming one payment costs one read per `ttlMs`. The caller decides what a remembered
 * read may prove (see `client.ts`); an answer that could not be had (YooKassa unreachable) is not
 * remembered, so the next notification asks again.
 *
 * @example const reads = createRecentReads({ ttlMs: 5000, now: Date.now });
 *          const { value, fresh } = await reads.get(ykId, () => readPayment(ykId));
 */

export interface RecentReads<T> {
  /** The read of `id` started within `ttlMs` (`fresh: false`), or a new one by `read` (`fresh: true`). */
  get(id: string, read: () => Promise<T>): Promise<{ value: T; fresh: boolean }>;
}

/** How long a read is remembered, and how many are at most (the oldest are forgotten first). */
export const RECENT_READ_MS = 5000;
export const RECENT_READS_MAX = 1000;

export function createRecentReads<T>(opts: { now: () => number; ttlMs?: number; max?: number; keep?: (value: T) => boolean }): RecentReads<T> {
  const ttlMs = opts.ttlMs ?? RECENT_READ_MS;
  const max = opts.max ?? RECENT_READS_MAX;
  const keep = opts.keep ?? (() => true);
  const reads = new Map<string, { at: number; value: Promise<T> }>();
  return {
    async get(id, read) {
      const now = opts.now();
      const known = reads.get(id);
      if (known && now - known.at < ttlMs) return { value: await known.value, fresh: false };
      reads.delete(id);
      if (reads.size >= max) reads.delete(reads.keys().next().value!);
      const value = read();
      const entry = { at: now, value };
      reads.set(id, entry);
      try {
        const v = await value;
        if (!keep(v) && reads.get(id) === entry) reads.delete(id);
        return { value: v, fresh: true };
      } catch (e) {
        if (reads.get(id) === entry) reads.delete(id);
        throw e;
      }
    },
  };
}
