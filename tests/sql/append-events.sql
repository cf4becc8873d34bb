-- The one append path: versions per entity, dedup keys, expected versions, input order.
insert into switchyard.tenants (slug, name) values ('acme', 'Acme'), ('beta', 'Beta');

do $$
declare r record; ids text[];
begin
  select array_agg(id order by idx) into ids from switchyard.append_events('[
    {"tenant":"acme","type":"order.created","entity_type":"order","entity_id":"o1"},
    {"tenant":"acme","type":"order.confirmed","entity_type":"order","entity_id":"o1","dedup_key":"k1"},
    {"tenant":"acme","type":"order.confirmed","entity_type":"order","entity_id":"o1","dedup_key":"k1"},
    {"tenant":"beta","type":"order.created","entity_type":"order","entity_id":"o1","dedup_key":"k1"}
  ]');
  assert ids[2] = ids[3], 'a repeated dedup key in one batch answers the first event';
  assert ids[4] <> ids[2], 'dedup keys are per tenant';
  assert (select array_agg(version order by version) from switchyard.events where tenant = 'acme') = '{1,2}',
    'acme/order/o1 got versions 1 and 2 only';
  assert (select version from switchyard.events where tenant = 'beta') = 1, 'versions are per tenant';

  select * into r from switchyard.append_events('[{"tenant":"acme","type":"order.confirmed","entity_type":"order","entity_id":"o1","dedup_key":"k1"}]');
  assert r.duplicate and r.id = ids[2] and r.version = 2, 'a known dedup key returns the original';
end $$;

-- A wrong expected version fails the whole batch and writes nothing.
do $$
declare before bigint := (select count(*) from switchyard.events);
begin
  begin
    perform switchyard.append_events('[
      {"tenant":"acme","type":"order.shipped","entity_type":"order","entity_id":"o2"},
      {"tenant":"acme","type":"order.shipped","entity_type":"order","entity_id":"o1","expected_version":1}
    ]');
    assert false, 'expected a version conflict';
  exception when sqlstate 'SY409' then null;
  end;
  assert (select count(*) from switchyard.events) = before, 'nothing was written';
  assert not exists (select from switchyard.entity_versions where entity_id = 'o2'), 'no version was consumed';
end $$;

-- The database refuses malformed events even if a caller skips validation.
do $$
begin
  begin
    perform switchyard.append_events('[{"tenant":"acme","type":"Order Created","entity_type":"order","entity_id":"o3"}]');
    assert false, 'expected a check violation';
  exception when check_violation then null;
  end;
  begin
    perform switchyard.append_events('[{"tenant":"nobody","type":"order.created","entity_type":"order","entity_id":"o3"}]');
    assert false, 'expected a foreign key violation';
  exception when foreign_key_violation then null;
  end;
end $$;

-- Ids are made whatever the caller's search_path: a capture trigger appends in the writer's session,
-- which may not have pgcrypto's schema on it (Supabase keeps extensions in their own schema).
do $$
declare r record;
begin
  perform set_config('search_path', 'pg_catalog', true);
  select * into r from switchyard.append_events('[{"tenant":"acme","type":"order.created","entity_type":"order","entity_id":"sp1"}]');
  assert r.id ~ '^evt_[0-9a-f]{32}$', 'an id made without pgcrypto on the search path';
  assert (select e.id from switchyard.events e where e.entity_id = 'sp1') = r.id, 'the answer names the stored event';
end $$;
