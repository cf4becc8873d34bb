-- The relay's hand-over position, its health figures, and retention scheduling where pg_cron exists.

-- One row: what the pipeline has accepted, updated in the hand-over transaction.
create table switchyard.relay_state (
  id               boolean primary key default true check (id),
  slot_name        text,
  -- False from the slot's creation until the catch-up of what it cannot stream is handed over.
  slot_ready       boolean not null default false,
  last_seq         bigint not null default 0,
  handed_over      bigint not null default 0,
  handed_over_at   timestamptz,
  relay_started_at timestamptz
);
insert into switchyard.relay_state default values;

-- Lag figures and the catch-up after a lost slot read events by seq.
create index events_seq on switchyard.events (seq);

alter table switchyard.relay_state enable row level security;
grant all on switchyard.relay_state to service_role;

-- Lag counts events above the last handed-over seq (capped, so a huge backlog stays cheap to report).
create or replace function switchyard.health_relay() returns jsonb language sql stable as $$
  with st as (select * from switchyard.relay_state where id),
  slot as (
    select s.slot_name, s.active, s.wal_status,
      pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint as retained_bytes
    from pg_replication_slots s join st on s.slot_name = st.slot_name
    where s.database = current_database()
  ),
  pending as (
    select e.recorded_at from switchyard.events e, st where e.seq > st.last_seq order by e.seq limit 100000
  )
  select jsonb_build_object(
    'lag_events', (select count(*) from pending),
    'lag_ms', coalesce((select greatest(0, (extract(epoch from now() - min(recorded_at)) * 1000)::bigint) from pending), 0),
    'active', (select active from slot),
    'slot', (select jsonb_build_object('name', slot_name, 'wal_status', wal_status, 'retained_bytes', retained_bytes) from slot))
$$;

-- Retention in small committed batches, for pg_cron (the scheduler process loops in TypeScript).
create or replace procedure switchyard.run_retention(p_days integer default 30, p_batch integer default 5000)
language plpgsql as $$
declare
  n integer;
begin
  loop
    n := switchyard.prune_events(now() - make_interval(days => p_days), p_batch);
    commit;
    exit when n < p_batch;
  end loop;
end $$;

do $$
begin
  if exists (select from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('switchyard-retention', '17 * * * *', 'call switchyard.run_retention()');
  end if;
end $$;
