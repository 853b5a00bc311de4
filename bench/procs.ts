/**
 * The benchmarks' server processes: `bench/gateway-server.ts <role>` started in its own process
 * (so the load generator never shares its event loop), its URL read from its first output line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./gateway-server.ts', import.meta.url));

export interface Proc {
  url: string;
  proc: ChildProcess;
  pid: number;
  /** Lines the process wrote to stdout after its URL (its JSON log lines, when it logs). */
  lines: () => number;
}

/**
 * `BENCH_PROFILE=dir` starts every server with `--cpu-prof --cpu-prof-dir=dir`: each writes a
 * `.cpuprofile` when it stops. `BENCH_NODE_ARGS` adds Node options (`--perf-basic-prof`, for
 * `perf record -e cpu-clock -p <pid>`, which counts CPU time only, not time blocked in fsync).
 */
const PROFILE_ARGS = [
  ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
  ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
];

export async function startProc(args: string[]): Promise<Proc> {
  const proc = spawn(process.execPath, [...PROFILE_ARGS, '--import', 'tsx', SERVER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let newlines = 0;
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      // After the first line only counted (a logging server writes a line per request: drained, not kept).
      if (newlines > 0) {
        for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) newlines++;
        return;
      }
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n', i + 1)) newlines++;
        resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
      }
    });
    proc.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  return { url, proc, pid: proc.pid!, lines: () => newlines - 1 };
}

export async function stopProc(p: Proc): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.proc.once('exit', () => resolve()));
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
