/**
 * An offline YooKassa (API v3), built from YooKassa's public documentation, for tests, the demo and
 * shops developing without a network. A real HTTP server on loopback:
 *
 * - the API under `/v3`: `POST /payments`, `GET /payments/{id}`, `GET /payments` (list with
 *   `created_at.gte` / `created_at.lte` / `status` / `limit` / `cursor`), `POST /refunds`,
 *   `GET /refunds/{id}`; HTTP Basic `shopId:secretKey` (401 `invalid_credentials` otherwise);
 *   `Idempotence-Key` on every POST (≤ 64 characters, kept 24 hours: the same key with the same body
 *   answers the first result again, with another body 400 `Idempotence key duplicated`); YooKassa's
 *   error object `{type: "error", id, code, description, parameter}`;
 * - the buyer's confirmation page at `/checkout/payments/v2/contract?orderId={id}`: a card form that
 *   knows YooKassa's published test cards (success and the documented declines), a YooMoney wallet
 *   page and an SBP "scan and pay" page, each returning the buyer to `return_url`;
 * - notifications `{type: "notification", event, object}` POSTed to the URL set "in the dashboard"
 *   (`notificationUrl`), unsigned as YooKassa's are, repeated until HTTP 200 for 24 hours from the
 *   event (the schedule is ours: YooKassa documents only the 24 hours), through an injectable
 *   scheduler so tests do not wait;
 * - switches: drop or forge notifications; make the API down (connection cut), slow, answer garbage,
 *   an HTML page, an error object or 429 / 5xx.
 *
 * @example
 *   const yk = await startYooKassaEmulator({ shopId: '100500', secretKey: 'test_secret', notificationUrl });
 *   // config: { type: 'yookassa', shopId: '100500', secretKey: 'test_secret', apiUrl: yk.apiUrl }
 *   yk.fault({ kind: 'status', status: 429 }, 1); // the next API call gets 429 too_many_requests
 *   await yk.close();
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { CONFIRMATION_TTL_MS, DESCRIPTION_MAX, formatValue, parseValue, YOOKASSA_METHODS } from './transform.ts';

/** Something wrong with the API, for the next calls. */
export type EmulatorFault =
  /** The connection is cut without an answer (a host down, a reset). */
  | { kind: 'down' }
  /** The request is handled, but the answer comes `delayMs` later (a deadline passes: the outcome is unknown). */
  | { kind: 'slow'; delayMs: number }
  /** HTTP 200 with bytes that are not JSON. */
  | { kind: 'garbage' }
  /** An HTML error page from a proxy in front (HTTP 502 by default). */
  | { kind: 'html'; status?: number }
  /** YooKassa's error object with that HTTP status; the request is not handled. Defaults per status (429 `too_many_requests`, 500 `internal_server_error`). */
  | { kind: 'status'; status: number; code?: string; description?: string; parameter?: string };

export interface FaultRule {
  fault: EmulatorFault;
  /** How many more calls it hits; `Infinity` until cleared. */
  remaining: number;
  /** Only calls to this route (`POST /payments`, `GET /payments/{id}`, `POST /refunds`, …); every API call when absent. */
  route?: string;
}

/** One notification attempt, as the emulator made it. */
export interface DeliveryRecord {
  event: string;
  objectId: string;
  attempt: number;
  /** HTTP status of the answer, or `null` when there was none. */
  status: number | null;
  at: number;
}

export interface YooKassaEmulatorOptions {
  shopId: string;
  secretKey: string;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Where notifications go: what an operator enters in YooKassa's dashboard. None are sent when absent. */
  notificationUrl?: string;
  now?: () => number;
  /** Runs `run` after `delayMs` (default: an unref'd `setTimeout`). Tests pass one they drive themselves. */
  schedule?: (delayMs: number, run: () => void) => void;
  /** POSTs one notification; resolves to the HTTP status, or `null` with no answer (default: node:http, 10 s). */
  send?: (url: string, body: string) => Promise<number | null>;
  /** Attempt times in ms after the event (default `NOTIFY_RETRY_MS`); none after 24 hours. */
  retryScheduleMs?: readonly number[];
  /** How long the buyer has before a `pending` payment is canceled (`expired_on_confirmation`), default 1 hour. */
  confirmationTtlMs?: number;
}

