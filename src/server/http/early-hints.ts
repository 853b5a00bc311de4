/**
 * `103 Early Hints` through the Node adapter (@hono/node-server hands each request its
 * `ServerResponse` as `env.outgoing`): the page's module and data start loading while the page is
 * still being made. Node writes them on HTTP/1.1 and HTTP/2 alike; Chromium acts on them only over
 * HTTP/2 and HTTP/3 (so behind a TLS proxy that passes them on), and ignores them otherwise.
 * Without a Node response (tests through `app.fetch`, other runtimes) nothing is sent.
 */

interface EarlyHintsResponse {
  headersSent?: boolean;
  writeEarlyHints?: (hints: Record<string, string | string[]>) => void;
}

/**
 * Sends `Link` lines as a 103 before the final answer, once and only before its headers.
 * @example
 * sendEarlyHints(c.env, ['</cdn/onpay-checkout.3f9a.js>; rel=modulepreload']);
 */
export function sendEarlyHints(env: unknown, links: string[]): boolean {
  const out = (env as { outgoing?: EarlyHintsResponse } | undefined)?.outgoing;
  if (links.length === 0 || typeof out?.writeEarlyHints !== 'function' || out.headersSent) return false;
  try {
    out.writeEarlyHints({ link: links });
    return true;
  } catch {
    // A connection already closing: the hint was only ever an optimisation.
    return false;
  }
}
