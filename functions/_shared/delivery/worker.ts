/**
 * The delivery worker: claims due deliveries in batches whenever it has room, sends them
 * concurrently through their kind's connector, and records outcomes in batches (attempts, retries,
 * dead letters and their `delivery.dead` events, `endpoint.disabled`). Beside that, a few times a
 * second, it counts the tries that fall due at endpoints whose breaker is open, in bulk and off
 * the claim's path, so a failing endpoint's backlog never slows the others' claims. It runs inside function
 * invocations; any number of workers (instances) may run side by side, since claims are SKIP
 * LOCKED and leased, and the breaker and in-flight limit live in Postgres, shared by all. A
 * worker that dies leaves leases that expire, so its claims come back.
 */
import type { AppContext } from "../context.ts";
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
  countUnsentTries,
  DELIVERIES_CHANNEL,
  type Judgement,
  nextDueInMs,
  type Outcome,
  recordOutcomes,
} from "./claim.ts";
import { deliveryDead, endpointDisabled } from "./events.ts";
import { excerptBytes } from "./outbound.ts";
import { DeadlineError, withDeadline } from "../deadline.ts";
import { DB_CALL_DEADLINE_MS } from "../db.ts";

export interface WorkerOptions extends Partial<Judgement> {
  /** Deliveries claimed per statement. Default: 100. */
  batchSize?: number;
  /** Sends in flight at once in this worker, all endpoints together. Default: 128. */
  maxInFlight?: number;
  /** Sends in flight at once per endpoint, all workers together, unless the endpoint sets its own. Default: DELIVERY_MAX_IN_FLIGHT. */
  endpointInFlight?: number;
  /** Added to an endpoint's timeout to make a claim's lease. Default: 15 s. */
  leaseMarginMs?: number;
}

class SendFailedError extends Error {
  constructor(readonly result: SendResult) {
    super(result.error ?? "send failed");
    this.name = "SendFailedError";
  }
}

interface Pending {
  outcome: Outcome;
  event: LoggedEvent;
  endpointId: string;
}

const transientCodes = new Set(["40P01", "40001"]);

export const breakerOpenError = "not sent: the endpoint's circuit breaker is open";

/** Tries due at open breakers are counted this often while a drain runs, and once as it ends. */
const UNSENT_EVERY_MS = 250;
const UNSENT_BATCH = 500;
/** The scheduler hears of new due times at most this late. */
const NOTIFY_GAP_MS = 100;

