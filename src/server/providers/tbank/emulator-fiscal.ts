/**
 * The emulator's cash register (issue 24): the receipts T-Bank took (`Init`'s once the payment is
 * `CONFIRMED`, a refund's on `Cancel`, a closing one by `SendClosingReceipt`), and T-Bank's
 * fiscalisation notification for each, `receiptDelayMs` after the operation: the notification's
 * usual signed fields with `Status: "RECEIPT"`, the fiscal data (`FiscalNumber`, `ShiftNumber`,
 * `ReceiptDatetime`, `FnNumber`, `EcrRegNumber`, `FiscalDocumentNumber`, `FiscalDocumentAttribute`,
 * `Ofd`, `Url`, `QrCodeUrl`), `Type` (`Income`, `IncomeReturn`) and the `Receipt` (nested: no part in
 * the `Token`). Without `receiptDelayMs` no such notification is sent (the emulator before issue 24).
 * The documented trigger of a refusal: `Receipt.Email` with the local part `receipt-fail` gives
 * `Success: false`, `ErrorCode` `RECEIPT_FAIL_CODE` and an `ErrorMessage` (our choice: T-Bank's
 * reference gives no code for a register's refusal).
 */
/** What the register reads of an emulated payment (emulator-types.ts's `EmulatorPayment` fits). */
interface FiscalPayment {
  paymentId: string;
  terminalKey: string;
  orderId: string;
  status: string;
  remaining: number;
}

/** The e-mail local part that makes the emulated register refuse a receipt. */
export const RECEIPT_FAIL_LOCAL_PART = 'receipt-fail';
/** The `ErrorCode` of a refused receipt's notification (the emulator's choice, README). */
export const RECEIPT_FAIL_CODE = '9001';

/** A receipt the emulated register took. */
export interface TakenReceipt {
  paymentId: string;
  /** `Income`: the payment's or a closing receipt; `IncomeReturn`: a refund's. */
  type: 'Income' | 'IncomeReturn';
  /** What the receipt was for: `init`, `refund`, `closing`. */
  source: 'init' | 'refund' | 'closing';
  /** The operation's amount, kopecks. */
  amount: number;
  receipt: Record<string, unknown>;
  /** What its notification said, once sent. */
  outcome: 'pending' | 'registered' | 'failed';
}

export interface FiscalDeps {
  scheduler: { now(): number; setTimeout(fn: () => void, ms: number): unknown };
  /** Undefined: no fiscalisation notifications (the register is silent). */
  delayMs: number | undefined;
}

const refused = (receipt: Record<string, unknown>): boolean =>
  typeof receipt.Email === 'string' && receipt.Email.toLowerCase().split('@')[0] === RECEIPT_FAIL_LOCAL_PART;

/** @example const fiscal = createFiscalRegister({ scheduler, delayMs: 200, send }); fiscal.take(p, 'init', receipt, p.amount); */
export function createFiscalRegister<P extends FiscalPayment>(deps: FiscalDeps & { send(p: P, fields: Record<string, unknown>): void }) {
  const taken: TakenReceipt[] = [];
  /** `Init`'s receipts, until their payment is confirmed. */
  const atInit = new Map<string, Record<string, unknown>>();
  let documentNumber = 1000;

  function notify(p: P, t: TakenReceipt): void {
    const fail = refused(t.receipt);
    t.outcome = fail ? 'failed' : 'registered';
    if (deps.delayMs === undefined) return;
    const n = documentNumber++;
    const fields: Record<string, unknown> = {
      TerminalKey: p.terminalKey, OrderId: p.orderId, Success: !fail, Status: 'RECEIPT', PaymentId: Number(p.paymentId),
      ErrorCode: fail ? RECEIPT_FAIL_CODE : '0', Amount: t.amount, Type: t.type, Receipt: t.receipt,
    };
    if (fail) fields.ErrorMessage = 'Касса отклонила чек';
    else {
      Object.assign(fields, {
        FiscalNumber: n, ShiftNumber: 7, ReceiptDatetime: new Date(deps.scheduler.now()).toISOString(), FnNumber: '9999078900012345',
        EcrRegNumber: '0000000001012345', FiscalDocumentNumber: n, FiscalDocumentAttribute: 3_000_000_000 + n,
        Ofd: 'Emulated OFD', Url: 'https://ofd.example/check', QrCodeUrl: `t=20260101T1200&s=${(t.amount / 100).toFixed(2)}&fn=9999078900012345&i=${n}&n=${t.type === 'Income' ? 1 : 2}`,
      });
    }
    deps.send(p, fields);
  }

  function take(p: P, source: TakenReceipt['source'], receipt: unknown, amount: number): void {
    if (receipt === null || typeof receipt !== 'object') return;
    const t: TakenReceipt = { paymentId: p.paymentId, type: source === 'refund' ? 'IncomeReturn' : 'Income', source, amount, receipt: receipt as Record<string, unknown>, outcome: 'pending' };
    taken.push(t);
    deps.scheduler.setTimeout(() => notify(p, t), deps.delayMs ?? 0);
  }

  return {
    taken: taken as readonly TakenReceipt[],
    /** `Init` with a receipt: issued when the payment is confirmed. */
    atInit(p: P, receipt: unknown): void {
      if (receipt !== undefined) atInit.set(p.paymentId, receipt as Record<string, unknown>);
    },
    /** The payment's status changed: a confirmed payment's receipt goes to the register (once). */
    statusChanged(p: P): void {
      if (p.status !== 'CONFIRMED') return;
      const r = atInit.get(p.paymentId);
      if (r === undefined) return;
      atInit.delete(p.paymentId);
      take(p, 'init', r, p.remaining);
    },
    take,
  };
}
