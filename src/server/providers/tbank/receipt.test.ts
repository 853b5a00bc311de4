/**
 * Receipts (54-ФЗ) through T-Bank: the mapping of our model to `Receipt` (table tests with the
 * documentation's example), the `Token` leaving it out, and the connector against the emulator over
 * loopback HTTP: a receipt on Init, a partial refund with its receipt, the closing receipt, refusals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createProviderHttp } from '../http.ts';
import type { Connector } from '../contract.ts';
import type { Payment } from '../../types.ts';
import type { Receipt } from '../../../protocol/receipt.ts';
import { tbankModule } from './index.ts';
import { createManualScheduler, startTbankEmulator, type TbankEmulator } from './emulator.ts';
import { buildCancel, buildInit, cashboxUrl, tbankToken } from './transform.ts';
import { tbankReceipt } from './receipt.ts';
import { closingOf, FFD12_RECEIPT, item, oneLine, TBANK_DOC_RECEIPT } from '../receipt-fixtures.ts';

const TERMINAL = { terminalKey: 'TestTerminalRCPT', password: 'receipt-password-1' };

describe('mapping to Receipt', () => {
  test("the documentation's Init example: kopecks, Tax, Taxation, contacts; FfdVersion only when given", () => {
    assert.deepEqual(tbankReceipt(TBANK_DOC_RECEIPT), {
      Taxation: 'osn', Email: 'a@test.ru', Phone: '+79031234567',
      Items: [
        { Name: 'Наименование товара 1', Price: 10000, Quantity: 1, Amount: 10000, Tax: 'vat10', PaymentMethod: 'full_payment', PaymentObject: 'commodity' },
        { Name: 'Наименование товара 2', Price: 20000, Quantity: 2, Amount: 40000, Tax: 'vat22', PaymentMethod: 'full_payment', PaymentObject: 'commodity' },
        { Name: 'Наименование товара 3', Price: 30000, Quantity: 3, Amount: 90000, Tax: 'vat10', PaymentMethod: 'full_payment', PaymentObject: 'commodity' },
      ],
    });
    assert.equal(tbankReceipt({ ...TBANK_DOC_RECEIPT, ffd: '1.05' }).FfdVersion, '1.05');
  });

  test('every VAT rate, taxation and payment method keeps its name; quantities with 3 decimals stay exact', () => {
    const table: [Partial<Receipt['items'][number]>, Record<string, unknown>][] = [
      [{ vat: 'none' }, { Tax: 'none' }], [{ vat: 'vat0' }, { Tax: 'vat0' }], [{ vat: 'vat5' }, { Tax: 'vat5' }],
      [{ vat: 'vat7' }, { Tax: 'vat7' }], [{ vat: 'vat10' }, { Tax: 'vat10' }], [{ vat: 'vat22' }, { Tax: 'vat22' }],
      [{ vat: 'vat105' }, { Tax: 'vat105' }], [{ vat: 'vat107' }, { Tax: 'vat107' }], [{ vat: 'vat110' }, { Tax: 'vat110' }],
      [{ vat: 'vat122' }, { Tax: 'vat122' }],
      [{ paymentMethod: 'full_prepayment' }, { PaymentMethod: 'full_prepayment' }], [{ paymentMethod: 'prepayment' }, { PaymentMethod: 'prepayment' }],
      [{ paymentMethod: 'advance' }, { PaymentMethod: 'advance' }], [{ paymentMethod: 'partial_payment' }, { PaymentMethod: 'partial_payment' }],
      [{ paymentMethod: 'credit' }, { PaymentMethod: 'credit' }], [{ paymentMethod: 'credit_payment' }, { PaymentMethod: 'credit_payment' }],
      [{ paymentObject: 'service' }, { PaymentObject: 'service' }], [{ paymentObject: 'payment' }, { PaymentObject: 'payment' }],
      [{ price: '0.40', quantity: '0.125', amount: '0.05' }, { Price: 40, Quantity: 0.125, Amount: 5 }],
    ];
    for (const [over, want] of table) {
      const got = (tbankReceipt(oneLine('10.00', over)).Items as Record<string, unknown>[])[0]!;
      for (const [k, v] of Object.entries(want)) assert.equal(got[k], v, `${JSON.stringify(over)} → ${k}`);
    }
    for (const t of ['osn', 'usn_income', 'usn_income_outcome', 'esn', 'patent'] as const) assert.equal(tbankReceipt({ ...oneLine('1.00'), taxation: t }).Taxation, t);
  });

  test('FFD 1.2: MeasurementUnit, a marked commodity as goods_with_marking_code with MarkCode, a unit-less item in pieces', () => {
    const r = tbankReceipt(FFD12_RECEIPT);
    assert.equal(r.FfdVersion, '1.2');
    assert.equal(r.Phone, '+79001234567');
    assert.equal(r.Email, undefined);
    const [kettle, delivery] = r.Items as Record<string, unknown>[];
    assert.deepEqual(kettle, {
      Name: 'Чайник', Price: 120000, Quantity: 1, Amount: 120000, Tax: 'none', PaymentMethod: 'full_prepayment', PaymentObject: 'goods_with_marking_code',
      MeasurementUnit: 'шт', MarkProcessingMode: '0', MarkCode: { MarkCodeType: 'GS1M', Value: '010460043993125621JgXJ5.T' },
    });
    assert.equal(delivery!.PaymentObject, 'service');
    assert.equal(delivery!.MarkCode, undefined);
    const noUnit = tbankReceipt({ ...FFD12_RECEIPT, items: [item('Гиря', '5.00', '1', '5.00', { measure: 'kilogram' }), item('X', '1.00', '1', '1.00')] });
    assert.deepEqual((noUnit.Items as Record<string, unknown>[]).map((i) => i.MeasurementUnit), ['кг', 'шт']);
    // Under 1.05 there is no unit and no marking.
    assert.equal((tbankReceipt({ ...FFD12_RECEIPT, ffd: '1.05' }).Items as Record<string, unknown>[])[0]!.MeasurementUnit, undefined);
    assert.throws(() => tbankReceipt({ ...FFD12_RECEIPT, items: [item('X', '1.00', '1', '1.00', { measure: 'parsec' })] }), /receipt\.items\[0\]\.measure/);
  });

  test('the closing receipt: the whole sum as AdvancePayment, nothing paid now', () => {
    assert.deepEqual(tbankReceipt(closingOf(TBANK_DOC_RECEIPT), { closing: true }).Payments, { Electronic: 0, AdvancePayment: 140000 });
  });

  test('the Receipt takes no part in the Token (Init and Cancel)', () => {
    const c = { terminalKey: 'TK', password: 'pw' };
    const input = { amountMinor: 140000n, orderId: 'o1', description: 'd', successUrl: 's', failUrl: 'f', notificationUrl: 'n', language: 'ru' as const };
    const withReceipt = buildInit(c, { ...input, receipt: tbankReceipt(TBANK_DOC_RECEIPT) });
    const without = buildInit(c, input);
    assert.ok(withReceipt.Receipt);
    assert.equal(withReceipt.Token, without.Token);
    assert.equal(tbankToken({ ...withReceipt, Receipt: { Items: [] } }, 'pw'), withReceipt.Token, 'another Receipt, the same Token');
    const cancel = buildCancel(c, '42', 100n, 'ext', tbankReceipt(oneLine('1.00')));
    assert.equal(cancel.Token, buildCancel(c, '42', 100n, 'ext').Token);
  });

  test('the cashbox URL beside the API URL', () => {
    assert.equal(cashboxUrl('https://securepay.tinkoff.ru/v2'), 'https://securepay.tinkoff.ru/cashbox');
    assert.equal(cashboxUrl('http://127.0.0.1:9/v2/'), 'http://127.0.0.1:9/cashbox');
  });
});

describe('through the emulator', () => {
  const clock = createManualScheduler();
  let emu: TbankEmulator;
  let connector: Connector;
  let seq = 0;

  before(async () => {
    emu = await startTbankEmulator({ terminals: [TERMINAL], scheduler: clock });
    const config = tbankModule.configSchema.parse({ id: 'tbank', type: 'tbank', ...TERMINAL, apiUrl: emu.apiUrl });
    connector = tbankModule.create(config, { http: createProviderHttp(), now: clock.now, publicUrl: 'http://gateway.test', timeoutMs: 1500 });
  });
  after(() => emu.close());

  function makePayment(amountMinor: bigint): Payment {
    const id = `rcpt_${++seq}_${Date.now().toString(36)}`;
    return {
      id, number: 5000 + seq, merchantLogin: 'demo', payFor: `order-${seq}`, mode: 'fix', priceMinor: amountMinor, ticker: 'RUR',
      convert: false, priceFinal: false, note: '', ln: 'ru', urlSuccess: 'https://shop.example/ok', urlFail: 'https://shop.example/fail',
      userEmail: '', userPhone: '', extraParams: {}, way: 'TBC', wayTicker: 'RUR', amountMinor, feeMinor: 0n, balanceMinor: amountMinor,
      balanceTicker: 'RUR', rate: '1', status: 'awaiting_payment', statusReason: '', manual: false, action: null, idempotencyKey: null,
      requestHash: null, responseStatus: null, responseBody: null, expiresAt: null, paidAt: null, createdAt: clock.now(), updatedAt: clock.now(),
      providerId: 'tbank', providerPaymentId: null, amountMismatch: false, refundedMinor: 0n, paidLate: false, failureReason: null, lateUntil: null,
    };
  }

  async function create(p: Payment, receipt: Receipt) {
    return connector.create({
      payment: p, method: 'card', idempotencyKey: p.id, notificationUrl: 'http://127.0.0.1:9/notify', successUrl: 'http://gateway.test/ok',
      failUrl: 'http://gateway.test/fail', description: 'Demo shop', receipt,
    });
  }

  test('a receipt on Init, a partial refund with its receipt, a closing receipt for the rest', async () => {
    const p = makePayment(122400n);
    const r = await create(p, FFD12_RECEIPT);
    assert.equal(r.kind, 'started', JSON.stringify(r));
    if (r.kind !== 'started') return;
    assert.ok(emu.pay(r.providerPaymentId));
    const paid = { ...p, providerPaymentId: r.providerPaymentId, status: 'paid' as const };
    // The delivery (24.00) comes back: its own receipt, summing to the refund.
    const refundReceipt: Receipt = { ...FFD12_RECEIPT, items: [FFD12_RECEIPT.items[1]!] };
    const refund = await connector.refund({ payment: paid, providerPaymentId: r.providerPaymentId, amountMinor: 2400n, idempotencyKey: 'rf1', reason: 'test', receipt: refundReceipt });
    assert.equal(refund.kind, 'done', refund.kind === 'done' ? '' : refund.reason);
    // The kettle is delivered: the closing receipt, full payment against the advance.
    const closing = await connector.sendClosingReceipt!(paid, closingOf({ ...FFD12_RECEIPT, items: [FFD12_RECEIPT.items[0]!] }));
    assert.deepEqual(closing, { status: 'sent' });
    const sent = emu.closingReceipts.find((c) => c.paymentId === r.providerPaymentId)!.receipt as Record<string, unknown>;
    assert.deepEqual(sent.Payments, { Electronic: 0, AdvancePayment: 120000 });
    assert.equal((sent.Items as Record<string, unknown>[])[0]!.PaymentMethod, 'full_payment');
  });

  test('refusals by the emulator surface as provider refusals naming the reason', async () => {
    const sumMismatch = await create(makePayment(140001n), TBANK_DOC_RECEIPT);
    assert.equal(sumMismatch.kind, 'refused');
    assert.match(sumMismatch.kind === 'refused' ? sumMismatch.reason : '', /T-Bank error 334/);
    const noContact = await create(makePayment(140000n), { ...TBANK_DOC_RECEIPT, customer: {} });
    assert.match(noContact.kind === 'refused' ? noContact.reason : '', /T-Bank error 329/);

    const p = makePayment(100000n);
    const r = await create(p, oneLine('1000.00'));
    assert.equal(r.kind, 'started');
    if (r.kind !== 'started') return;
    const before = { ...p, providerPaymentId: r.providerPaymentId };
    // A closing receipt for a payment not paid yet.
    const early = await connector.sendClosingReceipt!(before, closingOf(oneLine('1000.00')));
    assert.equal(early.status, 'failed');
    assert.match(early.reason ?? '', /T-Bank error 8/);
    emu.pay(r.providerPaymentId);
    const wrongSum = await connector.sendClosingReceipt!(before, closingOf(oneLine('999.99')));
    assert.equal(wrongSum.status, 'failed');
    assert.match(wrongSum.reason ?? '', /334/);
    const refund = await connector.refund({ payment: before, providerPaymentId: r.providerPaymentId, amountMinor: 5000n, idempotencyKey: 'x1', reason: '', receipt: oneLine('40.00') });
    assert.equal(refund.kind, 'refused');
    assert.match(refund.kind === 'refused' ? refund.reason : '', /334/);
    assert.equal(emu.payment(r.providerPaymentId)!.remaining, 100000, 'a refused refund took nothing');
    const noId = await connector.sendClosingReceipt!({ ...p, providerPaymentId: null }, oneLine('1000.00'));
    assert.equal(noId.status, 'failed');
  });

  test('the emulator refuses an unknown VAT (a rate no longer in force) with error 1 naming Tax', async () => {
    const body = buildInit(TERMINAL, {
      amountMinor: 1000n, orderId: `v-${Date.now()}`, description: 'd', successUrl: 's', failUrl: 'f', notificationUrl: 'n', language: 'ru',
      receipt: { Taxation: 'osn', Email: 'a@b.ru', Items: [{ Name: 'X', Price: 1000, Quantity: 1, Amount: 1000, Tax: 'vat18' }] },
    });
    const a = await (await fetch(`${emu.apiUrl}/Init`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Record<string, unknown>;
    assert.equal(a.Success, false);
    assert.equal(a.ErrorCode, '1');
    assert.match(String(a.Details), /Tax/);
    // SendClosingReceipt lives at /cashbox only.
    const wrongPlace = await fetch(`${emu.apiUrl}/SendClosingReceipt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.notEqual(wrongPlace.status, 200);
  });
});
