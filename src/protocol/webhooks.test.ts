import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { PayData } from './onpay-api.ts';
import { PAY_EVENT_TYPE, signWebhook, webhookHeaders, webhookId, webhookPayBody, webhookSecret } from './webhooks.ts';

const pay: PayData = {
  payFor: '42', onpayId: 7, orderAmount: '100.0', orderTicker: 'RUR', paidAmount: '1.13', paidTicker: 'USD',
  balanceAmount: '100.0', balanceTicker: 'RUR', rate: '90.5', paidAt: '2026-11-28T15:00:00+00:00',
  userEmail: 'b@b.ru', userPhone: '', note: 'n', extraParams: { onpay_ap_a: '1' },
};

test('the whsec_ secret is base64 of K, and what we sign a Standard Webhooks library verifies', () => {
  assert.equal(webhookSecret('K'), 'whsec_Sw==');
  const body = webhookPayBody(pay, { id: 'pay_x', way: 'USD' }, Date.UTC(2026, 10, 28, 15, 0, 0, 123));
  // The library checks the timestamp against its own clock.
  const headers = webhookHeaders({ 'webhook-id': webhookId('pay_x') }, 'K', Date.now(), body);
  assert.equal(headers['webhook-signature'], signWebhook('K', 'msg_pay_x', Number(headers['webhook-timestamp']), body));
  const verified = new Webhook(webhookSecret('K')).verify(body, headers as Record<string, string>) as unknown;
  assert.ok(verified);
});

test('the payment.paid body is the PAY data in the gateway\'s names, timestamp to the millisecond', () => {
  const body = webhookPayBody(pay, { id: 'pay_x', way: 'USD' }, Date.UTC(2026, 10, 28, 15, 0, 0, 123));
  assert.equal(body, JSON.stringify({
    type: PAY_EVENT_TYPE, timestamp: '2026-11-28T15:00:00.123Z',
    data: {
      id: 'pay_x', number: 7, payFor: '42', amount: '100.0', ticker: 'RUR', way: 'USD', paidAmount: '1.13', paidTicker: 'USD',
      balanceAmount: '100.0', balanceTicker: 'RUR', rate: '90.5', paidAt: '2026-11-28T15:00:00.123Z', userEmail: 'b@b.ru',
      userPhone: '', note: 'n', extraParams: { onpay_ap_a: '1' },
    },
  }));
});
