/**
 * The sandbox payment systems as a connector: they behave like real ones without a network. A card
 * system with its own hosted page, a bank transfer completed by a signed callback, and test money
 * that expires. Each reports outcomes through the same kind of signed notification a real provider
 * sends (`/callbacks/sandbox`, also `/providers/sandbox/notify`), verified over the exact bytes.
 *
 * The gateway always has one sandbox account, id `sandbox`; its methods are the ways' `system`s.
 */
import { z } from 'zod';
import { fromZod, GatewayError } from '../../errors.ts';
import { refuseIllFormed } from '../../http/validate.ts';
import { formatAmount, parseAmount } from '../../../protocol/money.ts';
import { safeEqualHex } from '../../../protocol/onpay-api.ts';
import { hmacHex } from '../../token.ts';
import type { Payment, PaymentAction } from '../../types.ts';
import { CARD_HOLD_MS, type ApplyOutcome, type ChargeResult, type Connector, type ConnectorDeps, type ConnectorModule, type CreateResult, type HttpAnswer, type IncomingNotification, type SavedMethodReport } from '../contract.ts';
import { wayTitle, type LocalizedText } from '../../../protocol/languages.ts';
import { INSTRUCTION_WORDS } from '../../../protocol/instruction-words.ts';
import { parseReceipt, receiptTotalMinor, type Receipt } from '../../../protocol/receipt.ts';

/**
 * What a provider's cash register would say of a receipt for `amountMinor`: the model's rules, the
 * lines summing to the amount, a contact. Null when it would register it.
 */
export function sandboxReceiptProblem(r: Receipt, amountMinor: bigint): string | null {
  const parsed = parseReceipt(r);
  if (!parsed.ok) return `${parsed.issue.field}: ${parsed.issue.message}`;
  if (receiptTotalMinor(r) !== amountMinor) return `receipt.items: the lines sum to ${formatAmount(receiptTotalMinor(r))}, the operation to ${formatAmount(amountMinor)}`;
  if (!r.customer.email && !r.customer.phone) return 'receipt.customer: an e-mail or a phone is required';
  return null;
}

/** The sandbox systems: the methods of the sandbox connector. */
export const SANDBOX_METHODS = ['card', 'bank', 'expiring'] as const;

/**
 * What the sandbox reads of a way (config.ts's `SandboxWay` fits it). Declared here, not imported, so
 * that the configuration's schema can list this module without an import circle.
 */
export interface SandboxWay {
  code: string;
  system?: 'card' | 'bank' | 'expiring' | undefined;
  /** The buyer's title per language (any supported one as a key), shown by `wayTitle`'s rule. */
  title: LocalizedText;
  ttlSeconds: number;
  frame: boolean;
}

/** The built-in sandbox account: the gateway secret signs its callbacks; `ways` are the sandbox ways. */
export interface SandboxProviderConfig {
  id: string;
  type: 'sandbox';
  secret: string;
  ways: SandboxWay[];
}

/** The header carrying a sandbox callback's signature. */
export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';

/** Signs a sandbox callback body (exact bytes) with the gateway secret. */
export const signSandboxCallback = (body: string, secret: string): string => hmacHex(secret, `sandbox-callback.${body}`);

/** Verifies a sandbox callback body against its signature header, in constant time. */
export const verifySandboxCallback = (body: string, signature: string, secret: string): boolean =>
  safeEqualHex(signature, signSandboxCallback(body, secret));

/** What a sandbox system reports about a payment (the callback's body). */
const callbackBody = z.object({
  paymentId: z.string().max(64),
  outcome: z.enum(['paid', 'authorized', 'failed']),
  amount: z.string().max(32),
  ticker: z.string().regex(/^[A-Z]{3}$/),
}).strict();

/**
 * The signed notification a sandbox system sends when the buyer pays or declines (the card page,
 * the scripting API): the same bytes `/callbacks/sandbox` would receive.
 */
export function sandboxNotification(p: Payment, outcome: 'paid' | 'authorized' | 'failed', secret: string): IncomingNotification {
  const body = JSON.stringify({ paymentId: p.id, outcome, amount: formatAmount(p.amountMinor), ticker: p.wayTicker });
  return {
    rawBody: new TextEncoder().encode(body),
    body,
    headers: new Headers({ 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxCallback(body, secret) }),
    remoteAddress: undefined,
  };
}


