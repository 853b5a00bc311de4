/**
 * Payment systems as a shop owner reads them in the cabinet (issue 28 item 5): the way's title in
 * the page's language instead of its code, and the provider's own dashboard where the provider has
 * one. Pure: built from the configuration.
 *
 * @example cabinetWays(config, 'kk') // [{ code: 'CRD', title: 'Банковская карта (тест)', provider: 'sandbox' }, …]
 */
import { wayTitle, type Language } from '../../protocol/languages.ts';
import { wayProvider, type GatewayConfig } from '../config.ts';

export interface CabinetWay {
  code: string;
  title: string;
  provider: string;
}

/** Every configured way with its title in `ln`, in the configuration's order. */
export function cabinetWays(config: Pick<GatewayConfig, 'ways'>, ln: Language): CabinetWay[] {
  return config.ways.map((w) => ({ code: w.code, title: wayTitle(w.title, ln), provider: wayProvider(w) }));
}

/**
 * The dashboards of the providers that have one, from their public documentation: CloudPayments'
 * merchant area (developers.cloudpayments.ru, «ЛК … https://merchant.cloudpayments.ru»), YooKassa's
 * merchant profile with its payment history (yookassa.ru/docs/support/merchant/payments/history),
 * T-Bank's business account (business.tbank.ru). None documents a link to one payment, so the link
 * opens the dashboard and the page shows the provider's payment id beside it to search by.
 * `hosts`: the provider's own API hosts; a provider pointed elsewhere (an emulator) gets no link.
 */
const DASHBOARDS: Record<string, { url: string; hosts: RegExp }> = {
  cloudpayments: { url: 'https://merchant.cloudpayments.ru/', hosts: /(^|\.)cloudpayments\.(ru|kz)$/ },
  yookassa: { url: 'https://yookassa.ru/my/payments', hosts: /(^|\.)yookassa\.ru$/ },
  tbank: { url: 'https://business.tbank.ru/', hosts: /(^|\.)(tbank|tinkoff)\.ru$/ },
};

/** The dashboard of the provider account `providerId`, or null (the sandbox, an emulator, a provider without one). */
export function providerDashboard(config: Pick<GatewayConfig, 'providers'>, providerId: string | null): string | null {
  const p = providerId === null ? undefined : config.providers.find((x) => x.id === providerId);
  const d = p ? DASHBOARDS[p.type] : undefined;
  if (!p || !d) return null;
  let host: string;
  try {
    host = new URL(String(p.apiUrl)).hostname;
  } catch {
    return null;
  }
  return d.hosts.test(host) ? d.url : null;
}
