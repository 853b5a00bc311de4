/**
 * Money and dates as people read them, through `Intl`: one formatter for the element, the server's
 * pages and the cabinet (`1 224,00 ₽` in Russian, `₽1,224.00` in English). Amounts always carry their
 * minor digits. The amount text itself (`1224.0`) is what is sent and compared; this is display only.
 */

/**
 * The locale whose conventions write a language's numbers and dates. Chromium's ICU data (checked in
 * Debian's Chromium 150: `Intl` there writes kk and uz amounts as «₽ 1,224.50» and dates as
 * «2026-12-08 09:05», the root locale's, and resolves `be` to en-US) carries no number or date data
 * for Kazakh and Uzbek and none at all for Belarusian, while Node's full ICU has them: the element
 * and the server pages would disagree. These three share Russian's conventions in CLDR (the space
 * between thousands, the decimal comma, the sign after the amount, day.month.year), so Russian's
 * data writes them, the same in every runtime. Words are never formatted here, only digits.
 */
const localeOf = (ln: string): string => (/^(kk|be|uz)\b/i.test(ln) ? 'ru' : ln);

/** Payment systems' own tickers that are not ISO 4217 codes: written as a number and the ticker. */
const NOT_ISO = /^(TST|CRD|QRW|YDX|WM.*)$/;

/**
 * Formats an amount text (`"1224.5"`, exact decimal, never a float in the protocol) in the language's
 * way, with the currency's sign where the ticker is an ISO code (`RUR` is the rouble, `RUB`).
 * @example formatMoney('1224.5', 'RUR', 'ru') // '1 224,50 ₽'
 */
export function formatMoney(amount: string, ticker: string, language: string): string {
  const ln = localeOf(language);
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
  return new Intl.DateTimeFormat(localeOf(ln), { dateStyle: 'short', timeStyle: 'short', timeZone }).format(ms);
}

/**
 * A calendar day (epoch milliseconds) as the viewer reads it, without the time: the cabinet's chart
 * axis and its turnover table (days given as UTC noon are read with `timeZone: 'UTC'`).
 * @example formatDate(Date.UTC(2026, 11, 8, 12), 'en', 'UTC') // '12/8/26'
 */
export function formatDate(ms: number, ln: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(localeOf(ln), { dateStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(ms);
}
