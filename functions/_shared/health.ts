/**
 * `GET /health`: the database, the fast store, relay lag and stalls, delivery backlog and stalls,
 * and the supervised processes, in one answer. Every check has its own deadline and they run side
 * by side, so health answers within HEALTH_CHECK_DEADLINE_MS whatever is down or hung.
 */
import type { AppContext } from "./context.ts";
import { isUnavailable } from "./db.ts";
import { withDeadline } from "./deadline.ts";
import { progressFigures, stalls } from "./metrics/progress.ts";
import type { HealthFigures } from "./metrics/queries.ts";
import { readSupervisorState, type SupervisedProcess } from "./processes.ts";

export interface Health {
  status: "ok" | "degraded" | "down";
  checks: {
    database: { status: "ok" | "down"; latencyMs?: number; error?: string };
    fastStore: {
      status: "ok" | "degraded" | "down";
      kind: string;
      durable: boolean;
      breaker: string;
      error?: string;
    };
    relay: {
      status: "ok" | "degraded" | "unknown";
      lagMs: number | null;
      lagEvents: number | null;
      /** Connected but not advancing while events wait (SWITCHYARD_STALL_MS). */
      stalled?: boolean;
      sinceProgressMs?: number | null;
      slot?: unknown;
    };
    deliveries: {
      due: number | null;
      /** Claimed and being sent. */
      inFlight?: number;
      /** Waiting at disabled endpoints. */
      held?: number;
      dead: number | null;
      /** Due for longer than SWITCHYARD_STALL_MS with no attempt made meanwhile. */
      stalled?: boolean;
      oldestDueMs?: number | null;
    };
    conciliations?: { pending: number; exhausted: number };
    /** Under `npm start`: each supervised process, its restarts, and whether it was given up on. */
    processes?: {
      status: "ok" | "degraded";
      restarts: number;
      items: SupervisedProcess[];
    };
  };
}

/** Relay lag above this marks the system degraded. */
const RELAY_LAG_DEGRADED_MS = 30_000;

/** Each check gives up after this long; they run in parallel, so it bounds the whole answer (< 2 s). */
export const HEALTH_CHECK_DEADLINE_MS = 1_500;

export async function checkHealth(ctx: AppContext): Promise<Health> {
  const started = ctx.clock.now();
  const within = <T>(p: Promise<T>, what: string) =>
    withDeadline(p, HEALTH_CHECK_DEADLINE_MS, `health: ${what}`);
  const [db, storeOk, stats, supervised] = await Promise.all([
    within(ctx.sql`select 1`, "database").then(
      () => ({ status: "ok" as const, latencyMs: ctx.clock.now() - started }),
      (err) => ({
        status: "down" as const,
        error: (err as Error).name === "DeadlineError"
          ? `no answer within ${HEALTH_CHECK_DEADLINE_MS} ms`
          : isUnavailable(err)
          ? "unreachable"
          : "query failed",
      }),
    ),
    // The guarded store's ping: bounded, counted by the breaker, and false on any failure.
    ctx.store.ping(),
    within(backlog(ctx), "backlog").catch(() => undefined),
    readSupervisorState(ctx.config.SWITCHYARD_SUPERVISOR_STATE),
  ]);
  const breaker = ctx.breakers.store.state;
  const fastStore = {
    status: storeOk ? (ctx.store.durable ? "ok" as const : "degraded" as const) : "down" as const,
    kind: ctx.store.kind,
    durable: ctx.store.durable,
    breaker,
    ...(storeOk
      ? {}
      : { error: breaker === "closed" ? "did not answer PING" : `circuit ${breaker}` }),
  };
  const relay = stats?.relay ?? { status: "unknown" as const, lagMs: null, lagEvents: null };
  const processes = supervised
    ? {
      status: supervised.processes.some((p) => p.status !== "running")
        ? "degraded" as const
        : "ok" as const,
      restarts: supervised.processes.reduce((n, p) => n + p.restarts, 0),
      items: supervised.processes,
    }
    : undefined;
  const deliveries: Health["checks"]["deliveries"] = stats?.deliveries ?? { due: null, dead: null };
  const checks: Health["checks"] = {
    database: db,
    fastStore,
    relay,
    deliveries,
    ...(stats?.conciliations ? { conciliations: stats.conciliations } : {}),
    ...(processes ? { processes } : {}),
  };
  const status = db.status === "down"
    ? "down"
    : fastStore.status !== "ok" || relay.status !== "ok" || deliveries.stalled ||
        processes?.status === "degraded"
    ? "degraded"
    : "ok";
  return { status, checks };
}

/** Two round trips side by side for every backlog figure; parts whose tables are absent read as null. */
async function backlog(ctx: AppContext) {
  const [[row], progress] = await Promise.all([
    ctx.sql<{ health: Record<string, unknown> }[]>`select switchyard.health() as health`,
    progressFigures(ctx.sql),
  ]);
  const h = row.health as {
    relay?: { lag_ms: number | null; lag_events: number | null; slot?: unknown; active?: boolean };
    deliveries?: HealthFigures["deliveries"];
    conciliations?: { pending: number; exhausted: number };
  };
  const lagMs = h.relay?.lag_ms ?? null;
  const stall = stalls(progress, h.relay?.active === true, ctx.config.SWITCHYARD_STALL_MS);
  return {
    relay: {
      status: h.relay
        ? ((lagMs ?? 0) > RELAY_LAG_DEGRADED_MS || h.relay.active === false ||
            stall.relay.stalled
          ? "degraded" as const
          : "ok" as const)
        : "unknown" as const,
      lagMs,
      lagEvents: h.relay?.lag_events ?? null,
      stalled: stall.relay.stalled,
      sinceProgressMs: stall.relay.sinceProgressMs,
      ...(h.relay?.slot ? { slot: h.relay.slot } : {}),
    },
    deliveries: {
      ...(h.deliveries ?? { due: null, dead: null }),
      stalled: stall.deliveries.stalled,
      oldestDueMs: stall.deliveries.oldestDueMs,
    },
    conciliations: h.conciliations,
  };
}
