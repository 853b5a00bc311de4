/**
 * What is careless about a merchant's settings, said once for the start's log and the cabinet.
 * A merchant that neither signs its links (`checkLinkMd5`) nor answers CHECK (`notifications`) lets
 * anyone create orders at any price; only the merchant's own amount check on PAY would catch them.
 */

/** One warning: a stable code and an English sentence (the cabinet page words it in ru / en). */
export interface MerchantWarning {
  code: 'unsigned_unchecked';
  message: string;
}

/**
 * @example merchantWarnings({ checkLinkMd5: false, notifications: false }) // [{ code: 'unsigned_unchecked', … }]
 */
export function merchantWarnings(m: { checkLinkMd5: boolean; notifications: boolean }): MerchantWarning[] {
  const out: MerchantWarning[] = [];
  if (!m.checkLinkMd5 && !m.notifications) {
    out.push({
      code: 'unsigned_unchecked',
      message: 'payment links are not signed (checkLinkMd5 off) and no CHECK is sent (notifications off): anyone can create an order at any price; turn on link md5 or CHECK',
    });
  }
  return out;
}
