/**
 * Gateway HTTP benchmarks (printed, not tests): `npx tsx bench/gateway.ts` (or `npm run bench`).
 *
 * (0) A bare node:http hello-world: the baseline, measured in the same run.
 * (h) A bare Hono JSON route on @hono/node-server: not a target, the floor of the framework the
 *     gateway is built on, printed so the ratios can be read against it.
 * (a) The form payload: GET /pay/{login}?… with Accept: application/json, another order id on every
 *     request (nothing can be answered from a cache). Target ≥ 0.5 of (0).
 * (b) Creating payments: POST /api/v1/payments with CHECK to a loopback merchant (API 2, signed
 *     `{"status":true}`), a fresh Idempotency-Key per request. Target ≥ 0.2 of (0).
 * (f) The floor under (b), not a target: `gateway-server.ts floor`, by hand with nothing but what a
 *     payment with CHECK must do (insert, CHECK over a kept-alive connection, update, answer).
 * (c) RSS of the gateway process after 100,000 payments created over HTTP. Target < 200 MB.
 *
 * Every server is its own process (`bench/gateway-server.ts`), so autocannon here never shares their
 * event loop; the gateway is the real one from startGateway() on a temp SQLite file. Only 127.0.0.1.
 * Beside req/s, each run prints the CPU time its server process spent per request (user + system,
 * from /proc): steadier than req/s on a shared machine, and what an optimisation changes.
 * Env: BENCH_DURATION_S (default 5), BENCH_CONNECTIONS (default 32), BENCH_PAYMENTS (default
 * 100000), BENCH_C_MAX_S (time cap of (c), default 120; past it the figure is extrapolated).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProc, stopProc, type Proc } from './procs.ts';

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: AutocannonRequest[];
}
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number; average: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: AutocannonOptions) => Promise<AutocannonResult>;

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 100_000);
const C_MAX_S = Number(process.env.BENCH_C_MAX_S ?? 120);
/** VmRSS of a process, in MB. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) a process has used so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100); // clock ticks of 10 ms
}

/** Runs autocannon and notes the CPU time `pid` spent per request meanwhile. */
async function measured(pid: number, opts: AutocannonOptions): Promise<{ result: AutocannonResult; cpuUsPerReq: number }> {
  const before = cpuMs(pid);
  const result = await autocannon(opts);
  return { result, cpuUsPerReq: ((cpuMs(pid) - before) * 1000) / Math.max(1, result.requests.total) };
}

/** Payments by status from the gateway's own /metrics. */
async function paymentCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^onpay_payments\{status="[a-z_]+"\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

interface Row {
  name: string;
  reqPerS: number;
  p99Ms: number;
  cpuUsPerReq: number;
  ok: number;
  bad: number;
}

function describeRun(name: string, m: { result: AutocannonResult; cpuUsPerReq: number }): Row {
  const r = m.result;
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) console.log(`  ${name}: ${bad} non-2xx/errors/timeouts ${JSON.stringify(r.statusCodeStats)}`);
  return { name, reqPerS: r.requests.average, p99Ms: r.latency.p99, cpuUsPerReq: m.cpuUsPerReq, ok: r['2xx'], bad };
}

let keyCounter = 0;
/** A fresh Idempotency-Key on every request. */
const freshKey = (prefix: string) => (req: AutocannonRequest): AutocannonRequest => ({ ...req, headers: { ...req.headers, 'idempotency-key': `${prefix}-${process.pid}-${++keyCounter}` } });

