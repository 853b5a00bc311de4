import { openDatabase } from '/work/wt-cabinet/src/server/storage/db.ts';
import { createStorage } from '/work/wt-cabinet/src/server/storage/storage.ts';
import { overview } from '/work/wt-cabinet/src/server/cabinet/summary.ts';
import Database from 'better-sqlite3';
const d = await openDatabase('sqlite:/tmp/x/cab.sqlite');
const s = createStorage(d.db, d.dialect);
const m = (await s.getMerchant('bench'))!;
const now = Date.now(); const from = now - 30 * 86400000;
const t = async (name: string, f: () => Promise<unknown>) => { const ts: number[] = []; for (let i = 0; i < 15; i++) { const a = performance.now(); await f(); ts.push(performance.now() - a); } ts.sort((x, y) => x - y); console.log(name, ts[7]!.toFixed(1), ts[14]!.toFixed(1)); };
await t('figures', () => s.overviewFigures('bench', from, now, 0));
await t('health', () => s.deliveryHealth('bench'));
await t('attention', () => s.attention('bench', 20));
await t('overview', () => overview(s, m, { from, to: now, offsetMinutes: 180 }));
const raw = new Database('/tmp/x/cab.sqlite', { readonly: true });
for (const q of [
  `select (paid_at + 0) / 86400000 as d, balance_ticker, sum(balance_minor), count(*) from payments where merchant_login='bench' and paid_at >= ${from} and paid_at < ${now} group by 1, 2`,
  `select status, count(*) from payments where merchant_login='bench' and status in ('created','checking','awaiting_payment','paid','rejected','failed','expired','partially_refunded','refunded') and created_at >= ${from} and created_at < ${now} group by status`,
  `select case when status_reason like 'check_declined%' then 'd' else 'f' end, count(*) from payments where merchant_login='bench' and status='rejected' and created_at >= ${from} and created_at < ${now} group by 1`,
]) { console.log(raw.prepare('explain query plan ' + q).all().map((r: any) => r.detail).join(' | ')); const a = performance.now(); raw.prepare(q).all(); console.log('  ', (performance.now() - a).toFixed(1)); }
await d.close();
