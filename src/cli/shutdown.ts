/**
 * SIGTERM / SIGINT for the gateway and the worker: the first signal starts a graceful shutdown
 * bounded by `deadlineMs` (`shutdownTimeoutMs`, 25 s by default) and exits 0 when it is done; a
 * backstop exits 1 if closing itself hangs past the deadline by more than a second.
 */
import type { Logger } from '../server/logger.ts';

/** How long past the deadline the process waits for its own close before it gives up on it. */
const BACKSTOP_MS = 1000;

/** @example onShutdownSignal({ deadlineMs: config.shutdownTimeoutMs, logger, close: () => running.close() }); */
export function onShutdownSignal(o: { deadlineMs: number; logger: Logger; close: () => Promise<unknown> }): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    o.logger.info({ signal, deadlineMs: o.deadlineMs }, 'shutting down');
    const backstop = setTimeout(() => {
      o.logger.error('shutdown did not finish in time: exiting');
      o.logger.flush(() => process.exit(1));
    }, o.deadlineMs + BACKSTOP_MS);
    backstop.unref();
    o.close().then(
      (r) => {
        o.logger.info({ ...(typeof r === 'object' && r !== null ? r : {}) }, 'stopped');
        o.logger.flush(() => process.exit(0));
      },
      (e: unknown) => {
        o.logger.error({ err: e }, 'shutdown failed');
        o.logger.flush(() => process.exit(1));
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
