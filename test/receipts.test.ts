/**
 * Fiscal receipts through the real gateway on real storage (SQLite and, when available, PostgreSQL):
 * the link's signed receipt, the CHECK answer's, the merchant's default, the fee line, and every
 * refusal naming its field with nothing written (issue 24).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { encodeReceiptParam, type Receipt } from '../src/protocol/receipt.ts';
import { extSignature } from '../src/protocol/link.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { merchant, startMerchantStub, startTestGateway, storageKinds, TEST_SECRET, type MerchantStub, type TestGateway } from './helpers.ts';
import { signSandboxCallback } from '../src/server/providers/sandbox/sandbox.ts';
import { formatAmount } from '../src/protocol/money.ts';

const json = { accept: 'application/json' };
const kettle = (price: string, quantity = '1', amount = price): Receipt['items'][number] =>
  ({ name: 'Чайник', price, quantity, amount, vat: 'vat22', paymentMethod: 'full_payment', paymentObject: 'commodity' });
const receipt: Receipt = { taxation: 'osn', customer: {}, items: [kettle('60.00', '1'), { ...kettle('20.00', '2', '40.00'), name: 'Кружка' }] };
const settings = { enabled: true, taxation: 'usn_income', vat: 'none', paymentObject: 'service', paymentMethod: 'full_payment', itemName: 'Оплата заказа {pay_for}', feeItemName: 'Комиссия', ffd: '1.05' } as const;

/** The query of a link signed as the kit signs it. */
const signed = (login: string, over: Partial<Parameters<typeof signPaymentLink>[0]> = {}) =>
  new URLSearchParams(signPaymentLink({ gateway: 'http://gateway.test', merchantLogin: login, secret: 'test', price: '100', payFor: '42', ...over }).query).toString();

