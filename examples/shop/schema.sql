-- The shop example: products and orders. Every change of an order emits its domain event with
-- switchyard.emit in the same transaction (transactional outbox), so no event is lost or invented.
-- Idempotent: load.ts and the test apply it on every start.

create schema if not exists shop;

create table if not exists shop.products (
  tenant_id text not null references switchyard.tenants (slug) on delete cascade,
  sku       text not null check (sku ~ '^[A-Z0-9-]{1,40}$'),
  name      text not null,
  stock     integer not null check (stock >= 0),
  primary key (tenant_id, sku)
);

create table if not exists shop.orders (
  tenant_id  text not null references switchyard.tenants (slug) on delete cascade,
  order_id   text not null check (order_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  sku        text not null,
  qty        integer not null check (qty between 1 and 1000),
  status     text not null default 'PENDING' check (status in ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED')),
  reason     text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, order_id),
  foreign key (tenant_id, sku) references shop.products (tenant_id, sku)
);

-- The catalogue a new shop starts with; existing stock is left as it is.
create or replace function shop.seed_catalog(p_tenant text) returns void language sql as $$
  insert into shop.products (tenant_id, sku, name, stock) values
    (p_tenant, 'MUG', 'Switchyard mug', 10),
    (p_tenant, 'TSHIRT', 'Switchyard T-shirt', 3),
    (p_tenant, 'STICKER', 'Sticker pack', 100)
  on conflict (tenant_id, sku) do nothing
$$;

create or replace function shop.order_data(o shop.orders) returns jsonb language sql immutable as $$
  select jsonb_strip_nulls(jsonb_build_object('orderId', o.order_id, 'sku', o.sku, 'qty', o.qty,
    'status', o.status, 'reason', o.reason))
$$;

-- The order, locked for the rest of the transaction.
create or replace function shop.lock_order(p_tenant text, p_order_id text)
returns shop.orders language plpgsql as $$
declare
  o shop.orders;
begin
  select * into o from shop.orders where tenant_id = p_tenant and order_id = p_order_id for update;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'no_data_found';
  end if;
  return o;
end $$;

-- Moves the order to `p_status` and emits `p_event` with its data (plus `p_extra`): the one way
-- an order's status changes.
create or replace function shop.set_status(
  p_tenant text, p_order_id text, p_status text, p_event text, p_reason text default null, p_extra jsonb default '{}'
) returns shop.orders language plpgsql as $$
declare
  o shop.orders;
begin
  update shop.orders set status = p_status, reason = p_reason, updated_at = now()
  where tenant_id = p_tenant and order_id = p_order_id returning * into o;
  perform switchyard.emit(p_tenant, p_event, 'order', o.order_id, shop.order_data(o) || p_extra);
  return o;
end $$;

-- A new order is PENDING until the stock reserver decides it: order.created.
create or replace function shop.place_order(p_tenant text, p_order_id text, p_sku text, p_qty integer)
returns shop.orders language plpgsql as $$
declare
  o shop.orders;
begin
  insert into shop.orders (tenant_id, order_id, sku, qty) values (p_tenant, p_order_id, p_sku, p_qty)
  returning * into o;
  perform switchyard.emit(p_tenant, 'order.created', 'order', o.order_id, shop.order_data(o));
  return o;
end $$;

-- Reserves the stock of a PENDING order (order.confirmed + product.stock_reserved) or refuses it
-- (order.rejected). An order already decided is returned unchanged: running this twice is harmless
-- even when the consumer's processed keys are gone.
create or replace function shop.reserve_stock(p_tenant text, p_order_id text)
returns shop.orders language plpgsql as $$
declare
  o shop.orders := shop.lock_order(p_tenant, p_order_id);
  left_in_stock integer;
begin
  if o.status <> 'PENDING' then
    return o;
  end if;
  update shop.products set stock = stock - o.qty
  where tenant_id = p_tenant and sku = o.sku and stock >= o.qty
  returning stock into left_in_stock;
  if not found then
    return shop.set_status(p_tenant, p_order_id, 'REJECTED', 'order.rejected', 'insufficient stock');
  end if;
  perform switchyard.emit(p_tenant, 'product.stock_reserved', 'product', o.sku,
    jsonb_build_object('sku', o.sku, 'orderId', o.order_id, 'qty', o.qty, 'stock', left_in_stock));
  return shop.set_status(p_tenant, p_order_id, 'CONFIRMED', 'order.confirmed');
end $$;

-- Cancels a PENDING or CONFIRMED order, giving reserved stock back: order.cancelled.
create or replace function shop.cancel_order(p_tenant text, p_order_id text)
returns shop.orders language plpgsql as $$
declare
  o shop.orders := shop.lock_order(p_tenant, p_order_id);
begin
  if o.status in ('REJECTED', 'CANCELLED') then
    return o;
  end if;
  if o.status = 'CONFIRMED' then
    update shop.products set stock = stock + o.qty where tenant_id = p_tenant and sku = o.sku;
  end if;
  return shop.set_status(p_tenant, p_order_id, 'CANCELLED', 'order.cancelled', null,
    jsonb_build_object('previousStatus', o.status, 'stockReleased', o.status = 'CONFIRMED'));
end $$;
