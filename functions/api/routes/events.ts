/** Ingest, the event list and track & trace: parse, authorize, call, answer. */
import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import { type Env, readJson } from "../../_shared/http.ts";
import { viaDatabase } from "../../_shared/db.ts";
import { parseExactJson, parseOrThrow } from "../../_shared/validation.ts";
import { appendEvents } from "../../_shared/events/append.ts";
import { MAX_INGEST_BODY, parseIngestBody } from "../../_shared/events/ingest.ts";
import { enforceIngestLimits, ipLimit } from "../../_shared/events/ingest-limits.ts";
import {
  entityParamsSchema,
  listEvents,
  listFiltersSchema,
  pageSchema,
} from "../../_shared/events/queries.ts";
import { toEnvelope } from "../../_shared/events/envelope.ts";
import { getTrace } from "../../_shared/events/trace.ts";
import { cursorCodec } from "../../_shared/events/cursor.ts";

export function registerEventRoutes(app: Hono<Env>, ctx: AppContext) {
  app.post("/events", async (c) => {
    const tenant = c.get("tenant");
    // The per-address check runs while the body streams in; both limits are settled before writing.
    const ipCheck = ipLimit(ctx, c);
    ipCheck.catch(() => {});
    const events = parseIngestBody(
      await readJson(c, MAX_INGEST_BODY, parseExactJson),
      tenant,
      c.get("correlationId"),
    );
    await enforceIngestLimits(ctx, tenant, events.length, ipCheck);
    const accepted = await viaDatabase(ctx, () => appendEvents(ctx.sql, events));
    return c.json({ accepted }, 202);
  });

  app.get("/events", async (c) => {
    const filters = parseOrThrow(listFiltersSchema, c.req.query(), "query");
    const page = await viaDatabase(
      ctx,
      () => listEvents(ctx.sql, cursorCodec(ctx.config, ctx.clock), c.get("tenant"), filters),
    );
    return c.json({ items: page.items.map(toEnvelope), nextCursor: page.nextCursor });
  });

  app.get("/trace/:entityType/:entityId", async (c) => {
    const { entityType, entityId } = parseOrThrow(entityParamsSchema, c.req.param(), "entity");
    const { limit, cursor } = parseOrThrow(pageSchema, c.req.query(), "query");
    const { trace, cache } = await getTrace(
      ctx,
      { tenant: c.get("tenant"), entityType, entityId },
      limit,
      cursor,
    );
    c.header("X-Switchyard-Cache", cache);
    return c.json(trace);
  });
}
