/**
 * What the tests of one payment provider through the whole gateway share, so that each file keeps
 * only what is particular to its provider: a provider's emulator with a real gateway configured for
 * it (bootstrap's `startGateway` on fresh SQLite or PostgreSQL storage, loopback HTTP, no dispatcher), the merchants
 * those tests use, the merchant's API calls, a first payment with the buyer's consent to save the
 * card, and waiting for what the gateway learns by notification.
 */
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { notifyUrlsFor, startCloudPaymentsEmulator, type CloudPaymentsEmulator, type CloudPaymentsEmulatorOptions } from '../src/server/providers/cloudpayments/emulator.ts';
import { DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator, type TbankEmulatorOptions } from '../src/server/providers/tbank/emulator.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from '../src/server/providers/yookassa/emulator.ts';
import { openTestStorage, TEST_SECRET, type StorageKind } from './helpers.ts';

/** The cabinet key of the merchant `shop` (the merchant's API). */
export const SHOP_KEY = 'shop-cabinet-key-0123456789';
/** The secret of the merchant `shop` that saves cards. */
export const SAVING_SHOP_SECRET = 'K-shop-0123456789';

type Config = Record<string, unknown>;

/** `shop`: a live merchant with its cabinet key and saved methods on (issue 26). */
export const savingShop = (): Config => ({
  login: 'shop', name: 'Shop', secret: SAVING_SHOP_SECRET, apiKey: SHOP_KEY, origins: [], checkLinkMd5: false, mode: 'live', savedMethods: { enabled: true },
});

/** A merchant with no notifications and no cabinet key (`shop`, secret `K-shop`, unless `over` says). */
export const plainShop = (over: Config = {}): Config => ({ login: 'shop', name: 'Shop', secret: 'K-shop', origins: [], checkLinkMd5: false, ...over });

/** T-Bank's card way `TBC` and SBP way `SBP` on the provider `provider`. */
export const tbankWays = (provider = 'tbank'): Config[] => [
  { code: 'TBC', provider, method: 'card', ticker: 'RUR', title: { ru: 'Банковская карта', en: 'Bank card' } },
  { code: 'SBP', provider, method: 'sbp', ticker: 'RUR', title: { ru: 'СБП', en: 'Faster Payments (SBP)' } },
];

/** A provider's emulator and a real gateway in front of it. */
export interface GatewayOnEmulator<E> {
  emu: E;
  gw: RunningGateway;
  /** Closes the gateway, then the emulator, then removes the database. */
  close(): Promise<void>;
}

/**
 * Starts a real gateway over fresh storage of `kind` (a SQLite file by default; a throwaway
 * PostgreSQL database) with `config` (providers, ways, merchants), no dispatcher, and gives it back
 * with `emu`; `close` stops both.
 * @example const { gw, close } = await startGatewayOn(emu, { providers: [...], ways: [...], merchants: [plainShop()] });
 */
export async function startGatewayOn<E extends { close(): Promise<void> }>(emu: E, config: Config, kind: StorageKind = 'sqlite'): Promise<GatewayOnEmulator<E>> {
  const ts = await openTestStorage(kind);
  await ts.database.close(); // the gateway opens it itself
  const gw = await startGateway(parseConfig({ port: 0, database: ts.url, secret: TEST_SECRET, ...config }), { dispatcher: false, log: () => {} });
  return {
    emu,
    gw,
    async close() {
      await gw.close();
      await emu.close();
      await ts.close();
    },
  };
}

/**
 * T-Bank's emulator and a gateway with the provider `tbank` on its default terminal, T-Bank's card
 * and SBP ways unless `ways` says, and `merchants`.
 */
export async function startTbankGateway(opts: { merchants: Config[]; ways?: Config[]; emulator?: TbankEmulatorOptions; kind?: StorageKind }): Promise<GatewayOnEmulator<TbankEmulator>> {
  const emu = await startTbankEmulator(opts.emulator);
  return startGatewayOn(emu, {
    providers: [{ id: 'tbank', type: 'tbank', ...DEFAULT_TERMINAL, apiUrl: emu.apiUrl }],
    ways: opts.ways ?? tbankWays(),
    merchants: opts.merchants,
  }, opts.kind);
}

