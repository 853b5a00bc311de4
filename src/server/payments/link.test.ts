import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../errors.ts';
import { parseLink } from './link.ts';

test('a bad link parameter is a 400 naming it', () => {
  for (const [q, field, message] of [
    ['price=abc&pay_for=1', 'price', 'price: must be an amount like 100.0'],
    ['price=1&pay_for=1&currency=XX', 'currency', 'currency: must be a 3-letter currency code'],
    ['price=1&pay_for=1&onpay_ap_BAD=1', 'onpay_ap_BAD', 'onpay_ap_BAD: extra parameter names are onpay_ap_ followed by lower-case latin letters and digits'],
  ] as const) {
    assert.throws(() => parseLink(new URLSearchParams(q)), (e: unknown) =>
      e instanceof GatewayError && e.status === 400 && e.code === 'invalid_param' && e.field === field && e.message === message);
  }
  assert.equal(parseLink(new URLSearchParams('price=1&pay_for=1')).link.price, '1.0');
});
