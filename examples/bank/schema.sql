-- The bank example: customers, their accounts and balances, captured as `customer.*`,
-- `account.*` and `balance.*` events (a balance's entity id is its account). The bank's own
-- schema, not Switchyard's. Idempotent: load.ts and the tests apply it on every start.

create schema if not exists bank;

create table if not exists bank.customers (
  tenant_id   text not null references switchyard.tenants (slug) on delete cascade,
  customer_id text not null check (length(customer_id) between 1 and 200),
  full_name   text not null,
  segment     text not null default 'retail',
  email       text,
  phone       text,
  primary key (tenant_id, customer_id)
);

create table if not exists bank.accounts (
  tenant_id   text not null,
  account_id  text not null check (length(account_id) between 1 and 200),
  customer_id text not null,
  product     text not null,
  currency    text not null check (currency ~ '^[A-Z]{3}$'),
  status      text not null default 'active' check (status in ('active', 'blocked', 'closed')),
  primary key (tenant_id, account_id),
  foreign key (tenant_id, customer_id) references bank.customers (tenant_id, customer_id) on delete cascade
);
create index if not exists accounts_customer on bank.accounts (tenant_id, customer_id);

create table if not exists bank.balances (
  tenant_id  text not null,
  account_id text not null,
  available  numeric(18, 2) not null default 0,
  ledger     numeric(18, 2) not null default 0,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, account_id),
  foreign key (tenant_id, account_id) references bank.accounts (tenant_id, account_id) on delete cascade
);

select switchyard.track('bank.customers', 'customer', 'tenant_id', 'customer_id');
select switchyard.track('bank.accounts', 'account', 'tenant_id', 'account_id');
select switchyard.track('bank.balances', 'balance', 'tenant_id', 'account_id');

alter table bank.customers enable row level security;
alter table bank.accounts enable row level security;
alter table bank.balances enable row level security;
drop policy if exists tenant_rows on bank.customers;
create policy tenant_rows on bank.customers for all to authenticated
  using (tenant_id = switchyard.current_tenant()) with check (tenant_id = switchyard.current_tenant());
drop policy if exists tenant_rows on bank.accounts;
create policy tenant_rows on bank.accounts for all to authenticated
  using (tenant_id = switchyard.current_tenant()) with check (tenant_id = switchyard.current_tenant());
drop policy if exists tenant_rows on bank.balances;
create policy tenant_rows on bank.balances for all to authenticated
  using (tenant_id = switchyard.current_tenant()) with check (tenant_id = switchyard.current_tenant());
grant usage on schema bank to authenticated, service_role;
grant select, insert, update, delete on all tables in schema bank to authenticated;
grant all on all tables in schema bank to service_role;
