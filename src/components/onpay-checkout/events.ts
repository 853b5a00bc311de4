/**
 * The element's events: all `onpay-*`, bubbling and composed, typed in one place. Fired only on
 * what the buyer or the payment did, never from property setters.
 */
import type { FailureReason } from '../../protocol/checkout-api.ts';

export interface OnpayEventDetails {
  /** The form is loaded and shows the payment systems. */
  'onpay-ready': { merchantLogin: string; payFor: string; ways: string[] };
  /** The buyer picked a payment system. */
  'onpay-way-select': { way: string };
  /** The gateway created the payment (after the shop's CHECK). */
  'onpay-payment-created': { id: string; way: string; amount: string; ticker: string };
  /** The payment is paid. Cancelable: `preventDefault()` keeps the buyer on the page instead of going to url-success. */
  'onpay-success': { id: string; urlSuccess: string };
  /**
   * The money is held on the buyer's card (a manual-capture payment, `authorized`): the shop captures
   * or voids it later. The element says so and stays; its done view links to url-success.
   */
  'onpay-authorized': { id: string; urlSuccess: string };
  /**
   * The payment failed, expired or was refused; `reason` says why as a code (`FailureReason`). The
   * element shows the failure view; with `fail-redirect="immediate"` it goes to url-fail, unless a
   * listener calls `preventDefault()`.
   */
  'onpay-fail': { id: string; status: string; reason: FailureReason; urlFail: string };
  /** Something went wrong; `code` is stable (`network`, `check_declined`, `check_failed`, `token_expired`, `invalid_param`, …). */
  'onpay-error': { code: string; message: string };
}

export type OnpayEventName = keyof OnpayEventDetails;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the DOM's event maps gain the element's events by extending
  interface DocumentEventMap extends OnpayEventMap {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- as above
  interface HTMLElementEventMap extends OnpayEventMap {}
  interface OnpayEventMap {
    'onpay-ready': CustomEvent<OnpayEventDetails['onpay-ready']>;
    'onpay-way-select': CustomEvent<OnpayEventDetails['onpay-way-select']>;
    'onpay-payment-created': CustomEvent<OnpayEventDetails['onpay-payment-created']>;
    'onpay-success': CustomEvent<OnpayEventDetails['onpay-success']>;
    'onpay-authorized': CustomEvent<OnpayEventDetails['onpay-authorized']>;
    'onpay-fail': CustomEvent<OnpayEventDetails['onpay-fail']>;
    'onpay-error': CustomEvent<OnpayEventDetails['onpay-error']>;
  }
}

/** Dispatches an event; returns false when a listener called `preventDefault()`. */
export function emit<K extends OnpayEventName>(target: EventTarget, name: K, detail: OnpayEventDetails[K], cancelable = false): boolean {
  return target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable }));
}