/**
 * When the emulator repeats an unanswered notification, in ms after the event. YooKassa documents
 * only that it keeps trying for 24 hours until HTTP 200; these intervals are our choice.
 */
export const NOTIFY_RETRY_MS: readonly number[] = [
  0, 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000, 4 * 3_600_000, 8 * 3_600_000, 16 * 3_600_000, 24 * 3_600_000,
];
const NOTIFY_WINDOW_MS = 24 * 3_600_000;
const IDEMPOTENCE_TTL_MS = 24 * 3_600_000;
const IDEMPOTENCE_KEY_MAX = 64;
const MAX_BODY_BYTES = 1024 * 1024;

/** YooKassa's published test cards that pay (any future expiry, any CVC and 3-D Secure code). */
export const SUCCESS_CARDS: readonly string[] = [
  '5555555555554477', '5555555555554444', '4793128161644804', '4111111111111111', '2200000000000004', '2202474301322987',
  '6759649826438453', '4175001000000017', '370000000000002', '3528000700000000', '36700102000000',
];

/** YooKassa's published test cards that are declined, with `cancellation_details` (party, reason). */
export const DECLINE_CARDS: Readonly<Record<string, { party: string; reason: string }>> = (() => {
  const byReason: [string, string, string[]][] = [
    ['payment_network', '3d_secure_failed', ['5555555555554592', '4839665499603842', '2200000000000012']],
    ['payment_network', 'call_issuer', ['5555555555554535', '4926946416239025', '2200000000000020']],
    ['payment_network', 'card_expired', ['5555555555554543', '4141435412630840', '2200000000000038']],
    ['payment_network', 'fraud_suspected', ['5555555555554568', '4483274282299972', '2200000000000046']],
    ['payment_network', 'general_decline', ['5555555555554527', '4889971706588753', '2202202212312379']],
    ['payment_network', 'insufficient_funds', ['5555555555554600', '4562265587712390', '2200000000000053']],
    ['payment_network', 'invalid_card_number', ['5555555555554618', '4951017853630544', '2201382000000013']],
    ['payment_network', 'invalid_csc', ['5555555555554626', '4194180666146368', '2200770212727079']],
    ['payment_network', 'issuer_unavailable', ['5555555555554501', '4654130848359150', '2201382000000021']],
    ['payment_network', 'payment_method_limit_exceeded', ['5555555555554576', '4565231022577548', '2201382000000039']],
    ['payment_network', 'payment_method_restricted', ['5555555555554550', '4233961169071671', '2201382000000047']],
    ['yoo_money', 'country_forbidden', ['5555555555554584', '4969751510013864', '2201382000000054']],
    ['yoo_money', 'fraud_suspected', ['5555555555554634', '4119098878796485', '2201696981989955']],
  ];
  const out: Record<string, { party: string; reason: string }> = {};
  for (const [party, reason, cards] of byReason) for (const c of cards) out[c] = { party, reason };
  return out;
})();

interface EmuRefund {
  id: string;
  paymentId: string;
  amountMinor: bigint;
  currency: string;
  description: string | undefined;
  createdAt: number;
}

interface EmuPayment {
  id: string;
  status: 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';
  amountMinor: bigint;
  currency: string;
  method: string;
  returnUrl: string;
  description: string | undefined;
  metadata: Record<string, string>;
  createdAt: number;
  capturedAt: number | null;
  refundedMinor: bigint;
  cancellation: { party: string; reason: string } | null;
  card: string | null;
}

interface StoredAnswer {
  hash: string;
  status: number;
  body: string;
  at: number;
}

