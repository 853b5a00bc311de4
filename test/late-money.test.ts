/**
 * Late money (issue 22): a provider's verified report of money taken for a payment the gateway had
 * expired or failed (by hand) is applied — paid, `paidLate`, the earlier state kept in the timeline,
 * PAY sent once — through each provider's emulator and the real gateway (loopback HTTP, real
 * storage). Expiry asks the provider first, cancels where it can, and reconciliation keeps asking
 * until the provider's own deadline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cloudPaymentsCase, sandboxCase, startHarness, tbankCase, yookassaCase, type ConnectorCase, type Harness, payUnheard } from './connector-harness.ts';
import { merchant, storageKinds } from './helpers.ts';
import type { Payment } from '../src/server/types.ts';

const HOUR = 3_600_000;

/** Moves the gateway's clock a minute past the payment's deadline (the emulators keep real time). */
const pastDeadline = (h: Harness, p: Payment) => h.advance(p.expiresAt! - Date.now() + 60_000);
const cabinetKey = merchant().apiKey!;

/**
 * How the buyer pays after the gateway gave up, per provider. T-Bank, YooKassa and the sandbox: on
 * the provider's still-open page (T-Bank's buyer had opened the form, so expiry could not cancel it).
 * CloudPayments: its Pay for a payment that passed its Check before the deadline arrives after it (the
 * expiry cancelled the order, so the emulator takes no new payment: that is checked too).
 */
interface LateCase {
  make: () => ConnectorCase;
  /** The buyer opens the provider's page before the deadline (T-Bank: FORM_SHOWED). */
  open?(p: Payment): Promise<void>;
  payLate(h: Harness, c: ConnectorCase, p: Payment): Promise<void>;
}

const openPage = async (p: Payment) => {
  if (p.action?.type !== 'redirect') throw new Error('no page to open');
  const r = await fetch(p.action.url);
  await r.arrayBuffer();
};

const byPage = async (h: Harness, c: ConnectorCase, p: Payment) => c.pay(h, await h.payment(p.id));
const byPayNotification = async (h: Harness, c: ConnectorCase, p: Payment) => {
  const res = await h.notify(await c.paidNotification(await h.payment(p.id)));
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '{"code":0}', 'CloudPayments hears the Pay was taken');
};

const CASES: LateCase[] = [
  { make: sandboxCase, payLate: byPage },
  { make: tbankCase, open: openPage, payLate: byPage },
  { make: yookassaCase, payLate: byPage },
  { make: cloudPaymentsCase, payLate: byPayNotification },
];

