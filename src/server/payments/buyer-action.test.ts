import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buyerAction } from './buyer-action.ts';
import { qrModules } from './qr.ts';
import type { PaymentAction } from '../types.ts';

const base = { type: 'instructions' as const, title: 'СБП', amount: '150.0', ticker: 'RUR', expiresAt: '2030-01-01T00:00:00.000Z', details: [] as { key: string; label: string; value: string }[] };

test('an instructions action with a QR payload gains its size and modules, payload and deep link kept', () => {
  const payload = 'https://qr.nspk.ru/AS10003P3RH0LJ2A9ROO038L6NT5RU1M?type=02&bank=100000000004&sum=15000&cur=RUB';
  const action: PaymentAction = { ...base, qr: { payload, deepLink: 'https://qr.nspk.ru/deep' } };
  const out = buyerAction(action);
  assert.equal(out.type, 'instructions');
  const { size, modules } = qrModules(payload);
  assert.deepEqual(out.type === 'instructions' && out.qr, { payload, deepLink: 'https://qr.nspk.ru/deep', size, modules });
  assert.equal(modules.length, size * size);
  assert.deepEqual(action.type === 'instructions' && action.qr, { payload, deepLink: 'https://qr.nspk.ru/deep' }, 'the stored action is not changed');
});

test('redirects and instructions without a QR code pass through unchanged', () => {
  const redirect: PaymentAction = { type: 'redirect', url: 'https://pay.example/x', frame: false };
  assert.equal(buyerAction(redirect), redirect);
  const plain: PaymentAction = { ...base, details: [{ key: 'account', label: 'Счёт', value: '40702810900000012345' }] };
  assert.deepEqual(buyerAction(plain), plain);
  assert.ok(!('qr' in buyerAction(plain)));
});

test('the provider\'s own bank list for the QR code (CloudPayments hands one out) goes to the element as given', () => {
  const payload = 'https://qr.nspk.ru/AS10003P3RH0LJ2A9ROO038L6NT5RU1M?type=02&bank=100000000004&sum=15000&cur=RUB';
  const banks = [{ bankName: 'Сбербанк', schema: 'bank100000000111', package_name: 'ru.sberbankmobile' }];
  const out = buyerAction({ ...base, qr: { payload, deepLink: payload, banks } });
  assert.deepEqual(out.type === 'instructions' && out.qr?.banks, banks);
  const without = buyerAction({ ...base, qr: { payload, deepLink: payload } });
  assert.ok(without.type === 'instructions' && without.qr && !('banks' in without.qr), 'no list: the element reads the gateway\'s');
});