/** The running emulator. */
export interface YooKassaEmulator {
  /** `http://127.0.0.1:{port}` */
  readonly url: string;
  /** `{url}/v3`: the connector's `apiUrl`. */
  readonly apiUrl: string;
  /** The notification URL; may be changed while running. */
  notificationUrl: string | undefined;
  /** While true, notifications are not sent at all (the events still happen). */
  dropNotifications: boolean;
  /** Every notification attempt made. */
  readonly deliveries: DeliveryRecord[];
  /** How many API requests arrived, per route (`POST /payments` …), faulted ones included. */
  readonly calls: Record<string, number>;
  /** Makes the next `times` API calls (on `route`, when given) fail that way. */
  fault(fault: EmulatorFault, times?: number, route?: string): void;
  clearFaults(): void;
  /** A payment as the API would answer it now, or `undefined`. */
  payment(id: string): Record<string, unknown> | undefined;
  /** All payments created, newest last. */
  paymentIds(): string[];
  /** Completes a pending payment as the buyer would on the page: paid, or canceled with a documented reason. */
  complete(id: string, outcome: 'succeeded' | { party: string; reason: string }): boolean;
  /** Cancels pending payments older than the confirmation time (`expired_on_confirmation`). */
  expireDue(): void;
  /** POSTs a body of the caller's choosing to the notification URL, once: a forged notification. */
  forge(body: unknown): Promise<number | null>;
  close(): Promise<void>;
}

