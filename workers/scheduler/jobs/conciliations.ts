/**
 * Deferred DTO conciliations: sleeps until the next retry is due (one query), then wakes the
 * pipeline function, which runs them; a newly deferred retry wakes it through LISTEN. Retries live
 * in a table, so a restart loses none.
 */
import type { Job } from "../jobs.ts";
import type { AppContext } from "../../../functions/_shared/context.ts";
import {
  CONCILIATIONS_CHANNEL,
  nextDueAt,
} from "../../../functions/_shared/dtos/conciliation-queue.ts";
import { wakeFunction } from "../wake.ts";

export function createConciliationsJob(): Job {
  return {
    name: "conciliations",
    async run(ctx: AppContext) {
      const next = await nextDueAt(ctx.sql);
      if (!next) return Infinity;
      const wait = next.getTime() - ctx.clock.now();
      if (wait > 0) return wait;
      return (await wakeFunction(ctx, "conciliate")) ?? Infinity;
    },
    async listen(ctx: AppContext, wake: () => void) {
      const sub = await ctx.sql.listen(CONCILIATIONS_CHANNEL, () => wake());
      return () => sub.unlisten();
    },
  };
}

export const conciliationsJob: Job = createConciliationsJob();
