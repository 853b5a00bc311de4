/**
 * T-Bank's fiscalisation notification (issue 24), pure: a signed notification with
 * `Status: "RECEIPT"`, sent when the online cash register T-Bank passes receipts to has registered
 * one (`ErrorCode` `0`, with the fiscal data: `FnNumber`, `FiscalDocumentNumber`,
 * `FiscalDocumentAttribute`, …) or could not (`Success: false`, `ErrorCode`, `ErrorMessage`).
 * `Type` is `Income` (a payment's or a closing receipt) or `IncomeReturn` (a refund's); `Amount` is
 * the receipt's sum in kopecks. The token was checked by `parseNotification` before this is read.
 * README «Receipts' registration status».
 */
import { numberText, readJsonObject } from '../../../protocol/exact-json.ts';
import type { ReceiptReport } from '../contract.ts';

/** `Status` of a fiscalisation notification. */
export const RECEIPT_STATUS = 'RECEIPT';

const text = (v: unknown): string | undefined => {
  if (typeof v === 'string' && v !== '') return v;
  const exact = numberText(v);
  if (exact !== undefined) return exact;
  return typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined;
};

/**
 * The receipt report of a fiscalisation notification's body, or null when it is none (another
 * status, no `Type` we know). The receipt's id is the fiscal drive's number and the document's
 * (`{FnNumber}/{FiscalDocumentNumber}`), unique for a registered receipt.
 * @example fiscalReport('{"Status":"RECEIPT","Type":"Income","ErrorCode":"0","Amount":122400,…}')
 */
export function fiscalReport(body: string): ReceiptReport | null {
  const o = readJsonObject(body);
  if (!o || o.Status !== RECEIPT_STATUS) return null;
  const operation = o.Type === 'Income' ? 'income' : o.Type === 'IncomeReturn' ? 'refund' : null;
  if (!operation) return null;
  const amountText = text(o.Amount);
  const amount = amountText !== undefined && /^\d{1,16}$/.test(amountText) ? { amountMinor: BigInt(amountText) } : {};
  const errorCode = text(o.ErrorCode) ?? '0';
  if (o.Success === false || errorCode !== '0') {
    const message = typeof o.ErrorMessage === 'string' ? o.ErrorMessage : typeof o.Message === 'string' ? o.Message : 'no message';
    return { operation, ...amount, status: 'failed', reason: `T-Bank receipt error ${errorCode}: ${message}`.slice(0, 300) };
  }
  const fn = text(o.FnNumber);
  const fd = text(o.FiscalDocumentNumber);
  return { operation, ...amount, status: 'registered', ...(fn && fd ? { providerReceiptId: `${fn}/${fd}` } : {}) };
}
