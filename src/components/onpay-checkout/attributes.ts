/** The element's attributes and events as types, for the framework typings (react.ts, vue.ts). */
import type { OnpayEventDetails } from './events.ts';
import type { Messages } from './messages/format.ts';

/** The attributes a page may set on `<onpay-checkout>` (docs/ELEMENT.md), all strings as in HTML. */
export interface OnpayCheckoutAttributes {
  gateway?: string;
  'merchant-login'?: string;
  href?: string;
  'pay-mode'?: 'fix' | 'free';
  price?: string | number;
  ticker?: string;
  'pay-for'?: string | number;
  convert?: 'yes' | 'no';
  note?: string;
  ln?: string;
  'url-success'?: string;
  'url-fail'?: string;
  'user-email'?: string;
  'user-phone'?: string;
  'price-final'?: 'true' | 'false';
  'one-way'?: string;
  md5?: string;
  params?: string;
  theme?: 'light' | 'dark';
  /** `immediate`: a failed payment goes straight to `url-fail` instead of the failure view. */
  'fail-redirect'?: 'immediate';
  /** Strings over the language's own (a property, not an attribute). */
  messages?: Partial<Messages>;
  /** `onpay-ap-*` extra parameters. */
  [extra: `onpay-ap-${string}`]: string | undefined;
}

/** React 19's event props of custom elements: `on` + the event's own name, `ononpay-success` for `onpay-success`. */
export type OnpayEventProps = {
  [K in keyof OnpayEventDetails as `on${K}`]?: (event: CustomEvent<OnpayEventDetails[K]>) => void;
};
