/**
 * An offline YooKassa (API v3), built from YooKassa's public documentation and what its official
 * SDKs rely on, for tests, the demo and shops developing without a network. A real HTTP server on
 * loopback; an independent reading of the docs: it imports nothing of the connector (`client.ts`,
 * `transform.ts`) nor of the gateway, only its own `emulator-*.ts` modules and node built-ins.
 *
 * - the API under `/v3` (`emulator-api.ts`): payments one- and two-stage (`capture: false`, then
 *   `POST /payments/{id}/capture` in full or in part, or `/cancel`; holds expire), saved methods
 *   (`save_payment_method`, `payment_method_id`), 54-ФЗ receipts (`emulator-receipts.ts`), refunds,
 *   the lists of payments, refunds and receipts, webhooks and `/me` (OAuth only); HTTP Basic
 *   `shopId:secretKey` or `Authorization: Bearer` with an OAuth token; `Idempotence-Key` on every
 *   POST (≤ 64 characters, kept 24 hours); a POST with no body is `{}`, as the official SDKs send
 *   `cancel` and `capture`; YooKassa's error object `{type: "error", id, code, description, parameter}`;
 * - the buyer's page at `/checkout/payments/v2/contract?orderId={id}` (`emulator-pages.ts`);
 * - notifications `{type: "notification", event, object}` POSTed to the dashboard URL
 *   (`notificationUrl`) and to the webhooks registered for the event, unsigned as YooKassa's are,
 *   repeated until HTTP 200 for 24 hours, through an injectable scheduler so tests do not wait;
 * - switches: drop or forge notifications; make the API down, slow, answer garbage, an HTML page,
 *   an error object, 429 / 5xx, or 202 "processing"; set what the next charge of a saved method does.
 *
 * @example
 *   const yk = await startYooKassaEmulator({ shopId: '100500', secretKey: 'test_secret', notificationUrl });
 *   // config: { type: 'yookassa', shopId: '100500', secretKey: 'test_secret', apiUrl: yk.apiUrl }
 *   yk.fault({ kind: 'status', status: 429 }, 1); // the next API call gets 429 too_many_requests
 *   await yk.close();
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { createShop, errorObject, type ApiResult } from './emulator-api.ts';
import { type Cancellation, canonical, EMU_CONFIRMATION_TTL_MS, EMU_DEFAULT_METHODS, NOTIFY_RETRY_MS } from './emulator-model.ts';
import { createBuyerPages } from './emulator-pages.ts';
import { readFileSync } from 'node:fs';

/** The gateway's favicon, read from its assets (issue 28: no 404 for the icon on any page). */
const FAVICON_ICO = readFileSync(new URL('../../assets/favicon.ico', import.meta.url));
import { bankAppPage } from './emulator-wallets.ts';

export { DECLINE_CARDS, NOTIFY_RETRY_MS, SUCCESS_CARDS } from './emulator-model.ts';
export { VAT_CODES } from './emulator-receipts.ts';

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
  | { kind: 'status'; status: number; code?: string; description?: string; parameter?: string }
  /**
   * HTTP 202 `{type: "processing", description, retry_after}`: YooKassa accepted the request and is
   * still working on it; the same key later answers the result (the request is handled meanwhile).
   * `retry_after` is in milliseconds, as the official PHP SDK waits it (default 1800).
   */
  | { kind: 'processing'; retryAfterMs?: number };

export interface FaultRule {
  fault: EmulatorFault;
  /** How many more calls it hits; `Infinity` until cleared. */
  remaining: number;
  /** Only calls to this route (`POST /payments`, `GET /payments/{id}`, `POST /payments/{id}/capture`, …); every API call when absent. */
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
  url: string;
}

export interface YooKassaEmulatorOptions {
  shopId: string;
  secretKey: string;
  /** OAuth tokens accepted as `Authorization: Bearer …` (partners' API: webhooks, `/me`, and payments too). */
  oauthTokens?: readonly string[];
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Where notifications go: what an operator enters in YooKassa's dashboard. None are sent there when absent. */
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
  /** Methods switched on for the shop (default `bank_card`, `sbp`, `yoo_money`). */
  methods?: readonly string[];
  /** The shop uses YooKassa's 54-ФЗ solution: payments and refunds without a `receipt` are refused. */
  receiptsRequired?: boolean;
  /**
   * How long the emulated cash register takes to register a receipt after its operation succeeded
   * (`receipt_registration` `pending` until then); absent: at once. `receipt-fail@…` is refused.
   */
  receiptDelayMs?: number;
}

