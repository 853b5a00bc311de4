/**
 * The gateway's page stylesheet inlined into the hosted page: a linked stylesheet blocks the first
 * paint for one more round trip (bench/README.md, issue #29), and the whole file is under 1 KB. The
 * page's Content-Security-Policy allows exactly these bytes by their hash, nothing else inline.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface PageStyle {
  /** The CSS text, to go inside `<style>` as it is. */
  css: string;
  /** The page's CSP with this text's `'sha256-…'` added to `style-src`. */
  csp: string;
}

/**
 * Reads `src/server/assets/gateway.css` (or `path`) once and adds its hash to `pageCsp`'s
 * `style-src 'self'` (the pages' policy, pages/pages.ts).
 */
export function loadPageStyle(pageCsp: string, path: URL | string = new URL('../assets/gateway.css', import.meta.url)): PageStyle {
  const css = readFileSync(path, 'utf8');
  // No `</style` can end the element early: the file is ours, but a mistake should not break pages.
  if (/<\/style/i.test(css)) throw new Error('gateway.css must not contain </style');
  const hash = createHash('sha256').update(css, 'utf8').digest('base64');
  if (!pageCsp.includes("style-src 'self'")) throw new Error("the page CSP has no style-src 'self' to extend");
  return { css, csp: pageCsp.replace("style-src 'self'", `style-src 'self' 'sha256-${hash}'`) };
}
