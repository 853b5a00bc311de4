/**
 * Holds (issue 25): a manual-capture payment's money is held on the card (`authorized`) until the
 * shop captures it (`paid`, or `partially_captured` then `paid` for a smaller amount) or voids it
 * (`voided`; a void is not a refund). Captures and voids are rows (`hold_operations`) written
 * `pending` before the provider is asked, under the request's idempotency key, so a crash or a lost
 * answer leaves a pending operation that reconciliation settles from the provider's status, never a
 * guess; one pending operation per payment at a time, so a capture racing a void leaves exactly one.
 *
 * PAY (API 1 and 2, and `payment.paid`) is written with the capture, in the same transaction, for the
 * captured amount: the protocol's PAY means money received. Webhooks merchants also get
 * `payment.authorized` and `payment.voided` (hold-event.ts).
 *
 * Expiry: a hold neither captured nor voided a day before its deadline is voided or captured by the
 * gateway as the merchant's `holdExpiry` says, on the reconciler's machinery (its lease makes it
 * once across instances; the operation's fixed idempotency key makes a repeat the same operation).
 *
 * @example
 * const holds = createHolds(core);
 * await holds.capture(merchant, 'pay_…', { amount: '40.0', reason: 'shipped' }, 'key-1');
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { formatAmount, parseAmount } from '../../protocol/money.ts';
import { CARD_HOLD_MS, type ApplyOutcome, type HoldResult, type ProviderStatus } from '../providers/contract.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { merchantMode } from '../merchants/merchant-rules.ts';
import { canTransition, LATE_MONEY_STATUSES, type PaymentStatus } from '../states.ts';
import type { HoldOperation, Merchant, Payment } from '../types.ts';
import { parseReceipt, receiptTotalMinor, type Receipt } from '../../protocol/receipt.ts';
import { payNotification } from './notify.ts';
import { holdNotification } from './hold-event.ts';
import { firstReceiptCheckAt } from './receipt-status.ts';
import { PAYMENT_ID, type PaymentCore } from './core.ts';

/** How long before a hold's deadline the expiry policy acts: a day (issue 25). */
export const HOLD_POLICY_LEAD_MS = 24 * 3_600_000;
/** The idempotency key of the gateway's own expiry operation: one per payment, whoever runs it. */
export const HOLD_EXPIRY_KEY = 'gateway:hold_expiry';
export const MAX_HOLD_REASON_CHARS = 500;

/** Who releases a duplicate hold, and its operation's key (one per payment). */
export const DUPLICATE_RELEASE_ACTOR = 'gateway:duplicate';
export const DUPLICATE_RELEASE_KEY = 'gateway:duplicate';

/** When the expiry policy acts on a hold: a day before its deadline (at once when that has passed). */
export const holdPolicyAt = (holdExpiresAt: number, now: number): number => Math.max(now, holdExpiresAt - HOLD_POLICY_LEAD_MS);

/** A capture or void as the API answers it. */
export interface HoldOperationView {
  id: string;
  kind: 'capture' | 'void';
  amount: string;
  ticker: string;
  reason: string;
  actor: string;
  status: HoldOperation['status'];
  failureReason: string | null;
  createdAt: string;
}

export interface HoldAnswer {
  /** 200: done; 202: sent, the provider's outcome not known yet (reconciliation settles it). */
  httpStatus: 200 | 202;
  operation: HoldOperationView;
  payment: { id: string; status: PaymentStatus; amount: string; held: string; ticker: string; holdExpiresAt: string | null };
}

export type Holds = ReturnType<typeof createHolds>;

