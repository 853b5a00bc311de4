/**
 * The connector contract harness: one gateway (real HTTP server on loopback, real storage, the real
 * handler) in front of one provider's emulator (a real HTTP server too), and for each connector the
 * few provider-specific moves the shared suite needs: how the buyer pays at the provider, how a
 * notification is replayed, forged or re-signed with another amount, how notifications are dropped
 * and how the provider's API is made to fail. `test/connector-contract.test.ts` runs the same cases
 * over every connector, as the storage contract suite runs over both databases.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createGateway, type Gateway } from '../src/server/app.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { parseConfig, type GatewayConfig } from '../src/server/config.ts';
import { createDispatcher } from '../src/server/dispatcher/dispatcher.ts';
import { createReconciler } from '../src/server/dispatcher/reconcile.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import { formatAmount } from '../src/protocol/money.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { contentHmac, formatCpAmount } from '../src/server/providers/cloudpayments/transform.ts';
import { notifyUrlsFor, startCloudPaymentsEmulator, type CloudPaymentsEmulator } from '../src/server/providers/cloudpayments/emulator.ts';
import type { ProviderHttp } from '../src/server/providers/contract.ts';
import { createProviderHttp } from '../src/server/providers/http.ts';
import { sandboxNotification, SANDBOX_SIGNATURE_HEADER, signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import { DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { signed } from '../src/server/providers/tbank/transform.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from '../src/server/providers/yookassa/emulator.ts';
import type { Payment } from '../src/server/types.ts';
import { merchant, openTestStorage, startMerchantStub, TEST_SECRET, type MerchantStub, type StorageKind, type TestStorage } from './helpers.ts';

/** One provider call's deadline in the harness: short, so "slow" is a few seconds, not ten. */
/** A JSON answer as tests read it. */
export type JsonObject = Record<string, any>;

export const HARNESS_PROVIDER_TIMEOUT_MS = 1500;
export const MERCHANT_K = 'contract-K';

/** A notification to send to `/providers/{id}/notify`. */
export interface RawNotification {
  headers: Record<string, string>;
  body: string;
  /** Query string (CloudPayments' `?kind=pay`). */
  query?: string;
}

export type CreateFault = 'down' | 'slow' | 'garbage' | 'html' | 'error';

/** What the shared suite needs of one connector. */
export interface ConnectorCase {
  name: string;
  providerId: string;
  /** The way's code. */
  way: string;
  /** Starts the emulator, given the gateway's public URL; returns the configuration's `providers` and `ways`. */
  start(publicUrl: string): Promise<{ providers: Record<string, unknown>[]; ways: Record<string, unknown>[] }>;
  close(): Promise<void>;
  /** Payments the provider holds for this gateway payment (an idempotent create keeps it at one); undefined: not observable. */
  createsAtProvider?(p: Payment): number;
  /** The buyer pays at the provider, as its page would. */
  pay(h: Harness, p: Payment): Promise<void>;
  /** Pays with a given card where the emulator takes one (CloudPayments), whatever the outcome. */
  payWith?(p: Payment, card: string): Promise<void>;
  /** Waits until the emulator has nothing in flight. */
  idle(): Promise<void>;
  /** A correctly signed (or, for YooKassa, unsigned and untrusted) "paid" notification for the payment. */
  paidNotification(p: Payment, amountMinor?: bigint): Promise<RawNotification>;
  /** The same with its signature broken; null where notifications carry none (YooKassa: see `forgedPaid`). */
  badSignature(n: RawNotification): RawNotification | null;
  /** Whether the provider's report of another amount can reach the gateway (not for YooKassa, whose bodies are not trusted). */
  amountMismatchReachable: boolean;
  /** Drops the provider's notifications (null: the provider keeps no state of its own to reconcile from). */
  dropNotifications: ((on: boolean) => void) | null;
  /** Makes create fail that way at the provider (null clears); null when there is no provider to fail. */
  createFault: ((f: CreateFault | null) => void) | null;
  /** What the provider says was refunded of this payment in all (minor units), when observable. */
  refundedAtProvider?(p: Payment): bigint | undefined;
}

