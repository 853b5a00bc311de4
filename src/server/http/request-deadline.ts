/**
 * One deadline for receiving a whole request, headers and body (`requestTimeoutMs`, default 30 s).
 *
 * Node's own `requestTimeout` (300 s by default) and `headersTimeout` (60 s) are checked only every
 * `connectionsCheckingInterval` (30 s): a body trickled under its Content-Length held a connection and
 * a handler for minutes. Here both limits are the configured deadline and the check runs often enough
 * to keep it within a tenth of it. When it passes, Node answers `408 Request Timeout` and closes the
 * connection; the handler that was waiting for the body then fails to read it, and `clientFailure`
 * tells the error handler why, so the request is answered and logged as 408 instead of a 500. A client
 * whose headers never end has no handler: `watchHeaderTimeouts` logs it.
 *
 * Only receiving is bounded: an answer that takes long (a CHECK, a status stream) is not cut.
 *
 * @example serve({ fetch, port, serverOptions: requestServerOptions(config.requestTimeoutMs) })
 */
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Node's code for a request that was not received within `requestTimeout` / `headersTimeout`. */
const REQUEST_TIMEOUT_CODE = 'ERR_HTTP_REQUEST_TIMEOUT';

/** The `node:http` server options that make `requestTimeoutMs` bound the whole request. */
export function requestServerOptions(requestTimeoutMs: number): ServerOptions {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    // How late the deadline may be noticed: a tenth of it, between 50 ms and 1 s.
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(requestTimeoutMs / 10))),
  };
}

interface IncomingLike {
  errored?: { code?: unknown } | null;
  destroyed?: boolean;
  complete?: boolean;
  socket?: { errored?: { code?: unknown } | null } | null;
}

/**
 * Why a request's body could not be read, from the connection @hono/node-server passes as `env`:
 * `timeout` (the deadline passed; Node has answered 408), `closed` (the client went away before the
 * body ended), or null (the connection is fine: the error is the gateway's own).
 */
export function clientFailure(env: unknown): 'timeout' | 'closed' | null {
  const incoming = (env as { incoming?: IncomingLike } | undefined)?.incoming;
  if (!incoming) return null;
  if (incoming.socket?.errored?.code === REQUEST_TIMEOUT_CODE) return 'timeout';
  if (incoming.errored || (incoming.destroyed && incoming.complete === false)) return 'closed';
  return null;
}

/** Node's answers to a connection it refuses before any handler runs (as its default `clientError`). */
const RAW_ANSWERS: Record<string, string> = {
  [REQUEST_TIMEOUT_CODE]: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/**
 * Logs a request whose headers did not arrive in time (no handler ever saw it), answering it 408 as
 * Node would; every other client error is answered as Node's default does. A timeout during the body
 * is left to the request's own log line (its handler answers 408).
 */
export function watchHeaderTimeouts(server: Server, onTimeout: (remoteAddress: string | undefined) => void): void {
  // Connections with a request being handled, and that request's answer.
  const inFlight = new WeakMap<Socket, { headersSent: boolean }>();
  server.on('request', (req, res) => {
    inFlight.set(req.socket, res);
    res.once('close', () => {
      if (inFlight.get(req.socket) === res) inFlight.delete(req.socket);
    });
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    const res = inFlight.get(socket);
    if (err.code === REQUEST_TIMEOUT_CODE && !res) onTimeout(socket.remoteAddress);
    if (socket.writable && (!res || !res.headersSent) && err.code !== 'ECONNRESET') {
      socket.write(RAW_ANSWERS[err.code ?? ''] ?? BAD_REQUEST);
    }
    socket.destroy(err);
  });
}
