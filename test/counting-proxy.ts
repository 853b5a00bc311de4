/**
 * A loopback HTTP proxy in front of a provider's emulator that counts the requests it forwards, by
 * method and path: how a test proves how many times the gateway asked the provider for something
 * (a capture sent once under one key) without a hook inside the connector or the emulator.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  /** The proxy's base URL: the emulator's URL with this origin instead. */
  url: string;
  /** Requests forwarded, by `METHOD /path` (no query). */
  readonly counts: Map<string, number>;
  count(method: string, path: string): number;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 forwarding every request to `target`'s origin, path kept. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const origin = new URL(target).origin;
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const key = `${req.method} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    // node:http, not fetch: no retry of its own, and a connection the emulator cuts is cut here too
    // (tests of a lost answer see what they would see without the proxy).
    const upstream = request(`${origin}${req.url ?? '/'}`, { method: req.method, headers: { ...req.headers, host: new URL(origin).host }, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(target);
  return {
    url: `http://127.0.0.1:${port}${url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')}`,
    counts,
    count: (method, path) => counts.get(`${method} ${path}`) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
