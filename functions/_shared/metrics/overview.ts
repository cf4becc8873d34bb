/** What the dashboard shows for one tenant or all: hourly series, totals, top types, relay lag, alerts. */
import type { AppContext } from "../context.ts";
import { viaDatabase } from "../db.ts";
import {
  deliveryStatuses,
  healthFigures,
  hourlySeries,
  openAlertList,
  relayLagHours,
  type SeriesRow,
  topTypes,
} from "./queries.ts";
import { HOUR_MS, hourFloor } from "./tenant.ts";

export interface SeriesPoint {
  hour: string;
  events: number;
  delivered: number;
  failed: number;
  dead: number;
  p50: number | null;
  p95: number | null;
  relayLagMs: number | null;
}

/** Pure: one point per hour of [from, to), zero-filled, relay lag from its own samples. */
function fillSeries(
  rows: SeriesRow[],
  lag: { hour: Date; maxLagMs: number }[],
  from: number,
  to: number,
): SeriesPoint[] {
  const byHour = new Map(rows.map((r) => [new Date(r.hour).getTime(), r]));
  const lagByHour = new Map(lag.map((l) => [new Date(l.hour).getTime(), l.maxLagMs]));
  const out: SeriesPoint[] = [];
  for (let h = from; h < to; h += HOUR_MS) {
    const r = byHour.get(h);
    const attempts = Number(r?.attempts ?? 0);
    const ok = Number(r?.attemptsOk ?? 0);
    out.push({
      hour: new Date(h).toISOString(),
      events: Number(r?.events ?? 0),
      delivered: ok,
      failed: attempts - ok,
      dead: Number(r?.dead ?? 0),
      p50: r?.p50 ?? null,
      p95: r?.p95 ?? null,
      relayLagMs: lagByHour.get(h) ?? (r?.relayLagMs ?? null),
    });
  }
  return out;
}

export async function dashboardOverview(ctx: AppContext, tenant: string | null, hours: number) {
  const now = ctx.clock.now();
  const to = hourFloor(now) + HOUR_MS;
  const from = to - hours * HOUR_MS;
  const [rows, types, lag, statuses, health, alerts] = await viaDatabase(ctx, () =>
    Promise.all([
      hourlySeries(ctx.sql, tenant, new Date(from), new Date(to)),
      topTypes(ctx.sql, tenant, new Date(from), new Date(to)),
      relayLagHours(ctx.sql, new Date(from), new Date(to)),
      deliveryStatuses(ctx.sql, tenant, new Date(from), new Date(to)),
      healthFigures(ctx.sql),
      openAlertList(ctx.sql, tenant),
    ]));
  const series = fillSeries(rows, lag, from, to);
  const sum = (k: "events" | "delivered" | "failed" | "dead") =>
    series.reduce((n, p) => n + p[k], 0);
  const attempts = sum("delivered") + sum("failed");
  const minutes = (now - from) / 60_000;
  return {
    tenant,
    generatedAt: new Date(now).toISOString(),
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), hours },
    totals: {
      events: sum("events"),
      eventsPerMinute: Math.round((sum("events") / Math.max(1, minutes)) * 100) / 100,
      attempts,
      delivered: sum("delivered"),
      failed: sum("failed"),
      dead: sum("dead"),
      successRate: attempts ? Math.round((sum("delivered") / attempts) * 10_000) / 10_000 : null,
      p95Ms: series.reduce<number | null>(
        (m, p) => (p.p95 === null ? m : Math.max(m ?? 0, p.p95)),
        null,
      ),
    },
    deliveries: Object.fromEntries(
      ["pending", "delivered", "dead"].map((
        s,
      ) => [s, statuses.find((x) => x.status === s)?.n ?? 0]),
    ),
    series,
    topTypes: types.map((t) => ({ type: t.type, events: Number(t.events) })),
    relay: {
      lagMs: health.relay?.lag_ms ?? null,
      lagEvents: health.relay?.lag_events ?? null,
      active: health.relay?.active ?? null,
    },
    backlog: { due: health.deliveries?.due ?? null, dead: health.deliveries?.dead ?? null },
    alerts,
  };
}
