/** The one clock; tests pass a fake one to move time without sleeping. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** setTimeout's ceiling: a longer sleep ends there (callers that sleep long loop and sleep again). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The one abortable sleep, on the system's timers: resolves after `ms` (`Infinity`: only when
 * `signal` aborts), or at once when `signal` aborts; never rejects, and leaves no timer behind.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms)
      ? setTimeout(done, Math.min(Math.max(0, ms), MAX_TIMER_MS))
      : undefined;
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

export const systemClock: Clock = { now: () => Date.now(), sleep };