export interface Harness {
  gateway: Gateway;
  config: GatewayConfig;
  ts: TestStorage;
  stub: MerchantStub;
  url: string;
  /** The payment through the public API: form payload, then create, with an idempotency key. */
  create(payFor: string, key?: string, extraQuery?: string): Promise<{ status: number; body: JsonObject; text: string; token: string }>;
  /** The same create request again (same token, same key). */
  repeat(token: string, key: string): Promise<{ status: number; text: string }>;
  notify(n: RawNotification): Promise<Response>;
  /** One pass of the PAY dispatcher. */
  deliver(): Promise<number>;
  /** One pass of the reconciler, with its clock `aheadMs` in the future. */
  reconcile(aheadMs: number): Promise<number>;
  refund(id: string, body: Record<string, unknown>, key?: string): Promise<{ status: number; body: JsonObject }>;
  payment(id: string): Promise<Payment>;
  until(what: string, fn: () => Promise<boolean>, ms?: number): Promise<void>;
  /** Moves the gateway's clock (not the emulator's) this far ahead of the real one. */
  advance(ms: number): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gateway for one connector case: a merchant with CHECK on and webhooks for PAY and refunds. */
export async function startHarness(c: ConnectorCase, kind: StorageKind = 'sqlite'): Promise<Harness> {
  const ts = await openTestStorage(kind);
  const stub = await startMerchantStub((req, res) => {
    let type = '';
    let payFor = '';
    try {
      const o = JSON.parse(req.body) as { type?: string; pay_for?: string };
      type = o.type ?? '';
      payFor = o.pay_for ?? '';
    } catch { /* a webhook */ }
    res.writeHead(200, { 'content-type': 'application/json' });
    // CHECK always speaks the Onpay API; webhook events are judged by the status alone.
    res.end(type === 'check' ? JSON.stringify({ status: true, pay_for: payFor, signature: api2AnswerSignature('check', true, payFor, MERCHANT_K) }) : '{}');
  });
  const holder: { gateway?: Gateway } = {};
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (r) => holder.gateway!.fetch(r), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { providers, ways } = await c.start(url);
  const config = parseConfig({
    secret: TEST_SECRET, publicUrl: url, allowPrivateMerchantUrls: true, checkTimeoutMs: 2000,
    providers, ways,
    merchants: [merchant({ secret: MERCHANT_K, notifications: true, apiUrl: stub.url, notifyStyle: 'webhooks', origins: [] })],
  });
  for (const m of config.merchants) await ts.storage.upsertMerchant(merchantFromConfig(m), Date.now());
  const base = createProviderHttp();
  const providerHttp: ProviderHttp = (req) => base({ ...req, timeoutMs: Math.min(req.timeoutMs, HARNESS_PROVIDER_TIMEOUT_MS) });
  // The gateway's clock may run ahead of the emulators' (deadlines passed at the gateway only).
  let skewMs = 0;
  const g = createGateway({ config, storage: ts.storage, providerHttp, log: () => {}, now: () => Date.now() + skewMs });
  holder.gateway = g;

  const api = (path: string, init?: RequestInit) => fetch(`${url}${path}`, init);
  const cabinetKey = merchant().apiKey!;
  const h: Harness = {
    gateway: g, config, ts, stub, url,
    async create(payFor, key, extraQuery = '') {
      const form = await api(`/pay/shop?price=150.0&ticker=RUR&pay_for=${encodeURIComponent(payFor)}${extraQuery}`, { headers: { accept: 'application/json' } });
      const { token } = (await form.json()) as { token: string };
      const res = await api('/api/v1/payments', {
        method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify({ token, way: c.way }),
      });
      const text = await res.text();
      return { status: res.status, body: JSON.parse(text) as JsonObject, text, token };
    },
    async repeat(token, key) {
      const res = await api('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ token, way: c.way }) });
      return { status: res.status, text: await res.text() };
    },
    notify: (n) => api(`/providers/${c.providerId}/notify${n.query ?? ''}`, { method: 'POST', headers: n.headers, body: n.body }),
    deliver: () => createDispatcher({ storage: ts.storage, now: () => Date.now() + skewMs, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'contract-dispatcher', random: () => 0.5 }).runOnce(),
    async reconcile(aheadMs) {
      const r = createReconciler({ storage: ts.storage, service: g.service, now: () => Date.now() + skewMs + aheadMs, owner: `contract-${Math.random().toString(36).slice(2)}`, callTimeoutMs: HARNESS_PROVIDER_TIMEOUT_MS });
      return r.runOnce();
    },
    async refund(id, body, key) {
      const res = await api(`/api/v1/cabinet/payments/${id}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${cabinetKey}`, ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as JsonObject };
    },
    payment: async (id) => (await ts.storage.getPayment(id))!,
    advance(ms) {
      skewMs = ms;
    },
    async until(what, fn, ms = 10_000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (await fn()) return;
        await sleep(25);
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    async close() {
      await c.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await stub.close();
      await ts.close();
    },
  };
  return h;
}

const rub = (ru: string, en: string) => ({ ru, en });

// ---- the four connectors -------------------------------------------------------------------------

export function sandboxCase(): ConnectorCase {
  return {
    name: 'sandbox',
    providerId: 'sandbox',
    way: 'CRD',
    async start() {
      return { providers: [], ways: [{ code: 'CRD', system: 'card', ticker: 'RUR', title: rub('Карта (тест)', 'Card (test)') }] };
    },
    async close() {},
    async pay(h, p) {
      const r = await fetch(`${h.url}/api/v1/sandbox/payments/${p.id}/pay`, { method: 'POST' });
      if (r.status !== 200) throw new Error(`sandbox pay: ${r.status} ${await r.text()}`);
    },
    async idle() {},
    async paidNotification(p, amountMinor = p.amountMinor) {
      const n = sandboxNotification({ ...p, amountMinor }, 'paid', TEST_SECRET);
      return { headers: Object.fromEntries(n.headers), body: n.body };
    },
    badSignature(n) {
      return { ...n, headers: { ...n.headers, [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(n.body, 'another-secret-0123456789abcdef0123') } };
    },
    amountMismatchReachable: true,
    // The sandbox keeps no state apart from the gateway's: nothing to drop, nothing to reconcile from.
    dropNotifications: null,
    createFault: null,
  };
}

export function tbankCase(): ConnectorCase {
  let emu: TbankEmulator;
  return {
    name: 'tbank',
    providerId: 'tbank',
    way: 'TBC',
    async start() {
      emu = await startTbankEmulator();
      return {
        providers: [{ id: 'tbank', type: 'tbank', ...DEFAULT_TERMINAL, apiUrl: emu.apiUrl }],
        ways: [{ code: 'TBC', provider: 'tbank', method: 'card', ticker: 'RUR', title: rub('Банковская карта', 'Bank card') }],
      };
    },
    close: () => emu.close(),
    createsAtProvider: (p) => emu.paymentsOfOrder(p.id).length,
    async pay(_h, p) {
      if (!emu.pay(p.providerPaymentId!, 'success')) throw new Error('T-Bank emulator: not payable');
    },
    idle: () => emu.idle(),
    async paidNotification(p, amountMinor = p.amountMinor) {
      const fields = signed({
        TerminalKey: DEFAULT_TERMINAL.terminalKey, OrderId: p.id, Success: true, Status: 'CONFIRMED',
        PaymentId: Number(p.providerPaymentId), ErrorCode: '0', Amount: Number(amountMinor), Pan: '220077******7761', ExpDate: '1130', CardId: 1,
      }, DEFAULT_TERMINAL.password);
      return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) };
    },
    badSignature(n) {
      const o = JSON.parse(n.body) as Record<string, unknown>;
      return { ...n, body: JSON.stringify({ ...o, Token: '0'.repeat(64) }) };
    },
    amountMismatchReachable: true,
    dropNotifications: (on) => { emu.dropNotifications = on; },
    createFault(f) {
      const methods = ['Init'];
      switch (f) {
        case null: return emu.setFault(null);
        case 'down': return emu.setFault({ kind: 'down' }, { methods });
        case 'slow': return emu.setFault({ kind: 'slow', delayMs: HARNESS_PROVIDER_TIMEOUT_MS + 1500 }, { methods });
        case 'garbage': return emu.setFault({ kind: 'garbage' }, { methods });
        case 'html': return emu.setFault({ kind: 'html' }, { methods });
        case 'error': return emu.setFault({ kind: 'error', errorCode: '9999' }, { methods });
      }
    },
    refundedAtProvider(p) {
      const e = emu.payment(p.providerPaymentId!);
      return e ? BigInt(e.amount - e.remaining) : undefined;
    },
  };
}

export function yookassaCase(): ConnectorCase {
  let emu: YooKassaEmulator;
  let gatewayUrl = '';
  const SHOP = '100500';
  const SECRET = 'test_yk_secret';
  return {
    name: 'yookassa',
    providerId: 'yk',
    way: 'YKC',
    async start(publicUrl) {
      gatewayUrl = publicUrl;
      emu = await startYooKassaEmulator({ shopId: SHOP, secretKey: SECRET, notificationUrl: `${publicUrl}/providers/yk/notify` });
      return {
        providers: [{ id: 'yk', type: 'yookassa', shopId: SHOP, secretKey: SECRET, apiUrl: emu.apiUrl }],
        ways: [{ code: 'YKC', provider: 'yk', method: 'bank_card', ticker: 'RUR', title: rub('Карта (ЮKassa)', 'Card (YooKassa)') }],
      };
    },
    close: () => emu.close(),
    createsAtProvider: (p) => emu.paymentIds().filter((id) => (emu.payment(id)?.metadata as Record<string, string> | undefined)?.onpay_payment_id === p.id).length,
    async pay(_h, p) {
      if (!emu.complete(p.providerPaymentId!, 'succeeded')) throw new Error('YooKassa emulator: not payable');
    },
    async idle() {
      // Notifications go out at once; give them a moment to land.
      await sleep(100);
    },
    async paidNotification(p) {
      // YooKassa's notifications are not signed: any body may claim anything. The gateway reads the
      // payment back from YooKassa, so this is both the real and the forged form.
      const body = JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: p.providerPaymentId, status: 'succeeded', paid: true, amount: { value: formatAmount(p.amountMinor), currency: 'RUB' } } });
      void gatewayUrl;
      return { headers: { 'content-type': 'application/json' }, body };
    },
    badSignature: () => null,
    amountMismatchReachable: false,
    dropNotifications: (on) => { emu.dropNotifications = on; },
    createFault(f) {
      emu.clearFaults();
      const route = 'POST /payments';
      switch (f) {
        case null: return;
        case 'down': return emu.fault({ kind: 'down' }, Infinity, route);
        case 'slow': return emu.fault({ kind: 'slow', delayMs: HARNESS_PROVIDER_TIMEOUT_MS + 1500 }, Infinity, route);
        case 'garbage': return emu.fault({ kind: 'garbage' }, Infinity, route);
        case 'html': return emu.fault({ kind: 'html' }, Infinity, route);
        case 'error': return emu.fault({ kind: 'status', status: 400, code: 'invalid_request', description: 'Payment method is not available', parameter: 'payment_method_data' }, Infinity, route);
      }
    },
    refundedAtProvider(p) {
      const o = emu.payment(p.providerPaymentId!) as { refunded_amount?: { value: string } } | undefined;
      if (!o) return undefined;
      return o.refunded_amount ? BigInt(Math.round(Number(o.refunded_amount.value) * 100)) : 0n;
    },
  };
}

