/**
 * The T-Bank emulator's notifications: each change of a payment's status goes to its
 * `NotificationURL`, signed with the terminal's token rule, one after another per payment, and is
 * resent every `retryMs` (an hour by default) within `windowMs` (24 hours) until the answer is
 * `OK` (T-Bank's «Уведомления об операциях»). The emulator's switch `dropNotifications` makes them
 * recorded as `dropped` and never sent.
 */
import { maskPan } from './emulator-customers.ts';
import { reportedAmount } from './emulator-model.ts';
import type { EmulatorPayment, EmulatorScheduler, EmulatorTerminal, NotificationRecord } from './emulator-types.ts';
import { MESSAGES, tokenOf } from './emulator-wire.ts';

/** What the notifier is built from. */
export interface NotifierDeps {
  clock: EmulatorScheduler;
  terminals: ReadonlyMap<string, EmulatorTerminal>;
  /** Between attempts of one notification. */
  retryMs: number;
  /** How long after the first attempt a notification is still resent. */
  windowMs: number;
  /** Deadline of one attempt. */
  attemptTimeoutMs: number;
  /** Read at each notification: the emulator's `dropNotifications` switch. */
  dropping(): boolean;
}

/** @example const notifier = createNotifier({ clock, terminals, retryMs, windowMs, attemptTimeoutMs, dropping: () => false }); notifier.notify(p); */
export function createNotifier(deps: NotifierDeps) {
  const { clock, terminals, retryMs, windowMs, attemptTimeoutMs } = deps;
  const notifications: NotificationRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  /** Notifications of one payment go out one after another, in order. */
  const chains = new Map<string, Promise<void>>();

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  async function attempt(n: NotificationRecord, firstAt: number): Promise<void> {
    let answer: string;
    try {
      const r = await fetch(n.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: n.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
      const text = await r.text();
      answer = `${r.status} ${text.slice(0, 200)}`;
      if (r.status === 200 && text.trim() === 'OK') {
        n.attempts.push({ at: clock.now(), answer });
        n.state = 'delivered';
        return;
      }
    } catch (e) {
      answer = `no answer: ${(e as Error).name}`;
    }
    n.attempts.push({ at: clock.now(), answer });
    if (clock.now() + retryMs - firstAt > windowMs) {
      n.state = 'dumped';
      return;
    }
    clock.setTimeout(() => track(attempt(n, firstAt)), retryMs);
  }

  /** Signs one notification of the payment and queues it after the payment's earlier ones. */
  function deliver(p: EmulatorPayment, fields: Record<string, unknown>): void {
    const t = terminals.get(p.terminalKey);
    if (!t || !p.notificationUrl) return;
    fields.Token = tokenOf(fields, t.password);
    const n: NotificationRecord = {
      paymentId: p.paymentId, status: String(fields.Status), url: p.notificationUrl, body: JSON.stringify(fields), attempts: [],
      state: deps.dropping() ? 'dropped' : 'pending',
    };
    notifications.push(n);
    if (n.state === 'dropped') return;
    const prev = chains.get(p.paymentId) ?? Promise.resolve();
    const next = prev.then(() => attempt(n, clock.now()));
    chains.set(p.paymentId, next);
    track(next);
  }

  /** Sends the payment's current state to its NotificationURL, as T-Bank does on each change. */
  function notify(p: EmulatorPayment): void {
    if (!p.notificationUrl) return;
    if (!terminals.get(p.terminalKey)) return;
    const fields: Record<string, unknown> = {
      TerminalKey: p.terminalKey,
      OrderId: p.orderId,
      Success: p.errorCode === '0',
      Status: p.status,
      PaymentId: Number(p.paymentId),
      ErrorCode: p.errorCode,
      Amount: reportedAmount(p),
    };
    if (p.errorCode !== '0') fields.Message = MESSAGES[p.errorCode] ?? 'Платеж не прошел';
    if (p.method === 'card' && p.pan) {
      fields.CardId = Number(p.card?.cardId ?? 100_000 + (Number(p.paymentId) % 100_000));
      fields.Pan = maskPan(p.pan);
      fields.ExpDate = '1230';
      // «в уведомлении на AUTHORIZED или CONFIRMED будет передан параметр RebillId»
      if (p.card?.rebillId && (p.status === 'AUTHORIZED' || p.status === 'CONFIRMED')) fields.RebillId = Number(p.card.rebillId);
    }
    if (p.method === 'sbp') fields.Pan = '+7 (9**) ***-**-11';
    deliver(p, fields);
  }

  return {
    /** Every notification, sent or not, in order. */
    notifications: notifications as readonly NotificationRecord[],
    notify,
    deliver,
    /** Resolves when no attempt is in flight. */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
