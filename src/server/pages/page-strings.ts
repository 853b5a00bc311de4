/**
 * The server pages' strings, one table per language (the hosted page, results, the sandbox card
 * page). `testMode` is the «Тестовый режим» badge of a test merchant's hosted page, as the element
 * words it.
 */
import type { FailureReason } from '../../protocol/checkout-api.ts';
import type { Language } from '../../protocol/languages.ts';

export const PAGE_STRINGS = {
  ru: {
    title: 'Оплата заказа', order: 'Заказ', amount: 'Сумма', choose: 'Способ оплаты', email: 'E-mail для чека',
    cont: 'Продолжить', error: 'Ошибка', instructions: 'Как оплатить', until: 'Оплатить до',
    paid: 'Платёж получен', failed: 'Платёж не прошёл', waiting: 'Ожидаем оплату', status: 'Статус платежа',
    held: 'Сумма заблокирована на карте, магазин спишет её после подтверждения заказа', voided: 'Блокировка снята, деньги не списаны',
    authorize: 'Авторизовать',
    refresh: 'Обновить статус', cardTitle: 'Тестовая платёжная система', card: 'Номер карты', pay: 'Оплатить',
    decline: 'Отклонить', expired: 'Срок оплаты истёк', rejected: 'Магазин отклонил платёж', note: 'Комментарий',
    another: 'Выбрать другой способ',
    toShop: 'Вернуться в магазин', testMode: 'Тестовый режим',
    checking: 'Проверяем оплату…', checkingNote: 'Платёжная система ещё не сообщила результат. Страница обновится сама.',
    notConfirmed: 'Оплата пока не подтверждена', notConfirmedNote: 'Если вы оплатили, магазин получит подтверждение, как только платёжная система его пришлёт.',
    backToPay: 'Вернуться к оплате', tryOther: 'Попробовать другой способ', again: 'Проверить ещё раз',
  },
  en: {
    title: 'Order payment', order: 'Order', amount: 'Amount', choose: 'Payment method', email: 'E-mail for the receipt',
    cont: 'Continue', error: 'Error', instructions: 'How to pay', until: 'Pay before',
    paid: 'Payment received', failed: 'Payment failed', waiting: 'Waiting for the payment', status: 'Payment status',
    held: 'The amount is held on your card; the shop will charge it once the order is confirmed', voided: 'The hold was released; nothing was charged',
    authorize: 'Authorize',
    refresh: 'Refresh the status', cardTitle: 'Test payment system', card: 'Card number', pay: 'Pay',
    decline: 'Decline', expired: 'The payment deadline passed', rejected: 'The shop declined the payment', note: 'Comment',
    another: 'Choose another method',
    toShop: 'Back to the shop', testMode: 'Test mode',
    checking: 'Checking the payment…', checkingNote: 'The payment system has not reported the outcome yet. This page refreshes by itself.',
    notConfirmed: 'The payment is not confirmed yet', notConfirmedNote: 'If you have paid, the shop will be told as soon as the payment system confirms it.',
    backToPay: 'Back to the payment', tryOther: 'Try another method', again: 'Check again',
  },
  uk: {
    title: 'Оплата замовлення', order: 'Замовлення', amount: 'Сума', choose: 'Спосіб оплати', email: 'E-mail для чека',
    cont: 'Продовжити', error: 'Помилка', instructions: 'Як сплатити', until: 'Сплатити до',
    paid: 'Платіж отримано', failed: 'Платіж не пройшов', waiting: 'Очікуємо оплату', status: 'Статус платежу',
    held: 'Суму заблоковано на картці, магазин спише її після підтвердження замовлення', voided: 'Блокування знято, гроші не списано',
    authorize: 'Авторизувати',
    refresh: 'Оновити статус', cardTitle: 'Тестова платіжна система', card: 'Номер картки', pay: 'Сплатити',
    decline: 'Відхилити', expired: 'Термін оплати минув', rejected: 'Магазин відхилив платіж', note: 'Коментар',
    another: 'Обрати інший спосіб',
    toShop: 'Повернутися до магазину', testMode: 'Тестовий режим',
    checking: 'Перевіряємо оплату…', checkingNote: 'Платіжна система ще не повідомила результат. Сторінка оновиться сама.', notConfirmed: 'Оплату ще не підтверджено', notConfirmedNote: 'Якщо ви сплатили, магазин отримає підтвердження, щойно платіжна система його надішле.', backToPay: 'Повернутися до оплати', tryOther: 'Спробувати інший спосіб', again: 'Перевірити ще раз',
  },
  kk: {
    title: 'Тапсырысты төлеу', order: 'Тапсырыс', amount: 'Сома', choose: 'Төлем тәсілі', email: 'Чекке арналған e-mail',
    cont: 'Жалғастыру', error: 'Қате', instructions: 'Қалай төлеу керек', until: 'Мына уақытқа дейін төлеу',
    paid: 'Төлем алынды', failed: 'Төлем өтпеді', waiting: 'Төлемді күтудеміз', status: 'Төлем күйі',
    held: 'Сома картада бұғатталды, дүкен тапсырысты растағаннан кейін оны есептен шығарады', voided: 'Бұғаттау алынды, ақша есептен шығарылмады',
    authorize: 'Авторизациялау',
    refresh: 'Күйді жаңарту', cardTitle: 'Сынақ төлем жүйесі', card: 'Карта нөмірі', pay: 'Төлеу',
    decline: 'Бас тарту', expired: 'Төлем мерзімі өтіп кетті', rejected: 'Дүкен төлемді қабылдамады', note: 'Түсініктеме',
    another: 'Басқа тәсілді таңдау',
    toShop: 'Дүкенге оралу', testMode: 'Сынақ режимі',
    checking: 'Төлемді тексеріп жатырмыз…', checkingNote: 'Төлем жүйесі нәтижені әлі хабарламады. Бет өзі жаңарады.', notConfirmed: 'Төлем әлі расталмады', notConfirmedNote: 'Төлеген болсаңыз, төлем жүйесі растаған бойда дүкен хабардар болады.', backToPay: 'Төлемге оралу', tryOther: 'Басқа тәсілді таңдау', again: 'Қайта тексеру',
  },
  be: {
    title: 'Аплата заказу', order: 'Заказ', amount: 'Сума', choose: 'Спосаб аплаты', email: 'E-mail для чэка',
    cont: 'Працягнуць', error: 'Памылка', instructions: 'Як аплаціць', until: 'Аплаціць да',
    paid: 'Плацёж атрыманы', failed: 'Плацёж не прайшоў', waiting: 'Чакаем аплату', status: 'Статус плацяжу',
    held: 'Сума заблакавана на картцы, крама спіша яе пасля пацвярджэння заказу', voided: 'Блакіроўка знята, грошы не спісаны',
    authorize: 'Аўтарызаваць',
    refresh: 'Абнавіць статус', cardTitle: 'Тэставая плацежная сістэма', card: 'Нумар карткі', pay: 'Аплаціць',
    decline: 'Адхіліць', expired: 'Тэрмін аплаты скончыўся', rejected: 'Крама адхіліла плацёж', note: 'Каментарый',
    another: 'Выбраць іншы спосаб',
    toShop: 'Вярнуцца ў краму', testMode: 'Тэставы рэжым',
    checking: 'Правяраем аплату…', checkingNote: 'Плацежная сістэма яшчэ не паведаміла вынік. Старонка абновіцца сама.', notConfirmed: 'Аплата пакуль не пацверджана', notConfirmedNote: 'Калі вы аплацілі, крама атрымае пацверджанне, як толькі плацежная сістэма яго дашле.', backToPay: 'Вярнуцца да аплаты', tryOther: 'Паспрабаваць іншы спосаб', again: 'Праверыць яшчэ раз',
  },
  uz: {
    title: 'Buyurtma toʻlovi', order: 'Buyurtma', amount: 'Summa', choose: 'Toʻlov usuli', email: 'Chek uchun e-mail',
    cont: 'Davom etish', error: 'Xato', instructions: 'Qanday toʻlash kerak', until: 'Shu muddatgacha toʻlang',
    paid: 'Toʻlov qabul qilindi', failed: 'Toʻlov oʻtmadi', waiting: 'Toʻlovni kutyapmiz', status: 'Toʻlov holati',
    held: 'Summa kartada bloklandi, doʻkon buyurtmani tasdiqlagach uni yechib oladi', voided: 'Blok olib tashlandi, pul yechilmadi',
    authorize: 'Avtorizatsiya qilish',
    refresh: 'Holatni yangilash', cardTitle: 'Sinov toʻlov tizimi', card: 'Karta raqami', pay: 'Toʻlash',
    decline: 'Rad etish', expired: 'Toʻlov muddati tugadi', rejected: 'Doʻkon toʻlovni rad etdi', note: 'Izoh',
    another: 'Boshqa usulni tanlash',
    toShop: 'Doʻkonga qaytish', testMode: 'Sinov rejimi',
    checking: 'Toʻlovni tekshiryapmiz…', checkingNote: 'Toʻlov tizimi hali natijani xabar qilmadi. Sahifa oʻzi yangilanadi.', notConfirmed: 'Toʻlov hali tasdiqlanmadi', notConfirmedNote: 'Agar toʻlagan boʻlsangiz, toʻlov tizimi tasdiqlashi bilan doʻkon xabar oladi.', backToPay: 'Toʻlovga qaytish', tryOther: 'Boshqa usulni sinash', again: 'Yana tekshirish',
  },
  de: {
    title: 'Bestellung bezahlen', order: 'Bestellung', amount: 'Betrag', choose: 'Zahlungsart', email: 'E-Mail für den Beleg',
    cont: 'Weiter', error: 'Fehler', instructions: 'So bezahlen Sie', until: 'Zahlen bis',
    paid: 'Zahlung eingegangen', failed: 'Zahlung fehlgeschlagen', waiting: 'Warten auf die Zahlung', status: 'Zahlungsstatus',
    held: 'Der Betrag ist auf Ihrer Karte reserviert; der Shop bucht ihn ab, sobald die Bestellung bestätigt ist', voided: 'Die Reservierung wurde aufgehoben; nichts wurde abgebucht',
    authorize: 'Autorisieren',
    refresh: 'Status aktualisieren', cardTitle: 'Test-Zahlungssystem', card: 'Kartennummer', pay: 'Bezahlen',
    decline: 'Ablehnen', expired: 'Die Zahlungsfrist ist abgelaufen', rejected: 'Der Shop hat die Zahlung abgelehnt', note: 'Kommentar',
    another: 'Andere Zahlungsart wählen',
    toShop: 'Zurück zum Shop', testMode: 'Testmodus',
    checking: 'Zahlung wird geprüft…', checkingNote: 'Das Zahlungssystem hat das Ergebnis noch nicht gemeldet. Die Seite aktualisiert sich selbst.', notConfirmed: 'Die Zahlung ist noch nicht bestätigt', notConfirmedNote: 'Wenn Sie bezahlt haben, erfährt es der Shop, sobald das Zahlungssystem es bestätigt.', backToPay: 'Zurück zur Zahlung', tryOther: 'Andere Zahlungsart wählen', again: 'Erneut prüfen',
  },
} as const satisfies Record<Language, Record<string, string>>;

