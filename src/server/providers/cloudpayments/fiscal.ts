/**
 * CloudPayments' Receipt notification (issue 24), pure: sent to the shop's Receipt address after a
 * receipt has been issued by the online cash register («Receipt» notification; the field list as in
 * the `cloudpayments` npm client's `ReceiptNotification`): `Type` (`Income`, `IncomeReturn`, …),
 * `Amount`, the fiscal data (`DocumentNumber`, `FiscalSign`, …), the `InvoiceId` and `TransactionId`
 * it belongs to, and (unconfirmed, README) the receipt's `Id`, the one `kkt/receipt` answers. It is sent
 * only for a receipt issued: a receipt the register refused is seen only through the receipt API's
 * status (`kkt/receipt/status/get`, `Error`). README «Receipts' registration status».
 */
import type { ReceiptReport } from '../contract.ts';
import { parseCpAmount } from './transform.ts';

/**
 * The receipt report of a Receipt notification, or null for a type the gateway does not issue
 * (`Expense`, `ExpenseReturn`). The receipt's id is its `Id`, else the document's fiscal sign.
 * @example receiptNotificationReport({ Type: 'Income', Amount: '1224.00', Id: 'a1…', InvoiceId: 'pay_…', … })
 */
export function receiptNotificationReport(fields: Record<string, string>): ReceiptReport | null {
  const operation = fields.Type === 'Income' ? 'income' : fields.Type === 'IncomeReturn' ? 'refund' : null;
  if (!operation) return null;
  const amountMinor = fields.Amount === undefined ? null : parseCpAmount(fields.Amount);
  const id = fields.Id || (fields.FiscalSign ? `fs:${fields.FiscalSign}` : undefined);
  return { operation, status: 'registered', ...(amountMinor !== null ? { amountMinor } : {}), ...(id ? { providerReceiptId: id } : {}) };
}
