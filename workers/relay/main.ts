/**
 * The relay process: streams new events from the permanent logical slot and hands them to the
 * pipeline in batches; reconnects with backoff when Postgres goes away; SIGINT/SIGTERM stop it.
 */
import { loadConfigOrExit } from "../../functions/_shared/config.ts";
import { createLogger } from "../../functions/_shared/log.ts";
import { sleep, systemClock } from "../../functions/_shared/clock.ts";
import { pipelineBatchUrl } from "./send-batch.ts";
import { retryDelayMs } from "../../functions/_shared/retry.ts";
import { runSession } from "./session.ts";
import { stopOnShutdown } from "../../functions/_shared/lifecycle.ts";

const config = loadConfigOrExit("relay");
const relayId = crypto.randomUUID();
const log = createLogger("relay", { level: config.LOG_LEVEL, fields: { relayId } });
// Shutdown aborts the session; the loop below then ends, and the process exits.
const shutdown = stopOnShutdown(async () => {
  await relaying;
  log.info("relay stopped");
});

const target = {
  url: pipelineBatchUrl(config.SUPABASE_URL),
  serviceKey: config.SUPABASE_SERVICE_ROLE_KEY,
  relayId,
  clock: systemClock,
  log,
};
log.info("relay started", { slot: config.RELAY_SLOT, pipeline: target.url });
const relaying = (async () => {
  let attempt = 0;
  while (!shutdown.aborted) {
    try {
      await runSession({ config, log, clock: systemClock, target }, shutdown, () => (attempt = 0));
    } catch (err) {
      const delay = retryDelayMs(attempt++);
      log.warn("relay session ended; reconnecting", {
        reason: (err as Error).message,
        delayMs: delay,
      });
      await sleep(delay, shutdown);
    }
  }
})();
