/** The CDN entry: defines `<onpay-checkout>` and exports its class and types. */
import './define.ts';

export { OnpayCheckout, type View } from './onpay-checkout.ts';
export type { OnpayEventDetails } from './events.ts';
