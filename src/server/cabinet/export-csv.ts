/**
 * The CSV export of the cabinet (issue 14 §3): the search's filters, every matching payment newest
 * first, streamed in batches so memory stays constant at a million rows. UTF-8 with a BOM by default
 * (Excel then reads it right), or windows-1251 for 1C and old Excel through iconv-lite; `,` or `;`
 * between cells; amounts as exact decimals; text cells that a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR) start with a `'`, as OWASP's CSV injection advice says.
 *
 * Two profiles (issue 28): the machine's (`,`, a decimal point, UTF-8, ISO 8601 times in UTC) and
 * Russian Excel's (`;`, a decimal comma, windows-1251, `dd.mm.yyyy hh:mm:ss` in the merchant's
 * time zone), which Excel opens as numbers and dates. windows-1251 holds Cyrillic but not every
 * character: what it cannot hold is transliterated (`×` → `x`, `₽` → `руб.`, Kazakh letters to
 * their nearest Russian ones, anything else through any-ascii), never written as `?`.
 *
 * @example
 * const stream = exportCsv(storage, merchant, { status: 'paid' }, { encoding: 'utf-8', separator: ';' });
 * return new Response(stream, { headers: { 'content-type': csvContentType('utf-8') } });
 */
import anyAscii from 'any-ascii';
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
  /** Amounts with a decimal comma (Russian Excel); a point by default. */
  decimalComma?: boolean;
  /** Times as `dd.mm.yyyy hh:mm:ss` in this IANA time zone; ISO 8601 in UTC when absent. */
  timeZone?: string;
}

export type CsvProfile = 'machine' | 'excel';

/** The time zone Excel's profile writes in when the merchant's page does not say: the gateway's home. */
export const DEFAULT_EXCEL_TIME_ZONE = 'Europe/Moscow';

/** A profile's options; `timeZone` is the merchant's (the page sends the viewer's). */
export function csvProfile(profile: CsvProfile, timeZone = DEFAULT_EXCEL_TIME_ZONE): CsvOptions {
  return profile === 'excel'
    ? { encoding: 'windows-1251', separator: ';', decimalComma: true, timeZone }
    : { encoding: 'utf-8', separator: ',' };
}

/** Whether `tz` names a time zone this runtime knows (an IANA name such as `Asia/Almaty`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A moment as Russian Excel reads a date and time, in `timeZone`: `08.12.2026 12:05:00`. */
export function excelTime(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(ms).map((x) => [x.type, x.value]));
  return `${parts.day}.${parts.month}.${parts.year} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** Characters windows-1251 lacks, with a better stand-in than any-ascii's Latin one. */
const CP1251_STAND_INS: Record<string, string> = {
  '×': 'x', '₽': 'руб.', '₸': 'тенге', '−': '-', 'ʻ': "'", 'ʼ': "'",
  'ә': 'а', 'Ә': 'А', 'ғ': 'г', 'Ғ': 'Г', 'қ': 'к', 'Қ': 'К', 'ң': 'н', 'Ң': 'Н', 'ө': 'о', 'Ө': 'О',
  'ұ': 'у', 'Ұ': 'У', 'ү': 'у', 'Ү': 'У', 'һ': 'х', 'Һ': 'Х', 'ҳ': 'х', 'Ҳ': 'Х',
};
const cp1251Cache = new Map<string, string>();
const MAX_CACHED_CHARS = 4096;

/** `text` with every character windows-1251 cannot hold transliterated (never `?`). */
export function toWindows1251Text(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) {
      out += ch;
      continue;
    }
    let r = cp1251Cache.get(ch);
    if (r === undefined) {
      const holds = iconv.decode(iconv.encode(ch, 'win1251'), 'win1251') === ch;
      r = holds ? ch : (CP1251_STAND_INS[ch] ?? anyAscii(ch));
      if (cp1251Cache.size < MAX_CACHED_CHARS) cp1251Cache.set(ch, r);
    }
    out += r;
  }
  return out;
}

/** Columns, in order: header name and how a payment fills it. `amount` columns are never escaped: they are our own decimals. */
/** How a row's times are written: the profile's. */
type TimeText = (ms: number) => string;
const isoTime: TimeText = (ms) => new Date(ms).toISOString();

const COLUMNS: { name: string; amount?: true; cell: (p: Payment, notification: string, receipt: string, time: TimeText) => string }[] = [
  { name: 'number', cell: (p) => String(p.number) },
  { name: 'id', cell: (p) => p.id },
  { name: 'created_at', cell: (p, _n, _r, time) => time(p.createdAt) },
  { name: 'paid_at', cell: (p, _n, _r, time) => (p.paidAt === null ? '' : time(p.paidAt)) },
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

export function csvRow(p: Payment, notification: string, o: CsvSeparator | CsvOptions, receipt = ''): string {
  const opts: CsvOptions = typeof o === 'string' ? { encoding: 'utf-8', separator: o } : o;
  const time: TimeText = opts.timeZone ? (ms) => excelTime(ms, opts.timeZone!) : isoTime;
  return line([COLUMNS.map((c) => {
    let v = c.cell(p, notification, receipt, time);
    if (c.amount && opts.decimalComma) v = v.replace('.', ',');
    // Transliterated before escaping: a stand-in may itself need quoting.
    if (!c.amount && opts.encoding === 'windows-1251') v = toWindows1251Text(v);
    return csvCell(v, opts.separator, c.amount);
  }).join(opts.separator)]);
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
        const text = chunk.map((r) => csvRow(r.payment, r.notificationStatus ?? '', o, receipts.get(r.payment.id) ?? '')).join('');
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
