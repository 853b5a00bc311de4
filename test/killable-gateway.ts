/**
 * The real gateway as a child process (`src/cli/gateway.ts --config file`) that a crash test can
 * SIGKILL and start again, and a client call that survives the kills: it waits for the next gateway
 * and tries again. Shared by the crash tests (test/crash.test.ts, test/tbank-crash.test.ts), with a
 * free port for it and the shop that answers it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { startMerchantStub, type MerchantStub } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface KillableGateway {
  /** Starts a gateway process; resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILLs the running one and waits for it to be gone. */
  kill(): Promise<void>;
  /** SIGTERMs the running one (the end of a test) and waits for it to exit. */
  stop(): Promise<void>;
  /** A request that survives the gateway dying: waits for the next gateway and tries again. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** The gateways' standard error so far, for assertion messages. */
  log(): string;
}

/**
 * @param opts.script another process on the same configuration (`src/cli/worker.ts`), and the line it
 * prints once it is running (`delivering`); `call` is then of no use.
 * @example const gw = killableGateway(configFile, 'http://127.0.0.1:9000'); await gw.start(); await gw.kill();
 */
export function killableGateway(configFile: string, base: string, opts: { script?: string; ready?: string } = {}): KillableGateway {
  const script = opts.script ?? 'src/cli/gateway.ts';
  const ready = opts.ready ?? 'gateway on';
  let child: ChildProcess | null = null;
  let up: Promise<void> = Promise.resolve();
  let log = '';
  const exited = (c: ChildProcess) => new Promise((r) => c.once('exit', r));
  return {
    start() {
      const c = spawn(process.execPath, ['--import', 'tsx', script, '--config', configFile], { env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
      up = new Promise<void>((resolve, reject) => {
        let out = '';
        c.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(ready)) resolve();
        });
        c.on('exit', (code, signal) => { if (signal !== 'SIGKILL' && signal !== 'SIGTERM') reject(new Error(`${script} exited ${code}: ${log.slice(-2000)}`)); });
      });
      return up;
    },
    async kill() {
      const c = child!;
      const gone = exited(c);
      c.kill('SIGKILL');
      await gone;
    },
    async stop() {
      const c = child!;
      const gone = exited(c);
      c.kill('SIGTERM');
      await gone;
    },
    async call(path, init = {}) {
      for (let i = 0; ; i++) {
        try {
          await up;
          return await fetch(`${base}${path}`, init);
        } catch {
          assert.ok(i < 400, `gateway unreachable for too long: ${log.slice(-2000)}`);
          await sleep(50);
        }
      }
    },
    log: () => log,
  };
}

/** A port free on loopback now, for a gateway process to listen on. */
export const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const a = s.address();
    s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
  });
});

/**
 * The shop of a crash test: `seen` first takes each CHECK and PAY (to count PAYs, or to answer
 * late), then the shop accepts it (API 2, signed with the merchant's `secret`).
 * @example const stub = await startCrashShop(K, (o) => { if (o.type === 'pay') pays.push(o.pay_for); });
 */
export function startCrashShop(secret: string, seen: (o: { type: string; pay_for: string }, body: string) => void | Promise<void> = () => {}): Promise<MerchantStub> {
  return startMerchantStub(async (req, res) => {
    const o = JSON.parse(req.body) as { type: string; pay_for: string };
    await seen(o, req.body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: true, pay_for: o.pay_for, signature: api2AnswerSignature(o.type === 'pay' ? 'pay' : 'check', true, o.pay_for, secret) }));
  });
}
