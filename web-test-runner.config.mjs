// Browser tests in Debian's Chromium (never a downloaded browser), TypeScript through esbuild, and
// msw's service worker served from the root so tests can mock the gateway.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';

const mswWorker = readFileSync(fileURLToPath(import.meta.resolve('msw/mockServiceWorker.js')));

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 60_000,
  testsFinishTimeout: 180_000,
  // WTR_GREP=pattern runs the matching tests only (while debugging).
  testFramework: { config: { timeout: 15_000, ...(process.env.WTR_GREP ? { grep: process.env.WTR_GREP } : {}) } },
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
        headless: true,
        args: [
          '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
        ],
      },
    }),
  ],
  plugins: [esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) })],
  middleware: [
    (ctx, next) => {
      if (ctx.path !== '/mockServiceWorker.js') return next();
      ctx.type = 'application/javascript';
      ctx.set('Service-Worker-Allowed', '/');
      ctx.body = mswWorker;
      return undefined;
    },
  ],
};
