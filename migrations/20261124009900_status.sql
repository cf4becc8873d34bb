-- `switchyard status` in one round trip: per-tenant counts and the breakers that are not closed.

create or replace function switchyard.tenant_status() returns table (
  tenant text, status text, events_24h bigint, events_total bigint, endpoints bigint,
  deliveries_due bigint, dead_letters bigint, conciliations_pending bigint
) language sql stable as $$
  select t.slug, t.status,
    (select count(*) from switchyard.events e where e.tenant = t.slug and e.recorded_at > now() - interval '24 hours'),
    coalesce((select v.version_sum from (
      select sum(ev.version)::bigint as version_sum from switchyard.entity_versions ev where ev.tenant = t.slug) v), 0),
    (select count(*) from switchyard.endpoints ep where ep.tenant = t.slug and ep.enabled),
    (select count(*) from switchyard.deliveries d where d.tenant = t.slug and d.status = 'pending' and d.due_at <= now()),
    (select count(*) from switchyard.dead_letters dl where dl.tenant = t.slug and dl.replayed_at is null),
    (select count(*) from switchyard.dto_conciliations c where c.tenant = t.slug and c.status = 'pending')
  from switchyard.tenants t
  order by t.slug
$$;
