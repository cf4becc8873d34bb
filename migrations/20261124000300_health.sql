-- `/health` reads every backlog figure in one round trip. Each part is its own function, defined
-- here as "not known yet" and replaced by the migration that owns the part.

create or replace function switchyard.health_relay() returns jsonb language sql stable as $$ select null::jsonb $$;
create or replace function switchyard.health_deliveries() returns jsonb language sql stable as $$ select null::jsonb $$;
create or replace function switchyard.health_conciliations() returns jsonb language sql stable as $$ select null::jsonb $$;

create or replace function switchyard.health() returns jsonb language sql stable as $$
  select jsonb_strip_nulls(jsonb_build_object(
    'relay', switchyard.health_relay(),
    'deliveries', switchyard.health_deliveries(),
    'conciliations', switchyard.health_conciliations()))
$$;
