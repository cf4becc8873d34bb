-- Health's relay figures read the events that wait, not the whole log. Joined to relay_state, the
-- planner walked events_seq from the start and filtered `seq > last_seq` row by row: with 721,300
-- events and nothing waiting, health_relay() took 142 ms and health_progress() 141 ms, and both run
-- on every /health, every `switchyard status` and every alerts tick. As a scalar subquery the cursor
-- is known before the scan, so it is an index condition: the scan starts where the relay is.

create or replace function switchyard.health_relay() returns jsonb language sql stable as $$
  with st as (select * from switchyard.relay_state where id),
  slot as (
    select s.slot_name, s.active, s.wal_status,
      pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint as retained_bytes
    from pg_replication_slots s join st on s.slot_name = st.slot_name
    where s.database = current_database()
  ),
  pending as (
    select e.recorded_at from switchyard.events e
    where e.seq > (select r.last_seq from switchyard.relay_state r where r.id)
    order by e.seq limit 100000
  )
  select jsonb_build_object(
    'lag_events', (select count(*) from pending),
    'lag_ms', coalesce((select greatest(0, (extract(epoch from now() - min(recorded_at)) * 1000)::bigint) from pending), 0),
    'active', (select active from slot),
    'slot', (select jsonb_build_object('name', slot_name, 'wal_status', wal_status, 'retained_bytes', retained_bytes) from slot))
$$;

create or replace function switchyard.health_progress() returns jsonb language sql stable as $$
  with st as (select * from switchyard.relay_state where id)
  select jsonb_build_object(
    'relay_idle_ms', (select (extract(epoch from now() - coalesce(greatest(st.handed_over_at, st.relay_started_at), now())) * 1000)::bigint from st),
    'relay_oldest_waiting_ms', (select (extract(epoch from now() - e.recorded_at) * 1000)::bigint
      from switchyard.events e
      where e.seq > (select r.last_seq from switchyard.relay_state r where r.id)
      order by e.seq limit 1),
    'deliveries_oldest_due_ms', (select (extract(epoch from now() - d.due_at) * 1000)::bigint
      from switchyard.deliveries d join switchyard.endpoints p on p.id = d.endpoint_id
      where d.status = 'pending' and d.due_at <= now() and p.enabled order by d.due_at limit 1),
    'deliveries_last_attempt_ms', (select (extract(epoch from now() - max(a.attempted_at)) * 1000)::bigint
      from switchyard.delivery_attempts a))
$$;
