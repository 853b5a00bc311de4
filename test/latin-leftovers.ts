/**
 * English left over in a Cyrillic-language text (issue 28: "no Latin leftovers in ru"): every Latin
 * word that is not one of the protocol's or the web's own names, which stay as they are in every
 * language (CHECK, PAY, API URL, JSON, UTF-8, md5, K, e-mail…). Used on the message tables and on
 * the rendered cabinet.
 */
const OWN_NAMES = new Set([
  'CHECK', 'PAY', 'API', 'URL', 'HTTP', 'HTML', 'JSON', 'XML', 'CSV', 'UTF', 'ISO', 'UTC', 'Windows', 'Excel', 'QR',
  'md5', 'K', 'JavaScript', 'cookie', 'e', 'E', 'mail', 'pay_', 'pay', 'onpay_ap_gwtest', 'onpay', 'checkout', 'Onpay',
  'Standard', 'Webhooks', 'POST', 'GET', 'docs', 'CONFIGURATION', 'md',
]);

/** The Latin words of `text` that are not own names, in order. */
export function latinLeftovers(text: string): string[] {
  return [...text.matchAll(/[A-Za-z][A-Za-z0-9_]*/g)].map((m) => m[0]).filter((w) => !OWN_NAMES.has(w));
}
