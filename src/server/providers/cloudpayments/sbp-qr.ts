/**
 * CloudPayments' SBP QR link answer (`POST /payments/qr/sbp/link`: `Model` with `QrUrl`,
 * `TransactionId`, `ProviderQrId` and `Banks`, NSPK's C2B members dictionary for this payment, as
 * its Android and iOS SDKs read it), pure: the stored action's QR code, carrying that bank list so
 * the element's chooser shows the provider's banks over the gateway's (docs/PROVIDERS.md, "SBP: the
 * banks"). The seam for the connector's QR link flow; its hosted page is what the `sbp` way uses today.
 */
import type { SbpBank } from '../../../protocol/checkout-api.ts';
import { parseC2bMembers } from '../../sbp/banks.ts';

/** The QR code of a stored instructions action. */
export interface StoredQr {
  payload: string;
  deepLink: string;
  banks?: SbpBank[];
}

/**
 * `Model` of the answer → the action's QR code, or `null` without a usable `QrUrl` (https only). A
 * bank list that is not NSPK's dictionary is left out rather than failing the payment: the element
 * then reads the gateway's.
 * @example cloudPaymentsSbpQr({ QrUrl: 'https://qr.nspk.ru/AD1…', Banks: { version: '1.0', dictionary: […] } })
 * // → { payload: 'https://qr.nspk.ru/AD1…', deepLink: 'https://qr.nspk.ru/AD1…', banks: […] }
 */
export function cloudPaymentsSbpQr(model: Record<string, unknown>): StoredQr | null {
  const url = model.QrUrl;
  if (typeof url !== 'string' || !URL.canParse(url) || new URL(url).protocol !== 'https:') return null;
  let banks: SbpBank[] | undefined;
  try {
    banks = model.Banks === null || model.Banks === undefined ? undefined : parseC2bMembers(model.Banks).dictionary;
  } catch {
    banks = undefined;
  }
  return { payload: url, deepLink: url, ...(banks ? { banks } : {}) };
}
