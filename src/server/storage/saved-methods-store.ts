/**
 * Saved payment methods and the consents that saved them (issue 26, 0013_saved_methods). A method
 * belongs to one merchant's customer: every read names the merchant, so another merchant never
 * sees it. Tokens are stored as the provider gave them and read only to charge or revoke.
 */
import type { Kysely } from 'kysely';
import type { Storage } from './interface.ts';
import type { Database } from './schema.ts';
import { num, toSavedMethod } from './rows.ts';

type SavedMethodMethods = 'recordSaveConsent' | 'saveConsentOf' | 'keepSavedMethod' | 'savedMethodsOf' | 'savedMethodOf' | 'revokeSavedMethod' | 'touchSavedMethod';

/** The saved methods' part of the storage. */
export function savedMethodsStore(db: Kysely<Database>): Pick<Storage, SavedMethodMethods> {
  return {
    async recordSaveConsent(c) {
      await db.insertInto('save_consents').values({
        payment_id: c.paymentId, merchant_login: c.merchantLogin, customer: c.customer, text: c.text, kind: c.kind, address: c.address, at: c.at,
      }).onConflict((oc) => oc.column('payment_id').doNothing()).execute();
    },

    async saveConsentOf(paymentId) {
      const r = await db.selectFrom('save_consents').selectAll().where('payment_id', '=', paymentId).executeTakeFirst();
      return r && {
        paymentId: r.payment_id, merchantLogin: r.merchant_login, customer: r.customer, text: r.text,
        kind: r.kind === 'required' ? 'required' : 'optional', address: r.address, at: Number(r.at),
      };
    },

    async keepSavedMethod(m) {
      // One payment saves one method: a repeated paid report finds the one it saved.
      await db.insertInto('saved_methods').values({
        id: m.id, merchant_login: m.merchantLogin, customer: m.customer, provider_id: m.providerId, way: m.way, token: m.token,
        first6: m.first6, last4: m.last4, expiry: m.expiry, source_payment_id: m.sourcePaymentId, created_at: m.createdAt, last_used_at: null, revoked_at: null,
      }).onConflict((oc) => oc.column('source_payment_id').doNothing()).execute();
      const r = await db.selectFrom('saved_methods').selectAll().where('source_payment_id', '=', m.sourcePaymentId).executeTakeFirstOrThrow();
      return { created: r.id === m.id, method: toSavedMethod(r) };
    },

    async savedMethodsOf(merchantLogin, customer) {
      const rows = await db.selectFrom('saved_methods').selectAll()
        .where('merchant_login', '=', merchantLogin).where('customer', '=', customer).where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc').orderBy('id').limit(100).execute();
      // The same card saved twice (two payments with consent): the newest one only.
      const seen = new Set<string>();
      return rows.map(toSavedMethod).filter((m) => {
        const k = `${m.providerId}\u0000${m.token}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    },

    async savedMethodOf(merchantLogin, id) {
      const r = await db.selectFrom('saved_methods').selectAll()
        .where('merchant_login', '=', merchantLogin).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return r && toSavedMethod(r);
    },

    async revokeSavedMethod(merchantLogin, id, at) {
      const r = await db.updateTable('saved_methods').set({ revoked_at: at })
        .where('merchant_login', '=', merchantLogin).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return num(r.numUpdatedRows as bigint) === 1;
    },

    async touchSavedMethod(id, at) {
      await db.updateTable('saved_methods').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}
