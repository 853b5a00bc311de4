/**
 * The buyer's wait (issue #29), printed, not a test: `npx tsx bench/buyer.ts` after `npm run build`.
 *
 * Debian's Chromium (`CHROME_PATH`, default /usr/bin/chromium) through playwright-core, with a
 * mid-range phone's profile set over CDP on every page: 4× CPU slowdown
 * (`Emulation.setCPUThrottlingRate`), 150 ms latency and 1.6 Mbps down / 750 kbps up
 * (`Network.emulateNetworkConditions`), a 390×844 viewport. Cold: a new browser context (empty
 * cache) per load; warm: the same page loaded again in that context.
 *
 * Pages, in turns (floor, shop, hosted, hosted without JavaScript; then again), `BENCH_RUNS` (7) each:
 * - the floor: a static page (its own server on loopback) with the hosted page's picker as plain
 *   HTML and its CSS inline: one round trip;
 * - the demo shop's order page with `<onpay-checkout>` (the kit's preload of the payload in its head);
 * - the demo shop's snippet page (the gateway's HTML snippet pasted by the shop's server, the payload
 *   inside the element: no request to the gateway before the picker);
 * - the gateway's hosted page with JavaScript (the element upgrading the server-rendered form);
 * - the hosted page without JavaScript.
 * "Picker usable" is the first animation frame in which the radio buttons of the picker exist (the
 * element's own, in its shadow root, where there is an element): `performance.now()` from the
 * navigation's start. Without JavaScript no script can watch: there, and beside it for the floor,
 * first contentful paint from CDP's lifecycle events, against the document request's start.
 * Medians; ratios against the floor of the same run. The gateway and the shop run in this process
 * (`startDemo`, as `npm start` runs them, assets cached as in production); only 127.0.0.1.
 *
 * Not emulated (as in the issue): the connection to each origin (TCP, TLS), about two more round
 * trips on a real first visit to the gateway.
 */
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { runIntegrationMatrix } from '../src/merchant/index.ts';
import { DEMO_MERCHANT } from '../src/server/bootstrap.ts';
import { formatAmount } from '../src/protocol/money.ts';
import { startDemo } from '../src/cli/demo.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PROFILE = { cpu: 4, latencyMs: 150, downBps: 1.6e6, upBps: 0.75e6, width: 390, height: 844 };
const CHROME_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

/**
 * Set in every page and frame before its own scripts: `__formAt`, the first frame in which a radio
 * button of a picker is on show (the server's form inside the element counts: the buyer can choose
 * and pay with it); `__pickerAt`, the first frame with the element's own picker (or, with no element,
 * the page's radios); `__cardAt`, the first frame of a card page with its «Оплатить» button, as an
 * epoch time (compared across frames).
 */
const WATCH = `(() => {
  const shown = (n) => !!n && n.getClientRects().length > 0;
  const picker = () => {
    const el = document.querySelector('onpay-checkout');
    if (el) return !!(el.shadowRoot && el.shadowRoot.querySelector('[role="radio"]'));
    return !!document.querySelector('input[type="radio"]');
  };
  const form = () => picker() || shown(document.querySelector('input[type="radio"]'));
  const tick = () => {
    if (window.__formAt === undefined && form()) window.__formAt = performance.now();
    if (window.__pickerAt === undefined && picker()) window.__pickerAt = performance.now();
    if (window.__cardAt === undefined && document.querySelector('form[action^="/sandbox/card/"] button[value="pay"]')) window.__cardAt = performance.timeOrigin + performance.now();
    if (window.__pickerAt === undefined || window.__formAt === undefined || window.__cardAt === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`;

