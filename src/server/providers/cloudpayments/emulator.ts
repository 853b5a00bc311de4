/**
 * An offline CloudPayments, from its public API documentation (developers.cloudpayments.ru; see
 * README.md): a real HTTP server with the API (HTTP Basic `publicId:apiSecret`, 401 otherwise; the
 * `{Model, Success, Message}` envelope; `X-Request-ID` idempotency for successful answers, kept an
 * hour), the hosted order page with CloudPayments' published test cards, a 3-D Secure (ACS) page for
 * token payments, SBP by QR link with a bank-app page (`emulator-sbp.ts`), and notifications Check → Pay | Fail, Confirm, Cancel and Refund signed with
 * `Content-HMAC` and `X-Content-HMAC`, retried until answered `{"code":0}`. Switches drop or forge
 * notifications and make the API slow, down, garbage, HTML or an error. For tests, the demo and shops
 * working offline; not for production.
 *
 * It is an independent reading of the documentation: it imports nothing of the connector
 * (`transform.ts`, `client.ts`) or the gateway (issue #23), only node built-ins, lossless-json and
 * its own `emulator-*.ts` files.
 *
 * @example
 * const cp = await startCloudPaymentsEmulator({ publicId: 'pk_test', apiSecret: 'secret', notify: notifyUrlsFor(gatewayUrl, 'cp') });
 * // provider config: { id: 'cp', type: 'cloudpayments', publicId: 'pk_test', apiSecret: 'secret', apiUrl: cp.url }
 * await cp.close();
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createCpFiscal, type CpTakenReceipt } from './emulator-fiscal.ts';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { authorise, declineTx, envelope, expireHolds, payFields, runApi, type ApiAnswer, type ApiState } from './emulator-api.ts';
import { REASONS, TEST_CARDS, newTransaction, paymentNotification, type EmulatedOrder, type EmulatedTransaction, type NotificationFields, type SavedCard } from './emulator-model.ts';
import { amountText, escapeHtml, hmacBase64, luhn, readJson, scalar, writeJson, type Json } from './emulator-wire.ts';
import { readFileSync } from 'node:fs';
import { createSbpLink, qrIdOfLink, sbpRoute, type EmulatedSbpQr, type SbpPageDeps } from './emulator-sbp.ts';

/** The gateway's favicon, read from its assets (issue 28: no 404 for the icon on any page). */
const FAVICON_ICO = readFileSync(new URL('../../assets/favicon.ico', import.meta.url));

export { TEST_CARDS } from './emulator-model.ts';
export type { CardOutcome, EmulatedOrder, EmulatedTransaction, SavedCard } from './emulator-model.ts';
export type { EmulatedSbpQr } from './emulator-sbp.ts';
export { EMULATOR_SBP_BANKS } from './emulator-sbp.ts';

/** The notification types the emulator sends, each to its own address as in CloudPayments' dashboard. */
export type NotifyKind = 'check' | 'pay' | 'fail' | 'confirm' | 'refund' | 'cancel' | 'receipt';

/** How the API misbehaves (the hosted pages and notifications are not affected). */
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
   * Delays before the 2nd, 3rd, … attempt of a notification that was not answered `{"code":0}`.
   * The documentation copy we had does not give the schedule: this default is an assumption (README).
   */
  retryDelaysMs?: readonly number[];
  /** Runs `fn` after `delayMs`; tests pass one that runs at once or on demand. */
  schedule?: (fn: () => void, delayMs: number) => void;
  now?: () => number;
  /** Deadline of one notification request. */
  notifyTimeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * How long after its operation the emulated cash register issues a receipt and sends the Receipt
   * notification (emulator-fiscal.ts); absent: no Receipt notifications, `kkt/receipt` at once.
   */
  receiptDelayMs?: number;
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
  /** `paid` (one-stage, Completed), `authorized` (two-stage hold) or `declined`. */
  outcome: 'paid' | 'authorized' | 'declined';
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
  /** Saved cards by token; a test may set a card's `outcome` (a card that runs out of money, asks for 3-D Secure). */
  readonly cards: Map<string, SavedCard>;
  readonly deliveries: Delivery[];
  /** Every receipt the emulated cash register took (payments', refunds', the receipt API's), in order. */
  readonly receipts: readonly CpTakenReceipt[];
  /** Switches, changed by tests at any time. */
  faults: { api: ApiFault; slowMs: number; dropNotifications: boolean; forgeNotifications: boolean };
  notify: Partial<Record<NotifyKind, string>>;
  /** Pays an order with a card, as the hosted page does. */
  pay(orderId: string, cardNumber: string): Promise<PayResult>;
  /** The SBP QR codes handed out by `payments/qr/sbp/link`, by `ProviderQrId`. */
  readonly sbpQrs: ReadonlyMap<string, EmulatedSbpQr>;
  /** The "bank app" page for one of its NSPK links (what a phone opens after scanning), or undefined. */
  sbpPageUrl(nspkLink: string): string | undefined;
  /** Waits until no notification request is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 60 * 60_000, 2 * 60 * 60_000, 6 * 60 * 60_000, 12 * 60 * 60_000, 24 * 60 * 60_000];
const IDEMPOTENCY_TTL_MS = 60 * 60 * 1000;
/** How CloudPayments records a Check answer in the declined transaction («Check notification processing responses»). */
const CHECK_REASONS: Record<string, [number, string]> = {
  '10': [3001, 'InvalidInvoiceId'],
  '11': [3002, 'InvalidAccountId'],
  '12': [3003, 'InvalidAmount'],
  '20': [3004, 'OutOfDate'],
  '13': [3008, 'NotAccepted'],
};

