/**
 * What providers say of fiscal receipts, applied (issue 24): a receipt given to a provider is `sent`
 * until the provider reports it `registered` (fiscalised by the cash register) or `failed` (with its
 * reason), once. Three doors, one rule:
 * - a payment report that carries `receipt` (YooKassa's `receipt_registration`, from a notification,
 *   the status asked on return or reconciliation): the payment's own receipt;
 * - a receipt notification (T-Bank's fiscalisation notification, CloudPayments' Receipt), through
 *   `NotifyContext.receipt`: the receipt it names (by the provider's receipt id, else by operation
 *   and sum);
 * - the receipt checker (`dispatcher/receipt-checks.ts`): a `sent` receipt of a provider with
 *   `fetchReceiptStatus` asked about on `RECEIPT_CHECK_SCHEDULE_S` until it is final or
 *   `RECEIPT_CHECK_GIVE_UP_MS` after it was made.
 * A failed receipt heads the cabinet's attention list (`failedReceipts`) and sends `receipt.failed`
 * to webhooks merchants, written in the same transaction as the change, so exactly once.
 */
import type { ApplyOutcome, Connector, ReceiptOutcome, ReceiptReport } from '../providers/contract.ts';
import type { ConnectorRegistry } from '../providers/registry.ts';
import { receiptTotalMinor } from '../../protocol/receipt.ts';
import { receiptFailedNotification } from '../refunds/receipt-event.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant, Payment, ReceiptRecord } from '../types.ts';
import { nextReconcileAt } from './reconcile-schedule.ts';

/**
 * When a `sent` receipt is asked about, in seconds after it was made: 1 min, 5 min, 30 min, 2 h,
 * 8 h, then every 6 h (the last gap) until the give-up time. Cash registers usually answer within
 * minutes; an outage of the fiscal data operator can hold receipts for hours.
 */
export const RECEIPT_CHECK_SCHEDULE_S: readonly number[] = [60, 300, 1800, 7200, 28_800];

/**
 * After 72 hours a receipt still `sent` is no longer asked about: it stays `sent`, with a reason
 * saying so, for a person to look at the cash register (the provider's dashboard).
 */
export const RECEIPT_CHECK_GIVE_UP_MS = 72 * 3_600_000;

/** The next time to ask about a receipt made at `createdAt`; null past the give-up time. */
export function nextReceiptCheckAt(createdAt: number, now: number): number | null {
  return nextReconcileAt({ createdAt, now, scheduleS: RECEIPT_CHECK_SCHEDULE_S, expiresAt: createdAt + RECEIPT_CHECK_GIVE_UP_MS });
}

/** When to first ask about a receipt just given to `connector`: null when it has no status call. */
export function firstReceiptCheckAt(connector: Pick<Connector, 'fetchReceiptStatus'> | undefined, createdAt: number, now: number): number | null {
  return connector?.fetchReceiptStatus ? nextReceiptCheckAt(createdAt, now) : null;
}

export interface ReceiptStatusDeps {
  storage: Storage;
  connectors: ConnectorRegistry;
  now: () => number;
  merchantOf: (login: string) => Promise<Merchant>;
  log?: (message: string) => void;
}

const isOpen = (r: ReceiptRecord): boolean => r.status === 'pending' || r.status === 'sent';

/**
 * The receipt a report names: the one with its provider id, else the first open one of its
 * operation whose sum it matches (a payment's own before a closing one; a return is a refund's).
 */
export function matchReceipt(receipts: readonly ReceiptRecord[], report: Pick<ReceiptReport, 'operation' | 'amountMinor' | 'providerReceiptId'>): ReceiptRecord | undefined {
  if (report.providerReceiptId) {
    const byId = receipts.find((r) => r.providerReceiptId === report.providerReceiptId);
    if (byId) return byId;
  }
  const fits = (r: ReceiptRecord): boolean => isOpen(r) && (report.amountMinor === undefined || receiptTotalMinor(r.receipt) === report.amountMinor);
  if (report.operation === 'refund') return receipts.find((r) => r.kind === 'refund' && fits(r));
  return receipts.find((r) => r.kind === 'payment' && fits(r)) ?? receipts.find((r) => r.kind === 'closing' && fits(r));
}

