/**
 * Fills a gateway's SQLite file with payments that look like a year of trading, for the benchmarks
 * that ask how cost grows with the data (`bench/gateway.ts`, part `s`). The file must already hold
 * the gateway's schema and the merchants named (start a gateway on it once).
 *
 * One recursive-CTE `INSERT … SELECT` per table inside one transaction: ≈ 1 min per million rows
 * here, the indexes built after the rows. Every index of the table is filled as the gateway fills it; nothing is left to `ANALYZE`.
 */
import SQLite from 'better-sqlite3';

export interface FillOptions {
  /** Payments to add. */
  count: number;
  /** Their merchants, in turn. */
  merchants: readonly string[];
  /** `created_at` of the newest one (ms); the others are spread over the year before it. */
  newestAt: number;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * Adds `count` payments: random ids and idempotency keys, one order each, statuses mixed as a live
 * shop's are (≈ 70 % paid, 20 % expired, 5 % each rejected and awaiting payment), amounts varied, a
 * CHECK exchange kept for every one, and the notification of each paid one delivered.
 */
export function fillPayments(file: string, o: FillOptions): void {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -262144'); // 256 MB: the fill only, the gateway keeps its own setting
  const merchants = JSON.stringify(o.merchants);
  const seq = `with recursive seq(x) as (select 0 union all select x + 1 from seq where x < ${o.count - 1})`;
  // The indexes are built once after the rows are in, not row by row: a third of the time.
  const indexes = db.prepare("select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in ('payments', 'check_exchanges', 'notifications')").all() as { name: string; sql: string }[];
  const fill = db.transaction(() => {
    for (const i of indexes) db.exec(`drop index "${i.name}"`);
    const before = (db.prepare('select coalesce(max(number), 0) as n from payments').get() as { n: number }).n;
    db.prepare(`${seq}
      insert into payments (id, merchant_login, pay_for, mode, price_minor, ticker, convert, price_final, note, ln,
        url_success, url_fail, user_email, user_phone, extra_params, way, way_ticker, amount_minor, fee_minor,
        balance_minor, balance_ticker, rate, status, action, idempotency_key, request_hash, response_status,
        expires_at, paid_at, created_at, updated_at, provider_id, provider_payment_id)
      select 'pay_' || lower(hex(randomblob(18))),
        json_extract(?, '$[' || (x % json_array_length(?)) || ']'),
        'order-' || x, 'fix', 100 + (x * 7919) % 5000000, 'RUR', 1, 0, '', 'ru', '', '',
        'buyer' || (x % 50000) || '@example.com', '', '{}', 'CRD', 'RUR',
        (100 + (x * 7919) % 5000000) * 102 / 100, (100 + (x * 7919) % 5000000) * 2 / 100, 100 + (x * 7919) % 5000000, 'RUR', '1.0',
        case when x % 20 < 14 then 'paid' when x % 20 < 18 then 'expired' when x % 20 = 18 then 'rejected' else 'awaiting_payment' end,
        '{"type":"redirect","url":"http://127.0.0.1/sandbox/card/x"}',
        lower(hex(randomblob(16))), lower(hex(randomblob(32))), 201, ? - x * ? + 3600000,
        case when x % 20 < 14 then ? - x * ? + 60000 end, ? - x * ?, ? - x * ?, 'sandbox', 'pay_' || x
      from seq`).run(merchants, merchants, o.newestAt, YEAR_MS / o.count, o.newestAt, YEAR_MS / o.count, o.newestAt, YEAR_MS / o.count, o.newestAt, YEAR_MS / o.count);
    db.prepare(`insert into check_exchanges (payment_id, at, duration_ms, method, url, content_type, request_body, http_status, answer_body, error, verdict)
      select id, created_at, 3, 'POST', 'http://127.0.0.1/api', 'application/json',
        '{"type":"check","pay_for":"' || pay_for || '","amount":100.0,"way":"RUR","mode":"fix","signature":"x"}', 200,
        '{"status":true,"pay_for":"' || pay_for || '","signature":"x"}', '', 'accepted'
      from payments where number > ?`).run(before);
    db.prepare(`insert into notifications (payment_id, merchant_login, kind, style, method, url, content_type, body, headers, status,
        attempts, next_attempt_at, first_due_at, created_at, updated_at, api_type, answer_pay_for)
      select id, merchant_login, 'pay', 'onpay', 'POST', 'http://127.0.0.1/api', 'application/json', '{"type":"pay"}', '{}', 'delivered',
        1, null, paid_at, paid_at, paid_at, 2, pay_for
      from payments where number > ? and status = 'paid'`).run(before);
    for (const i of indexes) db.exec(i.sql);
  });
  fill();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