/** Starts the emulator on loopback (a free port unless `port` is given). */
export async function startCloudPaymentsEmulator(options: CloudPaymentsEmulatorOptions): Promise<CloudPaymentsEmulator> {
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? ((fn, ms) => setTimeout(fn, ms).unref());
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const doFetch = options.fetch ?? fetch;
  const format = options.format ?? 'form';
  const orders = new Map<string, EmulatedOrder>();
  const transactions: EmulatedTransaction[] = [];
  const cards = new Map<string, SavedCard>();
  const deliveries: Delivery[] = [];
  const idempotent = new Map<string, { at: number; answer: ApiAnswer }>();
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
    cards,
    deliveries,
    get receipts() {
      return fiscal.taken;
    },
    faults: { api: 'none', slowMs: 30_000, dropNotifications: false, forgeNotifications: false },
    notify: { ...(options.notify ?? {}) },
    pay,
    get sbpQrs() { return sbpQrs; },
    sbpPageUrl(link) {
      const id = qrIdOfLink(link);
      return id && sbpQrs.has(id) ? `${baseUrl}/sbp/${id}` : undefined;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const state: ApiState = {
    publicId: options.publicId,
    baseUrl: () => baseUrl,
    now,
    orders,
    transactions,
    cards,
    nextTransactionId: () => nextTransactionId++,
    nextOrderNumber: () => ++orderNumber,
    kktReceipts: new Map(),
    deliver: (kind, fields) => deliver(kind, fields),
    receiptTaken: (r, receipt) => fiscal.kkt(r, receipt),
  };
  const sbpQrs = new Map<string, EmulatedSbpQr>();
  const sbpDeps: SbpPageDeps = { state, qrs: sbpQrs, check: (tx) => runCheck(tx), page: (title, html) => resultPage(title).replace('</h1>', `</h1>${html}`) };
  // The cash register (issue 24): receipts taken, Receipt notifications after receiptDelayMs.
  const fiscal = createCpFiscal({ delayMs: options.receiptDelayMs, schedule, now, newId: () => randomBytes(16).toString('hex'), send: (fields) => deliver('receipt', fields) });

  // --- notifications ---------------------------------------------------------------------------

  function encodeBody(fields: NotificationFields): { body: string; decoded: string; contentType: string } {
    if (format === 'json') {
      const body = writeJson(fields);
      return { body, decoded: body, contentType: 'application/json' };
    }
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) params.append(k, typeof v === 'string' ? v : v.value);
    const body = params.toString();
    // X-Content-HMAC is computed over the URL-decoded parameters («Notification validation»).
    const decoded = [...params].map(([k, v]) => `${k}=${v}`).join('&');
    return { body, decoded, contentType: 'application/x-www-form-urlencoded' };
  }

  async function sendOnce(kind: NotifyKind, url: string, fields: NotificationFields, attempt: number): Promise<Delivery> {
    const { body, decoded, contentType } = encodeBody(fields);
    const key = emulator.faults.forgeNotifications ? `forged-${options.apiSecret}` : options.apiSecret;
    const headers: Record<string, string> = {
      'content-type': `${contentType}; charset=utf-8`,
      'content-hmac': hmacBase64(key, body),
      'x-content-hmac': hmacBase64(key, decoded),
    };
    const record: Delivery = { kind, url, body, headers, attempt, status: null, answer: '', accepted: false };
    try {
      const r = await doFetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.notifyTimeoutMs ?? 10_000) });
      record.status = r.status;
      record.answer = (await r.text()).slice(0, 2000);
      const parsed = readJson(record.answer);
      const code = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'code' in parsed ? scalar((parsed as Record<string, Json>).code) : undefined;
      record.accepted = r.status === 200 && code === '0';
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

  /** Pay / Fail / Confirm / Cancel / Refund: sent until answered `{"code":0}`, on the retry schedule. */
  function deliver(kind: Exclude<NotifyKind, 'check'>, fields: NotificationFields, attempt = 1): void {
    if (attempt === 1) fiscal.observe(kind, fields, transactions);
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

  // --- paying on the hosted page -----------------------------------------------------------------

  /** Check: once, before authorisation; no answer or a non-zero code declines the payment (null: accepted). */
  async function runCheck(tx: EmulatedTransaction): Promise<{ code: number; reason: string; message: string } | null> {
    const checkUrl = emulator.notify.check;
    if (!checkUrl || emulator.faults.dropNotifications) return null;
    const d = await track(sendOnce('check', checkUrl, { ...paymentNotification(tx), Status: tx.twoStage ? 'Authorized' : 'Completed' }, 1));
    if (d.accepted) return null;
    const parsed = readJson(d.answer);
    const code = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'code' in parsed ? scalar((parsed as Record<string, Json>).code) ?? '' : '';
    const [reasonCode, reason] = d.status === 200 ? CHECK_REASONS[code] ?? [3005, 'FormatError'] : d.status === null ? [3006, 'Unavailable'] : [3007, 'UnableToConnect'];
    return { code: reasonCode, reason, message: 'Платёж не может быть принят' };
  }

  async function pay(orderId: string, cardNumber: string): Promise<PayResult> {
    expireHolds(state);
    const order = orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    if (order.status !== 'Created') throw new Error(`order ${orderId} is ${order.status}`);
    const digits = cardNumber.replace(/\D/g, '');
    if (digits.length < 13 || digits.length > 19 || !luhn(digits)) throw new Error('invalid card number');
    // Test mode: a card not in the table (a real one) succeeds, as CloudPayments' test mode does.
    const card = TEST_CARDS[digits] ?? { type: digits.startsWith('5') ? 'MasterCard' : digits.startsWith('2') ? 'MIR' : 'Visa', result: 'success' as const, threeDs: false };
    const tx = newTransaction(nextTransactionId++, now(), {
      orderId, invoiceId: order.invoiceId, accountId: order.accountId, amountMinor: order.amountMinor, currency: order.currency,
      cardFirstSix: digits.slice(0, 6), cardLastFour: digits.slice(-4), cardType: card.type, cardExpDate: '12/30',
      email: order.email, description: order.description, name: 'CARDHOLDER NAME', ipAddress: '127.0.0.1', jsonData: order.jsonData,
      twoStage: order.requireConfirmation,
    });
    transactions.push(tx);

    const refused = await runCheck(tx);
    if (refused) {
      declineTx(state, tx, refused);
      return { outcome: 'declined', transactionId: tx.transactionId, reasonCode: refused.code, redirectUrl: order.failRedirectUrl };
    }
    if (card.result === 'insufficient_funds') {
      declineTx(state, tx, REASONS.insufficientFunds);
      return { outcome: 'declined', transactionId: tx.transactionId, reasonCode: REASONS.insufficientFunds.code, redirectUrl: order.failRedirectUrl };
    }
    // CloudPayments issues a token for every authorised card payment (Pay carries it, so does find).
    const saved: SavedCard = {
      token: `tk_${randomBytes(15).toString('hex').slice(0, 29)}`,
      accountId: order.accountId,
      cardFirstSix: tx.cardFirstSix,
      cardLastFour: tx.cardLastFour,
      cardType: tx.cardType,
      expMonth: 12,
      expYear: 2030,
      outcome: 'success',
      createdAt: now(),
    };
    cards.set(saved.token, saved);
    authorise(state, tx, saved.token);
    deliver('pay', payFields(tx));
    return { outcome: tx.twoStage ? 'authorized' : 'paid', transactionId: tx.transactionId, reasonCode: 0, redirectUrl: order.successRedirectUrl };
  }

  // --- pages -------------------------------------------------------------------------------------

  /** A plain tidy look for the emulator's pages (issue 28): readable, labelled fields, one column. */
  const PAGE_STYLE = 'body{font:16px/1.45 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}'
    + 'h1{font-size:1.4rem}label{display:block;margin:.6rem 0}input{font:inherit;padding:.45rem;width:100%;box-sizing:border-box;border:1px solid #767676;border-radius:.3rem}'
    + 'button{font:inherit;padding:.6rem 1.2rem;margin:.8rem .5rem 0 0;border:0;border-radius:.3rem;background:#0057b8;color:#fff;cursor:pointer}'
    + '[role=alert]{color:#b00020;font-weight:600}details{margin-top:1.5rem;font-size:.9rem}code{font-size:.95em}'
    + '@media (prefers-color-scheme:dark){body{background:#121212;color:#e8e8e8}input{background:#1e1e1e;color:inherit;border-color:#8a8a8a}button{background:#8ab4ff;color:#0b1a33}[role=alert]{color:#ff8a80}}';

  function orderPage(order: EmulatedOrder, error = ''): string {
    const cardList = Object.entries(TEST_CARDS)
      .map(([n, c]) => `<li><code>${n.replace(/(\d{4})(?=\d)/g, '$1 ')}</code> ${c.type}${c.threeDs ? ' 3-D Secure' : ''}: ${c.result === 'success' ? 'успешно' : 'недостаточно средств'}</li>`)
      .join('');
    return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Оплата заказа №${order.number}</title><style>${PAGE_STYLE}</style></head>
<body><main><h1>CloudPayments (эмулятор)</h1>
<p>${escapeHtml(order.description)}</p><p><strong>${amountText(order.amountMinor)} ${escapeHtml(order.currency)}</strong></p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/d/${escapeHtml(order.id)}/pay">
<label>Номер карты <input name="cardNumber" inputmode="numeric" autocomplete="cc-number" required></label>
<label>Срок <input name="exp" value="12/30"></label> <label>CVV <input name="cvv" value="123"></label>
<button type="submit">Оплатить</button></form>
<details><summary>Тестовые карты</summary><ul>${cardList}</ul></details></main></body></html>`;
  }

  function resultPage(title: string): string {
    return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body><main><h1>${escapeHtml(title)}</h1></main></body></html>`;
  }

  /** The issuer's 3-D Secure page: the buyer passes or fails; the answer goes back to `TermUrl` as MD + PaRes. */
  function acsPage(form: URLSearchParams): { status: number; html: string } {
    const md = form.get('MD') ?? '';
    const paReq = form.get('PaReq') ?? '';
    const termUrl = form.get('TermUrl') ?? '';
    const tx = transactions.find((t) => String(t.transactionId) === md && t.paReq === paReq && t.status === 'AwaitingAuthentication');
    if (!tx || !/^https?:\/\//.test(termUrl)) return { status: 400, html: resultPage('Неверный запрос 3-D Secure') };
    const button = (label: string, verdict: 'Y' | 'N') =>
      `<form method="post" action="${escapeHtml(termUrl)}"><input type="hidden" name="MD" value="${escapeHtml(md)}"><input type="hidden" name="PaRes" value="${escapeHtml(`${paReq}:${verdict}`)}"><button type="submit">${label}</button></form>`;
    return {
      status: 200,
      html: `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>3-D Secure</title><style>${PAGE_STYLE}</style></head><body><main><h1>3-D Secure (эмулятор)</h1>
<p>${amountText(tx.amountMinor)} ${escapeHtml(tx.currency)}, карта ${escapeHtml(tx.cardFirstSix)}…${escapeHtml(tx.cardLastFour)}</p>${button('Подтвердить', 'Y')}${button('Отказаться', 'N')}</main></body></html>`,
    };
  }

  async function handlePage(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): Promise<boolean> {
    const send = (status: number, html: string): true => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return true;
    };
    const sbp = await sbpRoute(sbpDeps, req.method ?? 'GET', url.pathname, body);
    if (sbp) return send(sbp.status, sbp.html);
    if (url.pathname === '/acs') {
      if (req.method !== 'POST') return send(405, resultPage('Метод не поддерживается'));
      const page = acsPage(new URLSearchParams(body));
      return send(page.status, page.html);
    }
    const match = /^\/d\/([A-Za-z0-9_-]+)(\/pay)?$/.exec(url.pathname);
    if (!match) return false;
    expireHolds(state);
    const order = orders.get(match[1]!);
    if (!order) return send(404, resultPage('Счёт не найден'));
    if (!match[2]) {
      if (req.method !== 'GET') return send(405, resultPage('Метод не поддерживается'));
      return send(order.status === 'Created' ? 200 : 409, order.status === 'Created' ? orderPage(order) : resultPage(order.status === 'Paid' ? 'Счёт уже оплачен' : 'Счёт отменён'));
    }
    if (req.method !== 'POST') return send(405, resultPage('Метод не поддерживается'));
    if (order.status !== 'Created') return send(409, resultPage(order.status === 'Paid' ? 'Счёт уже оплачен' : 'Счёт отменён'));
    let result: PayResult;
    try {
      result = await pay(order.id, new URLSearchParams(body).get('cardNumber') ?? '');
    } catch (e) {
      return send(400, orderPage(order, e instanceof Error && e.message === 'invalid card number' ? 'Проверьте номер карты' : 'Оплата невозможна'));
    }
    if (result.redirectUrl) {
      res.writeHead(303, { location: result.redirectUrl }).end();
      return true;
    }
    return send(200, resultPage(result.outcome === 'declined' ? 'Оплата отклонена' : 'Оплата прошла'));
  }

  // --- the API -----------------------------------------------------------------------------------

  /** Request parameters: JSON (numbers kept exact, objects kept for JsonData) or a form. */
  function readParams(body: string, contentType: string): Record<string, Json> | null {
    if (contentType.includes('json') || body.trim().startsWith('{')) {
      const parsed = readJson(body.trim() === '' ? '{}' : body);
      if (parsed === undefined || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('constructor' in parsed) || parsed.constructor !== Object) return null;
      return parsed as Record<string, Json>;
    }
    return Object.fromEntries(new URLSearchParams(body));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (await handlePage(req, res, url, body)) return;

    const fault = emulator.faults.api;
    if (fault === 'down') return void req.socket.destroy();
    if (fault === 'slow') await new Promise((r) => setTimeout(r, emulator.faults.slowMs).unref());
    if (fault === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('\u0000{"Succ');
    if (fault === 'html') return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    if (fault === 'http500') return void res.writeHead(500, { 'content-type': 'application/json' }).end(envelope(false, 'Internal server error').body);
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    // «Without the authentication header, or with wrong credentials, the system answers HTTP 401
    // Unauthorized» — every method, `/test` included; the documentation gives no body.
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expectedAuth.length || !timingSafeEqual(auth, expectedAuth)) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="CloudPayments"' }).end();
    }
    if (fault === 'error') return void res.writeHead(200, { 'content-type': 'application/json' }).end(envelope(false, 'Service temporarily unavailable').body);
    const requestId = req.headers['x-request-id'];
    const key = typeof requestId === 'string' && requestId !== '' ? `${url.pathname}\u0000${requestId}` : null;
    if (key) {
      const seen = idempotent.get(key);
      if (seen && now() - seen.at < IDEMPOTENCY_TTL_MS) return void res.writeHead(seen.answer.status, { 'content-type': 'application/json; charset=utf-8' }).end(seen.answer.body);
    }
    const params = readParams(body, String(req.headers['content-type'] ?? ''));
    let out: ApiAnswer;
    if (!params) out = envelope(false, 'Invalid request');
    else if (url.pathname.replace(/\/+$/, '') === '/test') out = envelope(true, typeof requestId === 'string' && requestId ? requestId : randomUUID());
    else if (url.pathname.replace(/\/+$/, '').toLowerCase() === '/payments/qr/sbp/link') out = createSbpLink(state, sbpQrs, params);
    else out = runApi(state, url.pathname, params) ?? { ...envelope(false, 'Method not found'), status: 404 };
    // «The system keeps only successful results» of idempotent requests: a refusal may be retried.
    if (key && out.success) idempotent.set(key, { at: now(), answer: out });
    res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8' }).end(out.body);
  }

  const server = http.createServer((req, res) => {
    // The gateway's icon (a file, not the gateway's code): the emulator's pages ask for nothing missing.
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/favicon.ico') {
      res.writeHead(200, { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' }).end(FAVICON_ICO);
      return;
    }
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
 * account: `{publicUrl}/providers/{id}/notify?kind=check|pay|fail|refund|receipt`.
 * @example notifyUrlsFor('https://pay.example', 'cp').pay // 'https://pay.example/providers/cp/notify?kind=pay'
 */
export function notifyUrlsFor(publicUrl: string, providerId: string): Record<'check' | 'pay' | 'fail' | 'refund' | 'receipt', string> {
  const base = `${publicUrl.replace(/\/+$/, '')}/providers/${encodeURIComponent(providerId)}/notify`;
  return { check: `${base}?kind=check`, pay: `${base}?kind=pay`, fail: `${base}?kind=fail`, refund: `${base}?kind=refund`, receipt: `${base}?kind=receipt` };
}
