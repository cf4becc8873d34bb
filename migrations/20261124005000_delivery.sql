-- Deliveries: endpoints and their subscriptions, one delivery per (event × endpoint), an attempt
-- row per try, dead letters; the claim and outcome functions the delivery worker calls.

create table switchyard.endpoints (
  id                    text primary key default ('ep_' || replace(gen_random_uuid()::text, '-', '')),
  tenant                text not null references switchyard.tenants (slug) on delete cascade,
  name                  text check (length(name) <= 200),
  kind                  text not null check (kind in ('webhook', 'rest', 'soap', 'graphql', 'telegram')),
  url                   text check (length(url) <= 2000),
  -- Standard Webhooks secrets, sealed (AES-GCM, bound to the endpoint id; see sealing.ts); the
  -- previous one stays valid until previous_valid_until (rotation overlap).
  secret                text not null check (secret like 'v1.%'),
  previous_secret       text,
  previous_valid_until  timestamptz,
  headers               jsonb not null default '{}',
  -- AES-GCM sealed JSON (v1.<iv>.<data>); never leaves the server in an answer.
  credentials           text,
  credentials_type      text check (credentials_type in ('basic', 'bearer', 'header')),
  -- json, not jsonb: the template's key order is the body's key order.
  transform             json,
  filter                jsonb,
  chats                 text[] not null default '{}',
  timeout_ms            integer not null default 10000 check (timeout_ms between 100 and 60000),
  retry_schedule        integer[] not null default '{1000,2000,4000,8000,16000}'
                          check (cardinality(retry_schedule) <= 20 and 0 <= all(retry_schedule)),
  ordered               boolean not null default false,
  rate_limit_per_second integer check (rate_limit_per_second > 0),
  enabled               boolean not null default true,
  disabled_reason       text,
  disabled_at           timestamptz,
  failure_streak        integer not null default 0,
  failing_since         timestamptz,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  check (kind = 'telegram' or url is not null),
  check ((credentials is null) = (credentials_type is null))
);
create index endpoints_tenant on switchyard.endpoints (tenant, created_at);

create table switchyard.subscriptions (
  id          bigint generated always as identity primary key,
  tenant      text not null references switchyard.tenants (slug) on delete cascade,
  endpoint_id text not null references switchyard.endpoints (id) on delete cascade,
  pattern     text not null check (pattern ~ '^(\*|([a-z][a-z0-9_]*|\*)(\.([a-z0-9_]+|\*))*)$'),
  filter      jsonb,
  unique (endpoint_id, pattern)
);
create index subscriptions_tenant on switchyard.subscriptions (tenant);

create table switchyard.deliveries (
  seq          bigint generated always as identity,
  -- The webhook-id: stable across retries and dead-letter replays.
  id           text primary key default ('dlv_' || replace(gen_random_uuid()::text, '-', '')),
  tenant       text not null references switchyard.tenants (slug) on delete cascade,
  endpoint_id  text not null references switchyard.endpoints (id) on delete cascade,
  event_id     text not null references switchyard.events (id) on delete cascade,
  entity_type  text not null,
  entity_id    text not null,
  version      integer not null,
  replay       boolean not null default false,
  status       text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
  -- Tries in the current round; a dead-letter replay starts a new round.
  tries        integer not null default 0,
  -- When pending: the next try, or while claimed the end of the claim's lease.
  due_at       timestamptz not null default now(),
  lease        text,
  last_status  integer,
  last_error   text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  delivered_at timestamptz
);
create unique index deliveries_event_endpoint on switchyard.deliveries (event_id, endpoint_id) where not replay;
create index deliveries_due on switchyard.deliveries (due_at, seq) where status = 'pending';
create index deliveries_entity_pending on switchyard.deliveries (endpoint_id, entity_type, entity_id, version) where status = 'pending';
create index deliveries_tenant_seq on switchyard.deliveries (tenant, seq);
create index deliveries_endpoint_seq on switchyard.deliveries (endpoint_id, seq);

create table switchyard.delivery_attempts (
  id               bigint generated always as identity primary key,
  delivery_id      text not null references switchyard.deliveries (id) on delete cascade,
  tenant           text not null references switchyard.tenants (slug) on delete cascade,
  attempted_at     timestamptz not null default now(),
  ok               boolean not null,
  status           integer,
  latency_ms       integer not null,
  error            text,
  response_excerpt text check (octet_length(response_excerpt) <= 4096)
);
create index delivery_attempts_delivery on switchyard.delivery_attempts (delivery_id, id);

