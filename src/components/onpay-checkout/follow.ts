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

/**
 * Follows a payment's status: Server-Sent Events first, polling `GET /api/v1/payments/{id}` when the
 * stream drops. Calls `onStatus` for each new status; stops by itself at a final one. Returns a stop
 * function. `quietMs` (tests only): how long a silent stream is trusted.
 */
export default function followStatus(gateway: string, id: string, onStatus: (status: PaymentStatus) => void, quietMs = QUIET_MS): () => void {
  const url = `${gateway}/api/v1/payments/${encodeURIComponent(id)}`;
  let stopped = false;
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let quiet: ReturnType<typeof setTimeout> | undefined;
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
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };
  // Back from the bank's app (the tab visible again, or the page restored from the back-forward
  // cache): the stream may have died without a word meanwhile (a phone suspends a background
  // tab's connections; the cache closes them), so the status is asked once. A stream the browser
  // closed for good is replaced by polling.
  const onVisible = () => {
    if (document.visibilityState !== 'visible') return;
    if (source?.readyState === 2 && timer === undefined) void poll();
    else void check();
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
    document.removeEventListener('visibilitychange', onVisible);
    removeEventListener('pageshow', onShow);
  };
  const listen = () => {
    const es = (source = new EventSource(`${url}/events`));
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
    es.addEventListener('keep-alive', heard);
    es.addEventListener('status', (e) => {
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
      if (!stopped && !FINAL.includes(last)) void poll();
    };
  };
  if (typeof EventSource === 'function') listen();
  else void poll();
  return stop;
}
