/**
 * What the scheduler runs. A job does one round of work and says when it wants to run again;
 * `wake` lets a job be woken early (e.g. by LISTEN/NOTIFY) so nothing polls while idle.
 */
import type { AppContext } from "../../functions/_shared/context.ts";
import { retentionJob } from "./jobs/retention.ts";
import { deliveriesJob } from "./jobs/deliveries.ts";
import { conciliationsJob } from "./jobs/conciliations.ts";
import { rollupsJob } from "./jobs/rollups.ts";
import { alertsJob } from "./jobs/alerts.ts";

export interface Job {
  name: string;
  /** Runs one round; resolves to the delay in ms before the next round (Infinity: only when woken). */
  run(ctx: AppContext): Promise<number>;
  /** Optional: subscribe to wake-ups; call `wake()` to run the job now. Returns an unsubscribe. */
  listen?(ctx: AppContext, wake: () => void): Promise<() => Promise<void>>;
}

export const jobs: Job[] = [retentionJob, deliveriesJob, conciliationsJob, rollupsJob, alertsJob];
