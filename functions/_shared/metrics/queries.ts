/** The SQL behind metrics, rollups, alerts and the dashboard; one statement per figure set. */
import type { Queryable } from "../db.ts";

export interface LiveRow {
  type: string;
  entityType: string;
  hour: Date;
  events: number;
  lastHour: number;
  lastDay: number;
}

export interface TotalRow {
  type: string;
  entityType: string;
  events: number;
}

/** Hours before this are stored as rollups (null: none yet). */
export async function rollupsThrough(sql: Queryable): Promise<Date | null> {
  const [row] = await sql<
    { through: Date }[]
  >`select through from switchyard.rollup_progress where name = 'rollups'`;
  return row?.through ?? null;
}

export async function setRollupsThrough(sql: Queryable, through: Date): Promise<void> {
  await sql`insert into switchyard.rollup_progress (name, through) values ('rollups', ${through})
    on conflict (name) do update set through = greatest(switchyard.rollup_progress.through, excluded.through)`;
}

/**
 * A tenant's events from `through` (or the last 24 h, whichever is earlier) up to `now`, per type,
 * entity type and hour; the index on (tenant, recorded_at) covers it.
 */
export function tenantLiveRows(
  sql: Queryable,
  tenant: string,
  now: Date,
  through: Date | null,
): Promise<LiveRow[]> {
  return sql<LiveRow[]>`
    select e.type, e.entity_type as "entityType", date_trunc('hour', e.recorded_at, 'UTC') as hour,
      count(*)::int as events,
      count(*) filter (where e.recorded_at > ${now}::timestamptz - interval '1 hour')::int as "lastHour",
      count(*) filter (where e.recorded_at > ${now}::timestamptz - interval '24 hours')::int as "lastDay"
    from switchyard.events e
    where e.tenant = ${tenant} and e.recorded_at <= ${now}
      and e.recorded_at >= least(${
    through ?? new Date(0)
  }::timestamptz, date_trunc('hour', ${now}::timestamptz - interval '23 hours', 'UTC'))
    group by 1, 2, 3`;
}

/** A tenant's stored per-type totals before `through`. */
export function tenantRolledTotals(
  sql: Queryable,
  tenant: string,
  through: Date | null,
): Promise<TotalRow[]> {
  if (!through) return Promise.resolve([]);
  return sql<TotalRow[]>`
    select r.type, r.entity_type as "entityType", sum(r.events)::bigint::float8 as events
    from switchyard.metric_rollups r
    where r.tenant = ${tenant} and r.hour < ${through} and r.type <> '*'
    group by 1, 2`;
}

