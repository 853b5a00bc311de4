/**
 * The payment domain, wired: the form (`form.ts`), creation with CHECK and at the provider
 * (`create.ts`), provider reports, reconciliation and expiry (`reports.ts`), over the shared lookups
 * and state changes of `core.ts`. Routes call this; it never sees HTTP requests, and it reaches the
 * world only through injected storage, clock, randomness, merchant HTTP and the connector registry.
 */
import { isBuyerDone, isFinal, type PaymentStatus } from '../states.ts';
import type { Payment } from '../types.ts';
import type { PaymentView } from '../../protocol/checkout-api.ts';
import { createPaymentCore, type ServiceDeps } from './core.ts';
import { createPaymentCreation } from './create.ts';
import { createPaymentForms } from './form.ts';
import { createPaymentReports } from './reports.ts';
import { createOrders } from './orders.ts';
import { createSavedMethods } from './saved-methods.ts';
import { createCharges } from './charges.ts';
import { createSubscriptions } from '../subscriptions/subscriptions.ts';

export { ANY_STATUS_EVENT, SHUTDOWN_EVENT, type ServiceDeps } from './core.ts';
export { originAllowed, paymentView, refusalError, type CreateOutcome, type CreatePaymentInput } from './outcome.ts';
export type { FormPayload, PaymentView, Refusal, WayQuote } from '../../protocol/checkout-api.ts';
import type { FormPayload } from '../../protocol/checkout-api.ts';

export type PaymentService = ReturnType<typeof createPaymentService>;

/**
 * @example const service = createPaymentService({ storage, config, now: Date.now, randomId, merchantHttp, connectors });
 */
export function createPaymentService(deps: ServiceDeps) {
  const core = createPaymentCore(deps);
  const orders = createOrders(core);
  const forms = createPaymentForms(core, orders.pendingFor);
  const saved = createSavedMethods(core);
  // A buyer's saved-method payment is charged by the charges' wing, built after the reports it needs.
  const creation = createPaymentCreation(core, forms, saved, (...a) => charges.chargePresent(...a));
  const reports = createPaymentReports(core, creation.reconcileScheduleS, saved);
  const charges = createCharges(core, reports.applyReport);
  const subscriptions = createSubscriptions({
    storage: deps.storage, now: deps.now, randomId: deps.randomId, charges, secret: deps.config.secret, publicUrl: deps.config.publicUrl,
    ...(deps.log ? { log: deps.log } : {}),
  });
  const { storage } = deps;

  return {
    events: core.events,

    /**
     * A payment link opened: the merchant known, the parameters parsed, the link md5 checked when the
     * merchant signs its links, the page's origin allowed when `origin` is given; with its form payload.
     */
    paymentForm: forms.paymentForm,

    /**
     * The cabinet's link builder asks before it hands out a signed link: the rules an opened link
     * meets, and `price_final=true` refused where the fee policy would ignore it (form.ts).
     */
    checkLink: forms.checkLink,

    /** Creates a payment (idempotently), runs CHECK and starts it at the way's provider. */
    createPayment: creation.createPayment,

    /** The form again for the order of a payment that ended without money (409 otherwise). */
    async retryForm(id: string): Promise<FormPayload> {
      return forms.retryForm(await core.paymentOf(id));
    },

    /** A payment by id (404 for anything else). */
    getPayment: core.paymentOf,

    /** Refuses (403 `live_merchant`) a sandbox page or call about a live merchant's payment. */
    assertSandboxMayChange: core.assertSandboxMayChange,

    /** A payment for a browser page: its merchant must allow the page's origin. */
    async paymentFor(id: string, origin: string | undefined): Promise<Payment> {
      const p = await core.paymentOf(id);
      core.allowOrigin(await core.merchantOf(p.merchantLogin), origin);
      return p;
    },

    /** A payment's current status, read from the database (another instance may have changed it). */
    async statusOf(id: string): Promise<PaymentStatus | undefined> {
      return (await storage.getPayment(id))?.status;
    },

    /**
     * Hands a notification to the provider account's connector, which verifies it and reports through
     * the gateway's `NotifyContext`. Undefined when no provider has this id.
     */
    handleNotification: reports.handleNotification,

    /** The payment a provider sends its buyer back with, asked about once when still awaiting. */
    returningPayment: reports.returningPayment,

    /** The gateway's side of a provider account's notifications (for connectors, tests and reconciliation). */
    notifyContext: reports.notifyContext,

    /** Captures and voids of held payments, and the hold expiry policy (holds.ts, issue 25). */
    holds: reports.holds,

    /** Applies what reconciliation learnt about a payment it claimed (see `reconcileReport`). */
    reconcileReport: reports.reconcileReport,

    /** Asks a provider about one receipt the receipt checker claimed; returns when to ask next (receipt-status.ts). */
    checkReceipt: reports.checkReceipt,

    /** The connector registry (reconciliation and refunds reach providers through it). */
    connectors: deps.connectors,

    /** The reconciliation schedule in force (seconds after creation). */
    reconcileScheduleS: creation.reconcileScheduleS,

    /** Tells this process's listeners that a payment changed (refunds made outside the service). */
    emitStatus: core.emit,

    /** Expires payments past their deadline and rejects interrupted ones; returns how many changed. */
    expireDue: reports.expireDue,

    /**
     * The buyer leaves a waiting payment for another method: cancelled at its provider where it
     * allows, `failed` as abandoned (the form's token must bind its merchant and order).
     */
    abandonPayment: (id: string, token: string, origin: string | undefined): Promise<PaymentView> => orders.abandon(id, forms.openToken(token), origin),

    /** Asks again the duplicates' refunds left pending (a crash, no answer); returns how many. */
    settleDuplicatesDue: orders.settleDuplicatesDue,

    /** The merchant's allowed browser origins. */
    async merchantOrigins(login: string): Promise<string[]> {
      return (await core.merchantOf(login)).origins;
    },

    /** Subscribes to status changes of one payment (in this process). */
    onStatus(id: string, listener: (status: PaymentStatus) => void): () => void {
      core.events.on(id, listener);
      return () => core.events.off(id, listener);
    },

    isFinal,

    /** A merchant's customer's saved methods (issue 26). */
    savedMethods: { list: saved.list, remove: saved.remove },

    /** Charges a saved method with no buyer present (issue 26; `POST /api/v1/charges`, and later the subscriptions' scheduler). */
    chargeSavedMethod: charges.chargeSavedMethod,
    /** A charge's 3-D Secure through the gateway's page (CloudPayments): the issuer's form, and its answer applied. */
    threeDsForm: charges.threeDsForm,
    finishThreeDs: charges.finishThreeDs,

    /** Whether the buyer's part is over: a final status, or a hold the shop captures later. */
    isBuyerDone,

    /** Subscriptions on saved methods and the scheduler's step (issue 26 item 4). */
    subscriptions,
  };
}