/** The action of a sandbox way for a payment, and its deadline. */
function start(way: SandboxWay, p: Payment, now: number, publicUrl: string): { action: PaymentAction; expiresAt: number } {
  const expiresAt = now + way.ttlSeconds * 1000;
  if (way.system === 'card') return { action: { type: 'redirect', url: `${publicUrl}/sandbox/card/${p.id}`, frame: way.frame }, expiresAt };
  const l = INSTRUCTION_WORDS[p.ln];
  const reference = `OP-${p.number}`;
  const details = way.system === 'bank'
    ? [
      { key: 'recipient', label: l.recipient, value: 'ООО «Онпэй Песочница»' },
      { key: 'bank', label: l.bank, value: 'Sandbox Bank' },
      { key: 'bic', label: l.bic, value: '044525000' },
      { key: 'account', label: l.account, value: '40702810900000012345' },
      { key: 'reference', label: l.reference, value: reference },
    ]
    : [
      { key: 'wallet', label: l.wallet, value: `TST-${p.number.toString().padStart(8, '0')}` },
      { key: 'reference', label: l.reference, value: reference },
    ];
  return {
    action: { type: 'instructions', title: wayTitle(way.title, p.ln), amount: formatAmount(p.amountMinor), ticker: p.wayTicker, expiresAt: new Date(expiresAt).toISOString(), details },
    expiresAt,
  };
}

/**
 * The sandbox's saved card (issue 26): its token is the paying payment's id signed with the gateway
 * secret, so the stateless sandbox can tell its own tokens. The test card is always 4242 4242 … 4242.
 */
export function sandboxSavedMethod(paymentId: string, secret: string): SavedMethodReport {
  return { token: `sbx.${paymentId}.${hmacHex(secret, `sandbox-saved.${paymentId}`).slice(0, 32)}`, first6: '424242', last4: '4242', expiry: '12/30' };
}

/**
 * How a sandbox charge of a saved card ends, by the amount's kopecks (docs/API.md): `.51` not enough
 * money, `.05` declined, `.33` 3-D Secure asked (the buyer is sent to the card page); otherwise paid.
 */
export function sandboxChargeOutcome(amountMinor: bigint): 'paid' | 'insufficient_funds' | 'declined' | '3ds' {
  const k = amountMinor % 100n;
  return k === 51n ? 'insufficient_funds' : k === 5n ? 'declined' : k === 33n ? '3ds' : 'paid';
}

const answer = (status: number, body: unknown): HttpAnswer => ({ status, contentType: 'application/json', body: JSON.stringify(body) });
const refusal = (e: GatewayError): HttpAnswer => answer(e.status, e.toJSON());

