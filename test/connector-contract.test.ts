/**
 * The connector contract suite (issue 11, issue 13): the same cases over every connector — sandbox,
 * T-Bank, YooKassa, CloudPayments — through the real gateway (a loopback HTTP server, real storage)
 * and each provider's emulator as a real HTTP server. See test/connector-harness.ts for what each
 * connector supplies; a case a connector cannot have (the sandbox has no provider to fail or to
 * reconcile from; YooKassa's unsigned bodies cannot carry an amount) is not registered for it: no
 * test is skipped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONNECTOR_CASES, type ConnectorCase, type CreateFault, type Harness, startHarness, payUnheard } from './connector-harness.ts';
import { storageKinds } from './helpers.ts';

// Every connector on SQLite; on PostgreSQL too when the run has one (TEST_DATABASE_URL).
for (const [kind, make] of storageKinds().flatMap((k) => CONNECTOR_CASES.map((m) => [k, m] as const))) {
  const c: ConnectorCase = make();
  describe(`connector contract: ${c.name} (${kind})`, () => {
    let h: Harness;
    before(async () => { h = await startHarness(c, kind); });
    after(async () => { await h?.close(); });

    const notificationRows = async (id: string) => (await h.ts.storage.notificationsOf(id));
    const payRows = async (id: string) => (await notificationRows(id)).filter((n) => n.kind === 'pay');
    let n = 0;
    const payFor = (what: string) => `${c.name}-${kind}-${what}-${n++}`;

    /** A payment created and handed to the buyer. */
    async function started(what: string) {
      const r = await h.create(payFor(what));
      assert.equal(r.status, 201, r.text);
      return h.payment(r.body.id as string);
    }

    /** A payment paid through the provider, with its notification applied. */
    async function paid(what: string) {
      const p = await started(what);
      await c.pay(h, p);
      await h.until(`${p.id} paid`, async () => (await h.payment(p.id)).status === 'paid');
      await c.idle();
      return h.payment(p.id);
    }

    test('create: the buyer gets the action; a retry under the same key gets the same answer and no second payment at the provider', async () => {
      const key = `key-${payFor('idem')}`;
      const first = await h.create(payFor('idem'), key);
      assert.equal(first.status, 201, first.text);
      assert.ok(first.body.action?.type === 'redirect' || first.body.action?.type === 'instructions', first.text);
      const again = await h.repeat(first.token, key);
      assert.equal(again.status, 201);
      assert.equal(again.text, first.text, 'byte for byte');
      const p = await h.payment(first.body.id as string);
      assert.equal(p.status, 'awaiting_payment');
      assert.equal(p.providerId, c.providerId);
      assert.ok(p.providerPaymentId, 'the provider\'s id is kept');
      if (c.createsAtProvider) assert.equal(c.createsAtProvider(p), 1, 'one payment at the provider');
    });

    test('notify: the provider\'s report pays the payment with one PAY; a duplicate changes nothing', async () => {
      const p = await paid('notify');
      assert.equal((await payRows(p.id)).length, 1);
      const dup = await h.notify(await c.paidNotification(p));
      assert.ok(dup.status < 500, `duplicate: ${dup.status}`);
      await c.idle();
      const after = await h.payment(p.id);
      assert.equal(after.status, 'paid');
      assert.equal(after.amountMismatch, false);
      assert.equal((await payRows(p.id)).length, 1, 'still one PAY');
      await h.deliver();
      assert.equal((await payRows(p.id))[0]!.status, 'delivered');
      assert.match(h.stub.requests.at(-1)!.body, /"type":"payment\.paid"/);
    });

    test('a notification with a bad signature (or forged, where unsigned) is refused and changes nothing', async () => {
      const p = await started('badsig');
      const good = await c.paidNotification(p);
      const bad = c.badSignature(good);
      const res = await h.notify(bad ?? good);
      assert.ok(res.status < 500, `${res.status} ${await res.clone().text()}`);
      if (bad) {
        const text = await res.text();
        // A refusal: a 4xx, or the provider's own refusal code with a 200 (CloudPayments {"code":13}).
        assert.ok(res.status >= 400 || /"code":\s*1[0-3]/.test(text), `${res.status} ${text}`);
      }
      const after = await h.payment(p.id);
      assert.equal(after.status, 'awaiting_payment', 'not paid');
      assert.equal(after.amountMismatch, false);
      assert.equal((await notificationRows(p.id)).length, 0, 'no PAY');
    });

    // Only where a notification's amount is believed: YooKassa's are not (the gateway reads the payment back).
    if (c.amountMismatchReachable) test('an amount mismatch is flagged, not paid', async () => {
      const p = await started('mismatch');
      const res = await h.notify(await c.paidNotification(p, p.amountMinor + 100n));
      assert.ok(res.status < 500, String(res.status));
      const after = await h.payment(p.id);
      assert.equal(after.status, 'awaiting_payment');
      assert.equal(after.amountMismatch, true);
      assert.equal((await notificationRows(p.id)).length, 0, 'no PAY');
    });

    // Only where the provider keeps state of its own to reconcile from (not the sandbox).
    if (c.dropNotifications) test('reconcile after a dropped notification: the provider is asked and the payment paid, one PAY', async () => {
      const p = await started('reconcile');
      await payUnheard(c, h, p);
      assert.equal((await h.payment(p.id)).status, 'awaiting_payment', 'the notification was dropped');
      await h.reconcile(10 * 60_000);
      const after = await h.payment(p.id);
      assert.equal(after.status, 'paid');
      assert.equal((await payRows(p.id)).length, 1);
      // Nothing more to ask: the payment no longer waits, its due time is cleared.
      const row = await h.ts.database.db.selectFrom('payments').select(['reconcile_at', 'reconcile_attempts']).where('id', '=', p.id).executeTakeFirstOrThrow();
      assert.equal(row.reconcile_at, null);
      assert.equal(Number(row.reconcile_attempts), 1, 'asked once');
    });

    test('refunds: partial, above what is left refused, the rest; a retry gives the same refund; a different body under the key is a conflict', async () => {
      const p = await paid('refund');
      const part = await h.refund(p.id, { amount: '40.0', reason: 'one item back' }, `rf-${p.id}-1`);
      assert.equal(part.status, 201, JSON.stringify(part.body));
      assert.equal(part.body.refund.status, 'succeeded');
      assert.equal(part.body.payment.status, 'partially_refunded');
      assert.equal(part.body.payment.refunded, '40.0');
      const repeat = await h.refund(p.id, { amount: '40.0', reason: 'one item back' }, `rf-${p.id}-1`);
      assert.equal(repeat.status, 201);
      assert.equal(repeat.body.refund.id, part.body.refund.id, 'the same refund');
      const conflict = await h.refund(p.id, { amount: '41.0', reason: 'one item back' }, `rf-${p.id}-1`);
      assert.equal(conflict.status, 409);
      const tooMuch = await h.refund(p.id, { amount: '500.0', reason: 'too much' }, `rf-${p.id}-2`);
      assert.equal(tooMuch.status, 422, JSON.stringify(tooMuch.body));
      assert.equal(tooMuch.body.error.field, 'amount');
      const rest = (p.amountMinor - 4000n);
      const restText = `${rest / 100n}.${(rest % 100n).toString().padStart(2, '0')}`;
      const full = await h.refund(p.id, { amount: restText, reason: 'the rest' }, `rf-${p.id}-3`);
      assert.equal(full.status, 201, JSON.stringify(full.body));
      assert.equal(full.body.payment.status, 'refunded');
      await c.idle();
      const after = await h.payment(p.id);
      assert.equal(after.status, 'refunded');
      assert.equal(after.refundedMinor, p.amountMinor);
      if (c.refundedAtProvider) assert.equal(c.refundedAtProvider(p), p.amountMinor, 'refunded at the provider, once');
      const refunds = await h.ts.storage.refundsOf(p.id);
      assert.deepEqual(refunds.map((r) => r.status), ['succeeded', 'succeeded']);
      const events = (await notificationRows(p.id)).filter((x) => x.kind === 'refund');
      assert.equal(events.length, 2, 'a payment.refunded event per rise of the total');
      assert.match(events[1]!.body, /"type":"payment\.refunded"/);
      const audit = await h.ts.storage.auditOf(p.id);
      assert.equal(audit.filter((a) => a.action === 'refund').length, 2);
      const more = await h.refund(p.id, { amount: '1.0', reason: 'nothing left' });
      assert.equal(more.status, 409, 'a refunded payment has nothing left');
    });

    test('a full refund at once', async () => {
      const p = await paid('fullrefund');
      const whole = `${p.amountMinor / 100n}.${(p.amountMinor % 100n).toString().padStart(2, '0')}`;
      const r = await h.refund(p.id, { amount: whole, reason: 'cancelled order' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.payment.status, 'refunded');
      await c.idle();
      assert.equal((await h.payment(p.id)).refundedMinor, p.amountMinor);
    });

    const faults: { fault: CreateFault; codes: string[] }[] = [
      { fault: 'down', codes: ['provider_unavailable'] },
      { fault: 'slow', codes: ['provider_unavailable'] },
      { fault: 'garbage', codes: ['provider_unavailable'] },
      { fault: 'html', codes: ['provider_unavailable'] },
      { fault: 'error', codes: ['provider_error', 'provider_unavailable'] },
    ];
    for (const { fault, codes } of faults) {
      // Only where a provider stands behind the connector to fail (not the sandbox).
      if (c.createFault) test(`the provider ${fault} at create: 502 with a clear error, the payment kept with the reason, no PAY`, async () => {
        c.createFault!(fault);
        let r: Awaited<ReturnType<Harness['create']>>;
        try {
          r = await h.create(payFor(`fault-${fault}`));
        } finally {
          c.createFault!(null);
        }
        assert.equal(r.status, 502, r.text);
        assert.ok(codes.includes(r.body.error.code as string), r.text);
        assert.ok(r.body.error.message, 'a message for the buyer');
        const p = await h.payment(r.body.error.paymentId as string);
        if (r.body.error.code === 'provider_error') {
          assert.equal(p.status, 'failed');
          assert.match(p.statusReason, /^provider_error: /);
        } else {
          assert.equal(p.status, 'awaiting_payment', 'kept for reconciliation');
          assert.match(p.statusReason, /^provider_unavailable: /);
          assert.equal(p.action, null, 'nothing handed to the buyer');
        }
        await c.idle();
        assert.equal((await notificationRows(p.id)).length, 0, 'no PAY');
      });
    }
  });
}
