/**
 * The payment link's parameters (PROTOCOL.md §2), written once: each one's name on the wire, the
 * `<onpay-checkout>` attribute that mirrors it, and the `LinkParams` field it becomes. A module of
 * plain data, so the element's bundle takes it without the parser (zod) or hashing (node:crypto).
 */

/**
 * One link parameter: `[wire name, element attribute, LinkParams field]`; the field is null for
 * those that are not plain `LinkParams` fields (`md5`, `f`, the extension parameters). Tuples, not objects: the element's bundle
 * carries this table, and its gzip budget is tight.
 */
export type LinkParam = readonly [wire: string, attribute: string, field: string | null];

/**
 * The link parameters in the order links, queries and attributes are written. Aliases
 * (`currency`, `to`, `url_*_enc`) are read by the parser only; `onpay_ap_*` go through `params`
 * and `onpay-ap-*` attributes.
 */
export const LINK_PARAMS = [
  ['pay_mode', 'pay-mode', 'payMode'],
  ['price', 'price', 'price'],
  ['ticker', 'ticker', 'ticker'],
  ['pay_for', 'pay-for', 'payFor'],
  ['convert', 'convert', 'convert'],
  ['md5', 'md5', null],
  ['note', 'note', 'note'],
  ['ln', 'ln', 'ln'],
  ['url_success', 'url-success', 'urlSuccess'],
  ['url_fail', 'url-fail', 'urlFail'],
  ['user_email', 'user-email', 'userEmail'],
  ['user_phone', 'user-phone', 'userPhone'],
  ['price_final', 'price-final', 'priceFinal'],
  ['one_way', 'one-way', 'oneWay'],
  ['f', 'f', null],
  // The signed extension parameters (PROTOCOL.md §5), written from `LinkParams.extensions`.
  ['receipt', 'receipt', null],
  ['customer', 'customer', null],
  ['save_method', 'save-method', null],
  ['capture', 'capture', null],
  ['ext_md5', 'ext-md5', null],
] as const satisfies readonly LinkParam[];

/**
 * The extension parameters `ext_md5` signs (PROTOCOL.md §5), in byte order. More may come; each is
 * listed in the docs and here.
 */
export const EXTENSION_PARAMS = ['capture', 'customer', 'receipt', 'save_method'] as const;
export type ExtensionParam = (typeof EXTENSION_PARAMS)[number];

/** The prefix of the link's extra parameters, and of the attributes that carry them one by one. */
export const EXTRA_PARAM_PREFIX = 'onpay_ap_';
export const EXTRA_ATTRIBUTE_PREFIX = 'onpay-ap-';
