import { OnpayCheckout } from './onpay-checkout.ts';

/**
 * Registers `<onpay-checkout>` once: a CDN script loaded twice must not throw. On a server (Node
 * rendering a Next.js or Nuxt page) there is no window and nothing is defined; the browser then
 * upgrades the server-rendered tag when this module runs there.
 */
if (typeof window !== 'undefined' && typeof customElements !== 'undefined' && !customElements.get('onpay-checkout')) {
  customElements.define('onpay-checkout', OnpayCheckout);
}

declare global {
  interface HTMLElementTagNameMap {
    'onpay-checkout': OnpayCheckout;
  }
}
