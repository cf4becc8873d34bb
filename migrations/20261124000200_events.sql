-- The event log (the outbox): one append path, per-entity versions, capture triggers, publication.

create table switchyard.events (
  seq            bigint generated always as identity,
  id             text not null default ('evt_' || replace(gen_random_uuid()::text, '-', '')) primary key,
  tenant         text not null references switchyard.tenants (slug),
  type           text not null check (type ~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$' and length(type) <= 200),
  entity_type    text not null check (entity_type ~ '^[a-z][a-z0-9_]*$' and length(entity_type) <= 100),
  entity_id      text not null check (length(entity_id) between 1 and 200),
  version        integer not null check (version > 0),
  occurred_at    timestamptz not null,
  recorded_at    timestamptz not null default now(),
  dedup_key      text check (length(dedup_key) <= 200),
  correlation_id text,
  causation_id   text,
  data           jsonb not null default '{}',
  metadata       jsonb not null default '{}',
  unique (tenant, entity_type, entity_id, version)
);
create unique index events_dedup on switchyard.events (tenant, dedup_key) where dedup_key is not null;
create index events_tenant_seq on switchyard.events (tenant, seq);
create index events_tenant_type_seq on switchyard.events (tenant, type, seq);
create index events_recorded_at on switchyard.events (recorded_at);

-- The last version handed out per entity; its row lock serializes appenders of one entity, so
-- versions are gapless and commit in version order.
create table switchyard.entity_versions (
  tenant      text not null,
  entity_type text not null,
  entity_id   text not null,
  version     integer not null,
  primary key (tenant, entity_type, entity_id)
);

create or replace function switchyard.check_expected_version(
  expected integer, assigned integer, p_tenant text, p_entity_type text, p_entity_id text
) returns boolean language plpgsql as $$
begin
  if expected is not null and expected <> assigned - 1 then
    raise exception 'entity %/% is at version %, not %', p_entity_type, p_entity_id, assigned - 1, expected
      using errcode = 'SY409', detail = json_build_object('entityType', p_entity_type, 'entityId', p_entity_id,
        'expectedVersion', expected, 'currentVersion', assigned - 1)::text;
  end if;
  return true;
end $$;

-- The one append path: ingest, capture triggers, emit() and the event generator all call it.
-- `batch` is a JSON array of {tenant, type, entity_type, entity_id, occurred_at, dedup_key,
-- expected_version, correlation_id, causation_id, data, metadata}. Rows come back in input order;
-- a known dedup key (in the log or earlier in the batch) returns the original with duplicate=true.
create or replace function switchyard.append_events(batch jsonb)
returns table (idx integer, id text, version integer, duplicate boolean)
language plpgsql as $$
declare
  attempt integer := 0;
  r_idx integer[];
  r_id text[];
  r_version integer[];
  r_duplicate boolean[];
begin
  -- The common case, no dedup key anywhere in the batch: nothing to look up or collapse, and no
  -- dedup race to retry, so one plain statement without the subtransaction.
  if not jsonb_path_exists(batch, '$[*] ? (@.dedup_key != null)') then
    return query
      with input as (
        select (r.ord - 1)::integer as idx, r.*
        from rows from (jsonb_to_recordset(batch) as (
          tenant text, type text, entity_type text, entity_id text, occurred_at timestamptz,
          expected_version integer, correlation_id text, causation_id text,
          data jsonb, metadata jsonb)) with ordinality as r(tenant, type, entity_type, entity_id,
          occurred_at, expected_version, correlation_id, causation_id, data, metadata, ord)
      ),
      ranked as (
        select i.*,
          row_number() over (partition by i.tenant, i.entity_type, i.entity_id order by i.idx) as n,
          count(*) over (partition by i.tenant, i.entity_type, i.entity_id) as cnt
        from input i
      ),
      bumped as (
        insert into switchyard.entity_versions as v (tenant, entity_type, entity_id, version)
        select i.tenant, i.entity_type, i.entity_id, count(*) from input i group by 1, 2, 3 order by 1, 2, 3
        on conflict (tenant, entity_type, entity_id) do update set version = v.version + excluded.version
        returning v.tenant, v.entity_type, v.entity_id, v.version as last_version
      ),
      numbered as (
        select r.*, (b.last_version - r.cnt + r.n)::integer as assigned
        from ranked r join bumped b using (tenant, entity_type, entity_id)
      ),
      inserted as (
        insert into switchyard.events as e (tenant, type, entity_type, entity_id, version, occurred_at,
          correlation_id, causation_id, data, metadata)
        select n.tenant, n.type, n.entity_type, n.entity_id, n.assigned, coalesce(n.occurred_at, now()),
          n.correlation_id, n.causation_id, coalesce(n.data, '{}'), coalesce(n.metadata, '{}')
        from numbered n
        where case when n.expected_version is null then true
          else switchyard.check_expected_version(n.expected_version, n.assigned, n.tenant, n.entity_type, n.entity_id) end
        order by n.idx
        returning e.id, e.version, e.tenant, e.entity_type, e.entity_id
      )
      select n.idx, ins.id, ins.version, false
      from numbered n join inserted ins on ins.tenant = n.tenant and ins.entity_type = n.entity_type
        and ins.entity_id = n.entity_id and ins.version = n.assigned
      order by n.idx;
    return;
  end if;
  -- Racing appends of one dedup key: the unique index makes the later one wait for the earlier
  -- commit and then fail; running again answers with the winner's event. Cheaper than locking
  -- every key up front, and a lost race consumes no version (the subtransaction rolls back).
  loop
    begin
      with input as (
        select (r.ord - 1)::integer as idx, r.*
        from rows from (jsonb_to_recordset(batch) as (
          tenant text, type text, entity_type text, entity_id text, occurred_at timestamptz,
          dedup_key text, expected_version integer, correlation_id text, causation_id text,
          data jsonb, metadata jsonb)) with ordinality as r(tenant, type, entity_type, entity_id,
          occurred_at, dedup_key, expected_version, correlation_id, causation_id, data, metadata, ord)
      ),
      -- The first row of each dedup key in the batch stands for the others.
      keyed as (
        select i.*, case when i.dedup_key is null then i.idx
          else min(i.idx) over (partition by i.tenant, i.dedup_key) end as first_idx
        from input i
      ),
      known as (
        select i.idx, e.id, e.version
        from input i join switchyard.events e on e.tenant = i.tenant and e.dedup_key = i.dedup_key
        where i.dedup_key is not null
      ),
      fresh as (
        select i.* from keyed i
        where i.first_idx = i.idx and (i.dedup_key is null or not exists (select from known k where k.idx = i.idx))
      ),
      ranked as (
        select f.*,
          row_number() over (partition by f.tenant, f.entity_type, f.entity_id order by f.idx) as n,
          count(*) over (partition by f.tenant, f.entity_type, f.entity_id) as cnt
        from fresh f
      ),
      -- Rows are locked in key order, so concurrent batches over the same entities cannot deadlock.
      bumped as (
        insert into switchyard.entity_versions as v (tenant, entity_type, entity_id, version)
        select f.tenant, f.entity_type, f.entity_id, count(*) from fresh f group by 1, 2, 3 order by 1, 2, 3
        on conflict (tenant, entity_type, entity_id) do update set version = v.version + excluded.version
        returning v.tenant, v.entity_type, v.entity_id, v.version as last_version
      ),
      numbered as (
        select r.*, (b.last_version - r.cnt + r.n)::integer as assigned
        from ranked r join bumped b using (tenant, entity_type, entity_id)
      ),
      inserted as (
        insert into switchyard.events as e (tenant, type, entity_type, entity_id, version, occurred_at,
          dedup_key, correlation_id, causation_id, data, metadata)
        select n.tenant, n.type, n.entity_type, n.entity_id, n.assigned, coalesce(n.occurred_at, now()),
          n.dedup_key, n.correlation_id, n.causation_id, coalesce(n.data, '{}'), coalesce(n.metadata, '{}')
        from numbered n
        where case when n.expected_version is null then true
          else switchyard.check_expected_version(n.expected_version, n.assigned, n.tenant, n.entity_type, n.entity_id) end
        order by n.idx
        returning e.id, e.version, e.tenant, e.entity_type, e.entity_id
      )
      select array_agg(i.idx order by i.idx), array_agg(coalesce(k.id, ins.id) order by i.idx),
        array_agg(coalesce(k.version, ins.version) order by i.idx),
        array_agg(k.id is not null or i.first_idx <> i.idx order by i.idx)
      into r_idx, r_id, r_version, r_duplicate
      from keyed i
      left join known k on k.idx = i.first_idx
      left join numbered n on n.idx = i.first_idx
      left join inserted ins on ins.tenant = n.tenant and ins.entity_type = n.entity_type
        and ins.entity_id = n.entity_id and ins.version = n.assigned;
      exit;
    exception when unique_violation then
      attempt := attempt + 1;
      if attempt >= 3 then raise; end if;
    end;
  end loop;
  return query select * from unnest(r_idx, r_id, r_version, r_duplicate);
end $$;

-- Appends one domain event in the caller's transaction (transactional outbox); returns its id.
create or replace function switchyard.emit(
  p_tenant text, p_type text, p_entity_type text, p_entity_id text,
  p_data jsonb default '{}', p_metadata jsonb default '{}', p_dedup_key text default null
) returns text language sql as $$
  select a.id from switchyard.append_events(jsonb_build_array(jsonb_build_object(
    'tenant', p_tenant, 'type', p_type, 'entity_type', p_entity_type, 'entity_id', p_entity_id,
    'data', coalesce(p_data, '{}'::jsonb), 'metadata', coalesce(p_metadata, '{}'::jsonb),
    'dedup_key', p_dedup_key))) a
$$;

-- Trigger body for track(): TG_ARGV = entity_type, tenant column, id column.
create or replace function switchyard.capture() returns trigger language plpgsql as $$
declare
  entity_type text := TG_ARGV[0];
  row_new jsonb := case when TG_OP <> 'DELETE' then to_jsonb(NEW) end;
  row_old jsonb := case when TG_OP <> 'INSERT' then to_jsonb(OLD) end;
  subject jsonb := coalesce(row_new, row_old);
  changed text[];
  payload jsonb;
begin
  if TG_OP = 'UPDATE' then
    select coalesce(array_agg(n.key order by n.key), '{}') into changed
    from jsonb_each(row_new) n where n.value is distinct from row_old -> n.key;
    if cardinality(changed) = 0 then return null; end if;
    payload := jsonb_build_object('new', row_new, 'old', row_old, 'changed', to_jsonb(changed));
  elsif TG_OP = 'INSERT' then
    payload := jsonb_build_object('new', row_new);
  else
    payload := jsonb_build_object('old', row_old);
  end if;
  perform switchyard.emit(subject ->> TG_ARGV[1], entity_type || '.' || case TG_OP
      when 'INSERT' then 'created' when 'UPDATE' then 'updated' else 'deleted' end,
    entity_type, subject ->> TG_ARGV[2], payload,
    jsonb_build_object('source', 'capture', 'table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME));
  return null;
end $$;

-- Captures a table's row changes as `<entity_type>.created|updated|deleted` events.
create or replace function switchyard.track(
  p_table regclass, p_entity_type text, p_tenant_column text default 'tenant_id', p_id_column text default 'id'
) returns void language plpgsql as $$
begin
  if p_entity_type !~ '^[a-z][a-z0-9_]*$' then
    raise exception 'entity type % must match ^[a-z][a-z0-9_]*$', p_entity_type using errcode = '22023';
  end if;
  perform 1 from pg_attribute where attrelid = p_table and attname = p_tenant_column and not attisdropped;
  if not found then raise exception 'column % not found on %', p_tenant_column, p_table using errcode = '42703'; end if;
  perform 1 from pg_attribute where attrelid = p_table and attname = p_id_column and not attisdropped;
  if not found then raise exception 'column % not found on %', p_id_column, p_table using errcode = '42703'; end if;
  execute format('drop trigger if exists switchyard_capture on %s', p_table);
  execute format('create trigger switchyard_capture after insert or update or delete on %s '
    'for each row execute function switchyard.capture(%L, %L, %L)', p_table, p_entity_type, p_tenant_column, p_id_column);
end $$;

create or replace function switchyard.untrack(p_table regclass) returns void language plpgsql as $$
begin
  execute format('drop trigger if exists switchyard_capture on %s', p_table);
end $$;

-- Retention in small batches, so no long lock is held; returns how many rows went.
create or replace function switchyard.prune_events(p_before timestamptz, p_batch integer default 5000)
returns integer language sql as $$
  with doomed as (
    select e.id from switchyard.events e where e.recorded_at < p_before
    order by e.recorded_at limit p_batch for update skip locked
  ), gone as (delete from switchyard.events e using doomed d where e.id = d.id returning 1)
  select count(*)::integer from gone
$$;

create publication switchyard_events for table switchyard.events with (publish = 'insert');

alter table switchyard.events enable row level security;
alter table switchyard.entity_versions enable row level security;
create policy tenant_rows on switchyard.events for select to authenticated
  using (tenant = switchyard.current_tenant());
grant select on switchyard.events to authenticated;
grant all on switchyard.events, switchyard.entity_versions to service_role;
