/**
 * Saved payment methods (issue 26): the buyer's consent asked at creation and stored, the method
 * kept when its paid report names one and the consent exists, and the merchant's view of its
 * customers' methods. A method belongs to one merchant: every lookup names the merchant.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import type { LinkParams } from '../../protocol/link.ts';
import { consentText } from '../../protocol/save-consent.ts';
import type { ProviderStatus } from '../providers/contract.ts';
import type { WayEntry } from '../providers/registry.ts';
import type { Merchant, Payment, SavedMethod } from '../types.ts';
import type { PaymentCore } from './core.ts';

/** A saved method as the merchant's API shows it: never the provider's token. */
export interface SavedMethodView {
  id: string;
  provider: string;
  way: string;
  card: { first6: string | null; last4: string | null; expiry: string | null };
  createdAt: string;
  lastUsedAt: string | null;
}

/** The public view of a saved method. */
export const savedMethodView = (m: SavedMethod): SavedMethodView => ({
  id: m.id, provider: m.providerId, way: m.way,
  card: { first6: m.first6, last4: m.last4, expiry: m.expiry },
  createdAt: new Date(m.createdAt).toISOString(), lastUsedAt: m.lastUsedAt === null ? null : new Date(m.lastUsedAt).toISOString(),
});

/** Whether the merchant has saved methods on. */
export const savedMethodsOn = (m: Merchant): boolean => m.savedMethods?.enabled === true;

/** Whether a way can save its method for this merchant and link (the form's `canSave`): charges are in roubles, so rouble ways only. */
export const canSaveWith = (m: Merchant, link: Pick<LinkParams, 'customer'>, entry: WayEntry): boolean =>
  savedMethodsOn(m) && link.customer !== undefined && entry.way.ticker === 'RUR' && entry.connector.canSave?.(entry.method) === true && entry.connector.chargeSaved !== undefined;

/**
 * The provider's customer key for a merchant's customer: not the shop's id itself (providers see
 * only this), the same for every payment of the customer, 34 characters (T-Bank takes 36).
 */
export const providerCustomerKey = (merchantLogin: string, customer: string): string =>
  `c_${createHash('sha256').update(`${merchantLogin}\u0000${customer}`).digest('base64url').slice(0, 32)}`;

/**
 * What the buyer's request asks and the link allows: the consent to record (null: nothing to save).
 * Checked before anything is written: `saveMethod` where it cannot be honoured, or missing where the
 * link makes it a condition, is the request's 400 naming `saveMethod`.
 */
export function planConsent(m: Merchant, link: LinkParams, entry: WayEntry, given: boolean | 'if_possible' | undefined): { kind: 'optional' | 'required'; customer: string } | null {
  const required = link.saveMethod === 'required';
  const possible = canSaveWith(m, link, entry);
  const saveMethod = given === 'if_possible' ? possible : given;
  if (saveMethod === true && !possible) {
    throw new GatewayError(400, 'invalid_param', 'saveMethod: this way cannot save the method for this order', 'saveMethod');
  }
  if (required && possible && saveMethod !== true) {
    throw new GatewayError(400, 'invalid_param', 'saveMethod: this order saves the method as its condition; the buyer must accept it', 'saveMethod');
  }
  return saveMethod === true ? { kind: required ? 'required' : 'optional', customer: link.customer! } : null;
}

/** The saved methods' side of the payment wing. */
export function createSavedMethods(core: PaymentCore) {
  const { deps } = core;
  const { storage } = deps;

  return {
    planConsent,

    /** Stores the consent given for a payment: the words shown in its language, when, from where. */
    async recordConsent(p: Payment, plan: { kind: 'optional' | 'required'; customer: string }, address: string | undefined): Promise<{ customerKey: string }> {
      await storage.recordSaveConsent({
        paymentId: p.id, merchantLogin: p.merchantLogin, customer: plan.customer, text: consentText(p.ln, plan.kind),
        kind: plan.kind, address: address ?? null, at: deps.now(),
      });
      return { customerKey: providerCustomerKey(p.merchantLogin, plan.customer) };
    },

    /**
     * Keeps the method a paid report names, when its payment was given the consent: never without
     * it, whatever the provider says. Losing this record must not lose the payment: errors are logged.
     */
    async keepFromReport(p: Payment, s: ProviderStatus): Promise<void> {
      if (s.state !== 'paid' || !s.savedMethod || !p.providerId) return;
      try {
        const consent = await storage.saveConsentOf(p.id);
        if (!consent) return;
        const { token, first6, last4, expiry } = s.savedMethod;
        await storage.keepSavedMethod({
          id: `pm_${deps.randomId().replace(/^pay_/, '')}`, merchantLogin: p.merchantLogin, customer: consent.customer, providerId: p.providerId,
          way: p.way, token, first6: first6 ?? null, last4: last4 ?? null, expiry: expiry ?? null, sourcePaymentId: p.id, createdAt: deps.now(), lastUsedAt: null,
        });
      } catch (e) {
        deps.log?.(`payment ${p.id}: saved method not kept: ${e instanceof Error ? e.message : 'error'}`);
      }
    },

    /** A customer's methods (`GET /api/v1/customers/{customer}/methods`). */
    async list(m: Merchant, customer: string): Promise<{ methods: SavedMethodView[] }> {
      return { methods: (await storage.savedMethodsOf(m.login, customer)).map(savedMethodView) };
    },

    /**
     * Removes a customer's method, revoking it at the provider where it has a call for that (T-Bank
     * `RemoveCard`); the gateway forgets it in any case. 404 for another merchant's or customer's.
     */
    async remove(m: Merchant, customer: string, id: string): Promise<{ id: string; removed: true; revokedAtProvider: boolean }> {
      const method = await storage.savedMethodOf(m.login, id);
      if (!method || method.customer !== customer) throw new GatewayError(404, 'not_found', 'no such saved method of this customer', 'id');
      let revokedAtProvider = false;
      const connector = deps.connectors.connector(method.providerId);
      if (connector?.revokeSaved) {
        const r = await connector.revokeSaved(method.token, providerCustomerKey(m.login, customer)).catch(() => ({ kind: 'unknown' as const, reason: 'the connector failed' }));
        revokedAtProvider = r.kind === 'revoked';
        if (!revokedAtProvider) deps.log?.(`saved method ${id}: not revoked at ${method.providerId}; forgotten by the gateway`);
      }
      await storage.revokeSavedMethod(m.login, id, deps.now());
      return { id, removed: true, revokedAtProvider };
    },
  };
}

export type SavedMethods = ReturnType<typeof createSavedMethods>;