function createSandboxConnector(config: SandboxProviderConfig, deps: ConnectorDeps): Connector {
  const ways = new Map(config.ways.map((w) => [w.code, w]));
  return {
    id: config.id,
    type: 'sandbox',
    kind: (method) => (method === 'card' ? 'redirect' : 'instructions'),
    frame: () => true,

    async create(req): Promise<CreateResult> {
      const way = ways.get(req.payment.way);
      if (!way) return { kind: 'refused', reason: `no sandbox way ${req.payment.way}` };
      // A real provider refuses the whole payment for a receipt its register would not take.
      const problem = req.receipt && sandboxReceiptProblem(req.receipt, req.payment.amountMinor);
      if (problem) return { kind: 'refused', reason: problem };
      return { kind: 'started', providerPaymentId: req.payment.id, ...start(way, req.payment, deps.now(), deps.publicUrl) };
    },

    async handleNotification(n, ctx) {
      if (!verifySandboxCallback(n.body, n.headers.get(SANDBOX_SIGNATURE_HEADER) ?? '', config.secret)) {
        return refusal(new GatewayError(403, 'bad_signature', `${SANDBOX_SIGNATURE_HEADER}: the callback signature does not match`, SANDBOX_SIGNATURE_HEADER));
      }
      let json: unknown;
      try {
        json = JSON.parse(n.body);
      } catch {
        return refusal(new GatewayError(400, 'invalid_body', 'body: not valid JSON'));
      }
      try {
        refuseIllFormed(json, n.body);
      } catch (e) {
        return refusal(e as GatewayError);
      }
      const r = callbackBody.safeParse(json);
      if (!r.success) return refusal(fromZod(r.error, 'invalid_body'));
      const e = r.data;
      const notFound = () => refusal(new GatewayError(404, 'not_found', 'no such payment', 'paymentId'));
      const p = await ctx.payment(e.paymentId);
      if (!p) return notFound();
      const mismatch = () => refusal(new GatewayError(422, 'invalid_param', `amount: ${e.amount} ${e.ticker} is not what this payment expects`, 'amount'));
      const amountMinor = parseAmount(e.amount);
      if (e.outcome !== 'failed' && amountMinor === null) return mismatch();
      // The sandbox holds only what was asked to be held (a manual-capture payment), as a provider does.
      if (e.outcome === 'authorized' && p.captureMode !== 'manual') return refusal(new GatewayError(409, 'invalid_state', 'payment is not a manual-capture payment; it cannot be held', 'status'));
      // The sandbox's own declines are final (its card page takes one answer): the state table's
      // `failed → paid` is for providers whose declines are not (CloudPayments), and for money that
      // arrives after the merchant failed the payment by hand (paid late).
      // A payment its buyer abandoned for another method was never declined: a transfer sent before
      // still arrives. A rejected payment (CHECK said no) was never handed to a sandbox system: it has no money to report.
      if (e.outcome === 'paid' && p.status === 'rejected') return refusal(new GatewayError(409, 'invalid_state', 'payment is rejected; it was never started at the sandbox', 'status'));
      if (e.outcome === 'paid' && p.status === 'failed' && !p.manual && !p.statusReason.startsWith('abandoned')) return refusal(new GatewayError(409, 'invalid_state', 'payment is failed; it cannot become paid', 'status'));
      const outcome: ApplyOutcome = await ctx.apply(p.id, {
        state: e.outcome,
        ...(e.outcome === 'authorized' ? { holdExpiresAt: deps.now() + CARD_HOLD_MS } : {}),
        providerPaymentId: p.id,
        ...(amountMinor !== null ? { amountMinor } : {}),
        currency: e.ticker,
        providerState: e.outcome,
        // The card page's card, kept by the gateway only when the buyer consented (issue 26).
        ...(e.outcome === 'paid' && ways.get(p.way)?.system === 'card' ? { savedMethod: sandboxSavedMethod(p.id, config.secret) } : {}),
      });
      switch (outcome) {
        case 'applied':
        case 'unchanged':
          return answer(200, { applied: outcome === 'applied', status: (await ctx.payment(p.id))?.status ?? p.status });
        case 'amount_mismatch':
          return mismatch();
        case 'invalid_state': {
          const now = (await ctx.payment(p.id)) ?? p;
          return refusal(new GatewayError(409, 'invalid_state', `payment is ${now.status}; it cannot become ${e.outcome}`, 'status'));
        }
        case 'unknown_payment':
          return notFound();
      }
    },

    canSave: (method) => method === 'card',

    async chargeSaved(req): Promise<ChargeResult> {
      const m = /^sbx\.(pay_[A-Za-z0-9_-]{10,60})\.[0-9a-f]{32}$/.exec(req.token);
      if (!m || sandboxSavedMethod(m[1]!, config.secret).token !== req.token) return { kind: 'declined', failure: 'declined', reason: 'unknown sandbox token' };
      switch (sandboxChargeOutcome(req.payment.amountMinor)) {
        case 'paid':
          return { kind: 'paid', providerPaymentId: req.payment.id, providerState: 'paid' };
        case 'insufficient_funds':
          return { kind: 'declined', providerPaymentId: req.payment.id, failure: 'insufficient_funds', reason: 'insufficient funds (sandbox amount ending in .51)' };
        case 'declined':
          return { kind: 'declined', providerPaymentId: req.payment.id, failure: 'declined', reason: 'declined (sandbox amount ending in .05)' };
        case '3ds':
          return {
            kind: 'action_required', providerPaymentId: req.payment.id, expiresAt: deps.now() + 86_400_000,
            action: { type: 'redirect', url: `${deps.publicUrl}/sandbox/card/${req.payment.id}`, frame: false },
          };
      }
    },

    // Nothing to revoke: the sandbox keeps no cards.
    async revokeSaved() {
      return { kind: 'revoked' };
    },

    // The sandbox keeps no state of its own: what the gateway stored is what it knows. A hold past
    // its deadline has lapsed (released), as at a card provider.
    async fetchStatus(payment) {
      const base = { providerPaymentId: payment.id, amountMinor: payment.amountMinor, currency: payment.wayTicker, providerState: payment.status };
      switch (payment.status) {
        case 'paid':
        case 'partially_captured':
          return { ...base, state: 'paid' };
        case 'failed':
        case 'expired':
        case 'voided':
          return { ...base, state: payment.status };
        case 'authorized':
          return typeof payment.holdExpiresAt === 'number' && deps.now() >= payment.holdExpiresAt
            ? { ...base, state: 'voided', providerState: 'hold_lapsed' }
            : { ...base, state: 'authorized', ...(typeof payment.holdExpiresAt === 'number' ? { holdExpiresAt: payment.holdExpiresAt } : {}) };
        case 'awaiting_payment':
          // A merchant's charge: the sandbox's answer is its amount's, whenever it is asked.
          if (payment.idempotencyKey?.startsWith('charge:')) {
            switch (sandboxChargeOutcome(payment.amountMinor)) {
              case 'paid': return { ...base, state: 'paid', providerState: 'paid' };
              case 'insufficient_funds': return { ...base, state: 'failed', providerState: 'insufficient_funds', failure: 'insufficient_funds' };
              case 'declined': return { ...base, state: 'failed', providerState: 'declined', failure: 'declined' };
              case '3ds': break;
            }
          }
          return { ...base, state: 'pending' };
        default:
          return { ...base, state: 'pending' };
      }
    },

    // A test hold is captured (all or less) or released at once; the documented refusals as a card
    // provider's: more than held, a payment no longer held (captured, voided, lapsed).
    async capture(payment, _id, amountMinor, receipt) {
      if (payment.status !== 'authorized') return { kind: 'refused', reason: `the payment is ${payment.status}, not held` };
      if (typeof payment.holdExpiresAt === 'number' && deps.now() >= payment.holdExpiresAt) return { kind: 'refused', reason: 'the hold has lapsed' };
      if (amountMinor <= 0n || amountMinor > payment.amountMinor) return { kind: 'refused', reason: 'capture above what is held' };
      const problem = receipt && sandboxReceiptProblem(receipt, amountMinor);
      if (problem) return { kind: 'refused', reason: problem };
      return { kind: 'done' };
    },

    async void(payment) {
      if (payment.status !== 'authorized') return { kind: 'refused', reason: `the payment is ${payment.status}, not held` };
      return { kind: 'done' };
    },

    // Test money goes back at once: refused only above what is left (the gateway checks it first).
    async refund(req) {
      if (req.amountMinor <= 0n || req.amountMinor > req.payment.amountMinor - req.payment.refundedMinor) return { kind: 'refused', reason: 'refund above what is left of the payment' };
      const problem = req.receipt && sandboxReceiptProblem(req.receipt, req.amountMinor);
      if (problem) return { kind: 'refused', reason: problem };
      return { kind: 'done', providerRefundId: `sandbox-${req.idempotencyKey}` };
    },

    // The test register registers at once whatever a real one would take, and says why it would not.
    async sendClosingReceipt(payment, receipt) {
      const problem = sandboxReceiptProblem(receipt, payment.amountMinor - payment.refundedMinor);
      if (problem) return { status: 'failed', reason: problem };
      return { status: 'registered', providerReceiptId: `sandbox-closing-${payment.id}` };
    },
  };
}

/** The sandbox connector type. Built in: the registry always adds one account, `sandbox`. */
export const sandboxModule: ConnectorModule<SandboxProviderConfig> = {
  type: 'sandbox',
  configSchema: z.object({
    id: z.string(),
    type: z.literal('sandbox'),
    secret: z.string().min(32),
    ways: z.array(z.custom<SandboxWay>((w) => typeof w === 'object' && w !== null)),
  }),
  secretKeys: ['secret'],
  methods: SANDBOX_METHODS,
  notificationUrlInDashboard: false,
  create: createSandboxConnector,
};
