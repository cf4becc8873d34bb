-- The tenant portal and endpoint editing: portal links (stored hashed, expiring, revocable), the
-- short-lived sessions a link is exchanged for, deleted endpoints, and cancelled deliveries.

-- A link's token is shown once (in the URL it prints) and kept only as its SHA-256.
create table switchyard.portal_links (
  id           text primary key default ('pl_' || replace(gen_random_uuid()::text, '-', '')),
  tenant       text not null references switchyard.tenants (slug) on delete cascade,
  token_hash   text not null unique,
  read_only    boolean not null default false,
  note         text check (length(note) <= 200),
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  check (expires_at > created_at)
);
create index portal_links_tenant on switchyard.portal_links (tenant, created_at);

-- The page swaps the link's token for one of these on load, so no secret stays in the URL; a
-- session never outlives its link, and revoking the link ends its sessions at once.
create table switchyard.portal_sessions (
  token_hash text primary key,
  link_id    text not null references switchyard.portal_links (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index portal_sessions_link on switchyard.portal_sessions (link_id, expires_at);

alter table switchyard.portal_links enable row level security;
alter table switchyard.portal_sessions enable row level security;
grant all on switchyard.portal_links, switchyard.portal_sessions to service_role;

-- A deleted endpoint keeps its row so its delivery history (and the timelines showing it) stays.
alter table switchyard.endpoints add column deleted_at timestamptz;

-- `cancelled`: a pending or held delivery whose endpoint was deleted; last_error says why. (The
-- statuses before it are 20261201010100_delivery_isolation.sql's.)
alter table switchyard.deliveries drop constraint deliveries_status_check;
alter table switchyard.deliveries add constraint deliveries_status_check
  check (status in ('pending', 'held', 'delivered', 'dead', 'cancelled'));
