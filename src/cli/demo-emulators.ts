/**
 * The providers' offline emulators for the demo: T-Bank, YooKassa and CloudPayments started on
 * loopback beside the gateway, with the `providers` and `ways` that point the gateway at them. So a
 * newcomer's `npm start` pays through the real connectors (T-Bank cards and SBP, a YooKassa card,
 * a CloudPayments card and SBP) without leaving the machine. Against the real providers, the same ways need
 * only the real credentials and no `apiUrl` (docs/PROVIDERS.md).
 *
 * @example
 * const emu = await startDemoEmulators({ ports: DEMO_EMULATOR_PORTS });
 * const config = { providers: emu.providers, ways: [...sandboxWays, ...emu.ways] };
 * // …start the gateway, then tell the dashboard-configured emulators where to notify:
 * emu.connect(gateway.url);
 * await emu.close();
 */
import { createServer } from 'node:net';
import { notifyUrlsFor, startCloudPaymentsEmulator, type CloudPaymentsEmulator } from '../server/providers/cloudpayments/emulator.ts';
import { DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator } from '../server/providers/tbank/emulator.ts';
import { startYooKassaEmulator, type YooKassaEmulator } from '../server/providers/yookassa/emulator.ts';

/** The demo's provider accounts (ids, as the notification URLs carry them). */
export const DEMO_PROVIDER_IDS = { tbank: 'tbank', yookassa: 'yk', cloudpayments: 'cp' } as const;

/** The demo's test credentials: the emulators accept exactly these. */
const YOOKASSA = { shopId: '100500', secretKey: 'demo_yookassa_secret_key' };
const CLOUDPAYMENTS = { publicId: 'pk_demo_cloudpayments', apiSecret: 'demo_cloudpayments_api_secret' };

export interface EmulatorPorts {
  tbank: number;
  yookassa: number;
  cloudpayments: number;
}

/** The ports `npm start` tries first, after the gateway's 8080 and the shop's 8081 (taken ones fall back to free ports). */
export const DEMO_EMULATOR_PORTS: EmulatorPorts = { tbank: 8091, yookassa: 8092, cloudpayments: 8093 };

/** Any free port for each (tests). */
export const FREE_PORTS: EmulatorPorts = { tbank: 0, yookassa: 0, cloudpayments: 0 };

export interface DemoEmulators {
  tbank: TbankEmulator;
  yookassa: YooKassaEmulator;
  cloudpayments: CloudPaymentsEmulator;
  /** The configuration's `providers` entries pointing at the emulators. */
  providers: Record<string, unknown>[];
  /** The ways they serve, to list beside the sandbox ways. */
  ways: Record<string, unknown>[];
  /**
   * Sets the notification URLs of the providers that take them from their dashboard (YooKassa,
   * CloudPayments), once the gateway's address is known. T-Bank needs nothing: every `Init` carries it.
   */
  connect(gatewayUrl: string): void;
  /** One line per emulator, for the start-up message (no secrets). */
  describe(): string[];
  close(): Promise<void>;
}

/** Whether a port on loopback can be listened on now (0 always can). */
function portFree(port: number, host: string): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** How long the demo's emulated cash registers take to register a receipt. */
export const DEMO_RECEIPT_DELAY_MS = 500;

const choosePort = async (port: number, host: string): Promise<number> => ((await portFree(port, host)) ? port : 0);

