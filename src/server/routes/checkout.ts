/**
 * The buyer's side: the payment link (form payload, hosted page, snippet), creating payments, their
 * status and live events. CORS answers only a merchant's allowed origins.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Env } from '../app.ts';
import type { GatewayConfig } from '../config.ts';
import { capBody } from '../body-limit.ts';
import { GatewayError, fromZod } from '../errors.ts';
import { linkMd5Matches, parseLink } from '../link.ts';
import { hostedPage, snippet, statusPage } from '../pages/pages.ts';
import { originAllowed, paymentView, SHUTDOWN_EVENT, type PaymentService } from '../service.ts';
import { corsHeaders, jsonAnswer } from '../respond.ts';
import type { Storage } from '../storage/storage.ts';
import { isFinal, type PaymentStatus } from '../states.ts';

const MAX_BODY_BYTES = 16 * 1024;
const SSE_POLL_MS = 2000;
const SSE_KEEPALIVE_MS = 15_000;

const createBody = z.object({
  token: z.string().min(1, 'is required').max(16_384),
  way: z.string().regex(/^[A-Z]{3}$/, 'must be a payment system code like CRD'),
  userEmail: z.string().max(40).refine((s) => s === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s), 'must be an e-mail address').optional(),
  userPhone: z.string().max(40).regex(/^[0-9+()\- ]*$/, 'must be a phone number').optional(),
  amount: z.string().max(32).optional(),
}).strict();

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function readIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(value)) throw new GatewayError(400, 'invalid_param', 'Idempotency-Key: 1–255 printable ASCII characters', 'Idempotency-Key');
  return value;
}

async function linkParams(c: Context<Env>): Promise<URLSearchParams> {
  const params = new URL(c.req.url).searchParams;
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

const LOGIN = /^[a-z0-9][a-z0-9_.-]{1,63}$/;

export function checkoutRoutes(deps: { service: PaymentService; config: GatewayConfig; storage: Storage; now: () => number }) {
  const { service, config, storage } = deps;
  const app = new Hono<Env>();
  const limit = capBody(MAX_BODY_BYTES);

  // Preflight: answered for any origin; the real request checks the merchant's origins before it
  // does anything, so a preflight grants nothing by itself.
  app.options('*', (c) => {
    for (const [name, value] of Object.entries(corsHeaders(c.req.header('origin')))) c.header(name, value);
    c.header('access-control-allow-methods', 'GET, POST');
    c.header('access-control-allow-headers', 'content-type, idempotency-key, accept');
    c.header('access-control-max-age', '600');
    return c.body(null, 204);
  });

  async function resolveLink(c: Context<Env>) {
    const login = c.req.param('login') ?? '';
    if (!LOGIN.test(login)) throw new GatewayError(404, 'unknown_merchant', 'merchant_login: not a merchant login', 'merchant_login');
    const merchant = await storage.getMerchant(login);
    if (!merchant) throw new GatewayError(404, 'unknown_merchant', `merchant_login: ${login} is not known`, 'merchant_login');
    const parsed = parseLink(await linkParams(c));
    if (merchant.checkLinkMd5) {
      if (!parsed.md5) throw new GatewayError(403, 'bad_signature', 'md5: this merchant signs its links; md5 is required', 'md5');
      if (!linkMd5Matches(parsed, merchant.secret)) throw new GatewayError(403, 'bad_signature', 'md5: the link signature does not match its parameters', 'md5');
    }
    return { login, merchant, parsed };
  }

  const payLink = async (c: Context<Env>) => {
    const wantsJson = (c.req.header('accept') ?? '').includes('application/json');
    c.set('html', !wantsJson);
    const origin = c.req.header('origin');
    const { login, merchant, parsed } = await resolveLink(c);
    // Only the JSON payload is readable cross-origin. The page must stay open to any site: classic
    // Onpay modules POST the link form from the shop, whose origin the merchant never had to list.
    if (wantsJson && !originAllowed(origin, merchant, config.publicUrl)) {
      throw new GatewayError(403, 'origin_forbidden', `origin ${origin} is not allowed for this merchant`, 'origin');
    }
    const payload = await service.formPayload(login, parsed.link, merchant);
    if (wantsJson) return jsonAnswer(payload, 200, { 'cache-control': 'no-store', ...corsHeaders(origin) });
    return c.html(hostedPage(login, payload, parsed.link, parsed.md5, randomUUID()));
  };
  app.get('/pay/:login', payLink);
  app.post('/pay/:login', limit, payLink);

  app.get('/pay/:login/snippet', async (c) => {
    const { login, parsed } = await resolveLink(c);
    // Validate the order the same way as the form would, so a bad snippet is never handed out.
    await service.formPayload(login, parsed.link);
    return c.body(await snippet(config.publicUrl, login, parsed.link, parsed.md5), 200, { 'content-type': 'text/html; charset=utf-8' });
  });

  // The hosted page's plain form (no JavaScript).
  app.post('/pay/:login/continue', limit, async (c) => {
    c.set('html', true);
    const form = new URLSearchParams(await c.req.text());
    const way = form.get('way') ?? '';
    const answer = await service.createPayment({
      token: form.get('token') ?? '',
      way,
      userEmail: form.get('user_email') ?? undefined,
      amount: form.get('amount') ?? undefined,
      idempotencyKey: readIdempotencyKey(form.get('idempotency_key') ?? undefined),
      origin: c.req.header('origin'),
    });
    const body = JSON.parse(answer.body) as { id?: string; action?: { type: string; url?: string }; error?: { code: string; message: string; comment?: string } };
    if (answer.status !== 201 || !body.id) {
      const e = body.error!;
      throw new GatewayError(answer.status as 422, e.code as 'check_declined', e.comment ? `${e.message}: ${e.comment}` : e.message);
    }
    if (body.action?.type === 'redirect' && body.action.url) return c.redirect(body.action.url, 303);
    return c.redirect(`/payments/${body.id}`, 303);
  });

  app.get('/payments/:id', async (c) => {
    c.set('html', true);
    const p = await service.getPayment(c.req.param('id'));
    return c.html(statusPage(p));
  });

  app.post('/api/v1/payments', limit, async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/json')) throw new GatewayError(415, 'unsupported_media_type', 'content-type: send application/json', 'content-type');
    let json: unknown;
    try {
      json = JSON.parse(await c.req.text());
    } catch {
      throw new GatewayError(400, 'invalid_body', 'body: not valid JSON');
    }
    const r = createBody.safeParse(json);
    if (!r.success) throw fromZod(r.error, 'invalid_body');
    const origin = c.req.header('origin');
    const answer = await service.createPayment({
      ...r.data,
      idempotencyKey: readIdempotencyKey(c.req.header('idempotency-key')),
      origin,
    });
    return jsonAnswer(answer.body, answer.status, corsHeaders(origin));
  });

  async function paymentFor(c: Context<Env>) {
    const p = await service.getPayment(c.req.param('id') ?? '');
    const origin = c.req.header('origin');
    const merchant = (await storage.getMerchant(p.merchantLogin))!;
    if (!originAllowed(origin, merchant, config.publicUrl)) throw new GatewayError(403, 'origin_forbidden', `origin ${origin} is not allowed for this merchant`, 'origin');
    return { p, cors: corsHeaders(origin) };
  }

  app.get('/api/v1/payments/:id', async (c) => {
    const { p, cors } = await paymentFor(c);
    return jsonAnswer(paymentView(p), 200, { 'cache-control': 'no-store', ...cors });
  });

  app.get('/api/v1/payments/:id/events', async (c) => {
    const { p, cors } = await paymentFor(c);
    for (const [name, value] of Object.entries(cors)) c.header(name, value);
    return streamSSE(c, async (stream) => {
      let last: PaymentStatus | undefined;
      let wake: (() => void) | undefined;
      const send = async (status: PaymentStatus) => {
        if (status === last) return;
        last = status;
        await stream.writeSSE({ event: 'status', data: JSON.stringify({ id: p.id, status }) });
      };
      const off = service.onStatus(p.id, () => wake?.());
      let closed = false;
      let shuttingDown = false;
      const onShutdown = () => {
        shuttingDown = true;
        closed = true;
        wake?.();
      };
      service.events.once(SHUTDOWN_EVENT, onShutdown);
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      try {
        await send(p.status);
        let idle = 0;
        while (!closed && !isFinal(last!)) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, SSE_POLL_MS);
          });
          if (closed) break;
          // Poll the database too: another instance may have changed the payment.
          const now = await storage.getPayment(p.id);
          if (now) await send(now.status);
          idle += SSE_POLL_MS;
          if (idle >= SSE_KEEPALIVE_MS) {
            idle = 0;
            await stream.write(': keep-alive\n\n');
          }
        }
        // The gateway is stopping: say so, so that the client reconnects (to another instance) at once.
        if (shuttingDown) await stream.writeSSE({ event: 'shutdown', data: JSON.stringify({ id: p.id, reconnect: true }), retry: 1000 });
      } finally {
        off();
        service.events.off(SHUTDOWN_EVENT, onShutdown);
      }
    });
  });

  return app;
}
