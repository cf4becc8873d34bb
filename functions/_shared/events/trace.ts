/**
 * Track & trace: an entity's timeline with each event's deliveries, cached in the fast store.
 *
 * Pages live at `trace:{tenant}:{entityType}:{entityId}:{limit}:{cursor}` and carry the entity's
 * version and its generation (`trace:{tenant}:{entityType}:{entityId}:gen`). A page is served only
 * while both still match: a new event moves the version (read from `entity_versions`, one primary
 * key lookup beside the cache read), so appends need no invalidation on the hot path; a delivery
 * outcome does not, so the delivery worker writes a new random generation instead. A page computed
 * while either changed is stored with the old values and never served.
 */
import type { AppContext } from "../context.ts";
import { deliveriesForEvents, type DeliverySummary } from "../delivery/trace.ts";
import { type EntityRef, entityTimeline, type Page } from "./queries.ts";
import { type EventEnvelope, toEnvelope } from "./envelope.ts";
import { viaDatabase } from "../db.ts";
import { cursorCodec } from "./cursor.ts";

export type TraceItem = EventEnvelope & { deliveries: DeliverySummary[] };
export interface Trace extends Page<TraceItem> {
  entity: { type: string; id: string };
}

/** Pages are fresh this long at most, which also bounds staleness if an invalidation is lost. */
const PAGE_TTL_MS = 60_000;
/** Must outlive every page: once it expires, only pages older than it could carry the empty generation. */
const GEN_TTL_MS = 24 * 3_600_000;

// The id is URI-encoded so a `:` in it cannot make two entities share a key.
const entityKey = (e: EntityRef) =>
  `trace:${e.tenant}:${e.entityType}:${encodeURIComponent(e.entityId)}`;
const genKey = (e: EntityRef) => `${entityKey(e)}:gen`;
const pageKey = (e: EntityRef, limit: number, cursor: string | undefined) =>
  `${entityKey(e)}:${limit}:${cursor ?? ""}`;

interface CachedPage {
  gen: string;
  version: number;
  trace: Trace;
}

/** The trace page and whether it came from the cache. */
export async function getTrace(
  ctx: AppContext,
  e: EntityRef,
  limit: number,
  cursor?: string,
): Promise<{ trace: Trace; cache: "hit" | "miss" }> {
  const key = pageKey(e, limit, cursor);
  const [cached, version] = await Promise.all([
    ctx.store.mget<string | CachedPage>([genKey(e), key]).catch(
      (err) => {
        ctx.log.warn("trace cache unavailable", { err });
        return null;
      },
    ),
    viaDatabase(ctx, () => entityVersion(ctx, e)),
  ]);
  const gen = typeof cached?.[0] === "string" ? cached[0] : "";
  const page = cached?.[1] as CachedPage | null | undefined;
  if (cached && page && page.gen === gen && page.version === version) {
    return { trace: page.trace, cache: "hit" };
  }

  const trace = await viaDatabase(ctx, () => loadTrace(ctx, e, limit, cursor));
  if (cached) {
    await ctx.store.set(key, { gen, version, trace } satisfies CachedPage, { ttlMs: PAGE_TTL_MS })
      .catch((err) => ctx.log.warn("trace cache write failed", { err }));
  }
  return { trace, cache: "miss" };
}

async function entityVersion(ctx: AppContext, e: EntityRef): Promise<number> {
  const [row] = await ctx.sql<{ version: number }[]>`
    select version from switchyard.entity_versions
    where tenant = ${e.tenant} and entity_type = ${e.entityType} and entity_id = ${e.entityId}`;
  return row?.version ?? 0;
}

async function loadTrace(
  ctx: AppContext,
  e: EntityRef,
  limit: number,
  cursor?: string,
): Promise<Trace> {
  const page = await entityTimeline(ctx.sql, cursorCodec(ctx.config, ctx.clock), e, limit, cursor);
  const deliveries = page.items.length
    ? await deliveriesForEvents(ctx.sql, e.tenant, page.items.map((i) => i.id))
    : new Map<string, DeliverySummary[]>();
  return {
    entity: { type: e.entityType, id: e.entityId },
    items: page.items.map((i) => ({ ...toEnvelope(i), deliveries: deliveries.get(i.id) ?? [] })),
    nextCursor: page.nextCursor,
  };
}

/**
 * Marks every cached trace page of these entities stale: one pipelined round trip for the batch.
 * Called when a delivery's outcome changes (new events move the version instead). Never throws:
 * a lost invalidation costs at most PAGE_TTL_MS of staleness, never data.
 */
export async function invalidateTraces(
  ctx: AppContext,
  entities: Iterable<EntityRef>,
): Promise<void> {
  const keys = new Set<string>();
  for (const e of entities) keys.add(genKey(e));
  if (keys.size === 0) return;
  const gen = crypto.randomUUID();
  // Issued together, the fast store client sends these as one pipeline.
  await Promise.all([...keys].map((k) => ctx.store.set(k, gen, { ttlMs: GEN_TTL_MS })))
    .catch((err) => ctx.log.warn("trace invalidation failed", { err, entities: keys.size }));
}
