import assert from "node:assert/strict";
import type { AppContext } from "../../functions/_shared/context.ts";
import { createLogger } from "../../functions/_shared/log.ts";
import type { Job } from "./jobs.ts";
import { JOB_RETRY, runJobs } from "./runner.ts";
import { sleep } from "../../functions/_shared/clock.ts";
import { retryDelayMs } from "../../functions/_shared/retry.ts";

const logged: string[] = [];
const ctx = {
  log: createLogger("test", { write: (l) => logged.push(l) }),
} as unknown as AppContext;
const tick = (ms = 20) => sleep(ms);

async function until(cond: () => boolean, ms = 3_000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await tick(5);
  }
}

Deno.test("a job runs again after the delay it returns", async () => {
  let runs = 0;
  const running = runJobs(ctx, [{ name: "every-10ms", run: () => Promise.resolve((runs++, 10)) }]);
  await until(() => runs >= 4);
  await running.stop();
});

Deno.test("a job that sleeps forever runs when woken, and a wake during a run gives exactly one more run", async () => {
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  let wake = () => {};
  let unsubscribed = false;
  let release = () => {};
  const job: Job = {
    name: "woken",
    async run() {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      if (runs === 2) await new Promise<void>((r) => (release = r));
      active--;
      return Infinity;
    },
    listen: (_ctx, w) => {
      wake = w;
      return Promise.resolve(() => Promise.resolve(void (unsubscribed = true)));
    },
  };
  const running = runJobs(ctx, [job]);
  await until(() => runs === 1);
  await tick();
  assert.equal(runs, 1);
  wake();
  await until(() => runs === 2);
  wake();
  wake();
  await tick();
  assert.equal(runs, 2, "no overlapping run while the second is busy");
  release();
  await until(() => runs === 3);
  await tick(50);
  assert.equal(runs, 3);
  assert.equal(maxActive, 1);
  await running.stop();
  assert.ok(unsubscribed);
});

Deno.test("a failing job is logged and retried later; stop ends a sleeping loop at once", async () => {
  let runs = 0;
  const running = runJobs(ctx, [{
    name: "flaky",
    run: () => (++runs === 1 ? Promise.reject(new Error("boom")) : Promise.resolve(60_000)),
  }]);
  await until(() => runs === 2, 5_000);
  assert.ok(logged.some((l) => l.includes('"job failed; retrying later"') && l.includes("boom")));
  const started = Date.now();
  await running.stop();
  assert.ok(Date.now() - started < 1_000);
});

Deno.test("a job failing over and over retries at least every 4 s, so it resumes within 5 s of a fix", () => {
  for (let failures = 0; failures < 100; failures++) {
    assert.ok(retryDelayMs(failures, JOB_RETRY, () => 0) <= 4_000);
  }
});
