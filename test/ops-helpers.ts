/**
 * For the operations tests: the gateway and the worker as real processes, an API 2 merchant stub
 * that answers CHECK and PAY (optionally slowly), and a payment created and paid over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { startMerchantStub, type MerchantStub, type StubRequest } from './helpers.ts';

export interface Proc {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  stdout(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `re` in the output (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
}

/** Runs `node --import tsx <script> ...args` with `env` over the current environment. */
export function spawnTs(script: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  const waiters: (() => void)[] = [];
  const onData = (isOut: boolean) => (d: Buffer) => {
    out += d.toString();
    if (isOut) stdout += d.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData(true));
  child.stderr!.on('data', onData(false));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exit,
    waitFor(re, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no ${re} within ${ms} ms in:\n${out.slice(-3000)}`));
        }, ms);
        waiters.push(check);
        void exit.then(() => setTimeout(() => { if (waiters.includes(check)) { waiters.splice(waiters.indexOf(check), 1); clearTimeout(timer); reject(new Error(`exited before ${re}:\n${out.slice(-3000)}`)); } }, 50));
        check();
      });
    },
  };
}

/** Starts `src/cli/gateway.ts --config <file>` with `config` written to `file`; resolves with its URL. */
export async function spawnGateway(file: string, config: Record<string, unknown>, env: Record<string, string> = {}): Promise<Proc & { url: string }> {
  writeFileSync(file, JSON.stringify(config));
  const p = spawnTs('src/cli/gateway.ts', ['--config', file], env);
  const m = await p.waitFor(/gateway on (http:\/\/[\d.]+:\d+)/);
  return Object.assign(p, { url: m[1]! });
}

/** An API 2 merchant that accepts every CHECK and PAY (signed with `key`), after `delayMs` of each kind. */
export async function startShop(key: string, delay: { checkMs?: number; payMs?: number } = {}): Promise<MerchantStub & { seen: { check: string[]; pay: string[] } }> {
  const seen = { check: [] as string[], pay: [] as string[] };
  const stub = await startMerchantStub(async (req: StubRequest, res: ServerResponse) => {
    const body = JSON.parse(req.body) as { type: 'check' | 'pay'; pay_for: string };
    const kind = body.type === 'pay' ? 'pay' : 'check';
    const ms = kind === 'pay' ? delay.payMs : delay.checkMs;
    if (ms) await new Promise((r) => setTimeout(r, ms));
    seen[kind].push(body.pay_for);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(kind, true, body.pay_for, key) }));
  });
  return Object.assign(stub, { seen });
}

/** The fields of a payment answer these tests read. */
export interface PaymentAnswer {
  id: string;
  status: string;
  error?: { code: string; message: string };
}

/** Gets the form payload of `/pay/<login>?price=…&pay_for=<payFor>` and creates a payment on `way`. */
export async function createPayment(url: string, login: string, payFor: string, opts: { way?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: PaymentAnswer; headers: Headers }> {
  const form = await fetch(`${url}/pay/${login}?price=100.0&ticker=RUR&pay_for=${encodeURIComponent(payFor)}`, { headers: { accept: 'application/json', ...opts.headers } });
  if (form.status !== 200) throw new Error(`form payload: ${form.status} ${await form.text()}`);
  const payload = (await form.json()) as { token: string };
  const res = await fetch(`${url}/api/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify({ token: payload.token, way: opts.way ?? 'CRD' }),
  });
  return { status: res.status, body: (await res.json()) as PaymentAnswer, headers: res.headers };
}

/** The sandbox system reports the payment paid. */
export async function payPayment(url: string, id: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' });
  await res.arrayBuffer();
  return res.status;
}
