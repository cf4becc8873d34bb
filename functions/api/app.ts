/** The public API: ingest, events, trace, DTO reads, metrics, health. */
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp, tenantAuth } from "../_shared/http.ts";
import { checkHealth } from "../_shared/health.ts";

export function createApiApp(ctx: AppContext) {
  const app = createFunctionApp("api", ctx);
  app.get("/health", async (c) => {
    const health = await checkHealth(ctx);
    return c.json(health, health.status === "down" ? 503 : 200);
  });
  app.use("*", tenantAuth(ctx));
  return app;
}
