import type { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../../_shared/context.ts";
import type { Env } from "../../_shared/http.ts";
import { viaDatabase } from "../../_shared/db.ts";
import { parseOrThrow, slugSchema } from "../../_shared/validation.ts";
import { listTenants } from "../../_shared/tenants.ts";
import { dashboardOverview } from "../../_shared/metrics/overview.ts";
import { openDeadLetters } from "../../_shared/metrics/queries.ts";
import { endpointsByHealth } from "../../_shared/portal/endpoint-health.ts";
import { serveStatic } from "../static.ts";

/** The dashboard's files; the portal imports format.js, charts.js and the timeline and event log from here too. */
export const dashboardFiles = [
  "dashboard.css",
  "app.js",
  "charts.js",
  "format.js",
  "timeline.js",
  "eventlog.js",
  "dom.js",
  "api.js",
  "explore.js",
];

const overviewQuery = z.object({
  tenant: slugSchema.optional(),
  hours: z.coerce.number().int().min(1).max(24 * 14).default(24),
});
const tenantQuery = z.object({ tenant: slugSchema.optional() }).strict();
const deadLetterQuery = z.object({
  tenant: slugSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** `public`: the page and its static assets (no key); `service`: the data it loads (service key). */
export function registerDashboardRoutes(
  app: Hono<Env>,
  ctx: AppContext,
  audience: "public" | "service",
) {
  if (audience === "public") {
    serveStatic(app, { route: "/dashboard", dir: "dashboard", files: dashboardFiles });
    return;
  }
  app.get(
    "/dashboard/api/tenants",
    async (c) =>
      c.json({
        items: await viaDatabase(ctx, () => listTenants(ctx.sql)),
      }),
  );
  app.get("/dashboard/api/overview", async (c) => {
    const q = parseOrThrow(overviewQuery, c.req.query(), "query");
    return c.json(await dashboardOverview(ctx, q.tenant ?? null, q.hours));
  });
  app.get("/dashboard/api/dead-letters", async (c) => {
    const q = parseOrThrow(deadLetterQuery, c.req.query(), "query");
    const items = await viaDatabase(ctx, () => openDeadLetters(ctx.sql, q.tenant ?? null, q.limit));
    return c.json({ items });
  });
  app.get("/dashboard/api/endpoints", async (c) => {
    const q = parseOrThrow(tenantQuery, c.req.query(), "query");
    const items = await viaDatabase(ctx, () => endpointsByHealth(ctx.sql, q.tenant ?? null));
    return c.json({ items });
  });
}