async function formToken(url: string, login: string, query: string): Promise<string> {
  const res = await fetch(`${url}/pay/${login}?${query}`, { headers: { accept: 'application/json' } });
  if (res.status !== 200) throw new Error(`form payload: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'onpay-bench-'));
  const procs: Proc[] = [];
  try {
    console.log(`gateway bench: autocannon ${CONNECTIONS} connections × ${DURATION_S} s per run, Node ${process.version}, 127.0.0.1 only`);

    // (0) Baseline.
    const hello = await startProc(['hello']);
    procs.push(hello);
    await autocannon({ url: hello.url, connections: CONNECTIONS, duration: 1 }); // warm-up
    const base = describeRun('(0) node:http hello world', await measured(hello.pid, { url: hello.url, connections: CONNECTIONS, duration: DURATION_S }));
    await stopProc(hello);

    const hono = await startProc(['hono']);
    procs.push(hono);
    await autocannon({ url: hono.url, connections: CONNECTIONS, duration: 1 });
    const honoRow = describeRun('(h) bare Hono JSON route', await measured(hono.pid, { url: hono.url, connections: CONNECTIONS, duration: DURATION_S }));
    await stopProc(hono);

    const stub = await startProc(['stub']);
    procs.push(stub);
    const gw = await startProc(['gateway', JSON.stringify({ database: `sqlite:${join(dir, 'gateway.sqlite')}`, stubUrl: stub.url })]);
    procs.push(gw);
    const rssIdle = rssMb(gw.pid);

    // (a) The form payload.
    let order = 0;
    const aReq: AutocannonRequest = {
      headers: { accept: 'application/json' },
      setupRequest: (req) => ({ ...req, path: `/pay/bench?pay_mode=fix&price=1500.00&ticker=RUR&pay_for=order-${++order}&note=bench&ln=en&url_success=https%3A%2F%2Fshop.example%2Fok&onpay_ap_a1=x` }),
    };
    const aOpts = { url: gw.url, connections: CONNECTIONS, requests: [aReq] };
    await autocannon({ ...aOpts, duration: 1 });
    const a = describeRun('(a) GET /pay/{login} form payload', await measured(gw.pid, { ...aOpts, duration: DURATION_S }));

    // (b) Payments with CHECK, a fresh Idempotency-Key each.
    const checkToken = await formToken(gw.url, 'check', 'price=100&pay_for=bench-b');
    const bReq: AutocannonRequest = {
      method: 'POST',
      path: '/api/v1/payments',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: checkToken, way: 'CRD' }),
      setupRequest: freshKey('b'),
    };
    await autocannon({ url: gw.url, connections: CONNECTIONS, duration: 1, requests: [bReq] });
    const b = describeRun('(b) POST /api/v1/payments + CHECK', await measured(gw.pid, { url: gw.url, connections: CONNECTIONS, duration: DURATION_S, requests: [bReq] }));

    // (f) The floor under (b), on its own SQLite file, CHECK to the same stub.
    const floor = await startProc(['floor', JSON.stringify({ database: `sqlite:${join(dir, 'floor.sqlite')}`, stubUrl: stub.url })]);
    procs.push(floor);
    const fOpts = { url: floor.url, connections: CONNECTIONS, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    await autocannon({ ...fOpts, duration: 1 });
    const f = describeRun('(f) floor of (b): by hand, nothing else', await measured(floor.pid, { ...fOpts, duration: DURATION_S }));
    await stopProc(floor);

    // (c) RSS after PAYMENTS payments, created as fast as the gateway takes them (no CHECK).
    const cToken = await formToken(gw.url, 'bench', 'price=250&pay_for=bench-c');
    const cReq: AutocannonRequest = {
      method: 'POST',
      path: '/api/v1/payments',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: cToken, way: 'EUR' }),
      setupRequest: freshKey('c'),
    };
    const cStart = Date.now();
    let have = await paymentCount(gw.url);
    const samples: { payments: number; rss: number }[] = [{ payments: have, rss: rssMb(gw.pid) }];
    while (have < PAYMENTS && (Date.now() - cStart) / 1000 < C_MAX_S) {
      const chunk = Math.min(10_000, PAYMENTS - have);
      const r = await autocannon({ url: gw.url, connections: CONNECTIONS, amount: chunk, requests: [cReq] });
      if (r.non2xx + r.errors + r.timeouts > 0) console.log(`  (c) chunk: ${r.non2xx + r.errors + r.timeouts} failed ${JSON.stringify(r.statusCodeStats)}`);
      have = await paymentCount(gw.url);
      samples.push({ payments: have, rss: rssMb(gw.pid) });
    }
    const cSeconds = (Date.now() - cStart) / 1000;
    const rssAfter = samples.at(-1)!.rss;
    const peak = Math.max(...samples.map((s) => s.rss));
    let rssAt100k = rssAfter;
    let extrapolated = false;
    if (have < PAYMENTS) {
      // Linear in payments from the second sample on (the first includes warm-up allocations).
      const s0 = samples[1] ?? samples[0]!;
      const slope = have > s0.payments ? (rssAfter - s0.rss) / (have - s0.payments) : 0;
      rssAt100k = rssAfter + slope * (PAYMENTS - have);
      extrapolated = true;
    }
    console.log(`  (c) RSS by payments: ${samples.map((s) => `${s.payments}: ${s.rss.toFixed(0)} MB`).join(', ')}`);

    // Summary.
    const ratio = (x: Row) => x.reqPerS / base.reqPerS;
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const lines: string[][] = [
      ['run', 'req/s', 'p99 ms', 'server CPU µs/req', 'ratio to (0)', 'target', 'result'],
      [base.name, base.reqPerS.toFixed(0), base.p99Ms.toFixed(1), base.cpuUsPerReq.toFixed(0), '1.00', '', ''],
      [honoRow.name, honoRow.reqPerS.toFixed(0), honoRow.p99Ms.toFixed(1), honoRow.cpuUsPerReq.toFixed(0), ratio(honoRow).toFixed(2), '(reference)', ''],
      [a.name, a.reqPerS.toFixed(0), a.p99Ms.toFixed(1), a.cpuUsPerReq.toFixed(0), ratio(a).toFixed(2), '≥ 0.5', verdict(ratio(a) >= 0.5 && a.bad === 0)],
      [b.name, b.reqPerS.toFixed(0), b.p99Ms.toFixed(1), b.cpuUsPerReq.toFixed(0), ratio(b).toFixed(2), '≥ 0.2', verdict(ratio(b) >= 0.2 && b.bad === 0)],
      [f.name, f.reqPerS.toFixed(0), f.p99Ms.toFixed(1), f.cpuUsPerReq.toFixed(0), ratio(f).toFixed(2), '(reference)', ''],
      [
        `(c) gateway RSS after ${have.toLocaleString('en')} payments${extrapolated ? ` (→ ${PAYMENTS.toLocaleString('en')} extrapolated)` : ''}`,
        `${(have / cSeconds).toFixed(0)} created/s`, '', '', `idle ${rssIdle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`,
        '< 200 MB', `${rssAt100k.toFixed(0)} MB ${verdict(rssAt100k < 200)}`,
      ],
    ];
    const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
    console.log('');
    for (const [i, l] of lines.entries()) {
      console.log(`| ${l.map((c, j) => c.padEnd(widths[j]!)).join(' | ')} |`);
      if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    }
    console.log(`\n(a) / (h): ${(a.reqPerS / honoRow.reqPerS).toFixed(2)} of the bare framework; (b) / (f): ${(b.reqPerS / f.reqPerS).toFixed(2)} of the hand-written floor`);
    console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const p of procs) await stopProc(p);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
