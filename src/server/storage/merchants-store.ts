/** Merchants: seeded from the configuration or the admin command, read by login or cabinet key. */
import { sql, type Kysely } from 'kysely';
import type { Storage } from './interface.ts';
import { merchantTextColumn, savedSettingsText, toMerchant } from './rows.ts';
import type { Database } from './schema.ts';
import { compiledQuery } from './compiled.ts';

/** Merchant columns the cabinet may change (settings, cabinet key, K). */
const CABINET_MANAGED = new Set(['secret', 'api_key_hash', 'notifications', 'api_url', 'api_type', 'api_method', 'notify_style', 'origins', 'duplicates', 'receipts']);

type MerchantMethods = 'upsertMerchant' | 'getMerchant' | 'listMerchants' | 'findMerchantByApiKeyHash';

/** The merchants' part of the storage. */
export function merchantsStore(db: Kysely<Database>): Pick<Storage, MerchantMethods> {
  const merchantByLogin = compiledQuery(db, ['login'], (v) => db.selectFrom('merchants').selectAll().where('login', '=', v.login));
  return {
    async upsertMerchant(m, now, opts) {
      const values = {
        login: m.login,
        name: merchantTextColumn(m.name),
        secret: m.secret,
        api_key_hash: m.apiKeyHash,
        notifications: m.notifications ? 1 : 0,
        api_url: m.apiUrl,
        api_type: m.apiType,
        api_method: m.apiMethod,
        notify_style: m.notifyStyle,
        check_link_md5: m.checkLinkMd5 ? 1 : 0,
        origins: JSON.stringify(m.origins),
        mode: m.mode ?? null,
        fees: m.fees ?? null,
        return_urls: JSON.stringify(m.returnUrls ?? []),
        duplicates: m.duplicates ?? null,
        receipts: m.receipts ? JSON.stringify(m.receipts) : null,
        saved_methods: savedSettingsText(m.savedMethods),
        capture: m.capture ?? null,
        hold_expiry: m.holdExpiry ?? null,
        created_at: now,
        updated_at: now,
      };
      const { login: _l, created_at: _c, ...update } = values;
      const kept = Object.fromEntries(Object.keys(update).filter((k) => CABINET_MANAGED.has(k)).map((k) => [
        k, sql`case when merchants.cabinet_managed_at is null then excluded.${sql.ref(k)} else merchants.${sql.ref(k)} end`,
      ]));
      await db.transaction().execute(async (trx) => {
        const keyBefore = (await trx.selectFrom('merchants').select('api_key_hash').where('login', '=', m.login).executeTakeFirst())?.api_key_hash;
        // Once the merchant changed its settings or keys in the cabinet, seeding from the configuration
        // (every start) keeps them: a rotated key must not come back to life on a restart.
        const set = opts?.operator ? { ...update, cabinet_managed_at: null } : { ...update, ...kept };
        await trx.insertInto('merchants').values(values).onConflict((oc) => oc.column('login').doUpdateSet(set as never)).execute();
        if (keyBefore === undefined) return;
        const keyAfter = (await trx.selectFrom('merchants').select('api_key_hash').where('login', '=', m.login).executeTakeFirst())?.api_key_hash;
        // A cabinet key replaced by any path (`npm run merchant -- set`, the configuration at start)
        // ends the sessions signed in with the old one, as a rotation in the cabinet does.
        if (keyAfter !== keyBefore) await trx.deleteFrom('cabinet_sessions').where('merchant_login', '=', m.login).execute();
      });
    },

    async getMerchant(login) {
      const r = (await merchantByLogin({ login })).rows[0];
      return r && toMerchant(r);
    },

    async listMerchants() {
      const rows = await db.selectFrom('merchants').selectAll().orderBy('login').execute();
      return rows.map(toMerchant);
    },

    async findMerchantByApiKeyHash(hash) {
      const r = await db.selectFrom('merchants').selectAll().where('api_key_hash', '=', hash).executeTakeFirst();
      return r && toMerchant(r);
    }
  };
}
