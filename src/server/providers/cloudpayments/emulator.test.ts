/**
 * The CloudPayments emulator on its own, over loopback HTTP with plain fetch: what the conformance
 * client cannot reach (form-encoded requests, idempotency of refusals, unknown methods, `v2` find of a
 * refund, a same-day void, a receipt on confirm) and its independence from the connector.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startCloudPaymentsEmulator, type CloudPaymentsEmulator } from './emulator.ts';

const AUTH = `Basic ${Buffer.from('pk_emu:emu_secret').toString('base64')}`;
let emulator: CloudPaymentsEmulator;

async function call(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const form = typeof body === 'string';
  const r = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', ...headers },
    body: form ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function paidTransaction(amount = 500, extra: Record<string, unknown> = {}): Promise<{ orderId: string; tx: number; invoiceId: string }> {
  const invoiceId = `inv-${Math.random().toString(36).slice(2)}`;
  const created = await call('/orders/create', { Amount: amount, Currency: 'RUB', Description: 'x', InvoiceId: invoiceId, ...extra });
  const orderId = (created.json.Model as { Id: string }).Id;
  const paid = await emulator.pay(orderId, '4111111111111111');
  return { orderId, tx: paid.transactionId, invoiceId };
}

before(async () => {
  emulator = await startCloudPaymentsEmulator({ publicId: 'pk_emu', apiSecret: 'emu_secret' });
});
after(() => emulator.close());

describe('the CloudPayments emulator over HTTP', () => {
  test('payments/qr/sbp/link: the SDKs\' Model (QrUrl, TransactionId, ProviderQrId, Banks as NSPK\'s dictionary), find sees the transaction; refusals name the field', async () => {
    const r = await call('/payments/qr/sbp/link', { Amount: '150.00', Currency: 'RUB', Description: 'Чай', InvoiceId: 'sbp-1', Scheme: 'charge', TtlMinutes: 20 });
    assert.equal(r.json.Success, true);
    const m = r.json.Model as { QrUrl: string; TransactionId: number; ProviderQrId: string; MerchantOrderId: string; Banks: { version: string; dictionary: { schema: string; package_name: string }[] } };
    assert.equal(m.QrUrl, `https://qr.nspk.ru/${m.ProviderQrId}${new URL(m.QrUrl).search}`);
    assert.match(m.ProviderQrId, /^[A-Z0-9]{32}$/);
    assert.equal(m.MerchantOrderId, 'sbp-1');
    assert.equal(m.Banks.version, '1.0');
    assert.ok(m.Banks.dictionary.length >= 3 && m.Banks.dictionary.every((b) => /^bank\d+$/.test(b.schema) && b.package_name));
    assert.equal(emulator.sbpPageUrl(m.QrUrl), `${emulator.url}/sbp/${m.ProviderQrId}`);
    assert.equal(emulator.sbpPageUrl('https://qr.nspk.ru/AD1000000000000000000000000000ZZ?type=02'), undefined);
    const found = await call('/v2/payments/find', { InvoiceId: 'sbp-1' });
    assert.deepEqual([(found.json.Model as Record<string, unknown>).Status, (found.json.Model as Record<string, unknown>).TransactionId], ['AwaitingAuthentication', m.TransactionId]);
    for (const [body, message] of [
      [{ Currency: 'RUB' }, 'Amount is required'],
      [{ Amount: 0 }, 'Invalid Amount value'],
      [{ Amount: 10, Currency: 'USD' }, 'Invalid Currency value'],
      [{ Amount: 10, Scheme: 'auth' }, 'Invalid Scheme value'],
      [{ Amount: 10, TtlMinutes: 0 }, 'Invalid TtlMinutes value'],
    ] as const) {
      assert.deepEqual((await call('/payments/qr/sbp/link', body)).json, { Success: false, Message: message }, message);
    }
    // The bank-app page: GET shows the amount; an unknown code is 404.
    const page = await fetch(emulator.sbpPageUrl(m.QrUrl)!);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /150\.00/);
    assert.equal((await fetch(`${emulator.url}/sbp/AD1000000000000000000000000000ZZ`)).status, 404);
    // The list of open codes, for a demo on one machine: this one is there, with its page.
    const list = await (await fetch(`${emulator.url}/sbp`)).text();
    assert.ok(list.includes(`href="/sbp/${m.ProviderQrId}"`), list);
  });

  test('form-encoded parameters are read as JSON ones are («key=value» or JSON)', async () => {
    const r = await call('/orders/create', 'Amount=12.50&Currency=RUB&Description=%D0%A7%D0%B0%D0%B9&InvoiceId=form-1');
    assert.equal(r.json.Success, true);
    assert.equal((r.json.Model as Record<string, unknown>).Amount, 12.5);
    assert.equal((r.json.Model as Record<string, unknown>).Description, 'Чай');
  });

  test('401 without credentials, /test included; unknown methods 404; non-POST 405', async () => {
    const bare = await fetch(`${emulator.url}/test`, { method: 'POST' });
    assert.equal(bare.status, 401);
    assert.equal(await bare.text(), '');
    assert.equal((await call('/payments/nothing', {})).status, 404);
    assert.equal((await fetch(`${emulator.url}/orders/create`, { headers: { authorization: AUTH } })).status, 405);
  });

  test('X-Request-ID replays a success for an hour but never a refusal', async () => {
    const refused = await call('/orders/create', { Currency: 'RUB', Description: 'x' }, { 'x-request-id': 'same-1' });
    assert.equal(refused.json.Message, 'Amount is required');
    const fixed = await call('/orders/create', { Amount: 5, Currency: 'RUB', Description: 'x' }, { 'x-request-id': 'same-1' });
    assert.equal(fixed.json.Success, true, 'the refusal was not kept: the corrected retry runs');
    const replay = await call('/orders/create', { Amount: 5, Currency: 'RUB', Description: 'x' }, { 'x-request-id': 'same-1' });
    assert.deepEqual(replay.json, fixed.json);
  });

  test('amounts with more than two significant decimals, unknown currencies and a missing Description are refused', async () => {
    assert.equal((await call('/orders/create', { Amount: 1.005, Currency: 'RUB', Description: 'x' })).json.Message, 'Invalid Amount value');
    assert.equal((await call('/orders/create', { Amount: 1, Currency: 'XXX', Description: 'x' })).json.Message, 'Invalid Currency value');
    assert.equal((await call('/orders/create', { Amount: 1, Currency: 'RUB' })).json.Message, 'Description is required');
  });

  test('v2/payments/find reports the latest operation (a refund), payments/find the payment', async () => {
    const { tx, invoiceId } = await paidTransaction();
    assert.equal((await call('/payments/refund', { TransactionId: tx, Amount: 100 })).json.Success, true);
    const v2 = (await call('/v2/payments/find', { InvoiceId: invoiceId })).json.Model as Record<string, unknown>;
    assert.equal(v2.Type, 1);
    assert.equal(v2.OriginalTransactionId, tx);
    const v1 = (await call('/payments/find', { InvoiceId: invoiceId })).json.Model as Record<string, unknown>;
    assert.equal(v1.TransactionId, tx);
    assert.equal(v1.Refunded, true);
  });

  test('void: a completed payment the same day and unrefunded is cancelled; with a refund it is refused', async () => {
    const a = await paidTransaction();
    assert.equal((await call('/payments/void', { TransactionId: a.tx })).json.Success, true);
    assert.equal(emulator.transactions.find((t) => t.transactionId === a.tx)!.status, 'Cancelled');
    const b = await paidTransaction();
    await call('/payments/refund', { TransactionId: b.tx, Amount: 1 });
    assert.equal((await call('/payments/void', { TransactionId: b.tx })).json.Success, false);
  });

  test('confirm checks its receipt against the confirmed amount', async () => {
    const { tx } = await paidTransaction(1000, { RequireConfirmation: true });
    const receipt = (amount: number) => ({ CloudPayments: { CustomerReceipt: { Items: [{ label: 'Чай', price: amount, quantity: 1, amount, vat: 20 }], phone: '+79000000000' } } });
    const wrong = await call('/payments/confirm', { TransactionId: tx, Amount: 700, JsonData: receipt(1000) });
    assert.match(String(wrong.json.Message), /does not match Amount \(700\.00\)/);
    assert.equal(emulator.transactions.find((t) => t.transactionId === tx)!.status, 'Authorized', 'nothing changed');
    assert.equal((await call('/payments/confirm', { TransactionId: tx, Amount: 700, JsonData: receipt(700) })).json.Success, true);
  });

  test('the emulator imports nothing of the connector or the gateway (an independent reading)', async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const files = (await readdir(dir)).filter((f) => /^emulator(-[a-z]+)?\.ts$/.test(f));
    assert.ok(files.length >= 4);
    for (const f of files) {
      const imports = [...(await readFile(`${dir}/${f}`, 'utf8')).matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
      for (const spec of imports) assert.ok(spec.startsWith('node:') || spec === 'lossless-json' || /^\.\/emulator(-[a-z]+)?\.ts$/.test(spec), `${f} imports ${spec}`);
    }
  });
});
