/**
 * The shop's API URL as a fetch-API handler: verifies the gateway's CHECK and PAY in API 1 (form
 * body or GET query, XML answers) and API 2 (JSON), and PAY in the Standard Webhooks style; calls the shop's callbacks with typed, validated
 * data, and answers with the protocol's codes and signatures. Bad signatures and bad bodies get the
 * protocol's error answers, never an exception.
 */
import type { Receipt } from '../protocol/receipt.ts';
import { numberText, readJsonObject } from '../protocol/exact-json.ts';
import { Webhook } from 'standardwebhooks';
import { canonicalAmount } from '../protocol/money.ts';
import {
  api1AnswerXml, api1CheckAnswer, api1CheckMd5, api1PayAnswer, api1PayMd5, api2Answer, api2CheckSignature, api2PaySignature,
  safeEqualHex, type PayData,
} from '../protocol/onpay-api.ts';
import { PAY_EVENT_TYPE, webhookSecret } from '../protocol/webhooks.ts';
import { isTestRequest, UNKNOWN_ORDER_PREFIX } from './integration-matrix.ts';

/** What CHECK asks: may this order be paid? Amounts are canonical decimal strings. */
export interface CheckRequest {
  type: 'check';
  apiType: 1 | 2;
  payFor: string;
  /** `0.0` in free mode. */
  amount: string;
  ticker: string;
  mode: 'fix' | 'free';
  userEmail: string;
  extraParams: Record<string, string>;
}

/**
 * What PAY tells: the money for this order arrived — the gateway's PAY data (`PayData`) as the
 * request carried it, without the rate. Amounts are canonical decimal strings; `orderAmount` and
 * `orderTicker` are the order's (API 1, webhooks) or what reached the balance (API 2).
 */
export interface PayNotification extends Omit<PayData, 'rate'> {
  type: 'pay';
  /** 1 or 2 for the Onpay API types; `'webhooks'` for the Standard Webhooks style. */
  apiType: 1 | 2 | 'webhooks';
}

/**
 * The shop's answer to CHECK: `true` to accept, a refusal with a comment for the buyer, or an
 * acceptance with the order's fiscal receipt (API 2 only; it replaces a link's receipt; its items
 * sum to the order's amount).
 */
export type CheckDecision = boolean | { accept: false; comment: string } | { accept: true; receipt: Receipt };

export interface MerchantHandlerOptions {
  /** The merchant's secret key K. */
  secret: string;
  /** Decides CHECK; may be async. Throwing answers a temporary error (the gateway refuses the payment). */
  onCheck: (check: CheckRequest) => CheckDecision | Promise<CheckDecision>;
  /**
   * Records a PAY. Must be idempotent: a PAY for an order already paid is answered as success
   * (the gateway may deliver it again after a lost answer). Throwing answers a temporary error,
   * and the gateway retries.
   */
  onPay: (pay: PayNotification) => void | Promise<void>;
  /** Where errors of the callbacks go (never the secret). */
  onError?: (error: unknown) => void;
}

const xml = (body: string): Response => new Response(body, { headers: { 'content-type': 'application/xml; charset=utf-8' } });
const jsonAnswer = (type: 'check' | 'pay', status: boolean, payFor: string, secret: string, comment?: string, httpStatus = 200): Response =>
  Response.json(api2Answer(type, status, payFor, secret, comment), { status: httpStatus });

const EXTRA = /^onpay_ap_[a-z0-9]{1,32}$/;
const extras = (entries: Iterable<[string, unknown]>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) if (EXTRA.test(k) && typeof v === 'string') out[k] = v;
  return out;
};

/** A JSON value with numbers kept as their exact text, or a string. */
function amountText(v: unknown): string | null {
  const exact = numberText(v);
  if (exact !== undefined) return canonicalAmount(exact);
  if (typeof v === 'string') return canonicalAmount(v);
  return null;
}
const str = (v: unknown, max = 255): string | null => (typeof v === 'string' && v.length <= max ? v : null);

/**
 * @example
 * const handle = createMerchantHandler({ secret: K, onCheck: (c) => orders.isOpen(c.payFor), onPay: (p) => orders.markPaid(p.payFor) });
 * app.post('/onpay/api', (c) => handle(c.req.raw)); // Hono
 */
