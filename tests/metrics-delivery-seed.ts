/** Delivery history for metrics tests: an endpoint, delivered and failed attempts, one dead letter. */
import type { Sql } from "../functions/_shared/db.ts";

/** Gives each event of `tenant` in the last `hours` a delivery with one attempt; every 10th failed. Returns the dead letter's ids. */
export async function seedDeliveries(sql: Sql, tenant: string, now: Date, hours = 24) {
  const [ep] = await sql<{ id: string }[]>`
    insert into switchyard.endpoints (tenant, name, kind, url, secret)
    values (${tenant}, 'orders webhook', 'webhook', 'http://127.0.0.1:9/hook', 'v1.not.used')
    returning id`;
  await sql`
    with ev as (
      select e.id, e.entity_type, e.entity_id, e.version, e.recorded_at, row_number() over (order by e.seq) as n
      from switchyard.events e
      where e.tenant = ${tenant} and e.recorded_at > ${now}::timestamptz - make_interval(hours => ${hours})
    ), d as (
      insert into switchyard.deliveries (tenant, endpoint_id, event_id, entity_type, entity_id, version, status, tries, created_at, delivered_at)
      select ${tenant}, ${ep.id}, ev.id, ev.entity_type, ev.entity_id, ev.version,
        case when ev.n % 10 = 0 then 'pending' else 'delivered' end, 1, ev.recorded_at, ev.recorded_at
      from ev returning id, event_id, created_at, status
    )
    insert into switchyard.delivery_attempts (delivery_id, tenant, attempted_at, ok, status, latency_ms)
    select d.id, ${tenant}, d.created_at + interval '50 ms', d.status = 'delivered',
      case when d.status = 'delivered' then 200 else 500 end, 20 + (abs(hashtext(d.id)) % 180)
    from d`;
  const [dead] = await sql<{ id: string; delivery_id: string }[]>`
    with e as (select id, entity_type, entity_id, version from switchyard.events where tenant = ${tenant} order by seq desc limit 1),
    d as (
      insert into switchyard.deliveries (tenant, endpoint_id, event_id, entity_type, entity_id, version, status, tries, last_status, last_error, replay)
      select ${tenant}, ${ep.id}, e.id, e.entity_type, e.entity_id, e.version, 'dead', 5, 503, 'HTTP 503 Service Unavailable', true from e
      returning id, event_id
    )
    insert into switchyard.dead_letters (delivery_id, tenant, endpoint_id, event_id, reason, tries, dead_at)
    select d.id, ${tenant}, ${ep.id}, d.event_id, 'HTTP 503 Service Unavailable', 5, ${now}::timestamptz - interval '20 minutes' from d
    returning id, delivery_id`;
  return { endpointId: ep.id, deadLetterId: dead.id, deliveryId: dead.delivery_id };
}
