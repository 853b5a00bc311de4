/**
 * `requestTimeoutMs` bounds the whole request, headers and body (issue 30 item 12), tested with real
 * slow clients over a socket against the real gateway: a body trickled under its Content-Length and
 * headers that never end both get `408` within the deadline (not Node's 300 s), and are logged as
 * 408; a client that gives up mid-body is logged as a 400, never a 500; a request that arrives in
 * time is not touched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { createLogger } from '../src/server/logger.ts';
import { TEST_SECRET } from './helpers.ts';

const DEADLINE_MS = 600;

interface RawResult { answer: string; ms: number }

/**
 * Sends `head` at once, then `drip` every 100 ms until the server closes the connection (or `giveUpMs`
 * passes, when the client closes it itself). Resolves with what the server answered and when.
 */
function slowClient(port: number, head: string, drip: string, giveUpMs = 10_000): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setInterval(() => { if (!socket.destroyed) socket.write(drip); }, 100);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (d) => { answer += d.toString('latin1'); });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, ms: performance.now() - started });
    });
    socket.on('connect', () => socket.write(head));
    socket.setTimeout(30_000, () => reject(new Error('no answer in 30 s')));
  });
}

describe('requestTimeoutMs', () => {
  let gw: RunningGateway;
  const lines: Record<string, unknown>[] = [];
  const waitForLog = async (pred: (l: Record<string, unknown>) => boolean, what: string) => {
    for (let i = 0; i < 100; i++) {
      const found = lines.find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no log line: ${what}\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
  };

  before(async () => {
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } } });
    gw = await startGateway(parseConfig({
      port: 0, database: `sqlite:${join(mkdtempSync(join(tmpdir(), 'onpay-deadline-')), 'gw.sqlite')}`, secret: TEST_SECRET,
      requestTimeoutMs: DEADLINE_MS,
      merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop-0123456789', origins: [], checkLinkMd5: false }],
    }), { dispatcher: false, logger });
  });
  after(() => gw?.close());

  test('the default is 30 s; the key is checked', () => {
    assert.equal(parseConfig({ secret: TEST_SECRET }).requestTimeoutMs, 30_000);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, requestTimeoutMs: 5 }), /requestTimeoutMs/);
    assert.throws(() => parseConfig({ secret: TEST_SECRET, requestTimeoutMs: '30s' }), /requestTimeoutMs/);
  });

  test('a body trickled under its Content-Length gets 408 at the deadline, and is logged as 408 (no 500, no "unexpected error")', async () => {
    const head = 'POST /api/v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{';
    const r = await slowClient(gw.port, head, ' ');
    assert.match(r.answer, /^HTTP\/1\.1 408 /);
    // The deadline, noticed within a tenth of it, plus an honest margin for a loaded machine.
    assert.ok(r.ms >= DEADLINE_MS - 50 && r.ms < DEADLINE_MS + 4000, `answered after ${Math.round(r.ms)} ms`);
    const line = await waitForLog((l) => l.msg === 'request' && l.route === '/api/v1/payments', 'the request line');
    assert.equal(line.status, 408);
    assert.ok(!lines.some((l) => l.msg === 'unexpected error' || l.status === 500), 'no 500 logged');
  });

  test('headers that never end get 408 at the deadline, logged as 408', async () => {
    const r = await slowClient(gw.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: a\r\n');
    assert.match(r.answer, /^HTTP\/1\.1 408 /);
    assert.ok(r.ms >= DEADLINE_MS - 50 && r.ms < DEADLINE_MS + 4000, `answered after ${Math.round(r.ms)} ms`);
    const line = await waitForLog((l) => l.status === 408 && typeof l.msg === 'string' && /headers did not arrive/.test(l.msg), 'the header timeout');
    assert.equal(line.remoteAddress, '127.0.0.1');
  });

  test('a client that gives up mid-body is logged as 400, not 500', async () => {
    lines.length = 0;
    const head = 'POST /api/v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{';
    const r = await slowClient(gw.port, head, ' ', 250);
    assert.equal(r.answer, '', 'it left before any answer');
    const line = await waitForLog((l) => l.msg === 'request' && l.route === '/api/v1/payments', 'the request line');
    assert.equal(line.status, 400);
    assert.ok(!lines.some((l) => l.msg === 'unexpected error' || l.status === 500), 'no 500 logged');
  });

  test('a request that arrives within the deadline is answered as usual, on the same kind of socket', async () => {
    const body = JSON.stringify({ token: 'x', way: 'CRD' });
    const head = `POST /api/v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const r = await slowClient(gw.port, head + body, '', 5000);
    assert.match(r.answer, /^HTTP\/1\.1 400 /);
    assert.match(r.answer, /"field":"token"/);
  });
});
