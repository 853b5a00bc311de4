/**
 * What the subscriptions' tests share: a gateway on real storage with merchants that save cards in
 * the sandbox, a real loopback shop that answers CHECK and PAY (API 2) and takes webhooks, the
 * merchant's API calls, and a card saved with the buyer's consent.
 */
import assert from 'node:assert/strict';
import { signPaymentLink } from '../src/merchant/link.ts';
import { signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import { formatAmount } from '../src/protocol/money.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { merchant, startMerchantStub, startTestGateway, TEST_SECRET, type MerchantStub, type StorageKind, type TestGateway } from './helpers.ts';

export const SHOP_KEY = 'shop-cabinet-key-0123456789';
export const HOOKS_KEY = 'hooks-cabinet-key-0123456789';
export const OTHER_KEY = 'other-cabinet-key-0123456789';

/** The shop's server: API 2 answers to CHECK and PAY, 200 to a webhook; every request recorded. */
export function startShop(): Promise<MerchantStub> {
  return startMerchantStub((req, res) => {
    const body = JSON.parse(req.body) as { type: string; pay_for?: string };
    res.setHeader('content-type', 'application/json');
    if (body.type === 'check' || body.type === 'pay') {
      res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, true, body.pay_for!, 'test') }));
    } else {
      res.end('{}');
    }
  });
}

/** A gateway with `shop` (Onpay API 2 notifications), `hooks` (webhooks, retries after 1 and 2 days) and `other`. */
export async function startSubscriptionGateway(kind: StorageKind, shop: MerchantStub): Promise<TestGateway> {
  return startTestGateway({
    kind,
    merchants: [
      merchant({ notifications: true, apiUrl: shop.url, origins: [], savedMethods: { enabled: true } } as never),
      merchant({ login: 'hooks', apiKey: HOOKS_KEY, notifications: true, notifyStyle: 'webhooks', apiUrl: shop.url, origins: [], savedMethods: { enabled: true, retrySchedule: [1, 2] } } as never),
      merchant({ login: 'other', apiKey: OTHER_KEY, origins: [], savedMethods: { enabled: true } } as never),
    ],
  });
}

/** The merchant's API: a call with its bearer key, the status and JSON back. */
export async function api(t: TestGateway, method: string, path: string, body?: unknown, key = SHOP_KEY): Promise<{ status: number; json: Record<string, any> }> {
  const r = await t.request(path, {
    method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, any> };
}

/** Pays with consent as `customer` of `login` through the sandbox card and gives back the saved method's id. */
export async function saveCard(t: TestGateway, login: string, customer: string, key = SHOP_KEY): Promise<string> {
  const query = new URLSearchParams(signPaymentLink({ gateway: 'http://gateway.test', merchantLogin: login, secret: 'test', price: '100', payFor: `save-${customer}`, customer }).query).toString();
  const form = await t.request(`/pay/${login}?${query}`, { headers: { accept: 'application/json' } });
  assert.equal(form.status, 200, await form.clone().text());
  const payload = (await form.json()) as { token: string };
  const c = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'CRD', saveMethod: true }) });
  const created = (await c.json()) as { id: string };
  assert.equal(c.status, 201, JSON.stringify(created));
  const p = (await t.storage.getPayment(created.id))!;
  const body = JSON.stringify({ paymentId: p.id, outcome: 'paid', amount: formatAmount(p.amountMinor), ticker: p.wayTicker });
  const paid = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) }, body });
  assert.equal(paid.status, 200);
  const list = await api(t, 'GET', `/api/v1/customers/${encodeURIComponent(customer)}/methods`, undefined, key);
  assert.equal(list.json.methods.length, 1);
  return list.json.methods[0].id as string;
}