export function cloudPaymentsCase(): ConnectorCase {
  let emu: CloudPaymentsEmulator;
  const PUBLIC_ID = 'pk_contract';
  const API_SECRET = 'contract_api_secret';
  let nextTx = 900_000;
  return {
    name: 'cloudpayments',
    providerId: 'cp',
    way: 'CPC',
    async start(publicUrl) {
      emu = await startCloudPaymentsEmulator({ publicId: PUBLIC_ID, apiSecret: API_SECRET, notify: notifyUrlsFor(publicUrl, 'cp'), schedule: (fn, ms) => { setTimeout(fn, Math.min(ms, 50)).unref(); } });
      return {
        providers: [{ id: 'cp', type: 'cloudpayments', publicId: PUBLIC_ID, apiSecret: API_SECRET, apiUrl: emu.url }],
        ways: [{ code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title: rub('Карта (CloudPayments)', 'Card (CloudPayments)') }],
      };
    },
    close: () => emu.close(),
    createsAtProvider: (p) => [...emu.orders.values()].filter((o) => o.invoiceId === p.id).length,
    async pay(_h, p) {
      const r = await emu.pay(p.providerPaymentId!, '4242424242424242');
      if (r.outcome !== 'paid') throw new Error(`CloudPayments emulator: ${JSON.stringify(r)}`);
    },
    async payWith(p, card) {
      await emu.pay(p.providerPaymentId!, card);
    },
    idle: () => emu.idle(),
    async paidNotification(p, amountMinor = p.amountMinor) {
      const body = new URLSearchParams({
        TransactionId: String(nextTx++), Amount: formatCpAmount(amountMinor), Currency: 'RUB', PaymentAmount: formatCpAmount(amountMinor), PaymentCurrency: 'RUB',
        DateTime: '2026-12-01 12:00:00', CardFirstSix: '424242', CardLastFour: '4242', CardType: 'Visa', CardExpDate: '12/30', TestMode: '1',
        Status: 'Completed', OperationType: 'Payment', InvoiceId: p.id, AccountId: '', Email: '', GatewayName: 'Test', TotalFee: '0.00', AuthCode: 'A1B2C3',
      }).toString();
      return { headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-hmac': contentHmac(API_SECRET, body) }, body, query: '?kind=pay' };
    },
    badSignature(n) {
      return { ...n, headers: { ...n.headers, 'content-hmac': contentHmac('not-the-api-secret', n.body) } };
    },
    amountMismatchReachable: true,
    dropNotifications: (on) => { emu.faults.dropNotifications = on; },
    createFault(f) {
      switch (f) {
        case null: emu.faults.api = 'none'; return;
        case 'slow': emu.faults.api = 'slow'; emu.faults.slowMs = HARNESS_PROVIDER_TIMEOUT_MS + 1500; return;
        default: emu.faults.api = f;
      }
    },
    refundedAtProvider(p) {
      return emu.transactions.filter((t) => t.invoiceId === p.id && t.type === 1).reduce((s, t) => s + t.amountMinor, 0n);
    },
  };
}

export const CONNECTOR_CASES: (() => ConnectorCase)[] = [sandboxCase, tbankCase, yookassaCase, cloudPaymentsCase];

/**
 * Pays `p` at the provider with its notifications dropped: only the provider knows (reconciliation,
 * expiry's first look or late money must find it). For a connector that can drop them.
 * @example await payUnheard(c, h, p); await h.reconcile(60_000);
 */
export async function payUnheard(c: ConnectorCase, h: Harness, p: Payment): Promise<void> {
  c.dropNotifications!(true);
  try {
    await c.pay(h, p);
    await c.idle();
  } finally {
    c.dropNotifications!(false);
  }
}
