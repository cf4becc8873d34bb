import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import { type Env, serviceAuth } from "../../_shared/http.ts";
import { tenantMetrics } from "../../_shared/metrics/tenant.ts";
import { contentType } from "../../_shared/metrics/prometheus.ts";
import { prometheusText } from "../../_shared/metrics/scrape.ts";

/** `operator` routes use the service key (Prometheus); `tenant` routes the tenant's API key. */
export function registerMetricsRoutes(
  app: Hono<Env>,
  ctx: AppContext,
  audience: "operator" | "tenant",
) {
  if (audience === "operator") {
    app.get(
      "/metrics/prometheus",
      serviceAuth(ctx),
      async (c) =>
        c.body(await prometheusText(ctx), 200, {
          "content-type": contentType,
          "cache-control": "no-store",
        }),
    );
    return;
  }
  app.get("/metrics", async (c) => {
    const { metrics, cached } = await tenantMetrics(ctx, c.get("tenant"));
    c.header("X-Switchyard-Cache", cached ? "hit" : "miss");
    c.header("Cache-Control", "private, max-age=60");
    return c.json(metrics);
  });
}
