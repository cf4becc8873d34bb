/** The scheduler process: runs every job in jobs.ts until SIGINT/SIGTERM, then stops cleanly. */
import { loadConfigOrExit } from "../../functions/_shared/config.ts";
import { createContext } from "../../functions/_shared/context.ts";
import { jobs } from "./jobs.ts";
import { runJobs } from "./runner.ts";
import { stopOnShutdown } from "../../functions/_shared/lifecycle.ts";

const config = loadConfigOrExit("scheduler");
// No DTO types: the scheduler composes and conciliates nothing, it wakes the pipeline function.
const ctx = createContext(config, { component: "scheduler" });
const running = runJobs(ctx, jobs);
stopOnShutdown(async () => {
  await running.stop();
  await ctx.close();
  ctx.log.info("scheduler stopped");
});
ctx.log.info("scheduler started", { jobs: jobs.map((j) => j.name) });