/** @example const receipts = createReceiptStatus({ storage, connectors, now, merchantOf }); await receipts.checkOne(record); */
export function createReceiptStatus(deps: ReceiptStatusDeps) {
  const { storage, connectors } = deps;
  const log = deps.log ?? (() => {});

  /** Records one outcome for one receipt: `sent` keeps it open (the provider's id kept), a final one settles it once. */
  async function settle(p: Payment, r: ReceiptRecord, o: ReceiptOutcome | { status: 'sent'; reason: string }): Promise<ApplyOutcome> {
    const at = deps.now();
    if (o.status === 'sent') {
      const id = 'providerReceiptId' in o ? o.providerReceiptId : undefined;
      const reason = 'reason' in o ? o.reason : undefined;
      if (!isOpen(r) || ((id === undefined || id === r.providerReceiptId) && reason === undefined)) return 'unchanged';
      const changed = await storage.settleReceipt(r.id, { status: 'sent', at, ...(id !== undefined ? { providerReceiptId: id } : {}), ...(reason !== undefined ? { reason } : {}) });
      return changed ? 'applied' : 'unchanged';
    }
    const reason = o.status === 'failed' ? (o.reason ?? 'refused by the payment system') : undefined;
    const notification = o.status === 'failed' ? receiptFailedNotification(p, await deps.merchantOf(p.merchantLogin), r, reason!, at) : null;
    const changed = await storage.settleReceipt(r.id, {
      status: o.status, at,
      ...(o.providerReceiptId !== undefined ? { providerReceiptId: o.providerReceiptId } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(notification ? { notification } : {}),
    });
    if (changed && o.status === 'failed') log(`receipt ${r.id} of ${p.id} (${r.kind}) failed at ${p.providerId ?? 'its provider'}: ${reason!.slice(0, 200)}`);
    return changed ? 'applied' : 'unchanged';
  }

  return {
    /** A payment report's `receipt`: the payment's own receipt, when it has one. */
    async fromPaymentReport(p: Payment, o: ReceiptOutcome): Promise<ApplyOutcome> {
      const own = (await storage.receiptsOf(p.id)).find((r) => r.kind === 'payment');
      return own ? settle(p, own, o) : 'unchanged';
    },

    /** A receipt notification's report, for the receipt it names (`unchanged` when none is open). */
    async fromReceiptReport(p: Payment, report: ReceiptReport): Promise<ApplyOutcome> {
      const r = matchReceipt(await storage.receiptsOf(p.id), report);
      if (!r) return 'unchanged';
      const { operation: _op, amountMinor: _sum, ...outcome } = report;
      return settle(p, r, outcome);
    },

    /**
     * Asks the provider about one claimed receipt and applies the answer; returns when to ask next
     * (null: final, no status call, or past the give-up time, when a reason says so). `now` is the
     * checker's clock, which the schedule is read on.
     */
    async checkOne(r: ReceiptRecord, now: number = deps.now()): Promise<number | null> {
      const p = await storage.getPayment(r.paymentId);
      const connector = p?.providerId ? connectors.connector(p.providerId) : undefined;
      if (!p || !connector?.fetchReceiptStatus) return null;
      let o: ReceiptOutcome | { status: 'unreachable'; reason: string };
      try {
        o = await connector.fetchReceiptStatus(p, r.providerReceiptId ?? '', { kind: r.kind, providerRefundId: r.kind === 'refund' ? r.providerReceiptId : null });
      } catch (e) {
        o = { status: 'unreachable', reason: e instanceof Error ? e.message : String(e) };
      }
      if (o.status === 'unreachable') log(`receipt ${r.id} of ${p.id}: ${connector.id} unreachable: ${o.reason.slice(0, 200)}`);
      else if ((await settle(p, r, o)) === 'applied' && o.status !== 'sent') return null;
      const next = nextReceiptCheckAt(r.createdAt, now);
      if (next === null && o.status !== 'registered' && o.status !== 'failed') {
        await settle(p, r, { status: 'sent', reason: `no registration status from ${connector.id} within ${RECEIPT_CHECK_GIVE_UP_MS / 3_600_000} h; look at the cash register` });
      }
      return next;
    },
  };
}

export type ReceiptStatusService = ReturnType<typeof createReceiptStatus>;
