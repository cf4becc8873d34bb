/** Reading the log: filtered lists (newest first), an entity's timeline and the tail (oldest first). */
import { z } from "zod";
import type { Sql } from "../db.ts";
import { envelopeSelect, type EventRow, type LoggedEvent, rowToEvent } from "./envelope.ts";
import { type CursorCodec, cursorScope } from "./cursor.ts";
import { patternSchema, patternToLike } from "./patterns.ts";
import { entityTypeSchema, identifierSchema, timestampSchema } from "../validation.ts";

const limitSchema = z.coerce.number().int().min(1).max(1000).default(100);

export const listFiltersSchema = z.object({
  type: patternSchema.optional(),
  entityType: entityTypeSchema.optional(),
  entityId: identifierSchema(200).optional(),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  limit: limitSchema,
  cursor: z.string().max(200).optional(),
}).strict().refine((f) => !f.from || !f.to || Date.parse(f.from) <= Date.parse(f.to), {
  message: "from must not be after to",
  path: ["from"],
});
export type ListFilters = z.infer<typeof listFiltersSchema>;

/** An entity in a path (`/trace/:entityType/:entityId`). */
export const entityParamsSchema = z.object({
  entityType: entityTypeSchema,
  entityId: identifierSchema(200),
});

export const pageSchema = z.object({ limit: limitSchema, cursor: z.string().max(200).optional() })
  .strict();

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Events of `tenant` (every tenant when null) matching `f`, newest first, keyset-paginated by seq. */
export async function listEvents(
  sql: Sql,
  cursors: CursorCodec,
  tenant: string | null,
  f: ListFilters,
): Promise<Page<LoggedEvent>> {
  const scope = cursorScope({
    tenant,
    type: f.type,
    entityType: f.entityType,
    entityId: f.entityId,
    from: f.from,
    to: f.to,
  });
  const before = f.cursor ? cursors.decode(f.cursor, "list", scope) : null;
  const like = f.type?.includes("*") ? patternToLike(f.type) : null;
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(envelopeSelect)} from switchyard.events e
    where ${tenant === null ? sql`true` : sql`e.tenant = ${tenant}`}
      ${f.type ? (like ? sql`and e.type like ${like}` : sql`and e.type = ${f.type}`) : sql``}
      ${f.entityType ? sql`and e.entity_type = ${f.entityType}` : sql``}
      ${f.entityId ? sql`and e.entity_id = ${f.entityId}` : sql``}
      ${f.from ? sql`and e.occurred_at >= ${f.from}` : sql``}
      ${f.to ? sql`and e.occurred_at < ${f.to}` : sql``}
      ${before !== null ? sql`and e.seq < ${before}` : sql``}
    order by e.seq desc
    limit ${f.limit + 1}`;
  const items = rows.slice(0, f.limit).map(rowToEvent);
  const more = rows.length > f.limit;
  return {
    items,
    nextCursor: more ? cursors.encode("list", items[items.length - 1].seq, scope) : null,
  };
}

export interface EntityRef {
  tenant: string;
  entityType: string;
  entityId: string;
}

export function timelineScope(e: EntityRef): string {
  return cursorScope({ tenant: e.tenant, entityType: e.entityType, entityId: e.entityId });
}

/** One entity's events, oldest first, keyset-paginated by version. */
export async function entityTimeline(
  sql: Sql,
  cursors: CursorCodec,
  e: EntityRef,
  limit: number,
  cursor?: string,
): Promise<Page<LoggedEvent>> {
  const scope = timelineScope(e);
  const after = cursor ? cursors.decode(cursor, "trace", scope) : 0;
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(envelopeSelect)} from switchyard.events e
    where e.tenant = ${e.tenant} and e.entity_type = ${e.entityType} and e.entity_id = ${e.entityId}
      and e.version > ${after}
    order by e.version
    limit ${limit + 1}`;
  const items = rows.slice(0, limit).map(rowToEvent);
  const more = rows.length > limit;
  return {
    items,
    nextCursor: more ? cursors.encode("trace", items[items.length - 1].version, scope) : null,
  };
}

/** The highest sequence number handed out so far (0 for an empty log), without scanning. */
export async function latestSeq(sql: Sql): Promise<number> {
  const [row] = await sql<{ seq: string | null }[]>`
    select pg_sequence_last_value(pg_get_serial_sequence('switchyard.events', 'seq'))::text as seq`;
  return Number(row?.seq ?? 0);
}

/** A tenant's events after `afterSeq`, oldest first. */
export async function eventsAfter(
  sql: Sql,
  tenant: string,
  afterSeq: number,
  limit: number,
): Promise<LoggedEvent[]> {
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(envelopeSelect)} from switchyard.events e
    where e.tenant = ${tenant} and e.seq > ${afterSeq}
    order by e.seq
    limit ${limit}`;
  return rows.map(rowToEvent);
}
