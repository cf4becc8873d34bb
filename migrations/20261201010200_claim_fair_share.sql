-- The claim of 20261201010100 (its comment explains the locking strategy) with one change: an
-- endpoint whose breaker is open takes at most its room per claim too. Taking up to the whole claim
-- let a failing endpoint's backlog of counted tries fill claim after claim while a healthy
-- endpoint's fresh deliveries, always ordered last, waited (seen in bench/noisy-neighbour.ts).
create or replace function switchyard.claim_deliveries(
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
      -- An open breaker's rows are only counted, but still take at most its room per claim, so its
      -- backlog of tries never crowds the other endpoints out of a claim; half-open: one probe.
      limit case r.breaker when 'half-open' then least(1, greatest(r.room, 0)) else greatest(r.room, 0) end
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
