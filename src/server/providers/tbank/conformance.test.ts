/**
 * Conformance of the T-Bank emulator with an independent, published client: `@jfkz/tinkoff-payment-sdk`
 * (pinned as a devDependency), driven unchanged except for its base URL, over real loopback HTTP with
 * the transport it ships (`GotHttpClient` over got 11). The buyer pays on the emulator's pages as a
 * browser would (real HTTP forms). Notifications are verified with the client's own `WebhookHandler`.
 * A call the client rejects (it throws `SdkError` on any `ErrorCode` other than `"0"`) fails a test,
 * except where an error is the point, and then its code is checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import gotModule, { type Got } from 'got';
import {
  ApiManager, ApiManagerSafeDeal, GotHttpClient, PayType, ReceiptTax, ReceiptTaxation, SdkError, WebhookHandler,
  type Receipt, type WebhookPayload,
} from '@jfkz/tinkoff-payment-sdk';
import { DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator } from './emulator.ts';

const T = DEFAULT_TERMINAL;
/** got 11 is CommonJS: its default import is the function itself. */
const got = gotModule as unknown as Got;
let emu: TbankEmulator;
let sdk: ApiManager;
let receiver: http.Server;
let notifyUrl = '';
/** Every notification the client's webhook handler accepted, by PaymentId. */
const verified = new Map<number, WebhookPayload[]>();
/** Bodies the client's webhook handler refused (must stay empty). */
const refused: string[] = [];
const webhooks = new WebhookHandler({ terminalKey: T.terminalKey, password: T.password });
let seq = 0;
const orderId = (): string => `conf-${process.pid}-${++seq}`;

