/**
 * Following a payment's status live, in its own chunk: the picker never needs it, so the main module
 * leaves it out and asks for this chunk once the picker is on show. It imports nothing the main
 * module has (its one request is written here), so the classic script can load this same chunk.
 */
import type { PaymentStatus } from '../../protocol/checkout-api.ts';

const FINAL: readonly string[] = ['paid', 'failed', 'expired', 'rejected'];
const POLL_MS = 3000;
/**
 * The gateway's stream says something at least every 15 s (a status, or `keep-alive`: see the
 * server's status-stream.ts); one quiet for three times that died without a word (a connection cut
 * while the tab was in the background, which no error event reports): the status is asked and the
 * stream opened anew, which brings the current status at once. A tab that never comes back to the
 * front still gets it.
 */
const QUIET_MS = 45_000;
/** After a stream error, polling meanwhile, the stream is tried again after 10 s, then 20 s, … up to a minute. */
const REOPEN_MS = 10_000;
const MAX_REOPEN_MS = 60_000;

/**
 * Follows a payment's status: Server-Sent Events first, polling `GET /api/v1/payments/{id}` when the
 * stream drops, until the stream, tried again after 10 s, 20 s, 40 s and then every minute, speaks
 * again (a gateway restarted, a rate limit passed). Calls `onStatus` for each new status; stops by itself at a final one. Returns a stop
 * function. `quietMs`, `reopenMs` (tests only): how long a silent stream is trusted; the first wait before a failed stream is tried again.
 */
export default function followStatus(gateway: string, id: string, onStatus: (status: PaymentStatus) => void, quietMs = QUIET_MS, reopenMs = REOPEN_MS): () => void {
  const url = `${gateway}/api/v1/payments/${encodeURIComponent(id)}`;
  let stopped = false;
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let reopen: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let failures = 0;
  let source: EventSource | undefined;
  const seen = (status: PaymentStatus) => {
    if (stopped || status === last) return;
    last = status;
    onStatus(status);
    if (FINAL.includes(status)) stop();
  };
  /** Asks the gateway for the status once. */
  const check = async () => {
    if (stopped) return;
    try {
      const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
      if (res.ok) seen(((await res.json()) as { status: PaymentStatus }).status);
    } catch {
      // The next poll (or the next return to the page) tries again.
    }
  };
  const poll = async () => {
    await check();
    if (!stopped && polling) timer = setTimeout(poll, POLL_MS);
  };
  const startPolling = () => {
    if (polling) return;
    polling = true;
    void poll();
  };
  // Back from the bank's app (the tab visible again, or the page restored from the back-forward
  // cache): the stream may have died without a word meanwhile (a phone suspends a background
  // tab's connections; the cache closes them), so the status is asked once.
  const onVisible = () => {
    if (document.visibilityState === 'visible') void check();
  };
  const onShow = (e: PageTransitionEvent) => {
    if (e.persisted) onVisible();
  };
  document.addEventListener('visibilitychange', onVisible);
  addEventListener('pageshow', onShow);
  const stop = () => {
    stopped = true;
    source?.close();
    clearTimeout(timer);
    clearTimeout(quiet);
    clearTimeout(reopen);
    document.removeEventListener('visibilitychange', onVisible);
    removeEventListener('pageshow', onShow);
  };
  const listen = () => {
    const es = (source = new EventSource(`${url}/events`));
    // The stream speaks again: polling stops, and the next error waits the shortest time.
    const back = () => {
      failures = 0;
      polling = false;
      clearTimeout(timer);
    };
    const heard = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        es.close();
        if (stopped) return;
        // Asked as well, in case the new stream is held up the same way (a buffering proxy).
        void check();
        listen();
      }, quietMs);
    };
    heard();
    es.addEventListener('keep-alive', () => {
      back();
      heard();
    });
    es.addEventListener('status', (e) => {
      back();
      heard();
      try {
        seen((JSON.parse((e as MessageEvent<string>).data) as { status: PaymentStatus }).status);
      } catch {
        // Ignore a malformed event.
      }
    });
    es.onerror = () => {
      clearTimeout(quiet);
      es.close();
      if (stopped || FINAL.includes(last)) return;
      // Polled meanwhile; the stream is tried again, as a gateway back from a restart pushes at once.
      startPolling();
      reopen = setTimeout(listen, Math.min(reopenMs * 2 ** failures++, MAX_REOPEN_MS));
    };
  };
  if (typeof EventSource === 'function') listen();
  else startPolling();
  return stop;
}
