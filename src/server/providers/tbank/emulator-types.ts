/**
 * The T-Bank emulator's public shapes and its clock: options, the payment record, notifications,
 * faults, and an injectable scheduler (with a manual one for tests). Split from emulator.ts to keep
 * it readable; nothing here knows the connector.
 */
import type { ChargeOutcome, EmulatorCard, EmulatorCustomer } from './emulator-customers.ts';
import type { TbankWalletRoutes } from './emulator-wallets.ts';

export interface EmulatorTerminal {
  terminalKey: string;
  password: string;
}

/** Time and timers, injectable so that tests do not wait an hour for a resent notification. */
export interface EmulatorScheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: EmulatorScheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.min(ms, 2 ** 31 - 1));
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A scheduler whose time moves only when told (`advance`). */
export interface ManualScheduler extends EmulatorScheduler {
  advance(ms: number): void;
}

export function createManualScheduler(start = Date.UTC(2030, 0, 1)): ManualScheduler {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= until && (!next || e[1].at < next[1].at)) next = e;
        if (!next) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn();
      }
      now = until;
    },
  };
}

/** How the API misbehaves, for fault tests. */
export type ApiFault =
  /** The connection is cut before anything is read. */
  | { kind: 'down' }
  /** The request is carried out, then the connection is cut without an answer. */
  | { kind: 'lost' }
  /** The answer comes after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  | { kind: 'garbage' }
  /** A proxy's HTML error page (HTTP 502). */
  | { kind: 'html' }
  /** A T-Bank error answer (default 9999 «Внутренняя ошибка системы»). */
  | { kind: 'error'; errorCode?: string; message?: string };

export interface TbankEmulatorOptions {
  /** 0 (default): a free port. */
  port?: number;
  host?: string;
  /** The address buyers and the connector reach it at (default `http://{host}:{port}`). */
  baseUrl?: string;
  terminals?: EmulatorTerminal[];
  scheduler?: EmulatorScheduler;
  /** Gap between notification attempts (T-Bank: once an hour). */
  notificationRetryMs?: number;
  /** How long a notification is resent (T-Bank: 24 hours), then it goes to the dump. */
  notificationWindowMs?: number;
  /** Deadline of one notification attempt. */
  notificationTimeoutMs?: number;
  /**
   * How long after its operation the emulated cash register reports a receipt in a fiscalisation
   * notification (`Status: "RECEIPT"`, emulator-fiscal.ts); absent: no such notifications.
   */
  receiptDelayMs?: number;
}

export interface EmulatorPayment {
  paymentId: string;
  terminalKey: string;
  orderId: string;
  /** The amount of Init, kopecks. */
  amount: number;
  /** What the payment holds now: the amount confirmed, less refunds or released parts of a hold. */
  remaining: number;
  description: string;
  status: string;
  /** How the buyer pays: set by the form, `GetQr`, or a T-Pay / SberPay link call. */
  method: 'card' | 'sbp' | 'tpay' | 'sberpay' | null;
  /** `O` one-stage, `T` two-stage (a hold, then `Confirm`). */
  payType: 'O' | 'T';
  customerKey: string | undefined;
  recurrent: boolean;
  /** The card saved by this payment (with `CustomerKey`), and its `RebillId` (with `Recurrent`). */
  card: EmulatorCard | null;
  successUrl: string | undefined;
  failUrl: string | undefined;
  notificationUrl: string | undefined;
  dueAt: number;
  /** When an `AUTHORIZED` hold lapses (7 days, the day of authorisation included, Moscow time). */
  holdUntil: number | null;
  formId: string;
  qrId: string | null;
  pan: string | null;
  errorCode: string;
  refundRequests: Map<string, Record<string, unknown>>;
}

export interface NotificationRecord {
  paymentId: string;
  status: string;
  url: string;
  body: string;
  attempts: { at: number; answer: string }[];
  state: 'pending' | 'delivered' | 'dropped' | 'dumped';
}

export interface TbankEmulator {
  /** `http://host:port` */
  readonly url: string;
  /** `{url}/v2`: the connector's `apiUrl`. */
  readonly apiUrl: string;
  /** Makes the API misbehave (for `times` requests, or until cleared with null). */
  setFault(fault: ApiFault | null, opts?: { methods?: string[]; times?: number }): void;
  /** While true, notifications are not sent at all (recorded as `dropped`). */
  dropNotifications: boolean;
  payment(paymentId: string): EmulatorPayment | undefined;
  /** The closing receipts taken by `SendClosingReceipt` (`/cashbox/`), in order. */
  readonly closingReceipts: readonly { paymentId: string; receipt: unknown }[];
  /** Every receipt the emulated cash register took (Init's once confirmed, refunds', closing ones), in order. */
  readonly receipts: readonly { paymentId: string; type: 'Income' | 'IncomeReturn'; source: 'init' | 'refund' | 'closing'; amount: number; receipt: Record<string, unknown>; outcome: 'pending' | 'registered' | 'failed' }[];
  /**
   * The buyer pays (or is declined) without the HTML pages, as the pages would do it: a card ends
   * AUTHORIZED → CONFIRMED (AUTHORIZED alone for `PayType: "T"`, or REJECTED), an SBP payment (after
   * GetQr) CONFIRMED (or REJECTED). False when the payment is unknown or no longer open.
   */
  pay(paymentId: string, outcome?: 'success' | 'decline'): boolean;
  paymentsOfOrder(orderId: string): EmulatorPayment[];
  /**
   * The emulator's page for an NSPK link it handed out (`GetQr`): what a phone opens after scanning,
   * here on loopback. Undefined for a link it does not know.
   */
  sbpPageUrl(nspkLink: string): string | undefined;
  /** How the next `Charge` with this `RebillId` ends (default success): a test switch. */
  setChargeOutcome(rebillId: string, outcome: ChargeOutcome): void;
  /** T-Pay and SberPay (emulator-wallets.ts): `setTpayStatus(terminalKey, {allowed, version})`, `statusCalls`. */
  readonly wallets: Pick<TbankWalletRoutes, 'setTpayStatus' | 'statusCalls'>;
  /** A terminal's customer and its cards (saved by recurrent payments, removed by `RemoveCard`). */
  customer(terminalKey: string, customerKey: string): EmulatorCustomer | undefined;
  readonly notifications: readonly NotificationRecord[];
  /** Resolves when no notification attempt is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_TERMINAL: EmulatorTerminal = { terminalKey: 'TinkoffBankTest', password: 'TinkoffBankTest' };
