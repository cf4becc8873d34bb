/** The pipeline function: the relay hands batches of new events here (service key). */
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp, readJson, serviceAuth } from "../_shared/http.ts";
import { parseOrThrow } from "../_shared/validation.ts";
import { handoverBatchSchema } from "../_shared/pipeline/batch.ts";
import { acceptHandover } from "../_shared/pipeline/handover.ts";
import { isUnavailable } from "../_shared/db.ts";

/** A full batch of 500 events with generous payloads fits well within this. */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

export function createPipelineApp(ctx: AppContext) {
  const app = createFunctionApp("pipeline", ctx);
  app.use("*", serviceAuth(ctx));
  app.post("/batch", async (c) => {
    const { events } = parseOrThrow(
      handoverBatchSchema,
      await readJson(c, MAX_BATCH_BYTES),
      "hand-over batch",
    );
    const result = await ctx.breakers.db.run(() => acceptHandover(ctx, events), isUnavailable);
    return c.json(result, 200);
  });
  return app;
}
