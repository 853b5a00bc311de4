/** Every string the element shows, in Russian (default) and English. */
export const LOCALES = {
  ru: {
    loading: 'Загружаем форму оплаты…',
    order: 'Заказ',
    note: 'Комментарий',
    toPay: 'К оплате',
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
    instructions: 'Как оплатить',
    payBefore: 'Оплатите до',
    timeLeft: 'Осталось',
    copy: 'Копировать',
    copied: 'Скопировано',
    copyByHand: 'Выделено: скопируйте вручную',
    waiting: 'Ждём поступления денег. Страницу можно не обновлять.',
    redirecting: 'Оплата в платёжной системе',
    redirectHint: 'Завершите оплату в открывшемся окне.',
    popupBlocked: 'Окно оплаты не открылось. Откройте его кнопкой ниже.',
    close: 'Закрыть окно оплаты',
    openAgain: 'Открыть окно оплаты',
    paid: 'Оплата прошла',
    paidHint: 'Спасибо! Магазин получит уведомление об оплате.',
    failed: 'Оплата не прошла',
    expired: 'Срок оплаты истёк',
    rejected: 'Платёж отклонён',
    failedHint: 'Деньги не списаны. Можно попробовать ещё раз.',
    tryAgain: 'Оплатить снова',
    toShop: 'Вернуться в магазин',
    errors: {
      network: 'Платёжный шлюз недоступен. Проверьте соединение и повторите.',
      check_failed: 'Магазин не подтвердил платёж. Попробуйте чуть позже.',
      token_expired: 'Форма оплаты устарела, загрузите её снова.',
      config: 'Форма оплаты настроена неверно',
      other: 'Запрос отклонён',
    },
  },
  en: {
    loading: 'Loading the payment form…',
    order: 'Order',
    note: 'Comment',
    toPay: 'To pay',
    chooseWay: 'Payment method',
    amount: 'Amount',
    amountHint: 'For example, 150.00',
    amountInvalid: 'Enter an amount above zero with at most two decimals',
    email: 'E-mail for the receipt',
    cont: 'Continue',
    submitting: 'Creating the payment…',
    refused: 'The shop declined the payment',
    refusedHint: 'No payment was made and no money was taken.',
    back: 'Back',
    errorTitle: 'Something went wrong',
    retry: 'Try again',
    instructions: 'How to pay',
    payBefore: 'Pay before',
    timeLeft: 'Time left',
    copy: 'Copy',
    copied: 'Copied',
    copyByHand: 'Selected: copy it by hand',
    waiting: 'Waiting for the money to arrive. No need to reload the page.',
    redirecting: 'Paying with the payment system',
    redirectHint: 'Finish the payment in the window that opened.',
    popupBlocked: 'The payment window did not open. Open it with the button below.',
    close: 'Close the payment window',
    openAgain: 'Open the payment window',
    paid: 'Payment received',
    paidHint: 'Thank you! The shop will be told about the payment.',
    failed: 'Payment failed',
    expired: 'The payment deadline passed',
    rejected: 'Payment declined',
    failedHint: 'No money was taken. You can try again.',
    tryAgain: 'Pay again',
    toShop: 'Back to the shop',
    errors: {
      network: 'The payment gateway cannot be reached. Check the connection and try again.',
      check_failed: 'The shop did not confirm the payment. Try again a little later.',
      token_expired: 'The payment form has expired; load it again.',
      config: 'The payment form is misconfigured',
      other: 'The request was refused',
    },
  },
} as const;

export type Ln = keyof typeof LOCALES;
export type Strings = (typeof LOCALES)[Ln];

/** Formats a canonical amount text for display; the text itself is what is sent and compared. */
export function formatMoney(amount: string, ticker: string, ln: Ln): string {
  const value = Number(amount);
  const currency = ticker === 'RUR' ? 'RUB' : ticker;
  try {
    if (!['TST', 'CRD', 'QRW', 'YDX'].includes(ticker) && !/^WM/.test(ticker)) {
      return new Intl.NumberFormat(ln, { style: 'currency', currency }).format(value);
    }
  } catch {
    // An unknown code: fall through to the plain number and the code.
  }
  return `${new Intl.NumberFormat(ln, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)} ${ticker}`;
}
