/** The one capped exponential backoff for "try again later" loops (relay hand-over, scheduler jobs). */
export function retryDelayMs(attempt: number, opts: { baseMs?: number; maxMs?: number } = {}, random = Math.random): number {
  const base = Math.min(opts.maxMs ?? 5_000, (opts.baseMs ?? 100) * 2 ** Math.min(attempt, 20));
  // Up to 20% jitter, so processes restarted together do not retry in step.
  return Math.round(base * (1 - 0.2 * random()));
}
