import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudPaymentsSbpQr } from './sbp-qr.ts';
import { buyerAction } from '../../payments/buyer-action.ts';

const QR = 'https://qr.nspk.ru/AD10006M7E2TQ8SB8TS9KQ8ISU0RLAR2?type=02&bank=100000000007&sum=15000&cur=RUB&crc=2A1F';
const SBER = { bankName: 'Сбербанк', logoURL: 'https://qr.nspk.ru/proxyapp/logo/bank100000000111.png', schema: 'bank100000000111', package_name: 'ru.sberbankmobile' };
/** `Model` as CloudPayments' SDKs read the SBP link answer. */
const model = (over: Record<string, unknown> = {}) => ({ QrUrl: QR, TransactionId: 897728064, ProviderQrId: 'AD10006M7E2TQ8SB8TS9KQ8ISU0RLAR2', MerchantOrderId: 'p_1', Banks: { version: '1.0', dictionary: [SBER] }, ...over });

test('CloudPayments\' SBP link answer becomes the QR code with the provider\'s bank list, which reaches the element', () => {
  const qr = cloudPaymentsSbpQr(model())!;
  assert.deepEqual(qr, { payload: QR, deepLink: QR, banks: [SBER] });
  const action = buyerAction({ type: 'instructions', title: 'СБП', amount: '150.0', ticker: 'RUR', expiresAt: '2030-01-01T00:00:00.000Z', details: [], qr });
  assert.deepEqual(action.type === 'instructions' && action.qr?.banks, [SBER]);
});

test('a bank list that is not NSPK\'s dictionary is left out (the gateway\'s is used); a bad package is dropped', () => {
  for (const Banks of [null, undefined, { version: '1.0' }, { dictionary: [SBER] }, 'banks', { version: '1', dictionary: [{ ...SBER, schema: 'javascript:' }] }]) {
    assert.deepEqual(cloudPaymentsSbpQr(model({ Banks })), { payload: QR, deepLink: QR }, JSON.stringify(Banks));
  }
  const odd = cloudPaymentsSbpQr(model({ Banks: { version: '1', dictionary: [{ ...SBER, package_name: 'ru.x/y' }] } }))!;
  assert.deepEqual(odd.banks, [{ ...SBER, package_name: undefined }]);
});

test('no usable QrUrl: no QR code', () => {
  for (const QrUrl of [undefined, '', 'not a url', 'javascript:alert(1)', 'http://qr.nspk.ru/AD1', 42]) {
    assert.equal(cloudPaymentsSbpQr(model({ QrUrl })), null, String(QrUrl));
  }
});
