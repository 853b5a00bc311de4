/**
 * Money and dates in Chromium write exactly what the server writes in Node (the same table as
 * src/protocol/locale-format.test.ts): Chromium's reduced ICU data for kk, uz and be must not make
 * the element say «₽ 1,224.50» where the hosted page says «1 224,50 ₽».
 */
import { expect } from '@open-wc/testing';
import { formatDateTime, formatMoney } from '../../src/protocol/locale-format.ts';
import { DATE_TABLE, MONEY_TABLE, plain } from '../locale-format-table.ts';

describe('money and dates in the browser', () => {
  it('writes every language\'s amounts as Node does', () => {
    for (const [amount, ticker, ln, want] of MONEY_TABLE) expect(plain(formatMoney(amount, ticker, ln)), `${amount} ${ticker} ${ln}`).to.equal(want);
  });

  it('writes every language\'s dates as Node does', () => {
    for (const [ln, want] of DATE_TABLE) expect(plain(formatDateTime(Date.UTC(2026, 11, 8, 9, 5), ln, 'UTC')), ln).to.equal(want);
  });
});
