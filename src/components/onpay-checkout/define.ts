import { OnpayCheckout } from './onpay-checkout.ts';

/** Registers `<onpay-checkout>` once: a CDN script loaded twice must not throw. */
if (!customElements.get('onpay-checkout')) customElements.define('onpay-checkout', OnpayCheckout);

declare global {
  interface HTMLElementTagNameMap {
    'onpay-checkout': OnpayCheckout;
  }
}
