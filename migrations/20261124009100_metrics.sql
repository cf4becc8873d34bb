-- Metrics: hourly rollups per tenant and event type, relay-lag samples, alert episodes, and the
-- index the per-tenant metrics read needs.

-- /api/metrics and per-tenant rollups read a tenant's recent window; covering, so index-only.
create index if not exists events_tenant_recorded_at on switchyard.events (tenant, recorded_at) include (type, entity_type);

-- One row per (tenant, UTC hour, event type, entity type); `*` rows are totals: (tenant, hour, *, *)
-- per tenant and (*, hour, *, *) for the whole system, so percentiles need not be merged.
create table switchyard.metric_rollups (
  tenant          text not null,
  hour            timestamptz not null check (hour = date_trunc('hour', hour, 'UTC')),
  type            text not null,
  entity_type     text not null,
  events          bigint not null default 0,
  attempts        bigint not null default 0,
  attempts_ok     bigint not null default 0,
  dead            bigint not null default 0,
  latency_p50_ms  double precision,
  latency_p95_ms  double precision,
  relay_lag_ms    bigint,
  computed_at     timestamptz not null default now(),
  primary key (tenant, hour, type, entity_type)
);
create index metric_rollups_hour on switchyard.metric_rollups (hour);

-- How far the rollup job has got: every hour before `through` is rolled up.
create table switchyard.rollup_progress (
  name    text primary key,
  through timestamptz not null
);

-- Relay lag is sampled (switchyard.health()) by the alerts job; the worst sample per hour is kept.
create table switchyard.metric_relay_lag (
  hour           timestamptz primary key check (hour = date_trunc('hour', hour, 'UTC')),
  max_lag_ms     bigint not null default 0,
  max_lag_events bigint not null default 0,
  last_lag_ms    bigint,
  samples        integer not null default 0,
  updated_at     timestamptz not null default now()
);

-- Alert episodes that are open; a row appears when `alert.<kind>` is emitted and goes with `alert.resolved`.
create table switchyard.alert_state (
  key        text primary key,
  kind       text not null,
  tenant     text,
  subject    text not null,
  opened_at  timestamptz not null default now(),
  value      double precision,
  detail     jsonb not null default '{}'
);

-- Delivery windows are read by time.
create index if not exists delivery_attempts_attempted_at on switchyard.delivery_attempts (attempted_at);
create index if not exists dead_letters_dead_at on switchyard.dead_letters (dead_at);

-- One row per delivery attempt and one per dead letter in [p_from, p_to), with the event type it carried.
create or replace function switchyard.metric_delivery_facts(p_from timestamptz, p_to timestamptz, p_tenant text default null)
returns table (tenant text, at timestamptz, type text, entity_type text, ok boolean, dead boolean, latency_ms double precision)
language sql stable as $$
  select a.tenant, a.attempted_at, e.type, e.entity_type, a.ok, false, a.latency_ms::double precision
  from switchyard.delivery_attempts a
  join switchyard.deliveries d on d.id = a.delivery_id
  join switchyard.events e on e.id = d.event_id
  where a.attempted_at >= p_from and a.attempted_at < p_to and (p_tenant is null or a.tenant = p_tenant)
  union all
  select l.tenant, l.dead_at, e.type, e.entity_type, false, true, null
  from switchyard.dead_letters l
  join switchyard.events e on e.id = l.event_id
  where l.dead_at >= p_from and l.dead_at < p_to and (p_tenant is null or l.tenant = p_tenant)
$$;

-- An endpoint's breaker as metrics see it: open once it has failed 5 times running (the
-- CircuitBreaker default) or was disabled for failing; only endpoints that are failing are listed.
create or replace function switchyard.endpoint_breakers()
returns table (endpoint_id text, tenant text, state text, failure_streak integer)
language sql stable as $$
  select ep.id, ep.tenant,
    case when ep.failure_streak >= 5 or (not ep.enabled and ep.disabled_reason like 'disabled automatically%') then 'open' else 'closed' end,
    ep.failure_streak
  from switchyard.endpoints ep
  where ep.failure_streak > 0 or (not ep.enabled and ep.disabled_reason like 'disabled automatically%')
$$;

-- The rollup rows of [p_from, p_to), computed from the raw tables; the job stores them, readers use
-- it for the hours not stored yet.
create or replace function switchyard.compute_rollups(p_from timestamptz, p_to timestamptz, p_tenant text default null)
returns table (tenant text, hour timestamptz, type text, entity_type text, events bigint, attempts bigint,
  attempts_ok bigint, dead bigint, latency_p50_ms double precision, latency_p95_ms double precision, relay_lag_ms bigint)
