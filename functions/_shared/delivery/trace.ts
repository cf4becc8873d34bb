/** Deliveries and their attempts for a page of a timeline, in one query. */
import type { Sql } from "../db.ts";

export interface AttemptSummary {
  at: string;
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

export interface DeliverySummary {
  id: string;
  endpointId: string;
  status: string;
  /** Why the last try failed, or why the delivery was cancelled. */
  lastError: string | null;
  attempts: AttemptSummary[];
  replay?: boolean;
  nextAttemptAt?: string | null;
  deliveredAt?: string | null;
}

/** Deliveries of each event id, keyed by event id; one query for the whole page. */
export async function deliveriesForEvents(
  sql: Sql,
  tenant: string,
  eventIds: string[],
): Promise<Map<string, DeliverySummary[]>> {
  const out = new Map<string, DeliverySummary[]>();
  if (eventIds.length === 0) return out;
  const rows = await sql<(DeliverySummary & { eventId: string })[]>`
    select d.event_id as "eventId", d.id, d.endpoint_id as "endpointId", d.status, d.replay, d.last_error as "lastError",
      case when d.status = 'pending' then to_char(switchyard.delivery_next_attempt(d) at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end as "nextAttemptAt",
      to_char(d.delivered_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "deliveredAt",
      coalesce((select json_agg(json_build_object(
          'at', to_char(a.attempted_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'ok', a.ok, 'status', a.status, 'latencyMs', a.latency_ms, 'error', a.error,
          'responseExcerpt', a.response_excerpt) order by a.id)
        from switchyard.delivery_attempts a where a.delivery_id = d.id), '[]'::json) as attempts
    from switchyard.deliveries d
    where d.tenant = ${tenant} and d.event_id = any(${eventIds}::text[])
    order by d.seq`;
  for (const { eventId, ...d } of rows) out.set(eventId, [...(out.get(eventId) ?? []), d]);
  return out;
}