/** YooKassa's emulator (shop `100500`) notifying a gateway with the provider `yk` and `ways`. */
export async function startYooKassaGateway(opts: { merchants: Config[]; ways: Config[]; kind?: StorageKind }): Promise<GatewayOnEmulator<YooKassaEmulator>> {
  const shopId = '100500';
  const secretKey = 'test_yk_secret';
  const emu = await startYooKassaEmulator({ shopId, secretKey, notificationUrl: undefined as never });
  const g = await startGatewayOn(emu, { providers: [{ id: 'yk', type: 'yookassa', shopId, secretKey, apiUrl: emu.apiUrl }], ways: opts.ways, merchants: opts.merchants }, opts.kind);
  emu.notificationUrl = `${g.gw.url}/providers/yk/notify`;
  return g;
}

/** CloudPayments' emulator (`publicId`, `apiSecret`) notifying a gateway with the provider `cp` and `ways`. */
export async function startCloudPaymentsGateway(opts: { merchants: Config[]; ways: Config[]; emulator: Pick<CloudPaymentsEmulatorOptions, 'publicId' | 'apiSecret' | 'schedule'>; kind?: StorageKind }): Promise<GatewayOnEmulator<CloudPaymentsEmulator>> {
  const { publicId, apiSecret } = opts.emulator;
  const emu = await startCloudPaymentsEmulator({ ...opts.emulator, notify: {} });
  const g = await startGatewayOn(emu, { providers: [{ id: 'cp', type: 'cloudpayments', publicId, apiSecret, apiUrl: emu.url }], ways: opts.ways, merchants: opts.merchants }, opts.kind);
  emu.notify = notifyUrlsFor(g.gw.url, 'cp');
  return g;
}

/** Asks `fn` every 50 ms until it says true; fails naming `what` after 5 s. */
export async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The merchant's API of `shop` on `gw` (its cabinet key), and its charges under an Idempotency-Key. */
export function merchantApi(gw: () => RunningGateway) {
  const api = (path: string, init: RequestInit = {}) => fetch(`${gw().url}${path}`, { ...init, headers: { authorization: `Bearer ${SHOP_KEY}`, 'content-type': 'application/json', ...init.headers } });
  const charge = (body: Record<string, unknown>, key: string) => api('/api/v1/charges', { method: 'POST', headers: { 'idempotency-key': key }, body: JSON.stringify(body) });
  return { api, charge };
}

/**
 * A first order of `customer` at the saving shop (150.0, `first-{customer}`): the signed link's form,
 * then the payment on `way`, with the consent to save the card when `saveMethod`. Gives the form
 * (its ways) and the gateway's payment id; paying it is the provider's part.
 */
export async function createFirstPayment(gw: RunningGateway, customer: string, way: string, saveMethod: boolean): Promise<{ id: string; form: { token: string; ways: { code: string; canSave?: boolean }[] } }> {
  const q = new URLSearchParams(signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: SAVING_SHOP_SECRET, price: '150', payFor: `first-${customer}`, customer }).query);
  const form = (await (await fetch(`${gw.url}/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as { token: string; ways: { code: string; canSave?: boolean }[] };
  const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way, ...(saveMethod ? { saveMethod } : {}) }) });
  const created = (await res.json()) as { id: string };
  assert.equal(res.status, 201);
  return { id: created.id, form };
}

/** Waits until the gateway has the payment `id` paid (the provider's notification or the return). */
export const untilPaid = (gw: RunningGateway, id: string, what = 'paid'): Promise<void> =>
  until(what, async () => (await gw.storage.getPayment(id))!.status === 'paid');

/** Waits until `customer` of `shop` has one saved method, and gives it. */
export async function savedMethod(gw: RunningGateway, customer: string) {
  await until('saved', async () => (await gw.storage.savedMethodsOf('shop', customer)).length === 1);
  const [m] = await gw.storage.savedMethodsOf('shop', customer);
  return m!;
}
