/** `GET /api/metrics`: a tenant's business figures, computed from rollups plus the live tail, cached a minute. */
import type { AppContext } from "../context.ts";
import { viaDatabase } from "../db.ts";
import {
  type LiveRow,
  rollupsThrough,
  tenantLiveRows,
  tenantRolledTotals,
  type TotalRow,
} from "./queries.ts";

export const HOUR_MS = 3_600_000;
export const hourFloor = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const CACHE_TTL_MS = 60_000;

export interface Breakdown {
  total: number;
  lastHour: number;
  last24h: number;
}

export interface TenantMetrics {
  tenant: string;
  generatedAt: string;
  events: Breakdown;
  averagePerMinute: { lastHour: number; last24h: number };
  byType: Record<string, Breakdown>;
  byEntityType: Record<string, Breakdown>;
  topTypes: { type: string; last24h: number; total: number }[];
  hourly: { hour: string; events: number }[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Pure: stored totals before `through` plus live rows after it; 24 hourly buckets ending with the current hour. */
export function shapeTenantMetrics(
  tenant: string,
  now: number,
  through: number | null,
  live: LiveRow[],
  rolled: TotalRow[],
): TenantMetrics {
  const events: Breakdown = { total: 0, lastHour: 0, last24h: 0 };
  // Maps: a type named like an object's own property (an entity type "constructor") is a type too.
  const byType = new Map<string, Breakdown>();
  const byEntityType = new Map<string, Breakdown>();
  const add = (
    map: Map<string, Breakdown>,
    key: string,
    total: number,
    lastHour: number,
    last24h: number,
  ) => {
    let b = map.get(key);
    if (!b) map.set(key, b = { total: 0, lastHour: 0, last24h: 0 });
    b.total += total;
    b.lastHour += lastHour;
    b.last24h += last24h;
  };
  const firstHour = hourFloor(now) - 23 * HOUR_MS;
  const hourly = new Map<number, number>();
  for (let h = firstHour; h <= hourFloor(now); h += HOUR_MS) hourly.set(h, 0);
  for (const r of rolled) {
    add(byType, r.type, Number(r.events), 0, 0);
    add(byEntityType, r.entityType, Number(r.events), 0, 0);
  }
  for (const r of live) {
    const hour = new Date(r.hour).getTime();
    const unrolled = through === null || hour >= through ? r.events : 0;
    add(byType, r.type, unrolled, r.lastHour, r.lastDay);
    add(byEntityType, r.entityType, unrolled, r.lastHour, r.lastDay);
    if (hourly.has(hour)) hourly.set(hour, hourly.get(hour)! + r.events);
  }
  for (const b of byType.values()) {
    events.total += b.total;
    events.lastHour += b.lastHour;
    events.last24h += b.last24h;
  }
  const sortKeys = (m: Map<string, Breakdown>) =>
    Object.fromEntries([...m].sort(([a], [b]) => a < b ? -1 : 1));
  return {
    tenant,
    generatedAt: new Date(now).toISOString(),
    events,
    averagePerMinute: {
      lastHour: round2(events.lastHour / 60),
      last24h: round2(events.last24h / 1440),
    },
    byType: sortKeys(byType),
    byEntityType: sortKeys(byEntityType),
    topTypes: [...byType]
      .map(([type, b]) => ({ type, last24h: b.last24h, total: b.total }))
      .filter((t) => t.last24h > 0)
      .sort((a, b) => b.last24h - a.last24h || (a.type < b.type ? -1 : 1))
      .slice(0, 10),
    hourly: [...hourly].map(([h, n]) => ({ hour: new Date(h).toISOString(), events: n })),
  };
}

async function computeTenantMetrics(
  ctx: AppContext,
  tenant: string,
): Promise<TenantMetrics> {
  const now = ctx.clock.now();
  return await viaDatabase(ctx, async () => {
    const through = await rollupsThrough(ctx.sql);
    const [live, rolled] = await Promise.all([
      tenantLiveRows(ctx.sql, tenant, new Date(now), through),
      tenantRolledTotals(ctx.sql, tenant, through),
    ]);
    return shapeTenantMetrics(tenant, now, through?.getTime() ?? null, live, rolled);
  });
}

/** Served from the fast store when computed in the last minute; a store outage only costs speed. */
export async function tenantMetrics(
  ctx: AppContext,
  tenant: string,
): Promise<{ metrics: TenantMetrics; cached: boolean }> {
  const key = `${tenant}:metrics:v1`;
  const hit = await ctx.store.get<TenantMetrics>(key).catch(() => null);
  if (hit) return { metrics: hit, cached: true };
  const metrics = await computeTenantMetrics(ctx, tenant);
  await ctx.store.set(key, metrics, { ttlMs: CACHE_TTL_MS }).catch((err) =>
    ctx.log.warn("metrics cache write failed", { tenant, error: err })
  );
  return { metrics, cached: false };
}
