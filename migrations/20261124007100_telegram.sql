-- Telegram: chats linked to tenants through one-time codes.

-- A chat may follow several tenants; each link has its own status. Unlinked and blocked rows are
-- kept so the reason stays visible.
create table switchyard.telegram_chats (
  tenant        text not null references switchyard.tenants (slug) on delete cascade,
  chat_id       bigint not null,
  chat_type     text not null default 'private',
  title         text check (length(title) <= 256),
  username      text check (length(username) <= 64),
  status        text not null default 'active' check (status in ('active', 'unlinked', 'blocked')),
  status_reason text check (length(status_reason) <= 500),
  linked_at     timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (tenant, chat_id)
);
create index telegram_chats_chat on switchyard.telegram_chats (chat_id);
create index telegram_chats_active on switchyard.telegram_chats (tenant) where status = 'active';

-- Codes are shown once; only a SHA-256 is kept. A code works once, before it expires.
create table switchyard.telegram_link_codes (
  hash       text primary key,
  tenant     text not null references switchyard.tenants (slug) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz,
  used_by    bigint,
  check (expires_at > created_at)
);
create index telegram_link_codes_tenant on switchyard.telegram_link_codes (tenant);

alter table switchyard.telegram_chats enable row level security;
alter table switchyard.telegram_link_codes enable row level security;
create policy tenant_rows on switchyard.telegram_chats for all to authenticated
  using (tenant = switchyard.current_tenant()) with check (tenant = switchyard.current_tenant());
create policy tenant_rows on switchyard.telegram_link_codes for all to authenticated
  using (tenant = switchyard.current_tenant()) with check (tenant = switchyard.current_tenant());

grant all on switchyard.telegram_chats, switchyard.telegram_link_codes to service_role;
