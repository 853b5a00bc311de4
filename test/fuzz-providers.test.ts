/**
 * `/providers/{id}/notify` fuzzed over all four connectors (issue 11, issue 13): sandbox, T-Bank,
 * YooKassa and CloudPayments, each in front of its emulator (so the gateway can ask the provider
 * back, as YooKassa's unsigned notifications require). Any body and any header — junk, near-valid
 * provider bodies, correctly signed bodies about payments they cannot change — gets a 4xx or the
 * provider's own refusal (a 200 with CloudPayments' refusal code, T-Bank's `OK` for a report it
 * does not follow), never a 5xx; and nothing changes: no payment status, no amount flag, no
 * notification. (The sandbox-only case lives in test/fuzz.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { contentHmac } from '../src/server/providers/cloudpayments/transform.ts';
import { startCloudPaymentsEmulator, type CloudPaymentsEmulator } from '../src/server/providers/cloudpayments/emulator.ts';
import { signSandboxCallback, SANDBOX_SIGNATURE_HEADER } from '../src/server/providers/sandbox/sandbox.ts';
import { DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { signed } from '../src/server/providers/tbank/transform.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from '../src/server/providers/yookassa/emulator.ts';
import { createPaymentVia, merchant, startTestGateway, TEST_SECRET, type TestGateway } from './helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const CP_SECRET = 'fuzz_cp_secret';
const title = { ru: 'Способ', en: 'Way' };

const printable = fc.string({ maxLength: 40 });
const unicode = fc.string({ unit: 'binary', maxLength: 40 });
const headerValue = fc.array(fc.integer({ min: 0x20, max: 0xff }), { maxLength: 60 }).map((codes) => String.fromCharCode(...codes));
const headersArb = fc.record({
  'content-type': fc.oneof(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-8'), headerValue),
  'content-hmac': fc.oneof(fc.base64String({ maxLength: 44 }), headerValue),
  'x-content-hmac': fc.oneof(fc.base64String({ maxLength: 44 }), headerValue),
  [SANDBOX_SIGNATURE_HEADER]: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 64 }), headerValue),
  'x-forwarded-for': fc.oneof(fc.constantFrom('185.71.76.1', '::1', 'not-an-ip', ''), headerValue),
}, { requiredKeys: [] });
const scalar = fc.oneof(printable, fc.integer(), fc.boolean(), fc.constant(null), fc.double(), fc.constantFrom('CONFIRMED', 'REJECTED', 'REFUNDED', 'PARTIAL_REFUNDED', 'DEADLINE_EXPIRED', 'AUTHORIZED', 'Completed', 'Declined', 'succeeded', 'payment.succeeded', 'refund.succeeded', 'payment.canceled'));
const junk = fc.oneof(
  fc.constant(''), printable, unicode, fc.constantFrom('{', '[]', 'null', '{"a":', '\u0000', 'a=b&c', '%zz=1', '{"Token":"x"}'),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
);

describe('provider notifications over every connector: any body, any header', () => {
  let t: TestGateway;
  let tb: TbankEmulator;
  let yk: YooKassaEmulator;
  let cp: CloudPaymentsEmulator;
  /** Payments a valid report could change: their ids never appear in a signed body. */
  const awaiting: Record<string, string> = {};
  const providerIds: Record<string, string> = {};

  before(async () => {
    tb = await startTbankEmulator();
    yk = await startYooKassaEmulator({ shopId: '100500', secretKey: 'fuzz_yk' });
    cp = await startCloudPaymentsEmulator({ publicId: 'pk_fuzz', apiSecret: CP_SECRET });
    t = await startTestGateway({
      merchants: [merchant()],
      config: {
        providers: [
          { id: 'tbank', type: 'tbank', ...DEFAULT_TERMINAL, apiUrl: tb.apiUrl },
          { id: 'yk', type: 'yookassa', shopId: '100500', secretKey: 'fuzz_yk', apiUrl: yk.apiUrl },
          { id: 'cp', type: 'cloudpayments', publicId: 'pk_fuzz', apiSecret: CP_SECRET, apiUrl: cp.url },
        ],
        ways: [
          { code: 'CRD', system: 'card', ticker: 'RUR', title },
          { code: 'TBC', provider: 'tbank', method: 'card', ticker: 'RUR', title },
          { code: 'YKC', provider: 'yk', method: 'bank_card', ticker: 'RUR', title },
          { code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title },
        ],
      },
    });
    for (const way of ['CRD', 'TBC', 'YKC', 'CPC']) {
      const { res, json } = await createPaymentVia(t, `price=100&pay_for=fz-${way}`, { way });
      assert.equal(res.status, 201, JSON.stringify(json));
      awaiting[way] = json.id as string;
      providerIds[way] = (await t.storage.getPayment(json.id as string))!.providerPaymentId!;
    }
  });
  after(async () => {
    await t?.close();
    await tb?.close();
    await yk?.close();
    await cp?.close();
  });

  test('a 4xx or the provider\'s refusal, never a 5xx; nothing changes', async () => {
    const before = await t.storage.statusCounts();
    const mismatches = await t.storage.countAmountMismatches();
    const someId = fc.oneof(printable, fc.constantFrom('pay_unknownunknownunknown', ...Object.values(providerIds)), fc.integer({ min: 0, max: 1e9 }).map(String));
    // Correctly signed bodies, never about a payment they could move.
    const tbankSigned = fc.record({
      TerminalKey: fc.oneof(fc.constant(DEFAULT_TERMINAL.terminalKey), printable),
      OrderId: fc.oneof(printable, fc.constant('pay_unknownunknownunknown')),
      Success: fc.boolean(), Status: scalar, PaymentId: fc.oneof(fc.integer({ min: 0, max: 1e9 }), printable), ErrorCode: scalar, Amount: scalar,
    }, { requiredKeys: [] }).map((f) => JSON.stringify(signed(f, DEFAULT_TERMINAL.password)));
    const cpSigned = fc.dictionary(fc.oneof(fc.constantFrom('TransactionId', 'Amount', 'Currency', 'InvoiceId', 'Status', 'OperationType', 'TotalFee', 'ReasonCode', 'PaymentTransactionId', 'DateTime'), printable), fc.oneof(printable, fc.constantFrom('1.00', '100.00', 'RUB', 'Completed', 'Refund', '0.00', 'pay_unknownunknownunknown')))
      .map((d) => new URLSearchParams(d).toString());
    const ykBody = fc.record({ type: fc.oneof(fc.constant('notification'), printable), event: scalar, object: fc.record({ id: someId, payment_id: someId, status: scalar, amount: fc.record({ value: scalar, currency: scalar }, { requiredKeys: [] }) }, { requiredKeys: [] }) }, { requiredKeys: [] })
      .map((o) => JSON.stringify(o));
    const sandboxSigned = fc.record({ paymentId: fc.oneof(printable, fc.constant('pay_unknownunknownunknown')), outcome: scalar, amount: scalar, ticker: scalar }, { requiredKeys: [] }).map((o) => JSON.stringify(o));
    const arb = fc.record({
      id: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('sandbox', 'tbank', 'yk', 'cp') }, { weight: 1, arbitrary: printable }),
      kind: fc.constantFrom('junk', 'tbank', 'cp', 'yk', 'sandbox'),
      junk,
      tbankSigned, cpSigned, ykBody, sandboxSigned,
      headers: headersArb,
      query: fc.oneof(fc.constant(''), fc.constantFrom('?kind=pay', '?kind=check', '?kind=refund', '?kind=fail', '?kind=x', '?%zz')),
    }).map((r) => {
      const headers: Record<string, string> = { ...r.headers };
      let body = r.junk;
      if (r.kind === 'tbank') body = r.tbankSigned;
      if (r.kind === 'yk') body = r.ykBody;
      if (r.kind === 'cp') {
        body = r.cpSigned;
        headers['content-hmac'] = contentHmac(CP_SECRET, body);
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      if (r.kind === 'sandbox') {
        body = r.sandboxSigned;
        headers[SANDBOX_SIGNATURE_HEADER] = signSandboxCallback(body, TEST_SECRET);
      }
      return { path: `/providers/${encodeURIComponent(r.id)}/notify${r.query}`, headers, body };
    });
    await fc.assert(fc.asyncProperty(arb, async (spec) => {
      let res: Response;
      try {
        res = await t.request(spec.path, { method: 'POST', headers: spec.headers, body: spec.body });
      } catch (e) {
        // A header value the fetch API itself refuses to build is not a request that reached us.
        if (e instanceof TypeError) return;
        throw e;
      }
      const text = await res.text();
      assert.ok(res.status < 500, `${res.status} ${spec.path} ${JSON.stringify(spec.body).slice(0, 200)} → ${text.slice(0, 200)}`);
    }), { numRuns: RUNS, includeErrorInReport: true });
    for (const [way, id] of Object.entries(awaiting)) assert.equal((await t.storage.getPayment(id))!.status, 'awaiting_payment', way);
    assert.deepEqual(await t.storage.statusCounts(), before, 'nothing changed');
    assert.equal(await t.storage.countAmountMismatches(), mismatches);
  });
});
