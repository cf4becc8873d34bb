-- Progress figures for stuck states: how long since the relay last handed over while events wait,
-- and how long due deliveries of enabled endpoints have waited with no attempt anywhere.
-- Each figure is one index-ordered read, so health can ask on every call.
create or replace function switchyard.health_progress() returns jsonb language sql stable as $$
  with st as (select * from switchyard.relay_state where id)
  select jsonb_build_object(
    'relay_idle_ms', (select (extract(epoch from now() - coalesce(greatest(st.handed_over_at, st.relay_started_at), now())) * 1000)::bigint from st),
    'relay_oldest_waiting_ms', (select (extract(epoch from now() - e.recorded_at) * 1000)::bigint
      from switchyard.events e, st where e.seq > st.last_seq order by e.seq limit 1),
    'deliveries_oldest_due_ms', (select (extract(epoch from now() - d.due_at) * 1000)::bigint
      from switchyard.deliveries d join switchyard.endpoints p on p.id = d.endpoint_id
      where d.status = 'pending' and d.due_at <= now() and p.enabled order by d.due_at limit 1),
    'deliveries_last_attempt_ms', (select (extract(epoch from now() - max(a.attempted_at)) * 1000)::bigint
      from switchyard.delivery_attempts a))
$$;
