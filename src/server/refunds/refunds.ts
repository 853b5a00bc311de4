/**
 * Refunds (issue 11, contract point 4): a merchant refunds a paid payment in full or in part through
 * the cabinet API, never more than was paid less what is refunded or pending. Each refund is a row
 * (amount, reason, who, the provider's refund id, status, idempotency key, time) written before the
 * provider is asked, so a crash or a lost answer leaves a `pending` refund, never a guess.
 *
 * - The provider refunds (`done`): the refund succeeds and, in one transaction, the payment's
 *   refunded total rises (the sum of its succeeded refunds, or the provider's own total when higher),
 *   the payment becomes `partially_refunded` / `refunded`, an audit line is written and, for a
 *   webhooks merchant, a `payment.refunded` event is queued.
 * - The provider refuses: the refund is `failed` with the reason and the answer is 502
 *   `provider_error`; the payment is unchanged.
 * - No definite answer: the refund stays `pending` (answer 202) and its amount stays reserved.
 *   Repeating the request with the same `Idempotency-Key` asks the provider again under the same
 *   provider idempotency key (the refund's id), which never refunds twice, and settles it.
 *
 * @example
 * const refunds = createRefunds({ storage, connectors, now: Date.now, sandbox: false, emitStatus });
 * const r = await refunds.refund(merchant, 'pay_…', { amount: '40.0', reason: 'returned' }, 'key-1');
 */
import { firstReceiptCheckAt } from '../payments/receipt-status.ts';
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { formatAmount, parseAmount } from '../../protocol/money.ts';
import type { RefundResult } from '../providers/contract.ts';
import type { ConnectorRegistry } from '../providers/registry.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { merchantMode } from '../merchants/merchant-rules.ts';
import type { PaymentStatus } from '../states.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant, NewRefund, Payment, RefundRecord } from '../types.ts';
import { refundNotification } from './refund-event.ts';
import { refundReceipt, type RefundLine } from './refund-receipt.ts';
import { failReceipt } from './receipt-event.ts';
import type { Receipt } from '../../protocol/receipt.ts';

export const MAX_REFUND_REASON_CHARS = 500;

export interface RefundsDeps {
  storage: Storage;
  connectors: ConnectorRegistry;
  now: () => number;
  /**
   * The gateway's `sandbox` setting: a merchant without a mode is a test one while it is on. A live
   * merchant's refund never goes through the sandbox connector (`403 live_merchant`).
   */
  sandbox: boolean;
  /** New refund ids (`rf_…`). */
  randomId?: () => string;
  /** Told about every status change made here (live status streams, the dispatcher's wake-up). */
  emitStatus?: (p: { id: string; status: PaymentStatus }) => void;
  log?: (message: string) => void;
}

