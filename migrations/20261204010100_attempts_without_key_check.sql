-- An attempt's foreign key to its delivery was checked on every insert with FOR KEY SHARE on the
-- delivery's row, which the same statement had just updated: one more lock and WAL record per
-- outcome, and the largest single cost of recording one. In bench/deliver.ts's workload (10
-- endpoints, 20,000 deliveries a round) Postgres spent 318 µs of CPU per delivery with it and 240
-- without, and deliveries/s went from 2,200 to 2,730.
--
-- What the key gave is kept another way. An attempt is written only by the statements that record a
-- try (record_delivery_outcomes, count_unsent_tries), each for a delivery row it updated in that
-- statement, so none names a delivery that is not there. Deleting deliveries (with their endpoint,
-- tenant or event, or directly) deletes their attempts: a statement-level trigger, once per delete
-- rather than once per row.

alter table switchyard.delivery_attempts drop constraint delivery_attempts_delivery_id_fkey;

-- As the owner, as the cascade ran: whoever may delete a delivery deletes its attempts.
create function switchyard.delete_attempts_of_deleted_deliveries() returns trigger
language plpgsql security definer set search_path = pg_catalog as $$
begin
  delete from switchyard.delivery_attempts a using gone g where a.delivery_id = g.id;
  return null;
end
$$;

create trigger deliveries_attempts_go_with_them
after delete on switchyard.deliveries
referencing old table as gone
for each statement execute function switchyard.delete_attempts_of_deleted_deliveries();

-- The outcome batch of 20261202010100, its attempts written only for the rows it updated.
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
    returning d.id, i.tenant, i.kind, i.ok, i.status, i.latency_ms, i.error, i.excerpt
  ),
  -- Only for the rows this statement updated (and so holds locked): a delivery deleted meanwhile
  -- gets no attempt, and one deleted after this commits takes its attempts with it (the trigger).
  attempts as (
    insert into switchyard.delivery_attempts (delivery_id, tenant, ok, status, latency_ms, error, response_excerpt)
    select u.id, u.tenant, u.ok, u.status, u.latency_ms, u.error, u.excerpt
    from updated u
    where u.kind <> 'release'
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
