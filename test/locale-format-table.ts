/**
 * What the one formatter (src/protocol/locale-format.ts) writes, per language: the same table is
 * checked in Node (the server's pages) and in Chromium (the element), so both write the same.
 * Group separators are written as plain spaces (Intl uses no-break ones).
 */
export const MONEY_TABLE: readonly [amount: string, ticker: string, ln: string, written: string][] = [
  ['1224.5', 'RUR', 'ru', '1 224,50 ₽'],
  ['1224.5', 'RUR', 'en', '₽1,224.50'],
  ['1224.5', 'RUR', 'uk', '1 224,50 ₽'],
  ['1224.5', 'RUR', 'kk', '1 224,50 ₽'],
  ['1224.5', 'RUR', 'be', '1 224,50 ₽'],
  ['1224.5', 'RUR', 'uz', '1 224,50 ₽'],
  ['1224.5', 'RUR', 'de', '1.224,50 ₽'],
  ['9', 'RUR', 'kk', '9,00 ₽'],
  ['459', 'RUR', 'uz', '459,00 ₽'],
  ['1224.5', 'EUR', 'be', '1 224,50 €'],
  ['99.9', 'USD', 'en', '$99.90'],
  ['10', 'TST', 'kk', '10,00 TST'],
];

/** One moment, 2026-12-08 09:05 UTC, written in UTC per language. */
export const DATE_TABLE: readonly [ln: string, written: string][] = [
  ['ru', '08.12.2026, 09:05'],
  ['en', '12/8/26, 9:05 AM'],
  ['kk', '08.12.2026, 09:05'],
  ['be', '08.12.2026, 09:05'],
  ['uz', '08.12.2026, 09:05'],
  ['de', '08.12.26, 09:05'],
];

/** Intl separates groups with no-break spaces; the tables write plain ones. */
export const plain = (s: string): string => s.replace(/[\u00a0\u202f]/g, ' ');
