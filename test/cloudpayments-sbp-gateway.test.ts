/**
 * SBP through CloudPayments' QR link (`sbpFlow: "qr"`) through the real gateway (loopback HTTP, real
 * storage, the CloudPayments emulator): the stored action is the QR code with CloudPayments' banks,
 * the bank-app page pays it with PAY sent once, reconciliation applies a payment whose notification
 * was lost, and money CloudPayments reports after the gateway's deadline is applied late, once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cloudPaymentsCase, startHarness, type ConnectorCase, type Harness, payUnheard } from './connector-harness.ts';
import { storageKinds } from './helpers.ts';
import { EMULATOR_SBP_BANKS } from '../src/server/providers/cloudpayments/emulator.ts';
import type { Payment } from '../src/server/types.ts';

const HOUR = 3_600_000;

/** The CloudPayments case with its entry set to `sbpFlow: "qr"` and an `sbp` way `CPS`; paid on the bank-app page. */
function cloudPaymentsSbpCase(): ConnectorCase & { apiUrl: () => string } {
  const base = cloudPaymentsCase();
  let apiUrl = '';
  const bankPage = (p: Payment) => {
    if (p.action?.type !== 'instructions' || !p.action.qr) throw new Error('no QR code');
    return `${apiUrl}/sbp/${new URL(p.action.qr.payload).pathname.slice(1)}`;
  };
  return {
    ...base,
    name: 'cloudpayments-sbp',
    way: 'CPS',
    apiUrl: () => apiUrl,
    async start(publicUrl) {
      const cfg = await base.start(publicUrl);
      apiUrl = String(cfg.providers[0]!.apiUrl);
      return {
        providers: cfg.providers.map((p) => ({ ...p, sbpFlow: 'qr' })),
        ways: [...cfg.ways, { code: 'CPS', provider: 'cp', method: 'sbp', ticker: 'RUR', title: { ru: 'СБП (CloudPayments)', en: 'SBP (CloudPayments)' } }],
      };
    },
    createsAtProvider: undefined,
    async pay(_h, p) {
      const r = await fetch(bankPage(p), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' });
      const html = await r.text();
      if (r.status !== 200 || !html.includes('Оплата прошла')) throw new Error(`bank app: ${r.status} ${html.slice(0, 200)}`);
    },
  };
}

for (const kind of storageKinds()) {
  describe(`CloudPayments SBP by QR link through the gateway (${kind})`, () => {
    const c = cloudPaymentsSbpCase();
    let h: Harness;
    before(async () => { h = await startHarness(c, kind); });
    after(async () => { await h?.close(); });
    let n = 0;
    const payRows = async (id: string) => (await h.ts.storage.notificationsOf(id)).filter((x) => x.kind === 'pay');

    async function started(what: string): Promise<Payment> {
      h.advance(0);
      const r = await h.create(`cps-${kind}-${what}-${n++}`);
      assert.equal(r.status, 201, r.text);
      return h.payment(r.body.id as string);
    }

    async function assertPaidOnce(p: Payment, late: boolean): Promise<void> {
      await h.until(`${p.id} paid`, async () => (await h.payment(p.id)).status === 'paid');
      await c.idle();
      const paid = await h.payment(p.id);
      assert.equal(paid.paidLate, late);
      assert.equal(paid.providerPaymentId, p.providerPaymentId, 'the QR code\'s transaction');
      assert.equal((await payRows(p.id)).length, 1, 'one PAY');
      await h.deliver();
      assert.equal((await payRows(p.id))[0]!.status, 'delivered');
      // CloudPayments resending its Pay: answered 0, still one PAY.
      const again = await h.notify(await c.paidNotification(paid));
      assert.equal(await again.text(), '{"code":0}');
      assert.equal((await payRows(p.id)).length, 1, 'PAY once');
    }

    test('create: the buyer gets the QR code with CloudPayments\' banks, stored with the payment', async () => {
      const r = await h.create(`cps-${kind}-created-${n++}`);
      assert.equal(r.status, 201, r.text);
      const action = r.body.action as { type: string; qr?: { payload: string; banks?: { schema: string }[] }; expiresAt: string };
      assert.equal(action.type, 'instructions');
      assert.match(action.qr!.payload, /^https:\/\/qr\.nspk\.ru\/[A-Z0-9]{32}\?/);
      assert.deepEqual(action.qr!.banks!.map((b) => b.schema), EMULATOR_SBP_BANKS.dictionary.map((b) => b.schema));
      const stored = await h.payment(r.body.id as string);
      assert.equal(stored.action?.type === 'instructions' && stored.action.qr?.banks?.length, EMULATOR_SBP_BANKS.dictionary.length);
      assert.match(stored.providerPaymentId ?? '', /^\d+$/, 'the transaction of the QR code');
      assert.equal(new Date(action.expiresAt).getTime(), stored.expiresAt);
    });

    test('paid on the bank-app page: Check, Pay; paid, PAY once', async () => {
      const p = await started('paid');
      await c.pay(h, p);
      await assertPaidOnce(p, false);
    });

    test('the notification lost: reconciliation reads v2/payments/find and applies it', async () => {
      const p = await started('reconciled');
      await payUnheard(c, h, p);
      assert.equal((await h.payment(p.id)).status, 'awaiting_payment', 'nothing arrived');
      await h.reconcile(60_000);
      await assertPaidOnce(p, false);
    });

    test('after the deadline: expiry asks first (pending), cannot cancel a transaction, keeps asking an hour; money then reported is paid late, PAY once', async () => {
      const p = await started('late');
      h.advance(p.expiresAt! - Date.now() + 60_000);
      await h.gateway.service.expireDue();
      const expired = await h.payment(p.id);
      assert.equal(expired.status, 'expired');
      assert.match(expired.statusReason, /the payment system said/);
      assert.ok(expired.lateUntil !== null && expired.lateUntil >= p.expiresAt! + HOUR - 5_000, 'asked about until CloudPayments\' own deadline');
      const res = await h.notify(await c.paidNotification(expired));
      assert.equal(await res.text(), '{"code":0}');
      await assertPaidOnce(p, true);
    });
  });
}
