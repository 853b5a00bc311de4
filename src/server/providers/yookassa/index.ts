/**
 * The YooKassa connector module: registered once (`type: "yookassa"`), it validates a `providers`
 * entry and builds a `Connector` for that shop.
 *
 * ```json
 * { "id": "yk", "type": "yookassa", "shopId": "123456", "secretKey": { "env": "YOOKASSA_SECRET_KEY" },
 *   "notifyIps": ["185.71.76.0/27", "185.71.77.0/27", "77.75.153.0/25", "77.75.156.11", "77.75.156.35",
 *                 "77.75.154.128/25", "2a02:5180::/32"] }
 * ```
 * Ways: `{ "code": "YKC", "provider": "yk", "method": "bank_card" | "sbp" | "yoo_money" | "tinkoff_bank" | "sberbank" | "mir_pay", … }`.
 * The notification URL, `{publicUrl}/providers/{id}/notify`, is entered in YooKassa's dashboard
 * («Интеграция — HTTP-уведомления»): YooKassa takes no notification URL per payment.
 */
import { z } from 'zod';
import type { ConnectorModule } from '../contract.ts';
import { createYooKassaConnector, type YooKassaConfig } from './client.ts';
import { parseIpRanges, YOOKASSA_API_URL, YOOKASSA_METHODS } from './transform.ts';

export { createYooKassaConnector, type YooKassaConfig } from './client.ts';
export { YOOKASSA_NOTIFY_IPS, YOOKASSA_API_URL } from './transform.ts';

const ipOrRange = z.string().refine((s) => {
  try {
    parseIpRanges([s]);
    return true;
  } catch {
    return false;
  }
}, { message: 'not an IP address or CIDR range' });

/** One `providers` entry of type `yookassa`. Unknown keys are refused. */
export const yookassaConfigSchema: z.ZodType<YooKassaConfig> = z.object({
  id: z.string().min(1).max(64),
  type: z.literal('yookassa'),
  shopId: z.string().min(1).max(64),
  secretKey: z.string().min(1).max(256),
  apiUrl: z.string().url().max(1000).default(YOOKASSA_API_URL).transform((u) => u.replace(/\/+$/, '')),
  notifyIps: z.array(ipOrRange).optional(),
}).strict();

/**
 * Registered with one line in the provider registry (`CONNECTOR_MODULES`); the emulator is imported
 * from `./emulator.ts` by tests and the demo only.
 * @example moduleTable([sandboxModule, tbankModule, yookassaModule, cloudPaymentsModule])
 */
export const yookassaModule: ConnectorModule<YooKassaConfig> = {
  type: 'yookassa',
  configSchema: yookassaConfigSchema,
  secretKeys: ['secretKey'],
  methods: YOOKASSA_METHODS,
  notificationUrlInDashboard: true,
  create: (config, deps) => createYooKassaConnector(config, deps),
};