/** Rolls up whole hours [from, to); idempotent. */
export async function storeRollups(sql: Queryable, from: Date, to: Date): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select switchyard.store_rollups(${from}, ${to}) as n`;
  return row.n;
}

/** The earliest hour with an event, to start catch-up from on a first run. */
export async function firstEventHour(sql: Queryable): Promise<Date | null> {
  const [row] = await sql<{ hour: Date | null }[]>`
    select date_trunc('hour', min(recorded_at), 'UTC') as hour from switchyard.events`;
  return row?.hour ?? null;
}

export interface AnomalyInput {
  tenant: string;
  type: string;
  firstHour: Date;
  value: number;
  /** [hour ISO, events] of the same hour on past days that had any events of the type. */
  past: [string, number][];
}

/** Per tenant and type: the count at `hour`, the same hour on the past `days` days, and when the type first appears in that span. */
export function anomalyInputs(sql: Queryable, hour: Date, days: number): Promise<AnomalyInput[]> {
  return sql<AnomalyInput[]>`
    with w as (
      select r.tenant, r.type, r.hour, sum(r.events)::float8 as events
      from switchyard.metric_rollups r
      where r.type <> '*' and r.hour >= ${hour}::timestamptz - make_interval(days => ${days}) and r.hour <= ${hour}
        and r.type !~ '^(metrics|alert)\\.'
      group by 1, 2, 3
    )
    select w.tenant, w.type, min(w.hour) as "firstHour",
      coalesce(sum(w.events) filter (where w.hour = ${hour}), 0)::float8 as value,
      coalesce(jsonb_agg(jsonb_build_array(w.hour, w.events)) filter (where w.hour < ${hour}
        and extract(epoch from ${hour}::timestamptz - w.hour)::bigint % 86400 = 0), '[]') as past
    from w group by 1, 2`;
}

export interface SeriesRow {
  hour: Date;
  events: number;
  attempts: number;
  attemptsOk: number;
  dead: number;
  p50: number | null;
  p95: number | null;
  relayLagMs: number | null;
}

/** Hourly totals for one tenant (or `*`, the whole system) over [from, to). */
export function hourlySeries(
  sql: Queryable,
  tenant: string | null,
  from: Date,
  to: Date,
): Promise<SeriesRow[]> {
  return sql<SeriesRow[]>`
    select r.hour, r.events::float8 as events, r.attempts::float8 as attempts, r.attempts_ok::float8 as "attemptsOk",
      r.dead::float8 as dead, r.latency_p50_ms as p50, r.latency_p95_ms as p95, r.relay_lag_ms::float8 as "relayLagMs"
    from switchyard.rollups_between(${from}, ${to}, ${tenant}) r
    where r.tenant = ${tenant ?? "*"} and r.type = '*'
    order by r.hour`;
}

/** Event types by count over [from, to), for a tenant or all. */
export function topTypes(sql: Queryable, tenant: string | null, from: Date, to: Date, limit = 10) {
  return sql<{ type: string; events: number }[]>`
    select r.type, sum(r.events)::float8 as events
    from switchyard.rollups_between(${from}, ${to}, ${tenant}) r
    where r.type <> '*' and r.tenant <> '*'
    group by 1 order by 2 desc, 1 limit ${limit}`;
}

export function relayLagHours(sql: Queryable, from: Date, to: Date) {
  return sql<{ hour: Date; maxLagMs: number; lastLagMs: number | null }[]>`
    select hour, max_lag_ms::float8 as "maxLagMs", last_lag_ms::float8 as "lastLagMs"
    from switchyard.metric_relay_lag where hour >= ${from} and hour < ${to} order by hour`;
}

/** Keeps the worst relay-lag sample of the hour. */
export async function sampleRelayLag(
  sql: Queryable,
  hour: Date,
  lagMs: number,
  lagEvents: number,
): Promise<void> {
  await sql`
    insert into switchyard.metric_relay_lag as l (hour, max_lag_ms, max_lag_events, last_lag_ms, samples)
    values (${hour}, ${lagMs}, ${lagEvents}, ${lagMs}, 1)
    on conflict (hour) do update set max_lag_ms = greatest(l.max_lag_ms, excluded.max_lag_ms),
      max_lag_events = greatest(l.max_lag_events, excluded.max_lag_events), last_lag_ms = excluded.last_lag_ms,
      samples = l.samples + 1, updated_at = now()`;
}

export interface CounterRow {
  tenant: string;
  type: string;
  events: number;
  attempts: number;
  attemptsOk: number;
  dead: number;
}

/** All-time counters per tenant and type (`*`: the tenant's delivery totals), stored plus live. */
export function counters(sql: Queryable, now: Date): Promise<CounterRow[]> {
  return sql<CounterRow[]>`
    select r.tenant, r.type, sum(r.events)::float8 as events, sum(r.attempts)::float8 as attempts,
      sum(r.attempts_ok)::float8 as "attemptsOk", sum(r.dead)::float8 as dead
    from switchyard.rollups_between('-infinity', date_trunc('hour', ${now}::timestamptz, 'UTC') + interval '1 hour') r
    where r.tenant <> '*' group by 1, 2 order by 1, 2`;
}

/** Delivery latencies per tenant: how many fall in each bucket (index = bounds below the value). */
export function latencyBuckets(sql: Queryable, boundsMs: number[]) {
  return sql<{ tenant: string; bucket: number; n: number; sumMs: number }[]>`
    select f.tenant, (select count(*) from unnest(${boundsMs}::float8[]) b where b < f.latency_ms)::int as bucket,
      count(*)::float8 as n, sum(f.latency_ms)::float8 as "sumMs"
    from switchyard.metric_delivery_facts('-infinity', 'infinity') f
    where not f.dead and f.latency_ms is not null group by 1, 2`;
}

/** `switchyard.health()`: relay lag, delivery backlog, conciliations; absent parts are missing. */
export async function healthFigures(sql: Queryable) {
  const [row] = await sql<{ h: HealthFigures }[]>`select switchyard.health() as h`;
  return row.h ?? {};
}

export interface HealthFigures {
  relay?: { lag_ms: number | null; lag_events: number | null; active?: boolean };
  deliveries?: { due: number; inFlight?: number; held?: number; dead: number };
  conciliations?: { pending: number; exhausted: number };
}

export function activeTenants(sql: Queryable) {
  return sql<
    { slug: string }[]
  >`select slug from switchyard.tenants where status = 'active' order by slug`;
}

export interface OpenAlert {
  key: string;
  kind: string;
  tenant: string | null;
  subject: string;
}

export function openAlerts(sql: Queryable) {
  return sql<OpenAlert[]>`select key, kind, tenant, subject from switchyard.alert_state`;
}

/** Per tenant over [from, to): attempts, failed attempts, dead letters. */
export function deliveryWindow(sql: Queryable, from: Date, to: Date) {
  return sql<{ tenant: string; attempts: number; failed: number; dead: number }[]>`
    select f.tenant, count(*) filter (where not f.dead)::int as attempts,
      count(*) filter (where not f.dead and not f.ok)::int as failed, count(*) filter (where f.dead)::int as dead
    from switchyard.metric_delivery_facts(${from}, ${to}) f group by 1`;
}

/** Failing endpoints' breakers (`endpoint:<id>`), from the endpoints' failure streaks. */
export function endpointBreakers(sql: Queryable) {
  return sql<{ name: string; tenant: string; state: string }[]>`
    select 'endpoint:' || endpoint_id as name, tenant, state from switchyard.endpoint_breakers()`;
}

/** Current delivery states of deliveries created in [from, to). */
export function deliveryStatuses(sql: Queryable, tenant: string | null, from: Date, to: Date) {
  return sql<{ status: string; n: number }[]>`
    select d.status, count(*)::int as n from switchyard.deliveries d
    where d.created_at >= ${from} and d.created_at < ${to} and (${tenant}::text is null or d.tenant = ${tenant})
    group by 1`;
}

export interface DeadLetterRow {
  id: string;
  deliveryId: string;
  tenant: string;
  endpointId: string;
  endpoint: string | null;
  eventId: string;
  eventType: string | null;
  reason: string | null;
  tries: number;
  deadAt: Date;
}

/** Dead letters not replayed yet, newest first. */
export function openDeadLetters(sql: Queryable, tenant: string | null, limit: number) {
  return sql<DeadLetterRow[]>`
    select l.id, l.delivery_id as "deliveryId", l.tenant, l.endpoint_id as "endpointId",
      coalesce(ep.name, ep.url, ep.kind) as endpoint, l.event_id as "eventId", e.type as "eventType",
      left(l.reason, 300) as reason, l.tries, l.dead_at as "deadAt"
    from switchyard.dead_letters l
    left join switchyard.endpoints ep on ep.id = l.endpoint_id
    left join switchyard.events e on e.id = l.event_id
    where l.replayed_at is null and (${tenant}::text is null or l.tenant = ${tenant})
    order by l.dead_at desc limit ${limit}`;
}

export function openAlertList(sql: Queryable, tenant: string | null) {
  return sql<
    { kind: string; tenant: string | null; subject: string; openedAt: Date; value: number | null }[]
  >`
    select kind, tenant, subject, opened_at as "openedAt", value from switchyard.alert_state
    where ${tenant}::text is null or tenant is null or tenant = ${tenant} order by opened_at desc`;
}
