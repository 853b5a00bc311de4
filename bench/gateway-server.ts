/**
 * The processes bench/gateway.ts measures, each in its own process so that the load generator never
 * shares their event loop: `node --import tsx bench/gateway-server.ts <role> [json]`.
 *
 * - `hello`: a bare node:http hello-world (the baseline).
 * - `hono`: a bare Hono JSON route on @hono/node-server (the framework's floor, for reference).
 * - `stub`: a merchant's API 2 endpoint answering every CHECK with a correctly signed
 *   `{"status":true,…}`.
 * - `gateway '{"database":"sqlite:…","stubUrl":"http://127.0.0.1:…/api"}'`: the real gateway from
 *   startGateway() with two merchants: `bench` (no notifications) and `check` (CHECK to the stub).
 *
 * Each prints one JSON line `{"url":"http://127.0.0.1:port"}` on stdout once it listens.
 */
import { createServer } from 'node:http';
import { api2AnswerSignature } from '../src/server/protocol.ts';
import { startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';

/** K of the `check` merchant: the stub signs its answers with it. */
export const CHECK_MERCHANT_SECRET = 'bench-check-K';

const role = process.argv[2];

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
  app.get('/', (c) => c.json({ hello: 'world' }));
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
} else if (role === 'gateway') {
  const opts = JSON.parse(process.argv[3] ?? '{}') as { database: string; stubUrl: string };
  const config = parseConfig({
    port: 0,
    host: '127.0.0.1',
    database: opts.database,
    secret: 'bench-gateway-secret-0123456789abcdef',
    allowPrivateMerchantUrls: true,
    checkTimeoutMs: 10_000,
    merchants: [
      { login: 'bench', name: 'Bench shop', secret: 'bench-K', notifications: false, origins: [] },
      { login: 'check', name: 'Bench shop with CHECK', secret: CHECK_MERCHANT_SECRET, notifications: true, apiUrl: opts.stubUrl, apiType: 2, origins: [] },
    ],
  });
  // No PAY dispatcher: nothing is paid here, and its polling is not what is measured.
  const gw = await startGateway(config, { dispatcher: false, log: (m) => process.stderr.write(`${m}\n`) });
  ready(gw.url);
  process.on('SIGTERM', () => {
    void gw.close().then(() => process.exit(0));
  });
} else {
  process.stderr.write('usage: gateway-server.ts hello | hono | stub | gateway <json>\n');
  process.exit(2);
}
