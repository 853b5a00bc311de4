/**
 * The cabinet's words in Russian: the reference table. Every other language's table has exactly
 * these keys (the compiler checks the shape, test/cabinet-strings.test.ts checks it at run time).
 * `page` is what the server renders into the shell; `script` goes to /assets/cabinet.js in
 * `data-strings`. `{name}` marks a value the script fills in.
 */
export const ru = {
  page: {
      title: 'Кабинет продавца', noscript: 'Кабинету нужен JavaScript.', nav: 'Разделы кабинета',
      login: 'Вход', key: 'API-ключ кабинета', keyHint: 'Ключ отправляется один раз; дальше вход держит защищённая cookie сессии. Ключ в странице не хранится.', enter: 'Войти',
      overview: 'Обзор', payments: 'Платежи', linksNav: 'Ссылка на оплату', testNav: 'Проверка интеграции', settingsNav: 'Настройки',
      logout: 'Выйти', filters: 'Поиск и фильтры', status: 'Статус', any: 'Любой', search: 'Поиск',
      searchHint: 'Номер заказа, идентификатор платежа (pay_…), e-mail покупателя или сумма', way: 'Способ оплаты',
      from: 'Создан с', to: 'по', show: 'Показать', more: 'Показать ещё', empty: 'Платежей не найдено.',
      number: '№', order: 'Заказ', amount: 'Сумма', notification: 'Уведомление PAY', created: 'Создан',
      caption: 'Платежи, новые сверху', back: 'К списку платежей',
      exportTitle: 'Выгрузка CSV', encoding: 'Кодировка', separator: 'Разделитель', comma: 'запятая', semicolon: 'точка с запятой', download: 'Скачать CSV',
      details: 'Сведения', attempts: 'Попытки доставки', attemptsCaption: 'Попытки доставки последнего уведомления',
      at: 'Время', http: 'HTTP', duration: 'Длительность, мс', verdict: 'Итог', excerpt: 'Ответ магазина',
      resend: 'Отправить уведомление повторно', timeline: 'Хронология', closingReceipt: 'Выбить чек полного расчёта',
      receiptsSettings: 'Фискальные чеки: настройки receipts в JSON (пусто — выключены), см. docs/CONFIGURATION.md',
      refunds: 'Возвраты', refundAmount: 'Сумма возврата', refundReason: 'Причина возврата (обязательно)', refund: 'Вернуть деньги',
      setStatus: 'Изменить статус вручную', newStatus: 'Новый статус', reason: 'Причина (обязательно, до 500 символов)',
      actor: 'Кто меняет (необязательно)', save: 'Сохранить статус', locked: 'Статус этого платежа вручную изменить нельзя.',
      audit: 'Журнал ручных действий', auditCaption: 'Кто, когда и почему менял платёж', who: 'Кто', action: 'Действие', change: 'Изменение',
      why: 'Причина',
      period: 'Период', turnover: 'Оборот по дням', turnoverCaption: 'Зачислено по дням и валютам', day: 'День',
      chartLabel: 'График оборота по дням', byStatus: 'Платежи по статусам', byStatusCaption: 'Платежи, созданные за период, по статусам', count: 'Количество',
      conversion: 'Конверсия', delivery: 'Доставка уведомлений PAY', attention: 'Требует внимания', totals: 'Итого за период',
      linkTitle: 'Ссылка на оплату', price: 'Сумма', ticker: 'Валюта', payFor: 'Номер заказа', note: 'Комментарий (необязательно)',
      urlSuccess: 'Адрес после оплаты (необязательно)', urlFail: 'Адрес при отказе (необязательно)', lang: 'Язык формы', build: 'Сделать ссылку',
      linkUrl: 'Подписанная ссылка', snippet: 'Код элемента <onpay-checkout>', snippetUrl: 'Адрес HTML-фрагмента формы',
      linkHint: 'Подпись md5 делается на сервере: секретный ключ в браузер не попадает.',
      testTitle: 'Проверка интеграции', testIntro: 'Шлюз отправит на ваш API URL шесть запросов: верный CHECK, CHECK с неверной подписью, CHECK для неизвестного заказа, PAY, тот же PAY повторно и PAY с неверной подписью. Запросы помечены параметром onpay_ap_gwtest=1.',
      testPayFor: 'Тестовый заказ (необязательно)', testAmount: 'Его сумма (необязательно)', run: 'Запустить проверку',
      testCaption: 'Результаты проверки', caseName: 'Проверка', time: 'Время, мс', hint: 'Подсказка',
      settingsTitle: 'Настройки', notificationsOn: 'Отправлять уведомления CHECK и PAY', apiUrl: 'API URL', apiType: 'Тип API', apiMethod: 'Метод (API 1)',
      notifyStyle: 'Формат PAY', duplicates: 'Повторная оплата оплаченного заказа', duplicatesFlag: 'отметить и сообщить', duplicatesRefund: 'отметить и вернуть деньги', origins: 'Разрешённые адреса сайтов (по одному в строке)', saveSettings: 'Сохранить настройки',
      settingsAudit: 'Журнал настроек', settingsAuditCaption: 'Изменения настроек, ключей и проверки интеграции', details2: 'Подробности',
      rotateKey: 'Новый ключ кабинета', rotateKeyHint: 'Старый ключ и другие сессии перестанут работать сразу.', rotateKeyButton: 'Выпустить новый ключ кабинета',
      rotateSecret: 'Новый секретный ключ K', graceHours: 'Сколько часов принимать ответы со старым K', rotateSecretButton: 'Выпустить новый K',
      shownOnce: 'Показывается один раз — сохраните его сейчас.', warnings: 'Предупреждения', testMode: 'Тестовый режим',
  },
  script: {
      statuses: { created: 'Создан', checking: 'Проверка магазином', awaiting_payment: 'Ожидает оплаты', paid: 'Оплачен', rejected: 'Отклонён', failed: 'Не оплачен', expired: 'Истёк', partially_refunded: 'Частично возвращён', refunded: 'Возвращён' },
      notifications: { none: '—', pending: 'ожидает отправки', delivered: 'доставлено', retrying: 'повторяется', gave_up: 'не доставлено в API' },
      actions: { set_status: 'смена статуса', resend: 'повторная отправка', settings: 'настройки', rotate_cabinet_key: 'новый ключ кабинета', rotate_secret: 'новый K', integration_test: 'проверка интеграции', closing_receipt: 'чек полного расчёта' },
      kinds: { created: 'Создан', check_request: 'Запрос CHECK', check_answer: 'Ответ на CHECK', status: 'Статус', pay_written: 'Уведомление PAY', pay_attempt: 'Попытка PAY', manual: 'Вручную', paid_late: 'Оплачен с опозданием', refund: 'Возврат', provider_request: 'Запрос к платёжной системе', provider_notification: 'Уведомление платёжной системы', receipt: 'Чек' },
      attentionKinds: { duplicate: 'заказ оплачен повторно', gave_up: 'PAY не доставлено', amount_mismatch: 'сумма не совпала', provider_failed: 'отказ платёжной системы', receipt_failed: 'чек не зарегистрирован' },
      cases: { check_ok: 'Верный CHECK принят', check_bad_signature: 'CHECK с неверной подписью отклонён', check_unknown_order: 'CHECK неизвестного заказа отклонён', pay_ok: 'PAY принят', pay_repeat: 'Повторный PAY принят', pay_bad_signature: 'PAY с неверной подписью отклонён' },
      verdicts: { pass: 'пройдено', fail: 'ошибка', skipped: 'не выполнено' },
      closingDone: 'Чек полного расчёта: {status}.', receiptsInvalid: 'Настройки чеков — не JSON.',
      refundDone: 'Возврат оформлен: {amount} {ticker}.', refundPending: 'Возврат отправлен в платёжную систему: {amount} {ticker}.', refundedTotal: 'Возвращено: {refunded} из {amount} {ticker}.', refundStatuses: { pending: 'в обработке', succeeded: 'выполнен', failed: 'отказ' },
      day: 'День', manual: 'вручную', paidLate: 'оплачен с опозданием', paymentTitle: 'Платёж № {n}', loggedIn: 'Вы вошли как {name}.', loggedOut: 'Вы вышли.', loading: 'Загрузка…',
      shown: 'Показано платежей: {n}.', statusSet: 'Статус изменён: {status}.', resent: 'Уведомление поставлено в очередь на отправку.',
      badKey: 'Ключ не подошёл.', network: 'Сервер недоступен, попробуйте ещё раз.', noAttempts: 'Попыток ещё не было.', noAudit: 'Ручных действий не было.',
      warnings: {
        unsigned_unchecked: 'Внимание: ссылки на оплату не подписываются (md5 выключен) и CHECK не отправляется — кто угодно может создать заказ на любую сумму. Включите проверку md5 ссылок или CHECK.',
        short_secret: 'Внимание: секретный ключ K короче 16 символов — по одной подписанной ссылке его можно подобрать. Смените ключ (кнопка смены K ниже создаёт длинный).',
      },
      noNotification: 'Уведомление PAY не создавалось.', notificationState: 'Состояние: {state}. Попыток: {n}.',
      overviewShown: 'Обзор за период {from} — {to}.', noTurnover: 'За период оплат не было.', nothingToAttend: 'Всё в порядке: ничего не требует внимания.',
      conv: { created: 'Создано', paid: 'Оплачено', rate: 'Конверсия', duplicates: 'Повторные оплаты заказов', checkDeclined: 'Отказ магазина на CHECK', checkFailed: 'Сбой CHECK', failed: 'Не оплачено', expired: 'Истекло', waiting: 'Ожидают' },
      deliv: { pending: 'Ожидают отправки', retrying: 'Повторяются', gaveUp: 'Не доставлены в API', lastError: 'Последняя ошибка' },
      linkBuilt: 'Ссылка готова.', testDone: 'Проверка завершена: {n} из 6 пройдено.', testRunning: 'Проверка идёт…', settingsSaved: 'Настройки сохранены.',
      keyRotated: 'Новый ключ кабинета выпущен.', secretRotated: 'Новый K выпущен.', graceUntil: 'Старый K принимается до {t}.', request: 'Запрос', answer: 'Ответ', bytes: 'Байты',
      fields: { duplicateOf: 'Повторная оплата заказа, первый платёж', id: 'Идентификатор', payFor: 'Заказ', status: 'Статус', statusReason: 'Причина статуса', amount: 'К оплате', order: 'Сумма заказа', balance: 'Зачисляется', way: 'Способ оплаты', createdAt: 'Создан', paidAt: 'Оплачен', userEmail: 'E-mail покупателя', note: 'Комментарий' },
  },
};

/** The shape every language's table has: ru's keys, any words. */
type Words<T> = { [K in keyof T]: T[K] extends string ? string : Words<T[K]> };
export type CabinetMessages = Words<typeof ru>;