/** The holds' side of the payment wing. */
export function createHolds(core: PaymentCore) {
  const { deps, transitionOrThrow, merchantOf } = core;
  const { storage, connectors } = deps;
  const log = deps.log ?? (() => {});
  // How soon reconciliation asks about a hold whose capture or void has no definite answer yet (or
  // whose gateway died mid-call): the first slot of the reconciliation schedule.
  const settleAfterMs = (deps.reconcileScheduleS[0] ?? 60) * 1000;

  const opView = (o: HoldOperation, ticker: string): HoldOperationView => ({
    id: o.id, kind: o.kind, amount: formatAmount(o.amountMinor), ticker, reason: o.reason, actor: o.actor, status: o.status,
    failureReason: o.failureReason, createdAt: new Date(o.createdAt).toISOString(),
  });

  const paymentPart = (p: Payment): HoldAnswer['payment'] => ({
    id: p.id, status: p.status, amount: formatAmount(p.amountMinor), held: formatAmount(p.heldMinor ?? p.amountMinor), ticker: p.wayTicker,
    holdExpiresAt: p.holdExpiresAt ? new Date(p.holdExpiresAt).toISOString() : null,
  });

  /**
   * The capture recorded: `paid` for all of it, `partially_captured` for less (what reaches the
   * merchant scaled down with it, rounded down), with PAY for the captured amount and the operation
   * settled in the same transaction.
   */
  async function completeCapture(p: Payment, amountMinor: bigint, op: HoldOperation | undefined, actor: string, why: string): Promise<boolean> {
    const m = await merchantOf(p.merchantLogin);
    const now = deps.now();
    const full = amountMinor === p.amountMinor;
    const balanceMinor = full ? p.balanceMinor : (p.balanceMinor * amountMinor) / p.amountMinor;
    const after: Payment = full ? p : { ...p, amountMinor, balanceMinor };
    const reason = `${full ? 'captured' : `captured ${formatAmount(amountMinor)} of ${formatAmount(p.amountMinor)} ${p.wayTicker}`}: ${why}`.slice(0, 500);
    return transitionOrThrow(p, full ? 'paid' : 'partially_captured', {
      paidAt: now,
      reason,
      ...(full ? { reconcileAt: null } : { captured: { amountMinor, balanceMinor, heldMinor: p.amountMinor }, reconcileAt: now }),
      ...(m.notifications && m.apiUrl ? { notification: { ...payNotification(after, m, now), dueAt: now } } : {}),
      ...(op ? { settleHold: op.id } : {}),
      audit: { actor, action: 'capture', reason },
    });
  }

  /** The hold released: `voided`, `payment.voided` told, the operation settled, in one transaction. */
  async function completeVoid(p: Payment, op: HoldOperation | undefined, actor: string, why: string): Promise<boolean> {
    const m = await merchantOf(p.merchantLogin);
    const now = deps.now();
    const reason = `voided: ${why}`.slice(0, 500);
    const event = holdNotification(p, m, now, 'voided', why.slice(0, 200));
    return transitionOrThrow(p, 'voided', {
      reason, reconcileAt: null, ...(event ? { notification: event } : {}), ...(op ? { settleHold: op.id } : {}), audit: { actor, action: 'void', reason },
    });
  }

  /**
   * A hold of an order already paid: with the merchant's `duplicates: "refund"` it is voided at once
   * (nothing was taken, so releasing it is the refund); else it stays, marked, for the shop to void.
   * A refusal or no answer is logged: the hold stays marked and its expiry policy still applies.
   */
  async function releaseDuplicate(p: Payment, first: Payment, m: Merchant): Promise<void> {
    if (m.duplicates !== 'refund') return;
    const now = await storage.getPayment(p.id);
    if (now?.status !== 'authorized') return;
    try {
      const a = await operate(m, now, 'void', now.amountMinor, `duplicate hold of order ${p.payFor.slice(0, 100)}, first paid by ${first.id}`, DUPLICATE_RELEASE_ACTOR, DUPLICATE_RELEASE_KEY);
      log(`payment ${p.id}: a duplicate hold of ${first.id}; void ${a.operation.id} ${a.operation.status}`);
    } catch (e) {
      log(`payment ${p.id}: a duplicate hold of ${first.id}; the void failed: ${(e as Error).message}`);
    }
  }

  /** A partial capture confirmed by the provider's status (the rest released): `paid` for the smaller amount. */
  async function settlePartial(p: Payment): Promise<void> {
    const connector = p.providerId ? connectors.connector(p.providerId) : undefined;
    if (!connector || !p.providerPaymentId) return;
    try {
      const s = await connector.fetchStatus(p, p.providerPaymentId);
      if (s.state !== 'unreachable') await applyHoldReport(p, s);
    } catch (e) {
      log(`payment ${p.id}: settling a partial capture: ${(e as Error).message}`);
    }
  }

  /**
   * A verified provider report about a hold, or undefined when it is not one (the ordinary path of
   * reports.ts applies then). Money taken is never dropped: a capture the provider reports without
   * a definite answer to us (a crash, a timeout) is applied as the capture.
   */
  async function applyHoldReport(p: Payment, s: ProviderStatus): Promise<ApplyOutcome | undefined> {
    const pending = async () => (await storage.holdOperationsOf(p.id)).find((o) => o.status === 'pending');
    const actor = `provider:${p.providerId ?? 'unknown'}`;
    if (s.state === 'authorized') {
      // Money held for a payment that asked to be charged at once: not ours to hold; still pending
      // (the provider captures it itself, or a person settles it).
      if (p.captureMode !== 'manual') return 'unchanged';
      if (p.status === 'authorized') return 'unchanged';
      if (!canTransition(p.status, 'authorized', 'provider')) return p.status === 'voided' || p.status === 'partially_captured' || p.status === 'paid' ? 'unchanged' : 'invalid_state';
      if ((s.amountMinor !== undefined && s.amountMinor !== p.amountMinor) || (s.currency !== undefined && s.currency !== p.wayTicker)) {
        await storage.flagAmountMismatch(p.id);
        return 'amount_mismatch';
      }
      const now = deps.now();
      const holdExpiresAt = s.holdExpiresAt ?? now + CARD_HOLD_MS;
      const m = await merchantOf(p.merchantLogin);
      const event = holdNotification({ ...p, holdExpiresAt }, m, now, 'authorized');
      const late = LATE_MONEY_STATUSES.includes(p.status);
      // Money held for an order already paid (or held): marked at once, so the shop does not capture it twice.
      const first = await storage.firstPaidOf(p.merchantLogin, p.payFor, p.id);
      const ok = await transitionOrThrow(p, 'authorized', {
        holdExpiresAt,
        reconcileAt: holdPolicyAt(holdExpiresAt, now),
        reason: `${late ? `held late (the payment was ${p.status}): ` : ''}held at the payment system until ${new Date(holdExpiresAt).toISOString()} (${s.providerState.slice(0, 60)})${first ? `; duplicate: order ${p.payFor.slice(0, 100)} was paid by ${first.id}` : ''}`,
        ...(p.providerPaymentId === null && s.providerPaymentId ? { providerPaymentId: s.providerPaymentId } : {}),
        ...(late ? { paidLate: true } : {}),
        ...(first ? { duplicateOf: first.id } : {}),
        ...(event ? { notification: event } : {}),
      }, 'provider');
      if (ok && first) await releaseDuplicate(p, first, m);
      if (ok) return 'applied';
      return (await storage.getPayment(p.id))?.status === 'authorized' ? 'unchanged' : 'invalid_state';
    }
    if (p.status === 'authorized') {
      if (s.state === 'paid') {
        const op = await pending();
        const taken = s.amountMinor;
        if (taken === undefined || taken <= 0n || taken > p.amountMinor || (s.currency !== undefined && s.currency !== p.wayTicker)) {
          await storage.flagAmountMismatch(p.id);
          return 'amount_mismatch';
        }
        // A capture whose answer never reached its record (a crash, a timeout): its receipt is kept now.
        if (op?.kind === 'capture') {
          const receipt = await captureReceipt(p, op, taken);
          if (receipt) await keepCaptureReceipt(p, op, receipt, op.receipt !== null);
        }
        const ok = await completeCapture(p, taken, op?.kind === 'capture' ? op : undefined, op?.actor ?? actor, `reported by the payment system (${s.providerState.slice(0, 60)})`);
        if (ok && op?.kind === 'void') await storage.failHoldOperation(op.id, 'the payment system reports the hold captured', deps.now());
        if (ok && taken !== p.amountMinor) {
          const now = await storage.getPayment(p.id);
          if (now) await settlePartial(now);
        }
        return ok ? 'applied' : 'invalid_state';
      }
      if (s.state === 'voided' || s.state === 'failed' || s.state === 'expired') {
        const op = await pending();
        const ok = await completeVoid(p, op?.kind === 'void' ? op : undefined, op?.kind === 'void' ? op.actor : actor, `released at the payment system (${s.providerState.slice(0, 60)})`);
        if (ok && op?.kind === 'capture') await storage.failHoldOperation(op.id, 'the hold was released at the payment system', deps.now());
        return ok ? 'applied' : 'invalid_state';
      }
      return 'unchanged';
    }
    if (p.status === 'partially_captured' && s.state === 'paid') {
      if (s.amountMinor !== p.amountMinor) return 'unchanged';
      const ok = await transitionOrThrow(p, 'paid', { reason: `${p.statusReason.slice(0, 300)}; the rest released (${s.providerState.slice(0, 60)})`, reconcileAt: null }, 'provider');
      return ok ? 'applied' : 'unchanged';
    }
    if (s.state === 'voided') return p.status === 'voided' ? 'unchanged' : 'invalid_state';
    return undefined;
  }

  async function ownPayment(m: Merchant, id: string): Promise<Payment> {
    const p = PAYMENT_ID.test(id) ? await storage.getPayment(id) : undefined;
    if (!p || p.merchantLogin !== m.login) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
    return p;
  }

  /**
   * The receipt that went with a capture, kept as the payment's own (so its registration status is
   * followed and shown like any receipt's): a smaller capture's replaces the one not yet registered
   * (or is added beside a registered or failed one); then `sent` (the sandbox's test register
   * registers it at once) and asked about on the receipt checker's schedule. A failure is logged:
   * the money is already captured and recorded.
   */
  async function keepCaptureReceipt(p: Payment, op: HoldOperation, receipt: Receipt, smaller: boolean): Promise<void> {
    try {
      const now = deps.now();
      if (smaller && !(await storage.replaceCapturedReceipt(p.id, receipt, now))) {
        const own = (await storage.receiptsOf(p.id)).some((x) => x.kind === 'payment' && x.idempotencyKey === '');
        await storage.saveReceipt({ paymentId: p.id, merchantLogin: p.merchantLogin, kind: 'payment', refundId: null, receipt, idempotencyKey: own ? op.id : '', createdAt: now });
      }
      const total = receiptTotalMinor(receipt);
      const record = (await storage.receiptsOf(p.id)).find((x) => x.kind === 'payment' && x.status === 'pending' && receiptTotalMinor(x.receipt) === total);
      if (!record) return;
      const sandbox = p.providerId === null || p.providerId === SANDBOX_PROVIDER_ID;
      await storage.setReceiptStatus(record.id, { status: sandbox ? 'registered' : 'sent', at: now });
      const checkAt = sandbox ? null : firstReceiptCheckAt(p.providerId ? connectors.connector(p.providerId) : undefined, record.createdAt, now);
      if (checkAt !== null) await storage.scheduleReceiptCheck(record.id, checkAt);
    } catch (e) {
      log(`hold ${op.id}: the capture's receipt not recorded: ${(e as Error).message}`);
    }
  }

  /** The receipt that goes with a capture: the one given with it, else, for all of it, the payment's own. */
  async function captureReceipt(p: Payment, op: HoldOperation, amountMinor: bigint): Promise<Receipt | undefined> {
    if (op.receipt) return op.receipt;
    if (amountMinor !== p.amountMinor) return undefined;
    return (await storage.receiptsOf(p.id)).find((x) => x.kind === 'payment' && x.status !== 'failed')?.receipt;
  }

  /** Asks the provider (again, for a pending operation) and records what it says. */
  async function send(p: Payment, op: HoldOperation): Promise<HoldOperation> {
    const connector = p.providerId ? connectors.connector(p.providerId) : undefined;
    let r: HoldResult;
    let sentReceipt: Receipt | undefined;
    if (!connector || !connector.capture || !connector.void) r = { kind: 'refused', reason: `the payment system ${p.providerId ?? '(none)'} cannot capture or void a hold` };
    else if (p.providerPaymentId === null) r = { kind: 'refused', reason: 'the payment system\'s id of this payment is not known' };
    else {
      try {
        if (op.kind === 'capture') {
          // The payment's receipt goes with a capture of all of it; a smaller one with the request's, if any.
          sentReceipt = await captureReceipt(p, op, op.amountMinor);
          r = await connector.capture(p, p.providerPaymentId, op.amountMinor, sentReceipt);
        } else {
          r = await connector.void(p, p.providerPaymentId);
        }
      } catch (e) {
        log(`hold ${op.id}: the connector threw: ${(e as Error).message}`);
        r = { kind: 'unknown', reason: 'the connector failed' };
      }
    }
    const at = deps.now();
    switch (r.kind) {
      case 'done':
        // The receipt first: a crash before the capture's record leaves the operation pending, and
        // settling it (reconciliation) keeps the same receipt again, so it is never lost.
        if (op.kind === 'capture' && sentReceipt) await keepCaptureReceipt(p, op, sentReceipt, op.receipt !== null);
        if (op.kind === 'capture') await completeCapture(p, op.amountMinor, op, op.actor, op.reason);
        else await completeVoid(p, op, op.actor, op.reason);
        if (op.kind === 'capture' && op.amountMinor !== p.amountMinor) {
          const now = await storage.getPayment(p.id);
          if (now?.status === 'partially_captured') await settlePartial(now);
        }
        break;
      case 'refused':
        await storage.failHoldOperation(op.id, r.reason, at);
        break;
      case 'unknown':
        // Reconciliation asks the provider soon; its status read settles the operation.
        log(`hold ${op.id}: outcome unknown (${r.reason}); reconciliation settles it`);
        await storage.transition(p.id, { from: 'authorized', to: 'authorized', at, reconcileAt: at + settleAfterMs });
        break;
    }
    return (await storage.holdOperationsOf(p.id)).find((x) => x.id === op.id)!;
  }

  async function answer(op: HoldOperation): Promise<HoldAnswer> {
    const p = (await storage.getPayment(op.paymentId))!;
    if (op.status === 'failed') {
      throw new GatewayError(502, 'provider_error', `The payment system refused this ${op.kind}; nothing changed`, undefined, { reason: (op.failureReason ?? '').slice(0, 200), operationId: op.id });
    }
    return { httpStatus: op.status === 'succeeded' ? 200 : 202, operation: opView(op, p.wayTicker), payment: paymentPart(p) };
  }

  /**
   * The operations being sent from this process: a repeat of the key while its first request is
   * still with the provider waits for that answer instead of asking the provider again (a repeat
   * after a crash or a lost answer, with nothing in flight, asks again; the providers' idempotency
   * covers a repeat arriving at another instance).
   */
  const inFlight = new Map<string, Promise<HoldOperation>>();
  function sendOnce(op: HoldOperation, run: () => Promise<HoldOperation>): Promise<HoldOperation> {
    let sending = inFlight.get(op.id);
    if (!sending) {
      sending = run().finally(() => inFlight.delete(op.id));
      inFlight.set(op.id, sending);
    }
    return sending;
  }

  /** Begins (or repeats, under the same key) a capture or void and sends it. */
  async function operate(m: Merchant, p: Payment, kind: 'capture' | 'void', amountMinor: bigint, reason: string, actor: string, key: string | undefined, receipt?: Receipt): Promise<HoldAnswer> {
    const id = `hop_${randomBytes(18).toString('base64url')}`;
    const requestHash = createHash('sha256').update(JSON.stringify([kind, formatAmount(amountMinor), reason, ...(receipt ? [receipt] : [])])).digest('hex');
    const began = await storage.beginHoldOperation({
      id, paymentId: p.id, merchantLogin: m.login, kind, amountMinor, reason, actor, idempotencyKey: key ?? id, requestHash, createdAt: deps.now(),
      settleAt: deps.now() + settleAfterMs, receipt: receipt ?? null,
    });
    switch (began.kind) {
      case 'unknown_payment':
        throw new GatewayError(404, 'not_found', 'no such payment', 'id');
      case 'invalid_state':
        throw new GatewayError(409, 'invalid_state', `status: only an authorized (held) payment can be ${kind === 'capture' ? 'captured' : 'voided'}; this one is ${began.status}`, 'status');
      case 'busy':
        throw new GatewayError(409, 'invalid_state', `id: a ${began.operation.kind} of this payment is in progress (${began.operation.id}); repeat it with its Idempotency-Key`, 'id');
      case 'too_much':
        throw new GatewayError(422, 'invalid_param', `amount: at most ${formatAmount(began.heldMinor)} ${p.wayTicker} is held`, 'amount', { held: formatAmount(began.heldMinor) });
      case 'existing':
        if (began.operation.requestHash !== requestHash) throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: this key was used for another capture or void', 'Idempotency-Key');
        return answer(began.operation.status === 'pending' ? await sendOnce(began.operation, () => storage.getPayment(p.id).then((x) => send(x!, began.operation))) : began.operation);
      case 'created':
        return answer(await sendOnce(began.operation, () => send(p, began.operation)));
    }
  }

  /** A payment of the merchant's that the sandbox may not change once the merchant is live. */
  async function payment(m: Merchant, paymentId: string): Promise<Payment> {
    const p = await ownPayment(m, paymentId);
    if ((p.providerId === null || p.providerId === SANDBOX_PROVIDER_ID) && merchantMode(m, deps.config.sandbox) === 'live') {
      throw new GatewayError(403, 'live_merchant', `id: merchant ${m.login} is live; the sandbox cannot change its payments`, 'id');
    }
    return p;
  }

  const actorOf = (m: Merchant, named: string | undefined): string => (named ? `${m.login} (${named})` : m.login);

  return {
    applyHoldReport,

    /**
     * Captures `amount` (a decimal string in the payment's currency; all of the hold when absent) of
     * a merchant's held payment. `idempotencyKey`: a repeat returns the same operation (a pending one
     * is asked about again); the same key with another body is a 409.
     */
    async capture(m: Merchant, paymentId: string, input: { amount?: string | undefined; reason?: string | undefined; actor?: string | undefined; receipt?: unknown }, idempotencyKey?: string): Promise<HoldAnswer> {
      const p = await payment(m, paymentId);
      const given = input.amount === undefined ? p.amountMinor : parseAmount(input.amount);
      if (given === null || given <= 0n) throw new GatewayError(400, 'invalid_param', 'amount: an amount above zero like 40.0, in the payment\'s currency', 'amount');
      // The receipt of what is taken (54-ФЗ), for a smaller capture: the model's rules, summing to the amount.
      let receipt: Receipt | undefined;
      if (input.receipt !== undefined) {
        const r = parseReceipt(input.receipt);
        if (!r.ok) throw new GatewayError(400, 'invalid_param', `${r.issue.field}: ${r.issue.message}`, r.issue.field);
        if (receiptTotalMinor(r.receipt) !== given) throw new GatewayError(400, 'invalid_param', `receipt.items: the lines sum to ${formatAmount(receiptTotalMinor(r.receipt))}, the capture to ${formatAmount(given)}`, 'receipt.items');
        receipt = r.receipt;
      }
      return operate(m, p, 'capture', given, input.reason ?? '', actorOf(m, input.actor), idempotencyKey, receipt);
    },

    /** Releases a merchant's held payment (nothing taken; not a refund). Idempotent as `capture`. */
    async void(m: Merchant, paymentId: string, input: { reason?: string | undefined; actor?: string | undefined }, idempotencyKey?: string): Promise<HoldAnswer> {
      const p = await payment(m, paymentId);
      return operate(m, p, 'void', p.amountMinor, input.reason ?? '', actorOf(m, input.actor), idempotencyKey);
    },

    /** A payment's captures and voids, oldest first. */
    async operations(m: Merchant, paymentId: string): Promise<{ operations: HoldOperationView[]; payment: HoldAnswer['payment']; holdExpiry: 'void' | 'capture' }> {
      const p = await ownPayment(m, paymentId);
      return { operations: (await storage.holdOperationsOf(p.id)).map((o) => opView(o, p.wayTicker)), payment: paymentPart(p), holdExpiry: m.holdExpiry ?? 'void' };
    },

    /** The merchant's held payments, the nearest deadline first (the cabinet's held list). */
    async held(m: Merchant): Promise<{ holds: (HoldAnswer['payment'] & { payFor: string; number: number })[] }> {
      return { holds: (await storage.heldPayments(m.login, 500)).map((p) => ({ ...paymentPart(p), payFor: p.payFor, number: p.number })) };
    },

    /** Whether the expiry policy is due for a held payment (a day before its deadline). */
    expiryDue(p: Payment, now: number): boolean {
      return p.status === 'authorized' && p.holdExpiresAt !== null && p.holdExpiresAt !== undefined && now >= p.holdExpiresAt - HOLD_POLICY_LEAD_MS;
    },

    /**
     * The expiry policy (merchant `holdExpiry`): voids or captures all of a hold a day before its
     * deadline, under one fixed idempotency key per payment, so a second run (another instance, a
     * restart) is the same operation. Called by reconciliation, which holds the payment's lease.
     */
    async expireHold(p: Payment): Promise<HoldOperation['status'] | 'not_held'> {
      if (p.status !== 'authorized') return 'not_held';
      const m = await merchantOf(p.merchantLogin);
      const policy = m.holdExpiry ?? 'void';
      const reason = `the hold was not ${policy === 'void' ? 'captured' : 'voided'} a day before its deadline (holdExpiry: ${policy})`;
      try {
        const a = await operate(m, p, policy, p.amountMinor, reason, HOLD_EXPIRY_KEY, HOLD_EXPIRY_KEY);
        return a.operation.status;
      } catch (e) {
        if (e instanceof GatewayError && e.status === 502) return 'failed';
        throw e;
      }
    },
  };
}
