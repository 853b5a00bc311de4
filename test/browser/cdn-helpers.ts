/**
 * Helpers for the tests of the built CDN scripts (dist/cdn, made by `npm run build`, which
 * `npm test` runs first). The scripts are loaded from another origin than the page, as a shop
 * loads them from the gateway, so the default gateway must come from the script, not the page.
 */
import { http } from 'msw';
import { worker } from './gateway-mock.ts';

/** The same test server under another host name: another origin. */
export const SCRIPT_ORIGIN = `${location.protocol}//${location.hostname === 'localhost' ? '127.0.0.1' : 'localhost'}:${location.port}`;

/** Script errors of the page (a second definition of the tag would throw one). */
export const pageErrors: string[] = [];
window.addEventListener('error', (e) => pageErrors.push(e.message));

/** Adds a `<script>` and resolves once it ran. */
export function loadScript(src: string, module: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    if (module) s.type = 'module';
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${src}: run npm run build first`));
    document.head.append(s);
  });
}

/** Records the URLs of form requests (then lets the fake gateway answer them). */
export function recordFormUrls(): string[] {
  const urls: string[] = [];
  worker.use(http.get('*/pay/:login/payload', ({ request }) => {
    urls.push(request.url);
    return undefined;
  }));
  return urls;
}
