-- track(): row changes become <entity>.created|updated|deleted; no-op updates and rollbacks leave nothing.
insert into switchyard.tenants (slug, name) values ('acme', 'Acme');
create table public.orders (tenant_id text, id text primary key, status text, total numeric);
select switchyard.track('public.orders', 'order', 'tenant_id', 'id');

insert into orders values ('acme', 'o1', 'PENDING', 10);
update orders set status = 'CONFIRMED' where id = 'o1';
update orders set status = 'CONFIRMED' where id = 'o1';
delete from orders where id = 'o1';
begin;
insert into orders values ('acme', 'o2', 'PENDING', 5);
rollback;

do $$
begin
  assert (select array_agg(type order by version) from switchyard.events) = '{order.created,order.updated,order.deleted}',
    'three events in order';
  assert (select data #>> '{new,status}' from switchyard.events where type = 'order.created') = 'PENDING', 'created carries the new row';
  assert (select data -> 'changed' from switchyard.events where type = 'order.updated') = '["status"]', 'updated names the changed columns';
  assert (select data #>> '{old,status}' from switchyard.events where type = 'order.updated') = 'PENDING', 'updated carries the old row';
  assert (select data #>> '{old,id}' from switchyard.events where type = 'order.deleted') = 'o1', 'deleted carries the old row';
  assert not exists (select from switchyard.events where entity_id = 'o2'), 'a rolled-back insert leaves no event';
end $$;

select switchyard.untrack('public.orders');
insert into orders values ('acme', 'o3', 'PENDING', 1);
do $$ begin assert not exists (select from switchyard.events where entity_id = 'o3'), 'untracked tables are not captured'; end $$;

do $$
begin
  begin
    perform switchyard.track('public.orders', 'Bad Name', 'tenant_id', 'id');
    assert false, 'expected a bad entity type to be refused';
  exception when invalid_parameter_value then null;
  end;
  begin
    perform switchyard.track('public.orders', 'order', 'nope', 'id');
    assert false, 'expected a missing column to be refused';
  exception when undefined_column then null;
  end;
end $$;
