/**
 * Compressed answers over real HTTP on loopback: pages and JSON in brotli or gzip by Accept-Encoding,
 * small answers and status streams as they are, and the element's CDN files from the bytes the build
 * compressed, under content-hashed names cached as `immutable` and plain names with an ETag.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { finishCdnBuild } from '../src/server/http/cdn-files.ts';
import { pickEncoding } from '../src/server/http/compress.ts';
import { TEST_SECRET } from './helpers.ts';

/** A GET with exact headers (fetch would decode the body and hide what came on the wire). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

const decode = (r: { headers: http.IncomingHttpHeaders; body: Buffer }): string => {
  const e = r.headers['content-encoding'];
  return (e === 'br' ? brotliDecompressSync(r.body) : e === 'gzip' ? gunzipSync(r.body) : r.body).toString('utf8');
};

test('Accept-Encoding: brotli preferred on a tie, q-values and * respected, q=0 refuses', () => {
  assert.equal(pickEncoding('gzip, deflate, br, zstd'), 'br');
  assert.equal(pickEncoding('gzip'), 'gzip');
  assert.equal(pickEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
  assert.equal(pickEncoding('br;q=0, gzip'), 'gzip');
  assert.equal(pickEncoding('*'), 'br');
  assert.equal(pickEncoding('*;q=0'), null);
  assert.equal(pickEncoding('identity'), null);
  assert.equal(pickEncoding(''), null);
  assert.equal(pickEncoding(undefined), null);
  assert.equal(pickEncoding('deflate'), null);
  assert.equal(pickEncoding('br, gzip', { br: false, gzip: true }), 'gzip', 'only what is available');
});

describe('compressed answers of the running gateway', () => {
  let gw: RunningGateway;
  let dir: string;
  let cdn: string;
  let manifest: Record<string, string>;
  const script = `/* the element */\n${Array.from({ length: 300 }, (_, i) => `export const v${i} = ${i};`).join('\n')}\n`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-compress-'));
    cdn = join(dir, 'cdn');
    mkdirSync(cdn);
    writeFileSync(join(cdn, 'onpay-checkout.js'), script);
    writeFileSync(join(cdn, 'onpay-checkout.uk.js'), 'export default {};\n');
    manifest = finishCdnBuild(cdn);
    gw = await startGateway(parseConfig({
      port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: TEST_SECRET,
      merchants: [{ login: 'shop', name: 'Shop', secret: 'K-shop', origins: [], checkLinkMd5: false }],
    }), { dispatcher: false, log: () => {}, cdnDir: cdn, cacheAssets: true });
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the hosted page: brotli, gzip or none, as asked, the same page either way', async () => {
    const url = `${gw.url}/pay/shop?price=100&pay_for=page-1`;
    const plain = await get(url, { accept: 'text/html' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    for (const [ae, coding] of [['gzip, deflate, br', 'br'], ['gzip', 'gzip'], ['br;q=0, gzip', 'gzip']] as const) {
      const r = await get(url, { accept: 'text/html', 'accept-encoding': ae });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], coding, ae);
      assert.match(String(r.headers.vary), /accept-encoding/i);
      assert.equal(Number(r.headers['content-length']), r.body.length);
      assert.ok(r.body.length < plain.body.length * 0.6, `${coding}: ${r.body.length} of ${plain.body.length} bytes`);
      const text = decode(r);
      // The page carries a fresh token each time: compared without it.
      const untokened = (s: string) => s.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U').replace(/[A-Za-z0-9_-]{40,}(\.[A-Za-z0-9_-]+)*/g, 'T').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'D');
      assert.equal(untokened(text), untokened(plain.body.toString('utf8')));
      // The common headers are still there.
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.ok(r.headers['content-security-policy']);
    }
  });

  test('the form payload JSON compressed; a small error answer left as it is', async () => {
    const r = await get(`${gw.url}/pay/shop?price=100&pay_for=json-1`, { accept: 'application/json', 'accept-encoding': 'gzip' });
    assert.equal(r.status, 200);
    assert.ok(decode(r).length >= 1024, 'the form payload is over the threshold');
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers['cache-control'], 'no-store');
    const payload = JSON.parse(decode(r)) as { merchant: { login: string } };
    assert.equal(payload.merchant.login, 'shop');
    const small = await get(`${gw.url}/pay/nobody?price=100&pay_for=x`, { accept: 'application/json', 'accept-encoding': 'br' });
    assert.equal(small.status, 404);
    assert.equal(small.headers['content-encoding'], undefined, 'under 1 KB: not worth it');
    assert.match(small.body.toString(), /not_found|unknown/);
  });

  test('CDN: the hashed name immutable, from the bytes the build compressed', async () => {
    const hashed = manifest['onpay-checkout.js']!;
    assert.match(hashed, /^onpay-checkout\.[0-9a-f]{10}\.js$/);
    const br = await get(`${gw.url}/cdn/${hashed}`, { 'accept-encoding': 'gzip, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(br.body, readFileSync(join(cdn, `${hashed}.br`)), 'the precomputed bytes, not made per request');
    assert.equal(brotliDecompressSync(br.body).toString(), script);
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(br.headers['access-control-allow-origin'], '*');
    assert.match(String(br.headers.vary), /accept-encoding/i);
    const gz = await get(`${gw.url}/cdn/${hashed}`, { 'accept-encoding': 'gzip' });
    assert.equal(gunzipSync(gz.body).toString(), script);
    const none = await get(`${gw.url}/cdn/${hashed}`);
    assert.equal(none.headers['content-encoding'], undefined);
    assert.equal(none.body.toString(), script);
    assert.notEqual(br.headers.etag, none.headers.etag, 'each coding its own validator');
  });

  test('CDN: the plain name short-cached with an ETag, 304 when it still matches', async () => {
    const first = await get(`${gw.url}/cdn/onpay-checkout.js`, { 'accept-encoding': 'br' });
    assert.equal(first.status, 200);
    assert.equal(first.headers['cache-control'], 'public, max-age=300');
    const etag = first.headers.etag!;
    assert.match(etag, /^"[0-9a-f]{10}-br"$/);
    const again = await get(`${gw.url}/cdn/onpay-checkout.js`, { 'accept-encoding': 'br', 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    const other = await get(`${gw.url}/cdn/onpay-checkout.js`, { 'accept-encoding': 'br', 'if-none-match': '"0000000000-br"' });
    assert.equal(other.status, 200);
    // A chunk the entries import by its plain name is compressed too.
    const chunk = await get(`${gw.url}/cdn/onpay-checkout.uk.js`, { 'accept-encoding': 'gzip' });
    assert.equal(chunk.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(chunk.body).toString(), 'export default {};\n');
    const missing = await get(`${gw.url}/cdn/onpay-checkout.nope.js`);
    assert.equal(missing.status, 404);
  });
});
