-- A claim moved each delivery's due_at to its lease's end and set its lease. Both were indexed
-- (deliveries_endpoint_due, deliveries_leased and its predicate), so every claimed row was a new
-- tuple with seven index entries: 10 WAL records and 46 buffers per claimed delivery, 139 µs of
-- Postgres time (pg_stat_statements over a 60,000-delivery drain in bench/deliver.ts's workload).
--
-- A claim now writes only columns no index reads, `lease` and the new `lease_until`, so its update
-- is HOT (fillfactor 80 leaves the room on the page): 2.9 WAL records and 30 buffers, 94 µs. A
-- pending delivery keeps its due_at while it is in flight; it is free to claim when it has no
-- lease or its lease has ended (`lease is null or lease_until <= now()`), and in flight otherwise.
--
-- The room per endpoint was a count of its live leases through deliveries_leased. That index goes
-- (any index on the lease would make the claim's update non-HOT again); each claim instead records
-- how many deliveries it took per endpoint in delivery_claims, and each outcome takes its own back.
-- A claim's rows at one endpoint share its lease and its end, so a claim whose worker died stops
-- counting when its lease ends, exactly as its rows become free. What clears a lease without an
-- outcome (an endpoint deleted, a dead letter revived: neither is in flight) needs no count back.

alter table switchyard.deliveries add column lease_until timestamptz;
-- In flight at the upgrade: the lease's end was due_at.
update switchyard.deliveries set lease_until = due_at where lease is not null;
alter table switchyard.deliveries set (fillfactor = 80);
drop index switchyard.deliveries_leased;
comment on column switchyard.deliveries.due_at is 'When pending: the next try (kept while a claim is in flight).';
comment on column switchyard.deliveries.lease_until is 'The end of the claim''s lease: past it, the delivery may be claimed again.';

create table switchyard.delivery_claims (
  endpoint_id text not null references switchyard.endpoints (id) on delete cascade,
  lease       text not null,
  until       timestamptz not null,
  live        integer not null check (live > 0),
  primary key (endpoint_id, lease)
);
alter table switchyard.delivery_claims enable row level security;
grant all on switchyard.delivery_claims to service_role;
-- The leases in flight at the upgrade.
insert into switchyard.delivery_claims (endpoint_id, lease, until, live)
select d.endpoint_id, d.lease, max(d.lease_until), count(*)
from switchyard.deliveries d
where d.status = 'pending' and d.lease is not null and d.lease_until > now()
group by d.endpoint_id, d.lease;

-- When a pending delivery will be tried next: its due time, or while a claim holds it, the claim's end.
create function switchyard.delivery_next_attempt(d switchyard.deliveries) returns timestamptz
language sql immutable as $$
  select case when d.lease is not null then greatest(d.due_at, d.lease_until) else d.due_at end
$$;

-- The outcome batch of 20261201100100: a lease is cleared with its end, and each outcome frees its
-- claim's slot.
create or replace function switchyard.record_delivery_outcomes(
  p_outcomes jsonb,
  p_breaker_failures integer default 5,
  p_breaker_open interval default '10 seconds',
  p_max_rounds integer default 60,
  p_max_failing interval default '24 hours'
) returns table (kind text, id text, tenant text, endpoint_id text, event_id text, dead_letter_id text, tries integer, reason text)
language plpgsql set plan_cache_mode = force_custom_plan as $$
#variable_conflict use_column
begin
  return query
  with input as (
    select o.*, d.tenant, d.endpoint_id, d.event_id, d.tries + (o.kind <> 'release')::integer as new_tries
    from jsonb_to_recordset(p_outcomes) as o(id text, lease text, kind text, sent boolean, probe boolean,
      delay_ms integer, ok boolean, status integer, latency_ms integer, error text, excerpt text)
    -- One primary-key lookup per outcome, whatever the statistics say: as a join, a table that had
    -- grown since it was last analyzed got a hash join over every pending delivery (13,655 rows
    -- read for 111 outcomes in bench/deliver.ts). The lease and status are checked outside the
    -- lookup: inside it, they matched deliveries_leased's predicate, and the planner walked that
    -- index (every live lease) once per outcome.
    cross join lateral (
      select d.tenant, d.endpoint_id, d.event_id, d.tries, d.lease, d.status
      from switchyard.deliveries d
      where d.id = o.id
      limit 1
    ) d
    where d.lease = o.lease and d.status = 'pending'
  ),
  judged as (
    select
      ep.id,
      ep.tenant,
      ep.enabled,
      ep.failure_streak as old_streak,
      ep.failing_since as old_since,
      ep.breaker_open_until as old_open_until,
      ep.failed_rounds as old_rounds,
      bool_or(i.ok) as any_ok,
      ep.failure_streak + (count(*) filter (where not i.ok))::integer as streak,
      bool_or(i.probe and not i.ok) as probe_failed
    from input i
    join switchyard.endpoints ep on ep.id = i.endpoint_id
    where i.kind <> 'release' and coalesce(i.sent, true)
    group by ep.id
  ),
  next_state as (
    select
      j.*,
      case when j.any_ok then 0 else j.streak end as new_streak,
      case when j.any_ok then null else coalesce(j.old_since, now()) end as new_since,
      case
        when j.any_ok then null
        when j.probe_failed or (j.old_open_until is null and j.streak >= p_breaker_failures) then now() + p_breaker_open
        else j.old_open_until
      end as new_open_until,
      case
        when j.any_ok then 0
        when j.probe_failed or (j.old_open_until is null and j.streak >= p_breaker_failures) then j.old_rounds + 1
        else j.old_rounds
      end as new_rounds
    from judged j
  ),
  trips as (
    select
      s.*,
      s.enabled and (s.new_rounds >= p_max_rounds or coalesce(s.new_since < now() - p_max_failing, false)) as trip
    from next_state s
  ),
  updated as (
    update switchyard.deliveries d set
      status = case
        when i.kind = 'delivered' then 'delivered'
        when i.kind = 'dead' then 'dead'
        when not ep.enabled or coalesce(t.trip, false) then 'held'
        else 'pending'
      end,
      tries = i.new_tries,
      due_at = now() + make_interval(secs => coalesce(i.delay_ms, 0) / 1000.0),
      lease = null,
      lease_until = null,
      last_status = case when i.kind = 'release' then d.last_status else i.status end,
      last_error = case when i.kind = 'release' then d.last_error else i.error end,
      delivered_at = case when i.kind = 'delivered' then now() end,
      updated_at = now()
    from input i
    join switchyard.endpoints ep on ep.id = i.endpoint_id
    left join trips t on t.id = i.endpoint_id
    where d.id = i.id
    returning d.id
  ),
  attempts as (
    insert into switchyard.delivery_attempts (delivery_id, tenant, ok, status, latency_ms, error, response_excerpt)
    select i.id, i.tenant, i.ok, i.status, i.latency_ms, i.error, i.excerpt
    from input i
    where i.kind <> 'release'
  ),
  dead as (
    insert into switchyard.dead_letters (delivery_id, tenant, endpoint_id, event_id, reason, tries)
    select i.id, i.tenant, i.endpoint_id, i.event_id, i.error, i.new_tries
    from input i
    where i.kind = 'dead'
    returning dead_letters.id as dl_id, delivery_id, dead_letters.tenant, dead_letters.endpoint_id,
      dead_letters.event_id, dead_letters.tries, dead_letters.reason
  ),
  endpoints_changed as (
    update switchyard.endpoints ep set
      failure_streak = t.new_streak,
      failing_since = t.new_since,
      breaker_open_until = t.new_open_until,
      failed_rounds = t.new_rounds,
      enabled = ep.enabled and not t.trip,
      disabled_at = case when t.trip then now() else ep.disabled_at end,
      disabled_reason = case when t.trip then format(
        'disabled automatically after %s failed rounds (%s consecutive failures) since %s',
        t.new_rounds, t.new_streak, to_char(t.new_since at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        else ep.disabled_reason end,
      updated_at = case when t.trip then now() else ep.updated_at end
    from trips t
    where ep.id = t.id
      and (t.trip or t.new_streak <> t.old_streak or t.new_since is distinct from t.old_since
        or t.new_open_until is distinct from t.old_open_until or t.new_rounds <> t.old_rounds)
    returning ep.id, ep.tenant, ep.disabled_reason, ep.disabled_at, t.trip
  ),
  held as (
    -- Rows of a just-disabled endpoint that nobody holds a live lease on (this batch's own rows are
    -- handled above; in-flight ones are held when their outcome is recorded).
    update switchyard.deliveries d set status = 'held', updated_at = now()
    from trips t
    where t.trip and d.endpoint_id = t.id and d.status = 'pending' and (d.lease is null or d.lease_until <= now())
      and not exists (select from input i where i.id = d.id)
  ),
  -- Each outcome frees its claim's slot at the endpoint; a claim whose last slot is freed goes.
  freed as (
    select i.endpoint_id, i.lease, count(*)::integer as n from input i group by i.endpoint_id, i.lease
  ),
  claims_left as (
    update switchyard.delivery_claims c set live = c.live - f.n
    from freed f
    where c.endpoint_id = f.endpoint_id and c.lease = f.lease and c.live > f.n
  ),
  claims_done as (
    delete from switchyard.delivery_claims c using freed f
    where c.endpoint_id = f.endpoint_id and c.lease = f.lease and c.live <= f.n
  )
  select 'dead'::text, x.delivery_id, x.tenant, x.endpoint_id, x.event_id, x.dl_id, x.tries, x.reason
  from dead x
  union all
  select 'disabled'::text, null, y.tenant, y.id, null, null, null, y.disabled_reason
  from endpoints_changed y
  where y.trip;
end
$$;

-- The claim of 20261201100100: the room is the endpoint's limit less its claims in flight, the
-- rows taken are its oldest free due ones, and the claim writes only the lease.
create or replace function switchyard.claim_deliveries(
  p_limit integer, p_lease text, p_default_in_flight integer default 32, p_margin_ms integer default 15000
) returns table (
  id text, tenant text, endpoint_id text, event_id text, tries integer, replay boolean,
  probe boolean, endpoint json, event jsonb
) language plpgsql set plan_cache_mode = force_custom_plan as $$
#variable_conflict use_column
begin
  return query
  with ready as (
    select
      ep.id,
      ep.ordered,
      ep.timeout_ms,
      ep.breaker_open_until is not null as probe,
      coalesce(ep.max_in_flight, p_default_in_flight) - coalesce((
        select sum(c.live)
        from switchyard.delivery_claims c
        where c.endpoint_id = ep.id and c.until > now()
      ), 0)::integer as room
    from switchyard.endpoints ep
    cross join lateral (
      select d.due_at as oldest
      from switchyard.deliveries d
      where d.endpoint_id = ep.id and d.status = 'pending' and d.due_at <= now()
        and (d.lease is null or d.lease_until <= now())
      order by d.due_at
      limit 1
    ) w
    where ep.enabled
      and (ep.breaker_open_until is null or ep.breaker_open_until <= now())
    order by w.oldest
    for no key update of ep skip locked
  ),
  picked as (
    select d.id, r.id as endpoint_id, r.timeout_ms, r.probe
    from ready r
    cross join lateral (
      select d.id
      from switchyard.deliveries d
      where d.endpoint_id = r.id
        and d.status = 'pending'
        and d.due_at <= now()
        and (d.lease is null or d.lease_until <= now())
        and (not r.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
      order by d.due_at, d.seq
      -- Closed: up to the endpoint's room; half-open (past breaker_open_until): its one probe.
      limit case when r.probe then least(1, greatest(r.room, 0)) else greatest(r.room, 0) end
      for update of d skip locked
    ) d
    limit p_limit
  ),
  probing as (
    update switchyard.endpoints ep
    set breaker_open_until = now() + make_interval(secs => (p.timeout_ms + p_margin_ms) / 1000.0)
    from picked p
    where ep.id = p.endpoint_id and p.probe
  ),
  claimed as (
    update switchyard.deliveries d
    set lease = p_lease,
      lease_until = now() + make_interval(secs => (p.timeout_ms + p_margin_ms) / 1000.0)
    from picked p
    where d.id = p.id
    returning d.id, d.tenant, d.endpoint_id, d.event_id, d.tries, d.replay, d.lease_until, p.probe
  ),
  counted as (
    insert into switchyard.delivery_claims as c (endpoint_id, lease, until, live)
    select x.endpoint_id, p_lease, max(x.lease_until), count(*)::integer
    from claimed x
    group by x.endpoint_id
    on conflict (endpoint_id, lease) do update
      set live = c.live + excluded.live, until = greatest(c.until, excluded.until)
  ),
  -- Claims that ended without their outcomes (a worker died): they count no more, their rows are free.
  ended as (
    delete from switchyard.delivery_claims c using ready r
    where c.endpoint_id = r.id and c.until <= now() and c.lease <> p_lease
  )
  select c.id, c.tenant, c.endpoint_id, c.event_id, c.tries, c.replay, c.probe,
    json_build_object('id', ep.id, 'tenant', ep.tenant, 'kind', ep.kind, 'name', ep.name, 'url', ep.url,
      'secret', ep.secret, 'previous_secret', case when ep.previous_valid_until > now() then ep.previous_secret end,
      'headers', ep.headers, 'credentials', ep.credentials, 'transform', ep.transform, 'timeout_ms', ep.timeout_ms,
      'retry_schedule', ep.retry_schedule, 'rate_limit_per_second', ep.rate_limit_per_second, 'chats', ep.chats),
    ev.event
  from claimed c
  join switchyard.endpoints ep on ep.id = c.endpoint_id
  -- One primary-key lookup per claimed row (see 20261201100100).
  cross join lateral (select to_jsonb(e) as event from switchyard.events e where e.id = c.event_id limit 1) ev;
end
$$;

-- What is due is what is free: a delivery in flight is not waiting. Health's oldest due delivery
-- also leaves out what an ordered endpoint holds back behind its entity's earlier version (its
-- retry may be minutes away): that read as stalled deliveries while nothing was wrong.
create or replace function switchyard.next_delivery_due(
  p_default_in_flight integer default 32, p_first_try_grace interval default '0'
) returns timestamptz
language plpgsql stable set plan_cache_mode = force_custom_plan as $$
begin
  return (
  select min(least(f.lease_end, case when f.in_flight < coalesce(ep.max_in_flight, p_default_in_flight) then w.at end))
  from switchyard.endpoints ep
  cross join lateral (
    select coalesce(sum(c.live), 0) as in_flight, min(c.until) as lease_end
    from switchyard.delivery_claims c
    where c.endpoint_id = ep.id and c.until > now()
  ) f
  left join lateral (
    select d.due_at + case when d.tries = 0 and d.lease is null then p_first_try_grace else interval '0' end as at
    from switchyard.deliveries d
    where d.endpoint_id = ep.id
      and d.status = 'pending'
      and (d.lease is null or d.lease_until <= now())
      and (not ep.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
    order by d.due_at, d.seq
    limit 1
  ) w on true
  where ep.enabled
  );
end
$$;

create or replace function switchyard.count_unsent_tries(p_limit integer, p_error text)
returns table (
  id text, tenant text, endpoint_id text, event_id text, entity_type text, entity_id text,
  tries integer, dead_letter_id text, event jsonb
) language plpgsql set plan_cache_mode = force_custom_plan as $$
#variable_conflict use_column
begin
  return query
  with due as (
    select d.id, d.tries + 1 as new_tries, ep.retry_schedule as schedule
    from switchyard.endpoints ep
    cross join lateral (
      select d.id, d.tries
      from switchyard.deliveries d
      where d.endpoint_id = ep.id
        and d.status = 'pending'
        and d.due_at <= now()
        and (d.lease is null or d.lease_until <= now())
        and (not ep.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
      order by d.due_at, d.seq
      limit p_limit
      for update of d skip locked
    ) d
    where ep.enabled and ep.breaker_open_until > now()
    limit p_limit
  ),
  counted as (
    update switchyard.deliveries d set
      status = case when x.new_tries > cardinality(x.schedule) then 'dead' else 'pending' end,
      tries = x.new_tries,
      due_at = case when x.new_tries > cardinality(x.schedule) then now()
        else now() + make_interval(secs => x.schedule[x.new_tries] / 1000.0) end,
      lease = null,
      lease_until = null,
      last_status = null,
      last_error = p_error,
      updated_at = now()
    from due x
    where d.id = x.id
    returning d.id, d.tenant, d.endpoint_id, d.event_id, d.entity_type, d.entity_id, d.tries, d.status
  ),
  attempts as (
    insert into switchyard.delivery_attempts (delivery_id, tenant, ok, status, latency_ms, error, response_excerpt)
    select c.id, c.tenant, false, null, 0, p_error, null
    from counted c
  ),
  dead as (
    insert into switchyard.dead_letters (delivery_id, tenant, endpoint_id, event_id, reason, tries)
    select c.id, c.tenant, c.endpoint_id, c.event_id, p_error, c.tries
    from counted c
    where c.status = 'dead'
    returning dead_letters.id as dl_id, delivery_id
  )
  select c.id, c.tenant, c.endpoint_id, c.event_id, c.entity_type, c.entity_id, c.tries, x.dl_id,
    case when x.dl_id is not null then to_jsonb(e) end
  from counted c
  left join dead x on x.delivery_id = c.id
  left join switchyard.events e on x.dl_id is not null and e.id = c.event_id;
end
$$;

-- Health and metrics say what is in flight and what disabled endpoints hold, beside what is due.
create or replace function switchyard.health_deliveries() returns jsonb language sql stable as $$
  select jsonb_build_object(
    'due', (select count(*) from switchyard.deliveries
      where status = 'pending' and due_at <= now() and (lease is null or lease_until <= now())),
    'inFlight', (select coalesce(sum(live), 0) from switchyard.delivery_claims where until > now()),
    'held', (select count(*) from switchyard.deliveries where status = 'held'),
    'dead', (select count(*) from switchyard.dead_letters where replayed_at is null))
$$;

create or replace function switchyard.health_progress() returns jsonb language sql stable as $$
  with st as (select * from switchyard.relay_state where id)
  select jsonb_build_object(
    'relay_idle_ms', (select (extract(epoch from now() - coalesce(greatest(st.handed_over_at, st.relay_started_at), now())) * 1000)::bigint from st),
    'relay_oldest_waiting_ms', (select (extract(epoch from now() - e.recorded_at) * 1000)::bigint
      from switchyard.events e
      where e.seq > (select r.last_seq from switchyard.relay_state r where r.id)
      order by e.seq limit 1),
    'deliveries_oldest_due_ms', (select (extract(epoch from now() - min(w.due_at)) * 1000)::bigint
      from switchyard.endpoints p
      cross join lateral (
        select d.due_at from switchyard.deliveries d
        where d.endpoint_id = p.id and d.status = 'pending' and d.due_at <= now()
          and (d.lease is null or d.lease_until <= now())
          -- Held back behind its entity's earlier version (ordered): waiting by design, not stalled.
          and (not p.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
        order by d.due_at limit 1
      ) w
      where p.enabled),
    'deliveries_last_attempt_ms', (select (extract(epoch from now() - max(a.attempted_at)) * 1000)::bigint
      from switchyard.delivery_attempts a))
$$;

create or replace function switchyard.tenant_status() returns table (
  tenant text, status text, events_24h bigint, events_total bigint, endpoints bigint,
  deliveries_due bigint, dead_letters bigint, conciliations_pending bigint
) language sql stable as $$
  select t.slug, t.status,
    coalesce((select sum(c.events) from switchyard.event_counts c
      where c.tenant = t.slug and c.hour >= date_trunc('hour', now(), 'UTC') - interval '23 hours'), 0)::bigint,
    coalesce((select sum(c.events) from switchyard.event_counts c where c.tenant = t.slug), 0)::bigint,
    (select count(*) from switchyard.endpoints ep where ep.tenant = t.slug and ep.enabled),
    (select count(*) from switchyard.endpoints ep
      join switchyard.deliveries d on d.endpoint_id = ep.id and d.status = 'pending' and d.due_at <= now()
        and (d.lease is null or d.lease_until <= now())
      where ep.tenant = t.slug),
    (select count(*) from switchyard.dead_letters dl where dl.tenant = t.slug and dl.replayed_at is null),
    (select count(*) from switchyard.dto_conciliations c where c.tenant = t.slug and c.status = 'pending')
  from switchyard.tenants t
  order by t.slug
$$;

create or replace function switchyard.disable_endpoint(p_id text, p_reason text)
returns table (tenant text, disabled_at timestamptz, was_enabled boolean)
language sql as $$
  with before as (
    select ep.id, ep.enabled from switchyard.endpoints ep where ep.id = p_id for update
  ),
  changed as (
    update switchyard.endpoints ep
    set enabled = false, disabled_reason = p_reason, disabled_at = case when b.enabled then now() else ep.disabled_at end,
      breaker_open_until = null, updated_at = now()
    from before b
    where ep.id = b.id
    returning ep.tenant, ep.disabled_at, b.enabled
  ),
  held as (
    update switchyard.deliveries d set status = 'held', updated_at = now()
    where d.endpoint_id = p_id and d.status = 'pending' and (d.lease is null or d.lease_until <= now())
  )
  select * from changed
$$;
