/**
 * The delivery worker as a scheduler job: LISTEN `switchyard_deliveries` wakes it, a round sends
 * until nothing is due, then it sleeps until the next due time. Nothing polls while idle.
 */
import type { Job } from "../jobs.ts";
import type { AppContext } from "../../../functions/_shared/context.ts";
import { DeliveryWorker, type WorkerOptions } from "../../../functions/_shared/delivery/worker.ts";

const workers = new WeakMap<AppContext, DeliveryWorker>();

function workerFor(ctx: AppContext): DeliveryWorker {
  let w = workers.get(ctx);
  if (!w) workers.set(ctx, w = new DeliveryWorker(ctx));
  return w;
}

export const deliveriesJob: Job = {
  name: "deliveries",
  run: (ctx) => workerFor(ctx).drain(),
  async listen(ctx, wake) {
    const worker = workerFor(ctx);
    const sub = await ctx.sql.listen("switchyard_deliveries", () => {
      worker.wake();
      wake();
    });
    return () => sub.unlisten();
  },
};

/** Runs a delivery worker on its own (tests, benchmarks, a dedicated process): listen, drain, sleep. */
export async function runDeliveryWorker(ctx: AppContext, opts: WorkerOptions = {}) {
  const worker = new DeliveryWorker(ctx, opts);
  let stopped = false;
  let woken = false;
  let sleeping: { timer?: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;
  const wake = () => {
    woken = true;
    worker.wake();
    if (sleeping) {
      clearTimeout(sleeping.timer);
      sleeping.resolve();
    }
  };
  const sub = await ctx.sql.listen("switchyard_deliveries", wake);
  const loop = (async () => {
    while (!stopped) {
      woken = false;
      let delay: number;
      try {
        delay = await worker.drain();
      } catch (err) {
        ctx.log.error("delivery round failed", { err });
        delay = 1_000;
      }
      if (stopped || woken || delay <= 0) continue;
      await new Promise<void>((resolve) => {
        sleeping = {
          resolve,
          timer: Number.isFinite(delay)
            ? setTimeout(resolve, Math.min(delay, 2 ** 31 - 1))
            : undefined,
        };
      });
      sleeping = null;
    }
  })();
  return {
    worker,
    async stop() {
      stopped = true;
      worker.stop();
      wake();
      await loop;
      await sub.unlisten();
    },
  };
}
