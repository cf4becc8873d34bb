/**
 * Wakes the functions when deliveries fall due: retries, held deliveries just enabled, the claims
 * of an instance that died (their lease ends). First attempts are started by the invocation that
 * routed them, so a never-claimed one is looked at only after a grace. One query per wake-up;
 * LISTEN `switchyard_deliveries` (routing, retries) makes it look again; nothing polls while idle.
 */
import type { Job } from "../jobs.ts";
import { DELIVERIES_CHANNEL, nextDueInMs } from "../../../functions/_shared/delivery/claim.ts";
import { wakeFunction } from "../wake.ts";

/** Notifications closer together than this make one look (they come once per hand-over under load). */
const LOOK_GAP_MS = 100;

export function createDeliveriesJob(
  { firstTryGraceMs = 2_000 }: { firstTryGraceMs?: number } = {},
): Job {
  return {
    name: "deliveries",
    async run(ctx) {
      const due = await nextDueInMs(ctx.sql, ctx.config.DELIVERY_MAX_IN_FLIGHT, firstTryGraceMs);
      if (due === null) return Infinity;
      if (due > 0) return due;
      await wakeFunction(ctx, "deliver");
      // Look again ourselves (one query): another instance may have left work meanwhile.
      return LOOK_GAP_MS;
    },
    async listen(ctx, wake) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const sub = await ctx.sql.listen(DELIVERIES_CHANNEL, () => {
        timer ??= setTimeout(() => {
          timer = undefined;
          wake();
        }, LOOK_GAP_MS);
      });
      return async () => {
        clearTimeout(timer);
        await sub.unlisten();
      };
    },
  };
}

export const deliveriesJob: Job = createDeliveriesJob();
