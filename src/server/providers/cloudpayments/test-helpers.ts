/** Fixtures shared by the CloudPayments tests. */
import type { Payment } from '../../types.ts';

/** A gateway payment awaiting payment of 1224.00 RUR, with overrides. */
export function fakePayment(overrides: Partial<Payment> = {}): Payment {
  const now = 1_780_000_000_000;
  return {
    id: 'pay_cp_1',
    number: 1,
    merchantLogin: 'shop',
    payFor: 'order-1',
    mode: 'fix',
    priceMinor: 122400n,
    ticker: 'RUR',
    convert: false,
    priceFinal: false,
    note: '',
    ln: 'ru',
    urlSuccess: 'https://shop.example/ok',
    urlFail: 'https://shop.example/fail',
    userEmail: 'buyer@example.com',
    userPhone: '',
    extraParams: {},
    way: 'CPC',
    wayTicker: 'RUR',
    amountMinor: 122400n,
    feeMinor: 0n,
    balanceMinor: 122400n,
    balanceTicker: 'RUR',
    rate: '1.0',
    status: 'awaiting_payment',
    statusReason: '',
    manual: false,
    action: null,
    idempotencyKey: null,
    requestHash: null,
    responseStatus: null,
    responseBody: null,
    expiresAt: now + 3_600_000,
    paidAt: null,
    createdAt: now,
    updatedAt: now,
    providerId: null,
    providerPaymentId: null,
    amountMismatch: false,
    refundedMinor: 0n,
    ...overrides,
  };
}
