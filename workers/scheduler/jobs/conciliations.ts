/**
 * Deferred DTO conciliations: each round retries what is due, then sleeps until the next retry is
 * due; a newly deferred retry wakes it through LISTEN. Retries live in a table, so a restart
 * loses none.
 */
import type { Job } from "../jobs.ts";
import type { AppContext } from "../../../functions/_shared/context.ts";
import { conciliateDue } from "../../../functions/_shared/dtos/conciliator.ts";
import { CONCILIATIONS_CHANNEL, nextDueAt } from "../../../functions/_shared/dtos/conciliations.ts";
import type { ConciliationPolicy } from "../../../functions/_shared/dtos/policy.ts";

const BATCH = 50;

export function createConciliationsJob(policy?: ConciliationPolicy): Job {
  return {
    name: "conciliations",
    async run(ctx: AppContext) {
      for (;;) {
        const round = await conciliateDue(ctx, { policy, limit: BATCH });
        if (round.conciliated + round.pending + round.exhausted < BATCH) break;
      }
      const next = await nextDueAt(ctx.sql);
      return next ? Math.max(0, next.getTime() - ctx.clock.now()) : Infinity;
    },
    async listen(ctx: AppContext, wake: () => void) {
      const sub = await ctx.sql.listen(CONCILIATIONS_CHANNEL, () => wake());
      return () => sub.unlisten();
    },
  };
}

export const conciliationsJob: Job = createConciliationsJob();
