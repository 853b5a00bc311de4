/**
 * A payment's live status as server-sent events: the current status first, then every change, until
 * a final status or the client goes. A wake-up carrying the new status (the gateway's stream hub:
 * in-process changes at once, other processes' through one shared read, see http/stream-hub.ts) is
 * sent as it is; without `poll` the stream reads nothing itself. With `poll` (a stream on its own)
 * it asks every `pollMs`. Time comes in as `sleep`, so tests run the loop without waiting, and the
 * timer of an interrupted wait is cleared.
 */
// A hold ends the buyer's wait as a final status does: the stream ends at `authorized` (issue 25).
import { isBuyerDone as isFinal, type PaymentStatus } from '../states.ts';

/** Database poll interval: how late a change made by another instance may show. */
export const STATUS_POLL_MS = 2000;
/**
 * An idle stream says `event: keep-alive` this often. It keeps proxies from closing the stream, and
 * it is an event, not a comment line, because the browser's EventSource shows events only: the
 * element takes a stream that says nothing for three of these as dead (a connection cut without a
 * word while the tab was in the background) and opens another (follow.ts).
 */
export const STATUS_KEEPALIVE_MS = 15_000;

/** The part of Hono's SSE stream the loop writes to. */
export interface StatusStreamWriter {
  writeSSE(message: { event: string; data: string; retry?: number }): Promise<void>;
  onAbort(listener: () => void): void;
}

/** Waits `ms`, or less when `signal` aborts; clears its timer either way. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const timerSleep: Sleep = (ms, signal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const done = () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', done);
    resolve();
  };
  const timer = setTimeout(done, ms);
  signal.addEventListener('abort', done);
});

export interface StatusStreamOptions {
  id: string;
  /** The status to send first. */
  initial: PaymentStatus;
  /** The status now, from the database, asked every `pollMs`; absent when the wake-ups bring every change. */
  poll?: () => Promise<PaymentStatus | undefined>;
  /** Calls `wake` on every change (with the new status when known); returns the unsubscribe. */
  subscribe: (wake: (status?: PaymentStatus) => void) => () => void;
  /**
   * Calls `stop` when the gateway begins to shut down; returns the unsubscribe. The stream then
   * ends with `event: shutdown` (`{id, reconnect: true}`, `retry: 1000`), so that the client
   * reconnects, through the balancer, to an instance that stays.
   */
  onShutdown?: (stop: () => void) => () => void;
  sleep?: Sleep;
  pollMs?: number;
  keepAliveMs?: number;
}

/**
 * @example return streamSSE(c, (stream) => followStatus(stream, { id, initial: p.status, poll, subscribe }));
 */
export async function followStatus(stream: StatusStreamWriter, o: StatusStreamOptions): Promise<void> {
  const sleep = o.sleep ?? timerSleep;
  const pollMs = o.pollMs ?? STATUS_POLL_MS;
  const keepAliveMs = o.keepAliveMs ?? STATUS_KEEPALIVE_MS;
  let last: PaymentStatus | undefined;
  let waiting: AbortController | undefined;
  let closed = false;
  /** Statuses brought by wake-ups, not sent yet. */
  const told: PaymentStatus[] = [];
  const wake = (status?: PaymentStatus) => {
    if (status !== undefined) told.push(status);
    waiting?.abort();
  };
  const send = async (status: PaymentStatus) => {
    if (status === last) return;
    last = status;
    await stream.writeSSE({ event: 'status', data: JSON.stringify({ id: o.id, status }) });
  };
  const off = o.subscribe(wake);
  let shuttingDown = false;
  const offShutdown = o.onShutdown?.(() => {
    shuttingDown = true;
    closed = true;
    wake();
  });
  stream.onAbort(() => {
    closed = true;
    wake();
  });
  // Without a poll of its own the loop waits only for wake-ups and the keep-alive.
  const waitMs = o.poll ? pollMs : keepAliveMs;
  try {
    await send(o.initial);
    let idle = 0;
    while (!closed && !isFinal(last!)) {
      if (told.length === 0) {
        waiting = new AbortController();
        await sleep(waitMs, waiting.signal);
        // A wait cut short by a wake-up does not count towards the keep-alive: something happened.
        if (!waiting.signal.aborted) idle += waitMs;
        waiting = undefined;
      }
      if (closed) break;
      while (told.length > 0 && !isFinal(last!)) await send(told.shift()!);
      if (o.poll && !isFinal(last!)) {
        const now = await o.poll();
        if (now) await send(now);
      }
      if (idle >= keepAliveMs) {
        idle = 0;
        await stream.writeSSE({ event: 'keep-alive', data: JSON.stringify({ id: o.id }) });
      }
    }
    if (shuttingDown) await stream.writeSSE({ event: 'shutdown', data: JSON.stringify({ id: o.id, reconnect: true }), retry: 1000 });
  } finally {
    off();
    offShutdown?.();
  }
}
