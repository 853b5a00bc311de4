/**
 * The YooKassa emulator's API operations under `/v3`, on its in-memory shop: payments (one- and
 * two-stage, with saved methods), capture and cancel, refunds, receipts, lists, webhooks and `/me`.
 * Pure of HTTP: `emulator.ts` authenticates, applies idempotence and faults, then calls `route`.
 * Part of the emulator: it imports nothing of the connector.
 */
import { confirmationAllowed, EMU_CONFIRMATIONS, type EmuConfirmation } from './emulator-wallets.ts';
import {
  type Cancellation, EMU_CARD_HOLD_TTL_MS, EMU_DESCRIPTION_MAX, EMU_OTHER_HOLD_TTL_MS, type EmuPayment, type EmuReceipt, type EmuRefund,
  type EmuSavedMethod, minorToValue, newId, type RenderContext, renderPayment, renderReceipt as renderReceiptObject, renderRefund as renderRefundObject, valueToMinor,
} from './emulator-model.ts';
import { RECEIPT_MISSING, settlementsTotal, validateReceipt } from './emulator-receipts.ts';
import { registrationOf } from './emulator-fiscal.ts';

/** An answer before it is written: HTTP status and the JSON object. */
export interface ApiResult {
  status: number;
  body: Record<string, unknown>;
}

/** What the operations need from the server around them. */
export interface ShopDeps {
  now(): number;
  ctx(): RenderContext;
  /** Sends a notification of an event (to the dashboard URL and the webhooks of that event). */
  notify(event: string, object: Record<string, unknown>): void;
  confirmationTtlMs: number;
  /** Methods switched on for the shop: what the page offers and `payment_method_data.type` may name. */
  methods: readonly string[];
  /** The shop uses YooKassa's 54-ФЗ solution: every payment and refund needs a `receipt`. */
  receiptsRequired: boolean;
  /** How long the cash register takes to register a receipt (emulator-fiscal.ts); absent: at once. */
  receiptDelayMs?: number | undefined;
}

const DEFAULT_ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request', 'Bad request'],
  401: ['invalid_credentials', 'Login or password is incorrect'],
  403: ['forbidden', 'Not enough rights to perform the operation'],
  404: ['not_found', 'Resource not found'],
  429: ['too_many_requests', 'Request rate limit exceeded'],
  500: ['internal_server_error', 'Internal server error. The result of the request is unknown: repeat it with the same Idempotence-Key'],
};

/** YooKassa's error object `{type: "error", id, code, description, parameter}`. */
export function errorObject(status: number, code?: string, description?: string, parameter?: string): Record<string, unknown> {
  const [defCode, defDescription] = DEFAULT_ERRORS[status] ?? DEFAULT_ERRORS[status >= 500 ? 500 : 400]!;
  const o: Record<string, unknown> = { type: 'error', id: newId(), code: code ?? defCode, description: description ?? defDescription };
  if (parameter) o.parameter = parameter;
  return o;
}

const ok = (body: Record<string, unknown>): ApiResult => ({ status: 200, body });
const fail = (status: number, code?: string, description?: string, parameter?: string): ApiResult => ({ status, body: errorObject(status, code, description, parameter) });
const invalid = (parameter: string, description = 'Invalid value'): ApiResult => fail(400, 'invalid_request', description, parameter);

/** The webhook events YooKassa offers (API reference, «Webhook»). */
const WEBHOOK_EVENTS = new Set(['payment.waiting_for_capture', 'payment.succeeded', 'payment.canceled', 'refund.succeeded', 'payout.succeeded', 'payout.canceled', 'deal.closed', 'payment_method.active']);

/** The emulated shop: its state and the operations on it. */
export type Shop = ReturnType<typeof createShop>;

/**
 * @example const shop = createShop({ now, ctx, notify, confirmationTtlMs: 3_600_000, methods: ['bank_card'], receiptsRequired: false });
 */
