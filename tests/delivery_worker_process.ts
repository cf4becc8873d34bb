/** A delivery worker in its own process, for the kill -9 test: `deno run -A tests/delivery_worker_process.ts`. */
import { loadConfig } from "../functions/_shared/config.ts";
import { createContext } from "../functions/_shared/context.ts";
import { createLogger } from "../functions/_shared/log.ts";
import { runDeliveryWorker } from "../workers/scheduler/jobs/deliveries.ts";

const ctx = createContext(loadConfig(Deno.env.toObject()), {
  log: createLogger("worker", { level: "error" }),
});
await runDeliveryWorker(ctx, { leaseMarginMs: Number(Deno.env.get("LEASE_MARGIN_MS") ?? 15_000) });
console.log("ready");
