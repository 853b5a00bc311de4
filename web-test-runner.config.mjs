// Browser tests in Debian's Chromium (never a downloaded browser), TypeScript through esbuild, and
// msw's service worker served from the root so tests can mock the gateway.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';

const mswWorker = readFileSync(fileURLToPath(import.meta.resolve('msw/mockServiceWorker.js')));

/** Counts the tests that ran: a run with none (a bad glob, a grep matching nothing) must fail, not pass. */
const countTests = (suite) => (suite ? suite.tests.length + suite.suites.reduce((n, s) => n + countTests(s), 0) : 0);
const zeroTestsFail = () => ({
  onTestRunFinished({ sessions }) {
    const total = sessions.reduce((n, s) => n + countTests(s.testResults), 0);
    if (total > 0) return;
    console.error('\nError: no browser tests ran.\n');
    // The runner exits with process.exit(0) when nothing failed; an exit listener may still change the code.
    process.on('exit', () => { process.exitCode = 1; });
  },
});

/**
 * `executeServerCommand('onpay-screenshot', {clip})`: a PNG (base64) of part of the test page, taken
 * by the browser itself (the right-to-left test compares where things are drawn).
 */
const screenshots = () => ({
  name: 'onpay-screenshot',
  async executeCommand({ command, payload, session }) {
    if (command !== 'onpay-screenshot') return undefined;
    const page = session.browser.getPage(session.id);
    return page.screenshot({ clip: payload.clip, encoding: 'base64' });
  },
});

/** Fixture pages under fixtures/csp-* are served with the strict policy a shop may have. */
const STRICT_CSP = "default-src 'self'";

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
  plugins: [esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) }), screenshots()],
  reporters: [defaultReporter(), zeroTestsFail()],
  middleware: [
    (ctx, next) => {
      if (ctx.path.startsWith('/test/browser/fixtures/csp-')) ctx.set('Content-Security-Policy', STRICT_CSP);
      // The built element is loaded from another origin in the CDN tests, as the gateway serves it (CORS).
      if (ctx.path.startsWith('/dist/cdn/')) ctx.set('Access-Control-Allow-Origin', '*');
      return next();
    },
    (ctx, next) => {
      if (ctx.path !== '/mockServiceWorker.js') return next();
      ctx.type = 'application/javascript';
      ctx.set('Service-Worker-Allowed', '/');
      ctx.body = mswWorker;
      return undefined;
    },
  ],
};
