/**
 * The delivery worker: claims due deliveries in batches, sends them concurrently through their
 * kind's connector, and records outcomes in batches (attempts, retries, dead letters and their
 * `delivery.dead` events). Any number of workers may run side by side; a worker that dies leaves
 * leases that expire, so its claims come back.
 */
import type { AppContext } from "../context.ts";
import { BreakerOpenError, CircuitBreaker } from "../breaker.ts";
import { type LoggedEvent, rowToEvent } from "../events/envelope.ts";
import { appendEvents } from "../events/append.ts";
import { invalidateTraces } from "../events/trace.ts";
import { randomToken } from "../secrets.ts";
import { connectorFor, type SendResult } from "./connector.ts";
import { toDeliveryEndpoint } from "./endpoint-schema.ts";
import { afterFailure, defaultRetrySchedule } from "./backoff.ts";
import {
  claimDeliveries,
  type Claimed,
  nextDueInMs,
  type Outcome,
  recordOutcomes,
} from "./claim.ts";
import { excerptBytes } from "./outbound.ts";

export interface WorkerOptions {
  /** Deliveries claimed per statement. */
  batchSize?: number;
  /** Sends in flight at once. */
  maxInFlight?: number;
  /** Added to an endpoint's timeout to make a claim's lease. */
  leaseMarginMs?: number;
  /** Consecutive failures that open an endpoint's breaker, and how long it stays open before a probe. */
  breakerFailures?: number;
  breakerOpenMs?: number;
  /** A failure streak this long (in tries, or in time) disables the endpoint. */
  maxFailureStreak?: number;
  maxFailingMs?: number;
}

class SendFailed extends Error {
  constructor(readonly result: SendResult) {
    super(result.error ?? "send failed");
  }
}

interface Pending {
  outcome: Outcome;
  event: LoggedEvent;
  endpointId: string;
}

const transientCodes = new Set(["40P01", "40001"]);

export class DeliveryWorker {
  readonly id = `w_${randomToken(10)}`;
  readonly #opts: Required<WorkerOptions>;
  readonly #breakers = new Map<string, CircuitBreaker>();
  #wantClaim = true;
  #pulse!: () => void;
  #signal!: Promise<void>;
  #stopped = false;

