/** `npm run merchant -- set --receipts …`: the merchant's receipt settings (issue 24) set, kept, refused by field, cleared. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runMerchantAdmin } from '../src/cli/merchant-admin.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-receipts-admin-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { DATABASE_URL: `sqlite:${join(dir, 'm.sqlite')}`, ONPAY_SECRET: 'x'.repeat(32) };
const lines: string[] = [];
const out = (s: string) => lines.push(s);
const show = async () => {
  lines.splice(0);
  await runMerchantAdmin(['show', '--login', 'fiscal'], env, out);
  return JSON.parse(lines.splice(0).join('\n')) as Record<string, any>;
};

test('sets the receipt settings with their defaults, keeps them, refuses bad ones by field, and turns them off', async () => {
  const set = (...args: string[]) => runMerchantAdmin(['set', '--login', 'fiscal', ...args], env, out, { warn: () => {} });
  assert.equal(await set('--name', 'F', '--secret', 'fiscal-secret-0123456789', '--receipts', '{"enabled":true,"taxation":"usn_income","vat":"none"}'), 0);
  assert.deepEqual((await show()).receipts, {
    enabled: true, taxation: 'usn_income', vat: 'none', paymentObject: 'service', paymentMethod: 'full_payment',
    itemName: 'Оплата заказа {pay_for}', feeItemName: 'Комиссия платёжной системы', ffd: '1.05',
  });
  assert.equal(await set('--name', 'F2'), 0);
  assert.equal((await show()).receipts.taxation, 'usn_income', 'kept on a later change');
  await assert.rejects(set('--receipts', '{"enabled":true,"taxation":"usn_income","vat":"vat20"}'), /receipts\.vat|receipts-vat|vat/);
  await assert.rejects(set('--receipts', '{nope'), /receipts: must be the receipt settings as JSON/);
  await assert.rejects(set('--receipts', '{"enabled":true,"taxation":"usn_income","vat":"none","colour":"red"}'), /receipts/);
  assert.equal((await show()).receipts.vat, 'none', 'nothing changed');
  assert.equal(await set('--receipts', 'off'), 0);
  assert.equal((await show()).receipts, 'off');
});