export class DeliveryWorker {
  readonly id = `w_${randomToken(10)}`;
  readonly #opts: Required<WorkerOptions>;
  #wantClaim = true;
  #pulse!: () => void;
  #signal!: Promise<void>;
  #stopped = false;
  #notifyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly ctx: AppContext, opts: WorkerOptions = {}) {
    this.#opts = {
      batchSize: 100,
      maxInFlight: 128,
      endpointInFlight: ctx.config.DELIVERY_MAX_IN_FLIGHT,
      leaseMarginMs: 15_000,
      breakerFailures: 5,
      breakerOpenMs: 10_000,
      maxFailedRounds: 60,
      maxFailingMs: 24 * 3_600_000,
      ...opts,
    };
    this.#rearm();
  }

  /** Something may be due: claim again soon. */
  wake() {
    this.#wantClaim = true;
    this.#pulse();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  stop() {
    this.#stopped = true;
    this.#pulse();
  }

  /**
   * Sends until nothing is due or in flight; resolves to ms until the next due delivery (Infinity:
   * none). Past `budgetMs` it claims no more and calls `onBudget` (a newer drain may claim
   * meanwhile), then waits for what it has in flight.
   */
  async drain(opts: { budgetMs?: number; onBudget?: () => void } = {}): Promise<number> {
    const { batchSize, maxInFlight } = this.#opts;
    const until = opts.budgetMs === undefined ? Infinity : this.ctx.clock.now() + opts.budgetMs;
    const inFlight = new Set<Promise<void>>();
    const buffer: Pending[] = [];
    // Per endpoint: rows sent (or handed back) and waiting to be recorded. Their slots still count
    // in Postgres until recorded; the claim counts them free, as they are at the endpoint no more.
    const settled = new Map<string, number>();
    const settle = (batch: Pending[], by: 1 | -1) => {
      for (const { endpointId } of batch) {
        const n = (settled.get(endpointId) ?? 0) + by;
        if (n > 0) settled.set(endpointId, n);
        else settled.delete(endpointId);
      }
    };
    let flushing: Promise<void> = Promise.resolve();
    let flushQueued = false;
    const flush = () => {
      if (flushQueued) return;
      flushQueued = true;
      flushing = flushing.then(async () => {
        flushQueued = false;
        const batch = buffer.splice(0);
        if (batch.length > 0) await this.#record(batch).finally(() => settle(batch, -1));
        // Recorded outcomes free slots, an ordered entity's next event or a breaker's probe.
        this.#wantClaim = true;
        this.#pulse();
      });
    };
    // Counting tries at open breakers runs beside the claims, never in their way.
    const counter = { running: null as Promise<void> | null, at: 0, beforeEnd: false };
    const count = () => {
      counter.at = this.ctx.clock.now() + UNSENT_EVERY_MS;
      counter.running = this.#countUnsent().then((n) => {
        if (n === UNSENT_BATCH) counter.at = 0; // more are due: go on at once
      }).finally(() => {
        counter.running = null;
        this.#pulse();
      });
    };
    const ticker = setInterval(() => this.#pulse(), UNSENT_EVERY_MS);
    let budgetSpent = false;
    this.#wantClaim = true;
    while (!this.#stopped) {
      const room = maxInFlight - inFlight.size;
      const claiming = this.ctx.clock.now() < until;
      if (!claiming && !budgetSpent) {
        budgetSpent = true;
        opts.onBudget?.();
      }
      if (claiming && !counter.running && this.ctx.clock.now() >= counter.at) count();
      // Claim whenever there is room: a slow endpoint's sends must not keep the others waiting.
      if (this.#wantClaim && claiming && room > 0) {
        const limit = Math.min(room, batchSize);
        this.#wantClaim = false;
        const lease = `${this.id}.${randomToken(8)}`;
        // A claim that times out may still commit: its rows come back when their lease ends.
        const claimed = await withDeadline(
          claimDeliveries(this.ctx.sql, {
            limit,
            lease,
            defaultInFlight: this.#opts.endpointInFlight,
            leaseMarginMs: this.#opts.leaseMarginMs,
            settled,
          }),
          DB_CALL_DEADLINE_MS,
          "database",
        );
        for (const c of claimed) {
          const p: Promise<void> = this.#process(c, lease).then((pending) => {
            buffer.push(pending);
            settle([pending], 1);
            // Group commit: one record statement at a time takes everything done meanwhile, so a
            // slow endpoint's sends never hold back recording (and freeing) the others' slots.
            flush();
          }).finally(() => {
            inFlight.delete(p);
            this.#pulse();
          });
          inFlight.add(p);
        }
        if (claimed.length > 0) counter.beforeEnd = false;
        if (claimed.length === limit) this.#wantClaim = true;
        continue;
      }
      const idle = inFlight.size === 0 && buffer.length === 0 && !flushQueued &&
        (!this.#wantClaim || !claiming);
      if (idle && !counter.running) {
        await flushing;
        if (this.#wantClaim && claiming) continue;
        // One more count before ending, so the due time answered lies ahead; a wake-up meanwhile
        // is still served by this drain.
        if (claiming && !counter.beforeEnd) {
          counter.beforeEnd = true;
          count();
          continue;
        }
        break;
      }
      if (buffer.length > 0 && inFlight.size === 0) flush();
      await this.#signal;
      this.#rearm();
    }
    clearInterval(ticker);
    // Stopped: no more claims, but what is being sent finishes and is recorded with the rest.
    await Promise.all(inFlight);
    flush();
    await Promise.all([flushing, counter.running]);
    await this.#notifyDue();
    if (this.#stopped) return Infinity;
    const due = await withDeadline(
      nextDueInMs(this.ctx.sql, this.#opts.endpointInFlight),
      DB_CALL_DEADLINE_MS,
      "database",
    );
    return due ?? Infinity;
  }

  /**
   * A retry or a release set a due time the scheduler may not know yet: NOTIFY it, at most once
   * per NOTIFY_GAP_MS and never inside an outcome's transaction (Postgres serializes the commits
   * of every transaction that notifies; inside them, a healthy endpoint's routing waited on a
   * failing one's outcomes). A drain sends what is pending before it ends.
   */
  #dueMoved() {
    this.#notifyTimer ??= setTimeout(() => void this.#notifyDue(), NOTIFY_GAP_MS);
  }

  async #notifyDue() {
    if (this.#notifyTimer === undefined) return;
    clearTimeout(this.#notifyTimer);
    this.#notifyTimer = undefined;
    await withDeadline(
      this.ctx.sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`,
      DB_CALL_DEADLINE_MS,
      "database",
    ).catch((err) =>
      // Not lost: the scheduler looks again at the latest when the claim's lease would have ended.
      this.ctx.log.warn("waking the scheduler failed", { err })
    );
  }

  #rearm() {
    this.#signal = new Promise((resolve) => (this.#pulse = resolve));
  }

  async #process(c: Claimed, lease: string): Promise<Pending> {
    const event = rowToEvent(c.event);
    const pending = (outcome: Omit<Outcome, "id" | "lease">): Pending => ({
      outcome: { id: c.id, lease, probe: c.probe, ...outcome },
      event,
      endpointId: c.endpoint_id,
    });
    let result: SendResult;
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
    try {
      const endpoint = await toDeliveryEndpoint(this.ctx, c.endpoint);
      const connector = connectorFor(endpoint.kind);
      if (!connector) {
        throw new SendFailedError({
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
      result = await withinDeadline(
        connector.send(this.ctx, delivery, endpoint, event),
        endpoint.timeoutMs + SEND_GRACE_MS,
      );
    } catch (err) {
      result = err instanceof SendFailedError
        ? err.result
        : { ok: false, latencyMs: 0, error: `send failed: ${(err as Error).message}` };
    }
    // Queued, not failed: flow control (e.g. Telegram's per-chat pace) hands it back for later.
    if (!result.ok && result.deferred) {
      return pending({ kind: "release", delay_ms: Math.max(20, result.retryAfterMs ?? 1_000) });
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

  /**
   * Counts one try of up to UNSENT_BATCH deliveries due at open breakers, appending `delivery.dead`
   * for those whose schedule ran out; answers how many it counted (0 after a failure, which is
   * logged: the rows stay due and the next count takes them).
   */
  async #countUnsent(): Promise<number> {
    try {
      const rows = await withDeadline(
        this.ctx.sql.begin(async (tx) => {
          const rows = await countUnsentTries(tx, UNSENT_BATCH, breakerOpenError);
          await appendEvents(
            tx,
            rows.filter((r) => r.dead_letter_id).map((r) =>
              deliveryDead({ kind: "dead", ...r, reason: breakerOpenError }, rowToEvent(r.event!))
            ),
          );
          return rows;
        }),
        DB_CALL_DEADLINE_MS,
        "database",
      );
      if (rows.some((r) => !r.dead_letter_id)) this.#dueMoved();
      void invalidateTraces(
        this.ctx,
        rows.map((r) => ({ tenant: r.tenant, entityType: r.entity_type, entityId: r.entity_id })),
      );
      return rows.length;
    } catch (err) {
      this.ctx.log.error("counting tries at open breakers failed", { err });
      return 0;
    }
  }

  async #record(batch: Pending[]) {
    const outcomes = batch.map((p) => p.outcome);
    const byId = new Map(batch.map((p) => [p.outcome.id, p]));
    const judgement: Judgement = {
      breakerFailures: this.#opts.breakerFailures,
      breakerOpenMs: this.#opts.breakerOpenMs,
      maxFailedRounds: this.#opts.maxFailedRounds,
      maxFailingMs: this.#opts.maxFailingMs,
    };
    for (let attempt = 1;; attempt++) {
      try {
        const recorded = await withDeadline(
          this.ctx.sql.begin(async (tx) => {
            const rows = await recordOutcomes(tx, outcomes, judgement);
            const now = new Date(this.ctx.clock.now());
            await appendEvents(tx, [
              ...rows.filter((r) => r.kind === "dead").map((d) =>
                deliveryDead(d, byId.get(d.id!)!.event)
              ),
              ...rows.filter((r) => r.kind === "disabled").map((r) =>
                endpointDisabled(
                  {
                    tenant: r.tenant,
                    endpointId: r.endpoint_id,
                    reason: r.reason,
                    automatic: true,
                  },
                  now,
                )
              ),
            ]);
            return rows;
          }),
          DB_CALL_DEADLINE_MS,
          "database",
        );
        if (outcomes.some((o) => o.kind === "retry" || o.kind === "release")) this.#dueMoved();
        for (const r of recorded.filter((r) => r.kind === "disabled")) {
          this.ctx.log.warn("endpoint disabled after failing rounds", {
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

/** A connector that overruns its own timeout by this much counts as failed, so a drain never hangs on it. */
const SEND_GRACE_MS = 1_000;

function withinDeadline(send: Promise<SendResult>, ms: number): Promise<SendResult> {
  return withDeadline(send, ms, "send").catch((err) => {
    if (err instanceof DeadlineError) {
      return { ok: false, latencyMs: ms, error: `no answer within ${ms} ms` };
    }
    throw err;
  });
}

/** Text Postgres can store: no NUL, at most `maxBytes` of UTF-8. */
function clean(text: string | null, maxBytes: number): string | null {
  if (text === null) return null;
  let s = text.replaceAll("\u0000", "");
  while (new TextEncoder().encode(s).length > maxBytes) s = s.slice(0, Math.floor(s.length * 0.9));
  return s;
}
