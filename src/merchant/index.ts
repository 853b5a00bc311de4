/**
 * The merchant kit: what a shop's own server needs to take payments through the gateway — sign
 * payment links and element attributes, and answer CHECK and PAY at its API URL.
 *
 * @example
 * import { signPaymentLink, createMerchantHandler } from 'onpay-checkout/merchant';
 */
export { signPaymentLink, linkMd5, preloadLinks, type PaymentLinkInput, type SignedPaymentLink } from './link.ts';
export { fetchCheckoutHtml, elementHtml, type CheckoutHtml, type CheckoutHtmlOptions } from './snippet.ts';
export type { Receipt, ReceiptItem, ReceiptCustomer, Taxation, Vat, Ffd, ReceiptPaymentMethod, PaymentObject } from '../protocol/receipt.ts';
export {
  createMerchantHandler, type CheckDecision, type CheckRequest, type MerchantHandlerOptions, type PayNotification,
} from './handler.ts';
export {
  runIntegrationMatrix, isTestRequest, TEST_MARKER, TEST_ORDER_PREFIX, UNKNOWN_ORDER_PREFIX,
  type MatrixCase, type MatrixCaseName, type MatrixOptions, type MatrixReport, type MatrixRequest, type MatrixAnswer, type MatrixSend,
} from './integration-matrix.ts';
