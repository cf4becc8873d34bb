/** Tenants and API keys. */
import { z } from "zod";
import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import { viaDatabase } from "../../_shared/db.ts";
import { type Env, readJson } from "../../_shared/http.ts";
import { idSchema, labelSchema, parseOrThrow, slugSchema } from "../../_shared/validation.ts";
import {
  createApiKey,
  createTenant,
  disableTenant,
  getTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
} from "../../_shared/tenants.ts";

const newTenant = z.object({ slug: slugSchema, name: labelSchema(200).optional() }).strict();
const newKey = z.object({ tenant: slugSchema, name: labelSchema(100).optional() }).strict();
export const MAX_ADMIN_BODY = 256 * 1024;

export function registerTenantRoutes(app: Hono<Env>, ctx: AppContext) {
  app.post("/tenants", async (c) => {
    const body = parseOrThrow(newTenant, await readJson(c, MAX_ADMIN_BODY), "tenant");
    return c.json(
      await viaDatabase(ctx, () => createTenant(ctx.sql, body.slug, body.name ?? body.slug)),
      201,
    );
  });
  app.get(
    "/tenants",
    async (c) => c.json({ items: await viaDatabase(ctx, () => listTenants(ctx.sql)) }),
  );
  app.get(
    "/tenants/:slug",
    async (c) =>
      c.json(
        await viaDatabase(ctx, () =>
          getTenant(ctx.sql, parseOrThrow(slugSchema, c.req.param("slug"), "tenant slug"))),
      ),
  );
  app.post(
    "/tenants/:slug/disable",
    async (c) =>
      c.json(
        await viaDatabase(ctx, () =>
          disableTenant(ctx.sql, parseOrThrow(slugSchema, c.req.param("slug"), "tenant slug"))),
      ),
  );

  app.post("/keys", async (c) => {
    const body = parseOrThrow(newKey, await readJson(c, MAX_ADMIN_BODY), "key");
    return c.json(await viaDatabase(ctx, () => createApiKey(ctx.sql, body.tenant, body.name)), 201);
  });
  app.get("/keys", async (c) => {
    const tenant = parseOrThrow(slugSchema, c.req.query("tenant"), "tenant");
    await viaDatabase(ctx, () => getTenant(ctx.sql, tenant));
    return c.json({ items: await viaDatabase(ctx, () => listApiKeys(ctx.sql, tenant)) });
  });
  app.post(
    "/keys/:id/revoke",
    async (c) =>
      c.json(
        await viaDatabase(ctx, () =>
          revokeApiKey(ctx.sql, parseOrThrow(idSchema, c.req.param("id"), "key id"))),
      ),
  );
}
