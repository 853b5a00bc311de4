/**
 * Receipts (54-ФЗ) through YooKassa: the mapping of our model to `receipt` (table tests with the
 * documentation's example), the closing receipt's `POST /receipts` body, `receipt_registration` read
 * back, and the connector against the emulator over loopback: a receipt on create, a partial refund
 * with its receipt, the closing receipt, refusals in YooKassa's error shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createProviderHttp } from '../http.ts';
import type { Connector, CreateRequest } from '../contract.ts';
import type { Payment } from '../../types.ts';
import type { Receipt, Vat } from '../../../protocol/receipt.ts';
import { createYooKassaConnector } from './client.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from './emulator.ts';
import { createPaymentBody, createRefundBody, parsePayment, toProviderStatus } from './transform.ts';
import { closingReceiptBody, receiptOutcomeOf, yookassaReceipt } from './receipt.ts';
import { closingOf, FFD12_RECEIPT, oneLine, YOOKASSA_DOC_RECEIPT } from '../receipt-fixtures.ts';

const SHOP_ID = '200600';
const SECRET = 'test_secret_receipts_0123';

describe('mapping to receipt', () => {
  test("the documentation's example: description, quantity as its decimal text, unit price, vat_code, mode, subject", () => {
    assert.deepEqual(yookassaReceipt(YOOKASSA_DOC_RECEIPT, 'RUB'), {
      customer: { phone: '79000000000' },
      items: [
        { description: 'Наименование товара 1', quantity: '2', amount: { value: '250.00', currency: 'RUB' }, vat_code: 2, payment_mode: 'full_prepayment', payment_subject: 'commodity' },
        { description: 'Наименование товара 2', quantity: '1', amount: { value: '100.00', currency: 'RUB' }, vat_code: 2, payment_mode: 'full_prepayment', payment_subject: 'commodity' },
      ],
      tax_system_code: 1,
    });
  });

  test('vat_code, tax_system_code and payment_mode tables', () => {
    const vat: [Vat, number][] = [
      ['none', 1], ['vat0', 2], ['vat10', 3], ['vat110', 5], ['vat5', 7], ['vat7', 8], ['vat105', 9], ['vat107', 10], ['vat22', 11], ['vat122', 12],
    ];
    for (const [v, code] of vat) assert.equal((yookassaReceipt(oneLine('1.00', { vat: v }), 'RUB').items as Record<string, unknown>[])[0]!.vat_code, code, v);
    const tax: [Receipt['taxation'], number][] = [['osn', 1], ['usn_income', 2], ['usn_income_outcome', 3], ['esn', 5], ['patent', 6]];
    for (const [t, code] of tax) assert.equal(yookassaReceipt({ ...oneLine('1.00'), taxation: t }, 'RUB').tax_system_code, code, t);
    const modes = [['full_prepayment', 'full_prepayment'], ['prepayment', 'partial_prepayment'], ['advance', 'advance'], ['full_payment', 'full_payment'],
      ['partial_payment', 'partial_payment'], ['credit', 'credit'], ['credit_payment', 'credit_payment']] as const;
    for (const [ours, theirs] of modes) {
      assert.equal((yookassaReceipt(oneLine('1.00', { paymentMethod: ours }), 'RUB').items as Record<string, unknown>[])[0]!.payment_mode, theirs, ours);
    }
    // A phone goes as E.164 digits only.
    assert.deepEqual(yookassaReceipt({ ...oneLine('1.00'), customer: { phone: '+7 (900) 123-45-67', email: 'a@b.ru' } }, 'RUB').customer, { email: 'a@b.ru', phone: '79001234567' });
  });

  test('FFD 1.2: measure, a marked commodity as `marked` with mark_mode and mark_code_info; none of it under 1.05', () => {
    const [kettle, delivery] = yookassaReceipt(FFD12_RECEIPT, 'RUB').items as Record<string, unknown>[];
    assert.deepEqual(kettle, {
      description: 'Чайник', quantity: '1', amount: { value: '1200.00', currency: 'RUB' }, vat_code: 1, payment_mode: 'full_prepayment',
      payment_subject: 'marked', measure: 'piece', mark_mode: '0', mark_code_info: { gs_1m: '010460043993125621JgXJ5.T' },
    });
    assert.equal(delivery!.payment_subject, 'service');
    assert.equal(delivery!.amount && (delivery!.amount as { value: string }).value, '12.00', 'the unit price, not the line amount');
    const old = (yookassaReceipt({ ...FFD12_RECEIPT, ffd: '1.05' }, 'RUB').items as Record<string, unknown>[])[0]!;
    assert.equal(old.measure, undefined);
    assert.equal(old.payment_subject, 'commodity');
  });

  test('on create and refund bodies; the closing receipt body settles the whole sum as prepayment', () => {
    const payment = { id: 'p1', number: 1, merchantLogin: 'shop', amountMinor: 60000n, wayTicker: 'RUR' };
    const built = createPaymentBody({ payment, method: 'bank_card', returnUrl: 'https://gw.test/r', description: 'd', receipt: YOOKASSA_DOC_RECEIPT });
    assert.ok(built.ok);
    if (built.ok) assert.deepEqual(built.body.receipt, yookassaReceipt(YOOKASSA_DOC_RECEIPT, 'RUB'));
    assert.deepEqual(createRefundBody('2c5f', 2400n, 'RUR', '', oneLine('24.00'))!.receipt, yookassaReceipt(oneLine('24.00'), 'RUB'));
    assert.deepEqual(closingReceiptBody('2c5f', closingOf(YOOKASSA_DOC_RECEIPT), 'RUB'), {
      type: 'payment', payment_id: '2c5f', send: true, ...yookassaReceipt(closingOf(YOOKASSA_DOC_RECEIPT), 'RUB'),
      settlements: [{ type: 'prepayment', amount: { value: '600.00', currency: 'RUB' } }],
    });
  });

  test('receipt statuses as ReceiptOutcome, and receipt_registration read back with the payment', () => {
    assert.deepEqual(receiptOutcomeOf('pending', 'r1'), { status: 'sent', providerReceiptId: 'r1' });
    assert.deepEqual(receiptOutcomeOf('succeeded'), { status: 'registered' });
    assert.equal(receiptOutcomeOf('canceled')!.status, 'failed');
    assert.equal(receiptOutcomeOf(undefined), undefined);
    const p = parsePayment({ id: '2c5f', status: 'succeeded', amount: { value: '600.00', currency: 'RUB' }, receipt_registration: 'pending' })!;
    assert.deepEqual(toProviderStatus(p).receipt, { status: 'sent' });
    const none = parsePayment({ id: '2c5f', status: 'succeeded', amount: { value: '600.00', currency: 'RUB' } })!;
    assert.equal(toProviderStatus(none).receipt, undefined);
  });
});

describe('through the emulator', () => {
  let emu: YooKassaEmulator;
  let connector: Connector;
  let n = 0;

  before(async () => {
    emu = await startYooKassaEmulator({ shopId: SHOP_ID, secretKey: SECRET, send: async () => 200, schedule: (_ms, run) => run() });
    connector = createYooKassaConnector({ id: 'yk', type: 'yookassa', shopId: SHOP_ID, secretKey: SECRET, apiUrl: emu.apiUrl }, {
      http: createProviderHttp(), now: Date.now, publicUrl: 'http://gw.test', timeoutMs: 1500,
    });
  });
  after(() => emu.close());

  function makePayment(amountMinor: bigint): Payment {
    n += 1;
    const now = Date.now();
    return {
      id: `rc_${n}_${Math.random().toString(36).slice(2, 8)}`, number: 7000 + n, merchantLogin: 'shop', payFor: `order-${n}`, mode: 'fix',
      priceMinor: amountMinor, ticker: 'RUR', convert: false, priceFinal: false, note: '', ln: 'ru', urlSuccess: 'https://shop.example/ok',
      urlFail: 'https://shop.example/fail', userEmail: '', userPhone: '', extraParams: {}, way: 'YKC', wayTicker: 'RUR', amountMinor, feeMinor: 0n,
      balanceMinor: amountMinor, balanceTicker: 'RUR', rate: '1', status: 'awaiting_payment', statusReason: '', manual: false, action: null,
      idempotencyKey: null, requestHash: null, responseStatus: null, responseBody: null, expiresAt: null, paidAt: null, createdAt: now, updatedAt: now,
      providerId: 'yk', providerPaymentId: null, amountMismatch: false, refundedMinor: 0n, paidLate: false, failureReason: null, lateUntil: null,
    };
  }

  function request(p: Payment, receipt: Receipt): CreateRequest {
    return {
      payment: p, method: 'bank_card', idempotencyKey: `create-${p.id}`, notificationUrl: 'http://gw.test/notify',
      successUrl: 'http://gw.test/ok', failUrl: 'http://gw.test/fail', description: 'Shop', receipt,
    };
  }

  test('a receipt on create (registration read back), a partial refund with its receipt, the closing receipt', async () => {
    const p = makePayment(122400n);
    const r = await connector.create(request(p, FFD12_RECEIPT));
    assert.equal(r.kind, 'started', r.kind === 'started' ? '' : r.reason);
    if (r.kind !== 'started') return;
    assert.ok(emu.complete(r.providerPaymentId, 'succeeded'));
    const status = await connector.fetchStatus(p, r.providerPaymentId);
    assert.equal(status.state, 'paid');
    assert.deepEqual('receipt' in status ? status.receipt : undefined, { status: 'registered' });
    const paid = { ...p, providerPaymentId: r.providerPaymentId, status: 'paid' as const };
    const refundReceipt: Receipt = { ...FFD12_RECEIPT, items: [FFD12_RECEIPT.items[1]!] };
    const refund = await connector.refund({ payment: paid, providerPaymentId: r.providerPaymentId, amountMinor: 2400n, idempotencyKey: `rf-${p.id}`, reason: 'r', receipt: refundReceipt });
    assert.equal(refund.kind, 'done', refund.kind === 'done' ? '' : refund.reason);

    const closing = await connector.sendClosingReceipt!(paid, closingOf({ ...FFD12_RECEIPT, items: [FFD12_RECEIPT.items[0]!] }));
    assert.equal(closing.status, 'registered', closing.reason);
    assert.ok(closing.providerReceiptId);
    // Sent again (a retry): the same receipt, not a second one.
    const again = await connector.sendClosingReceipt!(paid, closingOf({ ...FFD12_RECEIPT, items: [FFD12_RECEIPT.items[0]!] }));
    assert.equal(again.providerReceiptId, closing.providerReceiptId);
    assert.deepEqual(await connector.fetchReceiptStatus!(paid, closing.providerReceiptId!), { status: 'registered', providerReceiptId: closing.providerReceiptId });
    const unknown = await connector.fetchReceiptStatus!(paid, '00000000-000f-5000-8000-000000000000');
    assert.equal(unknown.status, 'unreachable');
  });

  test("refusals in YooKassa's shape name the parameter: sum mismatch, no contact, a closing receipt before the payment succeeded, a refund receipt off its amount", async () => {
    const mismatch = await connector.create(request(makePayment(60001n), YOOKASSA_DOC_RECEIPT));
    assert.equal(mismatch.kind, 'refused');
    assert.match(mismatch.kind === 'refused' ? mismatch.reason : '', /receipt\.items\.amount/);
    const noContact = await connector.create(request(makePayment(60000n), { ...YOOKASSA_DOC_RECEIPT, customer: {} }));
    assert.match(noContact.kind === 'refused' ? noContact.reason : '', /receipt\.customer/);

    const p = makePayment(60000n);
    const r = await connector.create(request(p, YOOKASSA_DOC_RECEIPT));
    assert.equal(r.kind, 'started');
    if (r.kind !== 'started') return;
    const started = { ...p, providerPaymentId: r.providerPaymentId };
    const early = await connector.sendClosingReceipt!(started, closingOf(YOOKASSA_DOC_RECEIPT));
    assert.equal(early.status, 'failed');
    assert.match(early.reason ?? '', /payment_id/);
    emu.complete(r.providerPaymentId, 'succeeded');
    const refund = await connector.refund({ payment: started, providerPaymentId: r.providerPaymentId, amountMinor: 10000n, idempotencyKey: `x-${p.id}`, reason: '', receipt: oneLine('99.99') });
    assert.equal(refund.kind, 'refused');
    assert.match(refund.kind === 'refused' ? refund.reason : '', /receipt\.items\.amount/);
    // A payment that had a receipt needs one on its refunds.
    const bare = await connector.refund({ payment: started, providerPaymentId: r.providerPaymentId, amountMinor: 10000n, idempotencyKey: `y-${p.id}`, reason: '' });
    assert.match(bare.kind === 'refused' ? bare.reason : '', /receipt/);
  });

  test('the emulator refuses an unknown vat_code and a POST /receipts without settlements, in its error object', async () => {
    const auth = `Basic ${Buffer.from(`${SHOP_ID}:${SECRET}`).toString('base64')}`;
    const post = (path: string, body: unknown) => fetch(`${emu.apiUrl}${path}`, {
      method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', 'idempotence-key': `k-${Math.random()}` }, body: JSON.stringify(body),
    });
    const receipt = yookassaReceipt(oneLine('10.00'), 'RUB');
    (receipt.items as Record<string, unknown>[])[0]!.vat_code = 13;
    const res = await post('/payments', { amount: { value: '10.00', currency: 'RUB' }, confirmation: { type: 'redirect', return_url: 'https://x.test' }, receipt });
    assert.equal(res.status, 400);
    const e = await res.json() as Record<string, unknown>;
    assert.equal(e.type, 'error');
    assert.equal(e.code, 'invalid_request');
    assert.equal(e.parameter, 'receipt.items.vat_code');
    const noSettlements = await post('/receipts', { type: 'payment', payment_id: 'x', send: true, ...yookassaReceipt(oneLine('10.00'), 'RUB') });
    assert.equal(noSettlements.status, 400);
  });
});
