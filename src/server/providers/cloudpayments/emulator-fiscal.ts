/**
 * The emulator's cash register (issue 24): the receipts CloudPayments took (a payment's
 * `CustomerReceipt` once the payment is completed, a refund's, the receipt API's `kkt/receipt`) and
 * the Receipt notification CloudPayments sends for each receipt issued («Receipt» notification: the
 * fiscal data `DocumentNumber`, `SessionNumber`, `FiscalSign`, `DeviceNumber`, `RegNumber`, `Inn`,
 * `Type` `Income` / `IncomeReturn`, `Ofd`, `Url`, `QrCodeUrl`, `Amount`, `DateTime`, `Receipt`, and
 * `Id`, `TransactionId`, `InvoiceId`, `AccountId`), `receiptDelayMs` after the operation. Without
 * `receiptDelayMs` the register is silent and the receipt API's receipts are `Processed` at once
 * (the emulator before issue 24). The documented trigger of a refusal: a receipt whose `email` has
 * the local part `receipt-fail` is not issued: no notification, and the receipt API says `Error`.
 */
import type { LosslessNumber } from 'lossless-json';
import { receiptOf, type KktReceipt } from './emulator-receipts.ts';
import type { EmulatedTransaction, NotificationFields } from './emulator-model.ts';
import { amountJson, notifyDate, num } from './emulator-wire.ts';

/** The e-mail local part that makes the emulated register refuse a receipt. */
export const RECEIPT_FAIL_LOCAL_PART = 'receipt-fail';

/** A receipt the emulated register took. */
export interface CpTakenReceipt {
  id: string;
  invoiceId: string;
  transactionId: number | null;
  type: string;
  /** `payment` (a completed payment's), `refund`, `kkt` (the receipt API). */
  source: 'payment' | 'refund' | 'kkt';
  amountMinor: bigint;
  receipt: Record<string, unknown>;
  outcome: 'pending' | 'registered' | 'failed';
}

export interface CpFiscalDeps {
  delayMs: number | undefined;
  schedule: (fn: () => void, delayMs: number) => void;
  now: () => number;
  newId: () => string;
  /** Sends a Receipt notification to its dashboard address. */
  send: (fields: NotificationFields) => void;
}

const refused = (receipt: Record<string, unknown>): boolean => {
  const email = receipt.email ?? receipt.Email;
  return typeof email === 'string' && email.toLowerCase().split('@')[0] === RECEIPT_FAIL_LOCAL_PART;
};

/** @example const fiscal = createCpFiscal({ delayMs: 200, schedule, now, newId, send }); */
export function createCpFiscal(deps: CpFiscalDeps) {
  const taken: CpTakenReceipt[] = [];
  let documentNumber = 500;

  function register(t: CpTakenReceipt, kkt?: KktReceipt): void {
    const fail = refused(t.receipt);
    t.outcome = fail ? 'failed' : 'registered';
    if (kkt) kkt.status = fail ? 'Error' : 'Processed';
    if (fail) return;
    const n = documentNumber++;
    const fields: NotificationFields = {
      Id: t.id, DocumentNumber: num(n), SessionNumber: num(12), Number: num(n), FiscalSign: String(2_000_000_000 + n), DeviceNumber: num(100_500),
      RegNumber: '0000000400054952', FiscalNumber: '9999078900012345', Inn: num(7707083893), Type: t.type, Ofd: 'emulated OFD',
      Url: `https://receipts.example/${t.id}`, QrCodeUrl: `t=20260101T1200&s=${(Number(t.amountMinor) / 100).toFixed(2)}&i=${n}`,
      Amount: amountJson(t.amountMinor) as string | LosslessNumber, DateTime: notifyDate(deps.now()), Receipt: JSON.stringify(t.receipt), InvoiceId: t.invoiceId,
      ...(t.transactionId !== null ? { TransactionId: num(t.transactionId) } : {}),
    };
    deps.send(fields);
  }

  function take(t: Omit<CpTakenReceipt, 'id' | 'outcome'>, kkt?: KktReceipt): void {
    const r: CpTakenReceipt = { ...t, id: kkt?.id ?? deps.newId(), outcome: 'pending' };
    taken.push(r);
    if (deps.delayMs === undefined) {
      r.outcome = refused(r.receipt) ? 'failed' : 'registered';
      if (kkt && r.outcome === 'failed') kkt.status = 'Error';
      return;
    }
    if (kkt) kkt.status = 'Queued';
    deps.schedule(() => register(r, kkt), deps.delayMs);
  }

  return {
    taken: taken as readonly CpTakenReceipt[],
    /** A notification about to go out (first attempt): a completed payment's or a refund's receipt is taken. */
    observe(kind: string, fields: NotificationFields, transactions: readonly EmulatedTransaction[]): void {
      const income = (kind === 'pay' && fields.Status === 'Completed') || kind === 'confirm';
      if (!income && kind !== 'refund') return;
      const id = Number(String(fields.TransactionId));
      const tx = transactions.find((x) => x.transactionId === id);
      const r = tx ? receiptOf(tx.jsonData ?? undefined) : null;
      if (!tx || !r || 'message' in r) return;
      take({ invoiceId: tx.invoiceId, transactionId: tx.transactionId, type: income ? 'Income' : 'IncomeReturn', source: income ? 'payment' : 'refund', amountMinor: tx.amountMinor, receipt: r.receipt });
    },
    /** A receipt made through the receipt API. */
    kkt(r: KktReceipt, receipt: Record<string, unknown>): void {
      take({ invoiceId: r.invoiceId ?? '', transactionId: null, type: r.type, source: 'kkt', amountMinor: r.totalMinor, receipt }, r);
    },
  };
}
