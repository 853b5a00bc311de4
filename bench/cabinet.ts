/**
 * The cabinet at a million payments (issue 14, quality bar): generates the payments (a script, into
 * a throwaway SQLite file through the gateway's own migrations), starts the real gateway in its own
 * process, and prints
 *
 * - the p99 of `GET /api/v1/cabinet/summary` for 30 days (target < 100 ms);
 * - the p99 of a search page, over a mix of searches (first page, a status, an e-mail, an order
 *   number, an amount, a deep cursor page; target < 100 ms);
 * - the gateway's peak RSS while `GET /api/v1/cabinet/payments.csv` streams every row (target < 200 MB).
 *
 *   node --import tsx bench/cabinet.ts [--rows 1000000] [--requests 200] [--keep path.sqlite]
 *
 * Times are measured from this process over loopback, one request at a time (the merchant looking
 * at the page), after a warm-up.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { hashApiKey } from '../src/server/token.ts';
import { openDatabase } from '../src/server/storage/db.ts';

const KEY = 'bench-cabinet-key-0123456789abcdef';
const DAY_MS = 86_400_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** A small deterministic generator: the same data on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Writes `rows` payments of merchant `bench` over the year before `now` (and a few of `other`), with their PAYs. */
export async function generate(file: string, rows: number, now: number): Promise<void> {
  const opened = await openDatabase(`sqlite:${file}`);
  await opened.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.prepare(`insert into merchants (login, name, secret, api_key_hash, notifications, api_url, api_type, api_method, notify_style, check_link_md5, origins, created_at, updated_at)
    values (?, ?, 'bench-K', ?, 1, 'http://127.0.0.1:9/api', 2, 'POST', 'onpay', 0, '[]', ?, ?)`).run('bench', 'Bench shop', hashApiKey(KEY), now, now);
  db.prepare(`insert into merchants (login, name, secret, api_key_hash, notifications, api_url, api_type, api_method, notify_style, check_link_md5, origins, created_at, updated_at)
    values ('other', 'Other', 'other-K', null, 0, null, 2, 'POST', 'onpay', 0, '[]', ?, ?)`).run(now, now);
  const insert = db.prepare(`insert into payments (id, merchant_login, pay_for, mode, price_minor, ticker, convert, price_final, note, ln, url_success, url_fail,
    user_email, user_phone, extra_params, way, way_ticker, amount_minor, fee_minor, balance_minor, balance_ticker, rate, status, status_reason, manual,
    action, idempotency_key, request_hash, expires_at, paid_at, created_at, updated_at)
    values (?, ?, ?, 'fix', ?, ?, 1, 0, '', 'ru', '', '', ?, '', '{}', ?, ?, ?, ?, ?, ?, '1.0', ?, ?, 0, null, null, null, null, ?, ?, ?)`);
  const notify = db.prepare(`insert into notifications (payment_id, merchant_login, kind, style, method, url, content_type, body, headers, status, attempts,
    next_attempt_at, first_due_at, lease_owner, lease_until, delivered_at, created_at, updated_at)
    values (?, ?, 'pay', 'onpay', 'POST', 'http://127.0.0.1:9/api', 'application/json', '{"type":"pay"}', '{}', ?, 1, null, ?, null, null, ?, ?, ?)`);
  const random = rng(14);
  const start = now - 365 * DAY_MS;
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const login = i % 100 === 99 ? 'other' : 'bench';
      const createdAt = start + Math.floor((i / rows) * 365 * DAY_MS);
      const r = random();
      const status = r < 0.7 ? 'paid' : r < 0.8 ? 'awaiting_payment' : r < 0.88 ? 'failed' : r < 0.95 ? 'rejected' : 'expired';
      const reason = status === 'rejected' ? (random() < 0.5 ? 'check_declined: out of stock' : 'check_failed: HTTP 500') : status === 'failed' ? 'declined by the payment system' : '';
      const eur = random() < 0.1;
      const price = BigInt(1000 + Math.floor(random() * 5_000_000));
      const amount = eur ? price : price + price / 50n;
      const way = eur ? 'EUR' : random() < 0.7 ? 'CRD' : 'QRW';
      const email = random() < 0.3 ? `buyer${Math.floor(random() * 50_000)}@example.com` : '';
      const paidAt = status === 'paid' ? createdAt + 90_000 : null;
      const id = `pay_bench${String(i).padStart(9, '0')}abcdefghij`;
      insert.run(id, login, `order-${i}`, price, eur ? 'EUR' : 'RUR', email, way, eur ? 'EUR' : 'RUR', amount, eur ? 0n : amount - price, price, eur ? 'EUR' : 'RUR', status, reason, paidAt, createdAt, paidAt ?? createdAt);
      if (paidAt !== null) {
        const gaveUp = random() < 0.005;
        notify.run(id, login, gaveUp ? 'gave_up' : 'delivered', paidAt, gaveUp ? null : paidAt + 50, paidAt, paidAt + 50);
      }
    }
  });
  const STEP = 50_000;
  for (let i = 0; i < rows; i += STEP) {
    batch(i, Math.min(rows, i + STEP));
    if ((i / STEP) % 4 === 3) process.stderr.write(`  ${i + STEP} payments written\n`);
  }
  db.exec('analyze');
  db.close();
}

