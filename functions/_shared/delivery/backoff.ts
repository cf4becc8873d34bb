/** What happens after a failed try: wait per the endpoint's schedule, or dead-letter. Pure. */

export const defaultRetrySchedule = [1_000, 2_000, 4_000, 8_000, 16_000];

/** A target's Retry-After is honoured up to this. */
const maxRetryAfterMs = 3_600_000;

export type NextStep = { kind: "retry"; delayMs: number } | { kind: "dead" };

/**
 * `tries` counts the tries made so far, this one included; the schedule holds one wait per retry,
 * so there are `schedule.length + 1` tries in all.
 */
export function afterFailure(
  tries: number,
  schedule: number[],
  opts: { retryAfterMs?: number; permanent?: boolean } = {},
): NextStep {
  if (opts.permanent || tries > schedule.length) return { kind: "dead" };
  const planned = schedule[tries - 1];
  const asked = Math.min(opts.retryAfterMs ?? 0, maxRetryAfterMs);
  return { kind: "retry", delayMs: Math.max(planned, asked) };
}
