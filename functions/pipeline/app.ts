/** The pipeline function: the relay hands batches of new events here; the scheduler wakes deliveries and conciliations (service key). */
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp, readJson, serviceAuth } from "../_shared/http.ts";
import { parseHandover } from "../_shared/pipeline/batch.ts";
import { acceptHandover } from "../_shared/pipeline/accept-batch.ts";
import { conciliateDueNow, deliverDue, inBackground } from "../_shared/pipeline/deliver.ts";
import { DB_BATCH_DEADLINE_MS, isUnavailable, viaDatabase } from "../_shared/db.ts";

/** A full batch (RELAY_BATCH_SIZE, 2,000 events by default) with generous payloads fits well within this. */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

const finiteOrNull = (ms: number) => (Number.isFinite(ms) ? ms : null);

export function createPipelineApp(ctx: AppContext) {
  const app = createFunctionApp("pipeline", ctx);
  app.use("*", serviceAuth(ctx));
  app.post("/batch", async (c) => {
    const { events } = parseHandover(await readJson(c, MAX_BATCH_BYTES));
    const result = await viaDatabase(ctx, () => acceptHandover(ctx, events), DB_BATCH_DEADLINE_MS);
    // First attempts start here, not when the scheduler next looks.
    if (result.routed > 0) inBackground(ctx, "delivering", deliverDue(ctx));
    return c.json(result, 200);
  });
  /**
   * Sends what is due (retries, held deliveries just enabled, a dead instance's claims): starts
   * this instance's drain, or makes the running one look again, and answers at once.
   */
  app.post("/deliver", (c) => {
    inBackground(ctx, "delivering", deliverDue(ctx));
    return c.json({ started: true }, 202);
  });
  /** Runs the deferred DTO conciliations that are due. */
  app.post("/conciliate", async (c) => {
    const ms = await ctx.breakers.db.run(() => conciliateDueNow(ctx), isUnavailable);
    return c.json({ nextDueInMs: finiteOrNull(ms) }, 200);
  });
  return app;
}