export interface RefundView {
  id: string;
  paymentId: string;
  amount: string;
  ticker: string;
  reason: string;
  actor: string;
  status: RefundRecord['status'];
  providerRefundId: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RefundAnswer {
  /** 201: refunded; 202: pending (the provider's outcome is not known yet). */
  httpStatus: 201 | 202;
  refund: RefundView;
  payment: { id: string; status: PaymentStatus; amount: string; refunded: string; ticker: string };
}

export type Refunds = ReturnType<typeof createRefunds>;

export const newRefundId = (): string => `rf_${randomBytes(18).toString('base64url')}`;

/**
 * The row of a refund about to be asked (`pending`), as `refund` writes it: what a repeat under the
 * same key is compared with (`requestHash`: the amount and the reason). Also written by the gateway
 * with a change it must not lose (a duplicate's refund, written with its payment).
 */
export function refundRow(m: Merchant, p: Payment, input: { amountMinor: bigint; reason: string; actor?: string | undefined }, idempotencyKey: string, at: number, id: string): NewRefund {
  return {
    id, paymentId: p.id, merchantLogin: m.login, amountMinor: input.amountMinor, ticker: p.wayTicker, reason: input.reason,
    actor: input.actor ? `${m.login} (${input.actor})` : m.login, idempotencyKey,
    requestHash: createHash('sha256').update(JSON.stringify([formatAmount(input.amountMinor), input.reason])).digest('hex'),
    createdAt: at,
  };
}

export const refundView = (r: RefundRecord): RefundView => ({
  id: r.id,
  paymentId: r.paymentId,
  amount: formatAmount(r.amountMinor),
  ticker: r.ticker,
  reason: r.reason,
  actor: r.actor,
  status: r.status,
  providerRefundId: r.providerRefundId,
  failureReason: r.failureReason,
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{10,60}$/;

/** @example const refunds = createRefunds({ storage, connectors, now: Date.now, sandbox: false }); */
export function createRefunds(deps: RefundsDeps) {
  const { storage, connectors } = deps;
  const randomId = deps.randomId ?? newRefundId;
  const log = deps.log ?? (() => {});

  async function ownPayment(m: Merchant, id: string): Promise<Payment> {
    const p = PAYMENT_ID.test(id) ? await storage.getPayment(id) : undefined;
    if (!p || p.merchantLogin !== m.login) throw new GatewayError(404, 'not_found', 'no such payment', 'id');
    return p;
  }

  const paymentPart = (p: Payment): RefundAnswer['payment'] => ({
    id: p.id, status: p.status, amount: formatAmount(p.amountMinor), refunded: formatAmount(p.refundedMinor), ticker: p.wayTicker,
  });

  async function answer(r: RefundRecord): Promise<RefundAnswer> {
    const p = (await storage.getPayment(r.paymentId))!;
    if (r.status === 'failed') {
      throw new GatewayError(502, 'provider_error', 'The payment system refused this refund; nothing was refunded', undefined, {
        reason: (r.failureReason ?? '').slice(0, 200), refundId: r.id,
      });
    }
    return { httpStatus: r.status === 'succeeded' ? 201 : 202, refund: refundView(r), payment: paymentPart(p) };
  }

  /** Asks the provider to refund a pending refund (again, under the same key) and records what it says. */
  async function send(m: Merchant, p: Payment, r: RefundRecord): Promise<RefundRecord> {
    const receiptRecord = (await storage.receiptsOf(p.id)).find((x) => x.kind === 'refund' && x.refundId === r.id);
    const receipt: Receipt | undefined = receiptRecord?.receipt;
    const connector = p.providerId ? connectors.connector(p.providerId) : undefined;
    let result: RefundResult;
    if (!connector) result = { kind: 'refused', reason: `no payment system ${p.providerId ?? '(none)'} is configured` };
    else if (p.providerPaymentId === null) result = { kind: 'refused', reason: 'the payment system\'s id of this payment is not known' };
    else {
      try {
        result = await connector.refund({ payment: p, providerPaymentId: p.providerPaymentId, amountMinor: r.amountMinor, idempotencyKey: r.id, reason: r.reason, ...(receipt ? { receipt } : {}) });
      } catch (e) {
        log(`refund ${r.id}: the connector threw: ${e instanceof Error ? e.message : String(e)}`);
        result = { kind: 'unknown', reason: 'the connector failed' };
      }
    }
    const at = deps.now();
    if (receiptRecord && result.kind === 'done') {
      await storage.setReceiptStatus(receiptRecord.id, { status: p.providerId === SANDBOX_PROVIDER_ID ? 'registered' : 'sent', providerReceiptId: result.providerRefundId, at });
      const checkAt = p.providerId === SANDBOX_PROVIDER_ID ? null : firstReceiptCheckAt(connector, receiptRecord.createdAt, at);
      if (checkAt !== null) await storage.scheduleReceiptCheck(receiptRecord.id, checkAt);
    } else if (receiptRecord && result.kind === 'refused') {
      await failReceipt(storage, p, m, receiptRecord, result.reason, at);
    }
    switch (result.kind) {
      case 'refused':
        await storage.settleRefund(r.id, { status: 'failed', failureReason: result.reason, at });
        break;
      case 'unknown':
        log(`refund ${r.id}: outcome unknown (${result.reason}); pending until repeated`);
        break;
      case 'done': {
        const outcome = await storage.raiseRefunded(p.id, {
          totalMinor: result.refundedMinor ?? 0n,
          at,
          reason: `refunded: ${r.reason}`.slice(0, 500),
          settle: { refundId: r.id, providerRefundId: result.providerRefundId },
          audit: { actor: r.actor, action: 'refund', reason: `${formatAmount(r.amountMinor)} ${r.ticker}: ${r.reason}`.slice(0, 500) },
          event: (after) => refundNotification(after, m, at, r),
        });
        if (outcome === 'applied') {
          const after = await storage.getPayment(p.id);
          if (after) deps.emitStatus?.({ id: p.id, status: after.status });
        }
        break;
      }
    }
    return (await storage.refundsOf(p.id)).find((x) => x.id === r.id)!;
  }

  return {
    /**
     * Refunds `amount` (a decimal string in the payment's currency) of a merchant's paid payment.
     * `idempotencyKey`: a repeat returns the same refund (a pending one is asked about again); the
     * same key with another body is a 409.
     */
    async refund(m: Merchant, paymentId: string, input: { amount?: string | undefined; items?: RefundLine[] | undefined; reason: string; actor?: string | undefined }, idempotencyKey?: string): Promise<RefundAnswer> {
      const p = await ownPayment(m, paymentId);
      // As every other sandbox path: a payment made in the sandbox while the merchant was a test one
      // is not refunded through it once the merchant is live (no money of a live merchant moves there).
      if ((p.providerId === null || p.providerId === SANDBOX_PROVIDER_ID) && merchantMode(m, deps.sandbox) === 'live') {
        throw new GatewayError(403, 'live_merchant', `id: merchant ${m.login} is live; the sandbox cannot refund its payments`, 'id');
      }
      const given = input.amount === undefined ? undefined : parseAmount(input.amount);
      if (given === null || given === 0n) throw new GatewayError(400, 'invalid_param', 'amount: an amount above zero like 40.0, in the payment\'s currency', 'amount');
      const id = randomId();
      const key = idempotencyKey ?? id;
      // The receipt (issue 24): a repeat of this very request does not count its own receipt as refunded before.
      const receipts = await storage.receiptsOf(p.id);
      const repeated = idempotencyKey === undefined ? undefined : (await storage.refundsOf(p.id)).find((x) => x.idempotencyKey === idempotencyKey);
      const plan = refundReceipt(
        receipts.find((x) => x.kind === 'payment' && x.status !== 'failed'),
        receipts.filter((x) => x.kind === 'refund' && x.status !== 'failed' && x.refundId !== repeated?.id),
        p.amountMinor - p.refundedMinor,
        { amountMinor: given, items: input.items },
      );
      const amountMinor = plan.amountMinor;
      const row = refundRow(m, p, { amountMinor, reason: input.reason, actor: input.actor }, key, deps.now(), id);
      // With items, the items are part of what the key stands for (without, the hash refundRow gives).
      const requestHash = input.items
        ? createHash('sha256').update(JSON.stringify([formatAmount(amountMinor), input.reason, input.items])).digest('hex')
        : row.requestHash;
      const began = await storage.beginRefund({ ...row, requestHash });
      switch (began.kind) {
        case 'unknown_payment':
          throw new GatewayError(404, 'not_found', 'no such payment', 'id');
        case 'invalid_state':
          throw new GatewayError(409, 'invalid_state', `status: only a paid payment can be refunded; this one is ${began.status}`, 'status');
        case 'too_much':
          throw new GatewayError(422, 'invalid_param', `amount: at most ${formatAmount(began.availableMinor)} ${p.wayTicker} can be refunded (paid less refunded and pending)`, 'amount', { available: formatAmount(began.availableMinor) });
        case 'existing': {
          if (began.refund.requestHash !== requestHash) {
            throw new GatewayError(409, 'idempotency_conflict', 'Idempotency-Key: this key was used for another refund', 'Idempotency-Key');
          }
          return answer(began.refund.status === 'pending' ? await send(m, p, began.refund) : began.refund);
        }
        case 'created':
          if (plan.receipt) {
            await storage.saveReceipt({ paymentId: p.id, merchantLogin: m.login, kind: 'refund', refundId: began.refund.id, receipt: plan.receipt, idempotencyKey: began.refund.id, createdAt: deps.now() });
          }
          return answer(await send(m, p, began.refund));
      }
    },

    /** The refunds of a merchant's payment, oldest first. */
    async list(m: Merchant, paymentId: string): Promise<{ refunds: RefundView[]; payment: RefundAnswer['payment'] }> {
      const p = await ownPayment(m, paymentId);
      return { refunds: (await storage.refundsOf(p.id)).map(refundView), payment: paymentPart(p) };
    },
  };
}