create table switchyard.dead_letters (
  id          text primary key default ('dl_' || replace(gen_random_uuid()::text, '-', '')),
  delivery_id text not null references switchyard.deliveries (id) on delete cascade,
  tenant      text not null references switchyard.tenants (slug) on delete cascade,
  endpoint_id text not null references switchyard.endpoints (id) on delete cascade,
  event_id    text not null,
  reason      text,
  tries       integer not null,
  dead_at     timestamptz not null default now(),
  replayed_at timestamptz
);
create index dead_letters_open on switchyard.dead_letters (tenant, endpoint_id, dead_at) where replayed_at is null;
create index dead_letters_delivery on switchyard.dead_letters (delivery_id);

-- An ordered endpoint's delivery waits while an earlier version of its entity is still pending.
create or replace function switchyard.delivery_held_back(
  p_endpoint_id text, p_entity_type text, p_entity_id text, p_version integer
) returns boolean language sql stable as $$
  select exists (
    select from switchyard.deliveries p
    where p.endpoint_id = p_endpoint_id and p.entity_type = p_entity_type and p.entity_id = p_entity_id
      and p.status = 'pending' and p.version < p_version)
$$;

-- The claim (graphile-worker's get_job is the model): due, enabled, not paused, not held back;
-- locked without waiting, leased for the endpoint's timeout plus a margin so a dead worker's claim
-- comes back on its own.
create or replace function switchyard.claim_deliveries(
  p_limit integer, p_lease text, p_paused text[] default '{}', p_margin_ms integer default 15000
) returns table (
  id text, tenant text, endpoint_id text, event_id text, tries integer, replay boolean,
  endpoint json, event jsonb
) language sql as $$
  with due as (
    select d.id
    from switchyard.deliveries d
    join switchyard.endpoints ep on ep.id = d.endpoint_id
    where d.status = 'pending' and d.due_at <= now() and ep.enabled
      and d.endpoint_id <> all(p_paused)
      and (not ep.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
    order by d.due_at, d.seq
    limit p_limit
    for update of d skip locked
  )
  update switchyard.deliveries d
  set due_at = now() + make_interval(secs => (ep.timeout_ms + p_margin_ms) / 1000.0), lease = p_lease
  from switchyard.endpoints ep, switchyard.events e
  where d.id = any(array(select due.id from due)) and ep.id = d.endpoint_id and e.id = d.event_id
  returning d.id, d.tenant, d.endpoint_id, d.event_id, d.tries, d.replay,
    json_build_object('id', ep.id, 'tenant', ep.tenant, 'kind', ep.kind, 'name', ep.name, 'url', ep.url,
      'secret', ep.secret, 'previous_secret', case when ep.previous_valid_until > now() then ep.previous_secret end,
      'headers', ep.headers, 'credentials', ep.credentials, 'transform', ep.transform, 'timeout_ms', ep.timeout_ms,
      'retry_schedule', ep.retry_schedule, 'rate_limit_per_second', ep.rate_limit_per_second, 'chats', ep.chats),
    to_jsonb(e)
$$;

-- When the worker should look again: the earliest due delivery it could claim.
create or replace function switchyard.next_delivery_due(p_paused text[] default '{}') returns timestamptz
language sql stable as $$
  select min(d.due_at)
  from switchyard.deliveries d
  join switchyard.endpoints ep on ep.id = d.endpoint_id
  where d.status = 'pending' and ep.enabled and d.endpoint_id <> all(p_paused)
    and (not ep.ordered or not switchyard.delivery_held_back(d.endpoint_id, d.entity_type, d.entity_id, d.version))
$$;

-- Records a batch of outcomes in one statement. Each element: {id, lease, kind: delivered|retry|dead|
-- release, delay_ms, ok, status, latency_ms, error, excerpt}; `release` gives a claim back untried
-- (paused, rate-limited). Only the holder of the current lease may record, so a worker that
-- outlived its lease changes nothing. Returns the deliveries that died and the endpoints that a
-- failure streak disabled.
create or replace function switchyard.record_delivery_outcomes(
  p_outcomes jsonb, p_max_streak integer default 50, p_max_failing interval default '24 hours'
) returns table (kind text, id text, tenant text, endpoint_id text, event_id text, dead_letter_id text, tries integer, reason text)
language sql as $$
  with input as (
    select o.*, d.tenant, d.endpoint_id, d.event_id, d.tries + (o.kind <> 'release')::integer as new_tries
    from jsonb_to_recordset(p_outcomes) as o(id text, lease text, kind text, delay_ms integer, ok boolean,
      status integer, latency_ms integer, error text, excerpt text)
    join switchyard.deliveries d on d.id = o.id and d.lease = o.lease and d.status = 'pending'
  ),
  updated as (
    update switchyard.deliveries d set
      status = case i.kind when 'delivered' then 'delivered' when 'dead' then 'dead' else 'pending' end,
      tries = i.new_tries,
      due_at = now() + make_interval(secs => coalesce(i.delay_ms, 0) / 1000.0),
      lease = null,
      last_status = case when i.kind = 'release' then d.last_status else i.status end,
      last_error = case when i.kind = 'release' then d.last_error else i.error end,
      delivered_at = case when i.kind = 'delivered' then now() end,
      updated_at = now()
    from input i where d.id = i.id
    returning d.id
  ),
  attempts as (
    insert into switchyard.delivery_attempts (delivery_id, tenant, ok, status, latency_ms, error, response_excerpt)
    select i.id, i.tenant, i.ok, i.status, i.latency_ms, i.error, i.excerpt from input i where i.kind <> 'release'
  ),
  dead as (
    insert into switchyard.dead_letters (delivery_id, tenant, endpoint_id, event_id, reason, tries)
    select i.id, i.tenant, i.endpoint_id, i.event_id, i.error, i.new_tries from input i where i.kind = 'dead'
    returning dead_letters.id as dl_id, delivery_id, dead_letters.tenant, dead_letters.endpoint_id,
      dead_letters.event_id, dead_letters.tries, dead_letters.reason
  ),
  streaks as (
    select ep.id, ep.tenant, ep.enabled, ep.failure_streak as old_streak, ep.failing_since as old_since,
      case when bool_or(i.ok) then 0 else ep.failure_streak + (count(*) filter (where not i.ok))::integer end as streak,
      case when bool_or(i.ok) then null else coalesce(ep.failing_since, now()) end as since
    from input i join switchyard.endpoints ep on ep.id = i.endpoint_id
    where i.kind <> 'release'
    group by ep.id
  ),
  trips as (
    select s.*, s.enabled and (s.streak >= p_max_streak or coalesce(s.since < now() - p_max_failing, false)) as trip from streaks s
  ),
  endpoints_changed as (
    update switchyard.endpoints ep set
      failure_streak = t.streak,
      failing_since = t.since,
      enabled = ep.enabled and not t.trip,
      disabled_at = case when t.trip then now() else ep.disabled_at end,
      disabled_reason = case when t.trip then format('disabled automatically after %s consecutive failures since %s',
        t.streak, to_char(t.since at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) else ep.disabled_reason end,
      updated_at = case when t.trip then now() else ep.updated_at end
    from trips t
    where ep.id = t.id and (t.trip or t.streak <> t.old_streak or t.since is distinct from t.old_since)
    returning ep.id, ep.tenant, ep.disabled_reason, t.trip
  )
  select 'dead'::text, x.delivery_id, x.tenant, x.endpoint_id, x.event_id, x.dl_id, x.tries, x.reason from dead x
  union all
  select 'disabled'::text, null, y.tenant, y.id, null, null, null, y.disabled_reason from endpoints_changed y where y.trip
$$;

create or replace function switchyard.health_deliveries() returns jsonb language sql stable as $$
  select jsonb_build_object(
    'due', (select count(*) from switchyard.deliveries where status = 'pending' and due_at <= now()),
    'dead', (select count(*) from switchyard.dead_letters where replayed_at is null))
$$;

alter table switchyard.endpoints enable row level security;
alter table switchyard.subscriptions enable row level security;
alter table switchyard.deliveries enable row level security;
alter table switchyard.delivery_attempts enable row level security;
alter table switchyard.dead_letters enable row level security;
-- Tenants may read their own delivery history; endpoints hold secrets and stay service-only.
create policy tenant_rows on switchyard.deliveries for select to authenticated using (tenant = switchyard.current_tenant());
create policy tenant_rows on switchyard.delivery_attempts for select to authenticated using (tenant = switchyard.current_tenant());
create policy tenant_rows on switchyard.dead_letters for select to authenticated using (tenant = switchyard.current_tenant());
create policy tenant_rows on switchyard.subscriptions for select to authenticated using (tenant = switchyard.current_tenant());
grant select on switchyard.deliveries, switchyard.delivery_attempts, switchyard.dead_letters, switchyard.subscriptions to authenticated;
grant all on switchyard.endpoints, switchyard.subscriptions, switchyard.deliveries, switchyard.delivery_attempts,
  switchyard.dead_letters to service_role;
