/** The server pages' strings in the languages beside ru and en (pages.ts holds those two). */
export const MORE_PAGE_STRINGS = {
  uk: {
    title: 'Оплата замовлення', order: 'Замовлення', amount: 'Сума', choose: 'Спосіб оплати', email: 'E-mail для чека',
    cont: 'Продовжити', error: 'Помилка', instructions: 'Як сплатити', until: 'Сплатити до',
    paid: 'Платіж отримано', failed: 'Платіж не пройшов', waiting: 'Очікуємо оплату', status: 'Статус платежу',
    refresh: 'Оновити статус', cardTitle: 'Тестова платіжна система', card: 'Номер картки', pay: 'Сплатити',
    decline: 'Відхилити', expired: 'Термін оплати минув', rejected: 'Магазин відхилив платіж', note: 'Коментар',
    toShop: 'Повернутися до магазину', another: 'Обрати інший спосіб',
  },
  kk: {
    title: 'Тапсырысты төлеу', order: 'Тапсырыс', amount: 'Сома', choose: 'Төлем тәсілі', email: 'Чекке арналған e-mail',
    cont: 'Жалғастыру', error: 'Қате', instructions: 'Қалай төлеу керек', until: 'Мына уақытқа дейін төлеу',
    paid: 'Төлем алынды', failed: 'Төлем өтпеді', waiting: 'Төлемді күтудеміз', status: 'Төлем күйі',
    refresh: 'Күйді жаңарту', cardTitle: 'Сынақ төлем жүйесі', card: 'Карта нөмірі', pay: 'Төлеу',
    decline: 'Бас тарту', expired: 'Төлем мерзімі өтіп кетті', rejected: 'Дүкен төлемді қабылдамады', note: 'Түсініктеме',
    toShop: 'Дүкенге оралу', another: 'Басқа тәсілді таңдау',
  },
  be: {
    title: 'Аплата заказу', order: 'Заказ', amount: 'Сума', choose: 'Спосаб аплаты', email: 'E-mail для чэка',
    cont: 'Працягнуць', error: 'Памылка', instructions: 'Як аплаціць', until: 'Аплаціць да',
    paid: 'Плацёж атрыманы', failed: 'Плацёж не прайшоў', waiting: 'Чакаем аплату', status: 'Статус плацяжу',
    refresh: 'Абнавіць статус', cardTitle: 'Тэставая плацежная сістэма', card: 'Нумар карткі', pay: 'Аплаціць',
    decline: 'Адхіліць', expired: 'Тэрмін аплаты скончыўся', rejected: 'Крама адхіліла плацёж', note: 'Каментарый',
    toShop: 'Вярнуцца ў краму', another: 'Выбраць іншы спосаб',
  },
  uz: {
    title: 'Buyurtma toʻlovi', order: 'Buyurtma', amount: 'Summa', choose: 'Toʻlov usuli', email: 'Chek uchun e-mail',
    cont: 'Davom etish', error: 'Xato', instructions: 'Qanday toʻlash kerak', until: 'Shu muddatgacha toʻlang',
    paid: 'Toʻlov qabul qilindi', failed: 'Toʻlov oʻtmadi', waiting: 'Toʻlovni kutyapmiz', status: 'Toʻlov holati',
    refresh: 'Holatni yangilash', cardTitle: 'Sinov toʻlov tizimi', card: 'Karta raqami', pay: 'Toʻlash',
    decline: 'Rad etish', expired: 'Toʻlov muddati tugadi', rejected: 'Doʻkon toʻlovni rad etdi', note: 'Izoh',
    toShop: 'Doʻkonga qaytish', another: 'Boshqa usulni tanlash',
  },
  de: {
    title: 'Bestellung bezahlen', order: 'Bestellung', amount: 'Betrag', choose: 'Zahlungsart', email: 'E-Mail für den Beleg',
    cont: 'Weiter', error: 'Fehler', instructions: 'So bezahlen Sie', until: 'Zahlen bis',
    paid: 'Zahlung eingegangen', failed: 'Zahlung fehlgeschlagen', waiting: 'Warten auf die Zahlung', status: 'Zahlungsstatus',
    refresh: 'Status aktualisieren', cardTitle: 'Test-Zahlungssystem', card: 'Kartennummer', pay: 'Bezahlen',
    decline: 'Ablehnen', expired: 'Die Zahlungsfrist ist abgelaufen', rejected: 'Der Shop hat die Zahlung abgelehnt', note: 'Kommentar',
    toShop: 'Zurück zum Shop', another: 'Andere Zahlungsart wählen',
  },
} as const;
