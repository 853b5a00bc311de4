/**
 * The emulator's cash register (issue 24): when a receipt YooKassa took is registered. YooKassa
 * shows it as `receipt_registration` on the payment and refund (`pending`, `succeeded`, `canceled`)
 * and as the receipt's own `status` in `GET /receipts`; it sends no notification of it, so a shop
 * asks. Without `receiptDelayMs` a receipt registers as soon as its operation has succeeded (the
 * emulator's behaviour before issue 24); with it, that long after. The documented trigger of a
 * refusal: a receipt whose customer e-mail's local part is `receipt-fail` (`receipt-fail@…`) is
 * `canceled` by the register.
 */
import type { EmuReceipt } from './emulator-model.ts';

/** The e-mail local part that makes the emulated register refuse a receipt. */
export const RECEIPT_FAIL_LOCAL_PART = 'receipt-fail';

/** Whether the emulated register refuses this receipt (README «Receipts' registration»). */
export function refusedByRegister(customer: Record<string, string> | undefined): boolean {
  return (customer?.email ?? '').toLowerCase().split('@')[0] === RECEIPT_FAIL_LOCAL_PART;
}

/**
 * A receipt's registration now: `pending` until its operation succeeded (`doneAt`) and the register's
 * delay passed, then `succeeded`, or `canceled` for the refusal trigger.
 */
export function registrationOf(r: Pick<EmuReceipt, 'customer'> | undefined, doneAt: number | null, now: number, delayMs: number | undefined): 'pending' | 'succeeded' | 'canceled' {
  if (!r || doneAt === null) return 'pending';
  if (delayMs !== undefined && now < doneAt + delayMs) return 'pending';
  return refusedByRegister(r.customer) ? 'canceled' : 'succeeded';
}
