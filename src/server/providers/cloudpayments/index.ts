/**
 * The CloudPayments provider type, listed in `CONNECTOR_MODULES` (providers/modules.ts).
 *
 * @example
 * { "id": "cp", "type": "cloudpayments", "publicId": "pk_…", "apiSecret": { "env": "CP_API_SECRET" } }
 */
import { z } from 'zod';
import type { ConnectorModule } from '../contract.ts';
import { createCloudPaymentsConnector, type CloudPaymentsConfig } from './client.ts';

/** CloudPayments' production API. */
export const CLOUDPAYMENTS_API_URL = 'https://api.cloudpayments.ru';

const configSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('cloudpayments'),
    publicId: z.string().min(1),
    apiSecret: z.string().min(1),
    apiUrl: z.string().url().default(CLOUDPAYMENTS_API_URL),
    /** The seller's INN (10 or 12 digits): `kkt/receipt` needs it for the closing receipt. */
    inn: z.string().regex(/^(\d{10}|\d{12})$/, 'inn must be 10 or 12 digits').optional(),
    /** `sbp` ways: `page` (default) the hosted order page; `qr` the QR link in the element with CloudPayments' banks. */
    sbpFlow: z.enum(['page', 'qr']).default('page'),
  })
  .strict();

/**
 * `card` goes to CloudPayments' hosted order page; so does `sbp`, unless the entry says `"sbpFlow":
 * "qr"`: then the element shows the QR link with CloudPayments' own bank list (README).
 */
export const cloudPaymentsModule: ConnectorModule<CloudPaymentsConfig> = {
  type: 'cloudpayments',
  configSchema: configSchema as z.ZodType<CloudPaymentsConfig>,
  secretKeys: ['apiSecret'],
  methods: ['card', 'sbp'],
  notificationUrlInDashboard: true,
  // One address per notification type, each with method POST (the dashboard defaults to GET).
  dashboardNotificationHint: (url) => `set the Check, Pay, Fail, Refund and Receipt notifications, method POST, to ${['check', 'pay', 'fail', 'refund', 'receipt'].map((k) => `${url}?kind=${k}`).join(', ')}`,
  create: (config, deps) => createCloudPaymentsConnector(config, deps),
};

export type { CloudPaymentsConfig } from './client.ts';
export { createCloudPaymentsConnector } from './client.ts';
