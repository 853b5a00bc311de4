/**
 * The SQLite writes of payments with CHECK (printed, not tests): `npx tsx bench/sqlite-writes.ts`.
 *
 * Each payment makes the gateway's three writes through the real storage: the insert (`checking`),
 * the CHECK exchange and the state change to `awaiting_payment`, in that order, as
 * `service.createPayment` makes them. PAYMENTS payments run with CONCURRENCY of them in flight (one
 * event loop, as in the gateway), on a fresh file each time:
 *
 * - one at a time (nothing to group);
 * - CONCURRENCY at once, every write committed by itself (group commit off);
 * - CONCURRENCY at once with group commit (the default): the lone writes of one event-loop turn
 *   share a transaction.
 *
 * Printed: wall time and CPU time of this process per payment, and payments per second; every run
 * checks that all its payments reached `awaiting_payment`. Env: BENCH_PAYMENTS (default 4000),
 * BENCH_CONCURRENCY (default 32).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { openDatabase } from '../src/server/storage/db.ts';
import { createStorage } from '../src/server/storage/storage.ts';
import type { NewPayment } from '../src/server/types.ts';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const config = parseConfig({ secret: 'bench-sqlite-writes-0123456789abcdef', merchants: [{ login: 'check', name: 'Bench', secret: 'bench-check-K', notifications: true, apiUrl: 'http://127.0.0.1:9/api', apiType: 2, origins: [], checkLinkMd5: false }] });

const newPayment = (at: number): NewPayment => ({
  id: `pay_${randomBytes(18).toString('base64url')}`, merchantLogin: 'check', payFor: 'bench-b', mode: 'fix', priceMinor: 10000n, ticker: 'RUR',
  convert: true, priceFinal: false, note: '', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: '', userPhone: '', extraParams: {},
  way: 'CRD', wayTicker: 'RUR', amountMinor: 10200n, feeMinor: 200n, balanceMinor: 10000n, balanceTicker: 'RUR', rate: '1.0',
  status: 'checking', idempotencyKey: randomBytes(12).toString('hex'), requestHash: randomBytes(32).toString('hex'), expiresAt: at + 3_600_000,
  createdAt: at, updatedAt: at, providerId: 'sandbox',
});

async function run(name: string, concurrency: number, groupCommit: boolean): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-writes-'));
  const database = await openDatabase(`sqlite:${join(dir, 'w.sqlite')}`, { groupCommit });
  const storage = createStorage(database.db, database.dialect);
  await storage.upsertMerchant(merchantFromConfig(config.merchants[0]!), Date.now());
  let next = 0;
  const one = async () => {
    const at = Date.now();
    const p = newPayment(at);
    await storage.createPayment(p);
    await storage.recordCheckExchange({
      paymentId: p.id, at, durationMs: 3, method: 'POST', url: 'http://127.0.0.1:9/api', contentType: 'application/json',
      requestBody: '{"type":"check","pay_for":"bench-b","amount":100.0,"way":"RUR","mode":"fix","signature":"x"}', httpStatus: 200,
      answerBody: '{"status":true,"pay_for":"bench-b","signature":"x"}', error: '', verdict: 'accepted',
    });
    await storage.transition(p.id, { from: 'checking', to: 'awaiting_payment', at, action: { type: 'redirect', url: `http://127.0.0.1/sandbox/card/${p.id}` }, expiresAt: at + 3_600_000, response: { status: 201, body: '{}' } });
  };

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < PAYMENTS) await one();
  }));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const made = Number((await database.db.selectFrom('payments').select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'awaiting_payment').executeTakeFirstOrThrow()).n);
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  if (made !== PAYMENTS) throw new Error(`${name}: ${made} payments of ${PAYMENTS} reached awaiting_payment`);
  return [name, (wall * 1000 / PAYMENTS).toFixed(0), ((cpu.user + cpu.system) / PAYMENTS).toFixed(0), (PAYMENTS / (wall / 1000)).toFixed(0)];
}

const rows = [['run', 'wall µs/payment', 'CPU µs/payment', 'payments/s']];
rows.push(await run('one at a time', 1, true));
rows.push(await run(`${CONCURRENCY} at once, a commit per write`, CONCURRENCY, false));
rows.push(await run(`${CONCURRENCY} at once, group commit`, CONCURRENCY, true));
console.log(`SQLite writes of ${PAYMENTS.toLocaleString('en')} payments with CHECK (3 writes each), Node ${process.version}\n`);
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((c, j) => c.padEnd(widths[j]!)).join(' | ')} |`);
  if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
}
const [, one, off, on] = rows;
console.log(`\ngroup commit against a commit per write: ${(Number(off![1]) / Number(on![1])).toFixed(2)}× less wall time, ${(Number(off![2]) / Number(on![2])).toFixed(2)}× less CPU per payment (one at a time: ${one![1]} µs)`);
