/**
 * One order paid once at T-Bank, against its emulator over loopback: a reload resumes the SBP
 * payment (the same QR code); «Выбрать другой способ» cancels the unpaid session at T-Bank
 * (`Cancel` of `NEW`), and a session the buyer has already paid is never cancelled (nor refunded):
 * the gateway answers 409 and keeps it; money for an order already paid is a duplicate, and with
 * `duplicates: "refund"` it is refunded at T-Bank.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../src/server/bootstrap.ts';
import type { TbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { plainShop, startTbankGateway, type GatewayOnEmulator } from './provider-fixtures.ts';

let g: GatewayOnEmulator<TbankEmulator>;
let emu: TbankEmulator;
let gw: RunningGateway;

before(async () => {
  g = await startTbankGateway({
    merchants: [plainShop(), plainShop({ login: 'refunder', name: 'Refunder', secret: 'K-ref', duplicates: 'refund' })],
  });
  ({ emu, gw } = g);
});
after(() => g?.close());

const form = async (payFor: string, login = 'shop') =>
  (await (await fetch(`${gw.url}/pay/${login}?price=150&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as { token: string; pending?: { id: string; action: unknown } };

async function create(token: string, way: string): Promise<{ id: string; action: unknown }> {
  const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way }) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: string; action: unknown };
}

const abandon = (id: string, token: string) => fetch(`${gw.url}/api/v1/payments/${id}/abandon`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }),
});

async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('SBP: a reload resumes the same QR code; «Выбрать другой способ» cancels it at T-Bank', async () => {
  const f = await form('tb-ord-1');
  const sbp = await create(f.token, 'SBP');
  const again = await form('tb-ord-1');
  assert.deepEqual(again.pending, { id: sbp.id, way: 'SBP', action: sbp.action });
  const session = emu.paymentsOfOrder(sbp.id)[0]!;
  assert.equal(session.status, 'NEW');

  const res = await abandon(sbp.id, f.token);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { status: string }).status, 'failed');
  assert.equal(emu.payment(session.paymentId)!.status, 'CANCELED', 'T-Bank shows it cancelled');
  const stored = (await gw.storage.getPayment(sbp.id))!;
  assert.match(stored.statusReason, /^abandoned: .*cancelled at tbank/);
  assert.equal((await form('tb-ord-1')).pending, undefined, 'not offered again');
  // A cancelled session cannot be paid any more.
  assert.equal(emu.pay(session.paymentId, 'success'), false);
});

test('a session the buyer already paid is not cancelled: 409, nothing refunded, the payment left for T-Bank\'s word', async () => {
  emu.dropNotifications = true;
  try {
    const f = await form('tb-ord-2');
    const sbp = await create(f.token, 'SBP');
    const session = emu.paymentsOfOrder(sbp.id)[0]!;
    assert.ok(emu.pay(session.paymentId, 'success'));
    const res = await abandon(sbp.id, f.token);
    assert.equal(res.status, 409);
    assert.match(await res.text(), /status/);
    assert.equal(emu.payment(session.paymentId)!.status, 'CONFIRMED', 'not refunded');
    assert.equal((await gw.storage.getPayment(sbp.id))!.status, 'awaiting_payment', 'left for the notification or reconciliation');
  } finally {
    emu.dropNotifications = false;
  }
});

test('a second T-Bank payment of a paid order is a duplicate; with duplicates: "refund" it is refunded at T-Bank', async () => {
  const f = await form('tb-ord-3', 'refunder');
  const a = await create(f.token, 'TBC');
  const b = await create(f.token, 'TBC');
  const sa = emu.paymentsOfOrder(a.id)[0]!;
  const sb = emu.paymentsOfOrder(b.id)[0]!;
  assert.ok(emu.pay(sa.paymentId, 'success'));
  await until('the first paid', async () => (await gw.storage.getPayment(a.id))!.status === 'paid');
  assert.ok(emu.pay(sb.paymentId, 'success'));
  await until('the duplicate refunded', async () => (await gw.storage.getPayment(b.id))!.status === 'refunded');
  const dup = (await gw.storage.getPayment(b.id))!;
  assert.equal(dup.duplicateOf, a.id);
  assert.equal(emu.payment(sb.paymentId)!.status, 'REFUNDED');
  assert.equal(emu.payment(sa.paymentId)!.status, 'CONFIRMED', 'the first payment is kept');
  const view = (await (await fetch(`${gw.url}/api/v1/payments/${b.id}`)).json()) as { duplicateOf?: string };
  assert.equal(view.duplicateOf, a.id);
});

test('a duplicate\'s refund with no answer stays pending, written with the payment, and the sweep asks it again: refunded once', async () => {
  const f = await form('tb-ord-4', 'refunder');
  const a = await create(f.token, 'TBC');
  const b = await create(f.token, 'TBC');
  const sa = emu.paymentsOfOrder(a.id)[0]!;
  const sb = emu.paymentsOfOrder(b.id)[0]!;
  assert.ok(emu.pay(sa.paymentId, 'success'));
  await until('the first paid', async () => (await gw.storage.getPayment(a.id))!.status === 'paid');
  // T-Bank carries out the Cancel but the answer is lost, as if the gateway had stopped in between.
  emu.setFault({ kind: 'lost' }, { methods: ['Cancel'] });
  assert.ok(emu.pay(sb.paymentId, 'success'));
  await until('the duplicate paid', async () => (await gw.storage.getPayment(b.id))!.duplicateOf === a.id);
  await until('the refund asked', async () => emu.payment(sb.paymentId)!.status === 'REFUNDED');
  assert.equal((await gw.storage.refundsOf(b.id))[0]?.status, 'pending', 'no answer: the refund is left pending');
  emu.setFault(null);

  assert.equal(await gw.gateway.service.settleDuplicatesDue(0), 1);
  const refunds = await gw.storage.refundsOf(b.id);
  assert.deepEqual(refunds.map((r) => [r.status, r.idempotencyKey]), [['succeeded', `duplicate:${b.id}`]]);
  const after = (await gw.storage.getPayment(b.id))!;
  assert.equal(after.status, 'refunded');
  assert.equal(after.refundedMinor, after.amountMinor, 'refunded once, not twice');
  assert.equal(await gw.gateway.service.settleDuplicatesDue(0), 0, 'nothing left to ask');
});
