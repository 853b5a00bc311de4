import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canTransition, PAYMENT_STATUSES, type PaymentStatus } from './states.ts';

const ALLOWED_BY_SYSTEM: [PaymentStatus, PaymentStatus][] = [
  ['created', 'checking'], ['created', 'awaiting_payment'], ['created', 'rejected'], ['created', 'failed'],
  ['checking', 'awaiting_payment'], ['checking', 'rejected'], ['checking', 'failed'],
  ['awaiting_payment', 'paid'], ['awaiting_payment', 'failed'], ['awaiting_payment', 'expired'],
  ['paid', 'partially_refunded'], ['paid', 'refunded'], ['partially_refunded', 'refunded'],
  // Holds (issue 25): held, then captured in full or in part, or released; a part settles as paid.
  ['awaiting_payment', 'authorized'], ['authorized', 'paid'], ['authorized', 'partially_captured'], ['authorized', 'voided'],
  ['partially_captured', 'paid'], ['partially_captured', 'partially_refunded'], ['partially_captured', 'refunded'],
];
/** A verified provider report: the system's moves, and money taken or held after the payment had ended (late money). */
const ALLOWED_BY_PROVIDER: [PaymentStatus, PaymentStatus][] = [
  ...ALLOWED_BY_SYSTEM, ['failed', 'paid'], ['expired', 'paid'], ['rejected', 'paid'],
  ['failed', 'authorized'], ['expired', 'authorized'], ['rejected', 'authorized'],
];
const ALLOWED_BY_HAND: [PaymentStatus, PaymentStatus][] = [
  ['created', 'paid'], ['created', 'failed'], ['checking', 'paid'], ['checking', 'failed'],
  ['awaiting_payment', 'paid'], ['awaiting_payment', 'failed'], ['rejected', 'paid'], ['failed', 'paid'],
  ['expired', 'paid'], ['expired', 'failed'],
];

test('every system move: allowed exactly when in the table', () => {
  for (const from of PAYMENT_STATUSES) {
    for (const to of PAYMENT_STATUSES) {
      const expected = ALLOWED_BY_SYSTEM.some(([f, t]) => f === from && t === to);
      assert.equal(canTransition(from, to, 'system'), expected, `${from} → ${to}`);
    }
  }
});

test('every provider-report move: the system\'s, plus late money (failed, expired, rejected → paid); refunded stays final', () => {
  for (const from of PAYMENT_STATUSES) {
    for (const to of PAYMENT_STATUSES) {
      const expected = ALLOWED_BY_PROVIDER.some(([f, t]) => f === from && t === to);
      assert.equal(canTransition(from, to, 'provider'), expected, `${from} → ${to}`);
    }
  }
  for (const from of ['failed', 'expired', 'rejected'] as const) assert.equal(canTransition(from, 'paid', 'system'), false, `only a provider report pays a ${from} payment`);
  for (const to of PAYMENT_STATUSES) assert.equal(canTransition('refunded', to, 'provider'), false);
});

test('refunds are never undone, by hand or by a report', () => {
  for (const cause of ['system', 'provider', 'manual'] as const) {
    for (const from of ['partially_refunded', 'refunded'] as const) {
      for (const to of ['paid', 'awaiting_payment', 'failed', 'expired'] as const) assert.equal(canTransition(from, to, cause), false, `${cause}: ${from} → ${to}`);
    }
  }
});

test('every manual move: allowed exactly when in the table; paid is never undone', () => {
  for (const from of PAYMENT_STATUSES) {
    for (const to of PAYMENT_STATUSES) {
      const expected = ALLOWED_BY_HAND.some(([f, t]) => f === from && t === to);
      assert.equal(canTransition(from, to, 'manual'), expected, `${from} → ${to}`);
    }
  }
  for (const to of PAYMENT_STATUSES) assert.equal(canTransition('paid', to, 'manual'), false);
});

test('a hold moves only through capture or void: no hand takes or releases held money, and a void is final', () => {
  for (const to of PAYMENT_STATUSES) {
    assert.equal(canTransition('authorized', to, 'manual'), false, `manual: authorized → ${to}`);
    assert.equal(canTransition('partially_captured', to, 'manual'), false, `manual: partially_captured → ${to}`);
    for (const cause of ['system', 'provider', 'manual'] as const) assert.equal(canTransition('voided', to, cause), false, `${cause}: voided → ${to}`);
  }
  // A void is not a refund, and a captured payment is never voided.
  for (const from of ['paid', 'partially_refunded', 'refunded', 'partially_captured'] as const) assert.equal(canTransition(from, 'voided', 'provider'), false, `${from} → voided`);
  assert.equal(canTransition('authorized', 'refunded'), false);
  assert.equal(canTransition('authorized', 'failed', 'provider'), false);
});