const FAILURE_RU: Record<FailureReason, string> = {
  declined: 'Банк отклонил платёж.',
  insufficient_funds: 'Недостаточно средств на карте.',
  '3ds_failed': 'Не пройдена проверка 3-D Secure.',
  expired: 'Срок оплаты истёк.',
  check_declined: 'Магазин отклонил платёж.',
  check_failed: 'Магазин не подтвердил платёж. Попробуйте позже.',
  provider_error: 'Платёжная система не приняла платёж.',
  abandoned: 'Вы выбрали другой способ оплаты.',
  cancelled: 'Платёж отменён.',
  unknown: 'Платёж не прошёл.',
};

const FAILURE_EN: Record<FailureReason, string> = {
  declined: 'The bank declined the payment.',
  insufficient_funds: 'There are not enough funds on the card.',
  '3ds_failed': 'The 3-D Secure check was not passed.',
  expired: 'The payment deadline passed.',
  check_declined: 'The shop declined the payment.',
  check_failed: 'The shop did not confirm the payment. Try again later.',
  provider_error: 'The payment system refused the payment.',
  abandoned: 'You chose another payment method.',
  cancelled: 'The payment was cancelled.',
  unknown: 'The payment failed.',
};

/**
 * Why a payment failed, as the pages word it: ru and en written out; the other languages fall back
 * to Russian (uk, kk, be, uz: buyers of Russian-speaking shops) or English (de).
 */
export const FAILURE_TEXT: Record<Language, Record<FailureReason, string>> = {
  ru: FAILURE_RU, en: FAILURE_EN, uk: FAILURE_RU, kk: FAILURE_RU, be: FAILURE_RU, uz: FAILURE_RU, de: FAILURE_EN,
};
