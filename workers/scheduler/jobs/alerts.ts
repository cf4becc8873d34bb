import type { Job } from "../jobs.ts";
import { evaluateAlerts } from "../../../functions/_shared/metrics/alerts.ts";

/** Every 15 s: sample relay lag and turn conditions (lag, stalls, error rate, dead letters, breakers, conciliations) into alert events. */
export const alertsJob: Job = {
  name: "alerts",
  async run(ctx) {
    try {
      await evaluateAlerts(ctx);
    } catch (err) {
      ctx.log.error("alerts round failed", { error: err });
    }
    return 15_000;
  },
};
