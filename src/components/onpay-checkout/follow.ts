/**
 * Following a payment's status live, in its own chunk: the picker never needs it, so the main module
 * leaves it out and asks for this chunk once the picker is on show. It imports nothing the main
 * module has (its one request is written here), so the classic script can load this same chunk.
 */
import type { PaymentStatus } from '../../protocol/checkout-api.ts';

const FINAL: readonly string[] = ['paid', 'failed', 'expired', 'rejected'];
const POLL_MS = 3000;

/**
 * Follows a payment's status: Server-Sent Events first, polling `GET /api/v1/payments/{id}` when the
 * stream drops. Calls `onStatus` for each new status; stops by itself at a final one. Returns a stop
 * function.
 */
export default function followStatus(gateway: string, id: string, onStatus: (status: PaymentStatus) => void): () => void {
  const url = `${gateway}/api/v1/payments/${encodeURIComponent(id)}`;
  let stopped = false;
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let source: EventSource | undefined;
  const seen = (status: PaymentStatus) => {
    if (stopped || status === last) return;
    last = status;
    onStatus(status);
    if (FINAL.includes(status)) stop();
  };
  const poll = async () => {
    if (stopped) return;
    try {
      const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
      if (res.ok) seen(((await res.json()) as { status: PaymentStatus }).status);
    } catch {
      // The next poll tries again.
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };
  const stop = () => {
    stopped = true;
    source?.close();
    clearTimeout(timer);
  };
  if (typeof EventSource === 'function') {
    source = new EventSource(`${url}/events`);
    source.addEventListener('status', (e) => {
      try {
        seen((JSON.parse((e as MessageEvent<string>).data) as { status: PaymentStatus }).status);
      } catch {
        // Ignore a malformed event.
      }
    });
    source.onerror = () => {
      source?.close();
      if (!stopped && !FINAL.includes(last)) void poll();
    };
  } else {
    void poll();
  }
  return stop;
}
