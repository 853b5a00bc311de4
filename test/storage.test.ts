/**
 * The storage contract: the same suite on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { openDatabase } from '../src/server/storage/db.ts';
import { fillAnswerKeys, migrationProvider, type Database } from '../src/server/storage/schema.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import type { NewPayment } from '../src/server/types.ts';
import { merchant, openTestStorage, storageKinds, type TestStorage } from './helpers.ts';

const T0 = 1_800_000_000_000;
let seq = 0;
const newPayment = (over: Partial<NewPayment> = {}): NewPayment => ({
  id: `pay_contract_${++seq}_${Math.random().toString(36).slice(2)}`,
  merchantLogin: 'shop', payFor: `o-${seq}`, mode: 'fix', priceMinor: 10000n, ticker: 'RUR', convert: true, priceFinal: false,
  note: '', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: '', userPhone: '', extraParams: { onpay_ap_a: '1' },
  way: 'CRD', wayTicker: 'RUR', amountMinor: 10200n, feeMinor: 200n, balanceMinor: 10000n, balanceTicker: 'RUR', rate: '1.0',
  status: 'created', idempotencyKey: null, requestHash: null, expiresAt: null, createdAt: T0, updatedAt: T0, ...over,
});
const notification = (paymentId: string, dueAt: number) => ({
  paymentId, merchantLogin: 'shop', kind: 'pay' as const, style: 'onpay' as const, method: 'POST' as const,
  url: 'http://127.0.0.1:1/api', contentType: 'application/json', body: `{"p":"${paymentId}"}`, headers: {}, dueAt,
});

for (const kind of storageKinds()) {
  describe(`storage contract on ${kind}`, () => {
    let ts: TestStorage;
    before(async () => {
      ts = await openTestStorage(kind);
      await ts.storage.upsertMerchant(merchantFromConfig(merchant()), T0);
      await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'other', apiKey: 'other-cabinet-key-0123456789' })), T0);
    });
    after(() => ts.close());

    test('saved methods (0013): one per paying payment, listed per merchant and customer, removed once; consents once per payment', async () => {
      const p = (await ts.storage.createPayment(newPayment())).payment;
      const m = { id: `pm_contract_${seq}`, merchantLogin: 'shop', customer: 'c-1', providerId: 'tbank', way: 'TBC', token: '123:456', first6: '220077', last4: '7761', expiry: '12/30', sourcePaymentId: p.id, createdAt: T0, lastUsedAt: null };
      assert.equal((await ts.storage.keepSavedMethod(m)).created, true);
      const again = await ts.storage.keepSavedMethod({ ...m, id: `pm_contract_again_${seq}` });
      assert.deepEqual([again.created, again.method.id], [false, m.id], 'a repeated report keeps the first');
      assert.deepEqual(await ts.storage.savedMethodsOf('shop', 'c-1'), [m]);
      assert.deepEqual(await ts.storage.savedMethodsOf('other', 'c-1'), [], 'another merchant sees nothing');
      assert.equal(await ts.storage.savedMethodOf('other', m.id), undefined);
      await ts.storage.touchSavedMethod(m.id, T0 + 5);
      assert.equal((await ts.storage.savedMethodOf('shop', m.id))?.lastUsedAt, T0 + 5);
      assert.equal(await ts.storage.revokeSavedMethod('other', m.id, T0 + 6), false);
      assert.equal(await ts.storage.revokeSavedMethod('shop', m.id, T0 + 6), true);
      assert.equal(await ts.storage.revokeSavedMethod('shop', m.id, T0 + 7), false, 'removed once');
      assert.equal(await ts.storage.savedMethodOf('shop', m.id), undefined);
      assert.deepEqual(await ts.storage.savedMethodsOf('shop', 'c-1'), []);
      const c = { paymentId: p.id, merchantLogin: 'shop', customer: 'c-1', text: 'Сохранить карту для следующих оплат', kind: 'optional' as const, address: '127.0.0.1', at: T0 };
      await ts.storage.recordSaveConsent(c);
      await ts.storage.recordSaveConsent({ ...c, text: 'other' });
      assert.deepEqual(await ts.storage.saveConsentOf(p.id), c);
    });

    test('a merchant\'s savedMethods settings read back, the maximum exactly', async () => {
      await ts.storage.upsertMerchant({ ...merchantFromConfig(merchant({ login: 'saver' })), savedMethods: { enabled: true, maxChargeMinor: 9_007_199_254_740_993n } }, T0);
      assert.deepEqual((await ts.storage.getMerchant('saver'))?.savedMethods, { enabled: true, maxChargeMinor: 9_007_199_254_740_993n });
      assert.equal((await ts.storage.getMerchant('shop'))?.savedMethods, null);
    });

    test('merchants upsert and read back', async () => {
      await ts.storage.upsertMerchant({ ...merchantFromConfig(merchant({ login: 'm2', name: 'A' })) }, T0);
      await ts.storage.upsertMerchant({ ...merchantFromConfig(merchant({ login: 'm2', name: 'B', apiType: 1, notifications: true, apiUrl: 'https://x.example/api' })) }, T0 + 1);
      const m = (await ts.storage.getMerchant('m2'))!;
      assert.equal(m.name, 'B');
      assert.equal(m.apiType, 1);
      assert.equal(m.notifications, true);
      assert.deepEqual(m.origins, ['https://shop.example']);
      assert.equal(await ts.storage.getMerchant('nobody'), undefined);
    });

    test('merchants keep mode, fees and return URLs; absent ones read back as the defaults (null, [])', async () => {
      await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'm3', mode: 'live', fees: 'merchant', returnUrls: ['https://shop.example/onpay/'] })), T0);
      const m = (await ts.storage.getMerchant('m3'))!;
      assert.equal(m.mode, 'live');
      assert.equal(m.fees, 'merchant');
      assert.deepEqual(m.returnUrls, ['https://shop.example/onpay/']);
      await ts.storage.upsertMerchant({ ...m, mode: null, fees: null, returnUrls: [] }, T0 + 1);
      const d = (await ts.storage.getMerchant('m3'))!;
      assert.equal(d.mode, null);
      assert.equal(d.fees, null);
      assert.deepEqual(d.returnUrls, []);
    });

    test('payments keep bigint amounts and JSON fields exactly', async () => {
      const big = 999_999_999_999_99n;
      const { created, payment } = await ts.storage.createPayment(newPayment({ priceMinor: big, amountMinor: big }));
      assert.equal(created, true);
      const read = (await ts.storage.getPayment(payment.id))!;
      assert.equal(read.priceMinor, big);
      assert.deepEqual(read.extraParams, { onpay_ap_a: '1' });
      assert.equal(typeof read.number, 'number');
      assert.equal((await ts.storage.getPaymentByNumber(read.number))!.id, payment.id);
    });

    test('payments keep their provider, the provider\'s id once known, and the amount_mismatch flag', async () => {
      const plain = (await ts.storage.createPayment(newPayment())).payment;
      assert.equal(plain.providerId, null);
      assert.equal(plain.providerPaymentId, null);
      assert.equal(plain.amountMismatch, false);
      const { payment } = await ts.storage.createPayment(newPayment({ providerId: 'tbank', status: 'checking' }));
      assert.equal(payment.providerId, 'tbank');
      assert.equal(payment.providerPaymentId, null);
      assert.equal(await ts.storage.transition(payment.id, { from: 'checking', to: 'awaiting_payment', at: T0 + 1, providerPaymentId: '7000123' }), true);
      const before = await ts.storage.countAmountMismatches();
      assert.equal(await ts.storage.flagAmountMismatch(payment.id), true);
      assert.equal(await ts.storage.flagAmountMismatch(payment.id), false, 'flagged once');
      assert.equal(await ts.storage.flagAmountMismatch('pay_nobody'), false);
      const read = (await ts.storage.getPayment(payment.id))!;
      assert.equal(read.providerPaymentId, '7000123');
      assert.equal(read.amountMismatch, true);
      assert.equal(read.status, 'awaiting_payment', 'the flag leaves the status alone');
      assert.equal(read.updatedAt, T0 + 1);
      assert.equal(await ts.storage.countAmountMismatches(), before + 1);
    });

    test('an idempotency key gives back the first payment, per merchant', async () => {
      const a = await ts.storage.createPayment(newPayment({ idempotencyKey: 'k1', requestHash: 'h1' }));
      const b = await ts.storage.createPayment(newPayment({ idempotencyKey: 'k1', requestHash: 'h2' }));
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(b.payment.id, a.payment.id);
      assert.equal(b.payment.requestHash, 'h1');
      const c = await ts.storage.createPayment(newPayment({ merchantLogin: 'other', idempotencyKey: 'k1' }));
      assert.equal(c.created, true);
    });

    test('concurrent inserts with one key make one payment', async () => {
      const results = await Promise.all(Array.from({ length: 12 }, () => ts.storage.createPayment(newPayment({ idempotencyKey: 'race', requestHash: 'h' }))));
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.payment.id)).size, 1);
    });

    test('a transition applies only from the expected state, with its outbox row in the same transaction', async () => {
      const { payment } = await ts.storage.createPayment(newPayment({ status: 'awaiting_payment' }));
      const stale = await ts.storage.transition(payment.id, { from: 'created', to: 'checking', at: T0 + 1 });
      assert.equal(stale, false);
      const ok = await ts.storage.transition(payment.id, { from: 'awaiting_payment', to: 'paid', at: T0 + 2, paidAt: T0 + 2, notification: notification(payment.id, T0 + 2) });
      assert.equal(ok, true);
      const again = await ts.storage.transition(payment.id, { from: 'awaiting_payment', to: 'paid', at: T0 + 3, notification: notification(payment.id, T0 + 3) });
      assert.equal(again, false);
      const rows = await ts.storage.notificationsOf(payment.id);
      assert.equal(rows.length, 1, 'the lost transition wrote no notification');
      const p = (await ts.storage.getPayment(payment.id))!;
      assert.equal(p.status, 'paid');
      assert.equal(p.paidAt, T0 + 2);
    });

    test('concurrent transitions of one payment: exactly one wins', async () => {
      const { payment } = await ts.storage.createPayment(newPayment({ status: 'awaiting_payment' }));
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ts.storage.transition(payment.id, {
        from: 'awaiting_payment', to: i % 2 ? 'paid' : 'failed', at: T0 + i, notification: notification(payment.id, T0),
      })));
      assert.equal(results.filter(Boolean).length, 1);
      assert.ok((await ts.storage.notificationsOf(payment.id)).length === 1);
    });

    test('manual changes are audited', async () => {
      const { payment } = await ts.storage.createPayment(newPayment({ status: 'awaiting_payment' }));
      await ts.storage.transition(payment.id, { from: 'awaiting_payment', to: 'failed', at: T0 + 5, manual: true, reason: 'r', audit: { actor: 'shop', action: 'set_status', reason: 'buyer called' } });
      const p = (await ts.storage.getPayment(payment.id))!;
      assert.equal(p.manual, true);
      assert.deepEqual(await ts.storage.auditOf(payment.id), [{ at: T0 + 5, actor: 'shop', action: 'set_status', fromStatus: 'awaiting_payment', toStatus: 'failed', reason: 'buyer called' }]);
    });

    test('due notifications are claimed once under a lease, and come back when the lease runs out', async () => {
      const base = T0 + 10_000_000;
      const { payment } = await ts.storage.createPayment(newPayment());
      const id = await ts.storage.addNotification(notification(payment.id, base), base);
      await ts.storage.addNotification(notification(payment.id, base + 60_000), base);
      const mine = (rows: { id: number; paymentId: string }[]) => rows.filter((n) => n.paymentId === payment.id).map((n) => n.id);
      assert.deepEqual(mine(await ts.storage.claimDue(base, 100, 'w1', 30_000)), [id], 'the due one, not the later one');
      assert.deepEqual(mine(await ts.storage.claimDue(base + 1, 100, 'w2', 30_000)), [], 'leased: not claimed again');
      // w1 dies; after the lease another worker takes it over.
      assert.deepEqual(mine(await ts.storage.claimDue(base + 30_000, 100, 'w2', 30_000)), [id]);
      assert.equal(await ts.storage.recordAttempt(id, 'w1', { startedAt: base, durationMs: 5, httpStatus: 200, excerpt: '', verdict: 'late', status: 'delivered', nextAttemptAt: null, deliveredAt: base }), false, 'the old owner lost its lease');
      assert.equal(await ts.storage.recordAttempt(id, 'w2', { startedAt: base + 30_000, durationMs: 7, httpStatus: 200, excerpt: 'ok', verdict: 'delivered', status: 'delivered', nextAttemptAt: null, deliveredAt: base + 30_007 }), true);
      const n = (await ts.storage.notificationsOf(payment.id)).find((r) => r.id === id)!;
      assert.equal(n.status, 'delivered');
      assert.equal(n.attempts, 1);
      assert.equal(n.nextAttemptAt, null);
      const attempts = await ts.storage.attemptsOf(id);
      assert.deepEqual(attempts.map((a) => [a.httpStatus, a.verdict, a.durationMs]), [[200, 'delivered', 7]]);
      assert.deepEqual(await ts.storage.claimDue(base + 10_000_000, 10, 'w3', 30_000).then((r) => r.filter((x) => x.id === id)), [], 'delivered: never claimed again');
    });

    test('leases that ran out with no attempt recorded are counted; a recorded attempt ends the count', async () => {
      // A database of its own: the shared one holds other tests' leases.
      const own = await openTestStorage(kind);
      try {
        const s = own.storage;
        await s.upsertMerchant(merchantFromConfig(merchant()), T0);
        const base = T0 + 50_000_000;
        const { payment } = await s.createPayment(newPayment());
        const a = await s.addNotification(notification(payment.id, base), base);
        const b = await s.addNotification(notification(payment.id, base), base);
        await s.addNotification(notification(payment.id, base + 5_000_000), base); // not due: never leased
        assert.equal(await s.expiredLeases(base + 10_000_000), 0, 'nothing leased yet');
        assert.deepEqual((await s.claimDue(base, 10, 'w1', 30_000)).map((n) => n.id), [a, b]);
        assert.equal(await s.expiredLeases(base + 29_999), 0, 'leases still running');
        assert.equal(await s.expiredLeases(base + 30_001), 2, 'w1 died: both ran out');
        await s.recordAttempt(a, 'w1', { startedAt: base, durationMs: 5, httpStatus: 200, excerpt: '', verdict: 'delivered', status: 'delivered', nextAttemptAt: null, deliveredAt: base + 5 });
        assert.equal(await s.expiredLeases(base + 30_001), 1, 'a recorded attempt is not an expired lease');
        // Another worker takes the other over: its new lease runs again.
        assert.deepEqual((await s.claimDue(base + 30_001, 10, 'w2', 30_000)).map((n) => n.id), [b]);
        assert.equal(await s.expiredLeases(base + 30_002), 0);
      } finally {
        await own.close();
      }
    });

    test('concurrent claimers never share a notification', async () => {
      const base = T0 + 20_000_000;
      const { payment } = await ts.storage.createPayment(newPayment());
      for (let i = 0; i < 40; i++) await ts.storage.addNotification(notification(payment.id, base - i), base);
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map((o) => ts.storage.claimDue(base, 15, o, 60_000)));
      const ids = claims.flat().filter((n) => n.paymentId === payment.id).map((n) => n.id);
      assert.equal(new Set(ids).size, ids.length, 'no id claimed twice');
      const more = (await ts.storage.claimDue(base, 100, 'e', 60_000)).filter((n) => n.paymentId === payment.id).map((n) => n.id);
      assert.equal(ids.length + more.length, 40, 'every one claimed exactly once');
      assert.equal(new Set([...ids, ...more]).size, 40);
    });

    test('listing filters by status and pay_for and pages by cursor, newest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await ts.storage.createPayment(newPayment({ merchantLogin: 'other', payFor: `list-${i}`, status: i % 2 ? 'paid' : 'failed' }))).payment.id);
      const page1 = await ts.storage.listPayments({ merchantLogin: 'other', limit: 2 });
      const page2 = await ts.storage.listPayments({ merchantLogin: 'other', limit: 2, before: page1[1]!.number });
      assert.deepEqual(page1.map((p) => p.id), ids.slice(-2).reverse());
      assert.deepEqual(page2.map((p) => p.id), ids.slice(1, 3).reverse());
      assert.ok(page1[0]!.number > page1[1]!.number && page1[1]!.number > page2[0]!.number);
      assert.deepEqual((await ts.storage.listPayments({ merchantLogin: 'other', status: 'paid', limit: 50 })).map((p) => p.payFor).sort(), ['list-1', 'list-3']);
      assert.deepEqual((await ts.storage.listPayments({ merchantLogin: 'other', payFor: 'list-2', limit: 50 })).map((p) => p.id), [ids[2]]);
      assert.equal((await ts.storage.listPayments({ merchantLogin: 'shop', payFor: 'list-2', limit: 50 })).length, 0);
    });

    test('a notification keeps its answer key; one written before migration 0003 gets it from its bytes', async () => {
      const { payment } = await ts.storage.createPayment(newPayment());
      const key = { apiType: 1 as const, payFor: 'k-1', onpayId: 77, orderAmount: '100.0', orderTicker: 'RUR' };
      const withKey = await ts.storage.addNotification({ ...notification(payment.id, T0), answerKey: key }, T0);
      // Old rows: no key columns, only the bytes (API 1 form, API 2 JSON, unreadable).
      const form = 'type=pay&onpay_id=78&pay_for=k-2&amount=100.0&order_amount=100.0&order_currency=RUR&md5=X';
      const old1 = await ts.storage.addNotification({ ...notification(payment.id, T0), contentType: 'application/x-www-form-urlencoded', body: form }, T0);
      const old2 = await ts.storage.addNotification({ ...notification(payment.id, T0), body: '{"type":"pay","pay_for":"k-3"}' }, T0);
      const old3 = await ts.storage.addNotification({ ...notification(payment.id, T0), body: 'not json' }, T0);
      await fillAnswerKeys(ts.database.db);
      const byId = new Map((await ts.storage.notificationsOf(payment.id)).map((n) => [n.id, n.answerKey]));
      assert.deepEqual(byId.get(withKey), key);
      assert.deepEqual(byId.get(old1), { apiType: 1, payFor: 'k-2', onpayId: 78, orderAmount: '100.0', orderTicker: 'RUR' });
      assert.deepEqual(byId.get(old2), { apiType: 2, payFor: 'k-3', onpayId: 0, orderAmount: '', orderTicker: '' });
      assert.equal(byId.get(old3), null);
    });

    test('expiry finds only waiting payments past their deadline', async () => {
      const late = T0 + 50_000_000;
      const { payment: a } = await ts.storage.createPayment(newPayment({ status: 'awaiting_payment', expiresAt: late }));
      const { payment: b } = await ts.storage.createPayment(newPayment({ status: 'awaiting_payment', expiresAt: late + 1000 }));
      const due = (await ts.storage.dueExpirations(late, 100)).map((p) => p.id);
      assert.ok(due.includes(a.id));
      assert.ok(!due.includes(b.id));
    });

    test('receipts: one per payment, kind and key; a pending one replaced; registered never moves back, failed fails once; statuses in one query', async () => {
      const { payment: p } = await ts.storage.createPayment(newPayment());
      const receipt = { taxation: 'osn' as const, customer: { email: 'a@b.ru' }, items: [{ name: 'Чай', price: '1.00', quantity: '0.5', amount: '0.50', vat: 'none' as const, paymentMethod: 'full_payment' as const, paymentObject: 'commodity' as const }] };
      const base = { paymentId: p.id, merchantLogin: p.merchantLogin, kind: 'payment' as const, refundId: null, receipt, idempotencyKey: '', createdAt: T0 };
      const first = await ts.storage.saveReceipt(base);
      assert.equal(first.created, true);
      assert.equal(first.receipt.status, 'pending');
      const again = await ts.storage.saveReceipt({ ...base, receipt: { ...receipt, taxation: 'patent' } });
      assert.deepEqual([again.created, again.receipt.id, again.receipt.receipt.taxation], [false, first.receipt.id, 'osn']);
      assert.equal(await ts.storage.replacePendingReceipt(p.id, { ...receipt, taxation: 'esn' }, T0 + 1), true);
      assert.equal((await ts.storage.receiptsOf(p.id))[0]!.receipt.taxation, 'esn');
      assert.deepEqual((await ts.storage.receiptsOf(p.id))[0]!.receipt.items, receipt.items, 'decimal strings kept exactly');
      assert.equal(await ts.storage.setReceiptStatus(first.receipt.id, { status: 'registered', providerReceiptId: 'r-1', at: T0 + 2 }), true);
      assert.equal(await ts.storage.replacePendingReceipt(p.id, receipt, T0 + 3), false, 'given to the provider: kept');
      assert.equal(await ts.storage.setReceiptStatus(first.receipt.id, { status: 'failed', reason: 'x', at: T0 + 3 }), false);
      const closing = await ts.storage.saveReceipt({ ...base, kind: 'closing', idempotencyKey: 'k' }, { actor: 'shop', action: 'closing_receipt', reason: 'full payment', status: p.status });
      assert.equal(closing.created, true);
      assert.ok((await ts.storage.auditOf(p.id)).some((a) => a.action === 'closing_receipt'));
      assert.equal(await ts.storage.setReceiptStatus(closing.receipt.id, { status: 'failed', reason: 'bad', at: T0 + 4 }), true);
      assert.equal(await ts.storage.setReceiptStatus(closing.receipt.id, { status: 'failed', reason: 'bad', at: T0 + 5 }), false);
      assert.deepEqual((await ts.storage.failedReceipts(p.merchantLogin, 10)).map((r) => r.id), [closing.receipt.id]);
      const { payment: other } = await ts.storage.createPayment(newPayment());
      assert.deepEqual([...(await ts.storage.receiptStatusesOf([p.id, other.id]))], [[p.id, 'registered']]);
      assert.deepEqual([...(await ts.storage.receiptStatusesOf([]))], []);
    });
  });
}

test('migrations 0002 and 0003 on a database of 0001: an outbox row written before it gets its answer key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-migrate-'));
  const file = join(dir, 'old.sqlite');
  try {
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    const r = await new Migrator({ db: old, provider: migrationProvider('sqlite') }).migrateTo('0001_initial');
    assert.equal(r.error, undefined);
    const form = 'type=pay&onpay_id=9&pay_for=old-1&amount=5.0&order_amount=5.0&order_currency=USD&md5=X';
    await sql`insert into notifications (payment_id, merchant_login, kind, style, method, url, content_type, body, headers, status, attempts, next_attempt_at, first_due_at, created_at, updated_at)
      values ('pay_old', 'shop', 'pay', 'onpay', 'POST', 'http://127.0.0.1:1/api', 'application/x-www-form-urlencoded', ${form}, '{}', 'retrying', 1, ${T0}, ${T0}, ${T0}, ${T0})`.execute(old);
    await old.destroy();
    const database = await openDatabase(`sqlite:${file}`);
    try {
      const [n] = await createStorage(database.db, database.dialect).notificationsOf('pay_old');
      assert.deepEqual(n!.answerKey, { apiType: 1, payFor: 'old-1', onpayId: 9, orderAmount: '5.0', orderTicker: 'USD' });
    } finally {
      await database.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