interface Sample { usable?: number; form?: number; fcp?: number; payloadRequests: number; bytes: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The phone's CPU and network on a page, and what its loads cost on the wire. */
async function phone(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; load: (url: string, js: boolean) => Promise<Sample> }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: PROFILE.cpu });
  await cdp.send('Network.enable');
  await cdp.send('Page.enable');
  await cdp.send('Page.setLifecycleEventsEnabled', { enabled: true });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: PROFILE.latencyMs, downloadThroughput: PROFILE.downBps / 8, uploadThroughput: PROFILE.upBps / 8 });
  let docStart = 0;
  let fcp = 0;
  let payloadRequests = 0;
  let bytes = 0;
  const trace = process.env.BENCH_DEBUG ? new Map<string, { url: string; t: number }>() : undefined;
  if (trace) {
    cdp.on('Network.responseReceived', (e) => {
      const r = trace.get(e.requestId);
      if (r) console.log(`    ${((e.timestamp - docStart) * 1000).toFixed(0).padStart(5)} ms response ${e.response.status} ${e.response.headers['content-encoding'] ?? ''} ${r.url.slice(0, 90)}`);
    });
  }
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.type === 'Document') docStart = e.timestamp;
    if (trace) {
      trace.set(e.requestId, { url: e.request.url, t: e.timestamp });
      console.log(`    ${((e.timestamp - docStart) * 1000).toFixed(0).padStart(5)} ms request  ${e.type} ${e.request.url.slice(0, 90)}`);
    }
    if (/\/pay\/[^/]+\/payload\?|[?&]pay_for=.*$/.test(e.request.url) && (e.type === 'Fetch' || e.type === 'XHR' || e.type === 'Other')) payloadRequests++;
  });
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  cdp.on('Page.lifecycleEvent', (e) => { if (e.name === 'firstContentfulPaint') fcp = e.timestamp; });
  return {
    cdp,
    async load(url, js) {
      docStart = 0;
      fcp = 0;
      payloadRequests = 0;
      bytes = 0;
      await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
      let usable: number | undefined;
      let form: number | undefined;
      if (js) {
        usable = Number(await (await page.waitForFunction(() => (window as unknown as { __pickerAt?: number }).__pickerAt, null, { timeout: 60_000, polling: 50 })).jsonValue());
        form = Number(await page.evaluate(() => (window as unknown as { __formAt?: number }).__formAt));
      }
      if (trace) console.log(`    usable at ${usable?.toFixed(0)} ms`);
      const until = Date.now() + 10_000;
      while (!fcp && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      // Lines still arriving (a payload fetched after load) are counted a moment later.
      await new Promise((r) => setTimeout(r, 100));
      return { ...(usable !== undefined ? { usable, form } : {}), ...(fcp ? { fcp: (fcp - docStart) * 1000 } : {}), payloadRequests, bytes };
    },
  };
}

/** A new order in the demo shop; its page's URL. */
async function placeOrder(shopUrl: string): Promise<string> {
  const placed = await fetch(`${shopUrl}/cart`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'tea=1' });
  return new URL(placed.headers.get('location')!, shopUrl).href;
}

/**
 * «Продолжить» → the card page painted, on the shop's order page (the sandbox's card page in the
 * element's overlay), against its floor: the shop's CHECK time (the kit's check case against the
 * demo shop's API URL, measured from this process) + one round trip of the phone + the card page's
 * own time (its URL loaded alone on the phone, cold: navigation start → its «Оплатить» painted).
 * A fresh order per run: a payment started on an order is resumed on its page.
 */
