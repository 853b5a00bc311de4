/**
 * The buyer's action as the element receives it: the stored action, with an SBP QR code's payload
 * also given as modules (`size`, `modules` from `qrModules`), so the element draws it as inline SVG
 * and ships no QR encoder. Stored actions keep only the payload: the modules follow from it.
 */
import { qrModules } from './qr.ts';
import type { PaymentAction } from '../types.ts';
import type { BuyerAction } from '../../protocol/checkout-api.ts';

/**
 * @example buyerAction({ type: 'instructions', …, qr: { payload: 'https://qr.nspk.ru/…', deepLink: '…' } })
 * // → { type: 'instructions', …, qr: { payload, deepLink, size: 33, modules: '1111111010…' } }
 */
export function buyerAction(action: PaymentAction): BuyerAction {
  if (action.type === 'redirect') return action;
  const { qr, ...rest } = action;
  // The provider's own bank list, where its connector kept one, goes along for the chooser.
  return qr ? { ...rest, qr: { payload: qr.payload, deepLink: qr.deepLink, ...qrModules(qr.payload), ...(qr.banks ? { banks: qr.banks } : {}) } } : rest;
}
