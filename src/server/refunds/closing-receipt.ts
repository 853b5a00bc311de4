/**
 * The closing receipt (issue 24): after a prepayment, the receipt of full payment when the goods
 * are handed over. Issued by the payment's provider (`sendClosingReceipt`), audited, idempotent
 * (`Idempotency-Key`; one closing receipt per payment without one), kept with its registration status.
 *
 * @example
 * const closing = createClosingReceipts({ storage, connectors, now: Date.now });
 * await closing.issue(merchant, 'pay_…', { type: 'full_payment' }, 'close-1', 'Анна');
 */
import { GatewayError } from '../errors.ts';
import { formatTwoDecimals } from '../../protocol/money.ts';
import { parseReceipt, receiptTotalMinor, type Receipt, type ReceiptItem } from '../../protocol/receipt.ts';
import type { ConnectorRegistry } from '../providers/registry.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { merchantMode } from '../merchants/merchant-rules.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant, Payment, ReceiptRecord } from '../types.ts';
import { failReceipt } from './receipt-event.ts';
import { firstReceiptCheckAt } from '../payments/receipt-status.ts';

export interface ClosingReceiptDeps {
  storage: Storage;
  connectors: ConnectorRegistry;
  now: () => number;
  /** The gateway's `sandbox` setting (a live merchant's receipt never goes through the sandbox). */
  sandbox?: boolean;
  log?: (message: string) => void;
}

/** A receipt as the API shows it. */
export interface ReceiptView {
  id: number;
  kind: ReceiptRecord['kind'];
  status: ReceiptRecord['status'];
  providerReceiptId: string | null;
  reason: string | null;
  refundId: string | null;
  receipt: Receipt;
  createdAt: string;
  updatedAt: string;
}

export const receiptView = (r: ReceiptRecord): ReceiptView => ({
  id: r.id, kind: r.kind, status: r.status, providerReceiptId: r.providerReceiptId, reason: r.reason, refundId: r.refundId,
  receipt: r.receipt, createdAt: new Date(r.createdAt).toISOString(), updatedAt: new Date(r.updatedAt).toISOString(),
});

const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{10,60}$/;

export type ClosingReceipts = ReturnType<typeof createClosingReceipts>;

export function createClosingReceipts(deps: ClosingReceiptDeps) {
  const { storage, connectors } = deps;
  const log = deps.log ?? (() => {});

  async function ownPayment(m: Merchant, id: string): Promise<Payment> {
    const p = PAYMENT_ID.test(id) ? await storage.getPayment(id) : undefined;
    if (!p || p.merchantLogin !== m.login) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
    return p;
  }

  /** The closing lines: the ones given (held to the model's rules), or the payment's own with full payment. */
  function closingReceipt(own: Receipt, p: Payment, items: unknown[] | undefined): Receipt {
    const left = p.amountMinor - p.refundedMinor;
    if (items === undefined) {
      if (p.refundedMinor > 0n) throw new GatewayError(400, 'invalid_param', 'items: part of this payment was refunded; name the lines of the closing receipt', 'items');
      return { ...own, items: own.items.map((i): ReceiptItem => ({ ...i, paymentMethod: 'full_payment' })) };
    }
    const r = parseReceipt({ ...own, items }, 'receipt');
    if (!r.ok) throw new GatewayError(400, 'invalid_param', `${r.issue.field.replace(/^receipt\./, '')}: ${r.issue.message}`, r.issue.field.replace(/^receipt\./, ''));
    if (receiptTotalMinor(r.receipt) !== left) {
      throw new GatewayError(400, 'invalid_param', `items: the lines sum to ${formatTwoDecimals(receiptTotalMinor(r.receipt))}, the payment to ${formatTwoDecimals(left)}`, 'items');
    }
    return r.receipt;
  }

  return {
    /** Issues a paid payment's closing receipt. `created: false`: the one already issued under this key. */
    async issue(m: Merchant, paymentId: string, input: { type: 'full_payment'; items?: unknown[] | undefined }, idempotencyKey: string | undefined, actor?: string): Promise<{ created: boolean; receipt: ReceiptView }> {
      const p = await ownPayment(m, paymentId);
      if ((p.providerId === null || p.providerId === SANDBOX_PROVIDER_ID) && merchantMode(m, deps.sandbox ?? false) === 'live') {
        throw new GatewayError(403, 'live_merchant', `id: merchant ${m.login} is live; the sandbox cannot issue its receipts`, 'id');
      }
      if (p.status !== 'paid' && p.status !== 'partially_refunded') {
        throw new GatewayError(409, 'invalid_state', `status: only a paid payment gets a closing receipt; this one is ${p.status}`, 'status');
      }
      const receipts = await storage.receiptsOf(p.id);
      const own = receipts.find((r) => r.kind === 'payment');
      if (!own) throw new GatewayError(409, 'invalid_state', 'id: this payment has no receipt to close', 'id');
      const receipt = closingReceipt(own.receipt, p, input.items);
      const key = idempotencyKey ?? '';
      const existing = receipts.find((r) => r.kind === 'closing' && r.idempotencyKey === key);
      if (existing) {
        if (JSON.stringify(existing.receipt) !== JSON.stringify(receipt)) {
          throw new GatewayError(409, 'idempotency_conflict', idempotencyKey ? 'Idempotency-Key: this key was used for another closing receipt' : 'Idempotency-Key: this payment has a closing receipt; send another key for another one', 'Idempotency-Key');
        }
        return { created: false, receipt: receiptView(existing) };
      }
      const connector = p.providerId ? connectors.connector(p.providerId) : undefined;
      if (!connector?.sendClosingReceipt) {
        throw new GatewayError(422, 'invalid_param', `id: the payment system ${p.providerId ?? '(none)'} issues no closing receipts`, 'id');
      }
      const saved = await storage.saveReceipt(
        { paymentId: p.id, merchantLogin: m.login, kind: 'closing', refundId: null, receipt, idempotencyKey: key, createdAt: deps.now() },
        { actor: actor ? `${m.login} (${actor})` : m.login, action: 'closing_receipt', reason: `full payment, ${formatTwoDecimals(receiptTotalMinor(receipt))} RUR`, status: p.status },
      );
      if (!saved.created) return { created: false, receipt: receiptView(saved.receipt) };
      try {
        const outcome = await connector.sendClosingReceipt(p, receipt);
        if (outcome.status === 'failed') await failReceipt(storage, p, m, saved.receipt, outcome.reason ?? 'refused', deps.now());
        else await storage.setReceiptStatus(saved.receipt.id, { ...outcome, at: deps.now() });
        const checkAt = outcome.status === 'sent' ? firstReceiptCheckAt(connector, saved.receipt.createdAt, deps.now()) : null;
        if (checkAt !== null) await storage.scheduleReceiptCheck(saved.receipt.id, checkAt);
      } catch (e) {
        // No definite answer: kept `pending`, as a refund is.
        log(`closing receipt of ${p.id}: the connector threw: ${e instanceof Error ? e.message : String(e)}`);
      }
      const after = (await storage.receiptsOf(p.id)).find((r) => r.id === saved.receipt.id)!;
      return { created: true, receipt: receiptView(after) };
    },

    /** A merchant's payment's receipts, oldest first. */
    async list(m: Merchant, paymentId: string): Promise<{ receipts: ReceiptView[] }> {
      const p = await ownPayment(m, paymentId);
      return { receipts: (await storage.receiptsOf(p.id)).map(receiptView) };
    },
  };
}