for (const kind of storageKinds()) {
  for (const lc of CASES) {
    const c = lc.make();
    describe(`late money: ${c.name} (${kind})`, () => {
      let h: Harness;
      before(async () => { h = await startHarness(c, kind); });
      after(async () => { await h?.close(); });
      let n = 0;
      const payFor = (what: string) => `late-${c.name}-${kind}-${what}-${n++}`;

      async function started(what: string): Promise<Payment> {
        h.advance(0);
        const r = await h.create(payFor(what));
        assert.equal(r.status, 201, r.text);
        return h.payment(r.body.id as string);
      }

      const payRows = async (id: string) => (await h.ts.storage.notificationsOf(id)).filter((x) => x.kind === 'pay');

      async function assertPaidLate(p: Payment, from: string): Promise<void> {
        await h.until(`${p.id} paid late`, async () => (await h.payment(p.id)).status === 'paid');
        await c.idle();
        const after = await h.payment(p.id);
        assert.equal(after.paidLate, true);
        const view = (await (await fetch(`${h.url}/api/v1/payments/${p.id}`)).json()) as Record<string, unknown>;
        assert.equal(view.status, 'paid');
        assert.equal(view.paidLate, true);
        assert.equal(view.reason, undefined, 'a paid payment has no failure reason');
        const audit = await h.ts.storage.auditOf(p.id);
        const late = audit.find((a) => a.action === 'paid_late');
        assert.ok(late, JSON.stringify(audit));
        assert.equal(late.fromStatus, from, 'the timeline keeps the earlier state');
        assert.equal(late.toStatus, 'paid');
        assert.match(late.reason, new RegExp(`after the payment was ${from}`));
        assert.equal((await payRows(p.id)).length, 1, 'one PAY');
        await h.deliver();
        assert.equal((await payRows(p.id))[0]!.status, 'delivered');
        // The report again (a provider resending): nothing more, still one PAY.
        const again = await h.notify(await c.paidNotification(after));
        assert.ok(again.status < 500, String(again.status));
        if (c.name === 'cloudpayments') assert.equal(await again.text(), '{"code":0}', 'a repeated Pay of a paid payment is answered 0');
        await c.idle();
        assert.equal((await payRows(p.id)).length, 1, 'PAY delivered once');
      }

      test('after expiry: the deadline passes at the gateway, the buyer pays at the provider; paid late, PAY once', async () => {
        const p = await started('expired');
        await lc.open?.(p);
        pastDeadline(h, p);
        await h.gateway.service.expireDue();
        const expired = await h.payment(p.id);
        assert.equal(expired.status, 'expired');
        assert.equal(expired.failureReason, 'expired');
        const view = (await (await fetch(`${h.url}/api/v1/payments/${p.id}`)).json()) as Record<string, unknown>;
        assert.equal(view.reason, 'expired');
        if (c.name !== 'sandbox') {
          assert.ok(expired.lateUntil !== null && expired.lateUntil >= p.expiresAt! + HOUR - 5_000, 'asked about until the provider\'s deadline');
          assert.match(expired.statusReason, /the payment system said/, 'the provider was asked first');
        }
        if (c.name === 'cloudpayments') {
          assert.match(expired.statusReason, /cancelled at the payment system/);
          await assert.rejects(() => c.pay(h, expired), 'a cancelled order takes no new payment at CloudPayments');
        }
        await lc.payLate(h, c, expired);
        await assertPaidLate(p, 'expired');
      });

      test('after a manual fail: the merchant failed it by hand, the money then arrives; paid late, PAY once', async () => {
        const p = await started('manual');
        const res = await fetch(`${h.url}/api/v1/cabinet/payments/${p.id}/status`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${cabinetKey}` },
          body: JSON.stringify({ status: 'failed', reason: 'the buyer said they would not pay' }),
        });
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal((await h.payment(p.id)).status, 'failed');
        await lc.payLate(h, c, await h.payment(p.id));
        await assertPaidLate(p, 'failed');
      });

      if (c.name === 'tbank' || c.name === 'yookassa') {
        test('the money arrives after expiry with its notification lost: reconciliation keeps asking and applies it', async () => {
          const p = await started('reconciled');
          await lc.open?.(p);
          pastDeadline(h, p);
          await h.gateway.service.expireDue();
          assert.equal((await h.payment(p.id)).status, 'expired');
          await payUnheard(c, h, await h.payment(p.id));
          assert.equal((await h.payment(p.id)).status, 'expired', 'the notification was lost');
          await h.reconcile(HOUR);
          await assertPaidLate(p, 'expired');
        });
      }

      if (c.name === 'tbank') {
        test('expiry cancels a session nobody opened (T-Bank Cancel of NEW); reconciliation then stops asking', async () => {
          const p = await started('cancel');
          pastDeadline(h, p);
          await h.gateway.service.expireDue();
          const expired = await h.payment(p.id);
          assert.equal(expired.status, 'expired');
          assert.match(expired.statusReason, /said NEW; cancelled at the payment system/);
          await assert.rejects(() => c.pay(h, expired), 'the cancelled session cannot be paid');
          await h.reconcile(HOUR);
          const row = await h.ts.database.db.selectFrom('payments').select(['reconcile_at', 'status']).where('id', '=', p.id).executeTakeFirstOrThrow();
          assert.equal(row.status, 'expired');
          assert.equal(row.reconcile_at, null, 'T-Bank says CANCELED: nothing more to ask');
        });
      }

      if (c.name === 'cloudpayments') {
        test('the address\'s ?kind= decides how a signed body is handled (the route passes the URL on)', async () => {
          const p = await started('kind');
          const pay = await c.paidNotification(p);
          // A Pay body posted to the Check address is answered as a Check: nothing is paid.
          const asCheck = await h.notify({ ...pay, query: '?kind=check' });
          assert.equal(await asCheck.text(), '{"code":0}');
          assert.equal((await h.payment(p.id)).status, 'awaiting_payment', 'a Check never pays');
          // A signed Check body (no TotalFee: it runs before authorisation) posted to the Pay address is refused.
          const fields = new URLSearchParams(pay.body);
          fields.delete('TotalFee');
          fields.delete('GatewayName');
          fields.delete('AuthCode');
          const checkBody = fields.toString();
          const { contentHmac } = await import('../src/server/providers/cloudpayments/transform.ts');
          const asPay = await h.notify({ headers: { ...pay.headers, 'content-hmac': contentHmac('contract_api_secret', checkBody) }, body: checkBody, query: '?kind=pay' });
          assert.equal(await asPay.text(), '{"code":13}');
          assert.equal((await h.payment(p.id)).status, 'awaiting_payment');
          assert.equal((await payRows(p.id)).length, 0);
          // The Pay at its own address pays; a repeated Pay is answered 0.
          assert.equal(await (await h.notify(pay)).text(), '{"code":0}');
          assert.equal((await h.payment(p.id)).status, 'paid');
          assert.equal(await (await h.notify(pay)).text(), '{"code":0}');
          assert.equal((await payRows(p.id)).length, 1);
          // Paid at CloudPayments and refunded in part since: a Pay for it sent again still hears 0.
          const q = await started('kind-refunded');
          await c.pay(h, q);
          await h.until(`${q.id} paid`, async () => (await h.payment(q.id)).status === 'paid');
          await c.idle();
          const part = await h.refund(q.id, { amount: '10.0', reason: 'one item back' });
          assert.equal(part.status, 201, JSON.stringify(part.body));
          assert.equal(await (await h.notify(await c.paidNotification(await h.payment(q.id)))).text(), '{"code":0}');
          assert.equal((await h.payment(q.id)).status, 'partially_refunded');
          assert.equal((await payRows(q.id)).length, 1);
        });
      }

      if (c.name !== 'sandbox') {
        test('the provider already has the money when the deadline passes: expiry asks first and pays it (not late)', async () => {
          const p = await started('asked');
          await lc.open?.(p);
          // Paid at the provider, its notification lost: only the provider knows.
          await payUnheard(c, h, p);
          assert.equal((await h.payment(p.id)).status, 'awaiting_payment');
          pastDeadline(h, p);
          await h.gateway.service.expireDue();
          const after = await h.payment(p.id);
          assert.equal(after.status, 'paid');
          assert.equal(after.paidLate, false, 'paid by the provider\'s answer before anything expired');
          assert.equal((await payRows(p.id)).length, 1);
        });
      }
    });
  }
}
