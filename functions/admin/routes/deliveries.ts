/** Endpoints, deliveries, dead letters and replay (docs/CONTRACT.md CLI: endpoints, deliveries, dlq, replay). */
import { z } from "zod";
import type { Context as HonoContext, Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import { viaDatabase } from "../../_shared/db.ts";
import { type Env, readJson } from "../../_shared/http.ts";
import { idSchema, labelSchema, parseOrThrow, slugSchema } from "../../_shared/validation.ts";
import { cursorCodec } from "../../_shared/events/cursor.ts";
import { getTenant } from "../../_shared/tenants.ts";
import {
  endpointInputSchema,
  endpointUpdateSchema,
} from "../../_shared/delivery/endpoint-schema.ts";
import {
  createEndpoint,
  deleteEndpoint,
  disableEndpoint,
  enableEndpoint,
  getEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from "../../_shared/delivery/endpoints.ts";
import { testEndpoint } from "../../_shared/delivery/probe.ts";
import {
  deliveryFiltersSchema,
  dlqFiltersSchema,
  getDelivery,
  listDeadLetters,
  listDeliveries,
} from "../../_shared/delivery/history.ts";
import {
  dlqReplaySchema,
  historyReplaySchema,
  replayDeadLetters,
  replayHistory,
} from "../../_shared/delivery/replay.ts";

const MAX_BODY = 256 * 1024;
/** Why an endpoint is disabled or deleted; optional. */
export const reasonSchema = z.object({ reason: labelSchema(500).optional() }).strict();
export const rotateSchema = z.object({
  overlapSeconds: z.number().int().min(0).max(30 * 86_400).default(86_400),
}).strict();
// The portal's routes take ids from here too.
export { idSchema };

/** Actions whose body is optional: no body reads as `{}`. */
export async function optionalJson(c: HonoContext): Promise<unknown> {
  const empty = !c.req.header("content-type") && (c.req.header("content-length") ?? "0") === "0";
  return empty ? {} : await readJson(c, MAX_BODY);
}

export function registerDeliveryRoutes(app: Hono<Env>, ctx: AppContext) {
  const id = (c: HonoContext<Env>) => parseOrThrow(idSchema, c.req.param("id"), "id");

  app.post("/endpoints", async (c) => {
    const input = parseOrThrow(endpointInputSchema, await readJson(c, MAX_BODY), "endpoint");
    return c.json(await viaDatabase(ctx, () => createEndpoint(ctx, input)), 201);
  });
  app.get("/endpoints", async (c) => {
    const tenant = c.req.query("tenant")
      ? parseOrThrow(slugSchema, c.req.query("tenant"), "tenant")
      : undefined;
    if (tenant) await viaDatabase(ctx, () => getTenant(ctx.sql, tenant));
    return c.json({ items: await viaDatabase(ctx, () => listEndpoints(ctx.sql, tenant)) });
  });
  app.get(
    "/endpoints/:id",
    async (c) => c.json(await viaDatabase(ctx, () => getEndpoint(ctx.sql, id(c)))),
  );
  app.patch("/endpoints/:id", async (c) => {
    const patch = parseOrThrow(endpointUpdateSchema, await readJson(c, MAX_BODY), "endpoint edit");
    return c.json(await viaDatabase(ctx, () => updateEndpoint(ctx, id(c), patch)));
  });
  app.delete("/endpoints/:id", async (c) => {
    const body = parseOrThrow(reasonSchema, await optionalJson(c), "delete request");
    return c.json(await viaDatabase(ctx, () => deleteEndpoint(ctx, id(c), body.reason)));
  });
  app.post("/endpoints/:id/disable", async (c) => {
    const body = parseOrThrow(reasonSchema, await optionalJson(c), "disable request");
    return c.json(await viaDatabase(ctx, () => disableEndpoint(ctx.sql, id(c), body.reason)));
  });
  app.post(
    "/endpoints/:id/enable",
    async (c) => c.json(await viaDatabase(ctx, () => enableEndpoint(ctx.sql, id(c)))),
  );
  app.post("/endpoints/:id/rotate-secret", async (c) => {
    const body = parseOrThrow(rotateSchema, await optionalJson(c), "rotation");
    return c.json(await viaDatabase(ctx, () => rotateSecret(ctx, id(c), body.overlapSeconds)));
  });
  app.post("/endpoints/:id/test", async (c) => c.json(await testEndpoint(ctx, id(c))));

  app.get("/deliveries", async (c) => {
    const f = parseOrThrow(deliveryFiltersSchema, c.req.query(), "filters");
    const named = f.tenant;
    if (named) await viaDatabase(ctx, () => getTenant(ctx.sql, named));
    return c.json(
      await viaDatabase(ctx, () => listDeliveries(ctx.sql, cursorCodec(ctx.config, ctx.clock), f)),
    );
  });
  app.get(
    "/deliveries/:id",
    async (c) => c.json(await viaDatabase(ctx, () => getDelivery(ctx.sql, id(c)))),
  );

  app.get("/dlq", async (c) => {
    const f = parseOrThrow(dlqFiltersSchema, c.req.query(), "filters");
    const named = f.tenant;
    if (named) await viaDatabase(ctx, () => getTenant(ctx.sql, named));
    return c.json({ items: await viaDatabase(ctx, () => listDeadLetters(ctx.sql, f)) });
  });
  app.post("/dlq/replay", async (c) => {
    const body = parseOrThrow(dlqReplaySchema, await readJson(c, MAX_BODY), "replay");
    const named = body.tenant;
    if (named) await viaDatabase(ctx, () => getTenant(ctx.sql, named));
    return c.json({ replayed: await viaDatabase(ctx, () => replayDeadLetters(ctx.sql, body)) });
  });
  app.post("/replay", async (c) => {
    const body = parseOrThrow(historyReplaySchema, await readJson(c, MAX_BODY), "replay");
    return c.json(
      await viaDatabase(
        ctx,
        () => replayHistory(ctx.sql, cursorCodec(ctx.config, ctx.clock), body),
      ),
    );
  });
}
