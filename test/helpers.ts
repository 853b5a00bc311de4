/**
 * Test harness: real storage (a SQLite file, or a fresh database on the PostgreSQL server that
 * `npm test` starts), real merchant stubs on loopback, a gateway with a controllable clock.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createGateway, type Gateway } from '../src/server/app.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { parseConfig, type GatewayConfig, type MerchantConfig } from '../src/server/config.ts';
import { openDatabase, type OpenDatabase } from '../src/server/storage/db.ts';
import { createStorage, type Storage } from '../src/server/storage/storage.ts';
import type { ConnectorModules } from '../src/server/providers/contract.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';

export const TEST_SECRET = 'test-gateway-secret-0123456789abcdef';

export type StorageKind = 'sqlite' | 'postgres';

/** Which storage kinds this run can test: PostgreSQL when `TEST_DATABASE_URL` is set. */
export const storageKinds = (): StorageKind[] => (process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite']);

export interface TestStorage {
  storage: Storage;
  database: OpenDatabase;
  url: string;
  close(): Promise<void>;
}

/** A fresh database: a SQLite file in a temp dir, or a new database on the test PostgreSQL server. */
export async function openTestStorage(kind: StorageKind = 'sqlite'): Promise<TestStorage> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'onpay-test-'));
    const url = `sqlite:${join(dir, 'gateway.sqlite')}`;
    const database = await openDatabase(url);
    return {
      storage: createStorage(database.db, database.dialect),
      database,
      url,
      async close() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) throw new Error('TEST_DATABASE_URL is not set (npm test starts a PostgreSQL server)');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = admin.replace(/\/[^/]*$/, `/${name}`);
  const database = await openDatabase(url);
  return {
    storage: createStorage(database.db, database.dialect),
    database,
    url,
    async close() {
      await database.close();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A recorded request to a merchant stub. */
export interface StubRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface MerchantStub {
  url: string;
  requests: StubRequest[];
  /** Replaces the handler. */
  handle(fn: StubHandler): void;
  close(): Promise<void>;
}

export type StubHandler = (req: StubRequest, res: ServerResponse) => void | Promise<void>;

/** A real HTTP server on 127.0.0.1 standing in for a merchant's API URL. */
export async function startMerchantStub(handler: StubHandler = (_q, res) => { res.end(''); }): Promise<MerchantStub> {
  let current = handler;
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: StubRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      Promise.resolve(current(r, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/api`,
    requests,
    handle(fn) {
      current = fn;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A clock the test moves by hand. */
export function testClock(start = Date.UTC(2026, 10, 28, 12, 0, 0)) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

export const merchant = (over: Partial<MerchantConfig> = {}): MerchantConfig => ({
  login: 'shop',
  name: 'Test shop',
  secret: 'test',
  apiKey: 'shop-cabinet-key-0123456789',
  notifications: false,
  apiType: 2,
  apiMethod: 'POST',
  checkLinkMd5: false,
  origins: ['https://shop.example'],
  ...over,
});

export interface TestGateway {
  gateway: Gateway;
  storage: Storage;
  config: GatewayConfig;
  clock: ReturnType<typeof testClock>;
  /** The database's URL, for a second connection to it. */
  databaseUrl: string;
  /** `gateway.fetch` on a path. */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** A gateway over real storage with the given merchants, a test clock and real loopback HTTP to merchants. */
export async function startTestGateway(opts: { merchants?: MerchantConfig[]; kind?: StorageKind; config?: Record<string, unknown>; connectorModules?: ConnectorModules } = {}): Promise<TestGateway> {
  const ts = await openTestStorage(opts.kind ?? 'sqlite');
  const config = parseConfig({
    secret: TEST_SECRET,
    publicUrl: 'http://gateway.test',
    allowPrivateMerchantUrls: true,
    checkTimeoutMs: 2000,
    merchants: opts.merchants ?? [merchant()],
    ...opts.config,
  }, undefined, opts.connectorModules);
  const clock = testClock();
  for (const m of config.merchants) await ts.storage.upsertMerchant(merchantFromConfig(m), clock.now());
  const gateway = createGateway({
    config,
    storage: ts.storage,
    now: clock.now,
    merchantHttp: createMerchantHttp({ allowPrivate: true }),
    log: () => {},
    ...(opts.connectorModules ? { connectorModules: opts.connectorModules } : {}),
  });
  return {
    gateway,
    storage: ts.storage,
    config,
    clock,
    databaseUrl: ts.url,
    request: (path, init) => gateway.fetch(new Request(`http://gateway.test${path}`, init)),
    close: () => ts.close(),
  };
}

/** Fetches the form payload of a link and creates a payment on the first (or given) way. */
export async function createPaymentVia(t: TestGateway, query: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const form = await t.request(`/pay/shop?${query}`, { headers: { accept: 'application/json' } });
  if (form.status !== 200) throw new Error(`form payload: ${form.status} ${await form.text()}`);
  const payload = (await form.json()) as { token: string; ways: { code: string }[] };
  const res = await t.request('/api/v1/payments', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ token: payload.token, way: payload.ways[0]!.code, ...body }),
  });
  return { res, json: (await res.json()) as Record<string, any>, payload };
}
