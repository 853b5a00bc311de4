/**
 * An offline CloudPayments, from its public API documentation (developers.cloudpayments.ru; see
 * README.md): a real HTTP server with the API endpoints the connector uses (HTTP Basic
 * `publicId:apiSecret`, the `{Success, Message, Model}` envelope, `X-Request-ID` idempotency kept for
 * an hour), the hosted order page with CloudPayments' published test cards, and notifications
 * Check → Pay | Fail and Refund signed with `Content-HMAC` and `X-Content-HMAC`, retried until
 * answered `{"code":0}`. Switches drop or forge notifications and make the API slow, down, garbage,
 * HTML or an error. For tests, the demo and shops working offline; not for production.
 *
 * @example
 * const cp = await startCloudPaymentsEmulator({ publicId: 'pk_test', apiSecret: 'secret',
 *   notify: { check: url + '?kind=check', pay: url + '?kind=pay', fail: url + '?kind=fail', refund: url + '?kind=refund' } });
 * // provider config: { id: 'cp', type: 'cloudpayments', publicId: 'pk_test', apiSecret: 'secret', apiUrl: cp.url }
 * await cp.close();
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { contentHmac, formatCpAmount, jsonBody, parseCpAmount, parseJsonExact, type RawNumber } from './transform.ts';

export type NotifyKind = 'check' | 'pay' | 'fail' | 'refund';

/** How the API misbehaves (the hosted page and notifications are not affected). */
export type ApiFault = 'none' | 'slow' | 'down' | 'garbage' | 'html' | 'error' | 'http500';

