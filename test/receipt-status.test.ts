/**
 * Receipts' registration status (issue 24), end to end through each provider's emulator and the
 * whole gateway, on SQLite and PostgreSQL: the emulated cash register registers a receipt (or
 * refuses `receipt-fail@…`) a moment after its operation, and the gateway's record follows —
 * T-Bank's fiscalisation notification, CloudPayments' Receipt notification, YooKassa's
 * `receipt_registration` asked by the receipt checker. A failed receipt heads the attention list and
 * sends `receipt.failed` once. The partial refund and the closing receipt go through each provider
 * too, their receipts followed the same way. Plus the pure parts as tables.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import type { Receipt } from '../src/protocol/receipt.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { startDemoEmulators, type DemoEmulators, DEMO_PROVIDER_IDS, FREE_PORTS } from '../src/cli/demo-emulators.ts';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { createReceiptChecker } from '../src/server/dispatcher/receipt-checks.ts';
import { matchReceipt, nextReceiptCheckAt, RECEIPT_CHECK_GIVE_UP_MS } from '../src/server/payments/receipt-status.ts';
import { fiscalReport } from '../src/server/providers/tbank/fiscal.ts';
import { receiptNotificationReport } from '../src/server/providers/cloudpayments/fiscal.ts';
import { classifyNotification } from '../src/server/providers/cloudpayments/transform.ts';
import type { ReceiptRecord } from '../src/server/types.ts';
import { openTestStorage, startMerchantStub, storageKinds, TEST_SECRET, type MerchantStub, type TestStorage } from './helpers.ts';

const H = 3_600_000;

describe('receipt status, the pure parts', () => {
  test('the check schedule: 1 min, 5 min, 30 min, 2 h, 8 h, then every 6 h, none after 72 h', () => {
    const c = 1_000_000;
    const rows: [number, number | null][] = [
      [0, c + 60_000], [60_000, c + 300_000], [299_999, c + 300_000], [1_800_000, c + 2 * H], [2 * H, c + 8 * H],
      [8 * H, c + 14 * H], [13 * H, c + 14 * H], [68 * H, c + 68 * H + 0], [71 * H, null], [RECEIPT_CHECK_GIVE_UP_MS, null],
    ];
    for (const [elapsed, want] of rows) {
      const got = nextReceiptCheckAt(c, c + elapsed);
      // 68 h is itself a slot (8 + 6·10): the next one after it is 74 h, past the give-up time.
      assert.equal(got, elapsed === 68 * H ? null : want, `${elapsed / H} h`);
    }
  });

  const rec = (id: number, kind: ReceiptRecord['kind'], status: ReceiptRecord['status'], sum: string, providerReceiptId: string | null = null): ReceiptRecord => ({
    id, paymentId: 'pay_x', merchantLogin: 'shop', kind, refundId: kind === 'refund' ? `r${id}` : null, status, providerReceiptId, reason: null, idempotencyKey: '', createdAt: 0, updatedAt: 0,
    receipt: { taxation: 'osn', customer: { email: 'b@x.ru' }, items: [{ name: 'x', price: sum, quantity: '1', amount: sum, vat: 'none', paymentMethod: 'full_payment', paymentObject: 'commodity' }] },
  });

  test('a report names its receipt: by provider id, else the open one of its operation with its sum', () => {
    const list = [rec(1, 'payment', 'registered', '100.00', 'fn/1'), rec(2, 'closing', 'sent', '100.00'), rec(3, 'refund', 'sent', '30.00'), rec(4, 'refund', 'sent', '20.00')];
    const cases: [Parameters<typeof matchReceipt>[1], number | undefined][] = [
      [{ operation: 'income', providerReceiptId: 'fn/1' }, 1],
      [{ operation: 'income', amountMinor: 10000n }, 2],
      [{ operation: 'income', amountMinor: 5000n }, undefined],
      [{ operation: 'refund', amountMinor: 2000n }, 4],
      [{ operation: 'refund' }, 3],
      [{ operation: 'refund', amountMinor: 10000n }, undefined],
    ];
    for (const [report, want] of cases) assert.equal(matchReceipt(list, report)?.id, want, JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    // The payment's own receipt comes before a closing one of the same sum.
    assert.equal(matchReceipt([rec(5, 'closing', 'sent', '100.00'), rec(6, 'payment', 'sent', '100.00')], { operation: 'income', amountMinor: 10000n })?.id, 6);
  });

  test("T-Bank's fiscalisation notification as a receipt report", () => {
    const base = { TerminalKey: 't', OrderId: 'pay_1', PaymentId: 7, Status: 'RECEIPT', Amount: 122400, Token: 'x' };
    assert.deepEqual(fiscalReport(JSON.stringify({ ...base, Success: true, ErrorCode: '0', Type: 'Income', FnNumber: '9999078900012345', FiscalDocumentNumber: 41 })),
      { operation: 'income', amountMinor: 122400n, status: 'registered', providerReceiptId: '9999078900012345/41' });
    assert.deepEqual(fiscalReport(JSON.stringify({ ...base, Success: false, ErrorCode: '9001', ErrorMessage: 'Касса отклонила чек', Type: 'IncomeReturn' })),
      { operation: 'refund', amountMinor: 122400n, status: 'failed', reason: 'T-Bank receipt error 9001: Касса отклонила чек' });
    assert.equal(fiscalReport(JSON.stringify({ ...base, Status: 'CONFIRMED' })), null);
    assert.equal(fiscalReport(JSON.stringify({ ...base, Success: true, ErrorCode: '0', Type: 'Expense' })), null);
    assert.equal(fiscalReport('not json'), null);
  });

  test("CloudPayments' Receipt notification: told apart from payments, read as a receipt report", () => {
    const fields = { Id: 'abc', DocumentNumber: '501', SessionNumber: '12', FiscalSign: '2000000501', Type: 'Income', Amount: '1224.00', InvoiceId: 'pay_1', TransactionId: '1001', QrCodeUrl: 't=…' };
    assert.equal(classifyNotification(fields), 'receipt');
    assert.equal(classifyNotification({ TransactionId: '1', Amount: '1.00', Status: 'Completed', TotalFee: '0.00' }), 'pay');
    assert.deepEqual(receiptNotificationReport(fields), { operation: 'income', status: 'registered', amountMinor: 122400n, providerReceiptId: 'abc' });
    assert.deepEqual(receiptNotificationReport({ ...fields, Type: 'IncomeReturn', Id: '', Amount: '30.00' }), { operation: 'refund', status: 'registered', amountMinor: 3000n, providerReceiptId: 'fs:2000000501' });
    assert.equal(receiptNotificationReport({ ...fields, Type: 'Expense' }), null);
  });
});

const CABINET_KEY = 'shop-cabinet-key-0123456789';

for (const kind of storageKinds()) {
  describe(`receipts' registration through each emulator, on ${kind}`, () => {
    let emus: DemoEmulators;
    let gw: RunningGateway;
    let ts: TestStorage;
    let stub: MerchantStub;

    before(async () => {
      // The shop accepts every CHECK (API 2) and every webhook.
      stub = await startMerchantStub((req, res) => {
        res.setHeader('content-type', 'application/json');
        const body = JSON.parse(req.body) as { type?: string; pay_for?: string };
        if (body.type === 'check' && body.pay_for) res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature('check', true, body.pay_for, 'K-shop') }));
        else res.end('{}');
      });
      emus = await startDemoEmulators({ ports: FREE_PORTS });
      ts = await openTestStorage(kind);
      gw = await startGateway(parseConfig({
        port: 0, database: ts.url, secret: TEST_SECRET, allowPrivateMerchantUrls: true,
        providers: emus.providers, ways: emus.ways,
        merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop', apiKey: CABINET_KEY, origins: [], notifications: true, notifyStyle: 'webhooks', apiType: 2, apiUrl: stub.url, mode: 'test' }],
      }), { dispatcher: false, log: () => {} });
      emus.connect(gw.config.publicUrl);
    });
    after(async () => {
      await gw?.close();
      await emus?.close();
      await stub?.close();
      await ts?.close();
    });

    const receiptOf = (email: string, sum = '200.00'): Receipt => ({
      taxation: 'osn', customer: { email },
      items: [
        { name: 'Чайник', price: (Number(sum) / 2).toFixed(2), quantity: '1', amount: (Number(sum) / 2).toFixed(2), vat: 'vat22', paymentMethod: 'full_prepayment', paymentObject: 'commodity' },
        { name: 'Чай', price: (Number(sum) / 4).toFixed(2), quantity: '2', amount: (Number(sum) / 2).toFixed(2), vat: 'vat10', paymentMethod: 'full_prepayment', paymentObject: 'commodity' },
      ],
    });

    async function create(way: string, payFor: string, receipt: Receipt): Promise<string> {
      const link = signPaymentLink({ gateway: gw.config.publicUrl, merchantLogin: 'shop', secret: 'K-shop', price: '200.00', payFor, receipt });
      const form = (await (await fetch(`${gw.url}/pay/shop?${new URLSearchParams(link.query)}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
      const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way }) });
      const body = (await res.json()) as { id: string };
      assert.equal(res.status, 201, JSON.stringify(body));
      return body.id;
    }

    async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
      const end = Date.now() + ms;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const receipts = (id: string) => gw.storage.receiptsOf(id);
    const statusOf = async (id: string, k: ReceiptRecord['kind']) => (await receipts(id)).filter((r) => r.kind === k).map((r) => r.status);
    /** The receipt checker as another process would run it, its clock past the first slots. */
    const checkLater = (aheadMs: number) => createReceiptChecker({ storage: gw.storage, service: gw.gateway.service, now: () => Date.now() + aheadMs, owner: `test-${aheadMs}` }).runOnce();

    async function pay(provider: 'tbank' | 'yookassa' | 'cloudpayments', id: string): Promise<void> {
      const p = (await gw.storage.getPayment(id))!;
      if (provider === 'tbank') assert.ok(emus.tbank.pay(p.providerPaymentId!, 'success'));
      if (provider === 'yookassa') assert.ok(emus.yookassa.complete(p.providerPaymentId!, 'succeeded'));
      if (provider === 'cloudpayments') await emus.cloudpayments.pay(p.providerPaymentId!, '4242424242424242');
      if (provider === 'yookassa') {
        // The notification goes to the dashboard URL; the buyer's return asks too. Either pays it.
        await fetch(`${gw.url}/providers/${DEMO_PROVIDER_IDS.yookassa}/return/${id}?result=success`);
      }
      await until('paid', async () => (await gw.storage.getPayment(id))!.status === 'paid');
    }

    async function refundAndClose(id: string): Promise<void> {
      const auth = { authorization: `Bearer ${CABINET_KEY}`, 'content-type': 'application/json' };
      const closing = await fetch(`${gw.url}/api/v1/payments/${id}/receipts`, { method: 'POST', headers: auth, body: JSON.stringify({ type: 'full_payment' }) });
      assert.equal(closing.status, 201, await closing.clone().text());
      const refund = await fetch(`${gw.url}/api/v1/cabinet/payments/${id}/refunds`, { method: 'POST', headers: auth, body: JSON.stringify({ items: [{ index: 1, quantity: '1' }], reason: 'one pack back' }) });
      assert.ok(refund.status === 201 || refund.status === 202, await refund.clone().text());
    }

    test('T-Bank: the fiscalisation notifications register the payment, closing and refund receipts; a refused one fails once', async () => {
      const id = await create('TBC', 'tb-r-1', receiptOf('buyer@example.ru'));
      assert.deepEqual(await statusOf(id, 'payment'), ['sent']);
      await pay('tbank', id);
      await until('the payment receipt registered', async () => (await statusOf(id, 'payment'))[0] === 'registered');
      const own = (await receipts(id)).find((r) => r.kind === 'payment')!;
      assert.match(own.providerReceiptId!, /^\d+\/\d+$/, 'the fiscal drive and document numbers');
      await refundAndClose(id);
      await until('closing and refund receipts registered', async () => (await statusOf(id, 'closing'))[0] === 'registered' && (await statusOf(id, 'refund'))[0] === 'registered');
      const tbId = (await gw.storage.getPayment(id))!.providerPaymentId;
      const taken = emus.tbank.receipts.filter((r) => r.paymentId === tbId);
      assert.deepEqual(taken.map((r) => [r.source, r.type, r.amount]), [['init', 'Income', 20000], ['closing', 'Income', 20000], ['refund', 'IncomeReturn', 5000]]);

      const bad = await create('TBC', 'tb-r-2', receiptOf('receipt-fail@example.ru'));
      await pay('tbank', bad);
      await until('the refused receipt failed', async () => (await statusOf(bad, 'payment'))[0] === 'failed');
      const failed = (await receipts(bad))[0]!;
      assert.equal(failed.reason, 'T-Bank receipt error 9001: Касса отклонила чек');
      await emus.tbank.idle();
      // T-Bank resends a notification until it is answered OK: the same report again changes nothing.
      const n = emus.tbank.notifications.find((x) => x.status === 'RECEIPT' && x.body.includes(`"OrderId":"${bad}"`))!;
      const again = await fetch(`${gw.url}/providers/tbank/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: n.body });
      assert.equal(await again.text(), 'OK');
      // A forged one (its Token no longer matches) is refused and changes nothing.
      const forged = await fetch(`${gw.url}/providers/tbank/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: n.body.replace('"ErrorCode":"9001"', '"ErrorCode":"0"').replace('"Success":false', '"Success":true') });
      assert.equal(forged.status, 403);
      const events = (await gw.storage.notificationsOf(bad)).filter((x) => x.kind === 'receipt');
      assert.equal(events.length, 1, 'receipt.failed once');
      assert.equal((JSON.parse(events[0]!.body) as { type: string }).type, 'receipt.failed');
      const summary = (await (await fetch(`${gw.url}/api/v1/cabinet/summary`, { headers: { authorization: `Bearer ${CABINET_KEY}` } })).json()) as { attention: { kind: string; paymentId?: string; id?: string }[] };
      assert.equal(summary.attention[0]!.kind, 'receipt_failed', 'a failed receipt heads the attention list');
    });

    test('YooKassa: the receipt checker reads receipt_registration after the register; refunds and closing followed; a refused one fails once', async () => {
      const id = await create('YKC', 'yk-r-1', receiptOf('buyer@example.ru'));
      await pay('yookassa', id);
      // The succeeded notification or the return said `pending`: the receipt is still `sent`.
      assert.deepEqual(await statusOf(id, 'payment'), ['sent']);
      const own = (await receipts(id))[0]!;
      // Not yet due: nothing is claimed now.
      assert.equal(await createReceiptChecker({ storage: gw.storage, service: gw.gateway.service, now: () => own.createdAt + 1000, owner: 'early' }).runOnce(), 0);
      await new Promise((r) => setTimeout(r, 600));
      assert.ok((await checkLater(61_000)) >= 1);
      assert.deepEqual(await statusOf(id, 'payment'), ['registered']);
      assert.ok((await receipts(id))[0]!.providerReceiptId, 'the YooKassa receipt id kept');
      await refundAndClose(id);
      assert.deepEqual([...await statusOf(id, 'closing'), ...await statusOf(id, 'refund')], ['sent', 'sent']);
      await new Promise((r) => setTimeout(r, 600));
      await checkLater(61_000);
      assert.deepEqual([...await statusOf(id, 'closing'), ...await statusOf(id, 'refund')], ['registered', 'registered']);

      const bad = await create('YKC', 'yk-r-2', receiptOf('receipt-fail@example.ru'));
      await pay('yookassa', bad);
      await new Promise((r) => setTimeout(r, 600));
      await checkLater(61_000);
      await checkLater(6 * H);
      assert.deepEqual(await statusOf(bad, 'payment'), ['failed']);
      assert.equal((await gw.storage.notificationsOf(bad)).filter((x) => x.kind === 'receipt').length, 1, 'receipt.failed once');
      assert.equal(await checkLater(80 * H), 0, 'a final receipt is no longer asked about');

      // Never paid: the receipt stays `sent`; past the give-up time it is no longer asked, and says why.
      const unpaid = await create('YKC', 'yk-r-3', receiptOf('buyer@example.ru'));
      await checkLater(61_000);
      const [r3] = await receipts(unpaid);
      assert.equal(r3!.status, 'sent');
      await checkLater(73 * H);
      const [r4] = await receipts(unpaid);
      assert.equal(r4!.status, 'sent');
      assert.match(r4!.reason!, /within 72 h/);
      assert.equal(await checkLater(100 * H), 0);
    });

    test('CloudPayments: the Receipt notifications register the payment, refund and closing receipts; a refused closing one fails by the checker', async () => {
      const id = await create('CPC', 'cp-r-1', receiptOf('buyer@example.ru'));
      await pay('cloudpayments', id);
      await until('the payment receipt registered', async () => (await statusOf(id, 'payment'))[0] === 'registered');
      await refundAndClose(id);
      await until('closing and refund receipts registered', async () => (await statusOf(id, 'closing'))[0] === 'registered' && (await statusOf(id, 'refund'))[0] === 'registered');
      const taken = emus.cloudpayments.receipts.filter((r) => r.invoiceId === id);
      assert.deepEqual(taken.map((r) => [r.source, r.type, r.amountMinor]), [['payment', 'Income', 20000n], ['kkt', 'Income', 20000n], ['refund', 'IncomeReturn', 5000n]]);
      const closing = (await receipts(id)).find((r) => r.kind === 'closing')!;
      assert.equal(closing.providerReceiptId, taken[1]!.id, 'matched by the receipt API id');
      // A Receipt body posted at the Pay address is refused (the address's type and the body disagree).
      const sent = emus.cloudpayments.deliveries.find((d) => d.kind === 'receipt' && d.body.includes(encodeURIComponent(id)))!;
      const misplaced = await fetch(`${gw.url}/providers/${DEMO_PROVIDER_IDS.cloudpayments}/notify?kind=pay`, { method: 'POST', headers: sent.headers, body: sent.body });
      assert.equal(((await misplaced.json()) as { code: number }).code, 13);

      // The register refuses the closing receipt: no notification; the checker reads `Error`.
      const bad = await create('CPC', 'cp-r-2', receiptOf('receipt-fail@example.ru'));
      await pay('cloudpayments', bad);
      const auth = { authorization: `Bearer ${CABINET_KEY}`, 'content-type': 'application/json' };
      assert.equal((await fetch(`${gw.url}/api/v1/payments/${bad}/receipts`, { method: 'POST', headers: auth, body: JSON.stringify({ type: 'full_payment' }) })).status, 201);
      assert.deepEqual(await statusOf(bad, 'closing'), ['sent']);
      await new Promise((r) => setTimeout(r, 600));
      await checkLater(61_000);
      assert.deepEqual(await statusOf(bad, 'closing'), ['failed']);
      const events = (await gw.storage.notificationsOf(bad)).filter((x) => x.kind === 'receipt');
      assert.equal(events.length, 1);
      assert.equal((JSON.parse(events[0]!.body) as { data: { receipt: { kind: string } } }).data.receipt.kind, 'closing');
    });

    test('the checker\'s claims: two checkers never hold one receipt, a lost lease is due again, a final receipt is asked no more', async () => {
      const id = await create('YKC', 'yk-claims', receiptOf('buyer@example.ru'));
      const [r] = await receipts(id);
      const at = r!.createdAt + 61_000;
      const mine = (list: ReceiptRecord[]) => list.filter((x) => x.id === r!.id).length;
      const [a, b] = await Promise.all([gw.storage.claimReceiptChecks(at, 100, 'A', 1000), gw.storage.claimReceiptChecks(at, 100, 'B', 1000)]);
      assert.equal(mine(a) + mine(b), 1, 'claimed by exactly one');
      const [holder, other] = mine(a) === 1 ? ['A', 'B'] : ['B', 'A'];
      assert.equal(await gw.storage.finishReceiptCheck(r!.id, other, at + 5000), false, 'not the holder');
      assert.equal(mine(await gw.storage.claimReceiptChecks(at + 500, 100, other, 1000)), 0, 'held while the lease lasts');
      assert.equal(mine(await gw.storage.claimReceiptChecks(at + 1001, 100, other, 1000)), 1, 'due again when the lease ends');
      assert.equal(await gw.storage.finishReceiptCheck(r!.id, holder, at + 5000), false, 'the lease was lost');
      assert.equal(await gw.storage.finishReceiptCheck(r!.id, other, at + 5000), true);
      assert.equal(await gw.storage.settleReceipt(r!.id, { status: 'registered', at: at + 6000 }), true);
      assert.equal(await gw.storage.settleReceipt(r!.id, { status: 'failed', reason: 'late', at: at + 7000 }), false, 'final once');
      assert.equal(mine(await gw.storage.claimReceiptChecks(at + 100 * H, 100, 'C', 1000)), 0, 'a final receipt is not asked about');
      assert.equal(await gw.storage.scheduleReceiptCheck(r!.id, at), false, 'nor scheduled again');
    });
  });
}
