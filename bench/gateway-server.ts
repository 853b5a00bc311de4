/**
 * The processes bench/gateway.ts measures, each in its own process so that the load generator never
 * shares their event loop: `node --import tsx bench/gateway-server.ts <role> [json]`.
 *
 * - `hello`: a bare node:http hello-world (the baseline).
 * - `hono`: a bare Hono route on @hono/node-server answering a JSON object the size and shape of a
 *   form payload (the framework's floor under (a), for reference).
 * - `floor '{"database":"sqlite:…","stubUrl":"…"}'`: the least any payment creation with CHECK must
 *   do, by hand on node:http and better-sqlite3 with nothing else (no validation, no token, no
 *   idempotency): insert a row in the gateway's own payments table, send a signed API 2 CHECK to the
 *   stub over a kept-alive connection, check the answer's signature, update the row, answer 201. The
 *   floor under (b), for reference.
 * - `stub`: a merchant's API 2 endpoint answering every CHECK with a correctly signed
 *   `{"status":true,…}`.
 * - `gateway '{"database":"sqlite:…","stubUrl":"http://127.0.0.1:…/api","extraMerchants":0}'`: the
 *   real gateway from startGateway() with two merchants: `bench` (no notifications) and `check`
 *   (CHECK to the stub), and `extraMerchants` more (`shop-0000`, …) that are configured, not used.
 *   With `"shipped":"info"` (or `"silent"`) it runs as `npm start` runs it: the logger of
 *   src/cli/gateway.ts at that level writing JSON lines to stdout (a pipe the bench drains), the PAY
 *   dispatcher and the reconciler running, the shutdown of src/cli/shutdown.ts. Without it: no
 *   dispatcher and no logger (the older benches' gateway).
 *
 * Each prints one JSON line `{"url":"http://127.0.0.1:port"}` on stdout once it listens.
 */
import { createServer } from 'node:http';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';

/** K of the `check` merchant: the stub signs its answers with it. */
export const CHECK_MERCHANT_SECRET = 'bench-check-K';

const role = process.argv[2];
// Exit on SIGTERM (the gateway role closes first): a process killed by the signal writes no CPU profile.
if (role !== 'gateway') process.on('SIGTERM', () => process.exit(0));

function ready(url: string): void {
  process.stdout.write(`${JSON.stringify({ url })}\n`);
}

