-- Deliveries that stay isolated and honest under faults: a per-endpoint in-flight limit, one circuit
-- breaker per endpoint shared by every function instance (kept in the endpoint row), tries that keep
-- their schedule while the breaker is open, auto-disable judged by failing time or failed probe
-- rounds, and deliveries held (not sent, not lost) while their endpoint is disabled.
-- Replaces claim_deliveries, next_delivery_due and record_delivery_outcomes of 20261124005000.

alter table switchyard.endpoints
  -- null: the deployment's default (DELIVERY_MAX_IN_FLIGHT).
  add column max_in_flight integer check (max_in_flight between 1 and 1000),
  -- null: closed. Before it: open (tries that fall due are counted, not sent). After it: one probe.
  add column breaker_open_until timestamptz,
  -- How many times running the breaker opened without a success in between (a failed round).
  add column failed_rounds integer not null default 0;

alter table switchyard.deliveries drop constraint deliveries_status_check;
-- held: routed to a disabled endpoint, or waiting while it is disabled; enabling makes it pending.
alter table switchyard.deliveries add constraint deliveries_status_check
  check (status in ('pending', 'held', 'delivered', 'dead'));

create index deliveries_endpoint_due on switchyard.deliveries (endpoint_id, due_at, seq) where status = 'pending';
-- The claims in flight per endpoint (a lease is cleared when its outcome is recorded).
create index deliveries_leased on switchyard.deliveries (endpoint_id) where status = 'pending' and lease is not null;
create index deliveries_held on switchyard.deliveries (endpoint_id) where status = 'held';

drop function switchyard.claim_deliveries(integer, text, text[], integer);
drop function switchyard.next_delivery_due(text[]);
drop function switchyard.record_delivery_outcomes(jsonb, integer, interval);

