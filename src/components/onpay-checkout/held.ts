/**
 * A hold (a manual-capture payment, `authorized`; issue 25), in its own chunk: few buyers see it, so
 * the default module carries neither the message in every language nor the code that shows it. Like
 * the other chunks it imports nothing the main module has (the classic script loads this same chunk):
 * the element hands itself over.
 */
import type { Language } from '../../protocol/languages.ts';
import type { PaymentView } from '../../protocol/checkout-api.ts';

/** «The amount is held on the card; the shop charges it once it confirms the order», by language. */
export const HELD: Record<Language, string> = {
  ru: 'Сумма заблокирована на карте, магазин спишет её после подтверждения заказа',
  en: 'The amount is held on your card; the shop will charge it once the order is confirmed',
  uk: 'Суму заблоковано на картці, магазин спише її після підтвердження замовлення',
  kk: 'Сома картада бұғатталды, дүкен тапсырысты растағаннан кейін оны есептен шығарады',
  be: 'Сума заблакавана на картцы, крама спіша яе пасля пацвярджэння заказу',
  uz: 'Summa kartada bloklandi, doʻkon buyurtmani tasdiqlagach uni yechib oladi',
  de: 'Der Betrag ist auf Ihrer Karte reserviert; der Shop bucht ihn ab, sobald die Bestellung bestätigt ist',
};

/** What the chunk uses of the element (its private members, reached through this shape). */
export interface HeldHost extends HTMLElement {
  language: Language;
  finishing: boolean;
  setView(view: { name: 'done'; payment: PaymentView; status: 'authorized'; note: string }): void;
}

/**
 * Shows the done view with the hold's message in the element's language and fires
 * `onpay-authorized` (bubbling, composed, as every `onpay-*` event). The buyer stays: the shop
 * captures later; the done view links to url-success.
 */
export default function showHeld(el: HeldHost, payment: PaymentView): void {
  el.finishing = false;
  el.setView({ name: 'done', payment, status: 'authorized', note: HELD[el.language] });
  el.dispatchEvent(new CustomEvent('onpay-authorized', { detail: { id: payment.id, urlSuccess: payment.urlSuccess }, bubbles: true, composed: true }));
}
