/** `GET /health`: the database, the fast store, relay lag and delivery backlog, in one answer. */
import type { AppContext } from "./context.ts";
import { isUnavailable } from "./db.ts";

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
      slot?: unknown;
    };
    deliveries: { due: number | null; dead: number | null };
    conciliations?: { pending: number; exhausted: number };
  };
}

/** Relay lag above this marks the system degraded. */
const RELAY_LAG_DEGRADED_MS = 30_000;

export async function checkHealth(ctx: AppContext): Promise<Health> {
  const started = ctx.clock.now();
  const [db, store] = await Promise.all([
    ctx.sql`select 1`.then(() => ({ status: "ok" as const, latencyMs: ctx.clock.now() - started }))
      .catch((err) => ({
        status: "down" as const,
        error: isUnavailable(err) ? "unreachable" : "query failed",
      })),
    ctx.breakers.store.run(() => ctx.store.ping()).then(() => ({ ok: true, error: undefined }))
      .catch((err) => ({ ok: false, error: String((err as Error).message ?? err).slice(0, 200) })),
  ]);
  const fastStore = {
    status: store.ok ? (ctx.store.durable ? "ok" as const : "degraded" as const) : "down" as const,
    kind: ctx.store.kind,
    durable: ctx.store.durable,
    breaker: ctx.breakers.store.state,
    ...(store.error ? { error: store.error } : {}),
  };
  const stats = db.status === "ok" ? await backlog(ctx).catch(() => undefined) : undefined;
  const relay = stats?.relay ?? { status: "unknown" as const, lagMs: null, lagEvents: null };
  const checks: Health["checks"] = {
    database: db,
    fastStore,
    relay,
    deliveries: stats?.deliveries ?? { due: null, dead: null },
    ...(stats?.conciliations ? { conciliations: stats.conciliations } : {}),
  };
  const status = db.status === "down"
    ? "down"
    : fastStore.status !== "ok" || relay.status !== "ok"
    ? "degraded"
    : "ok";
  return { status, checks };
}

/** One round trip for every backlog figure; parts whose tables are absent read as null. */
async function backlog(ctx: AppContext) {
  const [row] = await ctx.sql<
    { health: Record<string, unknown> }[]
  >`select switchyard.health() as health`;
  const h = row.health as {
    relay?: { lag_ms: number | null; lag_events: number | null; slot?: unknown; active?: boolean };
    deliveries?: { due: number; dead: number };
    conciliations?: { pending: number; exhausted: number };
  };
  const lagMs = h.relay?.lag_ms ?? null;
  return {
    relay: {
      status: h.relay
        ? ((lagMs ?? 0) > RELAY_LAG_DEGRADED_MS || h.relay.active === false
          ? "degraded" as const
          : "ok" as const)
        : "unknown" as const,
      lagMs,
      lagEvents: h.relay?.lag_events ?? null,
      ...(h.relay?.slot ? { slot: h.relay.slot } : {}),
    },
    deliveries: h.deliveries ?? { due: null, dead: null },
    conciliations: h.conciliations,
  };
}