before(async () => {
  emu = await startTbankEmulator();
  // The only change to the client: where its API lives (its default is securepay.tinkoff.ru/v2/).
  sdk = new ApiManager({ httpClient: new GotHttpClient({ got }), terminalKey: T.terminalKey, password: T.password, baseUrl: `${emu.apiUrl}/` });
  receiver = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      try {
        const { payload, response } = webhooks.handleWebhookRequest({ url: req.url ?? '/', payload: JSON.parse(raw) as WebhookPayload });
        verified.set(payload.PaymentId, [...(verified.get(payload.PaymentId) ?? []), payload]);
        res.writeHead(response.status, { 'content-type': 'text/plain' }).end(String(response.payload));
      } catch {
        refused.push(raw);
        res.writeHead(400).end('bad');
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tbank`;
});

after(async () => {
  await emu.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

/** The buyer on the payment form: opens it, types a card, follows 3-D Secure if asked. */
async function payOnForm(paymentUrl: string, pan: string): Promise<void> {
  const form = await fetch(paymentUrl);
  assert.equal(form.status, 200);
  assert.match(await form.text(), /Номер карты/);
  const sent = await fetch(`${paymentUrl}/pay`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ pan, exp: '12/30', cvv: '123' }).toString(),
  });
  assert.ok(sent.status === 303 || sent.status === 200, `form answered ${sent.status}`);
}

/** Statuses the client verified for one payment, in order, once the emulator is idle. */
async function statusesOf(paymentId: number | string): Promise<string[]> {
  await emu.idle();
  return (verified.get(Number(paymentId)) ?? []).map((n) => String(n.Status));
}

/** The error code of a call the client rejected. */
async function rejectedCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof SdkError, `not an SdkError: ${String(e)}`);
    return String((e as SdkError & { payload?: { ErrorCode?: string } }).payload?.ErrorCode);
  }
  assert.fail('the client accepted a call the emulator should refuse');
}

const receipt = (over: Partial<Receipt> = {}, price = 150): Receipt => ({
  Email: 'buyer@example.com', Taxation: ReceiptTaxation.USN_INCOME,
  Items: [{ Name: 'Чай', Price: price, Quantity: 1, Tax: ReceiptTax.NONE }],
  ...over,
});

describe('one-stage card payments', () => {
  test('create, read, list; paid on the form; notifications pass the client\'s webhook check', async () => {
    const OrderId = orderId();
    const init = await sdk.initPayment({ OrderId, Amount: 150, Description: 'Заказ', NotificationURL: notifyUrl, PayType: PayType.SingleStage });
    assert.equal(init.Success, true);
    assert.equal(init.Status, 'NEW');
    assert.equal(init.Amount, 150, 'the client reads kopecks back as roubles');
    assert.ok(init.PaymentURL);
    const state = await sdk.getState({ PaymentId: String(init.PaymentId) });
    assert.equal(state.Status, 'NEW');
    await payOnForm(init.PaymentURL, '2200770239097761');
    assert.equal((await sdk.getState({ PaymentId: String(init.PaymentId) })).Status, 'CONFIRMED');
    const order = (await sdk.checkOrder({ OrderId })) as unknown as { Payments: { PaymentId: string; Status: string }[] };
    assert.deepEqual(order.Payments.map((p) => [p.PaymentId, p.Status]), [[String(init.PaymentId), 'CONFIRMED']]);
    assert.deepEqual(await statusesOf(init.PaymentId), ['AUTHORIZED', 'CONFIRMED']);
    const confirmed = verified.get(Number(init.PaymentId))!.at(-1)!;
    assert.equal(confirmed.Amount, 150);
    assert.equal(confirmed.OrderId, OrderId);
    assert.match(confirmed.Pan, /^220077\*{6}7761$/);
  });

  test('decline: REJECTED with the card\'s error code, notified', async () => {
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 99.5, NotificationURL: notifyUrl });
    await payOnForm(init.PaymentURL!, '2201382000000021');
    const state = await sdk.getState({ PaymentId: String(init.PaymentId) }).catch((e: unknown) => e);
    assert.equal((state as { Status?: string }).Status, 'REJECTED');
    assert.deepEqual(await statusesOf(init.PaymentId), ['REJECTED']);
    assert.equal(verified.get(Number(init.PaymentId))![0]!.Success, false);
    assert.equal(verified.get(Number(init.PaymentId))![0]!.ErrorCode, '1006');
  });

  test('refund in part, then the rest: OriginalAmount / NewAmount, notifications carry what is left', async () => {
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 150, NotificationURL: notifyUrl });
    await payOnForm(init.PaymentURL!, '2200770239097761');
    const part = await sdk.cancelPayment({ PaymentId: init.PaymentId, Amount: 50 });
    assert.equal(part.Status, 'PARTIAL_REFUNDED');
    assert.equal(part.OriginalAmount, 150);
    assert.equal(part.NewAmount, 100);
    assert.equal(await rejectedCode(sdk.cancelPayment({ PaymentId: init.PaymentId, Amount: 101 })), '330');
    const rest = await sdk.cancelPayment({ PaymentId: init.PaymentId });
    assert.equal(rest.Status, 'REFUNDED');
    assert.equal(rest.NewAmount, 0);
    assert.deepEqual(await statusesOf(init.PaymentId), ['AUTHORIZED', 'CONFIRMED', 'PARTIAL_REFUNDED', 'REFUNDED']);
    assert.deepEqual(verified.get(Number(init.PaymentId))!.slice(2).map((n) => n.Amount), [100, 0]);
    assert.equal((await sdk.getState({ PaymentId: String(init.PaymentId) })).Status, 'REFUNDED');
  });

  test('cancel before payment: CANCELED, the form closed', async () => {
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 150, NotificationURL: notifyUrl });
    const c = await sdk.cancelPayment({ PaymentId: init.PaymentId });
    assert.equal(c.Status, 'CANCELED');
    assert.equal((await fetch(init.PaymentURL!)).status, 410);
    assert.deepEqual(await statusesOf(init.PaymentId), ['CANCELED']);
  });

  test('a second Init for a paid order is refused with 623', async () => {
    const OrderId = orderId();
    const init = await sdk.initPayment({ OrderId, Amount: 150 });
    await payOnForm(init.PaymentURL!, '2200770239097761');
    assert.equal(await rejectedCode(sdk.initPayment({ OrderId, Amount: 150 })), '623');
  });
});

describe('SBP', () => {
  test('GetQr gives an NSPK link; scanned and paid on the emulator\'s page', async () => {
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 250, NotificationURL: notifyUrl });
    const qr = (await sdk.getQr({ PaymentId: init.PaymentId, DataType: 'PAYLOAD' } as never)) as unknown as { Data: string };
    assert.match(qr.Data, /^https:\/\/qr\.nspk\.ru\/[A-Z0-9]{32}\?type=02&bank=100000000004&sum=25000&cur=RUB&crc=[0-9A-F]{4}$/);
    const scan = emu.sbpPageUrl(qr.Data)!;
    assert.equal((await fetch(scan)).status, 200);
    const paid = await fetch(scan, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay' });
    assert.equal(paid.status, 200);
    assert.deepEqual(await statusesOf(init.PaymentId), ['CONFIRMED']);
    assert.equal(verified.get(Number(init.PaymentId))![0]!.Amount, 250);
  });

  test('below 10 roubles: 3016', async () => {
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 9.99 });
    assert.equal(await rejectedCode(sdk.getQr({ PaymentId: init.PaymentId } as never)), '3016');
  });
});

describe('holds (PayType T)', () => {
  test('paid → AUTHORIZED; Confirm in part → CONFIRMED for that amount', async () => {
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 300, PayType: PayType.DoubleStage, NotificationURL: notifyUrl });
    await payOnForm(init.PaymentURL!, '2200770239097761');
    assert.equal((await sdk.getState({ PaymentId: String(init.PaymentId) })).Status, 'AUTHORIZED');
    assert.equal(await rejectedCode(sdk.confirmPayment({ PaymentId: String(init.PaymentId), Amount: 30001 } as never)), '330');
    const c = await sdk.confirmPayment({ PaymentId: String(init.PaymentId), Amount: 20000 } as never);
    assert.equal(c.Status, 'CONFIRMED');
    assert.equal(await rejectedCode(sdk.confirmPayment({ PaymentId: String(init.PaymentId) } as never)), '8');
    assert.deepEqual(await statusesOf(init.PaymentId), ['AUTHORIZED', 'CONFIRMED']);
    assert.equal(verified.get(Number(init.PaymentId))![1]!.Amount, 200);
  });

  test('Cancel of a hold: in part → PARTIAL_REVERSED (the rest still confirmable), in full → REVERSED', async () => {
    const a = await sdk.initPayment({ OrderId: orderId(), Amount: 300, PayType: PayType.DoubleStage, NotificationURL: notifyUrl });
    await payOnForm(a.PaymentURL!, '2200770239097761');
    const part = await sdk.cancelPayment({ PaymentId: a.PaymentId, Amount: 100 });
    assert.equal(part.Status, 'PARTIAL_REVERSED');
    assert.equal(part.NewAmount, 200);
    assert.equal((await sdk.confirmPayment({ PaymentId: String(a.PaymentId) } as never)).Status, 'CONFIRMED');
    // The client reads GetState's Amount as it comes (kopecks), unlike Init's and Cancel's.
    assert.equal((await sdk.getState({ PaymentId: String(a.PaymentId) })).Amount, 20000);

    const b = await sdk.initPayment({ OrderId: orderId(), Amount: 300, PayType: PayType.DoubleStage, NotificationURL: notifyUrl });
    await payOnForm(b.PaymentURL!, '2200770239097761');
    assert.equal((await sdk.cancelPayment({ PaymentId: b.PaymentId })).Status, 'REVERSED');
    assert.deepEqual(await statusesOf(b.PaymentId), ['AUTHORIZED', 'REVERSED']);
  });
});

describe('receipts (54-FZ)', () => {
  test('a right receipt on Init and on a partial refund is taken', async () => {
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 150, Receipt: receipt() });
    await payOnForm(init.PaymentURL!, '2200770239097761');
    const refund = await sdk.cancelPayment({ PaymentId: init.PaymentId, Amount: 50, Receipt: receipt({}, 50) } as never);
    assert.equal(refund.Status, 'PARTIAL_REFUNDED');
  });

  test('refused as T-Bank refuses them: sum mismatch 334, no contact 329, unknown VAT 1, refund receipt off 334', async () => {
    assert.equal(await rejectedCode(sdk.initPayment({ OrderId: orderId(), Amount: 150, Receipt: receipt({}, 149) })), '334');
    assert.equal(await rejectedCode(sdk.initPayment({ OrderId: orderId(), Amount: 150, Receipt: receipt({ Email: undefined }) })), '329');
    const vat = receipt();
    vat.Items[0]!.Tax = 'vat18' as ReceiptTax;
    assert.equal(await rejectedCode(sdk.initPayment({ OrderId: orderId(), Amount: 150, Receipt: vat })), '1');
    const init = await sdk.initPayment({ OrderId: orderId(), Amount: 150, Receipt: receipt() });
    await payOnForm(init.PaymentURL!, '2200770239097761');
    assert.equal(await rejectedCode(sdk.cancelPayment({ PaymentId: init.PaymentId, Amount: 50, Receipt: receipt({}, 40) } as never)), '334');
    assert.equal((await sdk.getState({ PaymentId: String(init.PaymentId) })).Status, 'CONFIRMED', 'a refused refund changes nothing');
  });
});

describe('saved cards and Charge', () => {
  test('customer, recurrent parent payment, RebillId, card list, Charge outcomes, removal', async () => {
    const CustomerKey = `cust-${process.pid}-${++seq}`;
    assert.equal(await rejectedCode(sdk.getCustomer({ CustomerKey } as never)), '7');
    await sdk.addCustomer({ CustomerKey, Email: 'buyer@example.com' } as never);
    const customer = (await sdk.getCustomer({ CustomerKey } as never)) as unknown as { Email: string };
    assert.equal(customer.Email, 'buyer@example.com');
    assert.equal(await rejectedCode(sdk.initPayment({ OrderId: orderId(), Amount: 150, Recurrent: 'Y' })), '2', 'Recurrent needs CustomerKey');

    const parent = await sdk.initPayment({ OrderId: orderId(), Amount: 150, Recurrent: 'Y', CustomerKey, NotificationURL: notifyUrl });
    await payOnForm(parent.PaymentURL!, '2200770239097761');
    await emu.idle();
    const authorized = verified.get(Number(parent.PaymentId))![0] as WebhookPayload & { RebillId?: number };
    assert.equal(authorized.Status, 'AUTHORIZED');
    assert.ok(authorized.RebillId, 'RebillId in the AUTHORIZED notification');
    const RebillId = String(authorized.RebillId);

    const cards = (await sdk.getCardList({ CustomerKey } as never)) as unknown as { CardId: string; Pan: string; Status: string; RebillId: string }[];
    assert.equal(cards.length, 1);
    assert.equal(cards[0]!.Status, 'A');
    assert.equal(cards[0]!.RebillId, RebillId);
    assert.equal(cards[0]!.CardId, String(authorized.CardId));

    const next = await sdk.initPayment({ OrderId: orderId(), Amount: 75, NotificationURL: notifyUrl });
    const charged = await sdk.chargePayment({ PaymentId: String(next.PaymentId), RebillId } as never);
    assert.equal(charged.Status, 'CONFIRMED');
    assert.deepEqual(await statusesOf(next.PaymentId), ['AUTHORIZED', 'CONFIRMED']);

    for (const [outcome, code] of [['decline', '1006'], ['insufficient_funds', '1051'], ['3ds_required', '108']] as const) {
      emu.setChargeOutcome(RebillId, outcome);
      const p = await sdk.initPayment({ OrderId: orderId(), Amount: 75 });
      assert.equal(await rejectedCode(sdk.chargePayment({ PaymentId: String(p.PaymentId), RebillId } as never)), code, outcome);
      assert.equal(emu.payment(String(p.PaymentId))?.status, 'REJECTED');
    }
    emu.setChargeOutcome(RebillId, 'success');
    const unknown = await sdk.initPayment({ OrderId: orderId(), Amount: 75 });
    assert.equal(await rejectedCode(sdk.chargePayment({ PaymentId: String(unknown.PaymentId), RebillId: '1' } as never)), '107');

    // RemoveCard: the client has it only on its form-encoded manager, which T-Bank's v2 reads too.
    const forms = new ApiManagerSafeDeal({ httpClient: new GotHttpClient({ got }), terminalKey: T.terminalKey, password: T.password, baseUrl: `${emu.apiUrl}/` });
    const removed = (await forms.removeCard({ CustomerKey, CardId: cards[0]!.CardId } as never)) as unknown as { Status: string };
    assert.equal(removed.Status, 'D');
    const after = (await sdk.getCardList({ CustomerKey } as never)) as unknown as { Status: string }[];
    assert.deepEqual(after.map((c) => c.Status), ['D'], 'deleted cards stay listed');
    const again = await sdk.initPayment({ OrderId: orderId(), Amount: 75 });
    assert.equal(await rejectedCode(sdk.chargePayment({ PaymentId: String(again.PaymentId), RebillId } as never)), '107', 'a removed card cannot be charged');

    await sdk.removeCustomer({ CustomerKey } as never);
    assert.equal(await rejectedCode(sdk.getCustomer({ CustomerKey } as never)), '7');
  });
});

test('no notification failed the client\'s webhook check', async () => {
  await emu.idle();
  assert.deepEqual(refused, []);
  assert.ok(verified.size > 5);
});
