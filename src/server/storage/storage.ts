/**
 * Storage: the one implementation, on Kysely, used with SQLite and PostgreSQL alike. Every payment
 * state change is a conditional update on the expected current state, and writes its outgoing
 * notification and audit record in the same transaction (outbox).
 */
import type { Kysely } from 'kysely';
import type { Database, Dialect } from './schema.ts';
import { cabinetStorage } from './cabinet-storage.ts';
import type { Storage } from './interface.ts';
import { auditStore } from './audit-store.ts';
import { merchantsStore } from './merchants-store.ts';
import { outboxStore } from './outbox-store.ts';
import { paymentsStore } from './payments-store.ts';
import { receiptsStore } from './receipts-store.ts';
import { receiptChecksStore } from './receipt-checks-store.ts';
import { refundsStore } from './refunds-store.ts';
import { savedMethodsStore } from './saved-methods-store.ts';
import { holdsStore } from './holds-store.ts';
import { subscriptionsStore } from './subscriptions-store.ts';
import { toMerchant, toPayment } from './rows.ts';

export type { AttemptOutcome, ListedPayment, PaymentFilter, Storage, Transition } from './interface.ts';

/**
 * One storage over one database, assembled from the stores of each aggregate: merchants,
 * payments (with reconciliation), the outbox, refunds and the audit, plus the cabinet's queries.
 * @example const storage = createStorage(db, 'sqlite');
 */
export function createStorage(db: Kysely<Database>, dialect: Dialect): Storage {
  return {
    dialect,
    ...cabinetStorage(db, dialect, { toPayment, toMerchant }),
    ...merchantsStore(db),
    ...paymentsStore(db, dialect),
    ...outboxStore(db, dialect),
    ...refundsStore(db, dialect),
    ...receiptsStore(db),
    ...receiptChecksStore(db, dialect),
    ...auditStore(db),
    ...savedMethodsStore(db),
    ...holdsStore(db, dialect),
    ...subscriptionsStore(db, dialect),
  };
}
