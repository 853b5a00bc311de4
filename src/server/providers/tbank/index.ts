/**
 * The T-Bank connector module (`type: "tbank"`): Internet Acquiring API v2, cards and SBP.
 * Registered once; the registry builds one connector per `providers` entry of this type.
 */
import { z } from 'zod';
import type { ConnectorModule } from '../contract.ts';
import { createTbankConnector, TBANK_PRODUCTION_URL, type TbankConfig } from './client.ts';

export const tbankConfigSchema = z.strictObject({
  id: z.string().min(1),
  type: z.literal('tbank'),
  /** Terminal key from T-Bank's merchant cabinet (≤ 20 characters). */
  terminalKey: z.string().min(1).max(20),
  /** The terminal's password: signs requests and notifications. */
  password: z.string().min(1),
  apiUrl: z.url({ protocol: /^https?$/ }).default(TBANK_PRODUCTION_URL),
});

export const tbankModule: ConnectorModule<TbankConfig> = {
  type: 'tbank',
  configSchema: tbankConfigSchema as unknown as z.ZodType<TbankConfig>,
  secretKeys: ['password'],
  methods: ['card', 'sbp', 'tpay', 'sberpay'],
  // NotificationURL is sent in every Init.
  notificationUrlInDashboard: false,
  create: createTbankConnector,
};

export { createTbankConnector, TBANK_PRODUCTION_URL, type TbankConfig } from './client.ts';
