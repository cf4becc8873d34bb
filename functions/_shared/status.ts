/** What `switchyard status` shows: health, breakers that are not closed, and per-tenant counts. */
import type { AppContext } from "./context.ts";
import { checkHealth, type Health, HEALTH_CHECK_DEADLINE_MS } from "./health.ts";
import { withDeadline } from "./deadline.ts";

export interface SystemStatus extends Health {
  breakers: { name: string; tenant?: string; state: string; failureStreak?: number }[];
  tenants: {
    tenant: string;
    status: string;
    events24h: number;
    eventsTotal: number;
    endpoints: number;
    deliveriesDue: number;
    deadLetters: number;
    conciliationsPending: number;
  }[];
}

export async function systemStatus(ctx: AppContext): Promise<SystemStatus> {
  const health = await checkHealth(ctx);
  const own = [ctx.breakers.db, ctx.breakers.store]
    .filter((b) => b.state !== "closed")
    .map((b) => ({ name: b.name, state: b.state }));
  if (health.checks.database.status !== "ok") return { ...health, breakers: own, tenants: [] };
  // Bounded like health: a database that hangs now gives the health part, not a hung command.
  const counts = await withDeadline(
    Promise.all([
      ctx.sql<{ endpoint_id: string; tenant: string; state: string; failure_streak: number }[]>`
      select * from switchyard.endpoint_breakers() where state <> 'closed' order by tenant, endpoint_id`,
      ctx.sql<Record<string, string | number>[]>`select * from switchyard.tenant_status()`,
    ]),
    HEALTH_CHECK_DEADLINE_MS,
    "status counts",
  ).catch(() => null);
  if (!counts) return { ...health, breakers: own, tenants: [] };
  const [endpoints, tenants] = counts;
  return {
    ...health,
    breakers: [
      ...own,
      ...endpoints.map((e) => ({
        name: `endpoint ${e.endpoint_id}`,
        tenant: e.tenant,
        state: e.state,
        failureStreak: e.failure_streak,
      })),
    ],
    tenants: tenants.map((t) => ({
      tenant: String(t.tenant),
      status: String(t.status),
      events24h: Number(t.events_24h),
      eventsTotal: Number(t.events_total),
      endpoints: Number(t.endpoints),
      deliveriesDue: Number(t.deliveries_due),
      deadLetters: Number(t.dead_letters),
      conciliationsPending: Number(t.conciliations_pending),
    })),
  };
}
