/**
 * What one log line costs (printed, not a test): `npx tsx bench/log-lines.ts`. 100,000 request-like
 * lines to a file, in turns: bare pino; pino with the `redact` paths the gateway used before issue #29
 * (22 names at the top level, `*.name` and `*.*.name`); the gateway's logger (`createLogger`: one walk
 * with a set of names, the request id mixed in).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createLogger, SECRET_FIELDS, withRequestContext } from '../src/server/logger.ts';

const N = Number(process.env.BENCH_LINES ?? 100_000);
const file = join(tmpdir(), `onpay-log-lines-${process.pid}.log`);
const sink = () => pino.destination({ dest: file, sync: false });
/** The redact paths of the gateway's logger before issue #29. */
const OLD_PATHS = SECRET_FIELDS.flatMap((f) => {
  const p = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
  const sep = p.startsWith('[') ? '' : '.';
  return [p, `*${sep}${p}`, `*.*${sep}${p}`];
});
const loggers: [string, Logger][] = [
  ['bare pino', pino({ level: 'info' }, sink())],
  ['pino with the old redact paths', pino({ level: 'info', redact: { paths: OLD_PATHS, censor: '[redacted]' } }, sink())],
  ['createLogger (the gateway\'s)', createLogger({ destination: sink() })],
];
const line = { reqId: 'a1b2c3', method: 'GET', route: '/pay/:login', status: 200, durationMs: 1.2, merchantLogin: 'bench' };
const results = new Map<string, number[]>();
for (let turn = 0; turn < 3; turn++) {
  for (const [name, logger] of loggers) {
    const t = performance.now();
    withRequestContext({ reqId: 'a1b2c3' }, () => {
      for (let i = 0; i < N; i++) logger.info(line, 'request');
    });
    results.set(name, [...(results.get(name) ?? []), ((performance.now() - t) * 1000) / N]);
  }
}
for (const [name, us] of results) console.log(`${name}: ${Math.min(...us).toFixed(1)} µs a line (best of ${us.length} turns)`);
await new Promise((r) => setTimeout(r, 500));
(await import('node:fs')).rmSync(file, { force: true });
