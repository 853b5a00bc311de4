/**
 * Fixtures for the dispatcher tests: paid payments with their PAY rows written through the real
 * outbox (`storage.transition`), and merchant answers signed as real merchants sign them.
 */
import type { ServerResponse } from 'node:http';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { payNotification } from '../src/server/payments/notify.ts';
import { api1PayAnswerMd5, api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import type { Storage } from '../src/server/storage/storage.ts';
import type { Merchant } from '../src/server/types.ts';
import { merchant, type StubRequest } from './helpers.ts';

export const K = 'merchant-secret-K-42';

let seq = 0;

/** A merchant with notifications on, pointing at `apiUrl`. */
export async function addMerchant(storage: Storage, apiUrl: string, over: Partial<Merchant> = {}, now = 0): Promise<Merchant> {
  const m: Merchant = { ...merchantFromConfig(merchant({ secret: K, notifications: true, apiUrl })), ...over };
  await storage.upsertMerchant(m, now);
  return m;
}

/** Creates a payment and makes it paid at `now`, which writes its PAY notification (outbox). */
export async function paidPayment(storage: Storage, m: Merchant, now: number, payFor?: string) {
  seq++;
  const { payment } = await storage.createPayment({
    id: `pay_dispatch_${seq}_${Math.random().toString(36).slice(2, 12)}`,
    merchantLogin: m.login, payFor: payFor ?? `order-${seq}`, mode: 'fix', priceMinor: 10000n, ticker: 'RUR', convert: true,
    priceFinal: false, note: 'n', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: 'a@b.ru', userPhone: '',
    extraParams: { onpay_ap_x: '1' }, way: 'CRD', wayTicker: 'RUR', amountMinor: 10200n, feeMinor: 200n, balanceMinor: 10000n,
    balanceTicker: 'RUR', rate: '1.0', status: 'awaiting_payment', idempotencyKey: null, requestHash: null, expiresAt: null,
    createdAt: now, updatedAt: now,
  });
  const ok = await storage.transition(payment.id, {
    from: 'awaiting_payment', to: 'paid', at: now, paidAt: now,
    notification: { ...payNotification(payment, m, now), dueAt: now },
  });
  if (!ok) throw new Error('transition to paid failed');
  const [n] = await storage.notificationsOf(payment.id);
  return { payment: { ...payment, status: 'paid' as const, paidAt: now }, notification: n! };
}

/** The fields of a PAY as the merchant reads them (API 1 form, GET query or API 2 JSON). */
export function readPay(req: StubRequest): { payFor: string; onpayId: string; orderAmount: string; orderTicker: string; api: 1 | 2 } {
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    const o = JSON.parse(req.body) as { pay_for: string; payment: { id: number } };
    return { payFor: o.pay_for, onpayId: String(o.payment.id), orderAmount: '', orderTicker: '', api: 2 };
  }
  const q = req.method === 'GET' ? new URL(req.url, 'http://x').searchParams : new URLSearchParams(req.body);
  return { payFor: q.get('pay_for')!, onpayId: q.get('onpay_id')!, orderAmount: q.get('order_amount')!, orderTicker: q.get('order_currency')!, api: 1 };
}

/** A merchant's answer to PAY: API 2 `{status, pay_for, signature}` or API 1 XML with `code` and md5. */
export function payAnswer(req: StubRequest, opts: { status?: boolean; code?: string; key?: string; orderId?: string } = {}): string {
  const d = readPay(req);
  const key = opts.key ?? K;
  if (d.api === 2) {
    const status = opts.status ?? true;
    return JSON.stringify({ status, pay_for: d.payFor, signature: api2AnswerSignature('pay', status, d.payFor, key) });
  }
  const code = opts.code ?? '0';
  const orderId = opts.orderId ?? `ord-${d.payFor}`;
  const md5 = api1PayAnswerMd5(d.payFor, Number(d.onpayId), orderId, d.orderAmount, d.orderTicker, code, key);
  // Real PHP modules print warnings and blank lines before the XML.
  return `\n  <?xml version="1.0" encoding="UTF-8"?>\n<result><code>${code}</code><comment>OK</comment><onpay_id>${d.onpayId}</onpay_id>`
    + `<pay_for>${d.payFor}</pay_for><order_id>${orderId}</order_id><md5>${md5}</md5></result>`;
}

/** Sends an answer with the content type real merchants use. */
export function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const type = body.trimStart().startsWith('{') ? 'application/json' : body.includes('<html') ? 'text/html' : 'text/xml';
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(body);
}
