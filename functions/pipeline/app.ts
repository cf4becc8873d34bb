/** The pipeline function: the relay hands batches of new events here (service key). */
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp, serviceAuth } from "../_shared/http.ts";

export function createPipelineApp(ctx: AppContext) {
  const app = createFunctionApp("pipeline", ctx);
  app.use("*", serviceAuth(ctx));
  return app;
}
