-- DTO middleware: the secondary store (one snapshot row per tenant × DTO type × key) and the
-- conciliations that repair a DTO whose composition failed.

-- `version` only moves forward: writers upsert with `where excluded.version > version`.
-- `data` null is a tombstone: the DTO's subject is gone, but its version still guards replays.
-- `applied` is the last version of each source entity ("type:id") folded into the DTO.
create table switchyard.dto_snapshots (
  tenant        text not null references switchyard.tenants (slug) on delete cascade,
  dto_type      text not null check (dto_type ~ '^[a-z][a-z0-9_]*$'),
  key           text not null check (length(key) between 1 and 200),
  version       bigint not null check (version >= 0),
  data          jsonb,
  applied       jsonb not null default '{}',
  last_event_id text,
  updated_at    timestamptz not null default now(),
  primary key (tenant, dto_type, key)
);

-- One row per DTO key that ever failed; a new failure puts it back to pending with fresh attempts.
-- Deferred retries live here (not in memory), so they survive a restart of the scheduler.
create table switchyard.dto_conciliations (
  tenant          text not null references switchyard.tenants (slug) on delete cascade,
  dto_type        text not null,
  key             text not null,
  status          text not null default 'pending' check (status in ('pending', 'resolved', 'exhausted')),
  reason          text not null,
  attempts        integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz,
  last_error      text,
  failed_event_id text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  primary key (tenant, dto_type, key),
  check (status <> 'pending' or next_attempt_at is not null)
);
create index dto_conciliations_due on switchyard.dto_conciliations (next_attempt_at) where status = 'pending';
create index dto_conciliations_status on switchyard.dto_conciliations (status, tenant);

create or replace function switchyard.health_conciliations() returns jsonb language sql stable as $$
  select jsonb_build_object(
    'pending', count(*) filter (where status = 'pending'),
    'exhausted', count(*) filter (where status = 'exhausted'))
  from switchyard.dto_conciliations
$$;

alter table switchyard.dto_snapshots enable row level security;
alter table switchyard.dto_conciliations enable row level security;
create policy tenant_rows on switchyard.dto_snapshots for select to authenticated
  using (tenant = switchyard.current_tenant());
create policy tenant_rows on switchyard.dto_conciliations for select to authenticated
  using (tenant = switchyard.current_tenant());
grant select on switchyard.dto_snapshots, switchyard.dto_conciliations to authenticated;
grant all on switchyard.dto_snapshots, switchyard.dto_conciliations to service_role;
