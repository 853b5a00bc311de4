/**
 * `import type {} from 'onpay-checkout/vue'` types `<onpay-checkout>` in Vue templates (Volar):
 * its attributes, and its events for `@onpay-success`. Tell Vue's compiler it is a custom element:
 * `compilerOptions: { isCustomElement: (tag) => tag === 'onpay-checkout' }`.
 */
import type { DefineComponent } from 'vue';
import type { OnpayCheckoutAttributes } from './attributes.ts';
import type { OnpayEventDetails } from './events.ts';

type Emits = { [K in keyof OnpayEventDetails]: (event: CustomEvent<OnpayEventDetails[K]>) => void };

declare module 'vue' {
  interface GlobalComponents {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- Vue's own "none" for data, computed, methods, mixins
    'onpay-checkout': DefineComponent<OnpayCheckoutAttributes, {}, {}, {}, {}, {}, {}, Emits>;
  }
}
