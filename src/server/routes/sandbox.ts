/**
 * The sandbox payment systems' side: the card system's page, the signed callback every sandbox
 * system sends, the return page, and the scripting API (`/api/v1/sandbox/payments/{id}/pay`).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import type { GatewayConfig } from '../config.ts';
import { capBody } from '../body-limit.ts';
import { GatewayError, fromZod } from '../errors.ts';
import { formatAmount } from '../../protocol/money.ts';
import { cardPage, PAGE_CSP, returnPage } from '../pages/pages.ts';
import { SANDBOX_SIGNATURE_HEADER, signSandboxCallback, verifySandboxCallback } from '../payment-systems/sandbox.ts';
import type { PaymentService } from '../service.ts';
import type { Payment } from '../types.ts';

const callbackBody = z.object({
  paymentId: z.string().max(64),
  outcome: z.enum(['paid', 'failed']),
  amount: z.string().max(32),
  ticker: z.string().regex(/^[A-Z]{3}$/),
}).strict();

export function sandboxRoutes(deps: { service: PaymentService; config: GatewayConfig; app: Hono<Env> }) {
  const { service, config } = deps;
  const app = new Hono<Env>();
  const limit = capBody(4096);

  // The callback a payment system sends: signed over the exact body bytes, idempotent.
  app.post('/callbacks/sandbox', limit, async (c) => {
    const body = await c.req.text();
    if (!verifySandboxCallback(body, c.req.header(SANDBOX_SIGNATURE_HEADER) ?? '', config.secret)) {
      throw new GatewayError(403, 'bad_signature', `${SANDBOX_SIGNATURE_HEADER}: the callback signature does not match`, SANDBOX_SIGNATURE_HEADER);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new GatewayError(400, 'invalid_body', 'body: not valid JSON');
    }
    const r = callbackBody.safeParse(json);
    if (!r.success) throw fromZod(r.error, 'invalid_body');
    const { applied, payment } = await service.settle(r.data);
    return c.json({ applied, status: payment.status });
  });

  if (!config.sandbox) return app;

  /** Sends the payment system's signed callback through the gateway's own handler. */
  async function systemCallback(p: Payment, outcome: 'paid' | 'failed'): Promise<Response> {
    const body = JSON.stringify({ paymentId: p.id, outcome, amount: formatAmount(p.amountMinor), ticker: p.wayTicker });
    return deps.app.request('/callbacks/sandbox', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(body, config.secret) },
      body,
    });
  }

  const cardPayment = async (c: Context<Env>) => {
    c.set('html', true);
    const p = await service.getPayment(c.req.param('id') ?? '');
    if (p.way === '' || p.action?.type !== 'redirect') throw new GatewayError(404, 'not_found', 'not a card payment', 'id');
    return p;
  };

  app.get('/sandbox/card/:id', async (c) => {
    const p = await cardPayment(c);
    if (p.status !== 'awaiting_payment') return c.redirect(`/sandbox/return/${p.id}`, 303);
    // A way configured with frame: false behaves like a real system whose page refuses framing.
    const refusesFrames = p.action?.type === 'redirect' && p.action.frame === false;
    return c.html(cardPage(p), 200, refusesFrames ? { 'content-security-policy': `${PAGE_CSP}; frame-ancestors 'none'`, 'x-frame-options': 'DENY' } : {});
  });

  app.post('/sandbox/card/:id', limit, async (c) => {
    const p = await cardPayment(c);
    const action = new URLSearchParams(await c.req.text()).get('action');
    if (action !== 'pay' && action !== 'decline') throw new GatewayError(400, 'invalid_param', 'action: must be pay or decline', 'action');
    if (p.status === 'awaiting_payment') {
      const r = await systemCallback(p, action === 'pay' ? 'paid' : 'failed');
      if (!r.ok) throw new GatewayError(409, 'invalid_state', `the payment could not be completed (${r.status})`);
    }
    return c.redirect(`/sandbox/return/${p.id}`, 303);
  });

  app.get('/sandbox/return/:id', async (c) => {
    c.set('html', true);
    const p = await service.getPayment(c.req.param('id'));
    const merchantOrigins = (await service.merchantOrigins(p.merchantLogin));
    return c.html(returnPage(p, [new URL(config.publicUrl).origin, ...merchantOrigins]));
  });

  app.post('/api/v1/sandbox/payments/:id/:outcome', async (c) => {
    const outcome = c.req.param('outcome');
    if (outcome !== 'pay' && outcome !== 'decline') throw new GatewayError(404, 'not_found', 'use …/pay or …/decline', 'outcome');
    const p = await service.getPayment(c.req.param('id'));
    const r = await systemCallback(p, outcome === 'pay' ? 'paid' : 'failed');
    return c.body(await r.text(), r.status as 200, { 'content-type': 'application/json' });
  });

  return app;
}
