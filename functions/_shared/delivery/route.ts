/**
 * Routing: each handed-over event becomes one delivery per matching endpoint, inside the hand-over
 * transaction. One read of the batch's tenants' subscriptions, the matching decided purely
 * (`matchRoutes`), one insert for the batch; (event × endpoint) is unique, so routing a batch twice
 * adds nothing. A disabled endpoint's deliveries are held (kept, not sent) until it is enabled.
 * The NOTIFY tells the scheduler when the transaction commits; the routing invocation itself
 * starts the first attempts (pipeline/deliver.ts).
 */
import type { Queryable } from "../db.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import { type Filter, matchesFilter } from "./filters.ts";
import { matchesPattern } from "../events/patterns.ts";
import { toEnvelope } from "../events/envelope.ts";
import { DELIVERIES_CHANNEL } from "./claim.ts";

export interface Subscription {
  endpointId: string;
  tenant: string;
  pattern: string;
  filter: Filter | null;
}

export interface Route {
  event: LoggedEvent;
  endpointId: string;
}

/** Which (event, endpoint) pairs to deliver. Pure. */
export function matchRoutes(events: LoggedEvent[], subscriptions: Subscription[]): Route[] {
  const byTenant = new Map<string, Subscription[]>();
  for (const s of subscriptions) {
    const list = byTenant.get(s.tenant);
    if (list) list.push(s);
    else byTenant.set(s.tenant, [s]);
  }
  const routes: Route[] = [];
  for (const event of events) {
    const seen = new Set<string>();
    let envelope: ReturnType<typeof toEnvelope> | undefined;
    for (const s of byTenant.get(event.tenant) ?? []) {
      if (seen.has(s.endpointId) || !matchesPattern(s.pattern, event.type)) continue;
      // An endpoint's own delivery.dead or endpoint.disabled never goes back to it (no loops).
      if (
        (event.type.startsWith("delivery.") || event.type.startsWith("endpoint.")) &&
        (event.data as { endpointId?: string }).endpointId === s.endpointId
      ) continue;
      if (s.filter && !matchesFilter(s.filter, envelope ??= toEnvelope(event))) continue;
      seen.add(s.endpointId);
      routes.push({ event, endpointId: s.endpointId });
    }
  }
  return routes;
}

export async function subscriptionsFor(
  sql: Queryable,
  tenants: string[],
  endpointId?: string,
): Promise<Subscription[]> {
  return await sql<Subscription[]>`
    select s.endpoint_id as "endpointId", s.tenant, s.pattern, s.filter
    from switchyard.subscriptions s
    where s.tenant = any(${tenants}::text[])
      ${endpointId ? sql`and s.endpoint_id = ${endpointId}` : sql``}
    order by s.id`;
}

/** Inserts `routes` as deliveries in one statement and wakes the workers; returns how many were new. */
export async function insertDeliveries(
  sql: Queryable,
  routes: Route[],
  opts: { replay?: boolean } = {},
): Promise<number> {
  if (routes.length === 0) return 0;
  const col = <T>(f: (r: Route) => T) => routes.map(f);
  const [{ n }] = await sql<{ n: number }[]>`
    with input as (
      select * from unnest(${col((r) => r.event.tenant)}::text[], ${
    col((r) => r.endpointId)
  }::text[],
        ${col((r) => r.event.id)}::text[], ${col((r) => r.event.entity.type)}::text[],
        ${col((r) => r.event.entity.id)}::text[], ${col((r) => r.event.version)}::integer[])
        as i(tenant, endpoint_id, event_id, entity_type, entity_id, version)
    ), inserted as (
      insert into switchyard.deliveries (tenant, endpoint_id, event_id, entity_type, entity_id, version, replay, status)
      select i.tenant, i.endpoint_id, i.event_id, i.entity_type, i.entity_id, i.version, ${
    opts.replay ?? false
  },
        case when ep.enabled then 'pending' else 'held' end
      from input i join switchyard.endpoints ep on ep.id = i.endpoint_id
      order by i.entity_type, i.entity_id, i.version
      on conflict (event_id, endpoint_id) where not replay do nothing
      returning 1
    ), counted as (select count(*)::integer as n from inserted)
    select n, (select true from pg_notify(${DELIVERIES_CHANNEL}, '') where n > 0) as woke from counted`;
  return n;
}

/** Inserts the deliveries for `events` inside the hand-over transaction `tx`; returns how many. */
export async function routeEvents(tx: Queryable, events: LoggedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const subscriptions = await subscriptionsFor(tx, [...new Set(events.map((e) => e.tenant))]);
  return insertDeliveries(tx, matchRoutes(events, subscriptions));
}
