/**
 * Russian, the default and the fallback of the post-Soviet languages: bundled in the main module.
 * Placeholders are ICU-style: `{value}`, and `{count, plural, one {…} few {…} many {…} other {…}}`
 * with `#` for the number, the form chosen by `Intl.PluralRules`.
 */
export default {
  loading: 'Загружаем форму оплаты…',
  order: 'Заказ',
  note: 'Комментарий',
  items: 'Состав заказа',
  toPay: 'К оплате',
  fee: 'Включая комиссию {fee}',
  feeShop: 'Комиссию платит магазин',
  chooseWay: 'Способ оплаты',
  amount: 'Сумма',
  amountHint: 'Например, 150.00',
  amountInvalid: 'Введите сумму больше нуля, не больше двух знаков после точки',
  email: 'E-mail для чека',
  cont: 'Продолжить',
  submitting: 'Создаём платёж…',
  refused: 'Магазин отклонил платёж',
  refusedHint: 'Платёж не состоялся, деньги не списаны.',
  back: 'Назад',
  errorTitle: 'Не получилось',
  retry: 'Повторить',
  paid: 'Оплата прошла',
  paidHint: 'Спасибо! Магазин получит уведомление об оплате.',
  toShop: 'Вернуться в магазин',
  testMode: 'Тестовый режим',
  'errors.network': 'Платёжный шлюз недоступен. Проверьте соединение и повторите.',
  'errors.check_failed': 'Магазин не подтвердил платёж.',
  'errors.token_expired': 'Форма оплаты устарела, загрузите её снова.',
  'errors.config': 'Форма оплаты настроена неверно',
  'errors.other': 'Запрос отклонён',
};
