import Database from 'better-sqlite3';
const raw = new Database('/tmp/x/cab.sqlite', { readonly: true });
const now = Date.now(); const from = now - 30 * 86400000;
const st = "'created','checking','awaiting_payment','paid','rejected','failed','expired','partially_refunded','refunded'";
for (const q of [
  `select status, count(*) from payments where merchant_login='bench' and status='paid' and created_at >= ${from} and created_at < ${now}`,
  `select status, count(*) from payments indexed by payments_m_status_created where merchant_login='bench' and status in (${st}) and created_at >= ${from} and created_at < ${now} group by status`,
  `select status, count(*) from payments where merchant_login='bench' and created_at >= ${from} and created_at < ${now} group by status`,
  `select s.status, (select count(*) from payments p where p.merchant_login='bench' and p.status=s.status and p.created_at >= ${from} and p.created_at < ${now}) from (select 'paid' as status union all select 'failed' union all select 'rejected') s`,
]) { console.log(raw.prepare('explain query plan ' + q).all().map((r: any) => r.detail).join(' | ')); for (let i=0;i<3;i++){ const a = performance.now(); raw.prepare(q).all(); console.log('  ', (performance.now() - a).toFixed(1)); } }
