-- Switchyard base: schema, tenants, API keys, and the roles row-level security is written for.

create schema if not exists switchyard;
create extension if not exists pgcrypto;

-- Hosted Supabase has these roles; a plain local Postgres gets them here so policies apply as-is.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin; end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
  if not exists (select from pg_roles where rolname = 'service_role') then create role service_role nologin bypassrls; end if;
end $$;

-- The tenant a session acts for; row-level policies compare against it.
create or replace function switchyard.current_tenant() returns text
language sql stable as $$ select nullif(current_setting('switchyard.tenant', true), '') $$;

create table switchyard.tenants (
  slug        text primary key check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name        text not null check (length(name) between 1 and 200),
  status      text not null default 'active' check (status in ('active', 'disabled')),
  created_at  timestamptz not null default now(),
  disabled_at timestamptz
);

-- Keys are shown once; only a SHA-256 of the key is kept (keys carry 190+ bits of entropy).
create table switchyard.api_keys (
  id           text primary key default ('key_' || replace(gen_random_uuid()::text, '-', '')),
  tenant       text not null references switchyard.tenants (slug) on delete cascade,
  prefix       text not null,
  hash         text not null unique,
  name         text not null default 'default',
  created_at   timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
create index api_keys_tenant on switchyard.api_keys (tenant);

alter table switchyard.tenants enable row level security;
alter table switchyard.api_keys enable row level security;
create policy tenant_self on switchyard.tenants for select to authenticated
  using (slug = switchyard.current_tenant());
create policy tenant_rows on switchyard.api_keys for all to authenticated
  using (tenant = switchyard.current_tenant()) with check (tenant = switchyard.current_tenant());

grant usage on schema switchyard to authenticated, service_role;
grant select on switchyard.tenants to authenticated;
grant all on all tables in schema switchyard to service_role;
