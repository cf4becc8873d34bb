/**
 * Runs each job in its own loop: run, then sleep until the delay it returned or until woken through
 * its `listen` (a wake during a run means run again at once). One job's runs never overlap; a
 * failure is logged and retried with backoff. `stop()` wakes every sleeper and waits for runs to end.
 */
import type { AppContext } from "../../functions/_shared/context.ts";
import { retryDelayMs } from "../../functions/_shared/retry.ts";
import type { Job } from "./jobs.ts";

/** setTimeout's ceiling; longer delays just wake once more and sleep again. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RunningJobs {
  stop(): Promise<void>;
}

export function runJobs(ctx: AppContext, jobs: Job[]): RunningJobs {
  let stopped = false;
  const sleepers = new Set<() => void>();
  const loops = jobs.map((job) => loop(job));

  async function loop(job: Job) {
    const log = ctx.log.child({ job: job.name });
    let woken = false;
    let wake = () => {};
    const onWake = () => {
      woken = true;
      wake();
    };
    let unlisten: (() => Promise<void>) | undefined;
    if (job.listen) {
      unlisten = await job.listen(ctx, onWake).catch((err) => {
        log.error("job could not subscribe to wake-ups; it runs on its own schedule only", { err });
        return undefined;
      });
    }
    let failures = 0;
    while (!stopped) {
      woken = false;
      let delay: number;
      try {
        delay = await job.run(ctx);
        failures = 0;
      } catch (err) {
        failures++;
        delay = retryDelayMs(failures, { baseMs: 1_000, maxMs: 60_000 });
        log.error("job failed; retrying later", { err, failures, delayMs: delay });
      }
      if (stopped) break;
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(delay)
          ? setTimeout(done, Math.min(Math.max(0, delay), MAX_TIMER_MS))
          : undefined;
        function done() {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve();
        }
        wake = done;
        sleepers.add(done);
      });
      wake = () => {};
    }
    await unlisten?.().catch((err) => log.warn("job unsubscribe failed", { err }));
  }

  return {
    async stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled(loops);
    },
  };
}
