/** The scheduler process: runs every job in jobs.ts until SIGINT/SIGTERM, then stops cleanly. */
import { loadConfigOrExit } from "../../functions/_shared/config.ts";
import { createContext } from "../../functions/_shared/context.ts";
import { jobs } from "./jobs.ts";
import { runJobs } from "./runner.ts";
import { exitWithParent } from "../../functions/_shared/lifecycle.ts";
import { loadDtoFolder } from "../../functions/_shared/dtos/registry.ts";

const config = loadConfigOrExit("scheduler");
const ctx = createContext(config, {
  component: "scheduler",
  dtos: await loadDtoFolder(config.SWITCHYARD_DTO_DIR),
});
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, async () => {
    if (stopping) return;
    stopping = true;
    // A job stuck in a long round must not keep the process from stopping.
    const deadline = setTimeout(() => Deno.exit(1), 15_000);
    await running.stop();
    await ctx.close();
    clearTimeout(deadline);
    ctx.log.info("scheduler stopped");
    Deno.exit(0);
  });
}
const running = runJobs(ctx, jobs);
exitWithParent();
ctx.log.info("scheduler started", { jobs: jobs.map((j) => j.name) });