async function continueRuns(browser: Browser, shopUrl: string): Promise<void> {
  const clicks: number[] = [];
  const alone: number[] = [];
  const checks: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const orderUrl = await placeOrder(shopUrl);
    const context = await browser.newContext({ viewport: { width: PROFILE.width, height: PROFILE.height }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
    await context.addInitScript(WATCH);
    const page = await context.newPage();
    const { load } = await phone(context, page);
    await load(orderUrl, true);
    const clickedAt = await page.evaluate(() => {
      const button = document.querySelector('onpay-checkout')!.shadowRoot!.querySelector<HTMLButtonElement>('[part="form"] button[type="submit"]')!;
      const at = performance.timeOrigin + performance.now();
      button.click();
      return at;
    });
    const frame = await (await page.waitForSelector('onpay-checkout iframe', { timeout: 60_000 })).contentFrame();
    const cardAt = Number(await (await frame!.waitForFunction(() => (window as unknown as { __cardAt?: number }).__cardAt, null, { timeout: 60_000, polling: 50 })).jsonValue());
    clicks.push(cardAt - clickedAt);
    const cardUrl = frame!.url();
    await context.close();
    // The card page alone, cold.
    const c2 = await browser.newContext({ viewport: { width: PROFILE.width, height: PROFILE.height }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
    await c2.addInitScript(WATCH);
    const p2 = await c2.newPage();
    await (await phone(c2, p2)).load(cardUrl, false);
    alone.push(Number(await (await p2.waitForFunction(() => { const w = window as unknown as { __cardAt?: number }; return w.__cardAt && w.__cardAt - performance.timeOrigin; }, null, { timeout: 60_000, polling: 50 })).jsonValue()));
    await c2.close();
    // The shop's CHECK, as the gateway sends it, for another fresh order of the same amount.
    const id = /\/orders\/(\d+)/.exec(await placeOrder(shopUrl))![1]!;
    const report = await runIntegrationMatrix({ secret: DEMO_MERCHANT.secret, apiType: 2, url: `${shopUrl}/onpay/api`, payFor: `demo-${id}`, amount: formatAmount(45000n) });
    const check = report.cases.find((x) => x.name === 'check_ok')!;
    if (check.verdict !== 'pass') throw new Error(`the demo shop refused the timed CHECK: ${check.hint ?? ''}`);
    checks.push(check.durationMs);
  }
  const floor = median(checks) + PROFILE.latencyMs + median(alone);
  console.log('');
  console.log('| «Продолжить» → the card page painted (sandbox overlay, the shop\'s order page) | median |');
  console.log('|---|---|');
  console.log(`| measured | ${median(clicks).toFixed(0)} ms (**${(median(clicks) / floor).toFixed(2)}×** the floor) |`);
  console.log(`| the floor: the shop's CHECK + one round trip + the card page alone | ${floor.toFixed(0)} ms = ${median(checks).toFixed(1)} + ${PROFILE.latencyMs} + ${median(alone).toFixed(0)} |`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-buyer-'));
  const demo = await startDemo({
    shopPort: 0, shopDatabase: join(dir, 'shop.sqlite'), env: { NODE_ENV: 'production' },
    overrides: { port: 0, database: `sqlite:${join(dir, 'gateway.sqlite')}`, secret: 'bench-buyer-secret-0123456789abcdef' },
    log: () => {},
  });
  const shopUrl = demo.shopUrl;
  // An order in the shop: its page signs the link each time it is shown.
  const placed = await fetch(`${shopUrl}/cart`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'tea=1' });
  const orderUrl = new URL(placed.headers.get('location')!, shopUrl).href;
  const orderPage = await (await fetch(orderUrl)).text();
  const hostedLink = new URL(/id="pay-link" href="([^"]+)"/.exec(orderPage)![1]!.replace(/&amp;/g, '&'));
  // `BENCH_LN=kk`: the hosted page in another language than Russian (its element loads that chunk).
  if (process.env.BENCH_LN) hostedLink.searchParams.set('ln', process.env.BENCH_LN);
  const hostedUrl = hostedLink.href;
  // The floor: the hosted page's own picker as static HTML, its CSS inline, no script.
  const hosted = await (await fetch(hostedUrl, { headers: { accept: 'text/html' } })).text();
  const css = readFileSync(new URL('../src/server/assets/gateway.css', import.meta.url), 'utf8');
  const floorHtml = hosted
    .replace(/<script type="module"[^>]*><\/script>/, '')
    .replace(/<link rel="modulepreload"[^>]*>/g, '')
    .replace(/<script type="application\/json"[^>]*>[^<]*<\/script>/, '')
    .replace(/<onpay-checkout[^>]*>/, '').replace('</onpay-checkout>', '')
    .replace(/<link rel="stylesheet" href="\/assets\/gateway.css">/, `<style>${css}</style>`)
    .replace(/action="\//, `action="${new URL(hostedUrl).origin}/`);
  const floor = createServer((_q, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(floorHtml);
  });
  await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
  const floorUrl = `http://127.0.0.1:${(floor.address() as { port: number }).port}/`;

  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS, headless: true });
  const pages = [
    { key: 'floor', name: 'a static page with the same picker as plain HTML (the floor)', url: floorUrl, js: true },
    { key: 'shop', name: 'the demo shop\'s order page, the picker rendered on the shop\'s server (the kit\'s snippet)', url: orderUrl, js: true },
    { key: 'shopClient', name: 'the demo shop\'s order page with the element alone (`?render=client`, payload preloaded)', url: `${orderUrl}?render=client`, js: true },
    { key: 'hosted', name: 'the gateway\'s hosted page with JavaScript', url: hostedUrl, js: true },
    { key: 'nojs', name: 'the hosted page without JavaScript (first paint)', url: hostedUrl, js: false },
    { key: 'floorFcp', name: 'the floor, first paint', url: floorUrl, js: true },
  ] as const;
  const samples: Record<string, { cold: Sample[]; warm: Sample[] }> = Object.fromEntries(pages.map((p) => [p.key, { cold: [], warm: [] }]));
  try {
    console.log(`buyer bench: Chromium ${browser.version()}, ${PROFILE.cpu}× CPU, ${PROFILE.latencyMs} ms, ${PROFILE.downBps / 1e6} Mbps down, ${PROFILE.width}×${PROFILE.height}, ${RUNS} runs, Node ${process.version}`);
    for (let run = 0; run < RUNS; run++) {
      for (const p of pages) {
        if (p.key === 'floorFcp') continue; // read from the floor's own loads
        const context = await browser.newContext({ viewport: { width: PROFILE.width, height: PROFILE.height }, javaScriptEnabled: p.js, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
        if (p.js) await context.addInitScript(WATCH);
        const page = await context.newPage();
        if (process.env.BENCH_DEBUG) {
          page.on('console', (m) => console.log(`  [${p.key}] console: ${m.text()}`));
          page.on('pageerror', (e) => console.log(`  [${p.key}] error: ${e.message}`));
          page.on('requestfailed', (r) => console.log(`  [${p.key}] failed: ${r.url()} ${r.failure()?.errorText}`));
        }
        const { load } = await phone(context, page);
        const cold = await load(p.url, p.js);
        const warm = await load(p.url, p.js);
        await context.close();
        samples[p.key]!.cold.push(cold);
        samples[p.key]!.warm.push(warm);
        if (p.key === 'floor') {
          samples.floorFcp!.cold.push(cold);
          samples.floorFcp!.warm.push(warm);
        }
      }
      process.stdout.write(`  run ${run + 1}/${RUNS} done\n`);
    }
    const value = (key: string, which: 'cold' | 'warm', what: 'usable' | 'form' = 'usable') => {
      const fcpOnly = key === 'nojs' || key === 'floorFcp';
      return median(samples[key]![which].map((s) => (fcpOnly ? s.fcp : s[what]) ?? NaN));
    };
    console.log('');
    console.log('| page | element\'s picker, first visit | repeat visit | a picker on show (the server form counts), first visit | repeat visit | bytes, first visit | payload requests per load |');
    console.log('|---|---|---|---|---|---|---|');
    for (const p of pages) {
      const base = p.key === 'nojs' || p.key === 'floorFcp' ? 'floorFcp' : 'floor';
      const ratio = (x: number, y: number) => (p.key === base ? '' : ` (**${(x / y).toFixed(2)}×**)`);
      const cell = (which: 'cold' | 'warm', what: 'usable' | 'form') => {
        const x = value(p.key, which, what);
        return Number.isNaN(x) ? '—' : `${x.toFixed(0)} ms${ratio(x, value(base, which, 'usable'))}`;
      };
      const bytes = median(samples[p.key]!.cold.map((s) => s.bytes));
      const payloads = median(samples[p.key]!.cold.map((s) => s.payloadRequests));
      console.log(`| ${p.name} | ${cell('cold', 'usable')} | ${cell('warm', 'usable')} | ${cell('cold', 'form')} | ${cell('warm', 'form')} | ${(bytes / 1024).toFixed(1)} KB | ${payloads} |`);
    }
    console.log('\nTargets: the shop\'s page ≤ 1.25× the floor, the hosted page with JavaScript ≤ 1.1×, cold and warm.');
    if (process.env.BENCH_CONTINUE !== '0') await continueRuns(browser, shopUrl);
  } finally {
    await browser.close();
    floor.close();
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
