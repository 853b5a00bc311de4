/**
 * What the running gateway answers over real HTTP on loopback: request bodies are capped at 16 KiB
 * (4 KiB for sandbox callbacks, 8 KiB in the cabinet) whether they come with a Content-Length or chunked
 * (nothing stored past the cap), and every answer,
 * however it is built, carries the common security headers.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { TEST_SECRET } from './helpers.ts';

const LIMIT = 16 * 1024;

/** A raw request: `chunks` are sent with Transfer-Encoding: chunked unless `contentLength` is set. */
function send(url: string, path: string, chunks: string[], opts: { contentLength?: number; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.contentLength !== undefined) headers['content-length'] = opts.contentLength;
    const req = http.request(`${url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The gateway may answer 413 and close before the whole body is sent.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('the running gateway over HTTP', () => {
  let gw: RunningGateway;
  let dir: string;
  let token: string;
  const payments = async () => (await gw.storage.listPayments({ merchantLogin: 'shop', limit: 100 })).length;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-http-'));
    gw = await startGateway(parseConfig({
      port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: TEST_SECRET,
      merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop', apiKey: 'shop-cabinet-key-0123456789', origins: [], checkLinkMd5: false }],
    }), { dispatcher: false, log: () => {} });
    const res = await fetch(`${gw.url}/pay/shop?price=100&pay_for=limits`, { headers: { accept: 'application/json' } });
    token = ((await res.json()) as { token: string }).token;
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A payment body; with `padTo`, padded to that many bytes with spaces in userEmail (still JSON). */
  const body = (padTo?: number) => {
    if (padTo === undefined) return JSON.stringify({ token, way: 'CRD' });
    const bare = JSON.stringify({ token, way: 'CRD', userEmail: '' });
    return JSON.stringify({ token, way: 'CRD', userEmail: ' '.repeat(padTo - bare.length) });
  };

  describe('request bodies are capped at 16 KiB', () => {
    test('a Content-Length over the cap: 413 payload_too_large before the body is read, nothing stored', async () => {
      const before = await payments();
      const r = await send(gw.url, '/api/v1/payments', ['x'.repeat(LIMIT + 1)], { contentLength: LIMIT + 1 });
      assert.equal(r.status, 413);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'payload_too_large');
      assert.equal(await payments(), before);
    });

    test('a chunked body that grows past the cap: 413, nothing stored', async () => {
      const before = await payments();
      const big = body(LIMIT + 500);
      assert.ok(big.length > LIMIT);
      const r = await send(gw.url, '/api/v1/payments', [big.slice(0, 8000), big.slice(8000)]);
      assert.equal(r.status, 413);
      assert.equal(await payments(), before);
    });

    test('a chunked body under the cap is read whole: 201', async () => {
      const b = body();
      const r = await send(gw.url, '/api/v1/payments', [b.slice(0, 10), b.slice(10)]);
      assert.equal(r.status, 201, r.body);
      assert.equal((JSON.parse(r.body) as { status: string }).status, 'awaiting_payment');
    });

    test('every route that takes a body has its cap, by Content-Length and chunked alike', async () => {
      const created = JSON.parse((await send(gw.url, '/api/v1/payments', [body()])).body) as { id: string };
      const routes: [string, number, Record<string, string>][] = [
        ['/api/v1/payments', LIMIT, {}],
        [`/pay/shop?price=1&pay_for=cap`, LIMIT, { 'content-type': 'application/x-www-form-urlencoded' }],
        ['/pay/shop/continue', LIMIT, { 'content-type': 'application/x-www-form-urlencoded' }],
        ['/callbacks/sandbox', 4096, {}],
        [`/sandbox/card/${created.id}`, 4096, { 'content-type': 'application/x-www-form-urlencoded' }],
        [`/api/v1/cabinet/payments/${created.id}/status`, 8192, { authorization: 'Bearer shop-cabinet-key-0123456789' }],
      ];
      for (const [path, cap, headers] of routes) {
        const over = 'x'.repeat(cap + 1);
        const byLength = await send(gw.url, path, [over], { contentLength: cap + 1, headers });
        assert.equal(byLength.status, 413, `${path} with Content-Length ${cap + 1}: ${byLength.body.slice(0, 100)}`);
        const chunked = await send(gw.url, path, [over.slice(0, 1000), over.slice(1000)], { headers });
        assert.equal(chunked.status, 413, `${path} chunked ${cap + 1} bytes: ${chunked.body.slice(0, 100)}`);
        const under = await send(gw.url, path, ['x'.repeat(cap)], { contentLength: cap, headers });
        assert.ok(under.status !== 413 && under.status < 500, `${path} at the cap is read and judged: ${under.status}`);
      }
      const p = (await gw.storage.getPayment(created.id))!;
      assert.equal(p.status, 'awaiting_payment', 'nothing changed by any of it');
    });

    test('a body of exactly the cap with its Content-Length is read (and judged on its content)', async () => {
      const b = body(LIMIT);
      assert.equal(Buffer.byteLength(b), LIMIT);
      const r = await send(gw.url, '/api/v1/payments', [b], { contentLength: LIMIT });
      // Read and validated: the padded e-mail is refused by name, not by size.
      assert.equal(r.status, 400, r.body);
      assert.equal((JSON.parse(r.body) as { error: { field: string } }).error.field, 'userEmail');
    });
  });

  test('every kind of answer carries nosniff and referrer-policy; pages also a CSP', async () => {
    const created = await send(gw.url, '/api/v1/payments', [body()]);
    const id = (JSON.parse(created.body) as { id: string }).id;
    const answers: [string, Promise<Response | { status: number; headers: http.IncomingHttpHeaders }>][] = [
      ['form payload', fetch(`${gw.url}/pay/shop?price=100&pay_for=h`, { headers: { accept: 'application/json' } })],
      ['payment created', Promise.resolve(created)],
      ['payment status', fetch(`${gw.url}/api/v1/payments/${id}`)],
      ['error answer', fetch(`${gw.url}/pay/shop?price=-1&pay_for=h`, { headers: { accept: 'application/json' } })],
      ['not found', fetch(`${gw.url}/api/v1/nothing`)],
      ['health', fetch(`${gw.url}/health`)],
      ['hosted page', fetch(`${gw.url}/pay/shop?price=100&pay_for=h`, { headers: { accept: 'text/html' } })],
    ];
    for (const [name, pending] of answers) {
      const r = await pending;
      const get = (h: string) => (r instanceof Response ? r.headers.get(h) : (r.headers[h] as string | undefined) ?? null);
      assert.equal(get('x-content-type-options'), 'nosniff', name);
      assert.equal(get('referrer-policy'), 'same-origin', name);
      if (name === 'hosted page') assert.match(get('content-security-policy') ?? '', /default-src/, name);
      if (r instanceof Response) await r.arrayBuffer();
    }
  });
});
