/**
 * The sandbox payment systems' side: the card system's page, the signed callback every sandbox
 * system sends, the return page, and the scripting API (`/api/v1/sandbox/payments/{id}/pay`). The
 * callback is the sandbox connector's notification; the page and the scripting API hand the same
 * signed notification to the connector, as the system itself would send it.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Env } from '../env.ts';
import type { GatewayConfig } from '../config.ts';
import { capBody } from '../http/body-limit.ts';
import { GatewayError } from '../errors.ts';
import { cardPage, PAGE_CSP, returnPage } from '../pages/pages.ts';
import type { HttpAnswer } from '../providers/contract.ts';
import { SANDBOX_PROVIDER_ID } from '../providers/modules.ts';
import { sandboxNotification } from '../providers/sandbox/sandbox.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Payment } from '../types.ts';
import { validForm } from '../http/validate.ts';
import { incomingNotification, providerAnswer } from './providers.ts';

const cardForm = z.object({ action: z.enum(['pay', 'authorize', 'decline'], { error: 'must be pay, authorize or decline' }) });

/** What a card page button or a scripting call makes the sandbox system report. */
const OUTCOMES = { pay: 'paid', authorize: 'authorized', decline: 'failed' } as const;

export function sandboxRoutes(deps: { service: PaymentService; config: GatewayConfig }) {
  const { service, config } = deps;
  const app = new Hono<Env>();
  const limit = capBody(4096);

  // The callback a payment system sends: signed over the exact body bytes, idempotent.
  app.post('/callbacks/sandbox', limit, async (c) => providerAnswer((await service.handleNotification(SANDBOX_PROVIDER_ID, await incomingNotification(c)))!));

  if (!config.sandbox) return app;

  /** What the sandbox system's own callback gets, sent straight to its connector. */
  const systemCallback = async (p: Payment, outcome: 'paid' | 'authorized' | 'failed'): Promise<HttpAnswer> =>
    (await service.handleNotification(SANDBOX_PROVIDER_ID, sandboxNotification(p, outcome, config.secret)))!;

  const cardPayment = async (c: Context<Env>) => {
    c.set('html', true);
    const p = await service.getPayment(c.req.param('id') ?? '');
    if (p.way === '' || p.action?.type !== 'redirect' || p.providerId !== SANDBOX_PROVIDER_ID) throw new GatewayError(404, 'not_found', 'not a card payment', 'id');
    await service.assertSandboxMayChange(p);
    return p;
  };

  app.get('/sandbox/card/:id', async (c) => {
    const p = await cardPayment(c);
    if (p.status !== 'awaiting_payment') return c.redirect(`/sandbox/return/${p.id}`, 303);
    // A way configured with frame: false behaves like a real system whose page refuses framing.
    const refusesFrames = p.action?.type === 'redirect' && p.action.frame === false;
    return c.html(cardPage(p), 200, refusesFrames ? { 'content-security-policy': `${PAGE_CSP}; frame-ancestors 'none'`, 'x-frame-options': 'DENY' } : {});
  });

  // The payment is looked up before the form is read: an unknown one is a 404 whatever the form says.
  app.post('/sandbox/card/:id', limit, async (c, next) => {
    await cardPayment(c);
    await next();
  }, validForm(cardForm), async (c) => {
    const p = await cardPayment(c);
    const { action } = c.req.valid('form');
    if (p.status === 'awaiting_payment') {
      // A manual-capture payment is held whichever button said yes: the sandbox cannot charge it at once.
      const r = await systemCallback(p, action === 'decline' ? 'failed' : p.captureMode === 'manual' ? 'authorized' : OUTCOMES[action]);
      if (r.status < 200 || r.status > 299) throw new GatewayError(409, 'invalid_state', `the payment could not be completed (${r.status})`);
    }
    return c.redirect(`/sandbox/return/${p.id}`, 303);
  });

  app.get('/sandbox/return/:id', async (c) => {
    c.set('html', true);
    const p = await service.getPayment(c.req.param('id'));
    // Not final yet: the return page that checks again (never a guess), as for every provider.
    if (!service.isBuyerDone(p.status) && p.providerId === SANDBOX_PROVIDER_ID) return c.redirect(`/providers/${SANDBOX_PROVIDER_ID}/return/${p.id}`, 303);
    const merchantOrigins = (await service.merchantOrigins(p.merchantLogin));
    return c.html(returnPage(p, [new URL(config.publicUrl).origin, ...merchantOrigins]));
  });

  app.post('/api/v1/sandbox/payments/:id/:outcome', async (c) => {
    const outcome = c.req.param('outcome');
    if (outcome !== 'pay' && outcome !== 'authorize' && outcome !== 'decline') throw new GatewayError(404, 'not_found', 'use …/pay, …/authorize or …/decline', 'outcome');
    const p = await service.getPayment(c.req.param('id'));
    // A live merchant's payment is refused here; the callback itself refuses it too.
    await service.assertSandboxMayChange(p);
    return providerAnswer(await systemCallback(p, outcome === 'pay' && p.captureMode === 'manual' ? 'authorized' : OUTCOMES[outcome]));
  });

  return app;
}