export function createMerchantHandler(options: MerchantHandlerOptions): (request: Request) => Promise<Response> {
  const { secret } = options;
  const report = (e: unknown) => options.onError?.(e);

  async function api2(text: string): Promise<Response> {
    const body = readJsonObject(text);
    if (!body) return jsonAnswer('check', false, '', secret, 'bad request', 400);
    const type = body.type === 'pay' ? 'pay' : body.type === 'check' ? 'check' : null;
    const payFor = str(body.pay_for, 100) ?? '';
    const signature = str(body.signature, 64) ?? '';
    if (!type || !payFor) return jsonAnswer(type ?? 'check', false, payFor, secret, 'bad request', 400);
    if (type === 'check') {
      const amount = amountText(body.amount);
      const way = str(body.way, 3);
      const mode = body.mode === 'free' ? 'free' : body.mode === 'fix' ? 'fix' : null;
      if (amount === null || !way || !mode) return jsonAnswer('check', false, payFor, secret, 'bad request', 400);
      if (!safeEqualHex(signature, api2CheckSignature(payFor, amount, way, mode, secret))) return jsonAnswer('check', false, payFor, secret, 'bad signature', 403);
      const check: CheckRequest = { type: 'check', apiType: 2, payFor, amount, ticker: way, mode, userEmail: str(body.user_email) ?? '', extraParams: extras(Object.entries(body)) };
      return decideCheck(check, (ok, comment, receipt) => {
        const body = { ...api2Answer('check', ok, payFor, secret, comment), ...(ok && receipt ? { receipt } : {}) };
        return Response.json(body);
      });
    }
    const payment = body.payment as Record<string, unknown> | undefined;
    const balance = body.balance as Record<string, unknown> | undefined;
    const order = (body.order ?? {}) as Record<string, unknown>;
    const user = (body.user ?? {}) as Record<string, unknown>;
    const paidAmount = amountText(payment?.amount);
    const paidTicker = str(payment?.way, 3);
    const balanceAmount = amountText(balance?.amount);
    const balanceTicker = str(balance?.way, 3);
    const onpayIdText = numberText(payment?.id);
    const onpayId = onpayIdText !== undefined ? Number(onpayIdText) : NaN;
    if (paidAmount === null || !paidTicker || balanceAmount === null || !balanceTicker || !Number.isSafeInteger(onpayId)) {
      return jsonAnswer('pay', false, payFor, secret, 'bad request', 400);
    }
    if (!safeEqualHex(signature, api2PaySignature(payFor, paidAmount, paidTicker, balanceAmount, balanceTicker, secret))) {
      return jsonAnswer('pay', false, payFor, secret, 'bad signature', 403);
    }
    const additional = (body.additional_params ?? {}) as Record<string, unknown>;
    const pay: PayNotification = {
      type: 'pay', apiType: 2, payFor, onpayId,
      orderAmount: amountText(order.to_amount) ?? balanceAmount, orderTicker: str(order.to_way, 3) ?? balanceTicker,
      paidAmount, paidTicker, balanceAmount, balanceTicker, paidAt: str(payment?.date_time, 40) ?? '',
      userEmail: str(user.email) ?? '', userPhone: str(user.phone) ?? '', note: str(user.note) ?? '',
      extraParams: extras(Object.entries(additional)),
    };
    return recordPay(pay, (ok) => jsonAnswer('pay', ok, payFor, secret));
  }

  async function api1(f: URLSearchParams): Promise<Response> {
    const type = f.get('type');
    const payFor = f.get('pay_for') ?? '';
    const md5 = f.get('md5') ?? '';
    const orderAmount = canonicalAmount(f.get('order_amount') ?? '');
    const ticker = f.get('order_currency') ?? '';
    if (type === 'check') {
      const answer = (code: string, comment: string) => xml(api1CheckAnswer(payFor, orderAmount ?? '', ticker, code, comment, secret));
      if (!payFor || orderAmount === null || !/^[A-Z]{3}$/.test(ticker)) return answer('3', 'bad parameters');
      if (!safeEqualHex(md5, api1CheckMd5(payFor, orderAmount, ticker, secret))) return answer('7', 'bad signature');
      const check: CheckRequest = {
        type: 'check', apiType: 1, payFor, amount: orderAmount, ticker, mode: orderAmount === '0.0' ? 'free' : 'fix',
        userEmail: f.get('user_email') ?? '', extraParams: extras(f.entries()),
      };
      return decideCheck(check, (ok, comment) => answer(ok ? '0' : '2', comment ?? (ok ? 'OK' : 'declined')));
    }
    if (type === 'pay') {
      const onpayIdText = f.get('onpay_id') ?? '';
      const onpayId = /^\d{1,15}$/.test(onpayIdText) ? Number(onpayIdText) : NaN;
      const answer = (code: string, comment: string) => xml(api1PayAnswer({
        payFor, onpayId: onpayIdText, orderId: payFor, orderAmount: orderAmount ?? '', ticker, code, comment,
      }, secret));
      const paidAmount = canonicalAmount(f.get('paid_amount') ?? '');
      const balanceAmount = canonicalAmount(f.get('balance_amount') ?? '');
      if (!payFor || orderAmount === null || !/^[A-Z]{3}$/.test(ticker) || Number.isNaN(onpayId) || paidAmount === null || balanceAmount === null) {
        return answer('3', 'bad parameters');
      }
      if (!safeEqualHex(md5, api1PayMd5(payFor, onpayIdText, orderAmount, ticker, secret))) return answer('7', 'bad signature');
      const pay: PayNotification = {
        type: 'pay', apiType: 1, payFor, onpayId, orderAmount, orderTicker: ticker, paidAmount,
        paidTicker: f.get('paid_currency') ?? ticker, balanceAmount, balanceTicker: f.get('balance_currency') ?? ticker,
        paidAt: f.get('paymentDateTime') ?? '', userEmail: f.get('user_email') ?? '', userPhone: f.get('user_phone') ?? '',
        note: f.get('note') ?? '', extraParams: extras(f.entries()),
      };
      return recordPay(pay, (ok) => answer(ok ? '0' : '10', ok ? 'OK' : 'temporary error'));
    }
    return xml(api1AnswerXml({ code: '3', pay_for: payFor, comment: 'unknown type', md5: '' }));
  }

  /** A Standard Webhooks `payment.paid` event: signature and timestamp checked by the standardwebhooks library. */
  async function webhook(text: string, headers: Headers): Promise<Response> {
    let event: { type?: unknown; data?: Record<string, unknown> };
    try {
      new Webhook(webhookSecret(secret)).verify(text, {
        'webhook-id': headers.get('webhook-id') ?? '',
        'webhook-timestamp': headers.get('webhook-timestamp') ?? '',
        'webhook-signature': headers.get('webhook-signature') ?? '',
      });
      event = JSON.parse(text) as typeof event;
    } catch {
      return Response.json({ error: 'bad signature or timestamp' }, { status: 401 });
    }
    // Another verified event (`payment.refunded`): acknowledged so the gateway stops sending it; the
    // kit handles payment.paid only (Standard Webhooks: ignore event types you do not use, with 2xx).
    if (typeof event.type === 'string' && event.type !== PAY_EVENT_TYPE && /^payment\.[a-z_]+$/.test(event.type)) return new Response(null, { status: 204 });
    const d = event.data ?? {};
    const amount = (k: string) => (typeof d[k] === 'string' ? canonicalAmount(d[k]) : null);
    const s = (k: string, max = 255) => str(d[k], max) ?? '';
    const onpayId = typeof d.number === 'number' && Number.isSafeInteger(d.number) ? d.number : NaN;
    const fields = [amount('amount'), amount('paidAmount'), amount('balanceAmount')];
    if (event.type !== PAY_EVENT_TYPE || !s('payFor', 100) || Number.isNaN(onpayId) || fields.includes(null)) {
      return Response.json({ error: 'bad event' }, { status: 400 });
    }
    const pay: PayNotification = {
      type: 'pay', apiType: 'webhooks', payFor: s('payFor', 100), onpayId,
      orderAmount: fields[0]!, orderTicker: s('ticker', 3), paidAmount: fields[1]!, paidTicker: s('paidTicker', 3),
      balanceAmount: fields[2]!, balanceTicker: s('balanceTicker', 3), paidAt: s('paidAt', 40),
      userEmail: s('userEmail'), userPhone: s('userPhone'), note: s('note'),
      extraParams: extras(Object.entries((d.extraParams ?? {}) as Record<string, unknown>)),
    };
    return recordPay(pay, (ok) => (ok ? new Response(null, { status: 204 }) : Response.json({ error: 'temporary error' }, { status: 503 })));
  }

  async function decideCheck(check: CheckRequest, answer: (ok: boolean, comment?: string, receipt?: Receipt) => Response): Promise<Response> {
    // The gateway's integration test (integration-matrix.ts), signature already verified: answered
    // here, never reaching the shop's orders.
    if (isTestRequest(check.extraParams)) {
      return check.payFor.startsWith(UNKNOWN_ORDER_PREFIX) ? answer(false, 'unknown order (integration test)') : answer(true);
    }
    try {
      const d = await options.onCheck(check);
      if (d === true) return answer(true);
      if (typeof d === 'object' && d.accept) return answer(true, undefined, d.receipt);
      return answer(false, typeof d === 'object' ? d.comment.slice(0, 255) : undefined);
    } catch (e) {
      report(e);
      return answer(false, 'temporary error');
    }
  }

  async function recordPay(pay: PayNotification, answer: (ok: boolean) => Response): Promise<Response> {
    if (isTestRequest(pay.extraParams)) return answer(true);
    try {
      await options.onPay(pay);
      return answer(true);
    } catch (e) {
      report(e);
      return answer(false);
    }
  }

  return async (request) => {
    try {
      const url = new URL(request.url);
      if (request.method === 'GET') return await api1(url.searchParams);
      if (request.method !== 'POST') return new Response('method not allowed', { status: 405 });
      const text = await request.text();
      if (text.length > 65_536) return new Response('too large', { status: 413 });
      if (request.headers.has('webhook-signature')) return await webhook(text, request.headers);
      const type = request.headers.get('content-type') ?? '';
      if (type.includes('json') || text.trimStart().startsWith('{')) return await api2(text);
      return await api1(new URLSearchParams(text));
    } catch (e) {
      report(e);
      return new Response('bad request', { status: 400 });
    }
  };
}
