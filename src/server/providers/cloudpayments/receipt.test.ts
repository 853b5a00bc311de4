/**
 * Receipts (54-ФЗ) through CloudPayments: the mapping of our model to `CustomerReceipt` (table tests
 * with CloudKassir's example), exact amounts on the wire, the receipt API's statuses, and the connector
 * against the emulator over loopback: a receipt in `orders/create`, a partial refund with its receipt,
 * the closing receipt through `kkt/receipt`, refusals in the provider's envelope.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createProviderHttp } from '../http.ts';
import type { Connector, CreateRequest } from '../contract.ts';
import type { Payment } from '../../types.ts';
import type { PaymentObject, Receipt, ReceiptPaymentMethod, Vat } from '../../../protocol/receipt.ts';
import { stringifyWithRawNumbers } from '../../../protocol/exact-json.ts';
import { cloudPaymentsModule } from './index.ts';
import { startCloudPaymentsEmulator, type CloudPaymentsEmulator } from './emulator.ts';
import { createOrderBody, refundBody } from './transform.ts';
import { closingReceiptRequest, cpCustomerReceipt, cpReceiptOutcome } from './receipt.ts';
import { fakePayment } from './test-helpers.ts';
import { closingOf, FFD12_RECEIPT, item, oneLine } from '../receipt-fixtures.ts';

const PUBLIC_ID = 'pk_test_receipts';
const API_SECRET = 'cp_api_secret_receipts';
const INN = '0274062111';

/** CloudKassir's receipt example in our model: one commodity, 300.00 ₽ at 10 %, full payment, ОСН. */
const CP_DOC_RECEIPT: Receipt = {
  taxation: 'osn',
  customer: { email: '12345@cp.ru', phone: '+79991234567' },
  items: [item('Наименование товара 3', '300.00', '1', '300.00', { vat: 'vat10' })],
};

const wire = (r: Receipt, closing = false) => JSON.parse(stringifyWithRawNumbers(cpCustomerReceipt(r, { closing }))) as Record<string, unknown>;