const NOTIFY_WINDOW_MS = 24 * 3_600_000;
const IDEMPOTENCE_TTL_MS = 24 * 3_600_000;
const IDEMPOTENCE_KEY_MAX = 64;
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_RETRY_AFTER_MS = 1800;

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
  complete(id: string, outcome: 'succeeded' | Cancellation): boolean;
  /**
   * What the next charges with a saved method do (emulator only: YooKassa's test shop publishes no
   * saved card that declines): `succeeded`, a decline such as `{party: 'payment_network', reason:
   * 'insufficient_funds'}`, or `{party: 'payment_network', reason: '3d_secure_required'}`.
   */
  chargeOutcome(paymentMethodId: string, outcome: 'succeeded' | Cancellation): boolean;
  /** Cancels pending payments past the confirmation time and holds past `expires_at`. */
  expireDue(): void;
  /** POSTs a body of the caller's choosing to the notification URL, once: a forged notification. */
  forge(body: unknown): Promise<number | null>;
  close(): Promise<void>;
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

function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Starts the emulator on loopback. */
export async function startYooKassaEmulator(options: YooKassaEmulatorOptions): Promise<YooKassaEmulator> {
  const now = options.now ?? (() => Date.now());
  const schedule = options.schedule ?? ((delayMs: number, run: () => void) => { setTimeout(run, delayMs).unref(); });
  const send = options.send ?? defaultSend;
  const retrySchedule = options.retryScheduleMs ?? NOTIFY_RETRY_MS;
  const expectedAuth = Buffer.from(`${options.shopId}:${options.secretKey}`, 'utf8');
  const tokens = (options.oauthTokens ?? []).map((t) => Buffer.from(t, 'utf8'));
  const idempotence = new Map<string, StoredAnswer>();
  const faults: FaultRule[] = [];
  const sockets = new Set<Socket>();
  let base = '';

  const shop = createShop({
    now,
    ctx: () => ({ base, shopId: options.shopId }),
    notify,
    confirmationTtlMs: options.confirmationTtlMs ?? EMU_CONFIRMATION_TTL_MS,
    methods: options.methods ?? EMU_DEFAULT_METHODS,
    receiptsRequired: options.receiptsRequired ?? false,
    receiptDelayMs: options.receiptDelayMs,
  });
  const pages = createBuyerPages(shop, () => base);

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
      const p = shop.payments.get(id);
      if (!p) return undefined;
      shop.expireIfDue(p);
      return shop.render(p);
    },
    paymentIds: () => [...shop.payments.keys()],
    complete(id, outcome) {
      const p = shop.payments.get(id);
      if (!p || p.status !== 'pending') return false;
      p.method ??= p.offered[0] ?? 'bank_card';
      // As on the page: a card payment is paid with the documented success card.
      if (p.method === 'bank_card') p.card ??= '5555555555554477';
      shop.finish(p, outcome);
      return true;
    },
    chargeOutcome(paymentMethodId, outcome) {
      const m = shop.savedMethods.get(paymentMethodId);
      if (!m) return false;
      m.nextCharge = outcome;
      return true;
    },
    expireDue() {
      for (const p of shop.payments.values()) shop.expireIfDue(p);
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

  // ---- notifications ----

  function notify(event: string, object: Record<string, unknown>): void {
    if (emu.dropNotifications) return;
    const body = JSON.stringify({ type: 'notification', event, object });
    const objectId = String(object.id);
    const eventAt = now();
    const targets = [...(emu.notificationUrl ? [emu.notificationUrl] : []), ...[...shop.webhooks.values()].filter((w) => w.event === event).map((w) => w.url)];
    for (const url of new Set(targets)) {
      const attempt = (n: number): void => {
        void send(url, body).then((status) => {
          emu.deliveries.push({ event, objectId, attempt: n + 1, status, at: now(), url });
          if (status === 200) return;
          const next = retrySchedule[n + 1];
          if (next === undefined || next > NOTIFY_WINDOW_MS) return;
          schedule(Math.max(0, eventAt + next - now()), () => attempt(n + 1));
        });
      };
      schedule(retrySchedule[0] ?? 0, () => attempt(0));
    }
  }

  // ---- HTTP ----

  function answer(res: ServerResponse, status: number, body: string, contentType = 'application/json; charset=utf-8'): void {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** `basic` / `oauth` for good credentials, `null` otherwise. */
  function authOf(req: IncomingMessage): 'basic' | 'oauth' | null {
    const h = req.headers.authorization ?? '';
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
    if (basic) return sameSecret(Buffer.from(basic[1]!, 'base64'), expectedAuth) ? 'basic' : null;
    const bearer = /^Bearer\s+(\S+)$/i.exec(h);
    if (bearer) {
      const given = Buffer.from(bearer[1]!, 'utf8');
      return tokens.some((t) => sameSecret(given, t)) ? 'oauth' : null;
    }
    return null;
  }

  function routeOf(method: string, path: string): string {
    return `${method} ${path.replace(/^\/(payments|refunds|receipts|webhooks)\/[^/]+/, '/$1/{id}')}`;
  }

  function takeFault(route: string): EmulatorFault | undefined {
    const i = faults.findIndex((f) => f.remaining > 0 && (!f.route || f.route === route));
    if (i < 0) return undefined;
    const rule = faults[i]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) faults.splice(i, 1);
    return rule.fault;
  }

  const json = (r: ApiResult): { status: number; body: string } => ({ status: r.status, body: JSON.stringify(r.body) });
  const failText = (status: number, code?: string, description?: string, parameter?: string) => ({ status, body: JSON.stringify(errorObject(status, code, description, parameter)) });

  function api(method: string, path: string, query: URLSearchParams, req: IncomingMessage, raw: string): { status: number; body: string } {
    const auth = authOf(req);
    if (!auth) return failText(401, 'invalid_credentials', 'Login or password is incorrect. Check the shopId and the secret key', 'Authorization');
    if (method !== 'POST') return json(shop.route(method, path, query, {}, auth === 'oauth'));
    const key = req.headers['idempotence-key'];
    if (typeof key !== 'string' || key === '') return failText(400, 'invalid_request', 'Idempotence-Key header is required', 'Idempotence-Key');
    if (key.length > IDEMPOTENCE_KEY_MAX) return failText(400, 'invalid_request', 'Idempotence key is too long. Send the value in accordance with the documentation', 'Idempotence-Key');
    // The official SDKs send `cancel` (and `capture` without parameters) with no body at all.
    let body: unknown = {};
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return failText(400, 'invalid_request', 'Request body is not valid JSON');
      }
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return failText(400, 'invalid_request', 'Request body must be a JSON object');
    const hash = `${path} ${canonical(body)}`;
    const seen = idempotence.get(key);
    if (seen && now() - seen.at < IDEMPOTENCE_TTL_MS) {
      return seen.hash === hash ? { status: seen.status, body: seen.body } : failText(400, 'invalid_request', 'Idempotence key duplicated', 'Idempotence-Key');
    }
    const result = json(shop.route(method, path, query, body as Record<string, unknown>, auth === 'oauth'));
    if (result.status < 500) idempotence.set(key, { hash, status: result.status, body: result.body, at: now() });
    return result;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) return answer(res, 413, JSON.stringify(errorObject(400, 'invalid_request', 'Request body too large')));
      chunks.push(c as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');

    if (url.pathname === '/checkout/payments/v2/contract') {
      const p = shop.payments.get(url.searchParams.get('orderId') ?? '');
      if (!p) return pages.notFound(res);
      if (method === 'POST') return pages.submit(res, p, new URLSearchParams(raw));
      return pages.show(res, p, url.searchParams.get('method'));
    }
    if (url.pathname === '/bank-app') return bankAppPage(shop, res, shop.payments.get(url.searchParams.get('orderId') ?? ''), method === 'POST' ? new URLSearchParams(raw) : null);
    if (!url.pathname.startsWith('/v3/')) return answer(res, 404, JSON.stringify(errorObject(404, 'not_found', 'Unknown endpoint')));

    const path = url.pathname.slice(3).replace(/\/+$/, '');
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
    if (fault?.kind === 'status') return answer(res, fault.status, JSON.stringify(errorObject(fault.status, fault.code, fault.description, fault.parameter)));
    const result = api(method, path, url.searchParams, req, raw);
    if (fault?.kind === 'processing') {
      const retryAfter = fault.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
      return answer(res, 202, JSON.stringify({ type: 'processing', description: 'Request accepted, but not processed yet. Repeat it with the same Idempotence-Key', retry_after: retryAfter }));
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (res.destroyed) return;
    answer(res, result.status, result.body);
  }

  const server: Server = createServer((req, res) => {
    // The gateway's icon (a file, not the gateway's code): the emulator's pages ask for nothing missing.
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/favicon.ico') {
      res.writeHead(200, { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' }).end(FAVICON_ICO);
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, JSON.stringify(errorObject(500)));
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
