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

/** What a failure check answers: no, yes, or "outage" (the dependency itself is away). */
export type Verdict = boolean | "outage";

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
   * Runs `fn` unless the circuit is open; `isFailure` decides which errors count against it
   * ("outage": the dependency itself is away, so the circuit opens at once). With `deadlineMs`, a
   * call still running after that long fails with DeadlineError (a hung server never fails a call
   * by itself); the caller's `isFailure` decides whether that counts (it may ask first: the call's
   * error is thrown once it has answered). With `trial`, the half-open probe asks it first: a
   * dependency still away reopens the circuit at the cost of that check, not of the call's deadline.
   */
  async run<T>(
    fn: () => Promise<T>,
    isFailure: (err: unknown) => Verdict | Promise<Verdict> = () => true,
    deadlineMs?: number,
    trial?: () => Promise<boolean>,
  ): Promise<T> {
    const state = this.state;
    if (state === "open" || (state === "half-open" && this.#probing)) {
      throw new BreakerOpenError(this.name, Math.max(this.retryAfterMs(), 100));
    }
    const probe = state === "half-open";
    if (probe) this.#probing = true;
    try {
      if (probe && trial && !(await trial().catch(() => false))) {
        this.failure();
        throw new BreakerOpenError(this.name, Math.max(this.retryAfterMs(), 100));
      }
      return await this.#call(fn, isFailure, deadlineMs, probe);
    } finally {
      if (probe) this.#probing = false;
    }
  }

  async #call<T>(
    fn: () => Promise<T>,
    isFailure: (err: unknown) => Verdict | Promise<Verdict>,
    deadlineMs: number | undefined,
    probe: boolean,
  ): Promise<T> {
    try {
      const result = await (deadlineMs ? withDeadline(fn(), deadlineMs, this.name) : fn());
      this.success();
      return result;
    } catch (err) {
      const verdict = await isFailure(err);
      if (verdict) this.failure(verdict === "outage");
      else if (probe) this.success();
      throw err;
    }
  }

  success() {
    this.#failures = 0;
    this.#set("closed");
  }

  /** One more failure; `outage` (the dependency itself is away) opens the circuit at once. */
  failure(outage = false) {
    this.#failures++;
    if (outage || this.state === "half-open" || this.#failures >= this.failureThreshold) {
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
