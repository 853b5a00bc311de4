/**
 * Receipts the providers' receipt tests share (tests only): the documentation's own examples in our
 * model, and builders for the refund and closing receipts.
 */
import type { Receipt, ReceiptItem } from '../../protocol/receipt.ts';

/** One item with the defaults a shop selling goods in full would give. */
export function item(name: string, price: string, quantity: string, amount: string, over: Partial<ReceiptItem> = {}): ReceiptItem {
  return { name, price, quantity, amount, vat: 'vat22', paymentMethod: 'full_payment', paymentObject: 'commodity', ...over };
}

/**
 * T-Bank's Init example («Пример запроса» with `Receipt`): three goods, 1400.00 ₽ in all (its
 * `vat20` items written as `vat22`, the rate in force from 2026).
 */
export const TBANK_DOC_RECEIPT: Receipt = {
  taxation: 'osn',
  customer: { email: 'a@test.ru', phone: '+79031234567' },
  items: [
    item('Наименование товара 1', '100.00', '1', '100.00', { vat: 'vat10' }),
    item('Наименование товара 2', '200.00', '2', '400.00'),
    item('Наименование товара 3', '300.00', '3', '900.00', { vat: 'vat10' }),
  ],
};

/**
 * YooKassa's payment-with-receipt example («Передача данных для чека») in our model: «Наименование
 * товара 1» 2 × 250.00 and «Наименование товара 2» 1 × 100.00, both `vat_code` 2 (0 %), `commodity`,
 * `full_prepayment`; 600.00 ₽ in all, the contact a phone.
 */
export const YOOKASSA_DOC_RECEIPT: Receipt = {
  taxation: 'osn',
  customer: { phone: '79000000000' },
  items: [
    item('Наименование товара 1', '250.00', '2', '500.00', { vat: 'vat0', paymentMethod: 'full_prepayment' }),
    item('Наименование товара 2', '100.00', '1', '100.00', { vat: 'vat0', paymentMethod: 'full_prepayment' }),
  ],
};

/** A two-line prepaid receipt of 1224.00 ₽ under FFD 1.2: a marked kettle and a delivery service. */
export const FFD12_RECEIPT: Receipt = {
  taxation: 'usn_income',
  customer: { phone: '+79001234567' },
  ffd: '1.2',
  items: [
    item('Чайник', '1200.00', '1', '1200.00', { vat: 'none', paymentMethod: 'full_prepayment', measure: 'piece', markCode: '010460043993125621JgXJ5.T' }),
    item('Доставка', '12.00', '2', '24.00', { vat: 'none', paymentMethod: 'full_prepayment', paymentObject: 'service', measure: 'piece' }),
  ],
};

/** The same receipt with every item's payment method replaced (the closing receipt: `full_payment`). */
export function closingOf(r: Receipt): Receipt {
  return { ...r, items: r.items.map((i) => ({ ...i, paymentMethod: 'full_payment' })) };
}

/** A one-line receipt of `amount` (a decimal text), the buyer's e-mail as the contact. */
export function oneLine(amount: string, over: Partial<ReceiptItem> = {}): Receipt {
  return { taxation: 'usn_income', customer: { email: 'buyer@example.ru' }, items: [item('Оплата заказа 42', amount, '1', amount, { vat: 'none', paymentObject: 'service', ...over })] };
}
