/**
 * End-to-end harness: the whole demo (gateway + shop) started for real on loopback with temporary
 * SQLite files, and Debian's Chromium driven by playwright-core.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../src/cli/demo.ts';

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

/** The demo with a fast retry schedule, on free ports and throwaway files. */
export async function startE2E(overrides: Record<string, unknown> = {}): Promise<E2E> {
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