if (role === 'hello') {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello world');
  });
  server.keepAliveTimeout = 10_000;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ready(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
  });
} else if (role === 'hono') {
  // A bare Hono JSON route on @hono/node-server, served the way the gateway is: the framework's floor.
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const app = new Hono();
  const way = (code: string, kind: string, amount: string, ticker: string) => ({ code, kind, title: `Payment system ${code} (test)`, amount, ticker });
  const payload = {
    token: 'x'.repeat(560), expiresAt: new Date(0).toISOString(), merchant: { login: 'bench', name: 'Bench shop' },
    order: { payFor: 'order-42', price: '1500.0', ticker: 'RUR', mode: 'fix', note: 'bench', convert: true, priceFinal: false },
    ln: 'en', urlSuccess: 'https://shop.example/ok', urlFail: '', userEmail: '', userPhone: '',
    ways: [way('CRD', 'redirect', '1530.0', 'RUR'), way('USD', 'redirect', '17.06', 'USD'), way('EUR', 'instructions', '15.41', 'EUR'), way('RUR', 'instructions', '1500.0', 'RUR'), way('TST', 'instructions', '1500.0', 'TST')],
  };
  app.get('/', (c) => c.json(payload));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => ready(`http://127.0.0.1:${info.port}`));
  (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 10_000;
} else if (role === 'stub') {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const o = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: 'check' | 'pay'; pay_for: string };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature(o.type, true, o.pay_for, CHECK_MERCHANT_SECRET) }));
    });
  });
  server.keepAliveTimeout = 10_000;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ready(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/api`);
  });
} else if (role === 'floor') {
  const opts = JSON.parse(process.argv[3] ?? '{}') as { database: string; stubUrl: string };
  const { openDatabase } = await import('../src/server/storage/db.ts');
  const { api2CheckRequest, api2AnswerSignature: answerSignature, safeEqual } = await import('../src/protocol/onpay-api.ts');
  const { default: SQLite } = await import('better-sqlite3');
  const { randomBytes } = await import('node:crypto');
  const { Agent, request } = await import('node:http');
  // The gateway's schema, then the same pragmas the gateway uses, on a raw connection.
  await (await openDatabase(opts.database)).close();
  const db = new SQLite(opts.database.slice('sqlite:'.length));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.prepare("insert or ignore into merchants (login, name, secret, api_key_hash, notifications, api_url, api_type, api_method, notify_style, check_link_md5, origins, created_at, updated_at) values ('check', 'Bench', ?, null, 1, ?, 2, 'POST', 'onpay', 0, '[]', 0, 0)").run(CHECK_MERCHANT_SECRET, opts.stubUrl);
  const insert = db.prepare(`insert into payments (id, merchant_login, pay_for, mode, price_minor, ticker, convert, price_final, note, ln, url_success, url_fail, user_email, user_phone, extra_params, way, way_ticker, amount_minor, fee_minor, balance_minor, balance_ticker, rate, status, created_at, updated_at)
    values (?, 'check', 'bench-b', 'fix', 10000, 'RUR', 1, 0, '', 'ru', '', '', '', '', '{}', 'CRD', 'RUR', 10200, 200, 10000, 'RUR', '1.0', 'checking', ?, ?)`);
  const update = db.prepare("update payments set status = 'awaiting_payment', action = ?, updated_at = ? where id = ? and status = 'checking'");
  const agent = new Agent({ keepAlive: true });
  const stub = new URL(opts.stubUrl);
  const check = api2CheckRequest({ payFor: 'bench-b', orderAmount: '100.0', orderTicker: 'RUR', mode: 'fix', userEmail: '', userPhone: '', extraParams: {} }, CHECK_MERCHANT_SECRET);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = `pay_${randomBytes(18).toString('base64url')}`;
      insert.run(id, Date.now(), Date.now());
      const out = request(stub, { method: 'POST', agent, headers: { 'content-type': check.contentType, 'content-length': Buffer.byteLength(check.body) } }, (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (c: string) => (text += c));
        answer.on('end', () => {
          const a = JSON.parse(text) as { status: boolean; pay_for: string; signature: string };
          const ok = a.status === true && safeEqual(a.signature, answerSignature('check', true, 'bench-b', CHECK_MERCHANT_SECRET));
          const action = JSON.stringify({ type: 'redirect', url: `http://127.0.0.1/sandbox/card/${id}` });
          if (ok) update.run(action, Date.now(), id);
          res.writeHead(ok ? 201 : 422, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ id, status: ok ? 'awaiting_payment' : 'rejected', action: JSON.parse(action) as unknown }));
        });
      });
      out.end(check.body);
    });
  });
  server.keepAliveTimeout = 10_000;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ready(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
  });
} else if (role === 'gateway') {
  const opts = JSON.parse(process.argv[3] ?? '{}') as { database: string; stubUrl: string; extraMerchants?: number; shipped?: 'info' | 'silent' };
  // More merchants beside the two measured, for the bench of how cost grows with their number.
  const extra = Array.from({ length: opts.extraMerchants ?? 0 }, (_, i) => ({
    login: `shop-${String(i).padStart(4, '0')}`, name: `Shop ${i}`, secret: `shop-${i}-K`, notifications: true,
    apiUrl: opts.stubUrl, apiType: 2, origins: [`https://shop-${i}.example`], checkLinkMd5: i % 2 === 0,
  }));
  const config = parseConfig({
    port: 0,
    host: '127.0.0.1',
    database: opts.database,
    secret: 'bench-gateway-secret-0123456789abcdef',
    allowPrivateMerchantUrls: true,
    checkTimeoutMs: 10_000,
    // The benchmark is one client creating payments as fast as the gateway takes them, from one
    // form token: exactly what the rate limits refuse.
    rateLimits: { enabled: false },
    merchants: [
      { login: 'bench', name: 'Bench shop', secret: 'bench-K', notifications: false, origins: [], checkLinkMd5: false },
      { login: 'check', name: 'Bench shop with CHECK', secret: CHECK_MERCHANT_SECRET, notifications: true, apiUrl: opts.stubUrl, apiType: 2, origins: [], checkLinkMd5: false },
      ...extra,
    ],
  });
  if (opts.shipped) {
    // As an operator runs it: request logs to stdout, dispatcher and reconciler in the process.
    const { createLogger } = await import('../src/server/logger.ts');
    const { onShutdownSignal } = await import('../src/cli/shutdown.ts');
    const logger = createLogger({ level: opts.shipped });
    const gw = await startGateway(config, { logger });
    ready(gw.url);
    onShutdownSignal({ deadlineMs: config.shutdownTimeoutMs, logger, close: () => gw.close() });
  } else {
    // No PAY dispatcher: nothing is paid here, and its polling is not what is measured.
    const gw = await startGateway(config, { dispatcher: false, log: (m) => process.stderr.write(`${m}\n`) });
    ready(gw.url);
    process.on('SIGTERM', () => {
      void gw.close().then(() => process.exit(0));
    });
  }
} else {
  process.stderr.write('usage: gateway-server.ts hello | hono | floor <json> | stub | gateway <json>\n');
  process.exit(2);
}
