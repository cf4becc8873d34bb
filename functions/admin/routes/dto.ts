/** DTO operations for the CLI: read one, rebuild (one key or every key, a batch per call), conciliations. */
import type { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../../_shared/context.ts";
import { DB_BATCH_DEADLINE_MS, viaDatabase } from "../../_shared/db.ts";
import { AppError } from "../../_shared/errors.ts";
import { type Env, readJson } from "../../_shared/http.ts";
import { getTenant } from "../../_shared/tenants.ts";
import { identifierSchema, parseOrThrow, slugSchema } from "../../_shared/validation.ts";
import { definitionOr404, readDto } from "../../_shared/dtos/reads.ts";
import { rebuild } from "../../_shared/dtos/rebuild.ts";
import { listConciliations } from "../../_shared/dtos/conciliation-queue.ts";

const tenantQuery = z.object({ tenant: slugSchema });
const dtoParams = z.object({ type: identifierSchema(100), key: identifierSchema(200) });
const rebuildBody = z.object({
  tenant: slugSchema,
  key: identifierSchema(200).optional(),
  cursor: z.string().min(1).max(1000).optional(),
});
const conciliationsQuery = z.object({
  tenant: slugSchema.optional(),
  status: z.enum(["pending", "resolved", "exhausted"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function registerDtoRoutes(app: Hono<Env>, ctx: AppContext) {
  app.get("/dto/:type/:key", async (c) => {
    const { tenant } = parseOrThrow(tenantQuery, c.req.query(), "query");
    const { type, key } = parseOrThrow(dtoParams, c.req.param(), "DTO");
    const def = definitionOr404(ctx.dtos, type);
    await viaDatabase(ctx, () => getTenant(ctx.sql, tenant));
    const read = await readDto(ctx, def, tenant, key);
    if (!read) throw new AppError("not_found", `no ${def.name} ${key} in tenant ${tenant}`);
    c.header("X-Switchyard-Source", read.source);
    return c.json(read.dto);
  });

  app.post("/dto/:type/rebuild", async (c) => {
    const body = parseOrThrow(rebuildBody, await readJson(c, 64 * 1024), "body");
    const def = definitionOr404(
      ctx.dtos,
      parseOrThrow(identifierSchema(100), c.req.param("type"), "type"),
    );
    await viaDatabase(ctx, () => getTenant(ctx.sql, body.tenant));
    return c.json(
      await viaDatabase(
        ctx,
        () => rebuild(ctx, def, body.tenant, { key: body.key, cursor: body.cursor }),
        DB_BATCH_DEADLINE_MS,
      ),
    );
  });

  app.get("/conciliations", async (c) => {
    const q = parseOrThrow(conciliationsQuery, c.req.query(), "query");
    return c.json({ items: await viaDatabase(ctx, () => listConciliations(ctx.sql, q)) });
  });
}
