/**
 * The words of the consent to save a payment method (issue 26), in every language: the element and
 * the hosted page show them, and the gateway stores the ones shown with the consent. Kept in one
 * table so that what is stored is what was shown, byte for byte.
 */
import type { Language } from './languages.ts';

/** `optional`: the box the buyer may tick; `required`: the condition stated (`save_method=required`); `card`: a saved card's label. */
export interface SaveConsentWords {
  optional: string;
  required: string;
  /** `{last4}` is replaced by the card's last four digits. */
  card: string;
  /** The saved cards' group, offered first to a returning customer. */
  saved: string;
  /** The group's choice of paying another way (a new card included). */
  other: string;
}

export const SAVE_CONSENT_WORDS: Record<Language, SaveConsentWords> = {
  ru: { optional: 'Сохранить карту для следующих оплат', required: 'Карта будет сохранена для следующих оплат: это условие подписки', card: 'Карта •••• {last4}', saved: 'Оплатить сохранённой картой', other: 'Другой картой или способом' },
  en: { optional: 'Save the card for future payments', required: 'The card will be saved for future payments: this is a condition of the subscription', card: 'Card •••• {last4}', saved: 'Pay with a saved card', other: 'Another card or way' },
  uk: { optional: 'Зберегти картку для наступних оплат', required: 'Картку буде збережено для наступних оплат: це умова підписки', card: 'Картка •••• {last4}', saved: 'Оплатити збереженою карткою', other: 'Іншою карткою або способом' },
  kk: { optional: 'Картаны келесі төлемдер үшін сақтау', required: 'Карта келесі төлемдер үшін сақталады: бұл жазылымның шарты', card: 'Карта •••• {last4}', saved: 'Сақталған картамен төлеу', other: 'Басқа картамен немесе тәсілмен' },
  be: { optional: 'Захаваць картку для наступных аплат', required: 'Картка будзе захавана для наступных аплат: гэта ўмова падпіскі', card: 'Картка •••• {last4}', saved: 'Аплаціць захаванай карткай', other: 'Іншай карткай або спосабам' },
  uz: { optional: 'Kartani keyingi toʻlovlar uchun saqlash', required: 'Karta keyingi toʻlovlar uchun saqlanadi: bu obuna sharti', card: 'Karta •••• {last4}', saved: 'Saqlangan karta bilan toʻlash', other: 'Boshqa karta yoki usul bilan' },
  de: { optional: 'Karte für künftige Zahlungen speichern', required: 'Die Karte wird für künftige Zahlungen gespeichert: eine Bedingung des Abonnements', card: 'Karte •••• {last4}', saved: 'Mit einer gespeicherten Karte zahlen', other: 'Andere Karte oder Zahlungsart' },
};

/** The consent sentence shown for a link's `save_method` in a language. */
export const consentText = (ln: Language, kind: 'optional' | 'required'): string => SAVE_CONSENT_WORDS[ln][kind];

/** A saved card's label («Карта •••• 4242»). */
export const savedCardLabel = (ln: Language, last4: string): string => SAVE_CONSENT_WORDS[ln].card.replace('{last4}', last4);
