-- append_events answered in input order by joining what it inserted back to what it numbered, on
-- four columns. The planner cannot see how many rows a CTE holds and chose a nested loop: 10,000
-- comparisons for a batch of 100 (a million for a batch of 1,000), a fifth of the statement's time.
-- The ids are now made before the insert, with the column's own default, so the answer comes from
-- the numbered rows alone: every one of them is inserted, or the statement fails.
--
-- The default becomes a function, so the column and the append make ids one way (time-ordered:
-- microseconds, then 72 random bits; see 20261201070100_event_indexes.sql).

-- A SQL-standard body is bound when it is created, as the default expression was: it finds
-- pgcrypto wherever it is installed, whatever the search_path of the session appending.
create function switchyard.new_event_id() returns text language sql volatile
begin atomic
  select 'evt_' || lpad(to_hex((extract(epoch from clock_timestamp()) * 1000000)::bigint), 14, '0')
    || encode(gen_random_bytes(9), 'hex');
end;
alter table switchyard.events alter column id set default switchyard.new_event_id();

-- The append path of 20261124000200 (counted by append_events, 20261201090200), but for the ids.
create or replace function switchyard.append_events_uncounted(batch jsonb)
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
      numbered as materialized (
        select r.*, (b.last_version - r.cnt + r.n)::integer as assigned, switchyard.new_event_id() as id
        from ranked r join bumped b using (tenant, entity_type, entity_id)
      ),
      inserted as (
        insert into switchyard.events as e (id, tenant, type, entity_type, entity_id, version, occurred_at,
          correlation_id, causation_id, data, metadata)
        select n.id, n.tenant, n.type, n.entity_type, n.entity_id, n.assigned, coalesce(n.occurred_at, now()),
          n.correlation_id, n.causation_id, coalesce(n.data, '{}'), coalesce(n.metadata, '{}')
        from numbered n
        where case when n.expected_version is null then true
          else switchyard.check_expected_version(n.expected_version, n.assigned, n.tenant, n.entity_type, n.entity_id) end
        order by n.idx
      )
      -- Every numbered row is inserted (or the statement fails), so the answer needs no join back.
      select n.idx, n.id, n.assigned, false from numbered n order by n.idx;
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
      numbered as materialized (
        select r.*, (b.last_version - r.cnt + r.n)::integer as assigned, switchyard.new_event_id() as id
        from ranked r join bumped b using (tenant, entity_type, entity_id)
      ),
      inserted as (
        insert into switchyard.events as e (id, tenant, type, entity_type, entity_id, version, occurred_at,
          dedup_key, correlation_id, causation_id, data, metadata)
        select n.id, n.tenant, n.type, n.entity_type, n.entity_id, n.assigned, coalesce(n.occurred_at, now()),
          n.dedup_key, n.correlation_id, n.causation_id, coalesce(n.data, '{}'), coalesce(n.metadata, '{}')
        from numbered n
        where case when n.expected_version is null then true
          else switchyard.check_expected_version(n.expected_version, n.assigned, n.tenant, n.entity_type, n.entity_id) end
        order by n.idx
      )
      select array_agg(i.idx order by i.idx), array_agg(coalesce(k.id, n.id) order by i.idx),
        array_agg(coalesce(k.version, n.assigned) order by i.idx),
        array_agg(k.id is not null or i.first_idx <> i.idx order by i.idx)
      into r_idx, r_id, r_version, r_duplicate
      from keyed i
      left join known k on k.idx = i.first_idx
      left join numbered n on n.idx = i.first_idx;
      exit;
    exception when unique_violation then
      attempt := attempt + 1;
      if attempt >= 3 then raise; end if;
    end;
  end loop;
  return query select * from unnest(r_idx, r_id, r_version, r_duplicate);
end $$;
