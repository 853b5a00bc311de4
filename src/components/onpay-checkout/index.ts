/**
 * The package's `onpay-checkout/element` and the CDN entry: defines `<onpay-checkout>` (in a
 * browser only) and exports its class and types. `onpay-checkout/react` and `onpay-checkout/vue` type the
 * tag for React's JSX and Vue's templates.
 */
import './define.ts';

export { OnpayCheckout, type Checkout, type View } from './onpay-checkout.ts';
export type { OnpayEventDetails, OnpayEventName } from './events.ts';
export type { FormPayload, InstructionsAction, PaymentView as Payment, PaymentStatus, WayQuote as Way } from '../../protocol/checkout-api.ts';
export type { MessageKey, Messages } from './messages/format.ts';
export { LANGUAGES, resolveLanguage, type Language } from '../../protocol/languages.ts';
