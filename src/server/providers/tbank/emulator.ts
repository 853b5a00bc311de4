/**
 * An offline T-Bank Internet Acquiring API v2, for tests, the demo and shops developing offline.
 * It follows T-Bank's public documentation, not what our connector expects: `POST /v2/Init`,
 * `GetState`, `Cancel`, `GetQr`, `CheckOrder` with token checks and T-Bank's error codes; a payment
 * form at `PaymentURL` taking T-Bank's published test cards (3-D Secure challenge included); an SBP
 * "scan and pay" page for the QR payload; notifications to `NotificationURL`, resent once an hour for
 * 24 hours until the answer is `OK`. Switches make it drop notifications or fail its API.
 *
 * It keeps everything in memory. Its own token check is written here independently of transform.ts,
 * so that a mistake in one is caught by the other. See README.md for what it does and does not do.
 */
import http from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface EmulatorTerminal {
  terminalKey: string;
  password: string;
}

/** Time and timers, injectable so that tests do not wait an hour for a resent notification. */
export interface EmulatorScheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: EmulatorScheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.min(ms, 2 ** 31 - 1));
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A scheduler whose time moves only when told (`advance`). */
export interface ManualScheduler extends EmulatorScheduler {
  advance(ms: number): void;
}

export function createManualScheduler(start = Date.UTC(2030, 0, 1)): ManualScheduler {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= until && (!next || e[1].at < next[1].at)) next = e;
        if (!next) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn();
      }
      now = until;
    },
  };
}

/** How the API misbehaves, for fault tests. */
export type ApiFault =
  /** The connection is cut before anything is read. */
  | { kind: 'down' }
  /** The request is carried out, then the connection is cut without an answer. */
  | { kind: 'lost' }
  /** The answer comes after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  | { kind: 'garbage' }
  /** A proxy's HTML error page (HTTP 502). */
  | { kind: 'html' }
  /** A T-Bank error answer (default 9999 «Внутренняя ошибка системы»). */
  | { kind: 'error'; errorCode?: string; message?: string };

export interface TbankEmulatorOptions {
  /** 0 (default): a free port. */
  port?: number;
  host?: string;
  /** The address buyers and the connector reach it at (default `http://{host}:{port}`). */
  baseUrl?: string;
  terminals?: EmulatorTerminal[];
  scheduler?: EmulatorScheduler;
  /** Gap between notification attempts (T-Bank: once an hour). */
  notificationRetryMs?: number;
  /** How long a notification is resent (T-Bank: 24 hours), then it goes to the dump. */
  notificationWindowMs?: number;
  /** Deadline of one notification attempt. */
  notificationTimeoutMs?: number;
}

export interface EmulatorPayment {
  paymentId: string;
  terminalKey: string;
  orderId: string;
  amount: number;
  /** What is left after refunds. */
  remaining: number;
  description: string;
  status: string;
  method: 'card' | 'sbp' | null;
  successUrl: string | undefined;
  failUrl: string | undefined;
  notificationUrl: string | undefined;
  dueAt: number;
  formId: string;
  qrId: string | null;
  pan: string | null;
  errorCode: string;
  refundRequests: Map<string, Record<string, unknown>>;
}

export interface NotificationRecord {
  paymentId: string;
  status: string;
  url: string;
  body: string;
  attempts: { at: number; answer: string }[];
  state: 'pending' | 'delivered' | 'dropped' | 'dumped';
}