export interface CloudPaymentsEmulatorOptions {
  publicId: string;
  apiSecret: string;
  host?: string;
  port?: number;
  /** Notification addresses as set in CloudPayments' dashboard, one per type. */
  notify?: Partial<Record<NotifyKind, string>>;
  /** CloudPayments' own format is a form (application/x-www-form-urlencoded); JSON is the other choice. */
  format?: 'form' | 'json';
  /**
   * Delays before the 2nd, 3rd, … attempt of a Pay / Fail / Refund that was not answered `{"code":0}`.
   * The documentation copy we had does not give the schedule: this default is an assumption (README).
   */
  retryDelaysMs?: readonly number[];
  /** Runs `fn` after `delayMs`; tests pass one that runs at once or on demand. */
  schedule?: (fn: () => void, delayMs: number) => void;
  now?: () => number;
  /** Deadline of one notification request. */
  notifyTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface EmulatedOrder {
  id: string;
  number: number;
  amountMinor: bigint;
  currency: string;
  description: string;
  email: string;
  invoiceId: string;
  accountId: string;
  successRedirectUrl: string;
  failRedirectUrl: string;
  status: 'Created' | 'Paid' | 'Cancelled';
  url: string;
  createdAt: number;
}

export interface EmulatedTransaction {
  transactionId: number;
  type: 0 | 1;
  orderId: string;
  invoiceId: string;
  amountMinor: bigint;
  currency: string;
  status: 'AwaitingAuthentication' | 'Completed' | 'Declined';
  reason: string;
  reasonCode: number;
  cardFirstSix: string;
  cardLastFour: string;
  cardType: string;
  refundedMinor: bigint;
  originalTransactionId: number | null;
  email: string;
  description: string;
  createdAt: number;
}

/** One notification attempt, as the emulator saw it. */
export interface Delivery {
  kind: NotifyKind;
  url: string;
  body: string;
  headers: Record<string, string>;
  attempt: number;
  /** HTTP status, or null when there was no answer. */
  status: number | null;
  answer: string;
  accepted: boolean;
}

export interface PayResult {
  outcome: 'paid' | 'declined';
  transactionId: number;
  reasonCode: number;
  /** Where the buyer is sent next (SuccessRedirectUrl / FailRedirectUrl), if the order has one. */
  redirectUrl: string;
}

export interface CloudPaymentsEmulator {
  /** Base URL of the API and the hosted pages (`apiUrl` of the provider entry). */
  readonly url: string;
  readonly orders: Map<string, EmulatedOrder>;
  readonly transactions: EmulatedTransaction[];
  readonly deliveries: Delivery[];
  /** Switches, changed by tests at any time. */
  faults: { api: ApiFault; slowMs: number; dropNotifications: boolean; forgeNotifications: boolean };
  notify: Partial<Record<NotifyKind, string>>;
  /** Pays an order with a card, as the hosted page does. */
  pay(orderId: string, cardNumber: string): Promise<PayResult>;
  /** Waits until no notification request is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** CloudPayments' published test cards («Testing»); 3-D Secure is passed at once here. */
export const TEST_CARDS: Readonly<Record<string, { type: string; result: 'success' | 'insufficient_funds'; threeDs: boolean }>> = {
  '4242424242424242': { type: 'Visa', result: 'success', threeDs: true },
  '5555555555554444': { type: 'MasterCard', result: 'success', threeDs: true },
  '4012888888881881': { type: 'Visa', result: 'insufficient_funds', threeDs: true },
  '5105105105105100': { type: 'MasterCard', result: 'insufficient_funds', threeDs: true },
  '4111111111111111': { type: 'Visa', result: 'success', threeDs: false },
  '5200828282828210': { type: 'MasterCard', result: 'success', threeDs: false },
  '4000056655665556': { type: 'Visa', result: 'insufficient_funds', threeDs: false },
  '5404000000000043': { type: 'MasterCard', result: 'insufficient_funds', threeDs: false },
};

const DEFAULT_RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 60 * 60_000, 2 * 60 * 60_000, 6 * 60 * 60_000, 12 * 60 * 60_000, 24 * 60 * 60_000];
const IDEMPOTENCY_TTL_MS = 60 * 60 * 1000;
const CURRENCIES = new Set(['RUB', 'EUR', 'USD', 'GBP', 'UAH', 'BYN', 'KZT', 'AZN', 'CHF', 'CZK', 'CAD', 'PLN', 'SEK', 'TRY', 'CNY', 'INR', 'BRL', 'ZAR', 'UZS', 'BGN', 'RON', 'AUD', 'HKD', 'GEL', 'KGS', 'AMD', 'AED']);
/** How CloudPayments records a Check answer in the declined transaction («Check notification processing responses»). */
const CHECK_REASONS: Record<number, [number, string]> = {
  10: [3001, 'InvalidInvoiceId'],
  11: [3002, 'InvalidAccountId'],
  12: [3003, 'InvalidAmount'],
  20: [3004, 'OutOfDate'],
  13: [3008, 'NotAccepted'],
};

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function utcDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Starts the emulator on loopback (a free port unless `port` is given). */
export async function startCloudPaymentsEmulator(options: CloudPaymentsEmulatorOptions): Promise<CloudPaymentsEmulator> {
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? ((fn, ms) => setTimeout(fn, ms).unref());
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const doFetch = options.fetch ?? fetch;
  const format = options.format ?? 'form';
  const orders = new Map<string, EmulatedOrder>();
  const transactions: EmulatedTransaction[] = [];
  const deliveries: Delivery[] = [];
  const idempotent = new Map<string, { at: number; status: number; body: string }>();
  const inFlight = new Set<Promise<unknown>>();
  const sockets = new Set<Socket>();
  let orderNumber = 0;
  let nextTransactionId = 1000;
  let baseUrl = '';
  const expectedAuth = Buffer.from(`Basic ${Buffer.from(`${options.publicId}:${options.apiSecret}`).toString('base64')}`);

  const emulator: CloudPaymentsEmulator = {
    get url() {
      return baseUrl;
    },
    orders,
    transactions,
    deliveries,
    faults: { api: 'none', slowMs: 30_000, dropNotifications: false, forgeNotifications: false },
    notify: { ...(options.notify ?? {}) },
    pay,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  // --- notifications ---------------------------------------------------------------------------

  function encodeBody(fields: Record<string, string | RawNumber>): { body: string; decoded: string; contentType: string } {
    if (format === 'json') {
      const body = jsonBody(fields);
      return { body, decoded: body, contentType: 'application/json' };
    }
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) params.append(k, typeof v === 'string' ? v : v.raw);
    const body = params.toString();
    // X-Content-HMAC is computed over the URL-decoded parameters (the documentation's «Notification Validation»).
    const decoded = [...params].map(([k, v]) => `${k}=${v}`).join('&');
    return { body, decoded, contentType: 'application/x-www-form-urlencoded' };
  }

  async function sendOnce(kind: NotifyKind, url: string, fields: Record<string, string | RawNumber>, attempt: number): Promise<Delivery> {
    const { body, decoded, contentType } = encodeBody(fields);
    const key = emulator.faults.forgeNotifications ? `forged-${options.apiSecret}` : options.apiSecret;
    const headers: Record<string, string> = {
      'content-type': `${contentType}; charset=utf-8`,
      'content-hmac': contentHmac(key, body),
      'x-content-hmac': contentHmac(key, decoded),
    };
    const record: Delivery = { kind, url, body, headers, attempt, status: null, answer: '', accepted: false };
    try {
      const r = await doFetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.notifyTimeoutMs ?? 10_000) });
      record.status = r.status;
      record.answer = (await r.text()).slice(0, 2000);
      const parsed = parseJsonExact(record.answer);
      record.accepted = r.status === 200 && parsed !== null && typeof parsed === 'object' && (parsed as Record<string, unknown>).code === '0';
    } catch (e) {
      record.answer = e instanceof Error ? e.message : String(e);
    }
    deliveries.push(record);
    return record;
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  }

  /** Pay / Fail / Refund: sent until answered `{"code":0}`, on the retry schedule. */
  function deliver(kind: Exclude<NotifyKind, 'check'>, fields: Record<string, string | RawNumber>, attempt = 1): void {
    const url = emulator.notify[kind];
    if (!url || emulator.faults.dropNotifications) return;
    void track(
      sendOnce(kind, url, fields, attempt).then((d) => {
        if (d.accepted) return;
        const delay = retryDelays[attempt - 1];
        if (delay !== undefined) schedule(() => deliver(kind, fields, attempt + 1), delay);
      }),
    );
  }

  function transactionFields(tx: EmulatedTransaction, order: EmulatedOrder): Record<string, string | RawNumber> {
    return {
      TransactionId: { raw: String(tx.transactionId) },
      Amount: { raw: formatCpAmount(tx.amountMinor) },
      Currency: tx.currency,
      PaymentAmount: { raw: formatCpAmount(tx.amountMinor) },
      PaymentCurrency: tx.currency,
      DateTime: utcDateTime(tx.createdAt),
      CardFirstSix: tx.cardFirstSix,
      CardLastFour: tx.cardLastFour,
      CardType: tx.cardType,
      CardExpDate: '12/30',
      TestMode: { raw: '1' },
      Status: tx.status === 'Completed' ? 'Completed' : tx.status,
      OperationType: 'Payment',
      InvoiceId: order.invoiceId,
      AccountId: order.accountId,
      Email: order.email,
      Description: order.description,
      IpAddress: '127.0.0.1',
    };
  }

  // --- paying ------------------------------------------------------------------------------------

  async function pay(orderId: string, cardNumber: string): Promise<PayResult> {
    const order = orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    if (order.status !== 'Created') throw new Error(`order ${orderId} is ${order.status}`);
    const digits = cardNumber.replace(/\D/g, '');
    if (digits.length < 13 || digits.length > 19 || !luhn(digits)) throw new Error('invalid card number');
    // Test mode: a card not in the table (a real one) succeeds, as CloudPayments' test mode does.
    const card = TEST_CARDS[digits] ?? { type: digits.startsWith('5') ? 'MasterCard' : digits.startsWith('2') ? 'MIR' : 'Visa', result: 'success' as const, threeDs: false };
    const tx: EmulatedTransaction = {
      transactionId: nextTransactionId++,
      type: 0,
      orderId,
      invoiceId: order.invoiceId,
      amountMinor: order.amountMinor,
      currency: order.currency,
      status: 'AwaitingAuthentication',
      reason: '',
      reasonCode: 0,
      cardFirstSix: digits.slice(0, 6),
      cardLastFour: digits.slice(-4),
      cardType: card.type,
      refundedMinor: 0n,
      originalTransactionId: null,
      email: order.email,
      description: order.description,
      createdAt: now(),
    };
    transactions.push(tx);

    // Check: once, before authorisation; no answer or a non-zero code declines the payment.
    const checkUrl = emulator.notify.check;
    if (checkUrl && !emulator.faults.dropNotifications) {
      const d = await track(sendOnce('check', checkUrl, { ...transactionFields(tx, order), Status: 'Completed' }, 1));
      if (!d.accepted) {
        const parsed = parseJsonExact(d.answer);
        const code = parsed !== null && typeof parsed === 'object' ? Number((parsed as Record<string, unknown>).code) : NaN;
        const [reasonCode, reason] = d.status === 200 ? CHECK_REASONS[code] ?? [3005, 'FormatError'] : d.status === null ? [3006, 'Unavailable'] : [3007, 'UnableToConnect'];
        return decline(tx, order, reasonCode, reason);
      }
    }
    if (card.result === 'insufficient_funds') return decline(tx, order, 5051, 'InsufficientFunds');
    tx.status = 'Completed';
    tx.reason = 'Approved';
    order.status = 'Paid';
    deliver('pay', { ...transactionFields(tx, order), GatewayName: 'Test', TotalFee: { raw: '0.00' }, AuthCode: 'A1B2C3' });
    return { outcome: 'paid', transactionId: tx.transactionId, reasonCode: 0, redirectUrl: order.successRedirectUrl };
  }

  function decline(tx: EmulatedTransaction, order: EmulatedOrder, reasonCode: number, reason: string): PayResult {
    tx.status = 'Declined';
    tx.reason = reason;
    tx.reasonCode = reasonCode;
    deliver('fail', { ...transactionFields(tx, order), Status: 'Declined', Reason: reason, ReasonCode: { raw: String(reasonCode) } });
    return { outcome: 'declined', transactionId: tx.transactionId, reasonCode, redirectUrl: order.failRedirectUrl };
  }

  // --- API ---------------------------------------------------------------------------------------

  function envelope(success: boolean, message: string | null, model?: string): string {
    return `{${model === undefined ? '' : `"Model":${model},`}"Success":${success},"Message":${message === null ? 'null' : JSON.stringify(message)}}`;
  }

  function transactionModel(tx: EmulatedTransaction): string {
    const fields: Record<string, string | boolean | RawNumber> = {
      PublicId: options.publicId,
      TransactionId: { raw: String(tx.transactionId) },
      Amount: { raw: formatCpAmount(tx.amountMinor) },
      Currency: tx.currency,
      InvoiceId: tx.invoiceId,
      Email: tx.email,
      Description: tx.description,
      CreatedDateIso: new Date(tx.createdAt).toISOString().slice(0, 19),
      TestMode: true,
      CardFirstSix: tx.cardFirstSix,
      CardLastFour: tx.cardLastFour,
      CardType: tx.cardType,
      Status: tx.status,
      StatusCode: { raw: String(tx.status === 'Completed' ? 3 : tx.status === 'Declined' ? 5 : 1) },
      Reason: tx.reason,
      ReasonCode: { raw: String(tx.reasonCode) },
      Type: { raw: String(tx.type) },
      Refunded: tx.type === 0 && tx.refundedMinor > 0n && tx.refundedMinor >= tx.amountMinor,
    };
    if (tx.originalTransactionId !== null) fields.OriginalTransactionId = { raw: String(tx.originalTransactionId) };
    return jsonBody(fields);
  }

  function api(path: string, params: Record<string, string>): { status: number; body: string } {
    switch (path) {
      case '/test':
        return { status: 200, body: envelope(true, randomUUID()) };
      case '/orders/create': {
        const amountText = params.Amount;
        if (amountText === undefined || amountText === '') return { status: 200, body: envelope(false, 'Amount is required') };
        const amountMinor = parseCpAmount(amountText);
        if (amountMinor === null || amountMinor <= 0n) return { status: 200, body: envelope(false, 'Invalid Amount value') };
        const currency = (params.Currency ?? 'RUB').toUpperCase();
        if (!CURRENCIES.has(currency)) return { status: 200, body: envelope(false, 'Invalid Currency value') };
        if (!params.Description) return { status: 200, body: envelope(false, 'Description is required') };
        const id = randomBytes(12).toString('base64url').slice(0, 16);
        const order: EmulatedOrder = {
          id,
          number: ++orderNumber,
          amountMinor,
          currency,
          description: params.Description,
          email: params.Email ?? '',
          invoiceId: params.InvoiceId ?? '',
          accountId: params.AccountId ?? '',
          successRedirectUrl: params.SuccessRedirectUrl ?? '',
          failRedirectUrl: params.FailRedirectUrl ?? '',
          status: 'Created',
          url: `${baseUrl}/d/${id}`,
          createdAt: now(),
        };
        orders.set(id, order);
        const model = jsonBody({
          Id: id,
          Number: { raw: String(order.number) },
          Amount: { raw: formatCpAmount(amountMinor) },
          Currency: currency,
          CurrencyCode: { raw: '0' },
          Email: order.email,
          Description: order.description,
          RequireConfirmation: false,
          Url: order.url,
        });
        return { status: 200, body: envelope(true, null, model) };
      }
      // «Отмена созданного счёта»: the link stops taking payments; a paid order cannot be cancelled.
      case '/orders/cancel': {
        const order = params.Id ? orders.get(params.Id) : undefined;
        if (!order) return { status: 200, body: envelope(false, 'Not found') };
        if (order.status === 'Paid') return { status: 200, body: envelope(false, 'Order is paid') };
        order.status = 'Cancelled';
        return { status: 200, body: envelope(true, null) };
      }
      case '/payments/find':
      case '/v2/payments/find': {
        if (!params.InvoiceId) return { status: 200, body: envelope(false, 'InvoiceId is required') };
        // v2 looks at every operation (refunds too) and returns the latest; the old one payments only.
        const found = transactions.filter((t) => t.invoiceId === params.InvoiceId && (path === '/v2/payments/find' || t.type === 0)).at(-1);
        if (!found) return { status: 200, body: envelope(false, 'Not found') };
        return { status: 200, body: envelope(found.status === 'Completed', null, transactionModel(found)) };
      }
      case '/payments/get': {
        const tx = transactions.find((t) => String(t.transactionId) === params.TransactionId);
        if (!tx) return { status: 200, body: envelope(false, 'Not found') };
        return { status: 200, body: envelope(true, null, transactionModel(tx)) };
      }
      case '/payments/refund': {
        const tx = transactions.find((t) => t.type === 0 && String(t.transactionId) === params.TransactionId);
        if (!tx) return { status: 200, body: envelope(false, 'Transaction not found') };
        if (tx.status !== 'Completed') return { status: 200, body: envelope(false, 'Transaction is not completed') };
        const amountMinor = params.Amount === undefined ? null : parseCpAmount(params.Amount);
        if (amountMinor === null || amountMinor <= 0n) return { status: 200, body: envelope(false, 'Invalid Amount value') };
        if (tx.refundedMinor + amountMinor > tx.amountMinor) return { status: 200, body: envelope(false, 'Refund amount is greater than the available amount') };
        tx.refundedMinor += amountMinor;
        const refund: EmulatedTransaction = { ...tx, transactionId: nextTransactionId++, type: 1, amountMinor, originalTransactionId: tx.transactionId, refundedMinor: 0n, createdAt: now() };
        transactions.push(refund);
        const order = orders.get(tx.orderId);
        deliver('refund', {
          TransactionId: { raw: String(refund.transactionId) },
          PaymentTransactionId: { raw: String(tx.transactionId) },
          Amount: { raw: formatCpAmount(amountMinor) },
          DateTime: utcDateTime(refund.createdAt),
          OperationType: 'Refund',
          InvoiceId: tx.invoiceId,
          AccountId: order?.accountId ?? '',
          Email: tx.email,
        });
        return { status: 200, body: envelope(true, null, `{"TransactionId":${refund.transactionId}}`) };
      }
      default:
        return { status: 404, body: envelope(false, 'Method not found') };
    }
  }

  function readParams(body: string, contentType: string): Record<string, string> | null {
    if (contentType.includes('json') || body.trim().startsWith('{')) {
      const parsed = parseJsonExact(body || '{}');
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === 'string' || typeof v === 'boolean') out[k] = String(v);
      return out;
    }
    return Object.fromEntries(new URLSearchParams(body));
  }

  // --- hosted page -------------------------------------------------------------------------------

  function orderPage(order: EmulatedOrder, error = ''): string {
    const cards = Object.entries(TEST_CARDS)
      .map(([n, c]) => `<li><code>${n.replace(/(\d{4})(?=\d)/g, '$1 ')}</code> ${c.type}${c.threeDs ? ' 3-D Secure' : ''}: ${c.result === 'success' ? 'успешно' : 'недостаточно средств'}</li>`)
      .join('');
    return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Оплата заказа №${order.number}</title></head>
<body><main><h1>CloudPayments (эмулятор)</h1>
<p>${escapeHtml(order.description)}</p><p><strong>${formatCpAmount(order.amountMinor)} ${escapeHtml(order.currency)}</strong></p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/d/${escapeHtml(order.id)}/pay">
<label>Номер карты <input name="cardNumber" inputmode="numeric" autocomplete="cc-number" required></label>
<label>Срок <input name="exp" value="12/30"></label> <label>CVV <input name="cvv" value="123"></label>
<button type="submit">Оплатить</button></form>
<details><summary>Тестовые карты</summary><ul>${cards}</ul></details></main></body></html>`;
  }

  function resultPage(title: string): string {
    return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1></main></body></html>`;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const page = /^\/d\/([A-Za-z0-9_-]+)(\/pay)?$/.exec(url.pathname);
    if (page) {
      const order = orders.get(page[1]!);
      const send = (status: number, html: string) => res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      if (!order) return void send(404, resultPage('Счёт не найден'));
      if (!page[2]) {
        if (req.method !== 'GET') return void send(405, resultPage('Метод не поддерживается'));
        return void send(order.status === 'Created' ? 200 : 409, order.status === 'Created' ? orderPage(order) : resultPage('Счёт уже оплачен'));
      }
      if (req.method !== 'POST') return void send(405, resultPage('Метод не поддерживается'));
      if (order.status !== 'Created') return void send(409, resultPage('Счёт уже оплачен'));
      const form = new URLSearchParams(body);
      let result: PayResult;
      try {
        result = await pay(order.id, form.get('cardNumber') ?? '');
      } catch (e) {
        return void send(400, orderPage(order, e instanceof Error && e.message === 'invalid card number' ? 'Проверьте номер карты' : 'Оплата невозможна'));
      }
      if (result.redirectUrl) return void res.writeHead(303, { location: result.redirectUrl }).end();
      return void send(200, resultPage(result.outcome === 'paid' ? 'Оплата прошла' : 'Оплата отклонена'));
    }

    // The API.
    const fault = emulator.faults.api;
    if (fault === 'down') return void req.socket.destroy();
    if (fault === 'slow') await new Promise((r) => setTimeout(r, emulator.faults.slowMs).unref());
    if (fault === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('\u0000{"Succ');
    if (fault === 'html') return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    if (fault === 'http500') return void res.writeHead(500, { 'content-type': 'application/json' }).end(envelope(false, 'Internal server error'));
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expectedAuth.length || !timingSafeEqual(auth, expectedAuth)) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="CloudPayments"' }).end();
    }
    if (fault === 'error') return void res.writeHead(200, { 'content-type': 'application/json' }).end(envelope(false, 'Service temporarily unavailable'));
    const requestId = req.headers['x-request-id'];
    const key = typeof requestId === 'string' && requestId !== '' ? `${url.pathname}\u0000${requestId}` : null;
    if (key) {
      const seen = idempotent.get(key);
      if (seen && now() - seen.at < IDEMPOTENCY_TTL_MS) return void res.writeHead(seen.status, { 'content-type': 'application/json' }).end(seen.body);
    }
    const params = readParams(body, String(req.headers['content-type'] ?? ''));
    const out = params ? api(url.pathname, params) : { status: 200, body: envelope(false, 'Invalid request') };
    if (key) idempotent.set(key, { at: now(), ...out });
    res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8' }).end(out.body);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;
  return emulator;
}

/**
 * The four addresses to register in CloudPayments' dashboard (or give the emulator) for a provider
 * account: `{publicUrl}/providers/{id}/notify?kind=check|pay|fail|refund`.
 * @example notifyUrlsFor('https://pay.example', 'cp').pay // 'https://pay.example/providers/cp/notify?kind=pay'
 */
export function notifyUrlsFor(publicUrl: string, providerId: string): Record<NotifyKind, string> {
  const base = `${publicUrl.replace(/\/+$/, '')}/providers/${encodeURIComponent(providerId)}/notify`;
  return { check: `${base}?kind=check`, pay: `${base}?kind=pay`, fail: `${base}?kind=fail`, refund: `${base}?kind=refund` };
}
