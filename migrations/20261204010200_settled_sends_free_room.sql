-- An endpoint's room was its limit less every claimed row whose outcome was not yet recorded. A
-- row whose send has finished but waits for the next outcome batch is at the endpoint no more, yet
-- it held a slot for a whole recording (the one in progress, then its own): at 500 events/s to one
-- endpoint, 32 slots a round trip of 60–100 ms could not keep up, and commit → delivered climbed to
-- 150–220 ms until a lull. The claiming worker now says how many of its rows per endpoint are
-- settled (sent or handed back, not yet recorded), and those count no more against the room.
drop function switchyard.claim_deliveries(integer, text, integer, integer);

-- The claim of 20261202010100, with the claiming worker's settled rows (p_settled: endpoint id → n).
create function switchyard.claim_deliveries(
  p_limit integer, p_lease text, p_default_in_flight integer default 32, p_margin_ms integer default 15000,
  p_settled jsonb default '{}'
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
      coalesce(ep.max_in_flight, p_default_in_flight) - greatest(coalesce((
        select sum(c.live)
        from switchyard.delivery_claims c
        where c.endpoint_id = ep.id and c.until > now()
      ), 0) - coalesce((p_settled ->> ep.id)::integer, 0), 0)::integer as room
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
