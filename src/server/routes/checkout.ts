/**
 * The buyer's side: the payment link (form payload, hosted page, snippet), creating payments, their
 * status and live events. CORS answers only a merchant's allowed origins (checked by the service).
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Env } from '../env.ts';
import type { GatewayConfig } from '../config.ts';
import { capBody } from '../http/body-limit.ts';
import { GatewayError } from '../errors.ts';
import { DEFAULT_ELEMENT_SCRIPT, hostedPage, retryPage, snippet, statusPage } from '../pages/pages.ts';
import { sendEarlyHints } from '../http/early-hints.ts';
import { paymentView, refusalError, SHUTDOWN_EVENT, type PaymentService } from '../payments/service.ts';
import { corsHeaders, jsonAnswer } from '../http/respond.ts';
import { followStatus } from '../payments/status-stream.ts';
import type { StreamHub } from '../http/stream-hub.ts';
import type { PageStyle } from '../http/page-style.ts';
import { validForm, validJson } from '../http/validate.ts';
import { buyerEmail } from '../../protocol/email.ts';

const MAX_BODY_BYTES = 16 * 1024;

const createBody = z.object({
  token: z.string().min(1, 'is required').max(16_384),
  way: z.string().regex(/^[A-Z]{3}$/, 'must be a payment system code like CRD'),
  userEmail: buyerEmail().optional(),
  userPhone: z.string().max(40).regex(/^[0-9+()\- ]*$/, 'must be a phone number').optional(),
  amount: z.string().max(32).optional(),
  /** The buyer's consent to save the method (issue 26). */
  saveMethod: z.boolean({ error: 'must be true or false' }).optional(),
  /** A returning buyer's saved method (issue 26): its `id` from the form's `savedMethods`. */
  savedMethod: z.string().min(1, 'is required').max(80).optional(),
}).strict();

/** The hosted page's plain form: checked by the service as the JSON API's body is. */
const continueForm = z.object({
  token: z.string().default(''),
  way: z.string().default(''),
  user_email: buyerEmail().optional(),
  amount: z.string().optional(),
  idempotency_key: z.string().optional(),
  /** The consent box of the hosted page (issue 26): `1` when ticked (or the condition accepted). */
  save_consent: z.enum(['1'], { error: 'must be 1 when given' }).optional(),
});

const abandonBody = z.object({ token: z.string().min(1, 'is required').max(16_384) }).strict();

const abandonForm = z.object({
  token: z.string().min(1, 'is required').max(16_384),
  payment: z.string().min(1, 'is required').max(80),
  back: z.string().max(8192).default(''),
});

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function readIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(value)) throw new GatewayError(400, 'invalid_param', 'Idempotency-Key: 1–255 printable ASCII characters', 'Idempotency-Key');
  return value;
}

/** The query of a request URL (no fragment: a request target has none, a stray `#` ends it as URL would). */
function queryOf(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash < 0 ? undefined : hash);
}

async function linkParams(c: Context<Env>): Promise<URLSearchParams> {
  // Not `new URL(…).searchParams`: parsing the whole URL again cost more than the query alone.
  const params = new URLSearchParams(queryOf(c.req.url));
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    if (type && !type.startsWith('application/x-www-form-urlencoded')) {
      throw new GatewayError(415, 'unsupported_media_type', 'the payment link takes a query string or a form-encoded body', 'content-type');
    }
    const text = await c.req.text();
    for (const [k, v] of new URLSearchParams(text)) if (!params.has(k)) params.append(k, v);
  }
  return params;
}

/**
 * @param deps.elementScript the element script's path for the hosted page (its content-hashed name
 * from the build's manifest), asked per page so that a rebuild in development shows at once.
 * `deps.pageStyle`: the stylesheet the hosted page inlines, with the CSP that allows it.
 */
