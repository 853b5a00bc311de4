import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDate, formatDateTime, formatMoney } from './locale-format.ts';
import { DATE_TABLE, MONEY_TABLE, plain } from '../../test/locale-format-table.ts';


test('formatMoney writes the currency sign and the minor digits, in the language\'s way', () => {
  const table: [string, string, string, string][] = [
    ['1224', 'RUR', 'ru', '1 224,00 ₽'],
    ['1224.5', 'RUR', 'ru', '1 224,50 ₽'],
    ['1224', 'RUR', 'en', '₽1,224.00'],
    ['0.01', 'RUR', 'de', '0,01 ₽'],
    ['99.9', 'USD', 'en', '$99.90'],
    ['12345678901234567.89', 'RUR', 'en', '₽12,345,678,901,234,567.89'],
    ['10', 'TST', 'ru', '10,00 TST'],
    ['10', 'WMZ', 'en', '10.00 WMZ'],
    ['1224.5', 'RUR', 'uk', '1 224,50 ₽'],
    ['1224.5', 'RUR', 'kk', '1 224,50 ₽'],
    ['1224.5', 'RUR', 'be', '1 224,50 ₽'],
    ['1224.5', 'RUR', 'uz', '1 224,50 ₽'],
    ['1224.5', 'RUR', 'de', '1.224,50 ₽'],
    ['9', 'RUR', 'kk', '9,00 ₽'],
    ['1224.5', 'EUR', 'uz', '1 224,50 €'],
    ['1224.5', 'RUR', 'kk-KZ', '1 224,50 ₽'],
  ];
  for (const [amount, ticker, ln, want] of table) assert.equal(plain(formatMoney(amount, ticker, ln)), want, `${amount} ${ticker} ${ln}`);
});

test('formatDateTime writes the moment in the given time zone and the language\'s order', () => {
  const at = Date.UTC(2026, 11, 8, 9, 5);
  assert.equal(plain(formatDateTime(at, 'ru', 'Europe/Moscow')), '08.12.2026, 12:05');
  assert.equal(plain(formatDateTime(at, 'en', 'UTC')), '12/8/26, 9:05 AM');
  // Kazakh, Belarusian and Uzbek by Russian's conventions: Chromium has no data of its own for them.
  for (const ln of ['kk', 'be', 'uz']) assert.equal(plain(formatDateTime(at, ln, 'UTC')), '08.12.2026, 09:05', ln);
});

test('writes the shared table as Chromium does (the element and the server agree: test/browser/money-format.test.ts)', () => {
  for (const [amount, ticker, ln, want] of MONEY_TABLE) assert.equal(plain(formatMoney(amount, ticker, ln)), want, `${amount} ${ticker} ${ln}`);
  for (const [ln, want] of DATE_TABLE) assert.equal(plain(formatDateTime(Date.UTC(2026, 11, 8, 9, 5), ln, 'UTC')), want, ln);
});

test('formatDate writes the day alone, in the language\'s order (the cabinet chart\'s axis)', () => {
  const noon = Date.UTC(2026, 11, 8, 12);
  assert.equal(formatDate(noon, 'ru', 'UTC'), '08.12.2026');
  assert.equal(formatDate(noon, 'en', 'UTC'), '12/8/26');
  assert.equal(formatDate(noon, 'de', 'UTC'), '08.12.26');
  // The viewer's zone decides the day: 23:30 UTC is the next day in Moscow.
  assert.equal(formatDate(Date.UTC(2026, 11, 8, 23, 30), 'ru', 'Europe/Moscow'), '09.12.2026');
});
