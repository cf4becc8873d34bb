-- The maintenance system's table. Switchyard captures its row changes (switchyard.track) as
-- work_order.created / work_order.updated / work_order.deleted events: the maintenance code stays as
-- it is. Idempotent: load.ts and the test apply it on every start.

create schema if not exists maint;

create table if not exists maint.work_orders (
  tenant_id     text not null references switchyard.tenants (slug) on delete cascade,
  work_order_id text not null check (work_order_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  asset         text not null check (length(asset) between 1 and 200),
  description   text not null default '' check (length(description) <= 2000),
  status        text not null default 'OPEN' check (status in ('OPEN', 'IN_PROGRESS', 'DONE', 'CANCELLED')),
  priority      text not null default 'MEDIUM' check (priority in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  due_date      date,
  updated_at    timestamptz not null default now(),
  primary key (tenant_id, work_order_id)
);

select switchyard.track('maint.work_orders', 'work_order', 'tenant_id', 'work_order_id');
