/**
 * Retention: deletes events older than RETENTION_DAYS in batches of 5,000 (no long lock), hourly.
 * Where pg_cron runs `switchyard.run_retention()` (see the relay migration), this job stands aside.
 */
import type { Job } from "../jobs.ts";
import type { Sql } from "../../../functions/_shared/db.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const BATCH = 5_000;

async function scheduledByPgCron(sql: Sql): Promise<boolean> {
  const [{ cron }] = await sql<
    { cron: boolean }[]
  >`select to_regclass('cron.job') is not null as cron`;
  if (!cron) return false;
  const [{ scheduled }] = await sql<{ scheduled: boolean }[]>`
    select exists (select from cron.job where jobname = 'switchyard-retention') as scheduled`;
  return scheduled;
}

export const retentionJob: Job = {
  name: "retention",
  async run(ctx) {
    if (await scheduledByPgCron(ctx.sql)) return HOUR_MS;
    const before = new Date(ctx.clock.now() - ctx.config.RETENTION_DAYS * DAY_MS);
    let pruned = 0;
    for (;;) {
      const [{ n }] = await ctx.sql<
        { n: number }[]
      >`select switchyard.prune_events(${before}, ${BATCH}) as n`;
      pruned += n;
      if (n < BATCH) break;
    }
    if (pruned > 0) {
      ctx.log.info("retention pruned old events", { pruned, before: before.toISOString() });
    }
    return HOUR_MS;
  },
};
