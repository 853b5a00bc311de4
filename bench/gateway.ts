/**
 * Gateway HTTP benchmarks (printed, not tests): `npx tsx bench/gateway.ts` (or `npm run bench`).
 *
 * (0) A bare node:http hello-world: the baseline, measured in the same run.
 * (h) A bare Hono JSON route on @hono/node-server: not a target, the floor of the framework the
 *     gateway is built on, printed so the ratios can be read against it.
 * (a) The form payload: GET /pay/{login}?… with Accept: application/json, another order id on every
 *     request (nothing can be answered from a cache). Target ≥ 0.35 of (h) as shipped (issue #29;
 *     issue #17's ≥ 0.6 was against a gateway with no logger and no dispatcher).
 * (b) Creating payments: POST /api/v1/payments with CHECK to a loopback merchant (API 2, signed
 *     `{"status":true}`), a fresh Idempotency-Key per request. Target ≥ 0.6 of (f).
 * (f) The floor under (b), the yardstick of (b): `gateway-server.ts floor`, by hand with nothing but
 *     what a payment with CHECK must do (insert, CHECK over a kept-alive connection, update, answer).
 * (c) RSS of the gateway process after 100,000 payments created over HTTP. Target < 200 MB.
 * (l) What request logs cost: (a) and (b) against the gateway as shipped (logs at info to stdout, a
 *     pipe this process drains; dispatcher and reconciler running) and the same gateway with
 *     LOG_LEVEL=silent. Target: logs on ≥ 0.9 of logs off, by req/s and by CPU per request.
 *
 * (a), (b) and (c) run against the gateway as shipped (`gateway-server.ts gateway` with
 * `"shipped":"info"`), as an operator runs it; (s) against the quiet gateway (no logger, no
 * dispatcher), as before, since it measures how cost grows with the data, not the logs.
 * (s) How cost grows: (b) with 1,000,000 payments already in the database against the same with
 *     10,000 (target ≥ 0.8), and (a) with 1,000 merchants configured against one (target ≥ 0.9).
 *
 * Every compared pair ((h) and (a), (f) and (b), and the two sides of each (s) row) runs in turns
 * (x, y, x, y), each side's figure the mean of its turns, so that a machine that slows down
 * meanwhile slows both. A target holds only when both ratios hold: by req/s and by CPU per request.
 *
 * Every server is its own process (`bench/gateway-server.ts`), so autocannon here never shares their
 * event loop; the gateway is the real one from startGateway() on a temp SQLite file. Only 127.0.0.1.
 * Beside req/s, each run prints the CPU time its server process spent per request (user + system,
 * from /proc): steadier than req/s on a shared machine, and what an optimisation changes.
 * Env: BENCH_PARTS (default `0habflcs`: the runs to make; the ratios print when both sides ran),
 * BENCH_DURATION_S (default 5), BENCH_CONNECTIONS (default 32), BENCH_PAYMENTS (default 100000),
 * BENCH_C_MAX_S (time cap of (c), default 120; past it the figure is extrapolated),
 * BENCH_SCALE_PAYMENTS (the large side of (s), default 1000000; its fill takes ≈ 1 min).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillPayments } from './fill.ts';
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
const PARTS = process.env.BENCH_PARTS ?? '0habflcs';
const SCALE_PAYMENTS = Number(process.env.BENCH_SCALE_PAYMENTS ?? 1_000_000);
const SCALE_SMALL = 10_000;
const SCALE_MERCHANTS = 1_000;
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
  /** Log lines the server wrote per request during the measured run (0 when it does not log). */
  linesPerReq: number;
}

function describeRun(name: string, m: { result: AutocannonResult; cpuUsPerReq: number }, lines: number): Row {
  const r = m.result;
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) console.log(`  ${name}: ${bad} non-2xx/errors/timeouts ${JSON.stringify(r.statusCodeStats)}`);
  return { name, reqPerS: r.requests.average, p99Ms: r.latency.p99, cpuUsPerReq: m.cpuUsPerReq, ok: r['2xx'], bad, linesPerReq: lines / Math.max(1, r.requests.total) };
}

let keyCounter = 0;
/** A fresh Idempotency-Key on every request. */
const freshKey = (prefix: string) => (req: AutocannonRequest): AutocannonRequest => ({ ...req, headers: { ...req.headers, 'idempotency-key': `${prefix}-${process.pid}-${++keyCounter}` } });