/** The gateway in its own process, on the generated file. */
async function startGatewayProcess(file: string): Promise<{ url: string; pid: number; stop: () => void }> {
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', self, 'serve', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    proc.once('exit', (code) => reject(new Error(`the gateway exited with ${code}`)));
  });
  return { url, pid: proc.pid!, stop: () => proc.kill('SIGTERM') };
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]!;
}

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { headers: { authorization: `Bearer ${KEY}` } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') {
    const { startGateway } = await import('../src/server/bootstrap.ts');
    const { parseConfig } = await import('../src/server/config.ts');
    const gw = await startGateway(parseConfig({ port: 0, host: '127.0.0.1', database: `sqlite:${process.argv[3]}`, secret: 'bench-cabinet-gateway-secret-0123456789', merchants: [] }), { dispatcher: false, log: () => {} });
    process.stdout.write(`${gw.url}\n`);
    return;
  }
  const rows = Number(arg('rows', '1000000'));
  const requests = Number(arg('requests', '200'));
  const keep = process.argv.includes('--keep') ? arg('keep', '') : '';
  const dir = mkdtempSync(join(tmpdir(), 'onpay-bench-cabinet-'));
  const file = keep || join(dir, 'cabinet.sqlite');
  const now = Date.now();
  const t0 = performance.now();
  let exists = false;
  try {
    readFileSync(file);
    exists = !!keep;
  } catch { /* a new file */ }
  if (!exists) {
    process.stderr.write(`generating ${rows} payments…\n`);
    await generate(file, rows, now);
  }
  const genS = (performance.now() - t0) / 1000;
  const gw = await startGatewayProcess(file);
  try {
    const base = `${gw.url}/api/v1/cabinet`;
    const from = new Date(now - 30 * DAY_MS).toISOString();
    const to = new Date(now).toISOString();
    const summaryUrl = `${base}/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&tz=180`;
    const searches = [
      `${base}/payments?limit=20`,
      `${base}/payments?limit=20&status=paid`,
      `${base}/payments?limit=20&status=expired&way=QRW`,
      `${base}/payments?limit=20&q=buyer123%40example.com`,
      `${base}/payments?limit=20&q=order-${Math.floor(rows / 2)}`,
      `${base}/payments?limit=20&amount=100.0`,
      `${base}/payments?limit=20&cursor=${Math.floor(rows / 3)}`,
      `${base}/payments?limit=20&from=${encodeURIComponent(new Date(now - 60 * DAY_MS).toISOString())}&to=${encodeURIComponent(from)}`,
    ];
    for (let i = 0; i < 10; i++) {
      await timed(summaryUrl);
      for (const s of searches) await timed(s);
    }
    const summary: number[] = [];
    for (let i = 0; i < requests; i++) summary.push(await timed(summaryUrl));
    const search: number[] = [];
    const perSearch = new Map<string, number[]>();
    for (let i = 0; i < requests; i++) {
      const url = searches[i % searches.length]!;
      const ms = await timed(url);
      search.push(ms);
      perSearch.set(url, [...(perSearch.get(url) ?? []), ms]);
    }
    const rssBefore = rssMb(gw.pid);
    let peak = rssBefore;
    const sampler = setInterval(() => { peak = Math.max(peak, rssMb(gw.pid)); }, 50);
    const e0 = performance.now();
    const res = await fetch(`${base}/payments.csv`, { headers: { authorization: `Bearer ${KEY}` } });
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
    }
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(gw.pid));
    const exportS = (performance.now() - e0) / 1000;
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    const table = [
      ['measure', 'value', 'target', 'result'],
      ['payments in the database', String(rows), '', ''],
      ['generation, s', exists ? '(kept file)' : genS.toFixed(1), '', ''],
      ['summary, 30 days, p99 ms', p99(summary).toFixed(1), '< 100', verdict(p99(summary) < 100)],
      ['search page (mix), p99 ms', p99(search).toFixed(1), '< 100', verdict(p99(search) < 100)],
      ...[...perSearch].map(([url, ms]) => [`  ${url.slice(base.length)}`, p99(ms).toFixed(1), '', '']),
      ['export: rows', String(lines - 1), '', ''],
      ['export: MB, s', `${(bytes / 1e6).toFixed(0)} MB in ${exportS.toFixed(1)} s`, '', ''],
      ['gateway RSS before / peak during export, MB', `${rssBefore.toFixed(0)} / ${peak.toFixed(0)}`, '< 200', verdict(peak < 200)],
    ];
    const width = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) console.log(r.map((c, i) => c.padEnd(width[i]!)).join('  '));
  } finally {
    gw.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
