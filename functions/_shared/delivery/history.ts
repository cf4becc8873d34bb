/** Delivery history for operators: filtered lists, one delivery with its attempts, open dead letters. */
import { z } from "zod";
import type { Sql } from "../db.ts";
import { AppError } from "../errors.ts";
import { type CursorCodec, cursorScope } from "../events/cursor.ts";
import { tenantSlugSchema } from "./endpoint-schema.ts";
import { idSchema } from "../validation.ts";

const ts = (col: string) => `to_char(${col} at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const deliveryColumns =
  `d.seq, d.id, d.tenant, d.endpoint_id as "endpointId", d.event_id as "eventId", e.type as "eventType",
  json_build_object('type', d.entity_type, 'id', d.entity_id) as entity, d.version, d.status, d.replay, d.tries,
  case when d.status = 'pending' then ${
    ts("switchyard.delivery_next_attempt(d)")
  } end as "nextAttemptAt", d.last_status as "lastStatus",
  d.last_error as "lastError", ${ts("d.created_at")} as "createdAt", ${
    ts("d.delivered_at")
  } as "deliveredAt"`;

export const deliveryFiltersSchema = z.object({
  tenant: tenantSlugSchema.optional(),
  endpoint: idSchema.optional(),
  status: z.enum(["pending", "held", "delivered", "dead", "cancelled"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
}).strict();
export type DeliveryFilters = z.infer<typeof deliveryFiltersSchema>;

/** Newest first, keyset-paginated by the delivery's sequence number. */
export async function listDeliveries(sql: Sql, cursors: CursorCodec, f: DeliveryFilters) {
  const scope = cursorScope({
    tenant: f.tenant,
    endpoint: f.endpoint,
    status: f.status,
    what: "deliveries",
  });
  const before = f.cursor ? cursors.decode(f.cursor, "list", scope) : null;
  const rows = await sql<{ seq: string }[]>`
    select ${
    sql.unsafe(deliveryColumns)
  } from switchyard.deliveries d join switchyard.events e on e.id = d.event_id
    where true ${f.tenant ? sql`and d.tenant = ${f.tenant}` : sql``}
      ${f.endpoint ? sql`and d.endpoint_id = ${f.endpoint}` : sql``}
      ${f.status ? sql`and d.status = ${f.status}` : sql``}
      ${before !== null ? sql`and d.seq < ${before}` : sql``}
    order by d.seq desc limit ${f.limit + 1}`;
  const more = rows.length > f.limit;
  const page = rows.slice(0, f.limit);
  const nextCursor = more ? cursors.encode("list", Number(page[page.length - 1].seq), scope) : null;
  return { items: page.map(({ seq: _seq, ...d }) => d), nextCursor };
}

export async function getDelivery(sql: Sql, id: string) {
  const [row] = await sql<{ seq: string }[]>`
    select ${sql.unsafe(deliveryColumns)},
      coalesce((select json_agg(json_build_object('at', ${
    sql.unsafe(ts("a.attempted_at"))
  }, 'ok', a.ok, 'status', a.status,
        'latencyMs', a.latency_ms, 'error', a.error, 'responseExcerpt', a.response_excerpt) order by a.id)
        from switchyard.delivery_attempts a where a.delivery_id = d.id), '[]'::json) as attempts
    from switchyard.deliveries d join switchyard.events e on e.id = d.event_id where d.id = ${id}`;
  if (!row) throw new AppError("not_found", `delivery ${id} not found`);
  const { seq: _seq, ...d } = row;
  return d;
}

export const dlqFiltersSchema = z.object({
  tenant: tenantSlugSchema.optional(),
  endpoint: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();

/** Dead letters not yet replayed, newest first. */
export function listDeadLetters(sql: Sql, f: z.infer<typeof dlqFiltersSchema>) {
  return sql`
    select l.id, l.delivery_id as "deliveryId", l.tenant, l.endpoint_id as "endpointId", l.event_id as "eventId",
      e.type as "eventType", l.reason, l.tries, ${sql.unsafe(ts("l.dead_at"))} as "deadAt"
    from switchyard.dead_letters l left join switchyard.events e on e.id = l.event_id
    where l.replayed_at is null ${f.tenant ? sql`and l.tenant = ${f.tenant}` : sql``}
      ${f.endpoint ? sql`and l.endpoint_id = ${f.endpoint}` : sql``}
    order by l.dead_at desc, l.id limit ${f.limit}`;
}
