/** The scheduler process: due deliveries, deferred conciliations, retention, rollups. */
import { loadConfig } from "../_shared/config.ts";
import { createLogger } from "../_shared/log.ts";

const config = loadConfig(Deno.env.toObject());
const log = createLogger("scheduler", { level: config.LOG_LEVEL });
log.info("scheduler started");
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => Deno.exit(0));
setInterval(() => {}, 1 << 30);
