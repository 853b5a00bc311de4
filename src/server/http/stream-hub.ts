/**
 * The status streams of one gateway process (`GET /api/v1/payments/{id}/events`): how many may be
 * open, and one shared way of learning that their payments changed.
 *
 * - **Caps.** At most `perAddress` streams open at once from one client address
 *   (`rateLimits.streamsPerAddress.points`, default 20) and `perPayment` on one payment (5): a page
 *   needs one, a buyer with a few tabs a few. Another is refused `429 rate_limited` with
 *   `Retry-After`; the element then follows the payment by polling `GET /api/v1/payments/{id}`.
 * - **Waking.** A change made in this process reaches its streams at once, with the new status,
 *   through the service's events: no database read at all. Only a change made by another process
 *   (another instance, a worker's reconciliation, the cabinet elsewhere) needs the database: one read
 *   every `pollMs` of the statuses of all payments with an open stream (`storage.statusesOf`, one
 *   query), instead of one query per stream. No stream open: no reads.
 *
 * @example
 * const hub = createStreamHub({ statusesOf: storage.statusesOf, onStatus: service.onStatus });
 * const ticket = hub.open(paymentId, clientKey); // throws 429 when over a cap
 * const off = hub.watch(paymentId, 'awaiting_payment', (status) => …);
 * off(); ticket.release();
 */
import { GatewayError } from '../errors.ts';
import type { PaymentStatus } from '../states.ts';

export const STREAMS_PER_ADDRESS = 20;
export const STREAMS_PER_PAYMENT = 5;
/** How late a change made by another process may reach a stream. */
export const SHARED_POLL_MS = 2000;
/** How long a refused client is told to wait before trying a stream again. */
const RETRY_AFTER_S = 10;

export interface StreamHubDeps {
  statusesOf: (ids: readonly string[]) => Promise<Map<string, PaymentStatus>>;
  /** In-process changes of one payment; returns the unsubscribe. */
  onStatus: (id: string, listener: (status: PaymentStatus) => void) => () => void;
  perAddress?: number;
  perPayment?: number;
  pollMs?: number;
  /** Errors of the shared read (the next one tries again). */
  log?: (message: string) => void;
}

/** A place among the open streams, given back when the stream ends. */
export interface StreamTicket {
  release(): void;
}

export interface StreamHub {
  /** Counts a stream of `paymentId` from `client` (undefined: no address, counted per payment only); 429 over a cap. */
  open(paymentId: string, client: string | undefined): StreamTicket;
  /** Calls `wake(status)` on each change of the payment, in this process or (by the shared read) another. */
  watch(paymentId: string, known: PaymentStatus, wake: (status: PaymentStatus) => void): () => void;
  /** Open streams by client address and by payment, for tests. */
  readonly counts: { byAddress: ReadonlyMap<string, number>; byPayment: ReadonlyMap<string, number> };
  /** Stops the shared read (shutdown). */
  close(): void;
}

export function createStreamHub(deps: StreamHubDeps): StreamHub {
  const perAddress = deps.perAddress ?? STREAMS_PER_ADDRESS;
  const perPayment = deps.perPayment ?? STREAMS_PER_PAYMENT;
  const pollMs = deps.pollMs ?? SHARED_POLL_MS;
  const byAddress = new Map<string, number>();
  const byPayment = new Map<string, number>();
  /** Watched payments: the status last seen (undefined: unsure, the next read tells all) and who to wake. */
  const watched = new Map<string, { known: PaymentStatus | undefined; wakes: Set<(s: PaymentStatus) => void> }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reading = false;
  let closed = false;

  const bump = (m: Map<string, number>, key: string, by: number) => {
    const n = (m.get(key) ?? 0) + by;
    if (n <= 0) m.delete(key);
    else m.set(key, n);
  };
  const refuse = (what: string): never => {
    throw new GatewayError(429, 'rate_limited', `${what}; follow the payment with GET /api/v1/payments/{id} instead`, undefined, { limit: 'streamsPerAddress' }, { 'retry-after': String(RETRY_AFTER_S) });
  };

  const tell = (id: string, status: PaymentStatus) => {
    const w = watched.get(id);
    if (!w || w.known === status) return;
    w.known = status;
    for (const wake of [...w.wakes]) wake(status);
  };

  async function readShared(): Promise<void> {
    timer = undefined;
    if (closed || watched.size === 0) return;
    reading = true;
    try {
      const statuses = await deps.statusesOf([...watched.keys()]);
      for (const [id, status] of statuses) tell(id, status);
    } catch (e) {
      deps.log?.(`status streams: reading their payments failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      reading = false;
      schedule();
    }
  }
  function schedule(): void {
    if (closed || timer || reading || watched.size === 0) return;
    timer = setTimeout(() => void readShared(), pollMs);
    timer.unref?.();
  }

  return {
    open(paymentId, client) {
      if ((byPayment.get(paymentId) ?? 0) >= perPayment) refuse(`at most ${perPayment} status streams of one payment are open at once`);
      if (client !== undefined && (byAddress.get(client) ?? 0) >= perAddress) refuse(`at most ${perAddress} status streams are open at once from one address (streamsPerAddress)`);
      bump(byPayment, paymentId, 1);
      if (client !== undefined) bump(byAddress, client, 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          bump(byPayment, paymentId, -1);
          if (client !== undefined) bump(byAddress, client, -1);
        },
      };
    },

    watch(paymentId, known, wake) {
      let w = watched.get(paymentId);
      if (!w) {
        watched.set(paymentId, (w = { known, wakes: new Set() }));
      } else if (w.known !== known) {
        // A stream that joins knowing another status than the hub (it read the payment just before a
        // change the hub heard through an earlier stream, as a client reconnecting while its old
        // stream lingers): either may be the older, so the next shared read tells every stream what
        // it finds (each sends only a status it has not sent). Else the newcomer would wait for a
        // change that already came.
        w.known = undefined;
      }
      w.wakes.add(wake);
      const off = deps.onStatus(paymentId, (status) => tell(paymentId, status));
      schedule();
      return () => {
        off();
        w.wakes.delete(wake);
        if (w.wakes.size === 0 && watched.get(paymentId) === w) watched.delete(paymentId);
        if (watched.size === 0 && timer) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },

    counts: { byAddress, byPayment },

    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
