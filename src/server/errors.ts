/**
 * The one error type of the gateway. Routes and the domain throw it; the top-level handler turns it
 * into a JSON (or HTML) answer. Messages never carry secrets.
 */
import type { z } from 'zod';

export type ErrorCode =
  | 'invalid_param' | 'invalid_body' | 'bad_signature' | 'unknown_merchant' | 'not_found'
  | 'token_expired' | 'token_invalid' | 'unknown_way' | 'idempotency_conflict' | 'check_declined'
  | 'check_failed' | 'origin_forbidden' | 'invalid_state' | 'unauthorized' | 'sandbox_off'
  | 'payload_too_large' | 'unsupported_media_type' | 'method_not_allowed' | 'rate_limited' | 'storage_busy'
  | 'provider_error' | 'provider_unavailable'
  | 'live_merchant' | 'no_payment_system' | 'request_timeout' | 'token_mismatch'
  // Saved methods and merchant-initiated charges (issue 26).
  | 'saved_methods_off' | 'amount_too_large' | 'method_unavailable';

export class GatewayError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 408 | 409 | 410 | 413 | 415 | 422 | 424 | 429 | 502 | 503,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly extra: Record<string, string> = {},
    /** Headers the answer carries (`Retry-After`, the RateLimit fields). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  toJSON(): { error: Record<string, string> } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}), ...this.extra } };
  }
}

/**
 * The one zod-to-error mapper: the first issue as a 400 naming its field (wire name). An unknown key
 * is named as the field; an issue about a whole body (no path) names `body`.
 */
export function fromZod(error: z.ZodError, code: ErrorCode = 'invalid_param', fieldPrefix = ''): GatewayError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    // Nested objects: the path to the object, then the key.
    const key = `${fieldPrefix}${[...issue.path.map(String), issue.keys[0]!.slice(0, 64)].join('.')}`;
    return new GatewayError(400, code, `${key}: is not a known parameter`, key);
  }
  const field = `${fieldPrefix}${issue.path.map(String).join('.')}` || (code === 'invalid_body' ? 'body' : undefined);
  return new GatewayError(400, code, field ? `${field}: ${issue.message}` : issue.message, field);
}