language sql stable as $$
  with facts as (
    select e.tenant, date_trunc('hour', e.recorded_at, 'UTC') as hour, e.type, e.entity_type,
      1 as events, 0 as attempts, 0 as ok, 0 as dead, null::double precision as latency
    from switchyard.events e
    where e.recorded_at >= p_from and e.recorded_at < p_to and (p_tenant is null or e.tenant = p_tenant)
    union all
    select d.tenant, date_trunc('hour', d.at, 'UTC'), d.type, d.entity_type,
      0, case when d.dead then 0 else 1 end, case when d.ok then 1 else 0 end, case when d.dead then 1 else 0 end,
      case when d.dead then null else d.latency_ms end
    from switchyard.metric_delivery_facts(p_from, p_to, p_tenant) d
  ), grouped as (
    select coalesce(f.tenant, '*') as tenant, f.hour, coalesce(f.type, '*') as type,
      coalesce(f.entity_type, '*') as entity_type, sum(f.events)::bigint as events,
      sum(f.attempts)::bigint as attempts, sum(f.ok)::bigint as attempts_ok, sum(f.dead)::bigint as dead,
      percentile_cont(0.5) within group (order by f.latency) as p50,
      percentile_cont(0.95) within group (order by f.latency) as p95
    from facts f
    group by grouping sets ((f.tenant, f.hour, f.type, f.entity_type), (f.tenant, f.hour), (f.hour))
    having p_tenant is null or grouping(f.tenant) = 0
  )
  select g.tenant, g.hour, g.type, g.entity_type, g.events, g.attempts, g.attempts_ok, g.dead, g.p50, g.p95,
    case when g.type = '*' then l.max_lag_ms end
  from grouped g left join switchyard.metric_relay_lag l on l.hour = g.hour
$$;

-- Stores the rollups of [p_from, p_to) (whole hours); re-running an hour replaces its rows.
create or replace function switchyard.store_rollups(p_from timestamptz, p_to timestamptz) returns integer
language plpgsql as $$
declare n integer;
begin
  delete from switchyard.metric_rollups r where r.hour >= p_from and r.hour < p_to;
  insert into switchyard.metric_rollups as r (tenant, hour, type, entity_type, events, attempts, attempts_ok, dead,
    latency_p50_ms, latency_p95_ms, relay_lag_ms)
  select c.tenant, c.hour, c.type, c.entity_type, c.events, c.attempts, c.attempts_ok, c.dead,
    c.latency_p50_ms, c.latency_p95_ms, c.relay_lag_ms
  from switchyard.compute_rollups(p_from, p_to) c
  on conflict (tenant, hour, type, entity_type) do update set events = excluded.events,
    attempts = excluded.attempts, attempts_ok = excluded.attempts_ok, dead = excluded.dead,
    latency_p50_ms = excluded.latency_p50_ms, latency_p95_ms = excluded.latency_p95_ms,
    relay_lag_ms = excluded.relay_lag_ms, computed_at = now();
  get diagnostics n = row_count;
  return n;
end $$;

-- Rollups of stored hours before `through`, live ones after: one series, whatever the job's progress.
create or replace function switchyard.rollups_between(p_from timestamptz, p_to timestamptz, p_tenant text default null)
returns setof switchyard.metric_rollups language sql stable as $$
  with p as (
    select greatest(p_from, least(p_to, coalesce(
      (select r.through from switchyard.rollup_progress r where r.name = 'rollups'), '-infinity'::timestamptz))) as through
  )
  select r.* from switchyard.metric_rollups r, p
  where r.hour >= p_from and r.hour < p.through and (p_tenant is null or r.tenant = p_tenant)
  union all
  select c.*, now() from p, switchyard.compute_rollups(p.through, p_to, p_tenant) c
$$;

alter table switchyard.metric_rollups enable row level security;
alter table switchyard.rollup_progress enable row level security;
alter table switchyard.metric_relay_lag enable row level security;
alter table switchyard.alert_state enable row level security;
create policy tenant_rows on switchyard.metric_rollups for select to authenticated
  using (tenant = switchyard.current_tenant());
grant select on switchyard.metric_rollups to authenticated;
grant all on switchyard.metric_rollups, switchyard.rollup_progress, switchyard.metric_relay_lag,
  switchyard.alert_state to service_role;
