/**
 * Our fiscal receipt (54-ФЗ, `protocol/receipt.ts`) as T-Bank's `Receipt` object of `Init`, `Cancel`
 * and `SendClosingReceipt` («Структура объекта Receipt», FFD 1.05 and 1.2). Pure. The mapping table
 * and the choices made where the documentation is silent are in README.md («Receipts»).
 */
import type { Receipt, ReceiptItem } from '../../../protocol/receipt.ts';
import { parseAmount } from '../../../protocol/money.ts';

/**
 * Our `measure` → T-Bank's `MeasurementUnit` (FFD 1.2, tag 2108): T-Bank takes the short Russian
 * unit names of OK 015-94 («также возможна передача произвольных значений»).
 */
export const TBANK_MEASUREMENT_UNITS: Readonly<Record<string, string>> = {
  piece: 'шт', gram: 'г', kilogram: 'кг', ton: 'т', centimeter: 'см', decimeter: 'дм', meter: 'м',
  square_centimeter: 'кв. см', square_decimeter: 'кв. дм', square_meter: 'кв. м', milliliter: 'мл', liter: 'л',
  cubic_meter: 'куб. м', kilowatt_hour: 'кВт · ч', gigacalorie: 'Гкал', day: 'сутки', hour: 'час', minute: 'мин',
  second: 'с', kilobyte: 'Кбайт', megabyte: 'Мбайт', gigabyte: 'Гбайт', terabyte: 'Тбайт', another: 'иная',
};

/**
 * FFD 1.2 splits goods by marking: a `commodity` or `excise` item carrying a marking code is
 * «ТМ» / «АТМ» (`goods_with_marking_code`, `excisable_goods_with_marking_code`).
 */
function paymentObject(item: ReceiptItem, ffd12: boolean): string {
  if (ffd12 && item.markCode !== undefined) {
    if (item.paymentObject === 'commodity') return 'goods_with_marking_code';
    if (item.paymentObject === 'excise') return 'excisable_goods_with_marking_code';
  }
  return item.paymentObject;
}

function kopecksOf(text: string, field: string): number {
  const minor = parseAmount(text);
  if (minor === null || minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${field} is not an amount`);
  return Number(minor);
}

/** `Quantity` is a JSON number with up to 3 decimals; our quantity is already a decimal text of that shape. */
function quantityOf(text: string, field: string): number {
  if (!/^\d{1,5}(\.\d{1,3})?$/.test(text)) throw new RangeError(`${field} is not a quantity T-Bank takes`);
  return Number(text);
}

function itemOf(item: ReceiptItem, i: number, ffd12: boolean): Record<string, unknown> {
  const at = `receipt.items[${i}]`;
  const o: Record<string, unknown> = {
    Name: item.name,
    Price: kopecksOf(item.price, `${at}.price`),
    Quantity: quantityOf(item.quantity, `${at}.quantity`),
    Amount: kopecksOf(item.amount, `${at}.amount`),
    // Our VAT names are T-Bank's own (`none`, `vat0` … `vat22`, `vat105` … `vat122`).
    Tax: item.vat,
    PaymentMethod: item.paymentMethod,
    PaymentObject: paymentObject(item, ffd12),
  };
  if (ffd12) {
    // FFD 1.2 makes the unit mandatory; an item without one is counted in pieces (tag 2108 value 0).
    const unit = item.measure === undefined ? 'шт' : TBANK_MEASUREMENT_UNITS[item.measure];
    if (unit === undefined) throw new RangeError(`${at}.measure: T-Bank has no unit ${item.measure}`);
    o.MeasurementUnit = unit;
    if (item.markCode !== undefined) {
      o.MarkProcessingMode = '0';
      o.MarkCode = { MarkCodeType: 'GS1M', Value: item.markCode };
    }
  }
  return o;
}

export interface TbankReceiptOptions {
  /**
   * The closing receipt of a prepayment: the money was taken before (`AdvancePayment`), so nothing is
   * paid now.
   */
  closing?: boolean;
}

/**
 * T-Bank's `Receipt` for our receipt. Throws a `RangeError` naming the field for what T-Bank cannot
 * carry (the caller turns it into a refusal); amounts in kopecks.
 *
 * @example tbankReceipt({ taxation: 'osn', customer: { email: 'a@b.ru' }, items: [...] }) // { Taxation: 'osn', Email: 'a@b.ru', Items: [...] }
 */
export function tbankReceipt(r: Receipt, o: TbankReceiptOptions = {}): Record<string, unknown> {
  const ffd12 = r.ffd === '1.2';
  const out: Record<string, unknown> = {};
  if (r.ffd !== undefined) out.FfdVersion = r.ffd;
  out.Taxation = r.taxation;
  if (r.customer.email !== undefined) out.Email = r.customer.email;
  if (r.customer.phone !== undefined) out.Phone = r.customer.phone;
  out.Items = r.items.map((item, i) => itemOf(item, i, ffd12));
  if (o.closing) {
    const total = (out.Items as { Amount: number }[]).reduce((s, it) => s + it.Amount, 0);
    out.Payments = { Electronic: 0, AdvancePayment: total };
  }
  return out;
}
