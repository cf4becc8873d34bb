import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../../_shared/context.ts";
import type { Env } from "../../_shared/http.ts";
import { AppError } from "../../_shared/errors.ts";
import { isUnavailable } from "../../_shared/db.ts";
import { parseOrThrow } from "../../_shared/validation.ts";
import { listTenants } from "../../_shared/tenants.ts";
import { dashboardOverview } from "../../_shared/metrics/overview.ts";
import { openDeadLetters } from "../../_shared/metrics/queries.ts";

const assets: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "charts.js": "text/javascript; charset=utf-8",
  "format.js": "text/javascript; charset=utf-8",
};
// The page may talk to its own origin only: no CDN, no third-party anything.
const csp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const cache = new Map<string, string>();

async function asset(name: string): Promise<string> {
  let text = cache.get(name);
  if (text === undefined) {
    text = await Deno.readTextFile(new URL(`../dashboard/${name}`, import.meta.url));
    cache.set(name, text);
  }
  return text;
}

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "must be a tenant slug");
const overviewQuery = z.object({
  tenant: slug.optional(),
  hours: z.coerce.number().int().min(1).max(24 * 14).default(24),
});
const deadLetterQuery = z.object({
  tenant: slug.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** `public`: the page and its static assets (no key); `service`: the data it loads (service key). */
export function registerDashboardRoutes(
  app: Hono<Env>,
  ctx: AppContext,
  audience: "public" | "service",
) {
  if (audience === "public") {
    const serve = (name: string) => async (c: Context<Env>) => {
      c.header("Content-Security-Policy", csp);
      c.header("X-Content-Type-Options", "nosniff");
      c.header("Referrer-Policy", "no-referrer");
      c.header("Cache-Control", "no-cache");
      return c.body(await asset(name), 200, { "content-type": assets[name] });
    };
    app.get("/dashboard", serve("index.html"));
    app.get("/dashboard/assets/:file", (c) => {
      const file = c.req.param("file");
      if (!Object.hasOwn(assets, file) || file === "index.html") {
        throw new AppError("not_found", `no asset ${file}`);
      }
      return serve(file)(c);
    });
    return;
  }
  app.get(
    "/dashboard/api/tenants",
    async (c) =>
      c.json({ items: await ctx.breakers.db.run(() => listTenants(ctx.sql), isUnavailable) }),
  );
  app.get("/dashboard/api/overview", async (c) => {
    const q = parseOrThrow(overviewQuery, c.req.query(), "query");
    return c.json(await dashboardOverview(ctx, q.tenant ?? null, q.hours));
  });
  app.get("/dashboard/api/dead-letters", async (c) => {
    const q = parseOrThrow(deadLetterQuery, c.req.query(), "query");
    const items = await ctx.breakers.db.run(
      () => openDeadLetters(ctx.sql, q.tenant ?? null, q.limit),
      isUnavailable,
    );
    return c.json({ items });
  });
}