export interface TbankEmulator {
  /** `http://host:port` */
  readonly url: string;
  /** `{url}/v2`: the connector's `apiUrl`. */
  readonly apiUrl: string;
  /** Makes the API misbehave (for `times` requests, or until cleared with null). */
  setFault(fault: ApiFault | null, opts?: { methods?: string[]; times?: number }): void;
  /** While true, notifications are not sent at all (recorded as `dropped`). */
  dropNotifications: boolean;
  payment(paymentId: string): EmulatorPayment | undefined;
  /**
   * The buyer pays (or is declined) without the HTML pages, as the pages would do it: a card ends
   * AUTHORIZED → CONFIRMED (or REJECTED), an SBP payment (after GetQr) CONFIRMED (or REJECTED). False
   * when the payment is unknown or no longer open. For load and crash tests.
   */
  pay(paymentId: string, outcome?: 'success' | 'decline'): boolean;
  paymentsOfOrder(orderId: string): EmulatorPayment[];
  readonly notifications: readonly NotificationRecord[];
  /** Resolves when no notification attempt is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_TERMINAL: EmulatorTerminal = { terminalKey: 'TinkoffBankTest', password: 'TinkoffBankTest' };

/** T-Bank's test cards (the «Тестирование и тестовые карты» section), and what each does here. */
export const TEST_CARDS: readonly { pan: string; outcome: 'success' | '3ds_challenge' | 'decline' | '3ds_reject'; errorCode: string; note: string }[] = [
  { pan: '2200770239097761', outcome: 'success', errorCode: '0', note: 'успешная оплата без 3DS' },
  { pan: '2201382000000013', outcome: 'success', errorCode: '0', note: '3DS 2.0 frictionless, успешная оплата' },
  { pan: '2201382000000039', outcome: 'success', errorCode: '0', note: '3DS 2.0 attempt, успешная оплата' },
  { pan: '4300000000000777', outcome: 'success', errorCode: '0', note: 'успешная оплата (карта старой тестовой среды)' },
  { pan: '2201382000000047', outcome: '3ds_challenge', errorCode: '0', note: '3DS 2.0 challenge, пароль 1qwezxc' },
  { pan: '2201382000000021', outcome: 'decline', errorCode: '1006', note: 'ошибка при списании' },
  { pan: '2201382000000831', outcome: 'decline', errorCode: '1051', note: 'недостаточно средств' },
  { pan: '2201382000000005', outcome: '3ds_reject', errorCode: '101', note: '3DS 2.0: эмитент отклонил аутентификацию' },
];
export const ACS_PASSCODE = '1qwezxc';

const MESSAGES: Record<string, string> = {
  '0': 'OK',
  '2': 'Отсутствуют обязательные параметры',
  '8': 'Неверный статус транзакции',
  '101': 'Не пройдена идентификация 3DS',
  '204': 'Неверный токен. Проверьте пару TerminalKey/SecretKey',
  '212': 'Размер поля OrderId должен быть от 1 до 36',
  '251': 'Неверная сумма. Сумма должна быть больше или равна 100 копеек',
  '255': 'Платеж не найден',
  '330': 'Сумма в запросе больше чем в оригинальной транзакции',
  '335': 'OrderId не найден для TerminalKey',
  '501': 'Терминал не найден',
  '623': 'Выплата по этому заказу уже прошла',
  '642': 'Проверьте номер карты',
  '1006': 'Платеж не прошел',
  '1051': 'Недостаточно средств на карте.',
  '3016': 'Невозможно создать QR',
  '9999': 'Внутренняя ошибка системы',
};

const PAID = new Set(['CONFIRMED', 'PARTIAL_REFUNDED', 'REFUNDED']);
const OPEN = new Set(['NEW', 'FORM_SHOWED']);
/** The smallest SBP amount (10 roubles, per the Init reference). */
const SBP_MIN_KOPECKS = 1000;
const CARD_MIN_KOPECKS = 100;

/** The documented token rule, written independently of transform.ts. */
function tokenOf(body: Record<string, unknown>, password: string): string {
  const all: Record<string, string> = { Password: password };
  for (const key of Object.keys(body)) {
    const v = body[key];
    if (key === 'Token') continue;
    if (typeof v === 'string') all[key] = v;
    else if (typeof v === 'number') all[key] = String(v);
    else if (typeof v === 'boolean') all[key] = String(v);
  }
  const joined = Object.keys(all).sort().map((k) => all[k]).join('');
  return createHash('sha256').update(Buffer.from(joined, 'utf8')).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function rubles(kopecks: number): string {
  return `${Math.floor(kopecks / 100)}.${String(kopecks % 100).padStart(2, '0')} ₽`;
}

function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

function parseDueDate(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** Starts the emulator. */
export async function startTbankEmulator(opts: TbankEmulatorOptions = {}): Promise<TbankEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.scheduler ?? realScheduler;
  const retryMs = opts.notificationRetryMs ?? 3_600_000;
  const windowMs = opts.notificationWindowMs ?? 24 * 3_600_000;
  const attemptTimeoutMs = opts.notificationTimeoutMs ?? 10_000;
  const terminals = new Map((opts.terminals ?? [DEFAULT_TERMINAL]).map((t) => [t.terminalKey, t]));
  const payments = new Map<string, EmulatorPayment>();
  const byForm = new Map<string, EmulatorPayment>();
  const byQr = new Map<string, EmulatorPayment>();
  const notifications: NotificationRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  /** Notifications of one payment go out one after another, in order. */
  const chains = new Map<string, Promise<void>>();
  let nextPaymentId = 4_000_000_000 + Math.floor(Math.random() * 1_000_000);
  let fault: { fault: ApiFault; methods?: string[]; times?: number } | null = null;
  let base = '';

  const emulator = {
    dropNotifications: false,
  } as TbankEmulator;

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  async function attempt(n: NotificationRecord, firstAt: number): Promise<void> {
    let answer: string;
    try {
      const r = await fetch(n.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: n.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
      const text = await r.text();
      answer = `${r.status} ${text.slice(0, 200)}`;
      if (r.status === 200 && text.trim() === 'OK') {
        n.attempts.push({ at: clock.now(), answer });
        n.state = 'delivered';
        return;
      }
    } catch (e) {
      answer = `no answer: ${(e as Error).name}`;
    }
    n.attempts.push({ at: clock.now(), answer });
    if (clock.now() + retryMs - firstAt > windowMs) {
      n.state = 'dumped';
      return;
    }
    clock.setTimeout(() => track(attempt(n, firstAt)), retryMs);
  }

  /** Sends the payment's current state to its NotificationURL, as T-Bank does on each change. */
  function notify(p: EmulatorPayment): void {
    if (!p.notificationUrl) return;
    const t = terminals.get(p.terminalKey);
    if (!t) return;
    const fields: Record<string, unknown> = {
      TerminalKey: p.terminalKey,
      OrderId: p.orderId,
      Success: p.errorCode === '0',
      Status: p.status,
      PaymentId: Number(p.paymentId),
      ErrorCode: p.errorCode,
      Amount: p.status === 'PARTIAL_REFUNDED' || p.status === 'REFUNDED' ? p.remaining : p.amount,
    };
    if (p.errorCode !== '0') fields.Message = MESSAGES[p.errorCode] ?? 'Платеж не прошел';
    if (p.method === 'card' && p.pan) {
      fields.CardId = 100_000 + (Number(p.paymentId) % 100_000);
      fields.Pan = `${p.pan.slice(0, 6)}******${p.pan.slice(-4)}`;
      fields.ExpDate = '1230';
    }
    if (p.method === 'sbp') fields.Pan = '+7 (9**) ***-**-11';
    fields.Token = tokenOf(fields, t.password);
    const n: NotificationRecord = {
      paymentId: p.paymentId, status: p.status, url: p.notificationUrl, body: JSON.stringify(fields), attempts: [],
      state: emulator.dropNotifications ? 'dropped' : 'pending',
    };
    notifications.push(n);
    if (n.state === 'dropped') return;
    const prev = chains.get(p.paymentId) ?? Promise.resolve();
    const next = prev.then(() => attempt(n, clock.now()));
    chains.set(p.paymentId, next);
    track(next);
  }

  function setStatus(p: EmulatorPayment, status: string, errorCode = '0'): void {
    p.status = status;
    p.errorCode = errorCode;
    notify(p);
  }

  /** The link's lifetime ran out before the buyer paid. */
  function expireIfDue(p: EmulatorPayment): void {
    if (OPEN.has(p.status) && clock.now() >= p.dueAt) setStatus(p, 'DEADLINE_EXPIRED', '0');
  }

  function answer(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  function json(res: http.ServerResponse, o: Record<string, unknown>): void {
    answer(res, 200, 'application/json; charset=utf-8', JSON.stringify(o));
  }

  function error(terminalKey: unknown, code: string, details?: string): Record<string, unknown> {
    return {
      Success: false, ErrorCode: code, Message: MESSAGES[code] ?? 'Ошибка', Details: details ?? '',
      ...(typeof terminalKey === 'string' ? { TerminalKey: terminalKey } : {}),
    };
  }

  function paymentAnswer(p: EmulatorPayment): Record<string, unknown> {
    return { Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId, Amount: p.amount };
  }

  function ownPayment(body: Record<string, unknown>): EmulatorPayment | undefined {
    const id = typeof body.PaymentId === 'number' ? String(body.PaymentId) : body.PaymentId;
    const p = typeof id === 'string' ? payments.get(id) : undefined;
    return p && p.terminalKey === body.TerminalKey ? p : undefined;
  }

  /** One API method: its body is verified (terminal, token) before anything else. */
  function api(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const terminal = typeof body.TerminalKey === 'string' ? terminals.get(body.TerminalKey) : undefined;
    if (!terminal) return error(body.TerminalKey, '501');
    if (typeof body.Token !== 'string' || !sameHex(body.Token, tokenOf(body, terminal.password))) return error(body.TerminalKey, '204');
    switch (method) {
      case 'Init': {
        const { Amount, OrderId } = body;
        if (Amount === undefined || OrderId === undefined) return error(body.TerminalKey, '2', 'Amount, OrderId');
        if (typeof OrderId !== 'string' || OrderId.length < 1 || OrderId.length > 36) return error(body.TerminalKey, '212');
        if (typeof Amount !== 'number' || !Number.isSafeInteger(Amount) || Amount < CARD_MIN_KOPECKS) return error(body.TerminalKey, '251');
        // A new session per Init, even for a known OrderId; refused once the order has been paid.
        const earlier = [...payments.values()].filter((q) => q.terminalKey === terminal.terminalKey && q.orderId === OrderId);
        if (earlier.some((q) => PAID.has(q.status))) return error(body.TerminalKey, '623', 'Запрещено проводить платеж с OrderId, для которого уже есть успешный платеж');
        const now = clock.now();
        const due = parseDueDate(body.RedirectDueDate) ?? now + 24 * 3_600_000;
        const p: EmulatorPayment = {
          paymentId: String(nextPaymentId++), terminalKey: terminal.terminalKey, orderId: OrderId, amount: Amount, remaining: Amount,
          description: typeof body.Description === 'string' ? body.Description : '', status: 'NEW', method: null,
          successUrl: typeof body.SuccessURL === 'string' ? body.SuccessURL : undefined,
          failUrl: typeof body.FailURL === 'string' ? body.FailURL : undefined,
          notificationUrl: typeof body.NotificationURL === 'string' ? body.NotificationURL : undefined,
          dueAt: due, formId: randomBytes(6).toString('base64url'), qrId: null, pan: null, errorCode: '0', refundRequests: new Map(),
        };
        payments.set(p.paymentId, p);
        byForm.set(p.formId, p);
        clock.setTimeout(() => expireIfDue(p), Math.max(0, due - now));
        return { ...paymentAnswer(p), PaymentURL: `${base}/new/${p.formId}` };
      }
      case 'GetState': {
        const p = ownPayment(body);
        if (!p) return error(body.TerminalKey, '255');
        expireIfDue(p);
        // Amount stays the amount of Init after refunds (see README.md).
        return paymentAnswer(p);
      }
      case 'CheckOrder': {
        const list = [...payments.values()].filter((q) => q.terminalKey === terminal.terminalKey && q.orderId === body.OrderId);
        if (list.length === 0) return error(body.TerminalKey, '335');
        for (const q of list) expireIfDue(q);
        return {
          Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: terminal.terminalKey, OrderId: body.OrderId,
          Payments: list.map((q) => ({ PaymentId: q.paymentId, Amount: q.amount, Status: q.status, Success: 'true', ErrorCode: 0, Message: 'None' })),
        };
      }
      case 'GetQr': {
        const p = ownPayment(body);
        if (!p) return error(body.TerminalKey, '255');
        expireIfDue(p);
        if (!OPEN.has(p.status)) return error(body.TerminalKey, '8');
        if (p.amount < SBP_MIN_KOPECKS) return error(body.TerminalKey, '3016', 'Сумма операции по СБП вне допустимого диапазона');
        p.method = 'sbp';
        p.qrId ??= `AD1${randomBytes(12).toString('hex').toUpperCase()}`;
        byQr.set(p.qrId, p);
        // The NSPK link a phone would open; offline it leads to the emulator's scan-and-pay page.
        const payload = `${base}/sbp/${p.qrId}?type=02&sum=${p.amount}&cur=RUB`;
        if (body.DataType === 'IMAGE') return { Success: true, ErrorCode: '0', TerminalKey: p.terminalKey, OrderId: p.orderId, PaymentId: Number(p.paymentId), Data: `<svg xmlns="http://www.w3.org/2000/svg"><text>${escapeHtml(payload)}</text></svg>` };
        return { Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: p.terminalKey, OrderId: p.orderId, PaymentId: Number(p.paymentId), Data: payload };
      }
      case 'Cancel': {
        const p = ownPayment(body);
        if (!p) return error(body.TerminalKey, '255');
        expireIfDue(p);
        const ext = typeof body.ExternalRequestId === 'string' && body.ExternalRequestId !== '' ? body.ExternalRequestId : undefined;
        const repeated = ext ? p.refundRequests.get(ext) : undefined;
        if (repeated) return repeated;
        const original = p.remaining;
        if (OPEN.has(p.status)) {
          // Cancelling an unpaid session: always in full, Amount ignored.
          p.remaining = 0;
          setStatus(p, 'CANCELED');
        } else if (p.status === 'CONFIRMED' || p.status === 'PARTIAL_REFUNDED') {
          const amount = body.Amount === undefined ? p.remaining : body.Amount;
          if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) return error(body.TerminalKey, '2', 'Amount');
          if (amount > p.remaining) return error(body.TerminalKey, '330');
          p.remaining -= amount;
          setStatus(p, p.remaining === 0 ? 'REFUNDED' : 'PARTIAL_REFUNDED');
        } else {
          return error(body.TerminalKey, '8');
        }
        const result = {
          Success: true, ErrorCode: '0', Message: 'OK', TerminalKey: p.terminalKey, Status: p.status, PaymentId: p.paymentId, OrderId: p.orderId,
          OriginalAmount: original, NewAmount: p.remaining, ...(ext ? { ExternalRequestId: ext } : {}),
        };
        if (ext) p.refundRequests.set(ext, result);
        return result;
      }
      default:
        return error(body.TerminalKey, '9999', `unknown method ${method}`);
    }
  }

  function page(title: string, inner: string): string {
    return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.6rem 0}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}button{font:inherit;padding:.6rem 1rem;margin:.8rem .5rem 0 0}table{border-collapse:collapse;font-size:.85rem}td{padding:.15rem .4rem;border-bottom:1px solid #ddd}.note{color:#555;font-size:.9rem}</style>
</head><body><p class="note">Эмулятор Т-Банка (интернет-эквайринг) — тестовая среда, деньги не списываются.</p>${inner}</body></html>`;
  }

  function cardForm(p: EmulatorPayment, message = ''): string {
    const cards = TEST_CARDS.map((c) => `<tr><td><code>${c.pan}</code></td><td>${escapeHtml(c.note)}</td></tr>`).join('');
    return page('Оплата картой', `<h1>Оплата ${escapeHtml(rubles(p.amount))}</h1><p>${escapeHtml(p.description)}</p>
${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/new/${p.formId}/pay">
<label>Номер карты <input name="pan" inputmode="numeric" autocomplete="cc-number" required></label>
<label>Срок действия (ММ/ГГ) <input name="exp" value="12/30" autocomplete="cc-exp" required></label>
<label>CVV <input name="cvv" value="123" inputmode="numeric" autocomplete="cc-csc" required></label>
<button type="submit">Оплатить</button></form>
<form method="post" action="/new/${p.formId}/cancel"><button type="submit">Отменить</button></form>
<h2>Тестовые карты</h2><table>${cards}</table>`);
  }

  function finished(p: EmulatorPayment): string {
    return page('Платёж', `<h1>Платёж ${PAID.has(p.status) ? 'уже оплачен' : 'недоступен'}</h1><p>Статус: ${escapeHtml(p.status)}</p>`);
  }

  function back(res: http.ServerResponse, url: string | undefined, p: EmulatorPayment): void {
    if (url) answer(res, 303, 'text/plain; charset=utf-8', '', { location: url });
    else answer(res, 200, 'text/html; charset=utf-8', finished(p));
  }

  /** A successful one-stage card payment: AUTHORIZED, then CONFIRMED (each notified). */
  function confirm(p: EmulatorPayment): void {
    setStatus(p, 'AUTHORIZED');
    setStatus(p, 'CONFIRMED');
  }

  async function pages(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    const form = req.method === 'POST' ? new URLSearchParams((await readBody(req)) ?? '') : new URLSearchParams();
    if (parts[0] === 'new' && parts[1]) {
      const p = byForm.get(parts[1]);
      if (!p) return answer(res, 404, 'text/html; charset=utf-8', page('Не найдено', '<h1>Платёж не найден</h1>'));
      expireIfDue(p);
      const action = parts[2];
      if (!action && req.method === 'GET') {
        if (!OPEN.has(p.status)) return answer(res, 410, 'text/html; charset=utf-8', finished(p));
        if (p.status === 'NEW') p.status = 'FORM_SHOWED';
        return answer(res, 200, 'text/html; charset=utf-8', cardForm(p));
      }
      if (req.method !== 'POST') return answer(res, 405, 'text/plain', 'Method Not Allowed');
      if (action === 'cancel') {
        if (OPEN.has(p.status)) setStatus(p, 'CANCELED');
        return back(res, p.failUrl, p);
      }
      if (action === 'pay') {
        if (!OPEN.has(p.status)) return answer(res, 410, 'text/html; charset=utf-8', finished(p));
        const pan = (form.get('pan') ?? '').replace(/\D/g, '');
        const card = TEST_CARDS.find((c) => c.pan === pan);
        p.method = 'card';
        p.pan = pan;
        if (!card) return answer(res, 200, 'text/html; charset=utf-8', cardForm(p, `${MESSAGES['642']}: используйте тестовую карту`));
        if (card.outcome === 'success') {
          confirm(p);
          return back(res, p.successUrl, p);
        }
        if (card.outcome === 'decline') {
          setStatus(p, 'REJECTED', card.errorCode);
          return back(res, p.failUrl, p);
        }
        // Intermediate statuses are not notified.
        p.status = '3DS_CHECKING';
        return answer(res, 200, 'text/html; charset=utf-8', page('3-D Secure', `<h1>Подтверждение платежа</h1><p>Банк-эмитент (ACS эмулятора). Пароль: <code>${ACS_PASSCODE}</code></p>
<form method="post" action="/new/${p.formId}/acs"><label>Одноразовый пароль <input name="otp" autocomplete="one-time-code" required></label><button type="submit">Подтвердить</button></form>`));
      }
      if (action === 'acs') {
        if (p.status !== '3DS_CHECKING') return answer(res, 410, 'text/html; charset=utf-8', finished(p));
        const card = TEST_CARDS.find((c) => c.pan === p.pan);
        if (card?.outcome === '3ds_challenge' && form.get('otp') === ACS_PASSCODE) {
          p.status = '3DS_CHECKED';
          confirm(p);
          return back(res, p.successUrl, p);
        }
        setStatus(p, 'AUTH_FAIL', '101');
        return back(res, p.failUrl, p);
      }
      return answer(res, 404, 'text/plain', 'Not Found');
    }
    if (parts[0] === 'sbp' && parts[1]) {
      const p = byQr.get(parts[1]);
      if (!p) return answer(res, 404, 'text/html; charset=utf-8', page('Не найдено', '<h1>QR-код не найден</h1>'));
      expireIfDue(p);
      if (req.method === 'GET') {
        if (!OPEN.has(p.status)) return answer(res, 410, 'text/html; charset=utf-8', finished(p));
        if (p.status === 'NEW') p.status = 'FORM_SHOWED';
        return answer(res, 200, 'text/html; charset=utf-8', page('СБП', `<h1>Оплата по QR-коду СБП</h1><p>Банк покупателя (эмулятор). Получатель: терминал ${escapeHtml(p.terminalKey)}</p><p>Сумма: <strong>${escapeHtml(rubles(p.amount))}</strong></p><p>${escapeHtml(p.description)}</p>
<form method="post" action="/sbp/${p.qrId}"><button type="submit" name="action" value="pay">Оплатить</button><button type="submit" name="action" value="decline">Отклонить</button></form>`));
      }
      if (!OPEN.has(p.status)) return answer(res, 410, 'text/html; charset=utf-8', finished(p));
      if (form.get('action') === 'pay') {
        // SBP has no two-stage payments: straight to CONFIRMED.
        setStatus(p, 'CONFIRMED');
        return answer(res, 200, 'text/html; charset=utf-8', page('СБП', '<h1>Оплачено</h1><p>Вернитесь на страницу магазина.</p>'));
      }
      setStatus(p, 'REJECTED', '1006');
      return answer(res, 200, 'text/html; charset=utf-8', page('СБП', '<h1>Платёж отклонён</h1>'));
    }
    answer(res, 404, 'text/plain', 'Not Found');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^\/v2\/([A-Za-z]+)$/.exec(path);
    if (!m) return pages(req, res, path);
    const method = m[1] as string;
    const f = fault && (!fault.methods || fault.methods.includes(method)) ? fault : null;
    if (f && f.times !== undefined && --f.times <= 0) fault = null;
    if (f?.fault.kind === 'down') {
      req.socket.destroy();
      return;
    }
    const raw = await readBody(req);
    if (f?.fault.kind === 'slow') await new Promise((r) => setTimeout(r, (f.fault as { delayMs: number }).delayMs));
    if (f?.fault.kind === 'garbage') return answer(res, 200, 'application/json', '\u0000{"Succ');
    if (f?.fault.kind === 'html') return answer(res, 502, 'text/html', '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>');
    if (req.method !== 'POST') return answer(res, 405, 'text/plain', 'Method Not Allowed');
    let body: unknown;
    try {
      body = JSON.parse(raw ?? '');
    } catch {
      body = undefined;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return json(res, error(undefined, '9999', 'request is not a JSON object'));
    if (f?.fault.kind === 'error') {
      const code = f.fault.errorCode ?? '9999';
      return json(res, { ...error((body as Record<string, unknown>).TerminalKey, code), ...(f.fault.message ? { Message: f.fault.message } : {}) });
    }
    const result = api(method, body as Record<string, unknown>);
    if (f?.fault.kind === 'lost') {
      req.socket.destroy();
      return;
    }
    json(res, result);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, 'text/plain', 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = (opts.baseUrl ?? `http://${host}:${port}`).replace(/\/$/, '');

  return Object.assign(emulator, {
    url: base,
    apiUrl: `${base}/v2`,
    setFault(f: ApiFault | null, o: { methods?: string[]; times?: number } = {}) {
      fault = f ? { fault: f, ...(o.methods ? { methods: o.methods } : {}), ...(o.times !== undefined ? { times: o.times } : {}) } : null;
    },
    payment: (id: string) => payments.get(id),
    pay(id: string, outcome: 'success' | 'decline' = 'success') {
      const p = payments.get(id);
      if (!p) return false;
      expireIfDue(p);
      if (!OPEN.has(p.status)) return false;
      if (p.method !== 'sbp') {
        p.method = 'card';
        p.pan = outcome === 'success' ? '2200770239097761' : '2201382000000021';
      }
      if (outcome === 'decline') setStatus(p, 'REJECTED', '1006');
      else if (p.method === 'sbp') setStatus(p, 'CONFIRMED');
      else confirm(p);
      return true;
    },
    paymentsOfOrder: (orderId: string) => [...payments.values()].filter((p) => p.orderId === orderId),
    notifications,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