export async function startDemoEmulators(opts: { ports?: EmulatorPorts; host?: string } = {}): Promise<DemoEmulators> {
  const host = opts.host ?? '127.0.0.1';
  const ports = opts.ports ?? FREE_PORTS;
  const started: { close(): Promise<void> }[] = [];
  try {
    // The cash registers take a moment, as real ones do: receipts go `sent`, then `registered` (issue 24).
    const tbank = await startTbankEmulator({ port: await choosePort(ports.tbank, host), host, receiptDelayMs: DEMO_RECEIPT_DELAY_MS });
    started.push(tbank);
    const yookassa = await startYooKassaEmulator({ ...YOOKASSA, port: await choosePort(ports.yookassa, host), host, receiptDelayMs: DEMO_RECEIPT_DELAY_MS });
    started.push(yookassa);
    const cloudpayments = await startCloudPaymentsEmulator({ ...CLOUDPAYMENTS, port: await choosePort(ports.cloudpayments, host), host, receiptDelayMs: DEMO_RECEIPT_DELAY_MS });
    started.push(cloudpayments);
    const ids = DEMO_PROVIDER_IDS;
    return {
      tbank,
      yookassa,
      cloudpayments,
      providers: [
        { id: ids.tbank, type: 'tbank', terminalKey: DEFAULT_TERMINAL.terminalKey, password: DEFAULT_TERMINAL.password, apiUrl: tbank.apiUrl },
        { id: ids.yookassa, type: 'yookassa', ...YOOKASSA, apiUrl: yookassa.apiUrl },
        // The seller's INN lets the cabinet's closing-receipt button work through the receipt API.
        // SBP by CloudPayments' QR link (issue 27): the element's QR view with CloudPayments' own banks.
        { id: ids.cloudpayments, type: 'cloudpayments', ...CLOUDPAYMENTS, apiUrl: cloudpayments.url, inn: '7707083893', sbpFlow: 'qr' },
      ],
      ways: [
        // T-Bank's and YooKassa's pages are not made for frames: the element opens them in a popup.
        { code: 'TBC', provider: ids.tbank, method: 'card', ticker: 'RUR', feeBps: 0, frame: false, title: { ru: 'Банковская карта (T-Bank)', en: 'Bank card (T-Bank)' } },
        { code: 'SBP', provider: ids.tbank, method: 'sbp', ticker: 'RUR', feeBps: 0, title: { ru: 'СБП', en: 'Faster Payments (SBP)' } },
        // Bank app wallets (issue 27): a button opening the app on a phone, a QR code on a desktop.
        { code: 'TPY', provider: ids.tbank, method: 'tpay', ticker: 'RUR', feeBps: 0, title: { ru: 'T-Pay', en: 'T-Pay' } },
        { code: 'SBR', provider: ids.tbank, method: 'sberpay', ticker: 'RUR', feeBps: 0, title: { ru: 'SberPay', en: 'SberPay' } },
        { code: 'YKC', provider: ids.yookassa, method: 'bank_card', ticker: 'RUR', feeBps: 0, frame: false, title: { ru: 'Банковская карта (ЮKassa)', en: 'Bank card (YooKassa)' } },
        { code: 'YKT', provider: ids.yookassa, method: 'tinkoff_bank', ticker: 'RUR', feeBps: 0, frame: false, title: { ru: 'T-Pay (ЮKassa)', en: 'T-Pay (YooKassa)' } },
        { code: 'YKS', provider: ids.yookassa, method: 'sberbank', ticker: 'RUR', feeBps: 0, title: { ru: 'SberPay (ЮKassa)', en: 'SberPay (YooKassa)' } },
        { code: 'YKM', provider: ids.yookassa, method: 'mir_pay', ticker: 'RUR', feeBps: 0, frame: false, title: { ru: 'Mir Pay (ЮKassa)', en: 'Mir Pay (YooKassa)' } },
        { code: 'CPC', provider: ids.cloudpayments, method: 'card', ticker: 'RUR', feeBps: 0, title: { ru: 'Банковская карта (CloudPayments)', en: 'Bank card (CloudPayments)' } },
        { code: 'CPS', provider: ids.cloudpayments, method: 'sbp', ticker: 'RUR', feeBps: 0, title: { ru: 'СБП (CloudPayments)', en: 'Faster Payments (CloudPayments)' } },
      ],
      connect(gatewayUrl) {
        yookassa.notificationUrl = `${gatewayUrl}/providers/${ids.yookassa}/notify`;
        cloudpayments.notify = notifyUrlsFor(gatewayUrl, ids.cloudpayments);
      },
      describe: () => [
        `T-Bank emulator:        ${tbank.url} (terminal ${DEFAULT_TERMINAL.terminalKey}; test card 2200 7702 3909 7761)`,
        `YooKassa emulator:      ${yookassa.url} (shop ${YOOKASSA.shopId}; test card 5555 5555 5555 4477)`,
        `CloudPayments emulator: ${cloudpayments.url} (site ${CLOUDPAYMENTS.publicId}; test card 4242 4242 4242 4242)`,
      ],
      async close() {
        await Promise.all(started.map((e) => e.close()));
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.close().catch(() => {})));
    throw e;
  }
}
