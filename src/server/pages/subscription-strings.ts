/**
 * The words of the customer's subscription page (issue 26 item 4), in every language the pages
 * speak. The period's length is written by `Intl` (`1 месяц`, `2 недели`), which knows each
 * language's plural forms.
 */
import type { Language } from '../../protocol/languages.ts';
import type { SubscriptionStatus } from '../types.ts';

export interface SubscriptionPageStrings {
  title: string;
  amount: string;
  every: string;
  next: string;
  card: string;
  status: Record<SubscriptionStatus, string>;
  cancel: string;
  confirm: string;
  cancelled: string;
  invalid: string;
  expired: string;
}

export const SUBSCRIPTION_PAGE_STRINGS: Record<Language, SubscriptionPageStrings> = {
  ru: {
    title: 'Подписка', amount: 'Сумма списания', every: 'Периодичность', next: 'Следующее списание', card: 'Карта',
    status: { active: 'Действует', past_due: 'Не удалось списать оплату', cancelled: 'Отменена', completed: 'Завершена' },
    cancel: 'Отменить подписку', confirm: 'Дальнейшие списания прекратятся.', cancelled: 'Подписка отменена. Больше списаний не будет.',
    invalid: 'Ссылка недействительна. Запросите новую в магазине.', expired: 'Срок действия ссылки истёк. Запросите новую в магазине.',
  },
  en: {
    title: 'Subscription', amount: 'Amount charged', every: 'Every', next: 'Next charge', card: 'Card',
    status: { active: 'Active', past_due: 'The last payment failed', cancelled: 'Cancelled', completed: 'Completed' },
    cancel: 'Cancel the subscription', confirm: 'No further charges will be made.', cancelled: 'The subscription is cancelled. There will be no more charges.',
    invalid: 'This link is not valid. Ask the shop for a new one.', expired: 'This link has expired. Ask the shop for a new one.',
  },
  uk: {
    title: 'Підписка', amount: 'Сума списання', every: 'Періодичність', next: 'Наступне списання', card: 'Картка',
    status: { active: 'Діє', past_due: 'Не вдалося списати оплату', cancelled: 'Скасована', completed: 'Завершена' },
    cancel: 'Скасувати підписку', confirm: 'Подальші списання припиняться.', cancelled: 'Підписку скасовано. Більше списань не буде.',
    invalid: 'Посилання недійсне. Попросіть нове в магазині.', expired: 'Термін дії посилання минув. Попросіть нове в магазині.',
  },
  kk: {
    title: 'Жазылым', amount: 'Есептен шығарылатын сома', every: 'Кезеңділігі', next: 'Келесі есептен шығару', card: 'Карта',
    status: { active: 'Белсенді', past_due: 'Төлемді есептен шығару мүмкін болмады', cancelled: 'Бас тартылды', completed: 'Аяқталды' },
    cancel: 'Жазылымнан бас тарту', confirm: 'Бұдан әрі есептен шығару тоқтатылады.', cancelled: 'Жазылымнан бас тартылды. Бұдан былай есептен шығару болмайды.',
    invalid: 'Сілтеме жарамсыз. Дүкеннен жаңасын сұраңыз.', expired: 'Сілтеменің мерзімі өтіп кетті. Дүкеннен жаңасын сұраңыз.',
  },
  be: {
    title: 'Падпіска', amount: 'Сума спісання', every: 'Перыядычнасць', next: 'Наступнае спісанне', card: 'Картка',
    status: { active: 'Дзейнічае', past_due: 'Не ўдалося спісаць аплату', cancelled: 'Адменена', completed: 'Завершана' },
    cancel: 'Адмяніць падпіску', confirm: 'Далейшыя спісанні спыняцца.', cancelled: 'Падпіска адменена. Больш спісанняў не будзе.',
    invalid: 'Спасылка несапраўдная. Папытайце новую ў краме.', expired: 'Тэрмін дзеяння спасылкі скончыўся. Папытайце новую ў краме.',
  },
  uz: {
    title: 'Obuna', amount: 'Yechiladigan summa', every: 'Davriyligi', next: 'Keyingi yechish', card: 'Karta',
    status: { active: 'Faol', past_due: 'To‘lovni yechib bo‘lmadi', cancelled: 'Bekor qilingan', completed: 'Yakunlangan' },
    cancel: 'Obunani bekor qilish', confirm: 'Keyingi yechishlar to‘xtatiladi.', cancelled: 'Obuna bekor qilindi. Boshqa pul yechilmaydi.',
    invalid: 'Havola yaroqsiz. Do‘kondan yangisini so‘rang.', expired: 'Havolaning muddati tugagan. Do‘kondan yangisini so‘rang.',
  },
  de: {
    title: 'Abonnement', amount: 'Abbuchungsbetrag', every: 'Intervall', next: 'Nächste Abbuchung', card: 'Karte',
    status: { active: 'Aktiv', past_due: 'Die letzte Zahlung ist fehlgeschlagen', cancelled: 'Gekündigt', completed: 'Beendet' },
    cancel: 'Abonnement kündigen', confirm: 'Es werden keine weiteren Beträge abgebucht.', cancelled: 'Das Abonnement ist gekündigt. Es wird nichts mehr abgebucht.',
    invalid: 'Dieser Link ist ungültig. Bitten Sie den Shop um einen neuen.', expired: 'Dieser Link ist abgelaufen. Bitten Sie den Shop um einen neuen.',
  },
};
