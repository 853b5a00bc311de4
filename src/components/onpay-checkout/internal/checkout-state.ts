/**
 * The element's state and what it reads of its host, apart from the class: the view union, the
 * checkout being chosen, the timings, and the link's query from the attributes or `href`.
 */
import { EXTRA_ATTRIBUTE_PREFIX as EXTRA_PREFIX, LINK_PARAMS } from '../../../protocol/link-params.ts';
import type { Language } from '../../../protocol/languages.ts';
import type { FailureReason, FormPayload, InstructionsAction, PaymentView as Payment } from '../../../protocol/checkout-api.ts';
import type { FinalStatus } from '../api.ts';
import type { Messages } from '../messages/format.ts';
import type { loadFailure, loadInstructions, loadPopup } from '../messages/load.ts';
import { loadMessages } from '../messages/load.ts';
import ru from '../messages/ru.ts';

/**
 * Where the script came from, the default gateway: the classic build knows its `<script>`, the
 * module its own URL. webpack writes the build machine's `file:` URL of the module in place of
 * `import.meta.url`: then, as for any URL that is not the web's, the page's origin.
 */
const MODULE_URL = (import.meta as { url?: string }).url ?? '';
export const SCRIPT_ORIGIN = typeof document === 'undefined' ? '' : new URL((document.currentScript as HTMLScriptElement | null)?.src || (/^https?:/.test(MODULE_URL) ? MODULE_URL : '') || location.href).origin;

/** Attributes observed: the gateway, the merchant, and those mirroring the link's parameters (PROTOCOL.md §2). */
export const OBSERVED = ['gateway', 'merchant-login', 'href', 'params', ...LINK_PARAMS.map(([, attribute]) => attribute)];

/** How long a payment system's page may take to load in the frame before a popup is tried. */
export const FRAME_TIMEOUT_MS = 8000;
/** When a failure's reason is only generic, how long before it is read once more. */
export const REASON_RECHECK_MS = 1500;
export type InstructionsView = Awaited<ReturnType<typeof loadInstructions>>;
export type FailureView = Awaited<ReturnType<typeof loadFailure>>;
export type PopupView = Awaited<ReturnType<typeof loadPopup>>;
/** How often an open popup is looked at: a closed one is noticed within a second. */
export const POPUP_WATCH_MS = 400;
export const AMOUNT_RE = /^\d{1,12}([.,]\d{1,2})?$/;

/** A language's catalogue (the browser loads each chunk once); one that fails to load leaves Russian. */
export const catalogue = async (ln: Language): Promise<Messages> => (ln === 'ru' ? ru : loadMessages(ln as Exclude<Language, 'ru'>).catch(() => ru));

/** What the buyer is choosing: the form, the way, the amount typed (free mode) and the e-mail. */
export interface Checkout {
  form: FormPayload;
  selected: string;
  amount: string;
  amountError: boolean;
  email: string;
}

/** The one state of the checkout, rendered by an exhaustive switch. */
export type View =
  | { name: 'loading' }
  | { name: 'picking'; checkout: Checkout }
  | { name: 'submitting'; checkout: Checkout }
  | { name: 'refused'; checkout: Checkout; comment: string }
  /** `draw`: the instructions view, from its own chunk; `checkout`: the picker «Выбрать другой способ» returns to. */
  | { name: 'instructions'; payment: Payment; action: InstructionsAction; draw: InstructionsView; checkout: Checkout }
  /** `draw`: the overlay / popup view, from its own chunk; `closed`: the buyer closed the popup before the payment ended. */
  | { name: 'redirecting'; checkout: Checkout; payment: Payment; url: string; framed: boolean; closed?: boolean; draw: PopupView }
  /** Paid, or held (`authorized`, with `note`: the hold's message from its chunk). */
  | { name: 'done'; payment: Payment; status: 'paid' | 'authorized'; note?: string }
  /** Ended without money, explained; `checkout`: the choice to go back to (absent after a reload). */
  /** `draw`: the failure view, from its own chunk (a chunk that cannot be loaded is a network error instead). */
  | { name: 'failed'; payment: Payment; status: Exclude<FinalStatus, 'paid'>; reason: FailureReason; comment: string; checkout: Checkout | undefined; draw: FailureView }
  /** `retry: 'submit'` tries the same attempt again with its checkout; `'load'` loads the form anew. */
  | { name: 'error'; code: string; message: string; retry: 'load' }
  | { name: 'error'; code: string; message: string; retry: 'submit'; checkout: Checkout };

export const randomKey = (): string => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/** The gateway, the merchant login and the link's query of an element: from `href`, or from its attributes. */
export function linkQueryOf(el: Element): { gateway: string; login: string; query: URLSearchParams } {
  const href = el.getAttribute('href');
  const gatewayAttr = el.getAttribute('gateway');
  if (href) {
    const url = new URL(href, location.href);
    const login = decodeURIComponent(/\/pay\/([^/?#]+)/.exec(url.pathname)?.[1] ?? '');
    return { gateway: (gatewayAttr ?? url.origin).replace(/\/+$/, ''), login, query: url.searchParams };
  }
  const query = new URLSearchParams();
  for (const [wire, attribute] of LINK_PARAMS) {
    const v = el.getAttribute(attribute);
    if (v !== null) query.set(wire, v);
  }
  for (const [k, v] of new URLSearchParams(el.getAttribute('params') ?? '')) {
    if (k.startsWith('onpay_ap_')) query.set(k, v);
  }
  // onpay-ap-source="site" is onpay_ap_source=site, as in the link; over the same name in params.
  for (const { name, value } of el.attributes) {
    if (name.startsWith(EXTRA_PREFIX)) query.set(`onpay_ap_${name.slice(EXTRA_PREFIX.length)}`, value);
  }
  return { gateway: (gatewayAttr ?? SCRIPT_ORIGIN).replace(/\/+$/, ''), login: el.getAttribute('merchant-login') ?? '', query };
}
