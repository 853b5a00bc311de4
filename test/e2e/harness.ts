/**
 * End-to-end harness: the whole demo (gateway + shop) started for real on loopback with temporary
 * SQLite files, and Debian's Chromium driven by playwright-core.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../src/cli/demo.ts';
import { FREE_PORTS } from '../../src/cli/demo-emulators.ts';

export const CHROME_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];

/** Debian's Chromium (or `CHROME_PATH`), headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS, headless: true });
}

export interface E2E extends RunningDemo {
  gatewayUrl: string;
  dispose(): Promise<void>;
}

/**
 * The demo with a fast retry schedule, on free ports and throwaway files; with `emulators`, also the
 * T-Bank, YooKassa and CloudPayments emulators and their ways, as `npm start` runs them.
 */
export async function startE2E(overrides: Record<string, unknown> = {}, opts: { emulators?: boolean } = {}): Promise<E2E> {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-e2e-'));
  const demo = await startDemo({
    shopPort: 0,
    shopDatabase: join(dir, 'shop.sqlite'),
    overrides: {
      port: 0,
      database: `sqlite:${join(dir, 'gateway.sqlite')}`,
      secret: 'e2e-gateway-secret-0123456789abcdef',
      retrySchedule: [0, 1, 2, 3, 4, 6, 8],
      dispatcher: { pollMs: 100, timeoutMs: 2000 },
      ...overrides,
    },
    log: () => {},
    ...(opts.emulators ? { emulators: FREE_PORTS } : {}),
  });
  return {
    ...demo,
    gatewayUrl: demo.gateway.config.publicUrl,
    async dispose() {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` returns a truthy value, polling; fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Closes a page, context or browser, giving up after `ms`: closing is clean-up, and a Chromium that
 * never answers a close (seen once in a CI run, a phone context with two pages) must not hang the
 * suite with every assertion already made. What stays open goes with the browser at the end.
 */
export async function closeQuietly(target: { close(): Promise<void> }, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    target.close().catch(() => undefined),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}

/** Puts an order in the demo shop's cart through its own form; returns the order page URL. */
export async function placeOrder(shopUrl: string, items: Record<string, number> = { tea: 1 }): Promise<{ url: string; id: number }> {
  const res = await fetch(`${shopUrl}/cart`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(Object.fromEntries(Object.entries(items).map(([k, v]) => [k, String(v)]))).toString(),
  });
  const location = new URL(res.headers.get('location')!, shopUrl).href;
  return { url: location, id: Number(/\/orders\/(\d+)/.exec(location)![1]) };
}

export async function orderStatus(shopUrl: string, id: number): Promise<string> {
  const r = await fetch(`${shopUrl}/orders/${id}/status`);
  return ((await r.json()) as { status: string }).status;
}

const AXE_SOURCE = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }

/**
 * axe-core in the page (shadow roots included). Evaluated through the DevTools protocol, which the
 * page's CSP does not govern, so the page keeps its strict policy during the test.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

export async function assertAxeClean(page: Page, view: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `axe violations in the ${view} view:\n${JSON.stringify(violations, null, 2)}`);
}

/** One of the element's events, as the page recorded it. */
export interface ElementEvent { type: string; detail: Record<string, unknown> }

export interface CheckoutPage {
  page: Page;
  /** CSP violations and page errors seen so far. */
  problems: string[];
  /** The element's events so far, in order. */
  events(): Promise<ElementEvent[]>;
  /** Every URL the page's main frame has been at, in order (see `visited`). */
  urls(): string[];
}

/** The URLs of each page `recordCheckout` records, for `wentTo`. */
const recorded = new WeakMap<Page, string[]>();

/**
 * Records on `page` the CSP violations, page errors and the element's events. The events go to this
 * process as they happen, so a page that navigates afterwards (the demo's order page reloads once
 * the order is paid) keeps them.
 */
export async function recordCheckout(page: Page): Promise<Omit<CheckoutPage, 'page'>> {
  const problems: string[] = [];
  const log: ElementEvent[] = [];
  const urls: string[] = [];
  recorded.set(page, urls);
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) urls.push(frame.url());
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  await page.exposeFunction('__onpayEvent', (type: string, detail: Record<string, unknown>) => { log.push({ type, detail }); });
  await page.addInitScript(() => {
    const record = (window as unknown as { __onpayEvent: (type: string, detail: unknown) => void }).__onpayEvent;
    for (const type of ['onpay-ready', 'onpay-way-select', 'onpay-payment-created', 'onpay-success', 'onpay-fail', 'onpay-error']) {
      document.addEventListener(type, (ev) => record(type, (ev as CustomEvent).detail));
    }
  });
  return { problems, events: async () => [...log], urls: () => [...urls] };
}

/**
 * Waits until the page has been at a URL matching `url`, now or at any time before. The demo's order
 * page moves on by itself (`location.replace` to the plain order page once the shop has the PAY,
 * within 1.5 s), so a `waitForURL(/?paid=1/)` begun after that waits for a navigation that came and
 * went, and times out with the payment paid (seen in a CI run when closing the bank app's page was slow).
 */
export async function visited(c: Pick<CheckoutPage, 'urls'>, url: RegExp, timeoutMs = 20_000): Promise<string> {
  try {
    return await eventually(() => c.urls().find((u) => url.test(u)), timeoutMs, `the page to go to ${url.source}`);
  } catch (e) {
    throw new Error(`${(e as Error).message}; it went to ${c.urls().join(' → ') || 'nowhere'}`, { cause: e });
  }
}

/** Opens a shop page with <onpay-checkout> in a fresh context, recording CSP violations, page errors and the element's events. */
export async function openCheckout(browser: Browser, url: string, viewport = { width: 900, height: 900 }): Promise<CheckoutPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const recorded = await recordCheckout(page);
  await page.goto(url);
  await page.locator('onpay-checkout [role="radio"]').first().waitFor();
  return { page, ...recorded };
}

/**
 * A suite paying through the providers' emulators: the demo as `npm start` runs it (emulators
 * included) and Chromium, started before the suite's tests and stopped after them.
 * @example const s = emulatorSuite(); test('…', async () => { await placeOrder(s.e.shopUrl); });
 */
export function emulatorSuite(): { e: E2E; browser: Browser } {
  const s = {} as { e: E2E; browser: Browser };
  before(async () => {
    assert.ok(existsSync('dist/cdn/onpay-checkout.js'), 'build the element first: npm run build');
    s.e = await startE2E({}, { emulators: true });
    s.browser = await launchChromium();
  });
  after(async () => {
    if (s.browser) await closeQuietly(s.browser, 20_000);
    await s.e?.dispose();
  });
  return s;
}

/**
 * `visited` for a page `recordCheckout` records (its URLs so far, then as they come); for any other
 * page, Playwright's `waitForURL`.
 * @example await wentTo(page, new RegExp(`/orders/${order.id}\\?paid=1`), 15_000);
 */
export async function wentTo(page: Page, url: RegExp, timeoutMs = 20_000): Promise<void> {
  const urls = recorded.get(page);
  if (urls) await visited({ urls: () => [...urls] }, url, timeoutMs);
  else await page.waitForURL(url, { timeout: timeoutMs });
}
