/**
 * The picker rendered on the shop's server (issue #29), over real HTTP on loopback: the gateway's
 * snippet carries the plain form (posting to the gateway) beside the payload child and loads the
 * element by its hashed name; the kit's `fetchCheckoutHtml` pastes it, or falls back to the bare
 * element with the gateway's reason; the plain form from the shop's page creates a payment; the
 * hosted page sends `103 Early Hints` with its module.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { finishCdnBuild } from '../src/server/http/cdn-files.ts';
import { fetchCheckoutHtml, signPaymentLink } from '../src/merchant/index.ts';
import type { FormPayload } from '../src/protocol/checkout-api.ts';
import { TEST_SECRET } from './helpers.ts';

const K = 'K-server-render-shop';

/** A GET with node:http, collecting the informational (1xx) answers before the final one. */
function getWithInformational(url: string, headers: Record<string, string> = {}): Promise<{ informational: { statusCode: number; headers: Record<string, string | string[]> }[]; status: number }> {
  return new Promise((resolve, reject) => {
    const informational: { statusCode: number; headers: Record<string, string | string[]> }[] = [];
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ informational, status: res.statusCode ?? 0 }));
    });
    req.on('information', (info) => informational.push({ statusCode: info.statusCode, headers: info.headers as Record<string, string | string[]> }));
    req.on('error', reject);
    req.end();
  });
}

describe('the picker rendered on the shop\'s server', () => {
  let gw: RunningGateway;
  let dir: string;
  let manifest: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-ssr-'));
    const cdn = join(dir, 'cdn');
    mkdirSync(cdn);
    writeFileSync(join(cdn, 'onpay-checkout.js'), 'export {};\n');
    manifest = finishCdnBuild(cdn);
    gw = await startGateway(parseConfig({
      port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: TEST_SECRET,
      merchants: [{ login: 'shop', name: 'Shop', secret: K, origins: ['https://shop.example'], checkLinkMd5: true }],
    }), { dispatcher: false, log: () => {}, cdnDir: cdn, cacheAssets: true });
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the snippet: the plain form posting to the gateway, the payload, the hashed module', async () => {
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: K, price: '10', payFor: 'ssr-1' });
    const res = await fetch(link.snippetUrl);
    assert.equal(res.status, 200);
    const text = await res.text();
    const hashed = `${gw.config.publicUrl}/cdn/${manifest['onpay-checkout.js']}`;
    assert.notEqual(manifest['onpay-checkout.js'], 'onpay-checkout.js');
    assert.ok(text.includes(`<script type="module" src="${hashed}"></script>`), text);
    assert.equal(res.headers.get('link'), `<${hashed}>; rel=modulepreload; crossorigin`);
    assert.equal(res.headers.get('cache-control'), 'no-store', 'the form carries a fresh token and key');
    const payload = JSON.parse(/<script type="application\/json" slot="payload">([^<]*)<\/script>/.exec(text)![1]!) as FormPayload;
    const form = /<form class="onpay-form" method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(text);
    assert.ok(form, 'the plain form is in the snippet');
    assert.equal(form[1], `${gw.config.publicUrl}/pay/shop/continue`, 'it posts to the gateway, not to the shop');
    assert.ok(form[2]!.includes(`name="token" value="${payload.token}"`));
    for (const w of payload.ways) assert.ok(form[2]!.includes(`value="${w.code}"`), w.code);
    // The form is inside the element, after the payload: the element keeps it on show until it renders.
    assert.ok(text.indexOf('slot="payload"') < text.indexOf('<form') && text.indexOf('<form') < text.indexOf('</onpay-checkout>'));
  });

  test('the plain form of the snippet, posted from the shop\'s page, creates the payment', async () => {
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: K, price: '10', payFor: 'ssr-2' });
    const { html, serverRendered } = await fetchCheckoutHtml(link);
    assert.ok(serverRendered);
    const token = /name="token" value="([^"]+)"/.exec(html)![1]!;
    const key = /name="idempotency_key" value="([^"]+)"/.exec(html)![1]!;
    const way = /name="way" value="([A-Z]{3})"/.exec(html)![1]!;
    const res = await fetch(`${gw.url}/pay/shop/continue`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://shop.example' },
      body: new URLSearchParams({ token, idempotency_key: key, way, user_email: '' }).toString(),
    });
    assert.equal(res.status, 303, await res.text());
    const location = res.headers.get('location') ?? '';
    assert.ok(location.length > 0);
    // The same form sent twice (a double click) is the same payment.
    const again = await fetch(`${gw.url}/pay/shop/continue`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://shop.example' },
      body: new URLSearchParams({ token, idempotency_key: key, way, user_email: '' }).toString(),
    });
    assert.equal(again.status, 303);
    assert.equal(again.headers.get('location'), location);
  });

  test('the kit falls back to the bare element, with the gateway\'s reason, when the link is refused or the gateway is away', async () => {
    const bad = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: 'not-K', price: '10', payFor: 'ssr-3' });
    const refused = await fetchCheckoutHtml(bad);
    assert.equal(refused.serverRendered, false);
    assert.match(refused.reason ?? '', /^gateway answered 4\d\d: .*md5/);
    assert.match(refused.html, /^<script type="module" src="[^"]+\/cdn\/onpay-checkout\.js"><\/script>\n<onpay-checkout gateway="[^"]+" merchant-login="shop"[^>]*><\/onpay-checkout>$/);
    assert.ok(!refused.html.includes('not-K'));
    const away = signPaymentLink({ gateway: 'http://127.0.0.1:9', merchantLogin: 'shop', secret: K, price: '10', payFor: 'ssr-4' });
    const down = await fetchCheckoutHtml(away, { timeoutMs: 2000 });
    assert.equal(down.serverRendered, false);
    assert.match(down.reason ?? '', /^gateway unreachable: /);
  });

  test('the hosted page sends 103 Early Hints with its module before the page; JSON answers do not', async () => {
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: K, price: '10', payFor: 'ssr-5' });
    const page = await getWithInformational(link.url, { accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.deepEqual(page.informational.map((i) => [i.statusCode, i.headers.link]), [[103, `</cdn/${manifest['onpay-checkout.js']}>; rel=modulepreload; crossorigin`]]);
    const json = await getWithInformational(link.url, { accept: 'application/json' });
    assert.equal(json.status, 200);
    assert.deepEqual(json.informational, []);
  });
});