  constructor(readonly ctx: AppContext, opts: WorkerOptions = {}) {
    this.#opts = {
      batchSize: 100,
      maxInFlight: 128,
      leaseMarginMs: 15_000,
      breakerFailures: 5,
      breakerOpenMs: 10_000,
      maxFailureStreak: 50,
      maxFailingMs: 24 * 3_600_000,
      ...opts,
    };
    this.#rearm();
  }

  /** Something may be due (NOTIFY): claim again soon. */
  wake() {
    this.#wantClaim = true;
    this.#pulse();
  }

  stop() {
    this.#stopped = true;
    this.#pulse();
  }

  /** Sends until nothing is due or in flight; resolves to ms until the next due delivery (Infinity: none). */
  async drain(): Promise<number> {
    const { batchSize, maxInFlight } = this.#opts;
    const inFlight = new Set<Promise<void>>();
    const buffer: Pending[] = [];
    let flushing: Promise<void> = Promise.resolve();
    let flushQueued = false;
    const flush = () => {
      if (flushQueued) return;
      flushQueued = true;
      flushing = flushing.then(async () => {
        flushQueued = false;
        const batch = buffer.splice(0);
        if (batch.length > 0) await this.#record(batch);
        // Recorded outcomes can free an ordered entity's next event or a paused endpoint.
        this.#wantClaim = true;
        this.#pulse();
      });
    };
    this.#wantClaim = true;
    while (!this.#stopped) {
      const room = maxInFlight - inFlight.size;
      if (this.#wantClaim && room >= Math.min(batchSize, maxInFlight / 2)) {
        const limit = Math.min(room, batchSize);
        this.#wantClaim = false;
        const lease = `${this.id}.${randomToken(8)}`;
        const claimed = await claimDeliveries(this.ctx.sql, {
          limit,
          lease,
          paused: this.#paused(),
          leaseMarginMs: this.#opts.leaseMarginMs,
        });
        for (const c of claimed) {
          const p: Promise<void> = this.#process(c, lease).then((pending) => {
            buffer.push(pending);
            // Small batches flush at once: latency matters more than round trips when traffic is light.
            if (
              buffer.length >= batchSize || inFlight.size <= 1 || buffer.length >= inFlight.size
            ) flush();
          }).finally(() => {
            inFlight.delete(p);
            this.#pulse();
          });
          inFlight.add(p);
        }
        if (claimed.length === limit) this.#wantClaim = true;
        continue;
      }
      if (inFlight.size === 0 && buffer.length === 0 && !flushQueued && !this.#wantClaim) {
        await flushing;
        if (!this.#wantClaim) break;
        continue;
      }
      if (buffer.length > 0 && inFlight.size === 0) flush();
      await this.#signal;
      this.#rearm();
    }
    flush();
    await flushing;
    return this.#nextDelay();
  }

  async #nextDelay(): Promise<number> {
    const paused = this.#paused();
    const due = await nextDueInMs(this.ctx.sql, paused);
    const probes = paused.map((id) => this.#breakers.get(id)!.retryAfterMs());
    const delay = Math.min(due ?? Infinity, ...probes);
    return delay;
  }

  #rearm() {
    this.#signal = new Promise((resolve) => (this.#pulse = resolve));
  }

  #paused(): string[] {
    return [...this.#breakers].filter(([, b]) => b.state === "open").map(([id]) => id);
  }

  #breaker(endpointId: string): CircuitBreaker {
    let b = this.#breakers.get(endpointId);
    if (!b) {
      b = new CircuitBreaker(`endpoint ${endpointId}`, {
        failureThreshold: this.#opts.breakerFailures,
        openMs: this.#opts.breakerOpenMs,
        clock: this.ctx.clock,
        onStateChange: (state, name) =>
          this.ctx.log.warn("delivery circuit breaker changed state", { breaker: name, state }),
      });
      this.#breakers.set(endpointId, b);
    }
    return b;
  }

  async #process(c: Claimed, lease: string): Promise<Pending> {
    const event = rowToEvent(c.event);
    const pending = (outcome: Omit<Outcome, "id" | "lease">): Pending => ({
      outcome: { id: c.id, lease, ...outcome },
      event,
      endpointId: c.endpoint_id,
    });
    const breaker = this.#breaker(c.endpoint_id);
    if (breaker.state === "open") {
      return pending({ kind: "release", delay_ms: Math.max(100, breaker.retryAfterMs()) });
    }
    const limit = c.endpoint.rate_limit_per_second;
    if (limit) {
      const r = await this.ctx.store.rateLimit(
        `${c.tenant}:delivery-rate:${c.endpoint_id}`,
        limit,
        1_000,
      ).catch(() => null);
      if (r && !r.success) {
        return pending({ kind: "release", delay_ms: Math.max(20, r.resetMs - Date.now()) });
      }
    }
    let result: SendResult;
    try {
      const endpoint = await toDeliveryEndpoint(this.ctx, c.endpoint);
      const connector = connectorFor(endpoint.kind);
      if (!connector) {
        throw new SendFailed({
          ok: false,
          latencyMs: 0,
          error: `no connector is registered for ${endpoint.kind} endpoints`,
        });
      }
      const delivery = {
        id: c.id,
        tenant: c.tenant,
        endpointId: c.endpoint_id,
        eventId: c.event_id,
        attempt: c.tries + 1,
        replay: c.replay,
      };
      result = await breaker.run(async () => {
        const r = await connector.send(this.ctx, delivery, endpoint, event);
        if (!r.ok) throw new SendFailed(r);
        return r;
      }, (err) => !(err instanceof SendFailed && (err.result.permanent || err.result.deferred)));
    } catch (err) {
      if (err instanceof BreakerOpenError) {
        return pending({ kind: "release", delay_ms: Math.max(100, err.retryAfterMs) });
      }
      // Queued, not failed: flow control (e.g. Telegram's per-chat pace) hands it back for later.
      if (err instanceof SendFailed && err.result.deferred) {
        return pending({
          kind: "release",
          delay_ms: Math.max(20, err.result.retryAfterMs ?? 1_000),
        });
      }
      result = err instanceof SendFailed
        ? err.result
        : { ok: false, latencyMs: 0, error: `send failed: ${(err as Error).message}` };
    }
    const attempt = {
      ok: result.ok,
      status: result.status ?? null,
      latency_ms: Math.round(result.latencyMs),
      error: clean(result.error ?? null, 1000),
      excerpt: clean(result.responseExcerpt ?? null, excerptBytes),
    };
    if (result.ok) return pending({ kind: "delivered", ...attempt });
    const step = afterFailure(
      c.tries + 1,
      c.endpoint.retry_schedule ?? defaultRetrySchedule,
      result,
    );
    return pending(
      step.kind === "dead"
        ? { kind: "dead", ...attempt }
        : { kind: "retry", delay_ms: step.delayMs, ...attempt },
    );
  }

  async #record(batch: Pending[]) {
    const outcomes = batch.map((p) => p.outcome);
    const byId = new Map(batch.map((p) => [p.outcome.id, p]));
    for (let attempt = 1;; attempt++) {
      try {
        const recorded = await this.ctx.sql.begin(async (tx) => {
          const rows = await recordOutcomes(tx as never, outcomes, {
            maxStreak: this.#opts.maxFailureStreak,
            maxFailingMs: this.#opts.maxFailingMs,
          });
          const dead = rows.filter((r) => r.kind === "dead");
          await appendEvents(
            tx,
            dead.map((d) => {
              const { event } = byId.get(d.id!)!;
              return {
                tenant: d.tenant,
                type: "delivery.dead",
                entity: event.entity,
                causationId: event.id,
                correlationId: event.correlationId,
                dedupKey: `delivery.dead:${d.dead_letter_id}`,
                data: {
                  deliveryId: d.id,
                  endpointId: d.endpoint_id,
                  eventId: d.event_id,
                  eventType: event.type,
                  deadLetterId: d.dead_letter_id,
                  tries: d.tries,
                  reason: d.reason,
                },
                metadata: { source: "delivery" },
              };
            }),
          );
          return rows;
        });
        for (const r of recorded.filter((r) => r.kind === "disabled")) {
          this.ctx.log.warn("endpoint disabled after a failure streak", {
            endpoint: r.endpoint_id,
            tenant: r.tenant,
            reason: r.reason,
          });
        }
        break;
      } catch (err) {
        const code = (err as { code?: string }).code ?? "";
        if (transientCodes.has(code) && attempt < 4) continue;
        // The leases run out and the deliveries are tried again: at least once, never lost.
        this.ctx.log.error("recording delivery outcomes failed", { err, count: batch.length });
        return;
      }
    }
    const entities = batch.filter((p) => p.outcome.kind !== "release")
      .map((p) => ({
        tenant: p.event.tenant,
        entityType: p.event.entity.type,
        entityId: p.event.entity.id,
      }));
    void invalidateTraces(this.ctx, entities);
  }
}

/** Text Postgres can store: no NUL, at most `maxBytes` of UTF-8. */
function clean(text: string | null, maxBytes: number): string | null {
  if (text === null) return null;
  let s = text.replaceAll("\u0000", "");
  while (new TextEncoder().encode(s).length > maxBytes) s = s.slice(0, Math.floor(s.length * 0.9));
  return s;
}
