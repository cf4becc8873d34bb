-- Plans that stay right on a busy queue table, whatever its statistics say. The held-back check's
-- index led with the endpoint, so for "this endpoint's due deliveries, oldest first" (the claim,
-- next_delivery_due) the planner could pick it over deliveries_endpoint_due, then read and sort
-- every pending row of the endpoint: on a fresh table (no statistics yet) it did, 776 rows per
-- endpoint per claim beside a slow endpoint's backlog (bench/noisy-neighbour.ts). Leading with the
-- entity, it serves only what it is for: switchyard.delivery_held_back's lookup of one entity's
-- earlier pending versions at one endpoint.
drop index switchyard.deliveries_entity_pending;
create index deliveries_entity_pending on switchyard.deliveries (entity_type, entity_id, endpoint_id, version)
  where status = 'pending';

-- A queue table: most rows change within seconds of being written. Vacuum and analyze it long before
-- the default 20 % of rows are dead, so index scans do not wade through dead versions.
alter table switchyard.deliveries set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Tries that fall due while an endpoint's breaker is open are counted here, in bulk, instead of
-- being claimed and recorded one by one like sends: a failing endpoint's backlog used to make most
-- of every claim and every outcome batch, and a healthy endpoint's next claim waited behind them
-- (healthy p99 3.5× alone, bench/noisy-neighbour.ts). The claim now takes only endpoints whose
-- breaker is closed or half-open (so every claimed row is sent), and the worker calls
-- count_unsent_tries on its own, a few times a second, beside its claims.
drop function switchyard.claim_deliveries(integer, text, integer, integer);

-- The claim of 20261201010200 (20261201010100 explains its locking) without open-breaker endpoints.
create function switchyard.claim_deliveries(
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
      coalesce(ep.max_in_flight, p_default_in_flight) - (
        select count(*)
        from switchyard.deliveries l
        where l.endpoint_id = ep.id and l.status = 'pending' and l.lease is not null and l.due_at > now()
      )::integer as room
    from switchyard.endpoints ep
    cross join lateral (
      select d.due_at as oldest
      from switchyard.deliveries d
      where d.endpoint_id = ep.id and d.status = 'pending' and d.due_at <= now()
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
    set due_at = now() + make_interval(secs => (p.timeout_ms + p_margin_ms) / 1000.0),
      lease = p_lease
    from picked p
    where d.id = p.id
    returning d.id, d.tenant, d.endpoint_id, d.event_id, d.tries, d.replay, p.probe
  )
  select c.id, c.tenant, c.endpoint_id, c.event_id, c.tries, c.replay, c.probe,
    json_build_object('id', ep.id, 'tenant', ep.tenant, 'kind', ep.kind, 'name', ep.name, 'url', ep.url,
      'secret', ep.secret, 'previous_secret', case when ep.previous_valid_until > now() then ep.previous_secret end,
      'headers', ep.headers, 'credentials', ep.credentials, 'transform', ep.transform, 'timeout_ms', ep.timeout_ms,
      'retry_schedule', ep.retry_schedule, 'rate_limit_per_second', ep.rate_limit_per_second, 'chats', ep.chats),
    to_jsonb(e)
  from claimed c
  join switchyard.endpoints ep on ep.id = c.endpoint_id
  join switchyard.events e on e.id = c.event_id;
end
$$;

-- Counts one try of up to p_limit due deliveries of endpoints whose breaker is open (the breaker
-- stops sending, not the clock): each moves along its endpoint's retry schedule, logged as an
-- attempt with p_error, or is dead-lettered when the schedule has run out (afterFailure in
-- functions/_shared/delivery/backoff.ts is the same rule for tries that were sent). Rows are locked
-- SKIP LOCKED, so claimers and other counters never wait on each other; the endpoint row is only
-- read (a try not sent says nothing about the endpoint). Answers every counted row, with the
-- dead-letter id and the event for the dead ones (the caller appends their delivery.dead).
create function switchyard.count_unsent_tries(p_limit integer, p_error text)
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

-- The outcome batch and next_delivery_due as PL/pgSQL too, their statements those of
-- 20261201010100 (which explains them). A SQL function's statement is parsed, analysed and planned
-- again at every call: on empty tables 2.0 ms for the claim and 3.2 ms for this one before any row
-- is read. PL/pgSQL keeps the parsed statement; force_custom_plan still plans each call for the
-- table as it is now (a generic plan cached while the table was small kept seq-scanning it once it
-- had grown), 1.1 and 1.4 ms.
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
    -- read for 111 outcomes in bench/deliver.ts).
    cross join lateral (
      select d.tenant, d.endpoint_id, d.event_id, d.tries
      from switchyard.deliveries d
      where d.id = o.id and d.lease = o.lease and d.status = 'pending'
      limit 1
    ) d
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
    where t.trip and d.endpoint_id = t.id and d.status = 'pending' and (d.lease is null or d.due_at <= now())
      and not exists (select from input i where i.id = d.id)
  )
  select 'dead'::text, x.delivery_id, x.tenant, x.endpoint_id, x.event_id, x.dl_id, x.tries, x.reason
  from dead x
  union all
  select 'disabled'::text, null, y.tenant, y.id, null, null, null, y.disabled_reason
  from endpoints_changed y
  where y.trip;
end
$$;

create or replace function switchyard.next_delivery_due(
  p_default_in_flight integer default 32, p_first_try_grace interval default '0'
) returns timestamptz
language plpgsql stable set plan_cache_mode = force_custom_plan as $$
begin
  return (
  select min(least(f.lease_end, case when f.in_flight < coalesce(ep.max_in_flight, p_default_in_flight) then w.at end))
  from switchyard.endpoints ep
  cross join lateral (
    select count(*) as in_flight, min(l.due_at) as lease_end
    from switchyard.deliveries l
    where l.endpoint_id = ep.id and l.status = 'pending' and l.lease is not null and l.due_at > now()
  ) f
  left join lateral (
    select d.due_at + case when d.tries = 0 and d.lease is null then p_first_try_grace else interval '0' end as at
    from switchyard.deliveries d
    where d.endpoint_id = ep.id
      and d.status = 'pending'
      and (d.lease is null or d.due_at <= now())
      and (not ep.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
    order by d.due_at, d.seq
    limit 1
  ) w on true
  where ep.enabled
  );
end
$$;

-- Foreign keys to the tenant row that nothing needs, off the hot path. Every insert checks its
-- foreign keys with FOR KEY SHARE on the referenced row, so every delivery, attempt and dead letter
-- of a tenant share-locked that tenant's one row: concurrent transactions turn the lock into a
-- MultiXact, and routing, claims, outcomes and the counting of unsent tries all queued on it (27,000
-- checks in a 15 s noisy-neighbour run). Each of these rows already hangs off one that cascades
-- from the tenant (a delivery off its endpoint, an attempt and a dead letter off their delivery), so
-- deleting a tenant still deletes them and no row can name a tenant that does not exist.
alter table switchyard.deliveries drop constraint deliveries_tenant_fkey;
alter table switchyard.delivery_attempts drop constraint delivery_attempts_tenant_fkey;
alter table switchyard.dead_letters drop constraint dead_letters_tenant_fkey;
