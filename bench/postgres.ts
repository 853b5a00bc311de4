/**
 * Payment creation (POST /api/v1/payments with CHECK to a loopback merchant) on one gateway process
 * vs two gateway processes sharing one PostgreSQL, with the SQLite figure beside them, in one run.
 * Printed figures, not a test: `npx tsx bench/postgres.ts` (starts and stops its own PostgreSQL
 * with scripts/pg.sh). BENCH_DURATION_S (default 8) and BENCH_IN_FLIGHT (default 32) change the run.
 *
 * This machine has 2 cores: the load generator, the merchant stub, PostgreSQL and the gateways
 * share them, so the scaling ratio shows contention as much as the gateway's own scaling.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startProc, stopProc as stop, type Proc } from './procs.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);

async function token(url: string): Promise<string> {
  const res = await fetch(`${url}/pay/check?price=100&pay_for=bench`, { headers: { accept: 'application/json' } });
  if (res.status !== 200) throw new Error(`form payload: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Creates payments for DURATION_S with IN_FLIGHT requests at once, spread over the gateways. */
async function load(gateways: string[]): Promise<{ perS: number; p99: number; failed: number }> {
  const tokens = await Promise.all(gateways.map(token));
  const latencies: number[] = [];
  let failed = 0;
  let firstFailure = '';
  let n = 0;
  const until = performance.now() + DURATION_S * 1000;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, lane) => {
    while (performance.now() < until) {
      const i = n++;
      const key = `pg-bench-${process.pid}-${++keySeq}`;
      const g = (lane + i) % gateways.length;
      const t0 = performance.now();
      const res = await fetch(`${gateways[g]}/api/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ token: tokens[g], way: 'RUR' }),
      });
      const body = await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status !== 201) {
        if (failed++ === 0) firstFailure = `${res.status} ${new TextDecoder().decode(body).slice(0, 200)}`;
      }
    }
  }));
  if (firstFailure) console.log(`  (first failure: ${firstFailure})`);
  latencies.sort((a, b) => a - b);
  return { perS: (latencies.length - failed) / DURATION_S, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN, failed };
}

let keySeq = 0;

/** The share of all cores' time spent busy over `ms` (other processes on the machine). */
async function cpuBusy(ms: number): Promise<number> {
  const total = () => cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, all: a.all + c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle }), { idle: 0, all: 0 });
  const before = total();
  await new Promise((r) => setTimeout(r, ms));
  const after = total();
  return 1 - (after.idle - before.idle) / Math.max(1, after.all - before.all);
}

async function freshPgDatabase(admin: string): Promise<string> {
  const name = `bench_${Math.random().toString(36).slice(2, 10)}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  return admin.replace(/\/[^/]*$/, `/${name}`);
}

async function main(): Promise<void> {
  const pgOut = execFileSync('bash', ['scripts/pg.sh', 'start'], { encoding: 'utf8' });
  const pgDir = /PG_DIR=(.*)/.exec(pgOut)![1]!;
  const admin = /DATABASE_URL=(.*)/.exec(pgOut)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'onpay-pg-bench-'));
  const procs: Proc[] = [];
  try {
    const stub = await startProc(['stub']);
    procs.push(stub);
    console.log(`payment creation with CHECK: ${IN_FLIGHT} in flight × ${DURATION_S} s per run, Node ${process.version}, 127.0.0.1 only`);
    console.log('  note: this machine has 2 cores; the load generator, the merchant stub, PostgreSQL and the gateways all share them');
    const busy = await cpuBusy(1000);
    console.log(`  CPU busy before the run (1 s, all cores): ${(busy * 100).toFixed(0)} %${busy > 0.1 ? ' — other work is running, the figures are noisy' : ''}`);
    const run = async (name: string, databases: string[]) => {
      const gws: Proc[] = [];
      for (const database of databases) gws.push(await startProc(['gateway', JSON.stringify({ database, stubUrl: stub.url })]));
      procs.push(...gws);
      await load(gws.map((g) => g.url)); // warm-up, discarded
      const r = await load(gws.map((g) => g.url));
      await Promise.all(gws.map(stop));
      console.log(`  ${name.padEnd(38)} ${r.perS.toFixed(0).padStart(6)} payments/s   p99 ${r.p99.toFixed(1).padStart(6)} ms${r.failed ? `   ${r.failed} failed` : ''}`);
      return r;
    };
    const sqlite = await run('SQLite, 1 gateway', [`sqlite:${join(dir, 'bench.sqlite')}`]);
    const one = await run('PostgreSQL, 1 gateway', [await freshPgDatabase(admin)]);
    const shared = await freshPgDatabase(admin);
    const two = await run('PostgreSQL, 2 gateways (one database)', [shared, shared]);
    console.log(`scaling, 2 gateways vs 1 on PostgreSQL: ${(two.perS / one.perS).toFixed(2)}×; PostgreSQL 1 gateway vs SQLite: ${(one.perS / sqlite.perS).toFixed(2)}×`);
  } finally {
    await Promise.all(procs.map(stop));
    execFileSync('bash', ['scripts/pg.sh', 'stop', pgDir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
