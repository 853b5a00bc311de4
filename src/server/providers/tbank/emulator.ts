/**
 * An offline T-Bank Internet Acquiring API v2, for tests, the demo and shops developing offline.
 * It follows T-Bank's public documentation, not what our connector expects: `POST /v2/Init`,
 * `GetState`, `Cancel`, `Confirm`, `Charge`, `GetQr`, `CheckOrder` and the customer and card methods,
 * with token checks and T-Bank's error codes; receipts (54-FZ) checked as T-Bank checks them; a
 * payment form at `PaymentURL` taking T-Bank's published test cards (3-D Secure challenge
 * included); an SBP "scan and pay" page for the NSPK link of the QR code; holds (`PayType: "T"`)
 * that lapse after 7 days; notifications to `NotificationURL`, resent once an hour for 24 hours
 * until the answer is `OK`. Switches make it drop notifications or fail its API.
 *
 * It keeps everything in memory and imports nothing of the connector: its token rule and wire
 * reading (emulator-wire.ts) are written independently of transform.ts, so that a mistake in one is
 * caught by the other. See README.md for what it does and does not do, and the sources. This file
 * is the HTTP server (routing, the API's faults) and the test handles; the API methods are in
 * emulator-api.ts, the buyer's pages in emulator-buyer.ts, notifications in emulator-notify.ts, the
 * payments and their status moves in emulator-model.ts.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { apiError, runApi } from './emulator-api.ts';
import { serveBuyerPages } from './emulator-buyer.ts';
import { createCustomerStore, type ChargeOutcome } from './emulator-customers.ts';
import { createFiscalRegister } from './emulator-fiscal.ts';
import { createEmulatorState, OPEN } from './emulator-model.ts';
import { createNotifier } from './emulator-notify.ts';
import { DEFAULT_TERMINAL, realScheduler, type ApiFault, type EmulatorPayment, type TbankEmulator, type TbankEmulatorOptions } from './emulator-types.ts';
import { createTbankWalletRoutes } from './emulator-wallets.ts';
import { answer, parseRequestBody, qrIdOfLink, readBody } from './emulator-wire.ts';

export { ACS_PASSCODE, TEST_CARDS } from './emulator-pages.ts';
export type { ChargeOutcome, EmulatorCard } from './emulator-customers.ts';
export * from './emulator-types.ts';

/** The gateway's favicon, read from its assets (issue 28: no 404 for the icon on any page). */
const FAVICON_ICO = readFileSync(new URL('../../assets/favicon.ico', import.meta.url));

/** Starts the emulator. */
export async function startTbankEmulator(opts: TbankEmulatorOptions = {}): Promise<TbankEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.scheduler ?? realScheduler;
  const terminals = new Map((opts.terminals ?? [DEFAULT_TERMINAL]).map((t) => [t.terminalKey, t]));
  let nextPaymentId = 4_000_000_000 + Math.floor(Math.random() * 1_000_000);
  let nextCardId = 100_000 + Math.floor(Math.random() * 100_000);
  let fault: { fault: ApiFault; methods?: string[]; times?: number } | null = null;
  let base = '';

  const emulator = {
    dropNotifications: false,
  } as TbankEmulator;
  const notifier = createNotifier({
    clock, terminals,
    retryMs: opts.notificationRetryMs ?? 3_600_000,
    windowMs: opts.notificationWindowMs ?? 24 * 3_600_000,
    attemptTimeoutMs: opts.notificationTimeoutMs ?? 10_000,
    dropping: () => emulator.dropNotifications,
  });
  // The cash register: fiscalisation notifications of the receipts taken (issue 24).
  const fiscal = createFiscalRegister<EmulatorPayment>({ scheduler: clock, delayMs: opts.receiptDelayMs, send: (p, fields) => notifier.deliver(p, fields) });
  const customers = createCustomerStore(() => String(nextCardId++));
  const state = createEmulatorState({
    clock, terminals, customers, fiscal, base: () => base, newPaymentId: () => String(nextPaymentId++), notify: notifier.notify,
  });
  const { payments, byQr, setStatus, expireIfDue, authorize } = state;
  const wallets = createTbankWalletRoutes({ base: () => base, knownTerminal: (k) => terminals.has(k), payment: (id) => payments.get(id), expireIfDue, isOpen: (p) => OPEN.has(p.status), setStatus });

  const json = (res: http.ServerResponse, o: unknown): void => answer(res, 200, 'application/json; charset=utf-8', JSON.stringify(o));

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (await wallets.handle(req, res, path)) return;
    // T-Bank's own PHP class posts to `/v2/Init/` (a trailing slash): both spellings are one method.
    // `SendClosingReceipt` is the cashbox API's, at `/cashbox/` beside `/v2/`.
    const m = /^\/(v2|cashbox)\/([A-Za-z0-9]+)\/?$/.exec(path);
    if (!m || (m[1] === 'cashbox') !== (m[2] === 'SendClosingReceipt')) return serveBuyerPages(state, req, res, path);
    const method = m[2] as string;
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
    const body = parseRequestBody(req.headers['content-type'], raw ?? '');
    if (!body) return json(res, apiError(undefined, '9999', 'request is not a JSON object'));
    if (f?.fault.kind === 'error') {
      const code = f.fault.errorCode ?? '9999';
      return json(res, { ...apiError(body.TerminalKey, code), ...(f.fault.message ? { Message: f.fault.message } : {}) });
    }
    const result = runApi(state, method, body);
    if (f?.fault.kind === 'lost') {
      req.socket.destroy();
      return;
    }
    json(res, result);
  }

  const server = http.createServer((req, res) => {
    // The gateway's icon (a file, not the gateway's code): the emulator's pages ask for nothing missing.
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/favicon.ico') {
      res.writeHead(200, { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' }).end(FAVICON_ICO);
      return;
    }
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
    /** The closing receipts taken (`SendClosingReceipt`), in order. */
    closingReceipts: state.closingReceipts,
    receipts: fiscal.taken,
    pay(id: string, outcome: 'success' | 'decline' = 'success') {
      const p = payments.get(id);
      if (!p) return false;
      expireIfDue(p);
      if (!OPEN.has(p.status)) return false;
      if (p.method === null || p.method === 'card') {
        p.method = 'card';
        p.pan = outcome === 'success' ? '2200770239097761' : '2201382000000021';
      }
      if (outcome === 'decline') setStatus(p, 'REJECTED', '1006');
      else if (p.method !== 'card') setStatus(p, 'CONFIRMED');
      else authorize(p);
      return true;
    },
    paymentsOfOrder: (orderId: string) => [...payments.values()].filter((p) => p.orderId === orderId),
    sbpPageUrl(link: string) {
      const id = qrIdOfLink(link);
      return id !== undefined && byQr.has(id) ? `${base}/sbp/${id}` : undefined;
    },
    setChargeOutcome: (rebillId: string, outcome: ChargeOutcome) => customers.setChargeOutcome(rebillId, outcome),
    wallets,
    customer: (terminalKey: string, customerKey: string) => customers.customer(terminalKey, customerKey),
    notifications: notifier.notifications,
    idle: notifier.idle,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
