/**
 * Outgoing HTTP to merchants: private and loopback targets are refused before any connection,
 * redirects are not followed, answers are capped in size and in time. Only loopback is ever
 * contacted: a spy on `net.Socket#connect` records every connection attempt and cuts any attempt
 * at a non-loopback address before it reaches the network.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import ipaddr from 'ipaddr.js';
import { createMerchantHttp, isPrivateAddress } from '../src/server/merchants/merchant-http.ts';

/** A loopback server that counts TCP connections (not only complete requests). */
interface CountingServer {
  port: number;
  url: string;
  connections: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  handle(fn: (req: IncomingMessage, res: ServerResponse, body: string) => void): void;
  close(): Promise<void>;
}

async function startServer(host = '127.0.0.1'): Promise<CountingServer> {
  let handler = (_req: IncomingMessage, res: ServerResponse, _body: string): void => {
    res.end('ok');
  };
  const s: CountingServer = {
    port: 0, url: '', connections: 0, requests: [],
    handle(fn) {
      handler = fn;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      s.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => {
    s.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  s.port = (server.address() as net.AddressInfo).port;
  s.url = `http://${host.includes(':') ? `[${host}]` : host}:${s.port}/api`;
  return s;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Every host a socket tried to connect to during the tests. */
const attempts: string[] = [];
const originalConnect = net.Socket.prototype.connect;

function hostOf(args: unknown[]): string {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first && typeof first === 'object') return String((first as { host?: string }).host ?? 'localhost');
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

before(() => {
  net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
    const host = hostOf(args);
    attempts.push(host);
    if (!LOOPBACK_HOSTS.has(host)) {
      // A refused target reached the socket layer: never let it touch the network.
      process.nextTick(() => this.destroy(new Error(`test guard: connection to ${host} attempted`)));
      return this;
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
});
after(() => {
  net.Socket.prototype.connect = originalConnect;
});

describe('isPrivateAddress', () => {
  const table: [string, boolean][] = [
    ['127.0.0.1', true], ['127.255.255.254', true], ['10.0.0.1', true], ['10.255.255.255', true],
    ['172.16.0.1', true], ['172.31.255.255', true], ['172.15.255.255', false], ['172.32.0.1', false],
    ['192.168.0.1', true], ['192.169.0.1', false], ['169.254.169.254', true], ['100.64.0.1', true],
    ['100.128.0.1', false], ['0.0.0.0', true], ['224.0.0.1', true], ['255.255.255.255', true],
    ['198.18.0.1', true], ['192.0.0.8', true],
    ['8.8.8.8', false], ['1.1.1.1', false], ['93.184.216.34', false], ['77.88.55.242', false],
    ['::1', true], ['::', true], ['fe80::1', true], ['FE80::abcd', true], ['fc00::1', true], ['fd12:3456::1', true],
    ['ff02::1', true], ['::ffff:127.0.0.1', true], ['::FFFF:127.0.0.1', true], ['::ffff:7f00:1', true],
    ['0:0:0:0:0:ffff:7f00:1', true], ['::ffff:10.0.0.1', true], ['::ffff:169.254.169.254', true],
    ['::ffff:8.8.8.8', false], ['64:ff9b::a00:1', true],
    ['2001:4860:4860::8888', false], ['2a02:6b8::2:242', false],
    ['localhost', true], ['not-an-ip', true], ['', true], ['127.0.0.1.', true],
  ];
  for (const [address, want] of table) {
    test(`${JSON.stringify(address)} → ${want ? 'private' : 'public'}`, () => {
      assert.equal(isPrivateAddress(address), want);
    });
  }
});

// Written from the IANA registries themselves (not from the implementation's table):
// https://www.iana.org/assignments/iana-ipv4-special-registry/ and
// https://www.iana.org/assignments/iana-ipv6-special-registry/, plus multicast and the deprecated
// IPv4-compatible / site-local / IPv4-translated forms. Each range: its first, a middle and its last
// address are refused.
describe('isPrivateAddress refuses every special-purpose range', () => {
  const v4: [string, string][] = [
    ['0.0.0.0/8', 'this network'], ['0.0.0.0/32', 'this host'], ['10.0.0.0/8', 'private-use'],
    ['100.64.0.0/10', 'shared address space'], ['127.0.0.0/8', 'loopback'], ['169.254.0.0/16', 'link local'],
    ['172.16.0.0/12', 'private-use'], ['192.0.0.0/24', 'IETF protocol assignments'], ['192.0.0.0/29', 'DS-Lite'],
    ['192.0.0.8/32', 'IPv4 dummy address'], ['192.0.0.9/32', 'PCP anycast'], ['192.0.0.10/32', 'TURN anycast'],
    ['192.0.0.170/32', 'NAT64/DNS64 discovery'], ['192.0.0.171/32', 'NAT64/DNS64 discovery'],
    ['192.0.2.0/24', 'TEST-NET-1'], ['192.31.196.0/24', 'AS112-v4'], ['192.52.193.0/24', 'AMT'],
    ['192.88.99.0/24', 'deprecated 6to4 relay anycast'], ['192.168.0.0/16', 'private-use'],
    ['192.175.48.0/24', 'direct delegation AS112'], ['198.18.0.0/15', 'benchmarking'],
    ['198.51.100.0/24', 'TEST-NET-2'], ['203.0.113.0/24', 'TEST-NET-3'], ['240.0.0.0/4', 'reserved'],
    ['255.255.255.255/32', 'limited broadcast'], ['224.0.0.0/4', 'multicast'],
  ];
  const v6: [string, string][] = [
    ['::1/128', 'loopback'], ['::/128', 'unspecified'], ['64:ff9b::/96', 'IPv4-IPv6 translation'],
    ['64:ff9b:1::/48', 'local-use IPv4-IPv6 translation'], ['100::/64', 'discard-only'], ['100:0:0:1::/64', 'dummy IPv6 prefix'],
    ['2001::/23', 'IETF protocol assignments'], ['2001::/32', 'TEREDO'], ['2001:1::1/128', 'PCP anycast'],
    ['2001:1::2/128', 'TURN anycast'], ['2001:1::3/128', 'DNS-SD SRP anycast'], ['2001:2::/48', 'benchmarking'],
    ['2001:3::/32', 'AMT'], ['2001:4:112::/48', 'AS112-v6'], ['2001:10::/28', 'deprecated ORCHID'],
    ['2001:20::/28', 'ORCHIDv2'], ['2001:30::/28', 'drone remote ID'], ['2001:db8::/32', 'documentation'],
    ['2002::/16', '6to4'], ['2620:4f:8000::/48', 'direct delegation AS112'], ['3fff::/20', 'documentation'],
    ['5f00::/16', 'segment routing SIDs'], ['fc00::/7', 'unique-local'], ['fe80::/10', 'link-local unicast'],
    ['ff00::/8', 'multicast'], ['fec0::/10', 'site-local (deprecated)'], ['::/96', 'IPv4-compatible (deprecated)'],
    ['::ffff:0:0:0/96', 'IPv4-translated'],
  ];
  const middle = (first: ipaddr.IPv4 | ipaddr.IPv6, last: ipaddr.IPv4 | ipaddr.IPv6): string => {
    const a = first.toByteArray();
    const b = last.toByteArray();
    // Average byte-wise from the first differing byte: some address strictly inside (or an end).
    const m = a.map((x, i) => (x + b[i]!) >> 1);
    return ipaddr.fromByteArray(m).toString();
  };
  for (const [cidr, name] of [...v4, ...v6]) {
    test(`${cidr} (${name})`, () => {
      const v6range = cidr.includes(':');
      const first = v6range ? ipaddr.IPv6.networkAddressFromCIDR(cidr) : ipaddr.IPv4.networkAddressFromCIDR(cidr);
      const last = v6range ? ipaddr.IPv6.broadcastAddressFromCIDR(cidr) : ipaddr.IPv4.broadcastAddressFromCIDR(cidr);
      for (const address of [first.toString(), middle(first, last), last.toString()]) {
        assert.equal(isPrivateAddress(address), true, `${address} in ${cidr}`);
        // The IPv4-mapped form of an IPv4 address is judged by the IPv4 address.
        if (!v6range) assert.equal(isPrivateAddress(`::ffff:${address}`), true, `::ffff:${address}`);
      }
    });
  }
  const other: [string, boolean, string][] = [
    ['::127.0.0.1', true, 'IPv4-compatible loopback'], ['::7f00:1', true, 'IPv4-compatible loopback, hex'],
    ['::8.8.8.8', true, 'IPv4-compatible public: deprecated form, refused'],
    ['::ffff:0:7f00:1', true, 'IPv4-translated loopback'], ['::ffff:0:808:808', true, 'IPv4-translated public'],
    ['64:ff9b::7f00:1', true, 'NAT64 of loopback'], ['64:ff9b::808:808', true, 'NAT64 of a public address'],
    ['2002:7f00:1::1', true, '6to4 of loopback'], ['2002:808:808::1', true, '6to4 of a public address'],
    ['4000::1', true, 'outside 2000::/3, unallocated'], ['1::1', true, 'unallocated'],
    ['::ffff:8.8.8.8', false, 'IPv4-mapped public'], ['::ffff:808:808', false, 'IPv4-mapped public, hex'],
    ['192.0.1.1', false, 'next to 192.0.0.0/24'], ['198.20.0.1', false, 'next to 198.18.0.0/15'],
    ['100.63.255.255', false, 'below 100.64.0.0/10'], ['223.255.255.255', false, 'below multicast'],
    ['2001:200::1', false, 'next to 2001::/23'], ['2001:db9::1', false, 'next to documentation'],
    ['2a00:1450:4001::1', false, 'public'], ['2003::1', false, 'next to 6to4'],
  ];
  for (const [address, want, why] of other) {
    test(`${address} → ${want ? 'refused' : 'public'} (${why})`, () => assert.equal(isPrivateAddress(address), want));
  }
});

describe('createMerchantHttp', () => {
  let s: CountingServer;
  let s6: CountingServer | undefined;
  const strict = createMerchantHttp({ allowPrivate: false });
  const open = createMerchantHttp({ allowPrivate: true });

  before(async () => {
    s = await startServer();
    try {
      s6 = await startServer('::1');
    } catch {
      s6 = undefined; // no IPv6 loopback here: the [::1] refusal is still checked, without a listener.
    }
  });
  after(async () => {
    await s.close();
    await s6?.close();
  });

  const post = (url: string, timeoutMs = 1000) => ({ url, method: 'POST' as const, contentType: 'application/json', body: '{"type":"check"}', timeoutMs });

  describe('with allowPrivate: false, refuses before connecting', () => {
    const port = () => s.port;
    const targets: [string, () => string][] = [
      ['127.0.0.1', () => `http://127.0.0.1:${port()}/api`],
      ['localhost (resolves to loopback)', () => `http://localhost:${port()}/api`],
      ['[::1]', () => `http://[::1]:${s6?.port ?? port()}/api`],
      ['::ffff:127.0.0.1', () => `http://[::ffff:127.0.0.1]:${port()}/api`],
      ['127.1 (short form)', () => `http://127.1:${port()}/api`],
      ['2130706433 (decimal form)', () => `http://2130706433:${port()}/api`],
      ['0.0.0.0', () => `http://0.0.0.0:${port()}/api`],
      ['10.0.0.1', () => 'http://10.0.0.1/api'],
      ['192.168.1.1', () => 'http://192.168.1.1:8080/api'],
      ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/'],
      ['172.16.0.1 over https', () => 'https://172.16.0.1/api'],
      ['[fd00::1]', () => 'http://[fd00::1]/api'],
      ['[::127.0.0.1] (IPv4-compatible)', () => `http://[::127.0.0.1]:${port()}/api`],
      ['[::ffff:0:7f00:1] (IPv4-translated)', () => `http://[::ffff:0:7f00:1]:${port()}/api`],
      ['[64:ff9b::7f00:1] (NAT64)', () => `http://[64:ff9b::7f00:1]:${port()}/api`],
      ['[2002:7f00:1::1] (6to4)', () => `http://[2002:7f00:1::1]:${port()}/api`],
    ];
    for (const [name, url] of targets) {
      test(name, async () => {
        const before = { attempts: attempts.length, v4: s.connections, v6: s6?.connections ?? 0 };
        const r = await strict(post(url()));
        assert.equal(r.ok, false);
        assert.equal(!r.ok && r.error, 'merchant URL resolves to a private or loopback address');
        assert.equal(s.connections, before.v4, 'no TCP connection reached the IPv4 loopback listener');
        assert.equal(s6?.connections ?? 0, before.v6, 'no TCP connection reached the IPv6 loopback listener');
        assert.equal(s.requests.length + (s6?.requests.length ?? 0), 0);
        // Literal addresses are refused before a socket exists; names only inside the socket's own lookup.
        const tried = attempts.slice(before.attempts);
        assert.deepEqual(tried, name.startsWith('localhost') ? ['localhost'] : []);
      });
    }

    test('a non-http(s) URL is refused', async () => {
      const r = await strict(post(`file:///etc/passwd`));
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error, 'merchant URL must be http or https');
    });
  });

  test('with allowPrivate: true it connects to loopback and sends the exact bytes', async () => {
    s.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":true}');
    });
    const seen = s.requests.length;
    const r = await open(post(s.url));
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.status, 200);
    assert.equal(r.ok && r.body, '{"status":true}');
    assert.equal(s.requests.length, seen + 1);
    const got = s.requests[seen]!;
    assert.equal(got.method, 'POST');
    assert.equal(got.body, '{"type":"check"}');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['content-length'], '16');
    if (s6) {
      const r6 = await open(post(s6.url));
      assert.equal(r6.ok && r6.status, 200);
      assert.equal(s6.requests.length, 1);
    }
  });

  test('GET appends the body to the query string', async () => {
    s.handle((_req, res) => res.end('fine'));
    const seen = s.requests.length;
    const r = await open({ url: `${s.url}?a=1`, method: 'GET', body: 'type=check&pay_for=7', timeoutMs: 1000 });
    assert.equal(r.ok && r.body, 'fine');
    assert.equal(s.requests[seen]!.method, 'GET');
    assert.equal(s.requests[seen]!.url, '/api?a=1&type=check&pay_for=7');
    assert.equal(s.requests[seen]!.body, '');
  });

  test('redirects are not followed: the answer is the 302 and the target sees nothing', async () => {
    const target = await startServer();
    try {
      s.handle((_req, res) => {
        res.writeHead(302, { location: target.url });
        res.end();
      });
      const r = await open(post(s.url));
      assert.equal(r.ok, true);
      assert.equal(r.ok && r.status, 302);
      assert.equal(target.connections, 0);
      assert.equal(target.requests.length, 0);
    } finally {
      await target.close();
    }
  });

  test('an answer of exactly 64 KB is read; one byte more is cut with an error', async () => {
    const limit = 64 * 1024;
    s.handle((_req, res) => res.end('x'.repeat(limit)));
    const fits = await open(post(s.url));
    assert.equal(fits.ok && fits.body.length, limit);
    s.handle((_req, res) => res.end('x'.repeat(limit + 1)));
    const big = await open(post(s.url));
    assert.equal(big.ok, false);
    assert.equal(!big.ok && big.error, 'answer too large');
    // Streamed without a length, far beyond the cap: cut as well, without reading it all.
    s.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'y'.repeat(16 * 1024);
      let n = 0;
      const write = (): void => {
        while (n < 1024 && !res.destroyed) {
          n++;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    });
    const huge = await open(post(s.url, 5000));
    assert.equal(!huge.ok && huge.error, 'answer too large');
  });

  test('an answer that trickles in past the deadline fails with a timeout', async () => {
    const timers = new Set<NodeJS.Timeout>();
    s.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      const tick = setInterval(() => {
        if (res.destroyed) return void clearInterval(tick);
        res.write(' ');
      }, 50);
      timers.add(tick);
    });
    try {
      const started = performance.now();
      const r = await open(post(s.url, 300));
      const ms = performance.now() - started;
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error, 'no answer within 300 ms');
      assert.ok(ms >= 280 && ms < 1000, `gave up after ${Math.round(ms)} ms`);
      assert.ok(r.durationMs >= 280 && r.durationMs < 1000);
    } finally {
      for (const tick of timers) clearInterval(tick);
    }
  });

  test('a server that accepts but never answers fails with a timeout', async () => {
    s.handle(() => { /* never answers */ });
    const r = await open(post(s.url, 200));
    assert.equal(!r.ok && r.error, 'no answer within 200 ms');
  });

  describe('kept-alive connections', () => {
    /** A loopback server whose handler sees how many requests came before on the same connection. */
    async function connectionServer(fn: (req: IncomingMessage, res: ServerResponse, nth: number) => void, keepAliveTimeoutMs = 5000) {
      const perSocket = new WeakMap<net.Socket, number>();
      const stats = { connections: 0, requests: 0, closedAfterMs: [] as number[] };
      const server = createServer((req, res) => {
        const nth = (perSocket.get(req.socket) ?? 0) + 1;
        perSocket.set(req.socket, nth);
        stats.requests++;
        req.resume();
        req.on('end', () => fn(req, res, nth));
      });
      server.keepAliveTimeout = keepAliveTimeoutMs;
      server.on('connection', (socket: net.Socket) => {
        stats.connections++;
        const opened = performance.now();
        socket.on('close', () => stats.closedAfterMs.push(performance.now() - opened));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api`;
      const close = () => new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return { url, stats, close };
    }

    test('requests to one merchant one after another share one TCP connection', async () => {
      const m = await connectionServer((_req, res) => res.end('ok'));
      const send = createMerchantHttp({ allowPrivate: true });
      try {
        for (let i = 0; i < 5; i++) assert.equal((await send(post(m.url))).ok, true);
        assert.deepEqual({ connections: m.stats.connections, requests: m.stats.requests }, { connections: 1, requests: 5 });
      } finally {
        await m.close();
      }
    });

    test('a kept-alive connection the merchant dropped before answering is replaced: the request goes again, once, on a new connection', async () => {
      // The second request on any connection is cut with a reset, as when a server closes an idle
      // connection just as the request arrives.
      const m = await connectionServer((req, res, nth) => (nth === 2 ? req.socket.resetAndDestroy() : res.end(`answer ${nth}`)));
      const send = createMerchantHttp({ allowPrivate: true });
      try {
        assert.equal((await send(post(m.url))).ok, true);
        const r = await send(post(m.url));
        assert.equal(r.ok && r.body, 'answer 1');
        assert.deepEqual({ connections: m.stats.connections, requests: m.stats.requests }, { connections: 2, requests: 3 });
      } finally {
        await m.close();
      }
    });

    test('a merchant that drops a new connection gets no second try: the error is reported', async () => {
      const m = await connectionServer((req) => req.socket.resetAndDestroy());
      const send = createMerchantHttp({ allowPrivate: true });
      try {
        const r = await send(post(m.url));
        assert.equal(!r.ok && r.error, 'network error: ECONNRESET');
        assert.deepEqual({ connections: m.stats.connections, requests: m.stats.requests }, { connections: 1, requests: 1 });
      } finally {
        await m.close();
      }
    });

    test('an answer slower than the idle-connection timeout still arrives within the request deadline', async () => {
      const m = await connectionServer((_req, res) => setTimeout(() => res.end('late but fine'), 600));
      const send = createMerchantHttp({ allowPrivate: true, idleSocketMs: 200 });
      try {
        const r = await send(post(m.url, 2000));
        assert.equal(r.ok && r.body, 'late but fine');
        // And the connection is idle-closed after it, at the short idle timeout.
        const deadline = performance.now() + 2000;
        while (m.stats.closedAfterMs.length === 0 && performance.now() < deadline) await new Promise((res) => setTimeout(res, 25));
        assert.equal(m.stats.closedAfterMs.length, 1);
        assert.ok(m.stats.closedAfterMs[0]! < 2500, `closed after ${Math.round(m.stats.closedAfterMs[0]!)} ms, long before the server's 5 s`);
      } finally {
        await m.close();
      }
    });

    test('an idle connection is closed by the gateway a second before the timeout the server announces', async () => {
      const m = await connectionServer((_req, res) => res.end('ok'), 3000); // announces Keep-Alive: timeout=3
      const send = createMerchantHttp({ allowPrivate: true });
      try {
        assert.equal((await send(post(m.url))).ok, true);
        const deadline = performance.now() + 4000;
        while (m.stats.closedAfterMs.length === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(m.stats.closedAfterMs.length, 1, 'the idle connection was closed');
        const ms = m.stats.closedAfterMs[0]!;
        assert.ok(ms >= 1900 && ms < 2900, `closed after ${Math.round(ms)} ms: by the gateway at ~2 s, before the server's 3 s`);
      } finally {
        await m.close();
      }
    });
  });

  test('only loopback was ever contacted', () => {
    assert.ok(attempts.length > 0);
    assert.deepEqual(attempts.filter((h) => !LOOPBACK_HOSTS.has(h)), []);
  });
});
