/** Time and waiting, as the commands that poll use them; tests pass a virtual clock. */
export interface Clock {
  now(): number;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export const systemClock: Clock = { now: () => Date.now(), sleep: abortable };

/** Delays grow by half each time, up to a minute (or the interval, if longer). */
export const nextDelay = (intervalMs: number, attempt: number) =>
  Math.min(intervalMs * 1.5 ** attempt, Math.max(intervalMs, 60_000));
