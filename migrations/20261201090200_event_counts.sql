-- `switchyard status` counted each tenant's events by reading them: the last 24 hours through
-- events_tenant_recorded_at and the total as the sum of entity_versions. With 721,300 events that
-- was 350 ms, and it grows with the log. Appends now count what they add per UTC hour, and status
-- sums the counts.
--
-- Each appending backend counts into its own shard (its pid mod 16), so concurrent appends of one
-- tenant never wait on one another's counter row. Hours older than two days are folded into the
-- tenant's `-infinity` row when events are pruned, so the table stays a few rows per tenant and hour.

create table switchyard.event_counts (
  tenant text not null references switchyard.tenants (slug) on delete cascade,
  hour   timestamptz not null check (hour = '-infinity' or hour = date_trunc('hour', hour, 'UTC')),
  shard  smallint not null,
  events bigint not null,
  primary key (tenant, hour, shard)
);
alter table switchyard.event_counts enable row level security;
grant all on switchyard.event_counts to service_role;

-- What was appended before counting began: the last two days by hour, the rest in `-infinity`
-- (entity versions count every event ever appended, pruned ones too).
insert into switchyard.event_counts (tenant, hour, shard, events)
select e.tenant, date_trunc('hour', e.recorded_at, 'UTC'), 0, count(*)
from switchyard.events e
where e.recorded_at >= date_trunc('hour', now(), 'UTC') - interval '2 days'
group by 1, 2;
insert into switchyard.event_counts (tenant, hour, shard, events)
select v.tenant, '-infinity', 0, v.total - coalesce(c.recent, 0)
from (select tenant, sum(version)::bigint as total from switchyard.entity_versions group by 1) v
left join (select tenant, sum(events)::bigint as recent from switchyard.event_counts group by 1) c
  on c.tenant = v.tenant
where v.total > coalesce(c.recent, 0);

-- The append path of 20261124000200, unchanged, and around it the count of what it appended
-- (duplicates add nothing).
alter function switchyard.append_events(jsonb) rename to append_events_uncounted;

create function switchyard.append_events(batch jsonb)
returns table (idx integer, id text, version integer, duplicate boolean)
language plpgsql as $$
#variable_conflict use_column
begin
  return query
  with appended as materialized (
    select * from switchyard.append_events_uncounted(batch)
  ),
  counted as (
    insert into switchyard.event_counts as c (tenant, hour, shard, events)
    select (batch -> a.idx) ->> 'tenant', date_trunc('hour', now(), 'UTC'), pg_backend_pid() % 16, count(*)
    from appended a
    where not a.duplicate
    group by 1
    order by 1
    on conflict (tenant, hour, shard) do update set events = c.events + excluded.events
  )
  select a.idx, a.id, a.version, a.duplicate from appended a order by a.idx;
end $$;

-- Folds the hours before p_before into each tenant's `-infinity` row; answers how many tenants.
create function switchyard.fold_event_counts(p_before timestamptz) returns integer language sql as $$
  with old as (
    delete from switchyard.event_counts c
    where c.hour < p_before and c.hour <> '-infinity'
    returning c.tenant, c.events
  ), folded as (
    insert into switchyard.event_counts as c (tenant, hour, shard, events)
    select o.tenant, '-infinity', 0, sum(o.events) from old o group by o.tenant
    on conflict (tenant, hour, shard) do update set events = c.events + excluded.events
    returning 1
  )
  select count(*)::integer from folded
$$;

-- Pruning (the retention job, or pg_cron's run_retention) folds the counts too.
create or replace function switchyard.prune_events(p_before timestamptz, p_batch integer default 5000)
returns integer language sql as $$
  select switchyard.fold_event_counts(date_trunc('hour', now(), 'UTC') - interval '2 days');
  with doomed as (
    select e.id from switchyard.events e where e.recorded_at < p_before
    order by e.recorded_at limit p_batch for update skip locked
  ), gone as (delete from switchyard.events e using doomed d where e.id = d.id returning 1)
  select count(*)::integer from gone
$$;

-- events_24h: this hour and the 23 before it (counted per UTC hour); events_total: every event
-- the tenant appended, pruned ones included, as before.
create or replace function switchyard.tenant_status() returns table (
  tenant text, status text, events_24h bigint, events_total bigint, endpoints bigint,
  deliveries_due bigint, dead_letters bigint, conciliations_pending bigint
) language sql stable as $$
  select t.slug, t.status,
    coalesce((select sum(c.events) from switchyard.event_counts c
      where c.tenant = t.slug and c.hour >= date_trunc('hour', now(), 'UTC') - interval '23 hours'), 0)::bigint,
    coalesce((select sum(c.events) from switchyard.event_counts c where c.tenant = t.slug), 0)::bigint,
    (select count(*) from switchyard.endpoints ep where ep.tenant = t.slug and ep.enabled),
    (select count(*) from switchyard.deliveries d where d.tenant = t.slug and d.status = 'pending' and d.due_at <= now()),
    (select count(*) from switchyard.dead_letters dl where dl.tenant = t.slug and dl.replayed_at is null),
    (select count(*) from switchyard.dto_conciliations c where c.tenant = t.slug and c.status = 'pending')
  from switchyard.tenants t
  order by t.slug
$$;
