/**
 * Answers built in one step: a body and plain-object headers, including the headers every answer
 * carries. @hono/node-server writes such a Response straight to the socket; adding headers to a
 * finished Response afterwards makes it build a full fetch-API Response and Headers first, which cost
 * the form payload a third of its time. The app's middleware adds the common headers to every other
 * answer.
 */
import { currentRequest } from '../logger.ts';

/** Headers on every answer of the gateway. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  // Not `no-referrer`: under it browsers send `Origin: null` on the hosted page's own form POSTs,
  // which the origin check then refuses. `same-origin` still sends nothing to other sites.
  'referrer-policy': 'same-origin',
};

const complete = new WeakSet<Response>();

/**
 * A JSON answer with the common headers, the request's `X-Request-Id` when requests are logged,
 * and `headers`. `body` is serialised, unless it is a string: then it is taken as JSON text already
 * (a stored answer).
 * @example return jsonAnswer({ ok: true }, 200, { 'cache-control': 'no-store' });
 */
export function jsonAnswer(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  // The request's id, which the logging middleware would otherwise add to a finished answer.
  const reqId = currentRequest()?.reqId;
  const res = new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...COMMON_HEADERS, ...(reqId ? { 'x-request-id': reqId } : {}), ...headers },
  });
  complete.add(res);
  return res;
}

/** Whether a Response was built by `jsonAnswer` (it has the common headers already). */
export const hasCommonHeaders = (res: Response): boolean => complete.has(res);

/** CORS headers for an allowed origin (none without an Origin). */
export const corsHeaders = (origin: string | undefined): Record<string, string> => (origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {});
