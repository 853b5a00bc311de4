/**
 * What is careless about a merchant's settings, said once for the start's log and the cabinet.
 * A merchant that neither signs its links (`checkLinkMd5`) nor answers CHECK (`notifications`) lets
 * anyone create orders at any price; only the merchant's own amount check on PAY would catch them.
 * A key K under 16 characters can be recovered from one signed link by trying every K (md5 is
 * fast); it is allowed (a shop moving from Onpay keeps the K its module holds) but said every time.
 */
import { MIN_SECRET_LENGTH } from '../config.ts';

/** One warning: a stable code and an English sentence (the cabinet page words it in ru / en). */
export interface MerchantWarning {
  code: 'unsigned_unchecked' | 'short_secret';
  message: string;
}

/**
 * @example merchantWarnings({ checkLinkMd5: false, notifications: false }) // [{ code: 'unsigned_unchecked', … }]
 */
export function merchantWarnings(m: { checkLinkMd5: boolean; notifications: boolean; secret?: string }): MerchantWarning[] {
  const out: MerchantWarning[] = [];
  // Only the length is said, never the key.
  if (m.secret !== undefined && m.secret.length < MIN_SECRET_LENGTH) {
    out.push({
      code: 'short_secret',
      message: `the key K is shorter than ${MIN_SECRET_LENGTH} characters: a signed payment link lets anyone find it by trying every key; set a longer one (the cabinet's K rotation makes one)`,
    });
  }
  if (!m.checkLinkMd5 && !m.notifications) {
    out.push({
      code: 'unsigned_unchecked',
      message: 'payment links are not signed (checkLinkMd5 off) and no CHECK is sent (notifications off): anyone can create an order at any price; turn on link md5 or CHECK',
    });
  }
  return out;
}