-- The claim. Modelled on graphile-worker's getJobs: one statement, rows locked FOR UPDATE SKIP
-- LOCKED so any number of claimers (function instances) run side by side without waiting on each
-- other, each claim leased (due_at moves to the lease's end) so a claimer that dies gives its rows
-- back on their own.
-- Locking strategy: first the endpoint rows that have work due, longest-waiting first, each locked
-- FOR NO KEY UPDATE SKIP LOCKED: two claimers never fill the same endpoint's room at once, and
-- a claimer that finds an endpoint taken moves on to the next one instead of waiting (routing's
-- foreign-key checks take KEY SHARE, which this lock does not block). Then per endpoint at most
-- its room (in-flight limit minus live leases) of its due deliveries, oldest first, locked SKIP
-- LOCKED. We tried one global `order by due_at limit n` first: it hands a slow endpoint's backlog
-- every free slot, which is how one slow endpoint stalled all others (issue 12). The lateral
-- per-endpoint limit makes a slow, failing or rate-limited endpoint hold only its own share.
-- The room is counted in the statement's snapshot: two claimers racing on one endpoint in the same
-- instant can overshoot its limit by one claim; the endpoint lock makes that rare, never unbounded.
-- Breaker: closed, every claimed row is sent; open, rows are claimed to count their try (the
-- breaker stops sending, not the retry clock); past breaker_open_until, one row is claimed as the
-- probe and the breaker stays open (until the probe's lease ends) for everyone else.
create function switchyard.claim_deliveries(
  p_limit integer, p_lease text, p_default_in_flight integer default 32, p_margin_ms integer default 15000
) returns table (
  id text, tenant text, endpoint_id text, event_id text, tries integer, replay boolean,
  send boolean, probe boolean, endpoint json, event jsonb
) language sql as $$
  with ready as (
    select
      ep.id,
      ep.ordered,
      ep.timeout_ms,
      case
        when ep.breaker_open_until is null then 'closed'
        when ep.breaker_open_until > now() then 'open'
        else 'half-open'
      end as breaker,
      coalesce(ep.max_in_flight, p_default_in_flight) - (
        select count(*)
        from switchyard.deliveries l
        where l.endpoint_id = ep.id and l.status = 'pending' and l.lease is not null and l.due_at > now()
      )::integer as room
    from switchyard.endpoints ep
    cross join lateral (
      select min(d.due_at) as oldest
      from switchyard.deliveries d
      where d.endpoint_id = ep.id and d.status = 'pending' and d.due_at <= now()
    ) w
    where ep.enabled
      and w.oldest is not null
    order by w.oldest
    for no key update of ep skip locked
  ),
  picked as (
    select d.id, r.id as endpoint_id, r.timeout_ms, r.breaker <> 'open' as send, r.breaker = 'half-open' as probe
    from ready r
    cross join lateral (
      select d.id
      from switchyard.deliveries d
      where d.endpoint_id = r.id
        and d.status = 'pending'
        and d.due_at <= now()
        and (not r.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
      order by d.due_at, d.seq
      -- An open breaker sends nothing, so counting tries takes no room; a half-open one sends one probe.
      limit case r.breaker when 'open' then p_limit when 'half-open' then least(1, greatest(r.room, 0)) else greatest(r.room, 0) end
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
    returning d.id, d.tenant, d.endpoint_id, d.event_id, d.tries, d.replay, p.send, p.probe
  )
  select c.id, c.tenant, c.endpoint_id, c.event_id, c.tries, c.replay, c.send, c.probe,
    json_build_object('id', ep.id, 'tenant', ep.tenant, 'kind', ep.kind, 'name', ep.name, 'url', ep.url,
      'secret', ep.secret, 'previous_secret', case when ep.previous_valid_until > now() then ep.previous_secret end,
      'headers', ep.headers, 'credentials', ep.credentials, 'transform', ep.transform, 'timeout_ms', ep.timeout_ms,
      'retry_schedule', ep.retry_schedule, 'rate_limit_per_second', ep.rate_limit_per_second, 'chats', ep.chats),
    to_jsonb(e)
  from claimed c
  join switchyard.endpoints ep on ep.id = c.endpoint_id
  join switchyard.events e on e.id = c.event_id
$$;

-- When to look again: per enabled endpoint, the end of its earliest live lease (a dead claimer's
-- rows come back then) and, if it has room, its earliest claimable delivery. An endpoint at its
-- in-flight limit has nothing claimable until an outcome frees a slot, and whoever holds its slots
-- claims again when it records one; so "due now" here always means someone can claim.
-- p_first_try_grace: the scheduler looks at a never-claimed first attempt only this much after it
-- fell due, since the invocation that routed it starts it at once.
create function switchyard.next_delivery_due(
  p_default_in_flight integer default 32, p_first_try_grace interval default '0'
) returns timestamptz
language sql stable as $$
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
$$;

-- Records a batch of outcomes in one statement. Each element: {id, lease, kind: delivered|retry|
-- dead|release, sent, probe, delay_ms, ok, status, latency_ms, error, excerpt}. `release` gives a
-- claim back untried (rate-limited, flow control); `sent: false` is a try counted while the breaker
-- was open (it moves the delivery along its schedule and says nothing about the endpoint).
-- Locking: the deliveries rows are the claimer's own (only the holder of the current lease may
-- record, so a claimer that outlived its lease changes nothing); the endpoint rows are updated in
-- one statement per batch (row locks in the order Postgres meets them; a deadlock with another
-- batch is retried by the caller, 40P01).
-- Breaker and auto-disable judge rounds, never concurrent attempts: a batch with a success closes
-- the breaker; sent failures add to the streak and open it once the streak reaches
-- p_breaker_failures (one failed round), a failed probe reopens it (another round); failures of
-- tries sent before it opened change nothing more. The endpoint is disabled after p_max_rounds
-- failed rounds running or p_max_failing of failing, and its waiting deliveries are held.
create function switchyard.record_delivery_outcomes(
  p_outcomes jsonb,
  p_breaker_failures integer default 5,
  p_breaker_open interval default '10 seconds',
  p_max_rounds integer default 60,
  p_max_failing interval default '24 hours'
) returns table (kind text, id text, tenant text, endpoint_id text, event_id text, dead_letter_id text, tries integer, reason text)
language sql as $$
  with input as (
    select o.*, d.tenant, d.endpoint_id, d.event_id, d.tries + (o.kind <> 'release')::integer as new_tries
    from jsonb_to_recordset(p_outcomes) as o(id text, lease text, kind text, sent boolean, probe boolean,
      delay_ms integer, ok boolean, status integer, latency_ms integer, error text, excerpt text)
    join switchyard.deliveries d on d.id = o.id and d.lease = o.lease and d.status = 'pending'
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
  where y.trip
$$;

-- Disables an endpoint (an operator, or a caller that judged it): its waiting deliveries are held.
-- Answers the endpoint's tenant when it was enabled until now (so the caller appends endpoint.disabled once).
create function switchyard.disable_endpoint(p_id text, p_reason text)
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
    where d.endpoint_id = p_id and d.status = 'pending' and (d.lease is null or d.due_at <= now())
  )
  select * from changed
$$;

-- Enables an endpoint: the failure record is forgotten and held deliveries start a new round now.
create function switchyard.enable_endpoint(p_id text) returns boolean
language sql as $$
  with changed as (
    update switchyard.endpoints
    set enabled = true, disabled_reason = null, disabled_at = null, failure_streak = 0, failing_since = null,
      breaker_open_until = null, failed_rounds = 0, updated_at = now()
    where id = p_id
    returning id
  ),
  released as (
    update switchyard.deliveries d set status = 'pending', tries = 0, due_at = now(), lease = null, updated_at = now()
    from changed c
    where d.endpoint_id = c.id and d.status = 'held'
  )
  select exists (select from changed) and (select true from pg_notify('switchyard_deliveries', ''))
$$;

-- The breaker as metrics see it, now that it is shared: open while breaker_open_until is set or
-- the endpoint was disabled for failing; only endpoints that are failing are listed.
create or replace function switchyard.endpoint_breakers()
returns table (endpoint_id text, tenant text, state text, failure_streak integer)
language sql stable as $$
  select ep.id, ep.tenant,
    case when ep.breaker_open_until is not null or (not ep.enabled and ep.disabled_reason like 'disabled automatically%') then 'open' else 'closed' end,
    ep.failure_streak
  from switchyard.endpoints ep
  where ep.failure_streak > 0 or ep.breaker_open_until is not null
    or (not ep.enabled and ep.disabled_reason like 'disabled automatically%')
$$;
