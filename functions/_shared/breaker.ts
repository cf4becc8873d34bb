/**
 * A circuit breaker (closed → open → half-open → closed): after `failureThreshold` consecutive
 * failures it opens and fails fast for `openMs`, then lets one probe through; the probe's outcome
 * closes or reopens it. Used for the database, the fast store and each delivery endpoint.
 */
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { withDeadline } from "./deadline.ts";

export type BreakerState = "closed" | "open" | "half-open";

/** The breaker is open: the call was not made. `breaker` names which (database, fast-store, …). */
export class BreakerOpenError extends Error {
  constructor(readonly breaker: string, readonly retryAfterMs: number) {
    super(`${breaker} circuit is open`);
    this.name = "BreakerOpenError";
  }
}

export interface BreakerOptions {
  failureThreshold?: number;
  openMs?: number;
  clock?: Clock;
  onStateChange?: (state: BreakerState, name: string) => void;
}

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  readonly failureThreshold: number;
  readonly openMs: number;
  readonly #clock: Clock;

  constructor(readonly name: string, private readonly opts: BreakerOptions = {}) {
    this.failureThreshold = opts.failureThreshold ?? 5;
    this.openMs = opts.openMs ?? 5_000;
    this.#clock = opts.clock ?? systemClock;
  }

  get state(): BreakerState {
    if (this.#state === "open" && this.#clock.now() - this.#openedAt >= this.openMs) {
      return "half-open";
    }
    return this.#state;
  }

  /** Milliseconds until a probe is allowed; 0 when calls may go through. */
  retryAfterMs(): number {
    return this.#state === "open"
      ? Math.max(0, this.openMs - (this.#clock.now() - this.#openedAt))
      : 0;
  }

  /**
   * Runs `fn` unless the circuit is open; `isFailure` decides which errors count against it. With
   * `deadlineMs`, a call still running after that long fails with DeadlineError (a hung server
   * never fails a call by itself); the caller's `isFailure` decides whether that counts (it may
   * ask first: the call's error is thrown once it has answered).
   */
  async run<T>(
    fn: () => Promise<T>,
    isFailure: (err: unknown) => boolean | Promise<boolean> = () => true,
    deadlineMs?: number,
  ): Promise<T> {
    const state = this.state;
    if (state === "open" || (state === "half-open" && this.#probing)) {
      throw new BreakerOpenError(this.name, Math.max(this.retryAfterMs(), 100));
    }
    const probe = state === "half-open";
    if (probe) this.#probing = true;
    try {
      const result = await (deadlineMs ? withDeadline(fn(), deadlineMs, this.name) : fn());
      this.success();
      return result;
    } catch (err) {
      if (await isFailure(err)) this.failure();
      else if (probe) this.success();
      throw err;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  success() {
    this.#failures = 0;
    this.#set("closed");
  }

  failure() {
    this.#failures++;
    if (this.state === "half-open" || this.#failures >= this.failureThreshold) {
      this.#openedAt = this.#clock.now();
      this.#set("open");
    }
  }

  #set(state: BreakerState) {
    if (this.#state === state) return;
    this.#state = state;
    this.opts.onStateChange?.(state, this.name);
  }
}
