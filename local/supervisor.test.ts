import assert from "node:assert/strict";
import { createLogger } from "../functions/_shared/log.ts";
import { readSupervisorState } from "../functions/_shared/processes.ts";
import { spawn } from "./process.ts";
import { Supervisor } from "./supervisor.ts";
import { waitUntil } from "../tests/wait.ts";

function supervisor(dir: string, lines: string[]) {
  return new Supervisor({
    log: createLogger("test", { write: (l) => lines.push(l) }),
    statePath: `${dir}/supervisor.json`,
    maxCrashes: 3,
    windowMs: 60_000,
    backoff: { baseMs: 10, maxMs: 50 },
  });
}

Deno.test("a child killed with kill -9 is restarted, logged and recorded; stopAll stops it and removes the record", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const sup = supervisor(dir, lines);
  const first = await sup.add({
    name: "sleeper",
    start: () => spawn("sleeper", "sleep", { args: ["60"], output: "null" }),
  });
  Deno.kill(first.process.pid, "SIGKILL");
  await waitUntil("the sleeper restarted", async () => {
    const s = await readSupervisorState(`${dir}/supervisor.json`);
    return s?.processes[0].restarts === 1 && s.processes[0].status === "running";
  });
  const [state] = sup.processes;
  assert.notEqual(state.pid, first.process.pid);
  assert.equal(state.lastExit?.signal, "SIGKILL");
  assert.ok(lines.some((l) => l.includes('"sleeper restarted"')));
  const pid = state.pid!;
  await sup.stopAll();
  assert.throws(() => Deno.kill(pid, "SIGCONT"), "the child is gone");
  assert.equal(await readSupervisorState(`${dir}/supervisor.json`), null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a child that keeps crashing is given up on loudly after too many crashes in the window", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const sup = supervisor(dir, lines);
  let starts = 0;
  await sup.add({
    name: "crasher",
    start: () => (starts++, spawn("crasher", "sh", { args: ["-c", "exit 3"], output: "null" })),
  });
  await waitUntil(
    "the crasher given up on",
    async () =>
      (await readSupervisorState(`${dir}/supervisor.json`))?.processes[0].status === "failed",
  );
  assert.equal(starts, 4, "the first start and three restarts");
  assert.equal(sup.processes[0].lastExit?.code, 3);
  assert.ok(lines.some((l) => l.includes("GIVING UP on crasher") && l.includes('"level":"error"')));
  await sup.stopAll();
  await Deno.remove(dir, { recursive: true });
});