describe('mapping to CustomerReceipt', () => {
  test("CloudKassir's example: label, price, quantity, amount, vat, method, object, taxationSystem, contacts", () => {
    assert.equal(stringifyWithRawNumbers(cpCustomerReceipt(CP_DOC_RECEIPT)),
      '{"Items":[{"label":"Наименование товара 3","price":300.00,"quantity":1,"amount":300.00,"vat":10,"method":4,"object":1}],"taxationSystem":0,"email":"12345@cp.ru","phone":"+79991234567"}');
  });

  test('vat, method, object and taxationSystem tables; quantities with 3 decimals written exactly', () => {
    const vat: [Vat, number | null][] = [['none', null], ['vat0', 0], ['vat5', 5], ['vat7', 7], ['vat10', 10], ['vat22', 22], ['vat105', 105], ['vat107', 107], ['vat110', 110], ['vat122', 122]];
    for (const [v, n] of vat) assert.equal((wire(oneLine('1.00', { vat: v })).Items as Record<string, unknown>[])[0]!.vat, n, v);
    const methods: [ReceiptPaymentMethod, number][] = [['full_prepayment', 1], ['prepayment', 2], ['advance', 3], ['full_payment', 4], ['partial_payment', 5], ['credit', 6], ['credit_payment', 7]];
    for (const [m, n] of methods) assert.equal((wire(oneLine('1.00', { paymentMethod: m })).Items as Record<string, unknown>[])[0]!.method, n, m);
    const objects: [PaymentObject, number][] = [['commodity', 1], ['excise', 2], ['job', 3], ['service', 4], ['payment', 10], ['agent_commission', 11], ['composite', 12], ['another', 13]];
    for (const [o, n] of objects) assert.equal((wire(oneLine('1.00', { paymentObject: o })).Items as Record<string, unknown>[])[0]!.object, n, o);
    const tax: [Receipt['taxation'], number][] = [['osn', 0], ['usn_income', 1], ['usn_income_outcome', 2], ['esn', 4], ['patent', 5]];
    for (const [t, n] of tax) assert.equal(wire({ ...oneLine('1.00'), taxation: t }).taxationSystem, n, t);
    assert.match(stringifyWithRawNumbers(cpCustomerReceipt(oneLine('0.05', { price: '0.40', quantity: '0.125' }))), /"price":0.40,"quantity":0.125,"amount":0.05/);
  });

  test('FFD 1.2: measurementUnit, a marked commodity as object 33 with its code; the closing receipt sets off the advance', () => {
    const [kettle, delivery] = wire(FFD12_RECEIPT).Items as Record<string, unknown>[];
    assert.deepEqual(kettle, {
      label: 'Чайник', price: 1200, quantity: 1, amount: 1200, vat: null, method: 1, object: 33, measurementUnit: 'шт',
      ProductCodeData: { CodeProductNomenclature: '010460043993125621JgXJ5.T' },
    });
    assert.equal(delivery!.object, 4);
    assert.match(stringifyWithRawNumbers(cpCustomerReceipt(closingOf(FFD12_RECEIPT), { closing: true })), /"amounts":\{"electronic":0.00,"advancePayment":1224.00\}/);
    const req = closingReceiptRequest(INN, 'pay_1', closingOf(FFD12_RECEIPT));
    assert.equal(req.Inn, INN, 'a string: the leading 0 stays');
    assert.equal(req.Type, 'Income');
  });

  test('in orders/create and payments/refund as JsonData.CloudPayments.CustomerReceipt', () => {
    const body = JSON.parse(createOrderBody({ payment: fakePayment({ amountMinor: 30000n }), description: 'd', successUrl: 's', failUrl: 'f', receipt: CP_DOC_RECEIPT })) as Record<string, unknown>;
    assert.deepEqual(body.JsonData, { CloudPayments: { CustomerReceipt: wire(CP_DOC_RECEIPT) } });
    assert.equal(JSON.parse(createOrderBody({ payment: fakePayment(), description: 'd', successUrl: 's', failUrl: 'f' })).JsonData, undefined);
    assert.match(refundBody('504', 2400n, oneLine('24.00')), /^\{"TransactionId":504,"Amount":24.00,"JsonData":\{"CloudPayments":\{"CustomerReceipt":\{"Items":\[\{"label":"Оплата заказа 42","price":24.00/);
  });

  test('receipt API statuses as ReceiptOutcome', () => {
    assert.deepEqual(cpReceiptOutcome('Queued', 'r1'), { status: 'sent', providerReceiptId: 'r1' });
    assert.deepEqual(cpReceiptOutcome('Processed', 'r1'), { status: 'registered', providerReceiptId: 'r1' });
    assert.equal(cpReceiptOutcome('Error', 'r1')!.status, 'failed');
    assert.equal(cpReceiptOutcome('Cancelled', 'r1')!.status, 'failed');
    assert.equal(cpReceiptOutcome('Whatever', 'r1'), undefined);
  });
});

describe('through the emulator', () => {
  let emulator: CloudPaymentsEmulator;
  let connector: Connector;
  let n = 0;

  function connectorWith(inn?: string): Connector {
    const config = cloudPaymentsModule.configSchema.parse({ id: 'cp', type: 'cloudpayments', publicId: PUBLIC_ID, apiSecret: API_SECRET, apiUrl: emulator.url, ...(inn ? { inn } : {}) });
    return cloudPaymentsModule.create(config, { http: createProviderHttp(), now: Date.now, publicUrl: 'http://gateway.test', timeoutMs: 2000 });
  }

  before(async () => {
    emulator = await startCloudPaymentsEmulator({ publicId: PUBLIC_ID, apiSecret: API_SECRET });
    connector = connectorWith(INN);
  });
  after(() => emulator.close());

  function payment(amountMinor: bigint): Payment {
    n += 1;
    return fakePayment({ id: `pay_rc_${n}_${Math.random().toString(36).slice(2, 7)}`, amountMinor, priceMinor: amountMinor, balanceMinor: amountMinor, expiresAt: null });
  }

  function request(p: Payment, receipt: Receipt): CreateRequest {
    return { payment: p, method: 'card', idempotencyKey: `idem-${p.id}`, notificationUrl: 'http://gateway.test/n', successUrl: 'http://gateway.test/ok', failUrl: 'http://gateway.test/fail', description: 'Shop', receipt };
  }

  test('a receipt on orders/create, a partial refund with its receipt, the closing receipt through kkt/receipt', async () => {
    const p = payment(122400n);
    const created = await connector.create(request(p, FFD12_RECEIPT));
    assert.equal(created.kind, 'started', created.kind === 'started' ? '' : created.reason);
    if (created.kind !== 'started') return;
    const paid = await emulator.pay(created.providerPaymentId, '4242424242424242');
    assert.ok(paid);
    const refundReceipt: Receipt = { ...FFD12_RECEIPT, items: [FFD12_RECEIPT.items[1]!] };
    const refund = await connector.refund({ payment: p, providerPaymentId: created.providerPaymentId, amountMinor: 2400n, idempotencyKey: `rf-${p.id}`, reason: '', receipt: refundReceipt });
    assert.equal(refund.kind, 'done', refund.kind === 'done' ? '' : refund.reason);

    const closingReceipt = closingOf({ ...FFD12_RECEIPT, items: [FFD12_RECEIPT.items[0]!] });
    const closing = await connector.sendClosingReceipt!(p, closingReceipt);
    assert.equal(closing.status, 'sent', closing.reason);
    assert.ok(closing.providerReceiptId);
    const again = await connector.sendClosingReceipt!(p, closingReceipt);
    assert.equal(again.providerReceiptId, closing.providerReceiptId, 'a resent closing receipt is made once (X-Request-ID)');
    assert.deepEqual(await connector.fetchReceiptStatus!(p, closing.providerReceiptId!), { status: 'registered', providerReceiptId: closing.providerReceiptId });
    assert.equal((await connector.fetchReceiptStatus!(p, 'nope')).status, 'unreachable');
  });

  test('refusals in the envelope surface as provider refusals naming the reason', async () => {
    const mismatch = await connector.create(request(payment(30001n), CP_DOC_RECEIPT));
    assert.equal(mismatch.kind, 'refused');
    assert.match(mismatch.kind === 'refused' ? mismatch.reason : '', /sum of Items .* does not match Amount/);
    const noContact = await connector.create(request(payment(30000n), { ...CP_DOC_RECEIPT, customer: {} }));
    assert.match(noContact.kind === 'refused' ? noContact.reason : '', /email or phone/);

    const p = payment(30000n);
    const created = await connector.create(request(p, CP_DOC_RECEIPT));
    if (created.kind !== 'started') return assert.fail('not started');
    await emulator.pay(created.providerPaymentId, '4242424242424242');
    const refund = await connector.refund({ payment: p, providerPaymentId: created.providerPaymentId, amountMinor: 10000n, idempotencyKey: `x-${p.id}`, reason: '', receipt: oneLine('99.99') });
    assert.equal(refund.kind, 'refused');
    assert.match(refund.kind === 'refused' ? refund.reason : '', /does not match Amount/);
    const noInn = await connectorWith().sendClosingReceipt!(p, closingOf(CP_DOC_RECEIPT));
    assert.equal(noInn.status, 'failed');
    assert.match(noInn.reason ?? '', /inn/);
    assert.equal(cloudPaymentsModule.configSchema.safeParse({ id: 'cp', type: 'cloudpayments', publicId: 'a', apiSecret: 'b', inn: '12345' }).success, false);
  });

  test('the emulator refuses an unknown VAT (the old 18 %) and a kkt/receipt without Inn', async () => {
    const auth = `Basic ${Buffer.from(`${PUBLIC_ID}:${API_SECRET}`).toString('base64')}`;
    const post = async (path: string, body: string) => (await fetch(`${emulator.url}${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body })).json() as Promise<Record<string, unknown>>;
    const receipt = cpCustomerReceipt(oneLine('10.00'));
    (receipt.Items as Record<string, unknown>[])[0]!.vat = 18;
    const order = await post('/orders/create', stringifyWithRawNumbers({ Amount: 10, Currency: 'RUB', Description: 'x', JsonData: { CloudPayments: { CustomerReceipt: receipt } } }));
    assert.equal(order.Success, false);
    assert.match(String(order.Message), /vat: unknown VAT value 18/);
    const noInn = await post('/kkt/receipt', stringifyWithRawNumbers({ Type: 'Income', CustomerReceipt: cpCustomerReceipt(oneLine('10.00')) }));
    assert.equal(noInn.Success, false);
    assert.match(String(noInn.Message), /Inn/);
  });
});
