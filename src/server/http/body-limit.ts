/**
 * Request bodies capped in size, as a Hono middleware. A body with a Content-Length is judged by
 * that header (Node's HTTP parser holds the body to it) and left unread, so the route reads it
 * straight from the socket; Hono's own `bodyLimit` first turns every body into a web stream, which
 * cost a payment ≈ 400 µs of CPU. Chunked bodies, with no length up front, go through `bodyLimit`
 * and are counted as they are read. Either way the body is then read once and refused unless it is
 * UTF-8 (strict-utf8.ts): every route that takes a body takes it through here. `strictUtf8: false`
 * leaves the bytes as they are, for provider notifications whose connector judges them.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { GatewayError } from '../errors.ts';
import { strictBodyText } from './strict-utf8.ts';

/**
 * Reads the body once, refuses it unless it is UTF-8 (a 400 naming the field, see strict-utf8.ts),
 * and leaves the text where `c.req.text()` finds it.
 */
async function readStrict(c: Context): Promise<void> {
  // Not `c.req.raw.body === null`: asking for the body stream makes @hono/node-server build a full
  // fetch Request and a web stream around the socket (≈ 8 % of a payment's CPU); the body is then
  // read straight from the socket. GET and HEAD have none.
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return;
  const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
  const text = strictBodyText(bytes, c.req.header('content-type'));
  // Hono keeps the promise of each body form it has read (its type says the value).
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
}

/**
 * @example app.post('/api/v1/payments', capBody(16 * 1024), handler)
 */
export function capBody(maxBytes: number, opts: { strictUtf8?: boolean } = {}): MiddlewareHandler {
  const strict = opts.strictUtf8 ?? true;
  const tooLarge = (): never => {
    throw new GatewayError(413, 'payload_too_large', `the request body is over ${maxBytes} bytes`);
  };
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
      return counted(c, async () => {
        if (strict) await readStrict(c);
        await next();
      });
    }
    if (!/^\d{1,9}$/.test(length) || Number(length) > maxBytes) tooLarge();
    if (strict) await readStrict(c);
    await next();
  };
}