export function createShop(deps: ShopDeps) {
  const payments = new Map<string, EmuPayment>();
  const refunds = new Map<string, EmuRefund>();
  const receipts = new Map<string, EmuReceipt>();
  const savedMethods = new Map<string, EmuSavedMethod>();
  const webhooks = new Map<string, { id: string; event: string; url: string }>();
  // Receipts' registration as the emulated register has it now (emulator-fiscal.ts).
  const paidAt = (p: EmuPayment | undefined): number | null => (p?.status === 'succeeded' ? p.capturedAt ?? p.createdAt : null);
  const registration = (id: string | null, doneAt: number | null) => registrationOf(id === null ? undefined : receipts.get(id), doneAt, deps.now(), deps.receiptDelayMs);
  const render = (p: EmuPayment) => {
    const o = renderPayment(p, deps.ctx());
    if (p.receiptId !== null) o.receipt_registration = registration(p.receiptId, paidAt(p));
    return o;
  };
  const renderRefund = (r: EmuRefund) => {
    const o = renderRefundObject(r);
    if (r.receiptId !== null) o.receipt_registration = registration(r.receiptId, r.createdAt);
    return o;
  };
  const renderReceipt = (r: EmuReceipt) => {
    const o = renderReceiptObject(r);
    // A payment's own receipt waits for the payment; a refund's and a separate one for their creation.
    const doneAt = r.type === 'payment' && !r.settlements ? paidAt(payments.get(r.paymentId)) : r.createdAt;
    o.status = registrationOf(r, doneAt, deps.now(), deps.receiptDelayMs);
    if (o.status !== 'succeeded') delete o.registered_at;
    return o;
  };

  /** Validates and keeps a receipt: its id, `null` when none was sent nor `required`, or the refusal. */
  function keepReceipt(raw: unknown, required: boolean, amountMinor: bigint, currency: string, paymentId: string, refundId?: string): ApiResult | string | null {
    if (raw === undefined && !required) return null;
    if (raw === undefined) return invalid('receipt', RECEIPT_MISSING);
    const v = validateReceipt(raw, amountMinor, currency);
    if (!v.ok) return invalid(v.problem.parameter, v.problem.description);
    const r: EmuReceipt = {
      id: newId(), type: refundId ? 'refund' : 'payment', paymentId, ...(refundId ? { refundId } : {}),
      customer: v.receipt.customer, items: v.receipt.items,
      ...(v.receipt.taxSystemCode !== undefined ? { taxSystemCode: v.receipt.taxSystemCode } : {}), createdAt: deps.now(),
    };
    receipts.set(r.id, r);
    return r.id;
  }

  /**
   * `POST /receipts`: a separate receipt for a payment or refund YooKassa holds (the closing receipt
   * of a prepayment, «Чек зачета предоплаты»): `send: true`, `settlements` saying how it was paid, the
   * items summing to the settlements. The payment must have succeeded.
   */
  function createReceipt(b: Record<string, unknown>): ApiResult {
    if (b.type !== 'payment' && b.type !== 'refund') return invalid('type');
    if (b.send !== true) return invalid('send', 'Only send: true is supported');
    const idKey = b.type === 'payment' ? 'payment_id' : 'refund_id';
    const ref = b[idKey];
    const refundObj = b.type === 'refund' && typeof ref === 'string' ? refunds.get(ref) : undefined;
    const p = typeof ref !== 'string' ? undefined : payments.get(b.type === 'payment' ? ref : refundObj?.paymentId ?? '');
    if (!p) return invalid(idKey, 'Payment or refund with this id is not found');
    if (p.status !== 'succeeded') return invalid(idKey, 'The payment must be succeeded');
    const settled = settlementsTotal(b.settlements, p.currency);
    if (!settled.ok) return invalid(settled.problem.parameter, settled.problem.description);
    const v = validateReceipt({ customer: b.customer, items: b.items, tax_system_code: b.tax_system_code }, settled.totalMinor, p.currency);
    if (!v.ok) return invalid(v.problem.parameter.replace(/^receipt\./, ''), v.problem.description);
    const r: EmuReceipt = {
      id: newId(), type: b.type, paymentId: p.id, ...(refundObj ? { refundId: refundObj.id } : {}),
      customer: v.receipt.customer, items: v.receipt.items,
      ...(v.receipt.taxSystemCode !== undefined ? { taxSystemCode: v.receipt.taxSystemCode } : {}), createdAt: deps.now(),
      settlements: b.settlements as Record<string, unknown>[],
    };
    receipts.set(r.id, r);
    return ok(renderReceipt(r));
  }

  /** Pays (one stage: `succeeded`; two: `waiting_for_capture`) or cancels a pending payment. */
  function finish(p: EmuPayment, outcome: 'succeeded' | Cancellation): void {
    if (outcome !== 'succeeded') {
      p.status = 'canceled';
      p.cancellation = outcome;
      deps.notify('payment.canceled', render(p));
      return;
    }
    if (p.savePaymentMethod && p.savedMethodId === null && p.method !== null) {
      const m: EmuSavedMethod = { id: newId(), type: p.method, card: p.card, nextCharge: 'succeeded' };
      savedMethods.set(m.id, m);
      p.savedMethodId = m.id;
    }
    if (p.capture) {
      p.status = 'succeeded';
      p.capturedAt = deps.now();
      deps.notify('payment.succeeded', render(p));
    } else {
      p.status = 'waiting_for_capture';
      p.holdExpiresAt = deps.now() + (p.method === 'bank_card' ? EMU_CARD_HOLD_TTL_MS : EMU_OTHER_HOLD_TTL_MS);
      deps.notify('payment.waiting_for_capture', render(p));
    }
  }

  function expireIfDue(p: EmuPayment): void {
    const now = deps.now();
    if (p.status === 'pending' && now - p.createdAt >= deps.confirmationTtlMs) finish(p, { party: 'yoo_money', reason: 'expired_on_confirmation' });
    else if (p.status === 'waiting_for_capture' && p.holdExpiresAt !== null && now >= p.holdExpiresAt) finish(p, { party: 'yoo_money', reason: 'expired_on_capture' });
  }

  function parseAmount(raw: unknown, name: string): { minor: bigint; currency: string } | ApiResult {
    if (!raw || typeof raw !== 'object') return fail(400, 'invalid_request', 'Missing the required parameter', name);
    const a = raw as Record<string, unknown>;
    const minor = valueToMinor(a.value);
    if (minor === null || minor <= 0n) return invalid(`${name}.value`, 'Invalid amount value');
    if (typeof a.currency !== 'string' || !/^[A-Z]{3}$/.test(a.currency)) return invalid(`${name}.currency`, 'Invalid currency');
    if (!['RUB', 'USD', 'EUR'].includes(a.currency)) return fail(400, 'not_supported', 'Currency is not supported', `${name}.currency`);
    return { minor, currency: a.currency };
  }

  function createPayment(b: Record<string, unknown>): ApiResult {
    const amount = parseAmount(b.amount, 'amount');
    if ('status' in amount) return amount;
    if (b.capture !== undefined && typeof b.capture !== 'boolean') return invalid('capture');
    if (b.save_payment_method !== undefined && typeof b.save_payment_method !== 'boolean') return invalid('save_payment_method');
    let saved: EmuSavedMethod | null = null;
    if (b.payment_method_id !== undefined) {
      saved = typeof b.payment_method_id === 'string' ? savedMethods.get(b.payment_method_id) ?? null : null;
      if (!saved) return invalid('payment_method_id', 'Payment method with this id is not found or is not saved');
      if (b.payment_method_data !== undefined) return invalid('payment_method_data', 'Pass either payment_method_id or payment_method_data');
    }
    let returnUrl: string | null = null;
    let confirmationType: EmuConfirmation | null = null;
    const confirmation = b.confirmation as Record<string, unknown> | undefined;
    if (confirmation !== undefined || !saved) {
      if (!confirmation || typeof confirmation !== 'object') return fail(400, 'invalid_request', 'Missing the required parameter', 'confirmation');
      if (typeof confirmation.type !== 'string' || !EMU_CONFIRMATIONS.includes(confirmation.type)) {
        return fail(400, 'not_supported', 'Only confirmation types redirect, qr and mobile_application are emulated', 'confirmation.type');
      }
      confirmationType = confirmation.type as EmuConfirmation;
      // `qr` may go without a return_url (nobody is redirected); the others need one.
      if (confirmation.return_url !== undefined || confirmationType !== 'qr') {
        if (typeof confirmation.return_url !== 'string' || confirmation.return_url.length > 2048 || !/^https?:\/\//.test(confirmation.return_url)) {
          return invalid('confirmation.return_url', 'Invalid return_url');
        }
        returnUrl = confirmation.return_url;
      }
    }
    let method: string | null = saved ? saved.type : null;
    if (b.payment_method_data !== undefined) {
      const pmd = b.payment_method_data as Record<string, unknown> | null;
      if (!pmd || typeof pmd !== 'object' || typeof pmd.type !== 'string') return invalid('payment_method_data.type');
      if (!deps.methods.includes(pmd.type)) return fail(400, 'not_supported', 'Payment method is not available for this shop', 'payment_method_data.type');
      method = pmd.type;
    }
    if (confirmationType !== null && !confirmationAllowed(method, confirmationType)) {
      return invalid('confirmation.type', `Confirmation type ${confirmationType} is not available for ${method ?? 'a payment without payment_method_data'}`);
    }
    if (b.description !== undefined && (typeof b.description !== 'string' || Array.from(b.description).length > EMU_DESCRIPTION_MAX)) {
      return invalid('description', `Description must be a string of at most ${EMU_DESCRIPTION_MAX} characters`);
    }
    const metadata: Record<string, string> = {};
    if (b.metadata !== undefined) {
      if (!b.metadata || typeof b.metadata !== 'object' || Array.isArray(b.metadata)) return invalid('metadata', 'Invalid metadata');
      const entries = Object.entries(b.metadata as Record<string, unknown>);
      if (entries.length > 16) return invalid('metadata', 'Metadata may have at most 16 keys');
      for (const [k, v] of entries) {
        if (k.length > 32 || typeof v !== 'string' || v.length > 512) return invalid(`metadata.${k}`, 'Invalid metadata key or value');
        metadata[k] = v;
      }
    }
    const id = newId();
    const receiptId = keepReceipt(b.receipt, deps.receiptsRequired, amount.minor, amount.currency, id);
    if (receiptId !== null && typeof receiptId !== 'string') return receiptId;
    const p: EmuPayment = {
      id, status: 'pending', amountMinor: amount.minor, capturedMinor: null, currency: amount.currency, method,
      offered: method ? [method] : deps.methods, returnUrl, confirmation: confirmationType, description: b.description as string | undefined, metadata,
      capture: b.capture !== false, savePaymentMethod: b.save_payment_method === true, savedMethodId: saved ? saved.id : null,
      createdAt: deps.now(), capturedAt: null, holdExpiresAt: null, refundedMinor: 0n, cancellation: null, card: saved ? saved.card : null, receiptId,
    };
    payments.set(p.id, p);
    if (saved) chargeSaved(p, saved);
    return ok(render(p));
  }

  /**
   * A charge with a saved method needs no buyer: it succeeds or is declined at once. When the
   * issuer asks for 3-D Secure, a payment created with a `confirmation` waits for the buyer on the
   * page; one without is canceled `3d_secure_failed`.
   */
  function chargeSaved(p: EmuPayment, m: EmuSavedMethod): void {
    const outcome = m.nextCharge;
    if (outcome !== 'succeeded' && outcome.reason === '3d_secure_required') {
      if (p.confirmation !== null) return; // stays pending, with a confirmation_url
      return finish(p, { party: 'payment_network', reason: '3d_secure_failed' });
    }
    finish(p, outcome);
  }

  function capture(p: EmuPayment, b: Record<string, unknown>): ApiResult {
    if (p.status !== 'waiting_for_capture') return invalid('payment_id', `Payment in status ${p.status} cannot be captured`);
    let minor = p.amountMinor;
    if (b.amount !== undefined) {
      const a = parseAmount(b.amount, 'amount');
      if ('status' in a) return a;
      if (a.currency !== p.currency) return invalid('amount.currency', 'Capture currency differs from the payment currency');
      if (a.minor > p.amountMinor) return invalid('amount.value', 'Capture amount exceeds the payment amount');
      minor = a.minor;
    }
    // A partial capture changes what was sold: the receipt must be sent again for the captured part.
    const r = keepReceipt(b.receipt, minor !== p.amountMinor && p.receiptId !== null, minor, p.currency, p.id);
    if (r !== null && typeof r !== 'string') return r;
    if (r !== null) p.receiptId = r;
    p.capturedMinor = minor === p.amountMinor ? null : minor;
    p.status = 'succeeded';
    p.capturedAt = deps.now();
    p.holdExpiresAt = null;
    deps.notify('payment.succeeded', render(p));
    return ok(render(p));
  }

  function cancel(p: EmuPayment): ApiResult {
    if (p.status === 'canceled') return ok(render(p));
    if (p.status !== 'waiting_for_capture') return invalid('payment_id', `Payment in status ${p.status} cannot be canceled`);
    finish(p, { party: 'merchant', reason: 'canceled_by_merchant' });
    return ok(render(p));
  }

  function createRefund(b: Record<string, unknown>): ApiResult {
    if (typeof b.payment_id !== 'string') return fail(400, 'invalid_request', 'Missing the required parameter', 'payment_id');
    const p = payments.get(b.payment_id);
    if (!p) return fail(404, 'not_found', 'Payment not found', 'payment_id');
    const amount = parseAmount(b.amount, 'amount');
    if ('status' in amount) return amount;
    if (amount.currency !== p.currency) return invalid('amount.currency', 'Refund currency differs from the payment currency');
    expireIfDue(p);
    if (p.status !== 'succeeded') return invalid('payment_id', `Payment in status ${p.status} cannot be refunded`);
    if (p.refundedMinor + amount.minor > (p.capturedMinor ?? p.amountMinor)) return invalid('amount.value', 'Refund amount exceeds the amount available for refund');
    const id = newId();
    // A receipt for the refund is needed when the payment had one (or the shop always sends them).
    const receiptId = keepReceipt(b.receipt, p.receiptId !== null || deps.receiptsRequired, amount.minor, p.currency, p.id, id);
    if (receiptId !== null && typeof receiptId !== 'string') return receiptId;
    const r: EmuRefund = {
      id, paymentId: p.id, amountMinor: amount.minor, currency: p.currency,
      description: typeof b.description === 'string' ? b.description : undefined, createdAt: deps.now(), receiptId,
    };
    refunds.set(r.id, r);
    p.refundedMinor += amount.minor;
    deps.notify('refund.succeeded', renderRefund(r));
    return ok(renderRefund(r));
  }

  /** `created_at.gte|gt|lte|lt`, `status`, `limit` 1–100 and the cursor, over items newest first. */
  function list<T extends { createdAt: number }>(items: T[], query: URLSearchParams, match: (item: T) => boolean, show: (item: T) => Record<string, unknown>): ApiResult {
    const bounds: Record<string, number> = {};
    for (const k of ['gte', 'gt', 'lte', 'lt']) {
      const v = query.get(`created_at.${k}`);
      if (v === null) continue;
      const t = Date.parse(v);
      if (Number.isNaN(t)) return invalid(`created_at.${k}`, 'Invalid date');
      bounds[k] = t;
    }
    const limit = Number(query.get('limit') ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid('limit', 'limit must be 1 to 100');
    const all = items
      .filter((x) => x.createdAt >= (bounds.gte ?? -Infinity) && x.createdAt > (bounds.gt ?? -Infinity)
        && x.createdAt <= (bounds.lte ?? Infinity) && x.createdAt < (bounds.lt ?? Infinity) && match(x))
      .reverse(); // newest first, as YooKassa lists
    const cursor = query.get('cursor');
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) return invalid('cursor', 'Invalid cursor');
    const o: Record<string, unknown> = { type: 'list', items: all.slice(start, start + limit).map(show) };
    if (start + limit < all.length) o.next_cursor = Buffer.from(String(start + limit), 'utf8').toString('base64url');
    return ok(o);
  }

  function createWebhook(b: Record<string, unknown>): ApiResult {
    if (typeof b.event !== 'string' || !WEBHOOK_EVENTS.has(b.event)) return invalid('event', 'Unknown event');
    if (typeof b.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(b.url)) return invalid('url', 'Invalid url');
    const same = [...webhooks.values()].find((w) => w.event === b.event && w.url === b.url);
    if (same) return ok({ ...same });
    const w = { id: `wh-${newId()}`, event: b.event, url: b.url };
    webhooks.set(w.id, w);
    return ok({ ...w });
  }

  /**
   * One API call, after authentication and idempotence. `oauth`: the caller used a Bearer token
   * (webhooks and `/me` take nothing else). `body` is `{}` for a POST sent with no body.
   */
  function route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>, oauth: boolean): ApiResult {
    const seg = path.split('/').slice(1).map((s) => decodeURIComponent(s));
    const [root, id, action] = seg;
    if ((root === 'webhooks' || root === 'me') && !oauth) return fail(403, 'forbidden', 'This operation is available only with an OAuth token', 'Authorization');
    if (method === 'POST') {
      if (seg.length === 1 && root === 'payments') return createPayment(body);
      if (seg.length === 1 && root === 'refunds') return createRefund(body);
      if (seg.length === 1 && root === 'webhooks') return createWebhook(body);
      if (seg.length === 1 && root === 'receipts') return createReceipt(body);
      if (seg.length === 3 && root === 'payments' && (action === 'capture' || action === 'cancel')) {
        const p = payments.get(id!);
        if (!p) return fail(404, 'not_found', 'Payment not found or access denied', 'payment_id');
        expireIfDue(p);
        return action === 'capture' ? capture(p, body) : cancel(p);
      }
    } else if (method === 'GET') {
      if (seg.length === 1 && root === 'payments') {
        for (const p of payments.values()) expireIfDue(p);
        const status = query.get('status');
        const pm = query.get('payment_method');
        return list([...payments.values()], query, (p) => (!status || p.status === status) && (!pm || p.method === pm), render);
      }
      if (seg.length === 1 && root === 'refunds') {
        const pid = query.get('payment_id');
        const status = query.get('status');
        return list([...refunds.values()], query, (r) => (!pid || r.paymentId === pid) && (!status || status === 'succeeded'), renderRefund);
      }
      if (seg.length === 1 && root === 'receipts') {
        const pid = query.get('payment_id');
        const rid = query.get('refund_id');
        if (!pid && !rid) return invalid('payment_id', 'Pass payment_id or refund_id');
        return list([...receipts.values()], query, (r) => (!pid || r.paymentId === pid) && (!rid || r.refundId === rid), renderReceipt);
      }
      if (seg.length === 1 && root === 'webhooks') return ok({ type: 'list', items: [...webhooks.values()].map((w) => ({ ...w })) });
      if (seg.length === 1 && root === 'me') {
        const c = deps.ctx();
        return ok({ account_id: c.shopId, test: true, fiscalization_enabled: deps.receiptsRequired, payment_methods: [...deps.methods], status: 'enabled' });
      }
      if (seg.length === 2 && root === 'payments') {
        const p = payments.get(id!);
        if (!p) return fail(404, 'not_found', 'Payment not found or access denied', 'payment_id');
        expireIfDue(p);
        return ok(render(p));
      }
      if (seg.length === 2 && root === 'refunds') {
        const r = refunds.get(id!);
        return r ? ok(renderRefund(r)) : fail(404, 'not_found', 'Refund not found or access denied', 'refund_id');
      }
      if (seg.length === 2 && root === 'receipts') {
        const r = receipts.get(id!);
        return r ? ok(renderReceipt(r)) : fail(404, 'not_found', 'Receipt not found or access denied', 'receipt_id');
      }
    } else if (method === 'DELETE' && seg.length === 2 && root === 'webhooks') {
      return webhooks.delete(id!) ? ok({}) : fail(404, 'not_found', 'Webhook not found', 'webhook_id');
    }
    return fail(404, 'not_found', 'Unknown endpoint');
  }

  return {
    payments, refunds, receipts, savedMethods, webhooks, route, finish, expireIfDue, render,
    /** Amount text for pages: what the buyer pays now. */
    amountText: (p: EmuPayment) => `${minorToValue(p.amountMinor)} ${p.currency}`,
  };
}
