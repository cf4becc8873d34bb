-- An attempt goes with its delivery: written only for a delivery the outcome updated, deleted with
-- the delivery however that is deleted (directly, with its endpoint, with its event).
insert into switchyard.tenants (slug, name) values ('acme', 'Acme'), ('beta', 'Beta');
insert into switchyard.endpoints (id, tenant, kind, url, secret) values
  ('ep_a', 'acme', 'webhook', 'https://a.example/hook', 'v1.x.y'),
  ('ep_b', 'beta', 'webhook', 'https://b.example/hook', 'v1.x.y');
select count(*) from switchyard.append_events('[
  {"tenant":"acme","type":"order.created","entity_type":"order","entity_id":"o1"},
  {"tenant":"acme","type":"order.created","entity_type":"order","entity_id":"o2"},
  {"tenant":"acme","type":"order.created","entity_type":"order","entity_id":"o3"},
  {"tenant":"beta","type":"order.created","entity_type":"order","entity_id":"o1"}
]') \g /dev/null
insert into switchyard.deliveries (id, tenant, endpoint_id, event_id, entity_type, entity_id, version)
select 'dlv_' || e.tenant || '_' || e.entity_id, e.tenant, case e.tenant when 'acme' then 'ep_a' else 'ep_b' end,
  e.id, e.entity_type, e.entity_id, e.version
from switchyard.events e;

do $$
declare outcomes jsonb;
begin
  perform * from switchyard.claim_deliveries(10, 'L1');
  assert (select count(*) from switchyard.deliveries where lease = 'L1') = 4, 'all four were claimed';
  select jsonb_agg(jsonb_build_object('id', d.id, 'lease', 'L1', 'kind', 'delivered', 'ok', true,
      'status', 200, 'latency_ms', 3))
    || '[{"id":"dlv_nobody","lease":"L1","kind":"delivered","ok":true,"status":200,"latency_ms":3}]'
    || '[{"id":"dlv_acme_o1","lease":"L-other","kind":"delivered","ok":true,"status":200,"latency_ms":3}]'
  into outcomes
  from switchyard.deliveries d;
  perform * from switchyard.record_delivery_outcomes(outcomes);
  assert (select count(*) from switchyard.deliveries where status = 'delivered') = 4, 'all four delivered';
  assert (select count(*) from switchyard.delivery_attempts) = 4,
    'one attempt per delivery recorded; none for an unknown delivery or a stale lease';
  assert not exists (select from switchyard.delivery_attempts where delivery_id = 'dlv_nobody'),
    'no attempt names a delivery that does not exist';
end $$;

do $$
begin
  delete from switchyard.deliveries where id = 'dlv_acme_o3';
  assert (select count(*) from switchyard.delivery_attempts) = 3, 'a deleted delivery takes its attempt';
  assert not exists (select from switchyard.delivery_attempts where delivery_id = 'dlv_acme_o3');

  delete from switchyard.endpoints where id = 'ep_a';
  assert (select array_agg(delivery_id) from switchyard.delivery_attempts) = '{dlv_beta_o1}',
    'deleting an endpoint deletes its deliveries'' attempts, and only theirs';

  delete from switchyard.events where tenant = 'beta';
  assert not exists (select from switchyard.delivery_attempts),
    'pruning an event deletes its deliveries'' attempts';
end $$;
