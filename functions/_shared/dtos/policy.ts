import { exponentialMs } from "../retry.ts";

/** How hard the conciliator tries: immediate retries, then deferred retries with exponential backoff. */
export interface ConciliationPolicy {
  /** Tries right after a failure, inside the composition that saw it. */
  immediateAttempts: number;
  /** Waits before the 2nd, 3rd, … immediate try (together about a second). */
  immediateDelaysMs: number[];
  /** Deferred tries after the immediate ones, run by the scheduler from the conciliations table. */
  deferredAttempts: number;
  deferredBaseMs: number;
  deferredFactor: number;
  deferredMaxMs: number;
}

export const defaultPolicy: ConciliationPolicy = {
  immediateAttempts: 3,
  immediateDelaysMs: [250, 500],
  deferredAttempts: 6,
  deferredBaseMs: 5_000,
  deferredFactor: 2,
  deferredMaxMs: 10 * 60_000,
};

/** Delay before deferred try `n` (1-based): base · factor^(n-1), capped. */
export function deferredDelayMs(n: number, policy: ConciliationPolicy = defaultPolicy): number {
  return exponentialMs(n - 1, {
    baseMs: policy.deferredBaseMs,
    maxMs: policy.deferredMaxMs,
    factor: policy.deferredFactor,
  });
}

export const totalAttempts = (p: ConciliationPolicy) => p.immediateAttempts + p.deferredAttempts;

/**
 * After `attempts` failed tries in all: when to try next, or null when they are used up.
 * The first deferred try waits base; each one after that waits `factor` times longer.
 */
export function nextAttemptDelay(
  attempts: number,
  policy: ConciliationPolicy = defaultPolicy,
): number | null {
  if (attempts >= totalAttempts(policy)) return null;
  return deferredDelayMs(Math.max(1, attempts - policy.immediateAttempts + 1), policy);
}
