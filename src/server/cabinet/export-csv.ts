/**
 * The CSV export of the cabinet (issue 14 §3): the search's filters, every matching payment newest
 * first, streamed in batches so memory stays constant at a million rows. UTF-8 with a BOM by default
 * (Excel then reads it right), or windows-1251 for 1C and old Excel through iconv-lite; `,` or `;`
 * between cells; amounts as exact decimals; text cells that a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR) start with a `'`, as OWASP's CSV injection advice says.
 *
 * @example
 * const stream = exportCsv(storage, merchant, { status: 'paid' }, { encoding: 'utf-8', separator: ';' });
 * return new Response(stream, { headers: { 'content-type': csvContentType('utf-8') } });
 */
import iconv from 'iconv-lite';
import { formatAmount } from '../../protocol/money.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant, Payment } from '../types.ts';
import { eachPayment, type SearchQuery } from './search.ts';

export type CsvEncoding = 'utf-8' | 'windows-1251';
export type CsvSeparator = ',' | ';';

export interface CsvOptions {
  encoding: CsvEncoding;
  separator: CsvSeparator;
}

/** Columns, in order: header name and how a payment fills it. `amount` columns are never escaped: they are our own decimals. */
const COLUMNS: { name: string; amount?: true; cell: (p: Payment, notification: string, receipt: string) => string }[] = [
  { name: 'number', cell: (p) => String(p.number) },
  { name: 'id', cell: (p) => p.id },
  { name: 'created_at', cell: (p) => new Date(p.createdAt).toISOString() },
  { name: 'paid_at', cell: (p) => (p.paidAt === null ? '' : new Date(p.paidAt).toISOString()) },
  { name: 'status', cell: (p) => p.status },
  { name: 'manual', cell: (p) => (p.manual ? 'yes' : 'no') },
  { name: 'status_reason', cell: (p) => p.statusReason },
  { name: 'pay_for', cell: (p) => p.payFor },
  { name: 'order_amount', amount: true, cell: (p) => formatAmount(p.priceMinor) },
  { name: 'order_currency', cell: (p) => p.ticker },
  { name: 'way', cell: (p) => p.way },
  { name: 'amount', amount: true, cell: (p) => formatAmount(p.amountMinor) },
  { name: 'currency', cell: (p) => p.wayTicker },
  { name: 'refunded', amount: true, cell: (p) => formatAmount(p.refundedMinor) },
  { name: 'fee', amount: true, cell: (p) => formatAmount(p.feeMinor) },
  { name: 'balance_amount', amount: true, cell: (p) => formatAmount(p.balanceMinor) },
  { name: 'balance_currency', cell: (p) => p.balanceTicker },
  { name: 'user_email', cell: (p) => p.userEmail },
  { name: 'user_phone', cell: (p) => p.userPhone },
  { name: 'note', cell: (p) => p.note },
  { name: 'notification', cell: (_p, n) => n },
  // The payment's own fiscal receipt: pending, sent, registered, failed; empty without one (issue 24).
  { name: 'receipt', cell: (_p, _n, r) => r },
];

/** Characters that make a spreadsheet treat a cell as a formula when they start it. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: neutralised when it looks like a formula, quoted when it holds a separator, a quote or a line break. */
export function csvCell(value: string, separator: CsvSeparator, isAmount = false): string {
  let v = value;
  if (!isAmount && FORMULA_START.test(v)) v = `'${v}`;
  if (v.includes(separator) || /["\r\n]/.test(v) || (!isAmount && v !== value)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

const line = (cells: string[]): string => `${cells.join('')}\r\n`;

export function csvRow(p: Payment, notification: string, separator: CsvSeparator, receipt = ''): string {
  return line([COLUMNS.map((c) => csvCell(c.cell(p, notification, receipt), separator, c.amount)).join(separator)]);
}

export const csvHeader = (separator: CsvSeparator): string => line([COLUMNS.map((c) => c.name).join(separator)]);

export const csvContentType = (encoding: CsvEncoding): string => `text/csv; charset=${encoding}`;

const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);
const encoder = new TextEncoder();

function encode(text: string, encoding: CsvEncoding): Uint8Array {
  return encoding === 'utf-8' ? encoder.encode(text) : new Uint8Array(iconv.encode(text, 'win1251'));
}

/** Rows per chunk handed to the HTTP stream. */
const ROWS_PER_CHUNK = 200;

/** The export as a byte stream, pulled as the client reads it (backpressure: one chunk at a time). */
export function exportCsv(storage: Storage, m: Merchant, q: SearchQuery, o: CsvOptions): ReadableStream<Uint8Array> {
  const rows = eachPayment(storage, m, q);
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          const head = encode(csvHeader(o.separator), o.encoding);
          controller.enqueue(o.encoding === 'utf-8' ? concat(BOM, head) : head);
          return;
        }
        const chunk: { payment: Payment; notificationStatus: string | null }[] = [];
        let done = false;
        for (let i = 0; i < ROWS_PER_CHUNK; i++) {
          const next = await rows.next();
          if (next.done) {
            done = true;
            break;
          }
          chunk.push(next.value);
        }
        // One query for the chunk's receipts, not one per row.
        const receipts = chunk.length > 0 ? await storage.receiptStatusesOf(chunk.map((r) => r.payment.id)) : new Map<string, string>();
        const text = chunk.map((r) => csvRow(r.payment, r.notificationStatus ?? '', o.separator, receipts.get(r.payment.id) ?? '')).join('');
        if (text) controller.enqueue(encode(text, o.encoding));
        if (done) controller.close();
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      await rows.return(undefined);
    },
  }, { highWaterMark: 1 });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
