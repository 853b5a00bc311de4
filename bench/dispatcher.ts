/**
 * PAY dispatcher benchmarks (printed, not tests): `npx tsx bench/dispatcher.ts`
 *
 * (a) Delivering 20,000 PAY notifications to a loopback merchant, as a ratio to a bare loop of the
 *     same POSTs to the same merchant with the same concurrency and HTTP client, in the same run.
 *     Target ≥ 0.5.
 * (b) Time to claim a batch of due notifications with 1,000,000 waiting (not yet due) vs 10,000
 *     waiting. Target ratio ≤ 1.5.
 * (c) RSS of a dispatcher process with 1,000,000 waiting notifications. Target < 200 MB.
 *
 * The merchant runs in its own process (like a real one), answering signed API 2 success.
 * Figures go to stdout; bench/README.md keeps the latest ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createDispatcher } from '../src/server/dispatcher/dispatcher.ts';
import { createMerchantHttp, type MerchantHttp } from '../src/server/merchants/merchant-http.ts';
import { api2PayRequest, type PayData } from '../src/protocol/onpay-api.ts';
import { openDatabase, type OpenDatabase } from '../src/server/storage/db.ts';
import { createStorage, type Storage } from '../src/server/storage/storage.ts';
import type { Merchant } from '../src/server/types.ts';

const K = 'bench-secret-K';
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const CONCURRENCY = 32;
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const FAR = T0 + 10 * 86400_000;

/** The merchant: a separate node process answering every PAY with a correctly signed API 2 success. */
const MERCHANT_JS = `
const http = require('node:http'); const { createHash } = require('node:crypto');
const server = http.createServer((req, res) => {
  const chunks = []; req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const o = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const signature = createHash('sha1').update('pay;true;' + o.pay_for + ';${K}').digest('hex');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature }));
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

async function startMerchant(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['-e', MERCHANT_JS], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { url: `http://127.0.0.1:${port}/api`, proc };
}

const merchant = (apiUrl: string): Merchant => ({
  login: 'shop', name: 'Bench shop', secret: K, apiKeyHash: null, notifications: true, apiUrl, apiType: 2, apiMethod: 'POST',
  notifyStyle: 'onpay', checkLinkMd5: false, origins: [],
});

function payBody(i: number): string {
  const d: PayData = {
    payFor: `bench-${i}`, onpayId: i + 1, orderAmount: '100.0', orderTicker: 'RUR', paidAmount: '102.0', paidTicker: 'RUR',
    balanceAmount: '100.0', balanceTicker: 'RUR', rate: '1.0', paidAt: '2026-11-28T12:00:00+00:00', userEmail: 'a@b.ru',
    userPhone: '', note: '', extraParams: {},
  };
  return api2PayRequest(d, K).body;
}

async function openBenchDb(dir: string, name: string): Promise<{ database: OpenDatabase; storage: Storage; file: string }> {
  const file = join(dir, name);
  const database = await openDatabase(`sqlite:${file}`);
  return { database, storage: createStorage(database.db, database.dialect), file };
}

/**
 * Inserts `count` notifications in one statement (a recursive CTE inside one transaction): due at
 * `dueAt + i * stepMs`, with realistic API 2 PAY bodies of `bench-<offset+i>` and their answer keys.
 */
async function insertNotifications(database: OpenDatabase, url: string, count: number, dueAt: number, stepMs: number, offset = 0): Promise<void> {
  const template = payBody(0);
  const [pre, post] = template.split('"bench-0"') as [string, string];
  await sql`
    with recursive seq(x) as (select 0 union all select x + 1 from seq where x < ${count - 1})
    insert into notifications (payment_id, merchant_login, kind, style, method, url, content_type, body, headers, status,
                               attempts, next_attempt_at, first_due_at, created_at, updated_at, api_type, answer_pay_for)
    select 'pay_bench_' || (x + ${offset}), 'shop', 'pay', 'onpay', 'POST', ${url}, 'application/json',
           ${pre} || '"bench-' || (x + ${offset}) || '"' || ${post}, '{}', 'pending', 0,
           ${dueAt} + x * ${stepMs}, ${dueAt} + x * ${stepMs}, ${T0}, ${T0}, 2, 'bench-' || (x + ${offset})
    from seq`.execute(database.db);
}

const fmt = (n: number, d = 1) => n.toFixed(d);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

