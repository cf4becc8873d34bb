/**
 * Runs each job in its own loop: run, then sleep until the delay it returned or until woken through
 * its `listen` (a wake during a run means run again at once). One job's runs never overlap; a
 * failure is logged and retried with backoff. `stop()` wakes every sleeper and waits for runs to end.
 */
import type { AppContext } from "../../functions/_shared/context.ts";
import { retryDelayMs } from "../../functions/_shared/retry.ts";
import { sleep } from "../../functions/_shared/clock.ts";
import type { Job } from "./jobs.ts";

/**
 * A failing job retries after 0.5 s, 1 s, 2 s, then every 4 s at most: a database that is away
 * costs one cheap attempt per job every few seconds, and jobs resume within 5 s of its return.
 */
export const JOB_RETRY = { baseMs: 500, maxMs: 4_000 };

export interface RunningJobs {
  stop(): Promise<void>;
}

export function runJobs(ctx: AppContext, jobs: Job[]): RunningJobs {
  const stopping = new AbortController();
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
    while (!stopping.signal.aborted) {
      woken = false;
      let delay: number;
      try {
        delay = await job.run(ctx);
        failures = 0;
      } catch (err) {
        failures++;
        delay = retryDelayMs(failures - 1, JOB_RETRY);
        log.error("job failed; retrying later", { err, failures, delayMs: delay });
      }
      if (stopping.signal.aborted) break;
      if (woken) continue;
      const waking = new AbortController();
      wake = () => waking.abort();
      await sleep(delay, AbortSignal.any([stopping.signal, waking.signal]));
      wake = () => {};
    }
    await unlisten?.().catch((err) => log.warn("job unsubscribe failed", { err }));
  }

  return {
    async stop() {
      stopping.abort();
      await Promise.allSettled(loops);
    },
  };
}
