/**
 * Replay. Dead letters: the same delivery (same webhook-id) goes back to pending for a new round
 * of tries. History: a tenant's events in a time range become new deliveries marked `replay`.
 */
import { z } from "zod";
import type { Sql } from "../db.ts";
import { AppError } from "../errors.ts";
import { getTenant } from "../tenants.ts";
import { envelopeSelect, type EventRow, rowToEvent } from "../events/envelope.ts";
import { type CursorCodec, cursorScope } from "../events/cursor.ts";
import { insertDeliveries, matchRoutes, subscriptionsFor } from "./route.ts";
import { matchesPattern, patternSchema } from "../events/patterns.ts";
import { tenantSlugSchema } from "./endpoint-schema.ts";
import { idSchema, timestampSchema } from "../validation.ts";
import { getEndpointRow } from "./endpoints.ts";

export const dlqReplaySchema = z.object({
  ids: z.array(idSchema).min(1).max(10_000).optional(),
  all: z.literal(true).optional(),
  tenant: tenantSlugSchema.optional(),
  endpoint: idSchema.optional(),
}).strict()
  .refine((r) => r.ids || r.all, {
    message: "give ids, or all: true (optionally with a tenant or an endpoint)",
    path: ["ids"],
  })
  .refine((r) => !(r.ids && r.all), { message: "give ids or all: true, not both", path: ["all"] });

/** Replays open dead letters (by dead-letter id or delivery id, or all of a tenant/endpoint); returns how many. */
export async function replayDeadLetters(
  sql: Sql,
  r: z.infer<typeof dlqReplaySchema>,
): Promise<number> {
  const [{ replayed }] = await sql<{ replayed: number }[]>`
    with picked as (
      update switchyard.dead_letters l set replayed_at = now()
      where l.replayed_at is null
        ${
    r.ids ? sql`and (l.id = any(${r.ids}::text[]) or l.delivery_id = any(${r.ids}::text[]))` : sql``
  }
        ${r.tenant ? sql`and l.tenant = ${r.tenant}` : sql``}
        ${r.endpoint ? sql`and l.endpoint_id = ${r.endpoint}` : sql``}
      returning l.delivery_id
    ), revived as (
      update switchyard.deliveries d set status = case when ep.enabled then 'pending' else 'held' end,
        tries = 0, due_at = now(), lease = null, updated_at = now()
      from switchyard.endpoints ep
      where d.id in (select delivery_id from picked) and d.status = 'dead' and ep.id = d.endpoint_id
      returning 1
    ), counted as (select count(*)::integer as replayed from revived)
    select replayed, (select true from pg_notify('switchyard_deliveries', '') where replayed > 0) as woke from counted`;
  return replayed;
}

export const historyReplaySchema = z.object({
  tenant: tenantSlugSchema,
  from: timestampSchema,
  to: timestampSchema.optional(),
  type: patternSchema.optional(),
  endpoint: idSchema.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(5000).default(1000),
}).strict().refine((r) => !r.to || Date.parse(r.from) <= Date.parse(r.to), {
  message: "from must not be after to",
  path: ["from"],
});

/**
 * One batch of a history replay: up to `limit` events (recorded in [from, to), oldest first) routed
 * again by the subscriptions (of `endpoint` only, when given). Call again with `nextCursor` until done.
 */
export async function replayHistory(
  sql: Sql,
  cursors: CursorCodec,
  r: z.infer<typeof historyReplaySchema>,
) {
  await getTenant(sql, r.tenant);
  if (r.endpoint) {
    const ep = await getEndpointRow(sql, r.endpoint);
    if (ep.tenant !== r.tenant) {
      throw new AppError("not_found", `endpoint ${r.endpoint} not found for tenant ${r.tenant}`);
    }
  }
  const scope = cursorScope({
    tenant: r.tenant,
    from: r.from,
    to: r.to,
    type: r.type,
    endpoint: r.endpoint,
    what: "replay",
  });
  const after = r.cursor ? cursors.decode(r.cursor, "list", scope) : 0;
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(envelopeSelect)} from switchyard.events e
    where e.tenant = ${r.tenant} and e.seq > ${after} and e.recorded_at >= ${r.from}
      ${r.to ? sql`and e.recorded_at < ${r.to}` : sql``}
    order by e.seq limit ${r.limit}`;
  const events = rows.map(rowToEvent).filter((e) => !r.type || matchesPattern(r.type, e.type));
  const subscriptions = await subscriptionsFor(sql, [r.tenant], r.endpoint);
  const created = await insertDeliveries(sql, matchRoutes(events, subscriptions), { replay: true });
  const done = rows.length < r.limit;
  return {
    created,
    scanned: rows.length,
    nextCursor: done ? null : cursors.encode("list", Number(rows[rows.length - 1].seq), scope),
    done,
  };
}
