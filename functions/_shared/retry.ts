/** The one exponential backoff: `base · factor^attempt`, capped (attempt counts from 0). */
export function exponentialMs(
  attempt: number,
  opts: { baseMs: number; maxMs: number; factor?: number },
): number {
  return Math.min(
    opts.maxMs,
    opts.baseMs * (opts.factor ?? 2) ** Math.min(Math.max(0, attempt), 30),
  );
}

/** Backoff with jitter for "try again later" loops (relay hand-over, scheduler jobs). */
export function retryDelayMs(
  attempt: number,
  opts: { baseMs?: number; maxMs?: number } = {},
  random = Math.random,
): number {
  const base = exponentialMs(attempt, { baseMs: opts.baseMs ?? 100, maxMs: opts.maxMs ?? 5_000 });
  // Up to 20% jitter, so processes restarted together do not retry in step.
  return Math.round(base * (1 - 0.2 * random()));
}
