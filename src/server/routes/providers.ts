/**
 * The providers' side: notifications (`POST /providers/{id}/notify`), verified and answered by the
 * provider account's connector, and the buyer's way back (`GET /providers/{id}/return/{paymentId}`),
 * which forwards to the shop's `url_success` / `url_fail`, or, in the element's overlay, tells the
 * element the outcome (the return page the sandbox card uses). A charge's 3-D Secure where the
 * provider leaves the round trip to the merchant (CloudPayments): the page that sends the buyer to
 * the issuer (`GET /providers/{id}/3ds/{paymentId}`) and the issuer's answer (`POST …/term`).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { Env } from '../env.ts';
import type { GatewayConfig } from '../config.ts';
import { capBody } from '../http/body-limit.ts';
import { GatewayError } from '../errors.ts';
import { returnCheckingPage, returnPage, RETURN_CHECK_TIMES, threeDsPage } from '../pages/pages.ts';
import type { HttpAnswer, IncomingNotification } from '../providers/contract.ts';
import type { RateLimits } from '../http/rate-limit.ts';
import { COMMON_HEADERS } from '../http/respond.ts';
import type { PaymentService } from '../payments/service.ts';
import { isBuyerDone } from '../states.ts';

/** Provider notifications are small; T-Bank's and YooKassa's are a few KiB at most. */
export const MAX_NOTIFICATION_BYTES = 64 * 1024;

/** The request as a connector sees it: the exact bytes, their UTF-8 text, the headers. */
export async function incomingNotification(c: Context<Env>): Promise<IncomingNotification> {
  const rawBody = new Uint8Array(await c.req.arrayBuffer());
  // The client address after trustProxy (app.ts); undefined when tests call the app directly.
  const remoteAddress = c.get('clientIp');
  // The path and query it was posted to: CloudPayments' `?kind=` says what the body is.
  const u = new URL(c.req.url);
  return { rawBody, body: new TextDecoder().decode(rawBody), headers: c.req.raw.headers, remoteAddress, url: `${u.pathname}${u.search}` };
}

/** A connector's answer, exactly as it is. */
export const providerAnswer = (a: HttpAnswer): Response => new Response(a.body, {
  status: a.status,
  headers: { 'content-type': a.contentType, 'cache-control': 'no-store', ...COMMON_HEADERS },
});

/** The issuer's answer (`MD`, `PaRes`) is a few KiB at most. */
export const MAX_THREE_DS_ANSWER_BYTES = 32 * 1024;

/** `?check=N`: how many times the return page has looked already (absent: 0). */
function checkAttempt(raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^\d{1,3}$/.test(raw)) throw new GatewayError(400, 'invalid_param', 'check: a small whole number', 'check');
  return Math.min(Number(raw), RETURN_CHECK_TIMES);
}

export function providerRoutes(deps: { service: PaymentService; config: GatewayConfig; limits?: RateLimits }) {
  const { service, config, limits } = deps;
  const app = new Hono<Env>();

  // Counted per client address before the body is read or anything is asked of a provider
  // (`rateLimits.notifyPerAddress`); requests with no connection (in-process calls) are not.
  const perAddress: MiddlewareHandler<Env> = async (c, next) => {
    const client = c.get('client');
    if (limits && client !== undefined) await limits.consume('notifyPerAddress', client);
    await next();
  };

  // The exact bytes go to the connector, UTF-8 or not: it verifies and decodes them as its provider sends them.
  app.post('/providers/:id/notify', perAddress, capBody(MAX_NOTIFICATION_BYTES, { strictUtf8: false }), async (c) => {
    const id = c.req.param('id');
    const answer = await service.handleNotification(id, await incomingNotification(c));
    if (!answer) throw new GatewayError(404, 'not_found', 'no such provider', 'id');
    return providerAnswer(answer);
  });

  app.get('/providers/:id/return/:paymentId', async (c) => {
    c.set('html', true);
    const attempt = checkAttempt(c.req.query('check'));
    const p = await service.returningPayment(c.req.param('id'), c.req.param('paymentId'));
    // Never a guess: `result=` in the query is only the provider's hint. While the provider still
    // says pending, the page checks again until the payment is final (or says it is not confirmed).
    if (!isBuyerDone(p.status)) return c.html(returnCheckingPage(p, c.req.param('id'), attempt), 200, { 'cache-control': 'no-store' });
    const origins = [new URL(config.publicUrl).origin, ...(await service.merchantOrigins(p.merchantLogin))];
    return c.html(returnPage(p, origins), 200, { 'cache-control': 'no-store' });
  });

  app.get('/providers/:id/3ds/:paymentId', async (c) => {
    c.set('html', true);
    const id = c.req.param('id');
    const r = await service.threeDsForm(id, c.req.param('paymentId'), new URL(c.req.url).searchParams);
    // Already finished (a second visit, the back button): its outcome, where the return page tells it.
    if ('done' in r) return c.redirect(`/providers/${encodeURIComponent(id)}/return/${r.done.id}`, 303);
    return c.html(threeDsPage(r.payment, r.form), 200, { 'cache-control': 'no-store' });
  });

  // Posted by the issuer's page from the buyer's browser (another site): a plain form, read once.
  app.post('/providers/:id/3ds/:paymentId/term', perAddress, capBody(MAX_THREE_DS_ANSWER_BYTES), async (c) => {
    c.set('html', true);
    const id = c.req.param('id');
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) throw new GatewayError(415, 'unsupported_media_type', 'content-type: the issuer\'s answer is a form (application/x-www-form-urlencoded)', 'content-type');
    const p = await service.finishThreeDs(id, c.req.param('paymentId'), new URLSearchParams(await c.req.text()));
    return c.redirect(`/providers/${encodeURIComponent(id)}/return/${p.id}`, 303);
  });

  return app;
}
