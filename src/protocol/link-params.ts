/**
 * The payment link's parameters (PROTOCOL.md §2), written once: each one's name on the wire, the
 * `<onpay-checkout>` attribute that mirrors it, and the `LinkParams` field it becomes. A module of
 * plain data, so the element's bundle takes it without the parser (zod) or hashing (node:crypto).
 */

/** How a field is written: text (left out when empty), `yes`/`no`, or a flag (`true`, or left out). */
export type LinkParamKind = 'text' | 'yesno' | 'flag';

/** One link parameter. `field` is null for those that are not part of `LinkParams` (`md5`, `f`). */
export interface LinkParam {
  readonly wire: string;
  readonly attribute: string;
  readonly field: string | null;
  readonly kind: LinkParamKind;
}

/**
 * The link parameters in the order links, queries and attributes are written. Aliases
 * (`currency`, `to`, `url_*_enc`) are read by the parser only; `onpay_ap_*` go through `params`
 * and `onpay-ap-*` attributes.
 */
export const LINK_PARAMS = [
  { wire: 'pay_mode', attribute: 'pay-mode', field: 'payMode', kind: 'text' },
  { wire: 'price', attribute: 'price', field: 'price', kind: 'text' },
  { wire: 'ticker', attribute: 'ticker', field: 'ticker', kind: 'text' },
  { wire: 'pay_for', attribute: 'pay-for', field: 'payFor', kind: 'text' },
  { wire: 'convert', attribute: 'convert', field: 'convert', kind: 'yesno' },
  { wire: 'md5', attribute: 'md5', field: null, kind: 'text' },
  { wire: 'note', attribute: 'note', field: 'note', kind: 'text' },
  { wire: 'ln', attribute: 'ln', field: 'ln', kind: 'text' },
  { wire: 'url_success', attribute: 'url-success', field: 'urlSuccess', kind: 'text' },
  { wire: 'url_fail', attribute: 'url-fail', field: 'urlFail', kind: 'text' },
  { wire: 'user_email', attribute: 'user-email', field: 'userEmail', kind: 'text' },
  { wire: 'user_phone', attribute: 'user-phone', field: 'userPhone', kind: 'text' },
  { wire: 'price_final', attribute: 'price-final', field: 'priceFinal', kind: 'flag' },
  { wire: 'one_way', attribute: 'one-way', field: 'oneWay', kind: 'text' },
  { wire: 'f', attribute: 'f', field: null, kind: 'text' },
] as const satisfies readonly LinkParam[];

/** The prefix of the link's extra parameters, and of the attributes that carry them one by one. */
export const EXTRA_PARAM_PREFIX = 'onpay_ap_';
export const EXTRA_ATTRIBUTE_PREFIX = 'onpay-ap-';
