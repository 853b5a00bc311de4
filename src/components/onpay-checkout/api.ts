/**
 * The element's small client for the gateway API (docs/API.md). All network access of the element
 * is here: the form payload, creating a payment, its status, and live status events.
 */

import type { FormPayload, PaymentStatus, PaymentView } from '../../protocol/checkout-api.ts';

/** The statuses that end the buyer's flow (DESIGN.md §4; a hold, `authorized`, too): the element stops following there. */
export type FinalStatus = Extract<PaymentStatus, 'paid' | 'failed' | 'expired' | 'rejected' | 'authorized'>;
export const FINAL: readonly string[] = ['paid', 'failed', 'expired', 'rejected', 'authorized'];
export const isFinal = (status: string): status is FinalStatus => FINAL.includes(status);

/** A refusal or failure the element can explain: `code` is the gateway's error code or `network`. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status = 0, readonly comment = '') {
    super(message);
  }
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'omit', cache: 'no-store', ...init });
  } catch {
    throw new ApiError('network', 'network');
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError('network', `HTTP ${res.status}`, res.status);
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; comment?: string } }).error ?? {};
    throw new ApiError(e.code ?? 'network', e.message ?? `HTTP ${res.status}`, res.status, e.comment ?? '');
  }
  return body as T;
}

/**
 * GET `{gateway}/pay/{login}/payload?…`, the URL a page's `<link rel=preload as=fetch crossorigin>`
 * names (the kit's `payloadUrl`): asked as such a preload asks (no headers of its own, the same
 * credentials mode, the default cache mode), so the browser hands over the preloaded answer.
 */
export const loadForm = (gateway: string, login: string, query: URLSearchParams): Promise<FormPayload> =>
  call(`${gateway}/pay/${encodeURIComponent(login)}/payload?${query}`, { credentials: 'same-origin', cache: 'default' });

/** POST `/api/v1/payments` with the attempt's idempotency key. */
export const createPayment = (gateway: string, body: Record<string, unknown>, idempotencyKey: string): Promise<PaymentView> =>
  call(`${gateway}/api/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(body),
  });

/** POST `/api/v1/payments/{id}/abandon`: the buyer leaves a waiting payment for another method (the form's token proves the order). */
export const abandonPayment = (gateway: string, id: string, token: string): Promise<PaymentView> =>
  call(`${gateway}/api/v1/payments/${encodeURIComponent(id)}/abandon`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });

export const getPayment = (gateway: string, id: string): Promise<PaymentView> => call(`${gateway}/api/v1/payments/${encodeURIComponent(id)}`, {});

/** Following a payment's status live is in its own chunk (follow.ts), loaded once the picker is on show. */
