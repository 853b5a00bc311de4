/**
 * Starts the whole demo on one machine: the gateway on the embedded SQLite default with the demo
 * merchant wired to the demo shop, and the shop itself. Used by `npm start` and the e2e tests.
 * It lives beside the commands because it composes the gateway with the shop; `demo/` itself is
 * only the shop, built on the merchant kit and the wire.
 */
import { serve, type ServerType } from '@hono/node-server';
import { DEFAULT_WAYS } from '../server/config.ts';
import type { Logger } from '../server/logger.ts';
import { DEMO_MERCHANT, loadConfig, startGateway, type RunningGateway } from '../server/bootstrap.ts';
import { DEMO_PROVIDER_IDS, startDemoEmulators, type DemoEmulators, type EmulatorPorts } from './demo-emulators.ts';
import { createShop } from '../../demo/shop.ts';

export interface DemoOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** The shop's port (0: any free one). */
  shopPort: number;
  shopDatabase: string;
  /** Extra configuration over the demo defaults (tests shorten the retry schedule). */
  overrides?: Record<string, unknown>;
  log?: (m: string) => void;
  logger?: Logger;
  /**
   * Also start the T-Bank, YooKassa and CloudPayments emulators on these ports (0: a free one; a
   * taken port falls back to a free one) and offer their ways beside the sandbox ones.
   */
  emulators?: EmulatorPorts;
}

export interface RunningDemo {
  gateway: RunningGateway;
  shopUrl: string;
  shop: ReturnType<typeof createShop>;
  /** The providers' emulators, when asked for. */
  emulators: DemoEmulators | null;
  /** Takes the shop's server off the network (connections refused) or back on, on the same port. */
  setShopOnline(online: boolean): Promise<void>;
  close(): Promise<void>;
}

const listen = (fetch: (r: Request, env?: unknown) => Promise<Response>, port: number): Promise<ServerType> =>
  new Promise((resolve) => {
    const s = serve({ fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
  });

export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  let shop: ReturnType<typeof createShop> | undefined;
  const handler = (r: Request, env?: unknown) => (shop ? shop.fetch(r, env) : Promise.resolve(new Response('starting', { status: 503 })));
  let shopServer: ServerType | null = await listen(handler, opts.shopPort);
  const shopPort = (shopServer.address() as { port: number }).port;
  const closeShopServer = () => new Promise<void>((resolve) => {
    if (!shopServer) return resolve();
    const s = shopServer;
    shopServer = null;
    s.close(() => resolve());
    (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
  const shopUrl = `http://localhost:${shopPort}`;
  let emulators: DemoEmulators | null = null;
  try {
    if (opts.emulators) emulators = await startDemoEmulators({ ports: opts.emulators });
  } catch (e) {
    await closeShopServer();
    throw e;
  }
  const providerDefaults = emulators ? { providers: emulators.providers, ways: [...DEFAULT_WAYS, ...emulators.ways] } : {};
  const config = loadConfig(opts.argv ?? [], opts.env ?? {}, {
    allowPrivateMerchantUrls: true,
    merchants: [{
      ...DEMO_MERCHANT,
      notifications: true,
      apiType: 2,
      apiUrl: `http://127.0.0.1:${shopPort}/onpay/api`,
      checkLinkMd5: true,
      origins: [shopUrl, `http://127.0.0.1:${shopPort}`],
    }],
    ...providerDefaults,
    ...opts.overrides,
  });
  let gateway: RunningGateway;
  try {
    // The emulators are told the notification URL below: the start-up hint to set it in their
    // dashboards is about real accounts, not about these.
    const log = opts.log && emulators
      ? (m: string) => { if (!/^provider (\S+) \(.*\): in the provider's dashboard/.test(m) || !Object.values(DEMO_PROVIDER_IDS).some((id) => m.startsWith(`provider ${id} `))) opts.log!(m); }
      : opts.log;
    gateway = await startGateway(config, { cacheAssets: opts.env?.NODE_ENV === 'production', ...(log ? { log } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
  } catch (e) {
    await closeShopServer();
    await emulators?.close();
    throw e;
  }
  // YooKassa and CloudPayments take the notification URL from their dashboard: here, from us.
  emulators?.connect(gateway.url);
  const frameOrigins = emulators ? [emulators.tbank.url, emulators.yookassa.url, emulators.cloudpayments.url] : [];
  shop = createShop({ gateway: gateway.config.publicUrl, merchantLogin: DEMO_MERCHANT.login, secret: DEMO_MERCHANT.secret, database: opts.shopDatabase, publicUrl: shopUrl, frameOrigins });
  return {
    gateway,
    shopUrl,
    shop,
    emulators,
    async setShopOnline(online) {
      if (!online) return closeShopServer();
      if (!shopServer) shopServer = await listen(handler, shopPort);
    },
    async close() {
      // The gateway first: a CHECK or PAY it has in flight still reaches the shop.
      await gateway.close();
      await closeShopServer();
      shop?.close();
      // The emulators last: a notification the gateway was handling may still ask them.
      await emulators?.close();
    },
  };
}
