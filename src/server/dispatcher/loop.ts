/**
 * The start / stop / wake machinery shared by the background loops (the PAY dispatcher, and through
 * `leased-worker.ts` the reconciler, the receipt checker and the subscriptions' scheduler): one run
 * of the body at a time, a pause that a wake or a stop cuts short, and a stop that waits for the
 * body to return. The work and its timing are the body's own.
 *
 * @example
 * const loop = createLoop(async () => { while (loop.running) { await work(); await loop.pause(500); } });
 * loop.start(); … await loop.stop();
 */

export interface BackgroundLoop {
  /** True from `start()` until `stop()`: the body runs while it holds. */
  readonly running: boolean;
  /** Starts the body (idempotent). */
  start(): void;
  /** Ends the loop: `running` false, a pause cut short, then waits for the body to return. */
  stop(): Promise<void>;
  /** Cuts the current pause short, or the next one when none is under way. */
  wake(): void;
  /** Waits `ms`, or less if woken. */
  pause(ms: number): Promise<void>;
}

/**
 * @param body the loop's work; it runs while `running` holds and pauses with `pause`.
 * @param sleep the clock's sleep (tests); by default a timer, cleared on wake, so a stop leaves nothing pending.
 */
export function createLoop(body: () => Promise<void>, sleep?: (ms: number) => Promise<void>): BackgroundLoop {
  let running = false;
  let done: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | null = null;
  let wakePending = false;

  function wake(): void {
    wakePending = true;
    const w = wakeUp;
    wakeUp = null;
    w?.();
  }

  async function pause(ms: number): Promise<void> {
    if (wakePending) {
      wakePending = false;
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slept = sleep ? sleep(ms) : new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
    await Promise.race([slept, new Promise<void>((resolve) => { wakeUp = resolve; })]);
    clearTimeout(timer);
    wakeUp = null;
    wakePending = false;
  }

  return {
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      done = body();
    },
    async stop() {
      running = false;
      wake();
      await done;
    },
    wake,
    pause,
  };
}
