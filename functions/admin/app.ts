/** The admin function: everything the CLI does, behind the service role key; the dashboard and the tenant portal. */
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp, serviceAuth } from "../_shared/http.ts";
import { systemStatus } from "../_shared/status.ts";
import { registerTenantRoutes } from "./routes/tenants.ts";
import { registerEventRoutes } from "./routes/events.ts";
import { registerDeliveryRoutes } from "./routes/deliveries.ts";
import { registerDtoRoutes } from "./routes/dto.ts";
import { registerTelegramRoutes } from "./routes/telegram.ts";
import { registerDashboardRoutes } from "./routes/dashboard.ts";
import { registerPortalRoutes } from "./routes/portal.ts";

export function createAdminApp(ctx: AppContext) {
  const app = createFunctionApp("admin", ctx);
  // The dashboard page itself loads without a key; its data calls carry one.
  registerDashboardRoutes(app, ctx, "public");
  // The portal's page and API authenticate with a portal link's session, never the service key.
  registerPortalRoutes(app, ctx, "public");
  app.use("*", serviceAuth(ctx));
  app.get("/status", async (c) => c.json(await systemStatus(ctx)));
  registerTenantRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerDeliveryRoutes(app, ctx);
  registerDtoRoutes(app, ctx);
  registerTelegramRoutes(app, ctx);
  registerDashboardRoutes(app, ctx, "service");
  registerPortalRoutes(app, ctx, "service");
  return app;
}
