/**
 * A test-only connector type `fake`: its creates answer what the test scripts (started, refused,
 * unknown, a throw), and its notifications are JSON `{paymentId, state, amount, currency}` signed
 * with HMAC-SHA256 of the account's password in `x-fake-signature`, answered `OK` (200) or `BAD`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseAmount } from '../src/protocol/money.ts';
import type { Connector, ConnectorModule, CreateRequest, CreateResult, ProviderStatus, RefundRequest, RefundResult } from '../src/server/providers/contract.ts';
import type { Payment } from '../src/server/types.ts';

export interface FakeConfig {
  id: string;
  type: 'fake';
  password: string;
  apiUrl: string;
}

export const signFake = (body: string, password: string): string => createHmac('sha256', password).update(body).digest('hex');

/** The fake type, with the creates it was asked for and a switch for what the next creates answer. */
export function fakeModule() {
  const creates: CreateRequest[] = [];
  let next: (req: CreateRequest) => CreateResult | Promise<CreateResult> = (req) => ({
    kind: 'started',
    action: { type: 'redirect', url: `https://fake.example/pay/${req.idempotencyKey}` },
    providerPaymentId: `fake-${req.idempotencyKey}`,
    expiresAt: req.payment.createdAt + 3_600_000,
  });
  /** Payment ids `fetchStatus` was asked about, in order (reconciliation tests). */
  const asked: string[] = [];
  let status: (p: Payment, providerPaymentId: string | null) => ProviderStatus | { state: 'unreachable'; reason: string } | Promise<ProviderStatus | { state: 'unreachable'; reason: string }> = () => ({ state: 'unreachable', reason: 'fake' });
  /** Refunds asked for, and what the next ones answer. */
  const refunds: RefundRequest[] = [];
  let refund: (req: RefundRequest) => RefundResult | Promise<RefundResult> = () => ({ kind: 'refused', reason: 'fake' });
  const module: ConnectorModule<FakeConfig> = {
    type: 'fake',
    configSchema: z.object({
      id: z.string(),
      type: z.literal('fake'),
      password: z.string().min(8, 'at least 8 characters'),
      apiUrl: z.string().url().default('https://fake.example/api'),
    }).strict(),
    secretKeys: ['password'],
    methods: ['card', 'sbp'],
    notificationUrlInDashboard: false,
    create(config): Connector {
      return {
        id: config.id,
        type: 'fake',
        kind: (method) => (method === 'sbp' ? 'instructions' : 'redirect'),
        frame: () => true,
        async create(req) {
          creates.push(req);
          return next(req);
        },
        async handleNotification(n, ctx) {
          const bad = { status: 400, contentType: 'text/plain', body: 'BAD' };
          const sig = Buffer.from(n.headers.get('x-fake-signature') ?? '', 'utf8');
          const good = Buffer.from(signFake(n.body, config.password), 'utf8');
          if (sig.length !== good.length || !timingSafeEqual(sig, good)) return bad;
          let e: { paymentId?: unknown; state?: unknown; amount?: unknown; currency?: unknown };
          try {
            e = JSON.parse(n.body) as typeof e;
          } catch {
            return bad;
          }
          if (typeof e.paymentId !== 'string' || typeof e.state !== 'string' || typeof e.amount !== 'string') return bad;
          const amountMinor = parseAmount(e.amount);
          if (amountMinor === null) return bad;
          const p = await ctx.payment(e.paymentId);
          if (!p) return { status: 404, contentType: 'text/plain', body: 'UNKNOWN' };
          const outcome = await ctx.apply(p.id, {
            state: e.state as ProviderStatus['state'],
            amountMinor,
            ...(typeof e.currency === 'string' ? { currency: e.currency } : {}),
            providerPaymentId: `fake-${p.id}`,
            providerState: e.state,
          });
          return { status: 200, contentType: 'text/plain', body: outcome === 'applied' || outcome === 'unchanged' ? 'OK' : outcome.toUpperCase() };
        },
        async fetchStatus(payment, providerPaymentId) {
          asked.push(payment.id);
          return status(payment, providerPaymentId);
        },
        async refund(req) {
          refunds.push(req);
          return refund(req);
        },
      };
    },
  };
  return {
    module,
    creates,
    answer(fn: typeof next) {
      next = fn;
    },
    asked,
    refunds,
    /** What `refund` answers from now on. */
    refundAnswer(fn: typeof refund) {
      refund = fn;
    },
    /** What `fetchStatus` answers from now on. */
    statusAnswer(fn: typeof status) {
      status = fn;
    },
  };
}
