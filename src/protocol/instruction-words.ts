/**
 * The words of payment instructions a buyer reads (the labels of bank details, «Оплата по СБП»,
 * «Заказ»), one table per language. The connectors write them into the instructions they return, in
 * the payment's language, so the element, the hosted page and the status page show them as given;
 * they live here, not with the pages, because the connectors may not import the pages.
 */
import type { Language } from './languages.ts';

export const INSTRUCTION_WORDS = {
  ru: {
    sbpTitle: 'Оплата по СБП', sberPayTitle: 'Оплата через SberPay', walletTitle: 'Оплата через {name}', order: 'Заказ', recipient: 'Получатель', bank: 'Банк получателя', bic: 'БИК',
    account: 'Счёт получателя', reference: 'Назначение платежа', wallet: 'Тестовый кошелёк',
  },
  en: {
    sbpTitle: 'Pay with SBP (Faster Payments)', sberPayTitle: 'Pay with SberPay', walletTitle: 'Pay with {name}', order: 'Order', recipient: 'Beneficiary', bank: 'Beneficiary bank', bic: 'BIC',
    account: 'Account', reference: 'Payment reference', wallet: 'Test wallet',
  },
  uk: {
    sbpTitle: 'Оплата через СБП', sberPayTitle: 'Оплата через SberPay', walletTitle: 'Оплата через {name}', order: 'Замовлення', recipient: 'Отримувач', bank: 'Банк отримувача', bic: 'БІК',
    account: 'Рахунок отримувача', reference: 'Призначення платежу', wallet: 'Тестовий гаманець',
  },
  kk: {
    sbpTitle: 'СБП арқылы төлеу', sberPayTitle: 'SberPay арқылы төлеу', walletTitle: '{name} арқылы төлеу', order: 'Тапсырыс', recipient: 'Алушы', bank: 'Алушының банкі', bic: 'БСК',
    account: 'Алушының шоты', reference: 'Төлемнің мақсаты', wallet: 'Сынақ әмияны',
  },
  be: {
    sbpTitle: 'Аплата праз СБП', sberPayTitle: 'Аплата праз SberPay', walletTitle: 'Аплата праз {name}', order: 'Заказ', recipient: 'Атрымальнік', bank: 'Банк атрымальніка', bic: 'БІК',
    account: 'Рахунак атрымальніка', reference: 'Прызначэнне плацяжу', wallet: 'Тэставы кашалёк',
  },
  uz: {
    sbpTitle: 'SBP (tezkor toʻlovlar tizimi) orqali toʻlash', sberPayTitle: 'SberPay orqali toʻlash', walletTitle: '{name} orqali toʻlash', order: 'Buyurtma', recipient: 'Oluvchi', bank: 'Oluvchining banki', bic: 'BIK',
    account: 'Oluvchining hisob raqami', reference: 'Toʻlov maqsadi', wallet: 'Sinov hamyoni',
  },
  de: {
    sbpTitle: 'Mit SBP (Schnellzahlungssystem) bezahlen', sberPayTitle: 'Mit SberPay bezahlen', walletTitle: 'Mit {name} bezahlen', order: 'Bestellung', recipient: 'Empfänger', bank: 'Bank des Empfängers', bic: 'BIC',
    account: 'Konto des Empfängers', reference: 'Verwendungszweck', wallet: 'Test-Wallet',
  },
} as const satisfies Record<Language, Record<string, string>>;
