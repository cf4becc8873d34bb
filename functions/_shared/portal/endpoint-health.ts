/** Endpoint health for people: per-endpoint success rate and latency by hour, and endpoints ranked by health. */
import type { Sql } from "../db.ts";

const HOUR = 3_600_000;

export interface EndpointHour {
  hour: string;
  attempts: number;
  ok: number;
  p50: number | null;
  p95: number | null;
}

export interface EndpointStats {
  endpointId: string;
  attempts: number;
  ok: number;
  successRate: number | null;
  p95: number | null;
  series: EndpointHour[];
}

/** A tenant's endpoints over the last `hours` whole UTC hours (the current one included), one point per hour. */
export async function endpointStats(
  sql: Sql,
  tenant: string,
  hours: number,
  now = Date.now(),
): Promise<{ hours: string[]; endpoints: EndpointStats[] }> {
  const last = Math.floor(now / HOUR) * HOUR;
  const from = new Date(last - (hours - 1) * HOUR);
  const axis = Array.from({ length: hours }, (_, i) => new Date(from.getTime() + i * HOUR));
  const rows = await sql<
    { endpointId: string; hour: Date; attempts: number; ok: number; p50: number; p95: number }[]
  >`
    select d.endpoint_id as "endpointId", date_trunc('hour', a.attempted_at, 'UTC') as hour,
      count(*)::int as attempts, (count(*) filter (where a.ok))::int as ok,
      percentile_cont(0.5) within group (order by a.latency_ms) as p50,
      percentile_cont(0.95) within group (order by a.latency_ms) as p95
    from switchyard.delivery_attempts a
    join switchyard.deliveries d on d.id = a.delivery_id
    where a.tenant = ${tenant} and a.attempted_at >= ${from}
    group by 1, 2`;
  const byEndpoint = new Map<string, Map<number, (typeof rows)[number]>>();
  for (const r of rows) {
    const m = byEndpoint.get(r.endpointId) ?? new Map();
    m.set(new Date(r.hour).getTime(), r);
    byEndpoint.set(r.endpointId, m);
  }
  const endpoints = [...byEndpoint].map(([endpointId, m]) => {
    const series = axis.map((h) => {
      const r = m.get(h.getTime());
      return {
        hour: h.toISOString(),
        attempts: r?.attempts ?? 0,
        ok: r?.ok ?? 0,
        p50: r ? Math.round(r.p50) : null,
        p95: r ? Math.round(r.p95) : null,
      };
    });
    const attempts = series.reduce((n, p) => n + p.attempts, 0);
    const ok = series.reduce((n, p) => n + p.ok, 0);
    const p95s = series.map((p) => p.p95).filter((v): v is number => v !== null);
    return {
      endpointId,
      attempts,
      ok,
      successRate: attempts ? ok / attempts : null,
      p95: p95s.length ? Math.max(...p95s) : null,
      series,
    };
  });
  return { hours: axis.map((h) => h.toISOString()), endpoints };
}

export type Health = "breaker open" | "failing" | "disabled" | "healthy";

export interface EndpointHealth {
  id: string;
  tenant: string;
  name: string | null;
  kind: string;
  url: string | null;
  health: Health;
  enabled: boolean;
  disabledReason: string | null;
  failureStreak: number;
  failingSince: string | null;
  pending: number;
  deadLetters: number;
  attemptsLastHour: number;
  okLastHour: number;
}

/** Every live endpoint (of one tenant, or all), the unhealthiest first: breaker open, failing, disabled, healthy. */
export function endpointsByHealth(sql: Sql, tenant: string | null): Promise<EndpointHealth[]> {
  return sql<EndpointHealth[]>`
    with recent as (
      select d.endpoint_id, count(*)::int as attempts, (count(*) filter (where a.ok))::int as ok
      from switchyard.delivery_attempts a join switchyard.deliveries d on d.id = a.delivery_id
      where a.attempted_at >= now() - interval '1 hour' ${
    tenant ? sql`and a.tenant = ${tenant}` : sql``
  }
      group by 1
    )
    select ep.id, ep.tenant, ep.name, ep.kind, ep.url, ep.enabled, ep.disabled_reason as "disabledReason",
      ep.failure_streak as "failureStreak",
      to_char(ep.failing_since at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "failingSince",
      case when b.state = 'open' then 'breaker open' when ep.failure_streak > 0 then 'failing'
        when not ep.enabled then 'disabled' else 'healthy' end as health,
      (select count(*) from switchyard.deliveries d where d.endpoint_id = ep.id and d.status = 'pending')::int as pending,
      (select count(*) from switchyard.dead_letters l
        where l.tenant = ep.tenant and l.endpoint_id = ep.id and l.replayed_at is null)::int as "deadLetters",
      coalesce(r.attempts, 0) as "attemptsLastHour", coalesce(r.ok, 0) as "okLastHour"
    from switchyard.endpoints ep
    left join switchyard.endpoint_breakers() b on b.endpoint_id = ep.id
    left join recent r on r.endpoint_id = ep.id
    where ep.deleted_at is null ${tenant ? sql`and ep.tenant = ${tenant}` : sql``}
    order by case when b.state = 'open' then 0 when ep.failure_streak > 0 then 1 when not ep.enabled then 2 else 3 end,
      ep.failure_streak desc, ep.tenant, ep.created_at, ep.id`;
}
