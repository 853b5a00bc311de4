/**
 * Outgoing HTTP to merchant URLs (CHECK, PAY). Built on node:http(s) rather than global fetch so
 * that the address check happens in the socket's own DNS lookup: what is checked is what is
 * connected to (no DNS-rebinding window). Redirects are never followed; every request has a hard
 * deadline covering connect, headers and a body that trickles in; answers are capped in size.
 *
 * Connections are kept alive between requests to the same merchant (a new TCP connection per CHECK
 * cost both sides more than the CHECK itself). An idle connection is dropped a second before the
 * server's announced `Keep-Alive: timeout`, or after 4 s when it announces none; a request whose
 * reused connection turns out closed by the merchant before any answer is sent again once on a new one.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isPrivateAddress } from './special-addresses.ts';

export interface MerchantRequest {
  url: string;
  method: 'POST' | 'GET';
  contentType?: string;
  /** For POST, the exact bytes to send; for GET, the query string appended to the URL. */
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export type MerchantResponse =
  | { ok: true; status: number; body: string; durationMs: number; headers?: http.IncomingHttpHeaders }
  | { ok: false; error: string; durationMs: number };

/** Sends one request to a merchant; never throws. */
export type MerchantHttp = (req: MerchantRequest) => Promise<MerchantResponse>;

const MAX_ANSWER_BYTES = 64 * 1024;
/** How long an idle kept-alive connection stays open when the server announces no timeout. */
const IDLE_SOCKET_MS = 4000;
/** Errors that mean a kept-alive connection had been closed by the other side before our request. */
const STALE_SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Which addresses are refused: see special-addresses.ts (the IANA special-purpose registries). */
export { isPrivateAddress };

class BlockedAddressError extends Error {
  constructor() {
    super('merchant URL resolves to a private or loopback address');
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    if (addresses.some((a) => isPrivateAddress(a.address))) return callback(new BlockedAddressError(), '');
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}

/**
 * @example const send = createMerchantHttp({ allowPrivate: false });
 *          const r = await send({ url, method: 'POST', contentType: 'application/json', body, timeoutMs: 10_000 });
 */
export function createMerchantHttp(options: {
  allowPrivate: boolean;
  now?: () => number;
  /** How long an idle kept-alive connection stays open when the server announces no timeout. */
  idleSocketMs?: number;
}): MerchantHttp {
  const now = options.now ?? (() => performance.now());
  // One pool per policy: the guarded lookup runs when a connection is made, so every pooled
  // connection was checked.
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: options.idleSocketMs ?? IDLE_SOCKET_MS }),
    'https:': new https.Agent({ keepAlive: true, timeout: options.idleSocketMs ?? IDLE_SOCKET_MS }),
  };
  return (req) => new Promise<MerchantResponse>((resolve) => {
    const started = now();
    let finished = false;
    let request: http.ClientRequest | undefined;
    const done = (r: { ok: true; status: number; body: string; headers?: http.IncomingHttpHeaders } | { ok: false; error: string }): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: Math.round(now() - started) });
    };
    let url: URL;
    try {
      url = new URL(req.url);
      if (req.method === 'GET' && req.body) url.search = url.search ? `${url.search}&${req.body}` : `?${req.body}`;
    } catch {
      return resolve({ ok: false, error: 'invalid merchant URL', durationMs: 0 });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return resolve({ ok: false, error: 'merchant URL must be http or https', durationMs: 0 });
    }
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && isIP(literal) !== 0 && isPrivateAddress(literal)) {
      return resolve({ ok: false, error: new BlockedAddressError().message, durationMs: 0 });
    }
    const headers: Record<string, string> = { 'user-agent': 'onpay-checkout/0.1', ...req.headers };
    if (req.method === 'POST') {
      headers['content-type'] = req.contentType ?? 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const lib = url.protocol === 'https:' ? https : http;
    const timer = setTimeout(() => {
      request?.destroy();
      done({ ok: false, error: `no answer within ${req.timeoutMs} ms` });
    }, req.timeoutMs);

    const send = (agent: http.Agent | false): void => {
      let answered = false;
      const r = lib.request(url, {
        method: req.method,
        headers,
        agent,
        ...(options.allowPrivate ? {} : { lookup: guardedLookup as never }),
      }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            r.destroy();
            return done({ ok: false, error: 'answer too large' });
          }
          chunks.push(c);
        });
        res.on('end', () => done({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', (e) => done({ ok: false, error: `answer interrupted: ${e.message}` }));
      });
      request = r;
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (finished) return;
        // The merchant closed an idle connection just as we used it: nothing reached it, so send
        // again on a connection of its own.
        if (r.reusedSocket && !answered && STALE_SOCKET_ERRORS.has(e.code ?? '')) return send(false);
        done({ ok: false, error: e instanceof BlockedAddressError ? e.message : `network error: ${e.code ?? e.message}` });
      });
      if (req.method === 'POST') r.end(req.body);
      else r.end();
    };
    send(agents[url.protocol]);
  });
}
