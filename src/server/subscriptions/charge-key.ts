/**
 * A subscription's charges and their keys: the caller's idempotency key of each attempt, and the
 * subscription a charge's payment belongs to, read back from it. Imports nothing, so the payment
 * wing can read a key without importing the subscriptions' domain.
 */

/**
 * The caller's idempotency key of one attempt of one period: the first is `sub:{id}:{period}`, each
 * later one adds its number (counted across new dates, so a period brought back from `past_due` is
 * charged afresh rather than answered with its old declined payment).
 */
export const attemptKey = (id: string, period: number, attempt: number): string => (attempt === 0 ? `sub:${id}:${period}` : `sub:${id}:${period}:retry${attempt}`);

/** The subscription a charge's payment belongs to, from its stored key (`charge:sub:{id}:…`), or null. */
export const subscriptionOfCharge = (idempotencyKey: string | null): string | null => /^charge:sub:(sub_[A-Za-z0-9_-]+):/.exec(idempotencyKey ?? '')?.[1] ?? null;
