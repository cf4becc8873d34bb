/**
 * The stack as users run it, for the benchmarks: `npm start` through the tests' bootStack (own
 * state folder and ports), with the ingest guards raised, once the relay and the scheduler run too.
 * Stopped with SIGTERM as Ctrl-C would, and anything left of it by pid.
 */
import { bootStack } from "../../tests/stack-process.ts";
import { descendants } from "../../local/process.ts";
import { sleep } from "../../functions/_shared/clock.ts";

export interface UserStack {
  /** What `npm start` wrote to its env file (DATABASE_URL, keys, the bridge's URL and token). */
  env: Record<string, string>;
  /** `http://127.0.0.1:<port>/functions/v1` */
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/** `args` go to `npm start` (e.g. `--example bank`). */
export async function startUserStack(args: string[] = []): Promise<UserStack> {
  const stack = await bootStack({
    // The benchmark measures throughput, not the per-tenant guard in front of it.
    INGEST_TENANT_RATE: "100000000",
    INGEST_IP_RATE: "100000000",
  }, { args, timeoutMs: 180_000 });
  const pid = stack.child.pid;
  // The relay and the scheduler start after the functions answer.
  for (let i = 0; i < 600 && !stack.processes().some((p) => /scheduler/.test(p.cmd)); i++) {
    await sleep(100);
  }
  return {
    env: stack.env,
    base: stack.base,
    pid,
    async stop() {
      const left = descendants(pid);
      await stack.stop();
      // Whatever of it outlived it goes by pid.
      for (const p of left) {
        try {
          Deno.kill(p, "SIGKILL");
        } catch { /* gone */ }
      }
    },
  };
}
