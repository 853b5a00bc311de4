/**
 * A gateway SIGKILLed between T-Bank's capture and our record of it (issue 25): the real gateway as a
 * child process on a SQLite file, a hold at the T-Bank emulator, a capture asked through the API
 * while the emulator holds `Confirm` for a moment; the gateway dies with the operation written
 * `pending` and the payment `authorized`, T-Bank then confirms. The restarted gateway's reconciler
 * (a 1-second first slot here) asks T-Bank, finds `CONFIRMED`, and records the capture: the payment
 * `paid`, the operation `succeeded`, PAY written once and delivered once, for the captured amount;
 * the receipt given with the capture (of what is taken) kept as the payment's, `sent`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { DEFAULT_TERMINAL, startTbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { TEST_SECRET } from './helpers.ts';
import { freePort, killableGateway, startCrashShop } from './killable-gateway.ts';

const K = 'holds-crash-K';
const KEY = 'crash-cabinet-key-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a SIGKILL between T-Bank\'s Confirm and our record: reconciliation settles the capture, PAY once', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-holds-crash-'));
  const dbFile = join(dir, 'gateway.sqlite');
  const emu = await startTbankEmulator({ notificationRetryMs: 300, notificationTimeoutMs: 3000 });
  const pays: string[] = [];
  const stub = await startCrashShop(K, (o, body) => {
    if (o.type === 'pay') pays.push(body);
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({
    port, database: `sqlite:${dbFile}`, secret: TEST_SECRET, publicUrl: base, allowPrivateMerchantUrls: true,
    retrySchedule: [0, 1, 1, 2, 3, 5],
    reconcileSchedule: [1, 2],
    reconcile: { leaseMs: 10_001, pollMs: 200 },
    dispatcher: { timeoutMs: 3000, leaseMs: 4000, pollMs: 50 },
    providers: [{ id: 'tbank', type: 'tbank', ...DEFAULT_TERMINAL, apiUrl: emu.apiUrl }],
    ways: [{ code: 'TBC', provider: 'tbank', method: 'card', ticker: 'RUR', title: { ru: 'Банковская карта', en: 'Bank card' } }],
    merchants: [{ login: 'shop', name: 'Crash shop', secret: K, apiKey: KEY, notifications: true, apiUrl: stub.url, apiType: 2, checkLinkMd5: false, capture: 'manual' }],
  }));
  const gw = killableGateway(configFile, base);
  try {
    await gw.start();
    const form = (await (await gw.call('/pay/shop?price=150.0&pay_for=crash-hold', { headers: { accept: 'application/json' } })).json()) as { token: string };
    const created = await gw.call('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'TBC' }) });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const session = emu.paymentsOfOrder(id)[0]!;
    assert.equal(session.payType, 'T');
    assert.ok(emu.pay(session.paymentId, 'success'));
    const db = new SQLite(dbFile, { readonly: true });
    const row = () => db.prepare('select status, amount_minor from payments where id = ?').get(id) as { status: string; amount_minor: number };
    for (let i = 0; row().status !== 'authorized'; i++) {
      assert.ok(i < 200, `not authorized: ${row().status} ${gw.log().slice(-1000)}`);
      await sleep(50);
    }

    // T-Bank takes its time over Confirm; the gateway dies while it waits.
    emu.setFault({ kind: 'slow', delayMs: 1500 }, { methods: ['Confirm'], times: 1 });
    const captureBody = JSON.stringify({
      amount: '120.0', reason: 'shipped',
      receipt: { taxation: 'usn_income', customer: { email: 'b@shop.example' }, items: [{ name: 'Стол', price: '120.00', quantity: '1', amount: '120.00', vat: 'none', paymentMethod: 'full_payment', paymentObject: 'commodity' }] },
    });
    const capture = fetch(`${base}/api/v1/payments/${id}/capture`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'idempotency-key': 'crash-cap' }, body: captureBody,
    }).then((r) => r.status, () => 'cut');
    const opOf = () => db.prepare('select status from hold_operations where payment_id = ?').get(id) as { status: string } | undefined;
    for (let i = 0; opOf() === undefined; i++) {
      assert.ok(i < 200, 'the capture was never begun');
      await sleep(20);
    }
    await gw.kill();
    assert.equal(await capture, 'cut');
    assert.equal(opOf()!.status, 'pending');
    assert.equal(row().status, 'authorized');
    // T-Bank carries the Confirm out after all; nobody is there to hear the answer.
    for (let i = 0; emu.payment(session.paymentId)!.status !== 'CONFIRMED'; i++) {
      assert.ok(i < 200, 'T-Bank never confirmed');
      await sleep(20);
    }

    await gw.start();
    for (let i = 0; row().status !== 'paid' || pays.length === 0; i++) {
      assert.ok(i < 400, `not settled: ${row().status}, ${pays.length} PAY: ${gw.log().slice(-2000)}`);
      await sleep(50);
    }
    assert.equal(row().amount_minor, 12000);
    assert.equal(opOf()!.status, 'succeeded');
    const receipts = db.prepare("select receipt, status from receipts where payment_id = ? and kind = 'payment'").all(id) as { receipt: string; status: string }[];
    assert.deepEqual(receipts.map((r) => [(JSON.parse(r.receipt) as { items: { amount: string }[] }).items.map((i) => i.amount), r.status]), [[['120.00'], 'sent']], 'the capture\'s receipt, kept though the gateway died before recording it');
    const rows = db.prepare("select count(*) as n from notifications where payment_id = ? and kind = 'pay'").get(id) as { n: number };
    assert.equal(rows.n, 1);
    await sleep(500);
    assert.equal(pays.length, 1);
    assert.match(pays[0]!, /"payment":\{[^}]*"amount":120\.0,/);
    // The same request again, after the restart: the same capture, nothing more taken.
    const again = await gw.call(`/api/v1/payments/${id}/capture`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'idempotency-key': 'crash-cap' }, body: captureBody,
    });
    assert.equal(again.status, 200, await again.clone().text());
    assert.equal(emu.payment(session.paymentId)!.remaining, 12000);
    db.close();
  } finally {
    await gw.stop().catch(() => {});
    await emu.close();
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
