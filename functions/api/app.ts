/** The public API: ingest, events, trace, DTO reads, metrics, health. */
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp, tenantAuth } from "../_shared/http.ts";
import { checkHealth } from "../_shared/health.ts";
import { registerEventRoutes } from "./routes/events.ts";
import { registerDtoRoutes } from "./routes/dto.ts";
import { registerMetricsRoutes } from "./routes/metrics.ts";

export function createApiApp(ctx: AppContext) {
  const app = createFunctionApp("api", ctx);
  app.get("/health", async (c) => {
    const health = await checkHealth(ctx);
    return c.json(health, health.status === "down" ? 503 : 200);
  });
  // Operator routes authenticate with the service key, so they come before tenant auth.
  registerMetricsRoutes(app, ctx, "operator");
  app.use("*", tenantAuth(ctx));
  registerEventRoutes(app, ctx);
  registerDtoRoutes(app, ctx);
  registerMetricsRoutes(app, ctx, "tenant");
  return app;
}