function newId(): string {
  const h = randomBytes(16).toString('hex');
  // YooKassa's ids look like `22e12f66-000f-5000-8000-18db351245c7`.
  return `${h.slice(0, 8)}-000f-5000-${(8 + (parseInt(h[8]!, 16) & 3)).toString(16)}${h.slice(9, 12)}-${h.slice(12, 24)}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function defaultSend(url: string, body: string): Promise<number | null> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return resolve(null);
    }
    const lib = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = lib(u, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'YooKassa-emulator' },
      timeout: 10_000,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

const DEFAULT_CODES: Record<number, [string, string]> = {
  400: ['invalid_request', 'Bad request'],
  401: ['invalid_credentials', 'Login or password is incorrect'],
  403: ['forbidden', 'Not enough rights to perform the operation'],
  404: ['not_found', 'Resource not found'],
  429: ['too_many_requests', 'Request rate limit exceeded'],
  500: ['internal_server_error', 'Internal server error. The result of the request is unknown: repeat it with the same Idempotence-Key'],
};

/** Starts the emulator on loopback. */
export async function startYooKassaEmulator(options: YooKassaEmulatorOptions): Promise<YooKassaEmulator> {
  const now = options.now ?? (() => Date.now());
  const schedule = options.schedule ?? ((delayMs: number, run: () => void) => { setTimeout(run, delayMs).unref(); });
  const send = options.send ?? defaultSend;
  const retrySchedule = options.retryScheduleMs ?? NOTIFY_RETRY_MS;
  const confirmationTtl = options.confirmationTtlMs ?? CONFIRMATION_TTL_MS;
  const expectedAuth = Buffer.from(`${options.shopId}:${options.secretKey}`, 'utf8');

  const payments = new Map<string, EmuPayment>();
  const refunds = new Map<string, EmuRefund>();
  const idempotence = new Map<string, StoredAnswer>();
  const faults: FaultRule[] = [];
  const sockets = new Set<Socket>();
  let base = '';

  const emu: YooKassaEmulator = {
    get url() { return base; },
    get apiUrl() { return `${base}/v3`; },
    notificationUrl: options.notificationUrl,
    dropNotifications: false,
    deliveries: [],
    calls: {},
    fault(fault, times = 1, route) {
      faults.push({ fault, remaining: times, ...(route ? { route } : {}) });
    },
    clearFaults() {
      faults.length = 0;
    },
    payment(id) {
      const p = payments.get(id);
      if (!p) return undefined;
      expireIfDue(p);
      return render(p);
    },
    paymentIds: () => [...payments.keys()],
    complete(id, outcome) {
      const p = payments.get(id);
      if (!p || p.status !== 'pending') return false;
      finish(p, outcome);
      return true;
    },
    expireDue() {
      for (const p of payments.values()) expireIfDue(p);
    },
    async forge(body) {
      if (!emu.notificationUrl) return null;
      return send(emu.notificationUrl, typeof body === 'string' ? body : JSON.stringify(body));
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };

  // ---- the objects as the API shows them ----

  function render(p: EmuPayment): Record<string, unknown> {
    const o: Record<string, unknown> = {
      id: p.id,
      status: p.status,
      paid: p.status === 'succeeded' || p.status === 'waiting_for_capture',
      amount: { value: formatValue(p.amountMinor), currency: p.currency },
    };
    if (p.status === 'succeeded') o.income_amount = { value: formatValue(p.amountMinor - (p.amountMinor * 35n) / 1000n), currency: p.currency };
    if (p.status === 'pending') {
      o.confirmation = { type: 'redirect', return_url: p.returnUrl, confirmation_url: `${base}/checkout/payments/v2/contract?orderId=${p.id}` };
    }
    o.created_at = new Date(p.createdAt).toISOString();
    if (p.capturedAt !== null) o.captured_at = new Date(p.capturedAt).toISOString();
    if (p.description !== undefined) o.description = p.description;
    o.metadata = p.metadata;
    const method: Record<string, unknown> = { type: p.method, id: p.id, saved: false };
    if (p.card) method.card = { first6: p.card.slice(0, 6), last4: p.card.slice(-4), expiry_month: '12', expiry_year: '2030', card_type: cardType(p.card) };
    o.payment_method = method;
    o.recipient = { account_id: options.shopId, gateway_id: `${options.shopId}01` };
    if (p.refundedMinor > 0n) o.refunded_amount = { value: formatValue(p.refundedMinor), currency: p.currency };
    o.refundable = p.status === 'succeeded' && p.refundedMinor < p.amountMinor;
    if (p.cancellation) o.cancellation_details = p.cancellation;
    o.test = true;
    return o;
  }

  function renderRefund(r: EmuRefund): Record<string, unknown> {
    const o: Record<string, unknown> = {
      id: r.id,
      payment_id: r.paymentId,
      status: 'succeeded',
      created_at: new Date(r.createdAt).toISOString(),
      amount: { value: formatValue(r.amountMinor), currency: r.currency },
    };
    if (r.description) o.description = r.description;
    return o;
  }

  function cardType(card: string): string {
    if (card.startsWith('4')) return 'Visa';
    if (card.startsWith('5')) return 'MasterCard';
    if (card.startsWith('22')) return 'Mir';
    if (card.startsWith('6')) return 'Maestro';
    if (card.startsWith('3')) return card.startsWith('35') ? 'JCB' : card.startsWith('37') ? 'AmericanExpress' : 'DinersClub';
    return 'Unknown';
  }

  // ---- state changes and notifications ----

  function finish(p: EmuPayment, outcome: 'succeeded' | { party: string; reason: string }): void {
    if (outcome === 'succeeded') {
      p.status = 'succeeded';
      p.capturedAt = now();
      notify('payment.succeeded', p.id, render(p));
    } else {
      p.status = 'canceled';
      p.cancellation = outcome;
      notify('payment.canceled', p.id, render(p));
    }
  }

  function expireIfDue(p: EmuPayment): void {
    if (p.status === 'pending' && now() - p.createdAt >= confirmationTtl) finish(p, { party: 'yoo_money', reason: 'expired_on_confirmation' });
  }

  function notify(event: string, objectId: string, object: Record<string, unknown>): void {
    if (emu.dropNotifications || !emu.notificationUrl) return;
    const body = JSON.stringify({ type: 'notification', event, object });
    const eventAt = now();
    const attempt = (n: number): void => {
      const url = emu.notificationUrl;
      if (!url) return;
      void send(url, body).then((status) => {
        emu.deliveries.push({ event, objectId, attempt: n + 1, status, at: now() });
        if (status === 200) return;
        const next = retrySchedule[n + 1];
        if (next === undefined || next > NOTIFY_WINDOW_MS) return;
        schedule(Math.max(0, eventAt + next - now()), () => attempt(n + 1));
      });
    };
    schedule(retrySchedule[0] ?? 0, () => attempt(0));
  }

  // ---- HTTP ----

  function answer(res: ServerResponse, status: number, body: string, contentType = 'application/json; charset=utf-8'): void {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function errorBody(status: number, code?: string, description?: string, parameter?: string): string {
    const [defCode, defDescription] = DEFAULT_CODES[status] ?? DEFAULT_CODES[status >= 500 ? 500 : 400]!;
    const o: Record<string, unknown> = { type: 'error', id: newId(), code: code ?? defCode, description: description ?? defDescription };
    if (parameter) o.parameter = parameter;
    return JSON.stringify(o);
  }

  function authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
    if (!m) return false;
    const given = Buffer.from(m[1]!, 'base64');
    return given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth);
  }

  function routeOf(method: string, path: string): string {
    if (path === '/payments' || path === '/refunds') return `${method} ${path}`;
    if (/^\/payments\/[^/]+$/.test(path)) return `${method} /payments/{id}`;
    if (/^\/refunds\/[^/]+$/.test(path)) return `${method} /refunds/{id}`;
    return `${method} ${path}`;
  }

  function takeFault(route: string): EmulatorFault | undefined {
    const i = faults.findIndex((f) => f.remaining > 0 && (!f.route || f.route === route));
    if (i < 0) return undefined;
    const rule = faults[i]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) faults.splice(i, 1);
    return rule.fault;
  }

  type Result = { status: number; body: string };
  const ok = (o: unknown): Result => ({ status: 200, body: JSON.stringify(o) });
  const fail = (status: number, code?: string, description?: string, parameter?: string): Result => ({ status, body: errorBody(status, code, description, parameter) });

  function createPayment(body: unknown): Result {
    if (!body || typeof body !== 'object') return fail(400, 'invalid_request', 'Request body must be a JSON object');
    const b = body as Record<string, unknown>;
    const amount = b.amount as Record<string, unknown> | undefined;
    if (!amount || typeof amount !== 'object') return fail(400, 'invalid_request', 'Missing the required parameter', 'amount');
    const value = typeof amount.value === 'string' ? parseValue(amount.value) : null;
    if (value === null || value <= 0n) return fail(400, 'invalid_request', 'Invalid amount value', 'amount.value');
    if (typeof amount.currency !== 'string' || !/^[A-Z]{3}$/.test(amount.currency)) return fail(400, 'invalid_request', 'Invalid currency', 'amount.currency');
    if (!['RUB', 'USD', 'EUR'].includes(amount.currency)) return fail(400, 'not_supported', 'Currency is not supported', 'amount.currency');
    if (b.capture !== undefined && typeof b.capture !== 'boolean') return fail(400, 'invalid_request', 'Invalid value', 'capture');
    const confirmation = b.confirmation as Record<string, unknown> | undefined;
    if (!confirmation || confirmation.type !== 'redirect') return fail(400, 'invalid_request', 'Only confirmation type redirect is emulated', 'confirmation.type');
    if (typeof confirmation.return_url !== 'string' || confirmation.return_url.length > 2048 || !/^https?:\/\//.test(confirmation.return_url)) {
      return fail(400, 'invalid_request', 'Invalid return_url', 'confirmation.return_url');
    }
    const pmd = b.payment_method_data as Record<string, unknown> | undefined;
    const method = pmd && typeof pmd.type === 'string' ? pmd.type : 'bank_card';
    if (!(YOOKASSA_METHODS as readonly string[]).includes(method)) return fail(400, 'not_supported', 'Payment method is not supported by the emulator', 'payment_method_data.type');
    if (b.description !== undefined && (typeof b.description !== 'string' || Array.from(b.description).length > DESCRIPTION_MAX)) {
      return fail(400, 'invalid_request', `Description must be a string of at most ${DESCRIPTION_MAX} characters`, 'description');
    }
    const metadata: Record<string, string> = {};
    if (b.metadata !== undefined) {
      if (!b.metadata || typeof b.metadata !== 'object' || Array.isArray(b.metadata)) return fail(400, 'invalid_request', 'Invalid metadata', 'metadata');
      const entries = Object.entries(b.metadata as Record<string, unknown>);
      if (entries.length > 16) return fail(400, 'invalid_request', 'Metadata may have at most 16 keys', 'metadata');
      for (const [k, v] of entries) {
        if (k.length > 32 || typeof v !== 'string' || v.length > 512) return fail(400, 'invalid_request', 'Invalid metadata key or value', `metadata.${k}`);
        metadata[k] = v;
      }
    }
    if (b.capture === false) return fail(400, 'not_supported', 'Two-stage payments are not emulated', 'capture');
    const p: EmuPayment = {
      id: newId(),
      status: 'pending',
      amountMinor: value,
      currency: amount.currency,
      method,
      returnUrl: confirmation.return_url,
      description: typeof b.description === 'string' ? b.description : undefined,
      metadata,
      createdAt: now(),
      capturedAt: null,
      refundedMinor: 0n,
      cancellation: null,
      card: null,
    };
    payments.set(p.id, p);
    return ok(render(p));
  }

  function createRefund(body: unknown): Result {
    if (!body || typeof body !== 'object') return fail(400, 'invalid_request', 'Request body must be a JSON object');
    const b = body as Record<string, unknown>;
    if (typeof b.payment_id !== 'string') return fail(400, 'invalid_request', 'Missing the required parameter', 'payment_id');
    const p = payments.get(b.payment_id);
    if (!p) return fail(404, 'not_found', 'Payment not found', 'payment_id');
    const amount = b.amount as Record<string, unknown> | undefined;
    const value = amount && typeof amount.value === 'string' ? parseValue(amount.value) : null;
    if (value === null || value <= 0n) return fail(400, 'invalid_request', 'Invalid amount value', 'amount.value');
    if (amount!.currency !== p.currency) return fail(400, 'invalid_request', 'Refund currency differs from the payment currency', 'amount.currency');
    if (p.status !== 'succeeded') return fail(400, 'invalid_request', `Payment in status ${p.status} cannot be refunded`, 'payment_id');
    if (p.refundedMinor + value > p.amountMinor) {
      return fail(400, 'invalid_request', 'Refund amount exceeds the amount available for refund', 'amount.value');
    }
    const r: EmuRefund = {
      id: newId(),
      paymentId: p.id,
      amountMinor: value,
      currency: p.currency,
      description: typeof b.description === 'string' ? b.description : undefined,
      createdAt: now(),
    };
    refunds.set(r.id, r);
    p.refundedMinor += value;
    notify('refund.succeeded', r.id, renderRefund(r));
    return ok(renderRefund(r));
  }

  function listPayments(query: URLSearchParams): Result {
    const time = (name: string): number | null | undefined => {
      const v = query.get(name);
      if (v === null) return undefined;
      const t = Date.parse(v);
      return Number.isNaN(t) ? null : t;
    };
    const bounds = { gte: time('created_at.gte'), gt: time('created_at.gt'), lte: time('created_at.lte'), lt: time('created_at.lt') };
    for (const [k, v] of Object.entries(bounds)) if (v === null) return fail(400, 'invalid_request', 'Invalid date', `created_at.${k}`);
    const limitText = query.get('limit') ?? '10';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(400, 'invalid_request', 'limit must be 1 to 100', 'limit');
    const status = query.get('status');
    for (const p of payments.values()) expireIfDue(p);
    const all = [...payments.values()]
      .filter((p) => p.createdAt >= (bounds.gte ?? -Infinity) && p.createdAt > (bounds.gt ?? -Infinity)
        && p.createdAt <= (bounds.lte ?? Infinity) && p.createdAt < (bounds.lt ?? Infinity)
        && (!status || p.status === status))
      .reverse(); // newest first, as YooKassa lists
    const cursor = query.get('cursor');
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) return fail(400, 'invalid_request', 'Invalid cursor', 'cursor');
    const page = all.slice(start, start + limit);
    const o: Record<string, unknown> = { type: 'list', items: page.map(render) };
    if (start + limit < all.length) o.next_cursor = Buffer.from(String(start + limit), 'utf8').toString('base64url');
    return ok(o);
  }

  function api(method: string, path: string, query: URLSearchParams, req: IncomingMessage, raw: string): Result {
    if (!authorized(req)) return fail(401, 'invalid_credentials', 'Login or password is incorrect. Check the shopId and the secret key', 'Authorization');
    if (method === 'POST') {
      const key = req.headers['idempotence-key'];
      if (typeof key !== 'string' || key === '') return fail(400, 'invalid_request', 'Idempotence-Key header is required', 'Idempotence-Key');
      if (key.length > IDEMPOTENCE_KEY_MAX) return fail(400, 'invalid_request', 'Idempotence key is too long. Send the value in accordance with the documentation', 'Idempotence-Key');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return fail(400, 'invalid_request', 'Request body is not valid JSON');
      }
      const hash = `${path} ${canonical(body)}`;
      const seen = idempotence.get(key);
      if (seen && now() - seen.at < IDEMPOTENCE_TTL_MS) {
        return seen.hash === hash ? { status: seen.status, body: seen.body } : fail(400, 'invalid_request', 'Idempotence key duplicated', 'Idempotence-Key');
      }
      let result: Result;
      if (path === '/payments') result = createPayment(body);
      else if (path === '/refunds') result = createRefund(body);
      else result = fail(404, 'not_found', 'Unknown endpoint');
      if (result.status < 500) idempotence.set(key, { hash, status: result.status, body: result.body, at: now() });
      return result;
    }
    if (method === 'GET') {
      if (path === '/payments') return listPayments(query);
      let m = /^\/payments\/([^/]+)$/.exec(path);
      if (m) {
        const p = payments.get(decodeURIComponent(m[1]!));
        if (!p) return fail(404, 'not_found', 'Payment not found or access denied', 'payment_id');
        expireIfDue(p);
        return ok(render(p));
      }
      m = /^\/refunds\/([^/]+)$/.exec(path);
      if (m) {
        const r = refunds.get(decodeURIComponent(m[1]!));
        return r ? ok(renderRefund(r)) : fail(404, 'not_found', 'Refund not found or access denied', 'refund_id');
      }
    }
    return fail(404, 'not_found', 'Unknown endpoint');
  }

  // ---- the buyer's pages ----

  const PAGE_STYLE = 'body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}'
    + 'h1{font-size:1.4rem}label{display:block;margin:.6rem 0}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}'
    + 'button{font:inherit;padding:.6rem 1.2rem;margin:.8rem .5rem 0 0;cursor:pointer}.amount{font-size:1.6rem;font-weight:600}'
    + '.note{color:#555;font-size:.9rem}.qr{font-family:monospace;word-break:break-all;border:1px dashed #999;padding:.6rem}';

  function page(res: ServerResponse, status: number, title: string, content: string): void {
    const html = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
      + `<title>${escapeHtml(title)} — ЮKassa (эмулятор)</title><style>${PAGE_STYLE}</style></head><body>`
      + `<p class="note">ЮKassa — тестовый магазин (офлайн-эмулятор)</p><h1>${escapeHtml(title)}</h1>${content}</body></html>`;
    // YooKassa's redirect page is not meant to be framed (its embedded widget is a separate product).
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
      'cache-control': 'no-store',
    });
    res.end(html);
  }

  function confirmationPage(res: ServerResponse, p: EmuPayment, error?: string): void {
    expireIfDue(p);
    const sum = `<p class="amount">${escapeHtml(formatValue(p.amountMinor))} ${escapeHtml(p.currency)}</p>`
      + (p.description ? `<p>${escapeHtml(p.description)}</p>` : '');
    if (p.status !== 'pending') {
      const text = p.status === 'succeeded' ? 'Платёж прошёл' : `Платёж отменён (${escapeHtml(p.cancellation?.reason ?? 'canceled')})`;
      return page(res, 200, text, `${sum}<p><a href="${escapeHtml(p.returnUrl)}">Вернуться в магазин</a></p>`);
    }
    const action = `/checkout/payments/v2/contract?orderId=${encodeURIComponent(p.id)}`;
    const err = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
    if (p.method === 'bank_card') {
      return page(res, 200, 'Оплата картой', `${sum}${err}<form method="post" action="${escapeHtml(action)}">`
        + '<label>Номер карты <input name="card" inputmode="numeric" autocomplete="cc-number" required></label>'
        + '<label>Срок действия (ММ/ГГ) <input name="expiry" autocomplete="cc-exp" placeholder="12/30" required></label>'
        + '<label>CVC <input name="cvc" inputmode="numeric" autocomplete="cc-csc" required></label>'
        + '<button name="action" value="pay" type="submit">Заплатить</button>'
        + '<button name="action" value="cancel" type="submit" formnovalidate>Отказаться</button></form>'
        + '<p class="note">Тестовые карты ЮKassa: 5555 5555 5555 4477 — успех, 5555 5555 5555 4600 — недостаточно средств, '
        + '5555 5555 5555 4592 — 3-D Secure не пройден. Срок — любая будущая дата, CVC — любые цифры.</p>');
    }
    if (p.method === 'sbp') {
      return page(res, 200, 'Оплата через СБП', `${sum}${err}<p>Отсканируйте QR-код в приложении банка или выберите банк на телефоне.</p>`
        + `<p class="qr">${escapeHtml(`${base}${action}`)}</p><form method="post" action="${escapeHtml(action)}">`
        + '<button name="action" value="pay" type="submit">Оплатить в приложении банка (тест)</button>'
        + '<button name="action" value="cancel" type="submit">Отказаться</button></form>');
    }
    return page(res, 200, 'Оплата из кошелька ЮMoney', `${sum}${err}<form method="post" action="${escapeHtml(action)}">`
      + '<p>Тестовый кошелёк: платёж проходит без настоящего кошелька.</p>'
      + '<button name="action" value="pay" type="submit">Заплатить</button>'
      + '<button name="action" value="cancel" type="submit">Отказаться</button></form>');
  }

  function confirmationPost(res: ServerResponse, p: EmuPayment, form: URLSearchParams): void {
    expireIfDue(p);
    if (p.status === 'pending') {
      const act = form.get('action');
      if (act === 'cancel') finish(p, { party: 'merchant', reason: 'canceled_by_merchant' });
      else if (act === 'pay') {
        if (p.method === 'bank_card') {
          const card = (form.get('card') ?? '').replace(/[\s-]/g, '');
          if (!/^\d{12,19}$/.test(card)) return confirmationPage(res, p, 'Проверьте номер карты');
          if (!/^(0[1-9]|1[0-2])\/?\d{2}$/.test((form.get('expiry') ?? '').replace(/\s/g, ''))) return confirmationPage(res, p, 'Проверьте срок действия');
          if (!/^\d{3,4}$/.test(form.get('cvc') ?? '')) return confirmationPage(res, p, 'Проверьте CVC');
          p.card = card;
          const decline = DECLINE_CARDS[card];
          // Only the published test cards pay in a test shop; any other number is declined.
          finish(p, decline ?? (SUCCESS_CARDS.includes(card) ? 'succeeded' : { party: 'payment_network', reason: 'general_decline' }));
        } else finish(p, 'succeeded');
      } else return confirmationPage(res, p, 'Выберите действие');
    }
    res.writeHead(303, { location: p.returnUrl, 'content-length': 0 });
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) return answer(res, 413, errorBody(400, 'invalid_request', 'Request body too large'));
      chunks.push(c as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');

    if (url.pathname === '/checkout/payments/v2/contract') {
      const p = payments.get(url.searchParams.get('orderId') ?? '');
      if (!p) return page(res, 404, 'Платёж не найден', '<p>Проверьте ссылку.</p>');
      if (method === 'POST') return confirmationPost(res, p, new URLSearchParams(raw));
      return confirmationPage(res, p);
    }
    if (!url.pathname.startsWith('/v3/')) return answer(res, 404, errorBody(404, 'not_found', 'Unknown endpoint'));

    const path = url.pathname.slice(3);
    const route = routeOf(method, path);
    emu.calls[route] = (emu.calls[route] ?? 0) + 1;
    const fault = takeFault(route);
    if (fault?.kind === 'down') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'garbage') return answer(res, 200, '\u0000\u00ffnot json {{{', 'application/json');
    if (fault?.kind === 'html') {
      return answer(res, fault.status ?? 502, '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>', 'text/html');
    }
    if (fault?.kind === 'status') return answer(res, fault.status, errorBody(fault.status, fault.code, fault.description, fault.parameter));
    const result = api(method, path, url.searchParams, req, raw);
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (res.destroyed) return;
    answer(res, result.status, result.body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, errorBody(500));
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  base = `http://${host}:${addr.port}`;
  return emu;
}