export function checkoutRoutes(deps: { service: PaymentService; config: GatewayConfig; paymentLimits?: MiddlewareHandler<Env>; streams?: StreamHub; elementScript?: () => string; pageStyle?: PageStyle }) {
  const { service, config } = deps;
  const app = new Hono<Env>();
  const limit = capBody(MAX_BODY_BYTES);
  // Rate limits on creating payments (payment-limits.ts), after the body is read and checked.
  const rated: MiddlewareHandler<Env> = deps.paymentLimits ?? (async (_c, next) => { await next(); });

  // Preflight: answered for any origin; the real request checks the merchant's origins before it
  // does anything, so a preflight grants nothing by itself.
  app.options('*', (c) => {
    for (const [name, value] of Object.entries(corsHeaders(c.req.header('origin')))) c.header(name, value);
    c.header('access-control-allow-methods', 'GET, POST');
    c.header('access-control-allow-headers', 'content-type, idempotency-key, accept');
    c.header('access-control-max-age', '600');
    return c.body(null, 204);
  });

  const payLink = async (c: Context<Env>) => {
    const wantsJson = (c.req.header('accept') ?? '').includes('application/json');
    c.set('html', !wantsJson);
    const origin = c.req.header('origin');
    const login = c.req.param('login') ?? '';
    // The page's module starts loading while the form is made (http/early-hints.ts).
    if (!wantsJson) sendEarlyHints(c.env, [`<${deps.elementScript?.() ?? DEFAULT_ELEMENT_SCRIPT}>; rel=modulepreload; crossorigin`]);
    // Only the JSON payload is readable cross-origin. The page must stay open to any site: classic
    // Onpay modules POST the link form from the shop, whose origin the merchant never had to list.
    const { payload, link, md5 } = await service.paymentForm(login, await linkParams(c), wantsJson ? origin : undefined);
    if (wantsJson) return jsonAnswer(payload, 200, { 'cache-control': 'no-store', ...corsHeaders(origin) });
    const style = deps.pageStyle;
    return c.html(hostedPage(login, payload, link, md5, randomUUID(), deps.elementScript?.(), style?.css), 200, style ? { 'content-security-policy': style.csp } : {});
  };
  app.get('/pay/:login', payLink);
  app.post('/pay/:login', limit, payLink);

  // The form payload at a URL of its own: JSON whatever the Accept header says, so that a page's
  // `<link rel=preload as=fetch crossorigin>` (which sends none) fetches exactly what the element
  // then asks for, and the element uses the preloaded answer instead of a round trip of its own.
  app.get('/pay/:login/payload', async (c) => {
    const origin = c.req.header('origin');
    const { payload } = await service.paymentForm(c.req.param('login'), await linkParams(c), origin);
    return jsonAnswer(payload, 200, { 'cache-control': 'no-store', ...corsHeaders(origin) });
  });

  app.get('/pay/:login/snippet', async (c) => {
    const login = c.req.param('login');
    // Validate the order the same way as the form would, so a bad snippet is never handed out.
    // With the payload inside (a waiting payment of the order included, which the element resumes):
    // the shop's page needs no request to the gateway before the picker, and shows the plain form
    // (posting here) at its first paint.
    const { payload, link, md5 } = await service.paymentForm(login, await linkParams(c));
    const script = deps.elementScript?.() ?? DEFAULT_ELEMENT_SCRIPT;
    const page = await snippet(config.publicUrl, login, link, md5, payload, randomUUID(), script);
    // The module the snippet loads, for the shop's own preload or `103 Early Hints` of its next page.
    const preload = `<${config.publicUrl}${script}>; rel=modulepreload; crossorigin`;
    return c.body(page, 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', link: preload });
  });

  // The hosted page's plain form (no JavaScript).
  app.post('/pay/:login/continue', limit, async (c, next) => {
    c.set('html', true);
    await next();
  }, rated, validForm(continueForm), async (c) => {
    const form = c.req.valid('form');
    // A saved method's choice on the hosted page is one radio of `way`: `CRD:pm_…` (its way and id).
    const [way = '', savedMethod] = form.way.split(/:(.*)/s);
    const outcome = await service.createPayment({
      token: form.token,
      way,
      userEmail: form.user_email,
      amount: form.amount,
      idempotencyKey: readIdempotencyKey(form.idempotency_key),
      origin: c.req.header('origin'),
      ...(savedMethod ? { savedMethod } : form.save_consent === '1' ? { saveMethod: 'if_possible' as const } : {}),
      address: c.get('clientIp'),
    });
    if (outcome.kind === 'refused') {
      const { status, code, message, details } = outcome.refusal;
      throw new GatewayError(status, code, details.comment ? `${message}: ${details.comment}` : message);
    }
    const { action, id } = outcome.payment;
    if (action?.type === 'redirect') return c.redirect(action.url, 303);
    return c.redirect(`/payments/${id}`, 303);
  });

  // The hosted page's «Выбрать другой способ» without JavaScript: leaves the payment, back to the page.
  app.post('/pay/:login/abandon', limit, async (c, next) => {
    c.set('html', true);
    await next();
  }, validForm(abandonForm), async (c) => {
    const form = c.req.valid('form');
    await service.abandonPayment(form.payment, form.token, c.req.header('origin'));
    // Only this gateway's own page of the merchant: `back` is a query string, never a URL.
    return c.redirect(`/pay/${encodeURIComponent(c.req.param('login'))}?${new URLSearchParams(form.back).toString()}`, 303);
  });

  app.get('/payments/:id', async (c) => {
    c.set('html', true);
    const p = await service.getPayment(c.req.param('id'));
    return c.html(statusPage(p));
  });

  // «Попробовать другой способ» without JavaScript: the plain form again for the same order.
  app.get('/payments/:id/retry', async (c) => {
    c.set('html', true);
    const payload = await service.retryForm(c.req.param('id'));
    return c.html(retryPage(payload.merchant.login, payload, randomUUID()), 200, { 'cache-control': 'no-store' });
  });

  app.post('/api/v1/payments', limit, rated, validJson(createBody), async (c) => {
    const origin = c.req.header('origin');
    const outcome = await service.createPayment({
      ...c.req.valid('json'),
      idempotencyKey: readIdempotencyKey(c.req.header('idempotency-key')),
      origin,
      address: c.get('clientIp'),
    });
    if (outcome.kind === 'refused') throw refusalError(outcome.refusal);
    return jsonAnswer(outcome.payment, 201, corsHeaders(origin));
  });

  app.get('/api/v1/payments/:id', async (c) => {
    const origin = c.req.header('origin');
    const p = await service.paymentFor(c.req.param('id'), origin);
    return jsonAnswer(paymentView(p), 200, { 'cache-control': 'no-store', ...corsHeaders(origin) });
  });

  // «Выбрать другой способ»: the buyer leaves a waiting payment (orders.ts); the form's token proves the order.
  app.post('/api/v1/payments/:id/abandon', limit, validJson(abandonBody), async (c) => {
    const origin = c.req.header('origin');
    const view = await service.abandonPayment(c.req.param('id'), c.req.valid('json').token, origin);
    return jsonAnswer(view, 200, { 'cache-control': 'no-store', ...corsHeaders(origin) });
  });

  app.get('/api/v1/payments/:id/events', async (c) => {
    const origin = c.req.header('origin');
    const p = await service.paymentFor(c.req.param('id'), origin);
    // Counted among the open streams (429 over a cap) before the stream begins.
    const streams = deps.streams;
    const ticket = streams?.open(p.id, c.get('client'));
    for (const [name, value] of Object.entries(corsHeaders(origin))) c.header(name, value);
    return streamSSE(c, async (stream) => {
      try {
        await followStatus(stream, {
          id: p.id,
          initial: p.status,
          // With the hub, changes come to the stream (this process's at once, others' by one shared
          // read); alone, the stream asks the database itself.
          ...(streams
            ? { subscribe: (wake) => streams.watch(p.id, p.status, wake) }
            : { poll: () => service.statusOf(p.id), subscribe: (wake) => service.onStatus(p.id, wake) }),
          onShutdown: (stop) => {
            service.events.once(SHUTDOWN_EVENT, stop);
            return () => service.events.off(SHUTDOWN_EVENT, stop);
          },
        });
      } finally {
        ticket?.release();
      }
    });
  });

  return app;
}
