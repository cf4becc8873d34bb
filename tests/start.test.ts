/**
 * `npm start` as a newcomer runs it: a whole stack in a fresh state folder (own ports), health
 * answers, credentials are written, a second run reuses the data, and SIGTERM leaves no process.
 */
import assert from "node:assert/strict";
import { readEnvFile } from "../local/envfile.ts";
import { waitUntil } from "./wait.ts";
import { sleep } from "../functions/_shared/clock.ts";
import { alive, boot, descendants, root, stackPorts } from "./start-support.ts";

Deno.test("npm start boots the stack, writes credentials, reuses data, and SIGTERM leaves no process behind", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "switchyard-start-" });
  await Deno.chmod(stateDir, 0o755);
  const ports = stackPorts();
  try {
    const first = await boot(stateDir, ports);
    try {
      assert.equal(
        first.health?.status,
        "ok",
        `health within 60 s: ${JSON.stringify(first.health)}\n${first.output()}`,
      );
      assert.ok(first.elapsedMs < 60_000);
      const env = await readEnvFile(`${stateDir}/env`);
      for (
        const k of [
          "DATABASE_URL",
          "SUPABASE_URL",
          "SUPABASE_SERVICE_ROLE_KEY",
          "UPSTASH_REDIS_REST_URL",
          "UPSTASH_REDIS_REST_TOKEN",
          "SWITCHYARD_DEMO_TENANT",
          "SWITCHYARD_DEMO_API_KEY",
        ]
      ) {
        assert.ok(env[k], `${k} written to the env file`);
      }
      assert.match(
        first.output(),
        new RegExp(env.SWITCHYARD_DEMO_API_KEY),
        "the demo key is printed",
      );
      assert.match(first.output(), /curl .*\/api\/health/, "a curl line to try is printed");

      const res = await fetch(`http://127.0.0.1:${ports.api}/functions/v1/api/events`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${env.SWITCHYARD_DEMO_API_KEY}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ type: "order.confirmed", entity: { type: "order", id: "o-1" } }),
      });
      await res.body?.cancel();
      assert.equal(res.status, 202, "the demo key is accepted");

      const children = descendants(first.child.pid);
      assert.ok(
        children.length >= 5,
        `postgres, redis, bridge, functions, relay, scheduler: ${children.length}`,
      );

      // A second npm start on the same folder refuses, and leaves the running stack alone.
      const twice = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "local/start.ts"],
        cwd: root,
        env: {
          SWITCHYARD_STATE_DIR: stateDir,
          SWITCHYARD_PORT: String(ports.api),
          SWITCHYARD_DB_PORT: String(ports.db),
          SWITCHYARD_BRIDGE_PORT: String(ports.bridge),
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(twice.code, 1);
      assert.match(
        new TextDecoder().decode(twice.stderr),
        new RegExp(`already running .* \\(pid ${first.child.pid}\\)`),
      );
      assert.deepEqual(children.filter((pid) => !alive(pid)), [], "every process still runs");
      // Healthy: the relay may still be taking its slot this soon after start-up, under a loaded CI.
      let health: { status?: string; checks?: unknown } = {};
      await waitUntil("a healthy stack", async () => {
        health = await (await fetch(`http://127.0.0.1:${ports.api}/functions/v1/api/health`))
          .json();
        return health.status === "ok";
      }).catch((err) => assert.fail(`${err.message}: ${JSON.stringify(health.checks)}`));
      first.child.kill("SIGTERM");
      const status = await first.child.status;
      await first.drained;
      assert.equal(status.code, 0);
      const left = children.filter(alive);
      assert.deepEqual(left, [], "no process is left behind");
    } finally {
      try {
        first.child.kill("SIGKILL");
      } catch { /* gone */ }
    }

    const before = await readEnvFile(`${stateDir}/env`);
    const second = await boot(stateDir, ports);
    try {
      assert.equal(second.health?.status, "ok");
      const after = await readEnvFile(`${stateDir}/env`);
      assert.equal(
        after.SWITCHYARD_DEMO_API_KEY,
        before.SWITCHYARD_DEMO_API_KEY,
        "the second run reuses the demo tenant",
      );
      assert.doesNotMatch(second.output(), /first run/);
    } finally {
      second.child.kill("SIGTERM");
      await second.child.status;
      await second.drained;
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("when npm start is killed outright, its Deno processes stop with it and the next start takes Postgres and Redis back", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "switchyard-start-" });
  await Deno.chmod(stateDir, 0o755);
  const booted = await boot(stateDir, stackPorts(), {
    SWITCHYARD_FUNCTION_INSTANCES: "2",
  });
  const children = descendants(booted.child.pid);
  const cmdline = (pid: number) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
    } catch {
      return "";
    }
  };
  const denoChildren = children.filter((pid) => cmdline(pid).includes("deno"));
  try {
    assert.equal(booted.health?.status, "ok");
    assert.equal(denoChildren.length, 5, "bridge, two functions processes, relay and scheduler");
    booted.child.kill("SIGKILL");
    await booted.child.status;
    await waitUntil("every Deno child to notice and stop", () => !denoChildren.some(alive), 15_000);

    // Postgres and Redis cannot watch their parent; the next start takes their folders back.
    const again = await boot(stateDir, stackPorts());
    children.push(...descendants(again.child.pid));
    try {
      assert.equal(again.health?.status, "ok", `restart after a kill: ${again.output()}`);
      assert.deepEqual(
        children.filter((pid) => !descendants(again.child.pid).includes(pid)).filter(alive),
        [],
        "the orphans were stopped",
      );
    } finally {
      again.child.kill("SIGTERM");
      await again.child.status;
      await again.drained;
    }
  } finally {
    // Postgres and Redis cannot watch their parent: stop them here.
    for (const pid of children.filter(alive)) {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone */ }
    }
    await booted.drained;
    await sleep(1_000);
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("bad configuration stops start-up with a one-line reason naming the variable", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "local/start.ts"],
    cwd: root,
    env: { DATABASE_URL: "nonsense", SWITCHYARD_STATE_DIR: await Deno.makeTempDir() },
  }).output();
  assert.equal(out.code, 1);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.match(stderr, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
  assert.equal(stderr.trim().split("\n").filter((l) => l.includes("switchyard:")).length, 1);
});
