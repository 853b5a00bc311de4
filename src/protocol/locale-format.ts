/**
 * Money and dates as people read them, through `Intl`: one formatter for the element, the server's
 * pages and the cabinet (`1 224,00 ₽` in Russian, `₽1,224.00` in English). Amounts always carry their
 * minor digits. The amount text itself (`1224.0`) is what is sent and compared; this is display only.
 */

/** Payment systems' own tickers that are not ISO 4217 codes: written as a number and the ticker. */
const NOT_ISO = /^(TST|CRD|QRW|YDX|WM.*)$/;

/**
 * Formats an amount text (`"1224.5"`, exact decimal, never a float in the protocol) in the language's
 * way, with the currency's sign where the ticker is an ISO code (`RUR` is the rouble, `RUB`).
 * @example formatMoney('1224.5', 'RUR', 'ru') // '1 224,50 ₽'
 */
export function formatMoney(amount: string, ticker: string, ln: string): string {
  // Intl formats a decimal string exactly (no binary rounding); the cast is for older lib typings.
  const value = amount as unknown as number;
  const currency = ticker === 'RUR' ? 'RUB' : ticker;
  if (!NOT_ISO.test(ticker)) {
    try {
      return new Intl.NumberFormat(ln, { style: 'currency', currency, currencyDisplay: 'narrowSymbol', minimumFractionDigits: 2 }).format(value);
    } catch {
      // An unknown code: the plain number and the ticker below.
    }
  }
  return `${new Intl.NumberFormat(ln, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)} ${ticker}`;
}

/**
 * A moment (epoch milliseconds) as the viewer reads it: the language's date and time, in the given
 * IANA time zone (the viewer's own when absent).
 * @example formatDateTime(Date.UTC(2026, 11, 8, 9, 5), 'ru', 'Europe/Moscow') // '08.12.2026, 12:05'
 */
export function formatDateTime(ms: number, ln: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(ln, { dateStyle: 'short', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(ms);
}

/**
 * A calendar day (epoch milliseconds) as the viewer reads it, without the time: the cabinet's chart
 * axis and its turnover table (days given as UTC noon are read with `timeZone: 'UTC'`).
 * @example formatDate(Date.UTC(2026, 11, 8, 12), 'en', 'UTC') // '12/8/26'
 */
export function formatDate(ms: number, ln: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(ln, { dateStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(ms);
}
