-- Tenants never see each other: row-level security on the log and on API keys.
insert into switchyard.tenants (slug, name) values ('acme', 'Acme'), ('beta', 'Beta');
select switchyard.emit('acme', 'order.created', 'order', 'o1');
select switchyard.emit('beta', 'order.created', 'order', 'o9');
insert into switchyard.api_keys (tenant, prefix, hash) values ('acme', 'sy_a', 'h1'), ('beta', 'sy_b', 'h2');

grant select on switchyard.api_keys to authenticated;
set role authenticated;
set switchyard.tenant = 'acme';
do $$
begin
  assert (select count(*) from switchyard.events) = 1, 'acme sees one event';
  assert (select entity_id from switchyard.events) = 'o1', 'acme sees only its own event';
  assert (select count(*) from switchyard.api_keys) = 1, 'acme sees only its own key';
  assert (select count(*) from switchyard.tenants) = 1, 'acme sees only itself';
end $$;
set switchyard.tenant = '';
do $$
begin
  assert (select count(*) from switchyard.events) = 0, 'no tenant, no rows';
end $$;
reset role;
