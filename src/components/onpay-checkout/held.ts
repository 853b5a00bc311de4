/**
 * What the element says when the money is held (a manual-capture payment, `authorized`; issue 25),
 * in every language, in its own chunk: few buyers see it, so the default module does not carry it.
 */
import type { Language } from '../../protocol/languages.ts';

/** «The amount is held on the card; the shop charges it once it confirms the order», by language. */
const HELD: Record<Language, string> = {
  ru: 'Сумма заблокирована на карте, магазин спишет её после подтверждения заказа',
  en: 'The amount is held on your card; the shop will charge it once the order is confirmed',
  uk: 'Суму заблоковано на картці, магазин спише її після підтвердження замовлення',
  kk: 'Сома картада бұғатталды, дүкен тапсырысты растағаннан кейін оны есептен шығарады',
  be: 'Сума заблакавана на картцы, крама спіша яе пасля пацвярджэння заказу',
  uz: 'Summa kartada bloklandi, doʻkon buyurtmani tasdiqlagach uni yechib oladi',
  de: 'Der Betrag ist auf Ihrer Karte reserviert; der Shop bucht ihn ab, sobald die Bestellung bestätigt ist',
};

export default HELD;
