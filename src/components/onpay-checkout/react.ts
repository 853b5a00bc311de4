/**
 * `import type {} from 'onpay-checkout/react'` types `<onpay-checkout>` in React 19's JSX: its
 * attributes, and its events as `on…` props, which React 19 attaches as listeners of the event of
 * the same name (`onpay-success` is the prop `ononpay-success`).
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { OnpayCheckoutAttributes, OnpayEventProps } from './attributes.ts';
import type { OnpayCheckout } from './onpay-checkout.ts';

export type OnpayCheckoutJsxProps = DetailedHTMLProps<HTMLAttributes<OnpayCheckout>, OnpayCheckout> & OnpayCheckoutAttributes & OnpayEventProps;

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- React's own JSX is a namespace to augment
  namespace JSX {
    interface IntrinsicElements {
      'onpay-checkout': OnpayCheckoutJsxProps;
    }
  }
}
