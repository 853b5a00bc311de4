/** When reconciliation asks a provider about a payment again (`reconcileSchedule`, docs/CONFIGURATION.md). */

/**
 * The next time to ask about a payment created at `createdAt`, the first slot after `now`; null once
 * past `expiresAt` (a payment with no deadline yet — its create was cut off — is asked on and on until
 * it is settled).
 */
export function nextReconcileAt(o: { createdAt: number; now: number; scheduleS: readonly number[]; expiresAt: number | null }): number | null {
  const s = o.scheduleS;
  const elapsedS = (o.now - o.createdAt) / 1000;
  let slotS: number | undefined = s.find((x) => x > elapsedS);
  if (slotS === undefined) {
    const last = s[s.length - 1]!;
    const gap = s.length > 1 ? last - s[s.length - 2]! : last;
    slotS = last + (Math.floor((elapsedS - last) / gap) + 1) * gap;
  }
  const at = o.createdAt + slotS * 1000;
  if (o.expiresAt !== null && at > o.expiresAt) return null;
  return at;
}
