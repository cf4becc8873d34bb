/** `switchyard events list | tail` and entity timelines: the log across tenants, behind the service key. */
import { z } from "zod";
import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import type { Env } from "../../_shared/http.ts";
import { viaDatabase } from "../../_shared/db.ts";
import { parseOrThrow, slugSchema } from "../../_shared/validation.ts";
import {
  entityParamsSchema,
  listEvents,
  listFiltersSchema,
  pageSchema,
} from "../../_shared/events/queries.ts";
import { getTrace } from "../../_shared/events/trace.ts";
import { toEnvelope } from "../../_shared/events/envelope.ts";
import { MAX_TAIL_WAIT_MS, tailEvents } from "../../_shared/events/tail.ts";
import { cursorCodec } from "../../_shared/events/cursor.ts";

const adminListSchema = listFiltersSchema.safeExtend({ tenant: slugSchema.optional() });
const tailSchema = z.object({
  tenant: slugSchema,
  after: z.string().max(200).default(""),
  waitMs: z.coerce.number().int().min(0).max(MAX_TAIL_WAIT_MS).default(MAX_TAIL_WAIT_MS),
}).strict();
const traceQuerySchema = pageSchema.safeExtend({ tenant: slugSchema });

export function registerEventRoutes(app: Hono<Env>, ctx: AppContext) {
  app.get("/events", async (c) => {
    const { tenant, ...filters } = parseOrThrow(adminListSchema, c.req.query(), "query");
    const page = await viaDatabase(
      ctx,
      () => listEvents(ctx.sql, cursorCodec(ctx.config, ctx.clock), tenant ?? null, filters),
    );
    return c.json({ items: page.items.map(toEnvelope), nextCursor: page.nextCursor });
  });

  app.get("/events/tail", async (c) => {
    const q = parseOrThrow(tailSchema, c.req.query(), "query");
    return c.json(await tailEvents(ctx, q.tenant, q.after, q.waitMs, c.req.raw.signal));
  });

  // An entity belongs to one tenant: the operator names which.
  app.get("/trace/:entityType/:entityId", async (c) => {
    const { entityType, entityId } = parseOrThrow(entityParamsSchema, c.req.param(), "entity");
    const { tenant, limit, cursor } = parseOrThrow(traceQuerySchema, c.req.query(), "query");
    const { trace, cache } = await getTrace(ctx, { tenant, entityType, entityId }, limit, cursor);
    c.header("X-Switchyard-Cache", cache);
    return c.json(trace);
  });
}
