/**
 * Structured logs of a full payment flow through the real gateway process: a payment created with
 * CHECK, paid, its PAY delivered, cabinet calls and a manual resend. Every line is JSON with the
 * fields an operator searches by, and no configured secret appears anywhere in the output.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger, redactSecrets, SECRET_FIELDS } from '../src/server/logger.ts';
import { K } from './dispatcher-fixtures.ts';
import { createPayment, payPayment, spawnGateway, startShop } from './ops-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('redaction by configuration: secret-named fields at any of three levels are never written', () => {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (s: string) => { lines.push(s); } } });
  logger.info({ secret: 'S1', merchant: { apiKey: 'S2', login: 'shop' }, req: { headers: { authorization: 'Bearer S3' } }, cardNumber: '4111111111111111', provider: { password: 'S4', config: { secretKey: 'S5' } } }, 'x');
  const text = lines.join('');
  for (const s of ['S1', 'S2', 'S3', '4111111111111111', 'S4', 'S5']) assert.ok(!text.includes(s), `${s} redacted in ${text}`);
  assert.match(text, /"login":"shop"/);
  assert.ok((SECRET_FIELDS as readonly string[]).includes('authorization'));
  assert.throws(() => createLogger({ level: 'loud' }), /LOG_LEVEL/);
  assert.throws(() => createLogger({ format: 'xml' }), /LOG_FORMAT/);
  // LOG_FORMAT=pretty loads pino-pretty (a development dependency); silent here, so the test stays quiet.
  createLogger({ format: 'pretty', level: 'silent' }).info('not shown');
});

test('redaction reaches errors, arrays and child loggers, and copies nothing when there is no secret', () => {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (s: string) => { lines.push(s); } } });
  const err = Object.assign(new Error('provider refused'), { secret: 'E1', response: { token: 'E2', code: 'denied' } });
  logger.error({ err, attempts: [{ password: 'A1', n: 1 }], cause: err }, 'failed');
  logger.child({ apiKey: 'C1', login: 'm' }).child({ merchant: { secretKey: 'C2' } }).info({ 'set-cookie': 'C3' }, 'child');
  const text = lines.join('');
  for (const s of ['E1', 'E2', 'A1', 'C1', 'C2', 'C3']) assert.ok(!text.includes(s), `${s} redacted in ${text}`);
  const [failed, child] = lines.map((l) => JSON.parse(l) as Record<string, any>);
  // The error keeps what pino writes of it (type, message, stack) beside its redacted fields.
  assert.equal(failed!.err.type, 'Error');
  assert.equal(failed!.err.message, 'provider refused');
  assert.match(failed!.err.stack, /provider refused/);
  assert.equal(failed!.err.response.code, 'denied');
  assert.equal(failed!.err.secret, '[redacted]');
  assert.equal(failed!.cause.message, 'provider refused', 'an error under another key, copied, keeps its message');
  assert.deepEqual(failed!.attempts, [{ password: '[redacted]', n: 1 }]);
  assert.equal(child!.login, 'm');
  assert.equal(child!.apiKey, '[redacted]');
  assert.deepEqual(child!.merchant, { secretKey: '[redacted]' });
  // Four levels down is past the documented three: left as it is (what pino's redact paths did).
  const deep = { a: { b: { c: { token: 'kept' } } } };
  assert.equal(redactSecrets(deep), deep, 'no secret within three levels: the same object, not a copy');
  const line = { reqId: 'r', status: 200, merchant: { login: 'shop' } };
  assert.equal(redactSecrets(line), line);
});

test('a full flow through the gateway process logs one JSON line per request, CHECK, PAY and manual change, and no secret', { timeout: 60_000 }, async () => {
  const gatewaySecret = 'gw-secret-which-must-never-be-logged-0123456789';
  const apiKey = 'cabinet-key-which-must-never-be-logged';
  const merchantK = `${K}`; // the shop's K, from the environment
  const secretFile = join(dir, 'gateway-secret');
  writeFileSync(secretFile, `${gatewaySecret}\n`);
  const keyFile = join(dir, 'api-key');
  writeFileSync(keyFile, apiKey);
  const shop = await startShop(merchantK);
  const gw = await spawnGateway(join(dir, 'gw.json'), {
    port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, allowPrivateMerchantUrls: true, dispatcher: { pollMs: 50 },
    merchants: [{ login: 'shop', name: 'Shop', secret: { env: 'SHOP_K' }, apiKey: { file: keyFile }, notifications: true, apiUrl: shop.url, apiType: 2, checkLinkMd5: false, origins: ['https://shop.example'] }],
  }, { ONPAY_SECRET_FILE: secretFile, SHOP_K: merchantK, LOG_LEVEL: 'info' });
  try {
    const created = await createPayment(gw.url, 'shop', 'order-1', { headers: { 'x-request-id': 'req-test-1' } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('x-request-id'), 'req-test-1', 'the request id is echoed');
    // Without one, every answer carries the generated id: a JSON answer (built with its headers in
    // one step) and a page (headers added to the finished answer) alike, each its own.
    const ids = [];
    for (const accept of ['application/json', 'text/html']) {
      const r = await fetch(`${gw.url}/pay/shop?price=100&pay_for=ids`, { headers: { accept } });
      assert.equal(r.status, 200);
      ids.push(r.headers.get('x-request-id'));
    }
    for (const v of ids) assert.match(v ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notEqual(ids[0], ids[1]);
    const id = created.body.id;
    assert.equal(await payPayment(gw.url, id), 200);
    const auth = { authorization: `Bearer ${apiKey}` };
    const t0 = Date.now();
    for (;;) {
      const r = await fetch(`${gw.url}/api/v1/cabinet/payments/${id}`, { headers: auth });
      const d = (await r.json()) as { notifications?: { status: string }[] };
      if (d.notifications?.[0]?.status === 'delivered') break;
      assert.ok(Date.now() - t0 < 15_000, 'PAY delivered');
      await new Promise((r) => setTimeout(r, 100));
    }
    const resend = await fetch(`${gw.url}/api/v1/cabinet/payments/${id}/resend`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'test' }) });
    assert.equal(resend.status, 201);
    const refused = await fetch(`${gw.url}/api/v1/cabinet/me`, { headers: { authorization: `Bearer ${apiKey}-wrong` } });
    assert.equal(refused.status, 401);
    await gw.waitFor(/"msg":"manual change"/);
    gw.child.kill('SIGTERM');
    assert.equal((await gw.exit).code, 0);
    const output = gw.output();
    for (const secret of [gatewaySecret, apiKey, merchantK, `${apiKey}-wrong`]) {
      assert.ok(!output.includes(secret), `a secret appears in the log: ${secret}`);
    }
    const lines = gw.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    const create = requests.find((l) => l.route === '/api/v1/payments');
    assert.ok(create, 'a request line for the payment creation');
    assert.equal(create.reqId, 'req-test-1');
    assert.equal(create.method, 'POST');
    assert.equal(create.status, 201);
    assert.equal(create.paymentId, id);
    assert.equal(create.merchantLogin, 'shop');
    assert.equal(typeof create.durationMs, 'number');
    const cabinetLine = requests.find((l) => l.route === '/api/v1/cabinet/payments/:id');
    assert.equal(cabinetLine?.merchantLogin, 'shop');
    assert.equal(cabinetLine?.paymentId, id);
    assert.ok(requests.every((l) => typeof l.reqId === 'string' && typeof l.status === 'number'));
    const check = lines.find((l) => l.msg === 'check');
    assert.equal(check?.reqId, 'req-test-1', 'the CHECK line carries the request id');
    assert.equal(check?.verdict, 'accepted');
    const pays = lines.filter((l) => l.msg === 'pay attempt');
    assert.ok(pays.length >= 1 && pays.every((l) => l.paymentId === id), 'one line per PAY attempt');
    assert.equal(pays[0]!.status, 'delivered');
    assert.ok(lines.some((l) => l.msg === 'manual change' && l.action === 'resend'));
  } finally {
    gw.child.kill('SIGKILL');
    await shop.close();
  }
});

test('SIGTERM right after a burst of requests: every request line is written before the process exits', { timeout: 60_000 }, async () => {
  const gw = await spawnGateway(join(dir, 'flush.json'), {
    port: 0, database: `sqlite:${join(dir, 'flush.sqlite')}`,
    merchants: [{ login: 'shop', name: 'Shop', secret: 'flush-K', notifications: false, checkLinkMd5: false, origins: [] }],
  }, { LOG_LEVEL: 'info' });
  try {
    const n = 400;
    const ids = Array.from({ length: n }, (_, i) => `flush-${i}`);
    // Form payloads in parallel: a line each, many of them still in the logger's buffer at the signal.
    const answers = await Promise.all(ids.map((id, i) => fetch(`${gw.url}/pay/shop?price=100&pay_for=f${i}`, { headers: { accept: 'application/json', 'x-request-id': id } }).then(async (r) => { await r.arrayBuffer(); return r.status; })));
    assert.ok(answers.every((s) => s === 200));
    gw.child.kill('SIGTERM');
    assert.equal((await gw.exit).code, 0);
    const lines = gw.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const logged = new Set(lines.filter((l) => l.msg === 'request').map((l) => l.reqId));
    const missing = ids.filter((id) => !logged.has(id));
    assert.deepEqual(missing, [], 'every answered request has its line');
    assert.equal(lines.at(-1)?.msg, 'stopped', 'the last line, written after the server closed, is there too');
  } finally {
    gw.child.kill('SIGKILL');
  }
});