async function formToken(url: string, login: string, query: string): Promise<string> {
  const res = await fetch(`${url}/pay/${login}?${query}`, { headers: { accept: 'application/json' } });
  if (res.status !== 200) throw new Error(`form payload: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The form payload's request: another order on every request. */
function formRequest(login: string): AutocannonRequest {
  let order = 0;
  return {
    headers: { accept: 'application/json' },
    setupRequest: (req) => ({ ...req, path: `/pay/${login}?pay_mode=fix&price=1500.00&ticker=RUR&pay_for=order-${++order}&note=bench&ln=en&url_success=https%3A%2F%2Fshop.example%2Fok&onpay_ap_a1=x` }),
  };
}

/** A payment with CHECK from the `check` merchant's form token, a fresh Idempotency-Key each. */
async function checkPaymentRequest(url: string, prefix: string): Promise<AutocannonRequest> {
  const token = await formToken(url, 'check', 'price=100&pay_for=bench-b');
  return { method: 'POST', path: '/api/v1/payments', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }), setupRequest: freshKey(prefix) };
}

/** One warmed-up, measured run of `req` against a server. */
async function run(name: string, p: Proc, req: AutocannonRequest[] | Omit<AutocannonOptions, 'url' | 'connections'>): Promise<Row> {
  const opts: AutocannonOptions = Array.isArray(req) ? { url: p.url, connections: CONNECTIONS, requests: req } : { url: p.url, connections: CONNECTIONS, ...req };
  await autocannon({ ...opts, duration: 1 });
  const linesBefore = p.lines();
  const m = await measured(p.pid, { ...opts, duration: DURATION_S });
  // Lines still in the logger's buffer arrive a moment later: counted once the pipe is quiet.
  await new Promise((r) => setTimeout(r, 200));
  return describeRun(name, m, p.lines() - linesBefore);
}

/** Runs x and y in turns, twice each, and gives each side the mean of its turns. */
async function inTurns(x: () => Promise<Row>, y: () => Promise<Row>): Promise<[Row, Row]> {
  const xs: Row[] = [];
  const ys: Row[] = [];
  for (let i = 0; i < 2; i++) {
    xs.push(await x());
    ys.push(await y());
  }
  const mean = (rs: Row[]): Row => ({
    name: rs[0]!.name,
    reqPerS: rs.reduce((s, r) => s + r.reqPerS, 0) / rs.length,
    p99Ms: Math.max(...rs.map((r) => r.p99Ms)),
    cpuUsPerReq: rs.reduce((s, r) => s + r.cpuUsPerReq, 0) / rs.length,
    ok: rs.reduce((s, r) => s + r.ok, 0),
    bad: rs.reduce((s, r) => s + r.bad, 0),
    linesPerReq: rs.reduce((s, r) => s + r.linesPerReq, 0) / rs.length,
  });
  return [mean(xs), mean(ys)];
}

/** A gateway on a new SQLite file holding `payments` payments already (the schema made by a first start). */
async function gatewayWithPayments(dir: string, name: string, stubUrl: string, payments: number): Promise<Proc> {
  const file = join(dir, `${name}.sqlite`);
  const args = ['gateway', JSON.stringify({ database: `sqlite:${file}`, stubUrl })];
  await stopProc(await startProc(args));
  const t = Date.now();
  fillPayments(file, { count: payments, merchants: ['check', 'bench'], newestAt: Date.now() });
  console.log(`  (s) ${payments.toLocaleString('en')} payments filled in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  return startProc(args);
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'onpay-bench-'));
  const procs: Proc[] = [];
  const start = async (args: string[]) => {
    const p = await startProc(args);
    procs.push(p);
    return p;
  };
  const rows: Partial<Record<'0' | 'h' | 'a' | 'b' | 'f', Row>> = {};
  const lines: string[][] = [['run', 'req/s', 'p99 ms', 'server CPU µs/req', 'log lines/req', 'ratio (req/s; CPU)', 'target', 'result']];
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  /** x against yardstick y, by req/s and by server CPU per request (both must hold). */
  const against = (x: Row, y: Row) => ({ byRate: x.reqPerS / y.reqPerS, byCpu: y.cpuUsPerReq / x.cpuUsPerReq });
  const rowLine = (r: Row, vs?: { y: Row; min: number; of: string } | 'no yardstick run') => {
    const cells = [r.name, r.reqPerS.toFixed(0), r.p99Ms.toFixed(1), r.cpuUsPerReq.toFixed(0), r.linesPerReq.toFixed(2)];
    if (!vs) return [...cells, '', '(yardstick)', ''];
    if (vs === 'no yardstick run') return [...cells, '', `(${vs})`, ''];
    const q = against(r, vs.y);
    return [...cells, `${q.byRate.toFixed(2)}; ${q.byCpu.toFixed(2)} of ${vs.of}`, `≥ ${vs.min}`, verdict(q.byRate >= vs.min && q.byCpu >= vs.min && r.bad === 0)];
  };
  try {
    console.log(`gateway bench: autocannon ${CONNECTIONS} connections × ${DURATION_S} s per run, Node ${process.version}, parts ${PARTS}, 127.0.0.1 only`);

    if (PARTS.includes('0')) {
      const hello = await start(['hello']);
      rows['0'] = await run('(0) node:http hello world', hello, {});
      await stopProc(hello);
    }
    // Each target and its yardstick run in turns (yardstick, target, yardstick, target) when both
    // are asked for: a machine that slows down meanwhile slows both sides.
    const hono = PARTS.includes('h') ? await start(['hono']) : undefined;
    const stub = await start(['stub']);
    // The floor under (b), on its own SQLite file, CHECK to the same stub.
    const floor = PARTS.includes('f') ? await start(['floor', JSON.stringify({ database: `sqlite:${join(dir, 'floor.sqlite')}`, stubUrl: stub.url })]) : undefined;
    const needsGateway = /[abcl]/.test(PARTS);
    // As shipped: request logs at info to stdout (drained by this process), dispatcher and reconciler.
    const gw = needsGateway ? await start(['gateway', JSON.stringify({ database: `sqlite:${join(dir, 'gateway.sqlite')}`, stubUrl: stub.url, shipped: 'info' })]) : undefined;
    const runH = () => run('(h) bare Hono JSON route, same-size answer', hono!, {});
    const runA = () => run('(a) GET /pay/{login} form payload, as shipped', gw!, [formRequest('bench')]);
    const runF = () => run('(f) floor of (b), by hand', floor!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const bReq = gw && /[bl]/.test(PARTS) ? await checkPaymentRequest(gw.url, 'b') : undefined;
    const runB = () => run('(b) POST /api/v1/payments + CHECK, as shipped', gw!, [bReq!]);
    if (hono && gw && PARTS.includes('a')) [rows.h, rows.a] = await inTurns(runH, runA);
    else if (hono) rows.h = await runH();
    else if (gw && PARTS.includes('a')) rows.a = await runA();
    if (floor && bReq) [rows.f, rows.b] = await inTurns(runF, runB);
    else if (floor) rows.f = await runF();
    else if (bReq) rows.b = await runB();
    if (hono) await stopProc(hono);
    if (floor) await stopProc(floor);

    for (const k of ['0', 'h'] as const) if (rows[k]) lines.push(rowLine(rows[k]));
    if (rows.a) lines.push(rowLine(rows.a, rows.h ? { y: rows.h, min: 0.35, of: '(h)' } : 'no yardstick run'));
    if (rows.f) lines.push(rowLine(rows.f));
    if (rows.b) lines.push(rowLine(rows.b, rows.f ? { y: rows.f, min: 0.6, of: '(f)' } : 'no yardstick run'));

    if (gw && PARTS.includes('l')) {
      // (l) The same gateway with logs off (LOG_LEVEL=silent), the yardstick, in turns with logs at info.
      const quiet = await start(['gateway', JSON.stringify({ database: `sqlite:${join(dir, 'gateway-silent.sqlite')}`, stubUrl: stub.url, shipped: 'silent' })]);
      const quietB = await checkPaymentRequest(quiet.url, 'l');
      const [aOff, aOn] = await inTurns(
        () => run('(l.a) form payload, logs off', quiet, [formRequest('bench')]),
        () => run('(l.a) form payload, logs at info', gw, [formRequest('bench')]),
      );
      const [bOff, bOn] = await inTurns(
        () => run('(l.b) payment + CHECK, logs off', quiet, [quietB]),
        () => run('(l.b) payment + CHECK, logs at info', gw, [bReq!]),
      );
      await stopProc(quiet);
      lines.push(rowLine(aOff), rowLine(aOn, { y: aOff, min: 0.9, of: 'logs off' }), rowLine(bOff), rowLine(bOn, { y: bOff, min: 0.9, of: 'logs off' }));
    }

    if (gw && PARTS.includes('c')) {
      // (c) RSS after PAYMENTS payments, created as fast as the gateway takes them (no CHECK).
      const rssIdle = rssMb(gw.pid);
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
      let rssAt = rssAfter;
      let extrapolated = false;
      if (have < PAYMENTS) {
        // Linear in payments from the second sample on (the first includes warm-up allocations).
        const s0 = samples[1] ?? samples[0]!;
        const slope = have > s0.payments ? (rssAfter - s0.rss) / (have - s0.payments) : 0;
        rssAt = rssAfter + slope * (PAYMENTS - have);
        extrapolated = true;
      }
      console.log(`  (c) RSS by payments: ${samples.map((s) => `${s.payments}: ${s.rss.toFixed(0)} MB`).join(', ')}`);
      lines.push([
        `(c) gateway RSS after ${have.toLocaleString('en')} payments${extrapolated ? ` (→ ${PAYMENTS.toLocaleString('en')} extrapolated)` : ''}`,
        `${(have / cSeconds).toFixed(0)} created/s`, '', '', '', `idle ${rssIdle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`,
        '< 200 MB', `${rssAt.toFixed(0)} MB ${verdict(rssAt < 200)}`,
      ]);
    }
    if (gw) await stopProc(gw);

    if (PARTS.includes('s')) {
      // (s) How cost grows. (a) with 1,000 merchants against one.
      const one = await start(['gateway', JSON.stringify({ database: `sqlite:${join(dir, 'merchants-1.sqlite')}`, stubUrl: stub.url })]);
      const many = await start(['gateway', JSON.stringify({ database: `sqlite:${join(dir, 'merchants-many.sqlite')}`, stubUrl: stub.url, extraMerchants: SCALE_MERCHANTS - 1 })]);
      const [a1, aMany] = await inTurns(
        () => run('(s.a1) form payload, 1 merchant besides', one, [formRequest('bench')]),
        () => run(`(s.a${SCALE_MERCHANTS}) form payload, ${SCALE_MERCHANTS.toLocaleString('en')} merchants configured`, many, [formRequest('bench')]),
      );
      await stopProc(one);
      await stopProc(many);
      // (b) with 1,000,000 payments in the database against 10,000.
      const small = await gatewayWithPayments(dir, 'payments-small', stub.url, SCALE_SMALL);
      procs.push(small);
      const large = await gatewayWithPayments(dir, 'payments-large', stub.url, SCALE_PAYMENTS);
      procs.push(large);
      const smallReq = await checkPaymentRequest(small.url, 's-small');
      const largeReq = await checkPaymentRequest(large.url, 's-large');
      const [bSmall, bLarge] = await inTurns(
        () => run(`(s.b) payment + CHECK, ${SCALE_SMALL.toLocaleString('en')} payments stored`, small, [smallReq]),
        () => run(`(s.b) payment + CHECK, ${SCALE_PAYMENTS.toLocaleString('en')} payments stored`, large, [largeReq]),
      );
      await stopProc(small);
      await stopProc(large);
      lines.push(rowLine(a1), rowLine(aMany, { y: a1, min: 0.9, of: 'with 1' }), rowLine(bSmall), rowLine(bLarge, { y: bSmall, min: 0.8, of: `with ${SCALE_SMALL.toLocaleString('en')}` }));
    }

    const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
    console.log('');
    for (const [i, l] of lines.entries()) {
      console.log(`| ${l.map((c, j) => c.padEnd(widths[j]!)).join(' | ')} |`);
      if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    }
    if (rows['0']) {
      const vs0 = (['h', 'a', 'b', 'f'] as const).filter((k) => rows[k]).map((k) => `(${k}) ${(rows[k]!.reqPerS / rows['0']!.reqPerS).toFixed(2)}`);
      if (vs0.length) console.log(`\nagainst (0) by req/s: ${vs0.join(', ')}`);
    }
    console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const p of procs) await stopProc(p);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