/** (a) throughput: dispatcher vs a bare loop of the same POSTs. */
async function benchThroughput(dir: string, url: string): Promise<number> {
  const http: MerchantHttp = createMerchantHttp({ allowPrivate: true });
  // Bare loop: the same bodies, the same client, the same concurrency; nothing stored, nothing judged.
  const bodies = Array.from({ length: DELIVERIES }, (_, i) => payBody(i));
  let next = 0;
  let okBare = 0;
  const tb = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const r = await http({ url, method: 'POST', contentType: 'application/json', body: bodies[next++]!, timeoutMs: 15_000 });
      if (r.ok && r.status === 200) okBare++;
    }
  }));
  const bareS = (performance.now() - tb) / 1000;

  const { database, storage } = await openBenchDb(dir, 'throughput.sqlite');
  await storage.upsertMerchant(merchant(url), T0);
  await insertNotifications(database, url, DELIVERIES, T0, 0);
  let recorded = 0;
  let groups = 0;
  let claims = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const counting: Storage = {
    ...storage,
    claimDue: (...args) => { claims++; return storage.claimDue(...args); },
    async recordAttempts(owner, items) {
      const r = await storage.recordAttempts(owner, items);
      recorded += items.length;
      groups++;
      if (recorded === DELIVERIES) finish();
      return r;
    },
  };
  const d = createDispatcher({
    storage: counting, now: () => T0 + 1, merchantHttp: http, owner: 'bench', random: Math.random,
    concurrency: CONCURRENCY, batchSize: CONCURRENCY, pollMs: 50,
  });
  const td = performance.now();
  d.start();
  await finished;
  const dispatchS = (performance.now() - td) / 1000;
  await d.stop();
  const delivered = await storage.countNotifications('delivered');
  await database.close();

  const ratio = bareS / dispatchS;
  console.log(`    ${claims} claims, ${groups} group commits (${fmt(DELIVERIES / groups, 1)} attempts each)`);
  console.log(`(a) ${DELIVERIES} PAY at concurrency ${CONCURRENCY}: bare loop ${fmt(bareS, 2)} s (${fmt(okBare / bareS, 0)}/s, ${okBare} ok), `
    + `dispatcher ${fmt(dispatchS, 2)} s (${fmt(DELIVERIES / dispatchS, 0)}/s, ${delivered} delivered) → ratio ${fmt(ratio, 2)} (target ≥ 0.5) ${verdict(ratio >= 0.5 && delivered === DELIVERIES)}`);
  return ratio;
}

/** Median ms of claiming a batch of 100 due notifications, with `waiting` not-yet-due ones behind them. */
async function claimTime(dir: string, url: string, waiting: number): Promise<{ medianMs: number; file: string }> {
  const { database, storage, file } = await openBenchDb(dir, `claim-${waiting}.sqlite`);
  await storage.upsertMerchant(merchant(url), T0);
  const ti = performance.now();
  await insertNotifications(database, url, waiting, FAR, 1000);
  const insertS = (performance.now() - ti) / 1000;
  const BATCH = 100;
  await insertNotifications(database, url, BATCH, T0, 0, waiting);
  const times: number[] = [];
  for (let run = 0; run < 30; run++) {
    const t = performance.now();
    const claimed = await storage.claimDue(T0 + 1, BATCH, 'bench', 60_000);
    times.push(performance.now() - t);
    if (claimed.length !== BATCH) throw new Error(`claimed ${claimed.length}`);
    // Make the same batch due again for the next run (not timed).
    await database.db.updateTable('notifications').set({ next_attempt_at: T0, lease_owner: null, lease_until: null })
      .where('next_attempt_at', '=', T0 + 1 + 60_000).execute();
  }
  await database.close();
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)]!;
  console.log(`    claim ${BATCH} due with ${waiting.toLocaleString('en')} waiting: median ${fmt(medianMs, 2)} ms (inserted in ${fmt(insertS, 1)} s)`);
  return { medianMs, file };
}

/** (c) a dispatcher process on the 1,000,000-row database: its RSS after a few seconds of work. */
async function rssOf(file: string, url: string): Promise<number> {
  const proc = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--rss-child', file, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((r) => proc.once('exit', r));
  const m = /RSS_MB=([\d.]+) DELIVERED=(\d+)/.exec(out);
  if (!m) throw new Error(`rss child said: ${out}`);
  const mb = Number(m[1]);
  console.log(`(c) dispatcher process with 1,000,000 waiting (and ${m[2]} delivered meanwhile): peak RSS ${fmt(mb)} MB (target < 200 MB) ${verdict(mb < 200)}`);
  return mb;
}

/** The child of (c): a dispatcher over the big database for 4 s while 2,000 notifications fall due. */
async function rssChild(file: string, url: string): Promise<void> {
  const database = await openDatabase(`sqlite:${file}`);
  const storage = createStorage(database.db, database.dialect);
  await insertNotifications(database, url, 2000, T0, 0, 5_000_000);
  const d = createDispatcher({ storage, now: () => T0 + 1, merchantHttp: createMerchantHttp({ allowPrivate: true }), owner: 'rss', random: Math.random, concurrency: CONCURRENCY, batchSize: CONCURRENCY, pollMs: 100 });
  let peak = 0;
  const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  d.start();
  await new Promise((r) => setTimeout(r, 4000));
  await d.stop();
  clearInterval(sample);
  peak = Math.max(peak, process.memoryUsage().rss);
  const delivered = await storage.countNotifications('delivered');
  await database.close();
  console.log(`RSS_MB=${(peak / 1024 / 1024).toFixed(1)} DELIVERED=${delivered}`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--rss-child') return rssChild(process.argv[3]!, process.argv[4]!);
  const dir = mkdtempSync(join(tmpdir(), 'onpay-bench-'));
  const m = await startMerchant();
  try {
    console.log(`PAY dispatcher benchmarks (node ${process.version}, SQLite, merchant in its own process)`);
    const parts = process.env.BENCH_PARTS ?? 'abc';
    if (parts.includes('a')) await benchThroughput(dir, m.url);
    if (!parts.includes('b')) return;
    console.log('(b) claiming a batch of due notifications:');
    const small = await claimTime(dir, m.url, 10_000);
    const big = await claimTime(dir, m.url, 1_000_000);
    const ratio = big.medianMs / small.medianMs;
    console.log(`(b) 1,000,000 vs 10,000 waiting: ratio ${fmt(ratio, 2)} (target ≤ 1.5) ${verdict(ratio <= 1.5)}`);
    await rssOf(big.file, m.url);
  } finally {
    m.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
