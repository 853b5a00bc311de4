/**
 * `103 Early Hints` in Chromium (issue #29), printed, not a test: `npx tsx bench/early-hints.ts` after
 * `npm run build`. Chromium acts on a 103 only over HTTP/2 and HTTP/3, so the hosted page and the demo
 * shop's order page are served here over HTTP/2 with TLS (a throwaway self-signed certificate from
 * `openssl`, Chromium told to accept it), through @hono/node-server's `createServer` option, from the
 * same `startDemo` as bench/buyer.ts. Each page is loaded cold on the same phone profile, in turns, with
 * the hints and without them (the request handed no `env.outgoing`, so nothing is written early).
 * Printed per page: whether Chromium took the module from the hint (`initiatorType` `early-hints`),
 * when the module's request started after the document's, and when the element's picker rendered.
 * Only 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { startDemo } from '../src/cli/demo.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CHROME_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--ignore-certificate-errors'];
const median = (xs: number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** An HTTP/2 TLS front for a fetch handler; `hints` false hands it no Node response (no 103). */
async function h2Front(fetch: (r: Request, env?: unknown) => Promise<Response>, cert: { key: Buffer; cert: Buffer }, hints: () => boolean): Promise<{ url: string; close: () => void }> {
  const server = createAdaptorServer({
    fetch: (r: Request, env?: unknown) => fetch(r, hints() ? env : { incoming: (env as { incoming: unknown }).incoming }),
    createServer: createSecureServer,
    serverOptions: { ...cert, allowHTTP1: false },
  } as Parameters<typeof createAdaptorServer>[0]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `https://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-hints-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  const demo = await startDemo({
    shopPort: 0, shopDatabase: join(dir, 'shop.sqlite'), env: { NODE_ENV: 'production' },
    overrides: { port: 0, database: `sqlite:${join(dir, 'gateway.sqlite')}`, secret: 'bench-hints-secret-0123456789abcdef' },
    log: () => {},
  });
  let hints = true;
  const gw = await h2Front(demo.gateway.gateway.fetch, cert, () => hints);
  const shop = await h2Front(demo.shop.fetch, cert, () => hints);
  const placed = await fetch(`${demo.shopUrl}/cart`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'tea=1' });
  const orderPath = placed.headers.get('location')!;
  const orderPage = await (await fetch(new URL(orderPath, demo.shopUrl))).text();
  const hostedPath = new URL(/id="pay-link" href="([^"]+)"/.exec(orderPage)![1]!.replace(/&amp;/g, '&')).pathname
    + new URL(/id="pay-link" href="([^"]+)"/.exec(orderPage)![1]!.replace(/&amp;/g, '&')).search;
  const pages = [
    { key: 'hosted', name: 'the hosted page (module hinted: same origin)', url: `${gw.url}${hostedPath}` },
    { key: 'shop', name: 'the shop\'s order page rendered on its server (gateway preconnect + module hinted)', url: `${shop.url}${orderPath}` },
  ];
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS, headless: true });
  const results = new Map<string, { hinted: number; moduleAt: number[]; pickerAt: number[] }>();
  try {
    // The shop's page hints the module its last snippet named: one load first.
    await (await fetch(new URL(orderPath, demo.shopUrl))).text();
    console.log(`early hints bench: Chromium ${browser.version()}, HTTP/2 + TLS on loopback, 4× CPU, 150 ms, 1.6 Mbps, ${RUNS} runs, Node ${process.version}`);
    for (let run = 0; run < RUNS; run++) {
      for (const p of pages) {
        for (const on of [true, false]) {
          hints = on;
          const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true, ignoreHTTPSErrors: true });
          await context.addInitScript(`(() => { const tick = () => { const el = document.querySelector('onpay-checkout'); if (el && el.shadowRoot && el.shadowRoot.querySelector('[role="radio"]')) window.__pickerAt = performance.now(); else requestAnimationFrame(tick); }; requestAnimationFrame(tick); })();`);
          const page = await context.newPage();
          const cdp = await context.newCDPSession(page);
          await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
          await cdp.send('Network.enable');
          await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 });
          await page.goto(p.url, { waitUntil: 'load', timeout: 60_000 });
          const picker = Number(await (await page.waitForFunction(() => (window as unknown as { __pickerAt?: number }).__pickerAt, null, { timeout: 60_000, polling: 50 })).jsonValue());
          const mod = await page.evaluate(() => {
            const e = performance.getEntriesByType('resource').find((r) => /\/cdn\/onpay-checkout\.[0-9a-f]+\.js$/.test(r.name)) as PerformanceResourceTiming | undefined;
            return e ? { initiator: e.initiatorType, start: e.startTime } : null;
          });
          await context.close();
          const k = `${p.key}:${on ? 'on' : 'off'}`;
          const r = results.get(k) ?? { hinted: 0, moduleAt: [], pickerAt: [] };
          if (mod?.initiator === 'early-hints') r.hinted++;
          r.moduleAt.push(mod?.start ?? NaN);
          r.pickerAt.push(picker);
          results.set(k, r);
        }
      }
      process.stdout.write(`  run ${run + 1}/${RUNS} done\n`);
    }
    console.log('\n| page | 103 | module from the hint | module requested at | element\'s picker at |\n|---|---|---|---|---|');
    for (const p of pages) {
      for (const on of ['on', 'off']) {
        const r = results.get(`${p.key}:${on}`)!;
        console.log(`| ${p.name} | ${on} | ${r.hinted}/${RUNS} | ${median(r.moduleAt).toFixed(0)} ms | ${median(r.pickerAt).toFixed(0)} ms |`);
      }
    }
  } finally {
    await browser.close();
    gw.close();
    shop.close();
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
