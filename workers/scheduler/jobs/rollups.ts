import type { Job } from "../jobs.ts";
import { rollUp, untilNextHour } from "../../../functions/_shared/metrics/rollups.ts";

/** At each hour boundary (plus grace): roll up the hours not stored yet and judge them for anomalies. */
export const rollupsJob: Job = {
  name: "rollups",
  async run(ctx) {
    try {
      const round = await rollUp(ctx);
      // A capped catch-up round continues at once.
      if (round.hours >= 24 * 14) return 0;
    } catch (err) {
      ctx.log.error("rollups failed", { error: err });
      return 60_000;
    }
    return untilNextHour(ctx.clock.now());
  },
};
