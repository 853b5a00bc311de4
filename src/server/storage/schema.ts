/**
 * Table types and migrations. One schema for SQLite and PostgreSQL; the only dialect differences
 * (auto-increment keys) live in `idColumn`.
 */
import { sql, type ColumnDefinitionBuilder, type ColumnType, type Generated, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { PayAnswerKey } from '../../protocol/onpay-api.ts';


export type Dialect = 'sqlite' | 'postgres';

/** Integers that PostgreSQL's `bigint` returns as strings; always written as numbers / bigints. */
type Int8 = ColumnType<string | number | bigint, number | bigint, number | bigint>;
type AutoId = ColumnType<string | number, never, never>;
/** `Int8` with a default: optional on insert. */
type Int8Default = ColumnType<string | number | bigint, number | bigint | undefined, number | bigint>;
type Int8OrNull = ColumnType<string | number | bigint | null, number | bigint | null | undefined, number | bigint | null>;

export interface MerchantTable {
  login: string;
  name: string;
  secret: string;
  api_key_hash: string | null;
  notifications: number;
  api_url: string | null;
  api_type: number;
  api_method: string;
  notify_style: string;
  check_link_md5: number;
  origins: string;
  /** `test`, `live`, or null: the gateway's default (migration 0005). */
  mode: Generated<string | null>;
  /** `buyer`, `merchant`, `link`, or null: the default policy (migration 0005). */
  fees: Generated<string | null>;
  /** JSON array of allowed return URL prefixes / origins (migration 0005). */
  return_urls: Generated<string>;
  created_at: Int8;
  updated_at: Int8;
  /** The K before the last rotation, still accepted when verifying answers until `previous_secret_until` (0007_cabinet). */
  previous_secret: ColumnType<string | null, string | null | undefined, string | null>;
  previous_secret_until: ColumnType<string | number | bigint | null, number | null | undefined, number | null>;
  /** Set once the merchant changed settings or keys in the cabinet: configuration seeding then keeps them (0007_cabinet). */
  cabinet_managed_at: ColumnType<string | number | bigint | null, number | null | undefined, number | null>;
  /** `flag` or `refund`: what a duplicate payment of a paid order gets; null: `flag` (0009_orders). */
  duplicates: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON of the merchant's receipt settings, or null (0011_receipts). */
  receipts: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON of the merchant's `savedMethods` settings, or null: off (0013_saved_methods). */
  saved_methods: ColumnType<string | null, string | null | undefined, string | null>;
  /** `auto` or `manual` (hold, then capture), or null: `auto` (0012_holds). */
  capture: ColumnType<string | null, string | null | undefined, string | null>;
  /** `void` or `capture`: what the gateway does with a hold a day before its deadline; null: `void` (0012_holds). */
  hold_expiry: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PaymentTable {
  number: AutoId;
  id: string;
  merchant_login: string;
  pay_for: string;
  mode: string;
  price_minor: Int8;
  ticker: string;
  convert: number;
  price_final: number;
  note: string;
  ln: string;
  url_success: string;
  url_fail: string;
  user_email: string;
  user_phone: string;
  extra_params: string;
  way: string;
  way_ticker: string;
  amount_minor: Int8;
  fee_minor: Int8;
  balance_minor: Int8;
  balance_ticker: string;
  rate: string;
  status: string;
  status_reason: string;
  manual: number;
  action: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  response_status: number | null;
  response_body: string | null;
  expires_at: Int8 | null;
  paid_at: Int8 | null;
  created_at: Int8;
  updated_at: Int8;
  /** The provider account (`providers[].id`, or `sandbox`) the payment's way belongs to. */
  provider_id: Generated<string | null>;
  /** The provider's own id of the payment; null until known (a create whose outcome was unknown). */
  provider_payment_id: Generated<string | null>;
  /** 1 when a provider reported another amount or currency: not applied, for a person to settle. */
  amount_mismatch: Generated<number>;
  /** The first paid payment of the same order, when this one was paid after it (0009_orders). */
  duplicate_of: ColumnType<string | null, string | null | undefined, string | null>;
  /** How much has been refunded in all, in `way_ticker` minor units (0006). */
  refunded_minor: Int8Default;
  /** When reconciliation next asks the provider about this waiting payment; null: never (0006). */
  reconcile_at: Int8OrNull;
  /** Status queries made so far (the schedule's position). */
  reconcile_attempts: Generated<number>;
  /** The reconciler holding the payment while it asks (a lease, like a notification's). */
  reconcile_owner: Generated<string | null>;
  reconcile_until: Int8OrNull;
  /** 1 when a provider's report paid it after the gateway had expired, failed or rejected it (0010_late_money). */
  paid_late: Generated<number>;
  /** Why it ended without money (`FailureReason`), null when not recorded (0010_late_money). */
  failure_reason: Generated<string | null>;
  /** An expired provider payment: reconciliation asks until then (the provider's own deadline; 0010_late_money). */
  late_until: Int8OrNull;
  /** `manual`: the money is held at the provider and captured later; null: charged at once (0012_holds). */
  capture_mode: ColumnType<string | null, string | null | undefined, string | null>;
  /** A hold's deadline at the provider (0012_holds). */
  hold_expires_at: Int8OrNull;
  /** The amount held, once a smaller amount was captured (`amount_minor` is then what was taken; 0012_holds). */
  held_minor: Int8OrNull;
}

/** A capture or void of a hold asked through the API or the cabinet, or by the expiry policy (0012_holds). */
export interface HoldOperationTable {
  number: AutoId;
  id: string;
  payment_id: string;
  merchant_login: string;
  /** `capture` or `void`. */
  kind: string;
  /** The amount to capture (a void: what was held). */
  amount_minor: Int8;
  reason: string;
  actor: string;
  /** `pending` (sent, outcome unknown), `succeeded`, `failed` (refused by the provider). */
  status: string;
  failure_reason: string | null;
  idempotency_key: string;
  request_hash: string;
  created_at: Int8;
  updated_at: Int8;
  /** The receipt given with a smaller capture, as JSON (0016_hold_receipt); null: none given. */
  receipt: string | null;
}

/** One refund asked through the cabinet API (0006). */
export interface RefundTable {
  number: AutoId;
  id: string;
  payment_id: string;
  merchant_login: string;
  amount_minor: Int8;
  ticker: string;
  reason: string;
  actor: string;
  /** `pending` (sent, outcome unknown), `succeeded`, `failed` (refused by the provider). */
  status: string;
  /** The provider's answer: its refund id, or why it refused. */
  provider_refund_id: string | null;
  failure_reason: string | null;
  idempotency_key: string;
  request_hash: string;
  created_at: Int8;
  updated_at: Int8;
}

export interface NotificationTable {
  id: AutoId;
  payment_id: string;
  merchant_login: string;
  kind: string;
  style: string;
  method: string;
  url: string;
  content_type: string;
  body: string;
  headers: string;
  status: string;
  attempts: number;
  next_attempt_at: Int8 | null;
  first_due_at: Int8;
  lease_owner: string | null;
  lease_until: Int8 | null;
  delivered_at: Int8 | null;
  created_at: Int8;
  updated_at: Int8;
  /** What judging an Onpay-style answer needs (migration 0003); null for webhooks and unreadable old rows. */
  api_type: number | null;
  answer_pay_for: string | null;
  answer_onpay_id: Int8 | null;
  answer_order_amount: string | null;
  answer_order_ticker: string | null;
}

export interface AttemptTable {
  id: AutoId;
  notification_id: Int8;
  started_at: Int8;
  duration_ms: number;
  http_status: number | null;
  excerpt: string;
  verdict: string;
}

export interface AuditTable {
  id: AutoId;
  payment_id: string;
  at: Int8;
  actor: string;
  action: string;
  from_status: string;
  to_status: string;
  reason: string;
}

/** A CHECK request and its answer, exact bytes (0007_cabinet). */
export interface CheckExchangeTable {
  id: AutoId;
  payment_id: string;
  at: Int8;
  duration_ms: number;
  method: string;
  url: string;
  content_type: string;
  request_body: string;
  http_status: number | null;
  answer_body: string;
  error: string;
  verdict: string;
}

/** A cabinet page session; only the SHA-256 of its cookie value is kept (0007_cabinet). */
export interface CabinetSessionTable {
  token_hash: string;
  merchant_login: string;
  csrf_token: string;
  created_at: Int8;
  expires_at: Int8;
}

/** Merchant-level audit: settings changed, keys rotated, integration tests run (0007_cabinet). */
export interface MerchantAuditTable {
  id: AutoId;
  merchant_login: string;
  at: Int8;
  actor: string;
  action: string;
  details: string;
}

/** Fiscal receipts of payments, refunds and closings (0011_receipts). */
export interface ReceiptTable {
  id: AutoId;
  payment_id: string;
  merchant_login: string;
  /** `payment`, `refund`, `closing`. */
  kind: string;
  refund_id: string | null;
  /** The receipt's JSON: amounts are strings, never numbers. */
  receipt: string;
  /** `pending`, `sent`, `registered`, `failed`. */
  status: string;
  provider_receipt_id: string | null;
  reason: string | null;
  /** Unique per payment and kind: '' for the payment's own receipt. */
  idempotency_key: string;
  created_at: Int8;
  updated_at: Int8;
  /** When to ask the provider about a `sent` receipt next; null: not asked (0015_receipt_status). */
  check_at: Int8 | null;
  /** The checker holding the receipt, and until when (a lease, as reconciliation's). */
  check_owner: string | null;
  check_until: Int8 | null;
  check_attempts: Generated<number>;
}

/** Methods saved at providers for a merchant's customers (0013_saved_methods). Never a card number. */
export interface SavedMethodTable {
  id: string;
  merchant_login: string;
  customer: string;
  provider_id: string;
  way: string;
  /** The provider's token: a secret, never logged or answered. */
  token: string;
  first6: string | null;
  last4: string | null;
  expiry: string | null;
  /** Unique: one payment saves at most one method. */
  source_payment_id: string;
  created_at: Int8;
  last_used_at: Int8OrNull;
  /** Set when removed (the row kept for the timeline; never offered or charged again). */
  revoked_at: Int8OrNull;
}

/** The buyers' consents to save a method, one per payment (0013_saved_methods). */
export interface SaveConsentTable {
  payment_id: string;
  merchant_login: string;
  customer: string;
  text: string;
  kind: string;
  address: string | null;
  at: Int8;
}

/** Subscriptions: a saved method charged every period by the scheduler under a lease (0014_subscriptions). */
export interface SubscriptionTable {
  id: string;
  merchant_login: string;
  customer: string;
  method_id: string;
  amount_minor: Int8;
  ticker: string;
  interval: string;
  every: number;
  start_at: Int8;
  max_periods: number | null;
  pay_for: string;
  /** The receipt's JSON, or null. */
  receipt: string | null;
  status: string;
  /** The period charged next (1-based). */
  period: number;
  /** The period the dates count from, and its time: `nextChargeAt` moved by PATCH moves the later periods with it. */
  anchor_period: number;
  anchor_at: Int8;
  /** Failed attempts of the current period (the dunning schedule's position; a new date resets it). */
  attempt: number;
  /** Attempts made in the current period, never reset by a new date: each one's charge key is its own. */
  tries: number;
  /** When the scheduler next acts (the period's time or a retry); null: nothing to do. */
  due_at: Int8OrNull;
  lease_owner: string | null;
  lease_until: Int8OrNull;
  last_payment_id: string | null;
  created_at: Int8;
  updated_at: Int8;
}

export interface Database {
  subscriptions: SubscriptionTable;
  saved_methods: SavedMethodTable;
  save_consents: SaveConsentTable;
  receipts: ReceiptTable;
  merchants: MerchantTable;
  payments: PaymentTable;
  notifications: NotificationTable;
  attempts: AttemptTable;
  audit: AuditTable;
  refunds: RefundTable;
  check_exchanges: CheckExchangeTable;
  cabinet_sessions: CabinetSessionTable;
  merchant_audit: MerchantAuditTable;
  hold_operations: HoldOperationTable;
}

// Generated is re-exported for callers that build rows.
export type { Generated };

function idColumn(dialect: Dialect) {
  return dialect === 'postgres'
    ? ([ 'bigserial', (c: ColumnDefinitionBuilder) => c.primaryKey() ] as const)
    : ([ 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement() ] as const);
}

function migrations(dialect: Dialect): Record<string, Migration> {
  const [idType, idBuild] = idColumn(dialect);
  return {
    '0001_initial': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.createTable('merchants')
          .addColumn('login', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('api_key_hash', 'text')
          .addColumn('notifications', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('api_url', 'text')
          .addColumn('api_type', 'integer', (c) => c.notNull().defaultTo(2))
          .addColumn('api_method', 'varchar(8)', (c) => c.notNull().defaultTo('POST'))
          .addColumn('notify_style', 'varchar(16)', (c) => c.notNull().defaultTo('onpay'))
          .addColumn('check_link_md5', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('origins', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema.createTable('payments')
          .addColumn('number', idType, idBuild)
          .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull().references('merchants.login'))
          .addColumn('pay_for', 'varchar(100)', (c) => c.notNull())
          .addColumn('mode', 'varchar(8)', (c) => c.notNull())
          .addColumn('price_minor', 'bigint', (c) => c.notNull())
          .addColumn('ticker', 'varchar(3)', (c) => c.notNull())
          .addColumn('convert', 'integer', (c) => c.notNull())
          .addColumn('price_final', 'integer', (c) => c.notNull())
          .addColumn('note', 'text', (c) => c.notNull())
          .addColumn('ln', 'varchar(2)', (c) => c.notNull())
          .addColumn('url_success', 'text', (c) => c.notNull())
          .addColumn('url_fail', 'text', (c) => c.notNull())
          .addColumn('user_email', 'text', (c) => c.notNull())
          .addColumn('user_phone', 'text', (c) => c.notNull())
          .addColumn('extra_params', 'text', (c) => c.notNull())
          .addColumn('way', 'varchar(3)', (c) => c.notNull())
          .addColumn('way_ticker', 'varchar(3)', (c) => c.notNull())
          .addColumn('amount_minor', 'bigint', (c) => c.notNull())
          .addColumn('fee_minor', 'bigint', (c) => c.notNull())
          .addColumn('balance_minor', 'bigint', (c) => c.notNull())
          .addColumn('balance_ticker', 'varchar(3)', (c) => c.notNull())
          .addColumn('rate', 'varchar(32)', (c) => c.notNull())
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('status_reason', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('manual', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('action', 'text')
          .addColumn('idempotency_key', 'varchar(255)')
          .addColumn('request_hash', 'varchar(64)')
          .addColumn('response_status', 'integer')
          .addColumn('response_body', 'text')
          .addColumn('expires_at', 'bigint')
          .addColumn('paid_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('payments_idempotency').on('payments').columns(['merchant_login', 'idempotency_key']).unique().execute();
        await db.schema.createIndex('payments_merchant_created').on('payments').columns(['merchant_login', 'created_at']).execute();
        await db.schema.createIndex('payments_status_expires').on('payments').columns(['status', 'expires_at']).execute();
        await db.schema.createIndex('payments_status_created').on('payments').columns(['status', 'created_at']).execute();

        await db.schema.createTable('notifications')
          .addColumn('id', idType, idBuild)
          .addColumn('payment_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('kind', 'varchar(8)', (c) => c.notNull())
          .addColumn('style', 'varchar(16)', (c) => c.notNull())
          .addColumn('method', 'varchar(8)', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('headers', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('status', 'varchar(12)', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'bigint')
          .addColumn('first_due_at', 'bigint', (c) => c.notNull())
          .addColumn('lease_owner', 'varchar(64)')
          .addColumn('lease_until', 'bigint')
          .addColumn('delivered_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('notifications_due').on('notifications').columns(['next_attempt_at']).execute();
        await db.schema.createIndex('notifications_payment').on('notifications').columns(['payment_id']).execute();

        await db.schema.createTable('attempts')
          .addColumn('id', idType, idBuild)
          .addColumn('notification_id', 'bigint', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('http_status', 'integer')
          .addColumn('excerpt', 'text', (c) => c.notNull())
          .addColumn('verdict', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('attempts_notification').on('attempts').columns(['notification_id']).execute();

        await db.schema.createTable('audit')
          .addColumn('id', idType, idBuild)
          .addColumn('payment_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'varchar(32)', (c) => c.notNull())
          .addColumn('from_status', 'varchar(20)', (c) => c.notNull())
          .addColumn('to_status', 'varchar(20)', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_payment').on('audit').columns(['payment_id']).execute();

      },
    },
    '0002_providers': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('payments').addColumn('provider_id', 'varchar(64)').execute();
        await db.schema.alterTable('payments').addColumn('provider_payment_id', 'varchar(128)').execute();
        await db.schema.alterTable('payments').addColumn('amount_mismatch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        // Every payment before providers existed went through the built-in sandbox systems.
        await db.updateTable('payments').set({ provider_id: 'sandbox' }).execute();
        // Reconciliation looks for waiting payments of a provider (unknown creates: no provider id yet).
        await db.schema.createIndex('payments_provider_status').on('payments').columns(['provider_id', 'status']).execute();
      },
    },
    '0003_notification_answer_key': {
      // The outbox row keeps what judging the merchant's answer needs, so the dispatcher never
      // reads its own sent bytes back. Rows written before this are filled in once, here.
      async up(db: Kysely<Database>) {
        await db.schema.alterTable('notifications').addColumn('api_type', 'integer').execute();
        await db.schema.alterTable('notifications').addColumn('answer_pay_for', 'text').execute();
        await db.schema.alterTable('notifications').addColumn('answer_onpay_id', 'bigint').execute();
        await db.schema.alterTable('notifications').addColumn('answer_order_amount', 'text').execute();
        await db.schema.alterTable('notifications').addColumn('answer_order_ticker', 'text').execute();
        await fillAnswerKeys(db);
      },
    },
    // Named after 0003_cabinet (wt/cabinet) and 0004, left free: merchants' test / live mode, fee policy and
    // return URLs. Null mode and fees keep the defaults (merchant-rules.ts), so nothing changes for
    // the merchants already stored.
    '0005_merchant_mode': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('merchants').addColumn('mode', 'varchar(8)').execute();
        await db.schema.alterTable('merchants').addColumn('fees', 'varchar(8)').execute();
        await db.schema.alterTable('merchants').addColumn('return_urls', 'text', (c) => c.notNull().defaultTo('[]')).execute();
      },
    },
    '0006_reconcile_refunds': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('payments').addColumn('refunded_minor', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('payments').addColumn('reconcile_at', 'bigint').execute();
        await db.schema.alterTable('payments').addColumn('reconcile_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('payments').addColumn('reconcile_owner', 'varchar(64)').execute();
        await db.schema.alterTable('payments').addColumn('reconcile_until', 'bigint').execute();
        // Only waiting payments carry a due time (a change of state clears it): the index stays small.
        await db.schema.createIndex('payments_reconcile_due').on('payments').columns(['reconcile_at']).execute();
        // Payments waiting at a provider before reconciliation existed: asked about at once.
        await db.updateTable('payments').set({ reconcile_at: 0 })
          .where('status', 'in', ['created', 'checking', 'awaiting_payment'])
          .where('provider_id', 'is not', null).where('provider_id', '<>', 'sandbox').execute();

        await db.schema.createTable('refunds')
          .addColumn('number', idType, idBuild)
          .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('payment_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('amount_minor', 'bigint', (c) => c.notNull())
          .addColumn('ticker', 'varchar(3)', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('status', 'varchar(12)', (c) => c.notNull())
          .addColumn('provider_refund_id', 'varchar(128)')
          .addColumn('failure_reason', 'text')
          .addColumn('idempotency_key', 'varchar(255)', (c) => c.notNull())
          .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('refunds_payment_key').on('refunds').columns(['payment_id', 'idempotency_key']).unique().execute();
      },
    },
    // The merchant cabinet (issue 14), after main's 0006_reconcile_refunds.
    '0007_cabinet': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('merchants').addColumn('previous_secret', 'text').execute();
        await db.schema.alterTable('merchants').addColumn('previous_secret_until', 'bigint').execute();
        await db.schema.alterTable('merchants').addColumn('cabinet_managed_at', 'bigint').execute();

        await db.schema.createTable('check_exchanges')
          .addColumn('id', idType, idBuild)
          .addColumn('payment_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('method', 'varchar(8)', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('request_body', 'text', (c) => c.notNull())
          .addColumn('http_status', 'integer')
          .addColumn('answer_body', 'text', (c) => c.notNull())
          .addColumn('error', 'text', (c) => c.notNull())
          .addColumn('verdict', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('check_exchanges_payment').on('check_exchanges').columns(['payment_id']).execute();

        await db.schema.createTable('cabinet_sessions')
          .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('cabinet_sessions_merchant').on('cabinet_sessions').columns(['merchant_login']).execute();

        await db.schema.createTable('merchant_audit')
          .addColumn('id', idType, idBuild)
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'varchar(32)', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('merchant_audit_merchant').on('merchant_audit').columns(['merchant_login', 'id']).execute();

        // Search and the overview: each filter an index that ends in the payment number, so a page
        // newest-first is an index range read, never a sort over a million rows.
        await db.schema.createIndex('payments_m_number').on('payments').columns(['merchant_login', 'number']).execute();
        await db.schema.createIndex('payments_m_status_number').on('payments').columns(['merchant_login', 'status', 'number']).execute();
        await db.schema.createIndex('payments_m_pay_for').on('payments').columns(['merchant_login', 'pay_for', 'number']).execute();
        await db.schema.createIndex('payments_m_email').on('payments').columns(['merchant_login', 'user_email', 'number']).execute();
        await db.schema.createIndex('payments_m_price').on('payments').columns(['merchant_login', 'price_minor', 'number']).execute();
        await db.schema.createIndex('payments_m_amount').on('payments').columns(['merchant_login', 'amount_minor', 'number']).execute();
        // Covering indexes of the overview: status counts by creation time (one range per status, in
        // status order, so no sort), turnover by payment time.
        await db.schema.createIndex('payments_m_status_created').on('payments').columns(['merchant_login', 'status', 'created_at']).execute();
        await db.schema.createIndex('payments_m_paid_turnover').on('payments').columns(['merchant_login', 'paid_at', 'balance_ticker', 'balance_minor']).execute();
        await db.schema.createIndex('notifications_m_status').on('notifications').columns(['merchant_login', 'status', 'id']).execute();
        // The attention list's amount mismatches (0002_providers' flag): few rows, a partial index.
        await db.schema.createIndex('payments_m_mismatch').on('payments').columns(['merchant_login', 'number'])
          .where(sql.ref('amount_mismatch'), '=', 1).execute();
      },
    },
    // Issue 22, "one order paid once": duplicates of a paid order, and what the merchant wants done with them.
    '0009_orders': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('payments').addColumn('duplicate_of', 'varchar(64)').execute();
        await db.schema.alterTable('merchants').addColumn('duplicates', 'varchar(8)').execute();
        // The attention list and the overview's count of duplicates: few rows, a partial index.
        await db.schema.createIndex('payments_m_duplicate').on('payments').columns(['merchant_login', 'number'])
          .where(sql.ref('duplicate_of'), 'is not', null).execute();
        // The sweep that finishes duplicates' refunds left pending (a crash, no answer): few rows.
        await db.schema.createIndex('refunds_pending').on('refunds').columns(['created_at'])
          .where(sql.ref('status'), '=', 'pending').execute();
      },
    },
    // Issue 22: late money applied (paid_late), failures explained (failure_reason), expired provider
    // payments asked about until the provider's own deadline (late_until).
    '0010_late_money': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('payments').addColumn('paid_late', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('payments').addColumn('failure_reason', 'varchar(32)').execute();
        await db.schema.alterTable('payments').addColumn('late_until', 'bigint').execute();
      },
    },
    // Fiscal receipts (issue 24). 0008–0010 are left to the branches merged beside this one.
    '0011_receipts': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('merchants').addColumn('receipts', 'text').execute();
        await db.schema.createTable('receipts')
          .addColumn('id', idType, idBuild)
          .addColumn('payment_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('refund_id', 'varchar(64)')
          .addColumn('receipt', 'text', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('provider_receipt_id', 'text')
          .addColumn('reason', 'text')
          .addColumn('idempotency_key', 'varchar(128)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('receipts_payment_kind_key').on('receipts').columns(['payment_id', 'kind', 'idempotency_key']).unique().execute();
        // The attention list's failed receipts: few rows, a partial index.
        await db.schema.createIndex('receipts_m_failed').on('receipts').columns(['merchant_login', 'id'])
          .where(sql.ref('status'), '=', 'failed').execute();
      },
    },
    // Holds (issue 25): authorize now, capture or void later.
    '0012_holds': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('merchants').addColumn('capture', 'varchar(8)').execute();
        await db.schema.alterTable('merchants').addColumn('hold_expiry', 'varchar(8)').execute();
        await db.schema.alterTable('payments').addColumn('capture_mode', 'varchar(8)').execute();
        await db.schema.alterTable('payments').addColumn('hold_expires_at', 'bigint').execute();
        await db.schema.alterTable('payments').addColumn('held_minor', 'bigint').execute();
        await db.schema.createTable('hold_operations')
          .addColumn('number', idType, idBuild)
          .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('payment_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('kind', 'varchar(8)', (c) => c.notNull())
          .addColumn('amount_minor', 'bigint', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('failure_reason', 'text')
          .addColumn('idempotency_key', 'varchar(255)', (c) => c.notNull())
          .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('hold_operations_payment_key').on('hold_operations').columns(['payment_id', 'idempotency_key']).unique().execute();
        // The held list and the attention list: a merchant's holds by deadline (few rows, a partial index).
        await db.schema.createIndex('payments_m_held').on('payments').columns(['merchant_login', 'hold_expires_at'])
          .where(sql.ref('status'), '=', 'authorized').execute();
      },
    },
    // Saved payment methods and their consents (issue 26). 0012 is the holds branch's.
    '0013_saved_methods': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.alterTable('merchants').addColumn('saved_methods', 'text').execute();
        await db.schema.createTable('saved_methods')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('customer', 'varchar(256)', (c) => c.notNull())
          .addColumn('provider_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('way', 'varchar(3)', (c) => c.notNull())
          .addColumn('token', 'text', (c) => c.notNull())
          .addColumn('first6', 'varchar(6)')
          .addColumn('last4', 'varchar(4)')
          .addColumn('expiry', 'varchar(8)')
          .addColumn('source_payment_id', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_used_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .execute();
        await db.schema.createIndex('saved_methods_m_customer').on('saved_methods').columns(['merchant_login', 'customer', 'created_at']).execute();
        await db.schema.createTable('save_consents')
          .addColumn('payment_id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('customer', 'varchar(256)', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('address', 'varchar(64)')
          .addColumn('at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Subscriptions on saved methods (issue 26 item 4). Between saved methods and receipt status.
    '0014_subscriptions': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        await db.schema.createTable('subscriptions')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('merchant_login', 'varchar(64)', (c) => c.notNull())
          .addColumn('customer', 'varchar(256)', (c) => c.notNull())
          .addColumn('method_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('amount_minor', 'bigint', (c) => c.notNull())
          .addColumn('ticker', 'varchar(3)', (c) => c.notNull())
          .addColumn('interval', 'varchar(8)', (c) => c.notNull())
          .addColumn('every', 'integer', (c) => c.notNull())
          .addColumn('start_at', 'bigint', (c) => c.notNull())
          .addColumn('max_periods', 'integer')
          .addColumn('pay_for', 'text', (c) => c.notNull())
          .addColumn('receipt', 'text')
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('period', 'integer', (c) => c.notNull())
          .addColumn('anchor_period', 'integer', (c) => c.notNull())
          .addColumn('anchor_at', 'bigint', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('due_at', 'bigint')
          .addColumn('lease_owner', 'varchar(64)')
          .addColumn('lease_until', 'bigint')
          .addColumn('last_payment_id', 'varchar(64)')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        // `subscription.*` events go through the outbox as kind `subscription`: wider than the 8 characters
        // the column had (PostgreSQL only: SQLite does not enforce a varchar's length; widening is metadata only).
        if (dialect === 'postgres') await db.schema.alterTable('notifications').alterColumn('kind', (c) => c.setDataType('varchar(16)')).execute();
        await db.schema.createIndex('subscriptions_m_customer').on('subscriptions').columns(['merchant_login', 'customer', 'created_at']).execute();
        await db.schema.createIndex('subscriptions_due').on('subscriptions').column('due_at')
          .where(sql.ref('due_at'), 'is not', null).execute();
      },
    },
    '0015_receipt_status': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        // The registration status asked of the provider on a schedule, under a lease (issue 24).
        await db.schema.alterTable('receipts').addColumn('check_at', 'bigint').execute();
        await db.schema.alterTable('receipts').addColumn('check_owner', 'varchar(64)').execute();
        await db.schema.alterTable('receipts').addColumn('check_until', 'bigint').execute();
        await db.schema.alterTable('receipts').addColumn('check_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.createIndex('receipts_check_at').on('receipts').column('check_at')
          .where(sql.ref('check_at'), 'is not', null).execute();
      },
    },
    '0016_hold_receipt': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration guide: a migration takes Kysely<any>, never today's schema types, so it stays true to the schema of its own time
      async up(db: Kysely<any>) {
        // A capture's receipt kept with the operation from its start: a crash after the provider
        // captured and before the receipt was recorded is healed when the capture is settled.
        await db.schema.alterTable('hold_operations').addColumn('receipt', 'text').execute();
      },
    },
  };
}

/**
 * Fills in the answer key of Onpay-style notifications that have none (written before migration
 * 0003), from their stored bytes, in pages of 500. Rows that cannot be read are left without one:
 * their answers are judged failed, as before.
 */
export async function fillAnswerKeys(db: Kysely<Database>): Promise<void> {
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('notifications').select(['id', 'content_type', 'body'])
      .where('style', '=', 'onpay').where('api_type', 'is', null).where('id', '>', after)
      .orderBy('id').limit(500).execute();
    if (rows.length === 0) return;
    for (const r of rows) {
      const key = legacyAnswerKey(r.content_type, r.body);
      if (!key) continue;
      await db.updateTable('notifications').set({
        api_type: key.apiType, answer_pay_for: key.payFor, answer_onpay_id: key.onpayId,
        answer_order_amount: key.orderAmount, answer_order_ticker: key.orderTicker,
      }).where('id', '=', r.id as never).execute();
    }
    after = Number(rows.at(-1)!.id);
  }
}

/**
 * The answer key of a PAY stored before migration 0003, read from its exact bytes (API 2: JSON,
 * only `pay_for` is signed in the answer; API 1: the form), or null when they cannot be read.
 */
export function legacyAnswerKey(contentType: string, body: string): PayAnswerKey | null {
  if (contentType.startsWith('application/json')) {
    try {
      const o = JSON.parse(body) as { pay_for?: unknown };
      return typeof o.pay_for === 'string' ? { apiType: 2, payFor: o.pay_for, onpayId: 0, orderAmount: '', orderTicker: '' } : null;
    } catch {
      return null;
    }
  }
  const f = new URLSearchParams(body);
  const payFor = f.get('pay_for');
  const onpayId = Number(f.get('onpay_id') ?? 'NaN');
  if (payFor === null || !Number.isSafeInteger(onpayId)) return null;
  return { apiType: 1, payFor, onpayId, orderAmount: f.get('order_amount') ?? '', orderTicker: f.get('order_currency') ?? '' };
}

/** Migrations kept in code, so a build carries its own schema. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
