-- The claim's room count read every live lease of every endpoint, once per endpoint. Counting one
-- endpoint's live leases (lease set, due_at = the lease's end in the future), the planner took
-- deliveries_due (due_at, seq) for `due_at > now()` and filtered by endpoint: with 10 endpoints and
-- 372 leases that was 2,990 buffer reads, 2.2 ms of a 7.7 ms claim of 24 rows (EXPLAIN ANALYZE,
-- bench/deliver.ts's workload). It read the endpoint's oldest due delivery through the same index
-- too. Nothing but a count across all endpoints needs an index led by due_at, so it goes: every
-- per-endpoint question is answered by deliveries_endpoint_due or by the leases' own index, which
-- now holds the lease's end, and each write of a delivery (routing, claim, outcome) updates one
-- index fewer.
drop index switchyard.deliveries_due;
drop index switchyard.deliveries_leased;
create index deliveries_leased on switchyard.deliveries (endpoint_id, due_at)
  where status = 'pending' and lease is not null;

-- The oldest due delivery of an enabled endpoint: each endpoint's own oldest, the least of them.
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
        order by d.due_at limit 1
      ) w
      where p.enabled),
    'deliveries_last_attempt_ms', (select (extract(epoch from now() - max(a.attempted_at)) * 1000)::bigint
      from switchyard.delivery_attempts a))
$$;

-- A tenant's due deliveries, counted per endpoint (the tenant's endpoints' due ranges).
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
      where ep.tenant = t.slug),
    (select count(*) from switchyard.dead_letters dl where dl.tenant = t.slug and dl.replayed_at is null),
    (select count(*) from switchyard.dto_conciliations c where c.tenant = t.slug and c.status = 'pending')
  from switchyard.tenants t
  order by t.slug
$$;

-- The outcome batch of 20261201080100 with its one change: the primary-key lookup per outcome.
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

-- The claim of 20261201080100 with its one change: each claimed row's event by its key.
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
    ev.event
  from claimed c
  join switchyard.endpoints ep on ep.id = c.endpoint_id
  -- One primary-key lookup per claimed row: as a join, a log of a few thousand events was read
  -- whole and hashed at every claim (1.3 ms of a 7.7 ms claim of 24 rows, beside 2,000 events).
  cross join lateral (select to_jsonb(e) as event from switchyard.events e where e.id = c.event_id limit 1) ev;
end
$$;