for (const kind of storageKinds()) {
  describe(`receipts on ${kind}`, () => {
    let t: TestGateway;
    let stub: MerchantStub;
    /** What the merchant stub puts in its CHECK answer as `receipt`. */
    let checkReceipt: unknown;

    before(async () => {
      stub = await startMerchantStub((req, res) => {
        const body = JSON.parse(req.body) as { type: 'check'; pay_for: string };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature('check', true, body.pay_for, 'test'), ...(checkReceipt !== undefined ? { receipt: checkReceipt } : {}) }));
      });
      t = await startTestGateway({
        kind,
        merchants: [
          merchant(),
          merchant({ login: 'notify', notifications: true, apiUrl: stub.url, apiType: 2, origins: [], apiKey: 'notify-cabinet-key-0123456789' }),
          merchant({ login: 'fiscal', receipts: settings, apiKey: 'fiscal-cabinet-key-0123456789' }),
        ],
      });
    });
    after(async () => {
      await t.close();
      await stub.close();
    });

    /** Opens a link's form and creates a payment on `way` (the card way by default). */
    async function pay(login: string, query: string, body: Record<string, unknown> = {}) {
      const form = await t.request(`/pay/${login}?${query}`, { headers: json });
      const payload = (await form.json()) as Record<string, any>;
      if (form.status !== 200) return { status: form.status, json: payload, at: 'form' as const };
      const res = await t.request('/api/v1/payments', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: payload.token, way: 'CRD', ...body }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any>, at: 'create' as const };
    }
    const receiptsOf = async (id: string) => t.storage.receiptsOf(id);
    const bearer = { authorization: 'Bearer shop-cabinet-key-0123456789', 'content-type': 'application/json' };
    /** The sandbox card system reports the payment paid, as its page would. */
    async function markPaid(id: string) {
      const p = (await t.storage.getPayment(id))!;
      const body = JSON.stringify({ paymentId: id, outcome: 'paid', amount: formatAmount(p.amountMinor), ticker: p.wayTicker });
      const r = await t.request('/callbacks/sandbox', { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, TEST_SECRET) }, body });
      assert.equal(r.status, 200);
    }
    const refund = (id: string, body: unknown, key?: string) => t.request(`/api/v1/cabinet/payments/${id}/refunds`, {
      method: 'POST', headers: { ...bearer, ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body),
    });

    test('an extension parameter with a wrong or missing ext_md5 is refused naming ext_md5, whatever checkLinkMd5 says', async () => {
      const enc = encodeReceiptParam(receipt);
      for (const q of [`price=100&pay_for=42&receipt=${enc}`, `price=100&pay_for=42&receipt=${enc}&ext_md5=${extSignature({ receipt: enc }, 'other')}`]) {
        const r = await pay('shop', q);
        assert.equal(r.status, 400, q);
        assert.equal(r.json.error.field, 'ext_md5');
      }
    });

    test('the link\'s receipt goes to the sandbox with the fee line and the buyer\'s e-mail, and is kept registered', async () => {
      const r = await pay('shop', signed('shop', { receipt, userEmail: 'buyer@shop.example' }));
      assert.equal(r.status, 201, JSON.stringify(r.json));
      const [kept, ...more] = await receiptsOf(r.json.id);
      assert.equal(more.length, 0);
      assert.equal(kept!.kind, 'payment');
      assert.equal(kept!.status, 'registered');
      assert.deepEqual(kept!.receipt.customer, { email: 'buyer@shop.example' });
      // CRD's 2 % fee is paid on top: one more line, in the default fee line's terms.
      assert.deepEqual(kept!.receipt.items.map((i) => [i.name, i.amount, i.vat]), [['Чайник', '60.00', 'vat22'], ['Кружка', '40.00', 'vat22'], ['Комиссия платёжной системы', '2.00', 'none']]);
      // The merchant pays the fee: no fee line.
      const pf = await pay('shop', signed('shop', { receipt, userEmail: 'buyer@shop.example', priceFinal: true }));
      assert.equal(pf.status, 201);
      assert.equal((await receiptsOf(pf.json.id))[0]!.receipt.items.length, 2);
    });

    test('a receipt without any contact asks for the buyer\'s e-mail; the typed one fills it', async () => {
      const q = signed('shop', { receipt });
      const before = await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 });
      const r = await pay('shop', q);
      assert.equal(r.status, 400);
      assert.equal(r.json.error.field, 'user_email');
      assert.equal((await t.storage.listPayments({ merchantLogin: 'shop', limit: 1000 })).length, before.length, 'nothing written');
      const typed = await pay('shop', q, { userEmail: 'typed@shop.example' });
      assert.equal(typed.status, 201);
      assert.deepEqual((await receiptsOf(typed.json.id))[0]!.receipt.customer, { email: 'typed@shop.example' });
    });

    test('at the link: a sum other than the price, or a bad line, is refused by its path', async () => {
      const off = await pay('shop', signed('shop', { receipt, price: '100.01' }));
      assert.equal(off.status, 400);
      assert.equal(off.json.error.field, 'receipt.items');
      const q = new URLSearchParams('price=100&pay_for=42');
      const bad = Buffer.from(JSON.stringify({ ...receipt, items: [receipt.items[0], { ...receipt.items[1], vat: 'vat20' }] })).toString('base64url');
      q.set('receipt', bad);
      q.set('ext_md5', extSignature({ receipt: bad }, 'test'));
      const r = await pay('shop', q.toString());
      assert.equal(r.status, 400);
      assert.equal(r.json.error.field, 'receipt.items[1].vat');
    });

    test('free mode: the receipt must sum to the amount the buyer types', async () => {
      const q = signed('shop', { receipt, payMode: 'free', price: '0', userEmail: 'b@shop.example' });
      const wrong = await pay('shop', q, { amount: '99.0' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.json.error.field, 'receipt.items');
      const right = await pay('shop', q, { amount: '100.0' });
      assert.equal(right.status, 201);
    });

    test('roubles only: an order with a receipt is not paid through a USD way', async () => {
      const r = await pay('shop', signed('shop', { receipt, userEmail: 'b@shop.example' }), { way: 'USD' });
      assert.equal(r.status, 400);
      assert.equal(r.json.error.field, 'way');
    });

    test('the CHECK answer\'s receipt replaces the link\'s', async () => {
      checkReceipt = { taxation: 'usn_income', customer: { phone: '+79001234567' }, items: [kettle('100.00')] };
      try {
        const r = await pay('notify', signed('notify', { receipt, userEmail: 'b@shop.example' }));
        assert.equal(r.status, 201, JSON.stringify(r.json));
        const kept = await receiptsOf(r.json.id);
        assert.equal(kept.length, 1);
        assert.equal(kept[0]!.receipt.taxation, 'usn_income');
        assert.deepEqual(kept[0]!.receipt.customer, { phone: '+79001234567' });
        assert.deepEqual(kept[0]!.receipt.items.map((i) => i.amount), ['100.00', '2.00']);
        // And gives one where the link had none.
        const plain = await pay('notify', 'price=100&pay_for=43&user_email=b@shop.example');
        assert.equal(plain.status, 201);
        assert.equal((await receiptsOf(plain.json.id))[0]!.receipt.taxation, 'usn_income');
      } finally {
        checkReceipt = undefined;
      }
    });

    test('a CHECK receipt breaking the rules rejects the payment as a failed CHECK, naming the path', async () => {
      checkReceipt = { taxation: 'osn', customer: { email: 'a@b.ru' }, items: [{ ...kettle('100.00'), vat: 'vat20' }] };
      try {
        const r = await pay('notify', 'price=100&pay_for=44');
        assert.equal(r.status, 424);
        assert.equal(r.json.error.code, 'check_failed');
        assert.match(r.json.error.reason, /receipt\.items\[0\]\.vat/);
        const p = await t.storage.getPayment(r.json.error.paymentId);
        assert.equal(p!.status, 'rejected');
      } finally {
        checkReceipt = undefined;
      }
    });

    test('the merchant\'s default: a one-line receipt named for the order, with the fee line in its terms', async () => {
      const r = await pay('fiscal', 'price=100&pay_for=77&user_email=b@shop.example');
      assert.equal(r.status, 201, JSON.stringify(r.json));
      const [kept] = await receiptsOf(r.json.id);
      assert.equal(kept!.receipt.taxation, 'usn_income');
      assert.deepEqual(kept!.receipt.items.map((i) => [i.name, i.amount, i.vat, i.paymentObject]), [['Оплата заказа 77', '100.00', 'none', 'service'], ['Комиссия', '2.00', 'none', 'service']]);
      // With receipts on, a payment without a receipt never starts: here, no contact for one.
      const none = await pay('fiscal', 'price=100&pay_for=78');
      assert.equal(none.status, 400);
      assert.equal(none.json.error.field, 'user_email');
      // The default is in roubles: no USD way.
      const usd = await pay('fiscal', 'price=100&pay_for=79&user_email=b@shop.example', { way: 'USD' });
      assert.equal(usd.status, 400);
      assert.equal(usd.json.error.field, 'way');
    });

    test('the cabinet\'s settings set the receipts (audited), refuse a bad one by its field, and turn them off', async () => {
      const patch = (body: unknown) => t.request('/api/v1/cabinet/settings', {
        method: 'PATCH', headers: { authorization: 'Bearer shop-cabinet-key-0123456789', 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const bad = await patch({ receipts: { ...settings, vat: 'vat20' } });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as any).error.field, 'receipts.vat');
      assert.equal((await t.storage.getMerchant('shop'))!.receipts, null, 'nothing changed');
      const ok = await patch({ receipts: { enabled: true, taxation: 'patent', vat: 'none' }, actor: 'Анна' });
      assert.equal(ok.status, 200);
      const view = (await ok.json()) as any;
      assert.equal(view.receipts.taxation, 'patent');
      assert.equal(view.receipts.itemName, 'Оплата заказа {pay_for}');
      assert.deepEqual(view.audit[0].details.receipts.from, null);
      const r = await pay('shop', 'price=100&pay_for=80&user_email=b@shop.example');
      assert.equal(r.status, 201);
      assert.equal((await receiptsOf(r.json.id))[0]!.receipt.taxation, 'patent');
      assert.equal((await patch({ receipts: null })).status, 200);
      const none = await pay('shop', 'price=100&pay_for=81');
      assert.equal(none.status, 201);
      assert.deepEqual(await receiptsOf(none.json.id), []);
    });

    test('a partial refund names lines and quantities; its receipt goes with it, and a line never goes back twice', async () => {
      const r = await pay('shop', signed('shop', { receipt, userEmail: 'b@shop.example', priceFinal: true }));
      assert.equal(r.status, 201);
      await markPaid(r.json.id);
      // Several lines: an amount alone is not enough.
      const vague = await refund(r.json.id, { amount: '20.0', reason: 'returned' });
      assert.equal(vague.status, 400);
      assert.equal(((await vague.json()) as any).error.field, 'items');
      for (const [items, field] of [[[{ index: 5, quantity: '1' }], 'items[0].index'], [[{ index: 1, quantity: '3' }], 'items[0].quantity'], [[{ index: 1, quantity: '0' }], 'items[0].quantity']] as const) {
        const bad = await refund(r.json.id, { items, reason: 'returned' });
        assert.equal(bad.status, 400, field);
        assert.equal(((await bad.json()) as any).error.field, field);
      }
      const wrongSum = await refund(r.json.id, { amount: '30.0', items: [{ index: 1, quantity: '1' }], reason: 'returned' });
      assert.equal(wrongSum.status, 400);
      assert.equal(((await wrongSum.json()) as any).error.field, 'amount');
      assert.equal((await t.storage.refundsOf(r.json.id)).length, 0, 'nothing written');
      const one = await refund(r.json.id, { items: [{ index: 1, quantity: '1' }], reason: 'one mug back' }, 'mug-1');
      assert.equal(one.status, 201);
      assert.equal(((await one.json()) as any).refund.amount, '20.0');
      // The same request again gives the same refund back, not a refusal for the quantity.
      const again = await refund(r.json.id, { items: [{ index: 1, quantity: '1' }], reason: 'one mug back' }, 'mug-1');
      assert.equal(again.status, 201);
      const two = await refund(r.json.id, { items: [{ index: 1, quantity: '2' }], reason: 'both mugs' });
      assert.equal(two.status, 400, 'only one mug is left');
      const kept = (await receiptsOf(r.json.id)).filter((x) => x.kind === 'refund');
      assert.equal(kept.length, 1);
      assert.equal(kept[0]!.status, 'registered');
      assert.deepEqual(kept[0]!.receipt.items.map((i) => [i.name, i.quantity, i.amount]), [['Кружка', '1', '20.00']]);
      assert.deepEqual(kept[0]!.receipt.customer, { email: 'b@shop.example' });
    });

    test('a full refund returns the whole receipt; a one-line receipt needs only the amount', async () => {
      const full = await pay('shop', signed('shop', { receipt, userEmail: 'b@shop.example', priceFinal: true }));
      await markPaid(full.json.id);
      assert.equal((await refund(full.json.id, { amount: '100.0', reason: 'cancelled' })).status, 201);
      const [own, back] = await receiptsOf(full.json.id);
      assert.deepEqual(back!.receipt, own!.receipt);
      const single = await pay('fiscal', 'price=100&pay_for=90&user_email=b@shop.example&price_final=true');
      assert.equal(single.status, 201);
      await markPaid(single.json.id);
      const part = await t.request(`/api/v1/cabinet/payments/${single.json.id}/refunds`, {
        method: 'POST', headers: { authorization: 'Bearer fiscal-cabinet-key-0123456789', 'content-type': 'application/json' }, body: JSON.stringify({ amount: '40.0', reason: 'part' }),
      });
      assert.equal(part.status, 201);
      const oneLine = (await receiptsOf(single.json.id)).find((x) => x.kind === 'refund')!;
      assert.deepEqual(oneLine.receipt.items.map((i) => [i.name, i.price, i.quantity, i.amount, i.vat]), [['Оплата заказа 90', '40.00', '1', '40.00', 'none']]);
    });

    test('the closing receipt: full payment of a paid prepayment, idempotent, audited, in the timeline; refusals by field', async () => {
      const prepaid: Receipt = { ...receipt, items: receipt.items.map((i) => ({ ...i, paymentMethod: 'full_prepayment' })) };
      const r = await pay('shop', signed('shop', { receipt: prepaid, userEmail: 'b@shop.example', priceFinal: true }));
      assert.equal(r.status, 201);
      const close = (body: unknown, headers: Record<string, string> = {}) => t.request(`/api/v1/payments/${r.json.id}/receipts`, { method: 'POST', headers: { ...bearer, ...headers }, body: JSON.stringify(body) });
      assert.equal((await t.request(`/api/v1/payments/${r.json.id}/receipts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"full_payment"}' })).status, 401);
      const early = await close({ type: 'full_payment' });
      assert.equal(early.status, 409, 'not paid yet');
      await markPaid(r.json.id);
      for (const [body, field] of [
        [{ type: 'prepayment' }, 'type'],
        [{ type: 'full_payment', items: [{ ...receipt.items[0], vat: 'vat20' }] }, 'items[0].vat'],
        [{ type: 'full_payment', items: [receipt.items[0]] }, 'items'],
        [{ type: 'full_payment', colour: 'red' }, 'colour'],
      ] as const) {
        const bad = await close(body);
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.equal(((await bad.json()) as any).error.field, field);
      }
      const first = await close({ type: 'full_payment', actor: 'Анна' }, { 'idempotency-key': 'close-1' });
      assert.equal(first.status, 201);
      const view = ((await first.json()) as any).receipt;
      assert.equal(view.kind, 'closing');
      assert.equal(view.status, 'registered');
      assert.deepEqual(view.receipt.items.map((i: any) => i.paymentMethod), ['full_payment', 'full_payment']);
      const again = await close({ type: 'full_payment', actor: 'Анна' }, { 'idempotency-key': 'close-1' });
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as any).receipt.id, view.id);
      const other = await close({ type: 'full_payment', items: [{ ...receipt.items[0], amount: '60.00' }, { ...receipt.items[1], name: 'Кружки' }] }, { 'idempotency-key': 'close-1' });
      assert.equal(other.status, 409);
      assert.equal((await t.storage.receiptsOf(r.json.id)).filter((x) => x.kind === 'closing').length, 1);
      const audit = await t.storage.auditOf(r.json.id);
      assert.ok(audit.some((a) => a.action === 'closing_receipt' && a.actor === 'shop (Анна)'));
      const listed = (await (await t.request(`/api/v1/payments/${r.json.id}/receipts`, { headers: bearer })).json()) as any;
      assert.deepEqual(listed.receipts.map((x: any) => [x.kind, x.status]), [['payment', 'registered'], ['closing', 'registered']]);
      const detail = (await (await t.request(`/api/v1/cabinet/payments/${r.json.id}`, { headers: bearer })).json()) as any;
      assert.deepEqual(detail.receipts.map((x: any) => [x.kind, x.status]), [['payment', 'registered'], ['closing', 'registered']]);
      const events = detail.timeline as any[];
      assert.deepEqual(events.filter((e) => e.kind === 'receipt').map((e) => [e.summary, e.verdict]), [
        ['payment receipt of 100.0 RUR, 2 lines', 'registered'], ['closing receipt of 100.0 RUR, 2 lines', 'registered'],
      ]);
      // Another merchant's key sees no such payment.
      const foreign = await t.request(`/api/v1/payments/${r.json.id}/receipts`, { headers: { authorization: 'Bearer fiscal-cabinet-key-0123456789' } });
      assert.equal(foreign.status, 404);
    });

    test('a failed receipt heads the attention list, and the CSV export gains the receipt status', async () => {
      const r = await pay('shop', signed('shop', { receipt, userEmail: 'b@shop.example', payFor: 'csv-1' }));
      assert.equal(r.status, 201);
      const plain = await pay('shop', signed('shop', { payFor: 'csv-2' }));
      assert.equal(plain.status, 201);
      // A registered receipt never moves back.
      const own = (await receiptsOf(r.json.id))[0]!;
      assert.equal(await t.storage.setReceiptStatus(own.id, { status: 'failed', reason: 'late', at: t.clock.now() }), false);
      // A receipt sent and then refused by the provider's register (the sandbox's register takes every valid one).
      const sent = await t.storage.saveReceipt({ paymentId: r.json.id, merchantLogin: 'shop', kind: 'closing', refundId: null, receipt: own.receipt, idempotencyKey: 'k', createdAt: t.clock.now(), status: 'sent' });
      assert.ok(await t.storage.setReceiptStatus(sent.receipt.id, { status: 'failed', reason: 'Неверная ставка НДС', at: t.clock.now() }));
      const summary = (await (await t.request('/api/v1/cabinet/summary', { headers: bearer })).json()) as any;
      assert.equal(summary.attention[0].kind, 'receipt_failed');
      assert.equal(summary.attention[0].paymentId, r.json.id);
      assert.match(summary.attention[0].text, /closing: Неверная ставка НДС/);
      const csv = await (await t.request('/api/v1/cabinet/payments.csv?encoding=utf-8&separator=comma', { headers: bearer })).text();
      const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
      const header = lines[0]!.split(',');
      assert.equal(header.at(-1), 'receipt');
      const rowOf = (payFor: string) => lines.find((l) => l.includes(`,${payFor},`))!.split(',');
      assert.equal(rowOf('csv-1').at(-1), 'registered');
      assert.equal(rowOf('csv-2').at(-1), '');
    });

    test('the cabinet\'s link builder signs a link with a receipt, and refuses a bad one by its path', async () => {
      const build = (body: unknown) => t.request('/api/v1/cabinet/links', { method: 'POST', headers: bearer, body: JSON.stringify(body) });
      const ok = await build({ price: '100', payFor: 'built-1', receipt });
      assert.equal(ok.status, 201);
      const built = (await ok.json()) as any;
      assert.ok(built.attributes.receipt && built.attributes['ext-md5']);
      const paid = await pay('shop', new URL(built.url).searchParams.toString(), { userEmail: 'b@shop.example' });
      assert.equal(paid.status, 201);
      assert.equal((await receiptsOf(paid.json.id))[0]!.receipt.items[0]!.name, 'Чайник');
      for (const [body, field] of [
        [{ price: '100', payFor: 'b', receipt: { ...receipt, items: [{ ...receipt.items[0], vat: 'vat20' }, receipt.items[1]] } }, 'receipt.items[0].vat'],
        [{ price: '100.5', payFor: 'b', receipt }, 'receipt.items'],
        [{ price: '100', payFor: 'b', receipt: 'x' }, 'receipt'],
      ] as const) {
        const bad = await build(body);
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.equal(((await bad.json()) as any).error.field, field);
      }
    });

    test('the largest receipt a link may carry still fits the form token: the payment is created', async () => {
      const line = (k: number) => ({ ...kettle('1.00'), name: `Позиция ${k} ${'я'.repeat(8)}` });
      const items = Array.from({ length: 45 }, (_, k) => line(k));
      const big: Receipt = { taxation: 'osn', customer: { email: 'b@shop.example' }, items };
      const json = Buffer.byteLength(JSON.stringify(big));
      assert.ok(json > 6000 && json <= 8192, `${json} bytes of JSON`);
      const r = await pay('shop', signed('shop', { receipt: big, price: '45', userEmail: 'b@shop.example' }));
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal((await receiptsOf(r.json.id))[0]!.receipt.items.length, 46);
      // One byte of JSON too many is refused at the link, naming receipt.
      const tooBig = { ...big, items: items.map((i, k) => (k === 0 ? { ...i, name: i.name + 'x'.repeat(8193 - json) } : i)) };
      const q = new URLSearchParams({ price: '45', pay_for: 'big', receipt: Buffer.from(JSON.stringify(tooBig)).toString('base64url') });
      q.set('ext_md5', extSignature({ receipt: q.get('receipt')! }, 'test'));
      const refused = await pay('shop', q.toString());
      assert.equal(refused.status, 400);
      assert.equal(refused.json.error.field, 'receipt');
    });
  });
}
