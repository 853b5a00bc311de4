/**
 * The form payload at a URL of its own (issue #29), over real HTTP on loopback: JSON without an
 * Accept header (what a `<link rel=preload as=fetch crossorigin>` sends), the merchant's origins
 * checked as for the link; the kit's `payloadUrl` is exactly the URL the element asks for; the hosted
 * page carries the payload as the element's JSON child and loads the element by its hashed name.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { finishCdnBuild } from '../src/server/http/cdn-files.ts';
import { preloadLinks, signPaymentLink } from '../src/merchant/index.ts';
import { LINK_PARAMS, EXTRA_PARAM_PREFIX } from '../src/protocol/link-params.ts';
import type { FormPayload } from '../src/protocol/checkout-api.ts';
import { TEST_SECRET } from './helpers.ts';

const K = 'K-payload-shop';

/** The element's query from its attributes, as `linkQuery()` in onpay-checkout.ts writes it. */
function elementQuery(attributes: Record<string, string>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [wire, attribute] of LINK_PARAMS) if (attributes[attribute] !== undefined) q.set(wire, attributes[attribute]);
  for (const [k, v] of new URLSearchParams(attributes.params ?? '')) if (k.startsWith(EXTRA_PARAM_PREFIX)) q.set(k, v);
  return q;
}

describe('the payload URL', () => {
  let gw: RunningGateway;
  let dir: string;
  let manifest: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-payload-'));
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

  test('the kit\'s payloadUrl is the element\'s request, and answers JSON with no Accept header', async () => {
    const link = signPaymentLink({
      gateway: gw.url, merchantLogin: 'shop', secret: K, price: '1250.5', payFor: 'order 42/«x»', note: 'a&b <c>', ln: 'en',
      urlSuccess: 'https://shop.example/ok?a=1&b=2', extraParams: { source: 'site', 'onpay_ap_x': 'y z' },
    });
    const { gateway, 'merchant-login': login } = link.attributes;
    assert.equal(link.payloadUrl, `${gateway}/pay/${encodeURIComponent(login!)}/payload?${elementQuery(link.attributes).toString()}`);
    // As a preload sends it: no Accept of its own, the shop's Origin.
    const res = await fetch(link.payloadUrl, { headers: { origin: 'https://shop.example' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
    const payload = (await res.json()) as FormPayload;
    assert.equal(payload.order.payFor, 'order 42/«x»');
    assert.equal(payload.order.price, '1250.5');
    assert.ok(payload.token.length > 20);
    // The same payload as the link's JSON answer.
    const viaLink = (await (await fetch(link.url, { headers: { accept: 'application/json' } })).json()) as FormPayload;
    assert.deepEqual({ ...viaLink, token: '', expiresAt: '' }, { ...payload, token: '', expiresAt: '' });

    const head = preloadLinks(link, { script: `${gw.url}/cdn/onpay-checkout.js` });
    assert.equal(head, `<link rel="preload" as="fetch" crossorigin href="${link.payloadUrl.replace(/&/g, '&amp;')}">\n<link rel="modulepreload" crossorigin href="${gw.url}/cdn/onpay-checkout.js">`);
  });

  test('an origin the merchant did not list learns nothing; a bad link is a 4xx naming the field', async () => {
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: K, price: '10', payFor: '1' });
    const evil = await fetch(link.payloadUrl, { headers: { origin: 'https://evil.example' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    assert.equal(((await evil.json()) as { error: { code: string } }).error.code, 'origin_forbidden');
    const forged = await fetch(link.payloadUrl.replace('price=10.0', 'price=1.0'));
    const body = (await forged.json()) as { error: { code: string; field?: string } };
    assert.equal(forged.status, 403, JSON.stringify(body));
    assert.equal(body.error.field, 'md5');
  });

  test('the hosted page: the payload as the element\'s JSON child, the script by its hashed name', async () => {
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: K, price: '10', payFor: '</script><b>x' });
    const page = await (await fetch(link.url, { headers: { accept: 'text/html' } })).text();
    assert.ok(page.includes(`<script type="module" src="/cdn/${manifest['onpay-checkout.js']}"></script>`), 'the hashed script');
    const m = /<script type="application\/json" slot="payload">([^<]*)<\/script>/.exec(page);
    assert.ok(m, 'the payload child, with no `<` inside it');
    const payload = JSON.parse(m[1]!) as FormPayload;
    assert.equal(payload.order.payFor, '</script><b>x');
    assert.ok(payload.token.length > 20);
    // The plain form is still there for a browser without JavaScript, after the payload.
    assert.ok(page.indexOf('slot="payload"') < page.indexOf('<form class="onpay-form"'));
  });

  test('the hosted page inlines its stylesheet, allowed by its hash and nothing else inline', async () => {
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: K, price: '10', payFor: 'css-1' });
    const res = await fetch(link.url, { headers: { accept: 'text/html' } });
    const page = await res.text();
    assert.ok(!page.includes('<link rel="stylesheet"'), 'no render-blocking stylesheet request');
    const css = readFileSync(new URL('../src/server/assets/gateway.css', import.meta.url), 'utf8');
    assert.ok(page.includes(`<style>${css}</style>`));
    const csp = res.headers.get('content-security-policy') ?? '';
    const hash = createHash('sha256').update(css, 'utf8').digest('base64');
    assert.match(csp, new RegExp(`style-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
    assert.ok(!csp.includes('unsafe-inline'));
    assert.match(csp, /script-src 'self'(;|$)/, 'scripts as strict as before');
    // Other pages keep the linked stylesheet and the plain policy.
    const error = await fetch(`${gw.url}/pay/nobody?price=1&pay_for=1`, { headers: { accept: 'text/html' } });
    assert.ok((await error.text()).includes('<link rel="stylesheet" href="/assets/gateway.css">'));
    assert.match(error.headers.get('content-security-policy') ?? '', /style-src 'self';/);
  });

  test('the HTML snippet carries the payload too, so the shop\'s page needs no request before the picker', async () => {
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: K, price: '10', payFor: 'snip-1' });
    const res = await fetch(`${gw.url}/pay/shop/snippet?${new URLSearchParams(link.query).toString()}`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const m = /<onpay-checkout[^>]*>\s*<script type="application\/json" slot="payload">([^<]*)<\/script>/.exec(text);
    assert.ok(m, text);
    const payload = JSON.parse(m[1]!) as FormPayload;
    assert.equal(payload.order.payFor, 'snip-1');
    assert.match(text, /<form class="onpay-form" method="post" action="[^"]+\/pay\/shop\/continue">/, 'the plain form, posting to the gateway, instead of a link');
  });
});
