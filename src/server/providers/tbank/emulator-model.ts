/**
 * The T-Bank emulator's payments in memory and how their status moves: the status groups, what
 * `Amount` reports, and the state the API, the pages and the wallet routes share (`EmulatorState`),
 * with the three moves every one of them makes: a status set (notified, and the receipt taken once
 * confirmed), a deadline or a hold that lapses, a card that goes through. Nothing here speaks HTTP.
 */
import type { CustomerStore } from './emulator-customers.ts';
import type { createFiscalRegister } from './emulator-fiscal.ts';
import type { EmulatorPayment, EmulatorScheduler, EmulatorTerminal } from './emulator-types.ts';
import { holdDeadline } from './emulator-wire.ts';

/** Paid: an order with one of these refuses another `Init`. */
export const PAID = new Set(['CONFIRMED', 'PARTIAL_REFUNDED', 'REFUNDED']);
/** Waiting for the buyer. */
export const OPEN = new Set(['NEW', 'FORM_SHOWED']);
/** A hold that `Confirm` or `Cancel` may still act on. */
export const HELD = new Set(['AUTHORIZED', 'PARTIAL_REVERSED']);
/** Statuses whose `Amount` is what the payment holds now (see README.md, «Amount after refunds»). */
const CURRENT_AMOUNT = new Set(['AUTHORIZED', 'PARTIAL_REVERSED', 'REVERSED', 'CONFIRMED', 'PARTIAL_REFUNDED', 'REFUNDED']);

/** `Amount` of GetState, CheckOrder and notifications: see README.md («Amount after refunds»). */
export function reportedAmount(p: EmulatorPayment): number {
  return CURRENT_AMOUNT.has(p.status) ? p.remaining : p.amount;
}

/** The emulated cash register (emulator-fiscal.ts) over the emulator's payments. */
export type EmulatorFiscal = ReturnType<typeof createFiscalRegister<EmulatorPayment>>;

/** What the API, the pages and the wallet routes share: the payments and the moves of their status. */
export interface EmulatorState {
  readonly clock: EmulatorScheduler;
  readonly terminals: ReadonlyMap<string, EmulatorTerminal>;
  readonly payments: Map<string, EmulatorPayment>;
  /** Payments by the id in their `PaymentURL` (`/new/{formId}`). */
  readonly byForm: Map<string, EmulatorPayment>;
  /** Payments by the id of their SBP QR code (`/sbp/{qrId}`). */
  readonly byQr: Map<string, EmulatorPayment>;
  readonly customers: CustomerStore;
  readonly fiscal: EmulatorFiscal;
  /** Taken by `SendClosingReceipt`, in order. */
  readonly closingReceipts: { paymentId: string; receipt: unknown }[];
  /** `http://host:port`, known once the server listens. */
  base(): string;
  /** The next `PaymentId`. */
  newPaymentId(): string;
  /** Sets the status and error code, notifies the shop and hands a confirmed payment's receipt to the register. */
  setStatus(p: EmulatorPayment, status: string, errorCode?: string): void;
  /** The link's lifetime ran out before the buyer paid; or a hold lapsed unconfirmed. */
  expireIfDue(p: EmulatorPayment): void;
  /** A card payment that went through: the card saved for a customer, then held or charged. */
  authorize(p: EmulatorPayment): void;
}

/** What `createEmulatorState` is built from. */
export interface EmulatorStateDeps extends Pick<EmulatorState, 'clock' | 'terminals' | 'customers' | 'fiscal' | 'base' | 'newPaymentId'> {
  /** Sends the payment's current state to its NotificationURL (emulator-notify.ts). */
  notify(p: EmulatorPayment): void;
}

/** @example const state = createEmulatorState({ clock, terminals, customers, fiscal, base: () => base, newPaymentId, notify }); */
export function createEmulatorState(deps: EmulatorStateDeps): EmulatorState {
  const { clock, customers, fiscal } = deps;

  function setStatus(p: EmulatorPayment, status: string, errorCode = '0'): void {
    p.status = status;
    p.errorCode = errorCode;
    deps.notify(p);
    fiscal.statusChanged(p);
  }

  function expireIfDue(p: EmulatorPayment): void {
    if (OPEN.has(p.status) && clock.now() >= p.dueAt) setStatus(p, 'DEADLINE_EXPIRED', '0');
    if (HELD.has(p.status) && p.holdUntil !== null && clock.now() >= p.holdUntil) {
      p.remaining = 0;
      setStatus(p, 'REVERSED', '0');
    }
  }

  function authorize(p: EmulatorPayment): void {
    if (p.customerKey && p.pan) p.card = customers.saveCard(p.terminalKey, p.customerKey, p.pan, p.recurrent);
    setStatus(p, 'AUTHORIZED');
    if (p.payType === 'T') {
      p.holdUntil = holdDeadline(clock.now());
      clock.setTimeout(() => expireIfDue(p), Math.max(0, p.holdUntil - clock.now()));
      return;
    }
    setStatus(p, 'CONFIRMED');
  }

  return {
    clock, terminals: deps.terminals, customers, fiscal, base: deps.base, newPaymentId: deps.newPaymentId,
    payments: new Map(), byForm: new Map(), byQr: new Map(), closingReceipts: [],
    setStatus, expireIfDue, authorize,
  };
}
