/**
 * `npm start` supervises: kill -9 of any of its processes (Postgres, redis-server, pgbouncer, the
 * bridge, each functions process, the relay, the scheduler) is restarted and shown in /health and
 * `switchyard status`; two functions processes share the port; SIGTERM still leaves nothing behind.
 */
import assert from "node:assert/strict";
import { sleep } from "../functions/_shared/clock.ts";
import { readEnvFile } from "../local/envfile.ts";
import { alive, boot, descendants, root, stackPorts } from "./start-support.ts";
import { waitUntil } from "./wait.ts";
import type { Health } from "../functions/_shared/health.ts";

type Processes = NonNullable<Health["checks"]["processes"]>;

Deno.test({
  name:
    "npm start restarts each process killed with kill -9, health and switchyard status show the restarts, and SIGTERM still stops everything",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stateDir = await Deno.makeTempDir({ prefix: "switchyard-supervise-" });
    await Deno.chmod(stateDir, 0o755);
    const ports = stackPorts();
    const booted = await boot(stateDir, ports, {
      SWITCHYARD_FUNCTION_INSTANCES: "2",
      SWITCHYARD_POOLER: "pgbouncer",
    });
    const base = `http://127.0.0.1:${ports.api}/functions/v1`;
    const everyPid = new Set<number>(descendants(booted.child.pid));
    const health = async (): Promise<Health | undefined> => {
      try {
        const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(3_000) });
        return await res.json();
      } catch {
        return undefined;
      }
    };
    try {
      assert.equal(booted.health?.status, "ok", booted.output());
      const env = await readEnvFile(`${stateDir}/env`);
      // No kept-alive connection: each request may land on either process.
      const fresh = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      const ingest = () =>
        fetch(`${base}/api/events`, {
          client: fresh,
          method: "POST",
          headers: {
            authorization: `Bearer ${env.SWITCHYARD_DEMO_API_KEY}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ type: "order.confirmed", entity: { type: "order", id: "o-1" } }),
          signal: AbortSignal.timeout(5_000),
        } as RequestInit);

      // Two processes serve the one port, and each answers (through pgbouncer).
      const answered = new Set<string>();
      await waitUntil("both functions processes answered", async () => {
        const res = await ingest();
        await res.body?.cancel();
        assert.equal(res.status, 202);
        answered.add(res.headers.get("x-switchyard-instance") ?? "?");
        return answered.size >= 2;
      }, 30_000);

      // The functions answer health a moment before the supervisor has noted them (and the relay and
      // the scheduler start after them): the list is complete once all eight are there.
      const listed = await waitUntil("every process is listed", async () => {
        const items = (await health())?.checks.processes?.items ?? [];
        return items.length >= 8 && items;
      }, 30_000);
      const processes = (listed as Processes["items"]).map((p) => p.name);
      assert.deepEqual(processes.sort(), [
        "bridge",
        "functions#1",
        "functions#2",
        "pgbouncer",
        "postgres",
        "redis-server",
        "relay",
        "scheduler",
      ]);
      const figures: string[] = [];
      for (const name of processes) {
        const before = (await health())!.checks.processes!.items.find((p) => p.name === name)!;
        assert.ok(before.pid, `${name} has a pid`);
        const killedAt = performance.now();
        Deno.kill(before.pid!, "SIGKILL");
        const after = await waitUntil(`${name} restarted`, async () => {
          const h = await health();
          const p = h?.checks.processes?.items.find((x) => x.name === name);
          return p && p.status === "running" && p.restarts === before.restarts + 1 &&
            p.pid !== before.pid && h!.status === "ok" && p;
        }, 60_000);
        figures.push(`${name} ${((performance.now() - killedAt) / 1000).toFixed(1)} s`);
        everyPid.add(after.pid!);
        for (const pid of descendants(booted.child.pid)) everyPid.add(pid);
        // Health answered from one functions instance; the other may meet its first dead pooled
        // connection on this request (a 503 the client retries), so ingest must work soon, not at once.
        const status = await waitUntil(`ingest works after ${name} came back`, async () => {
          const res = await ingest();
          await res.body?.cancel();
          return res.status === 202 && res.status;
        }, 10_000);
        assert.equal(status, 202, `ingest works after ${name} came back`);
      }
      console.log(`kill -9 → restarted and health ok: ${figures.join(", ")}`);
      // Each kill counted once for its process (checked above as it happened). A process may also
      // have ended on its own while one it depends on was away (and been restarted like any other):
      // health counts that too, and the output says which.
      const h = await health();
      const items = h!.checks.processes!.items;
      assert.equal(h!.checks.processes!.restarts, items.reduce((n, p) => n + p.restarts, 0));
      assert.ok(h!.checks.processes!.restarts >= processes.length);
      const again = items.filter((p) => p.restarts > 1).map((p) => `${p.name} ${p.restarts}×`);
      if (again.length) {
        console.log(`restarted more than once: ${again.join(", ")}\n${booted.output()}`);
      }
      assert.match(booted.output(), /restarted/, "each restart is logged");

      const status = await new Deno.Command("node", {
        args: ["cli/bin/run.js", "status"],
        cwd: root,
        env: {
          SUPABASE_URL: `http://127.0.0.1:${ports.api}`,
          SUPABASE_SERVICE_ROLE_KEY: env.SUPABASE_SERVICE_ROLE_KEY,
        },
      }).output();
      const text = new TextDecoder().decode(status.stdout);
      assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
      // The CLI says what health says (8 kills, and any restart that followed one of them).
      const relay = items.find((p) => p.name === "relay")!;
      assert.match(text, new RegExp(`restarts\\s+${h!.checks.processes!.restarts}\\b`), text);
      assert.match(text, new RegExp(`relay\\s+running\\s+${relay.restarts}\\b`), text);

      fresh.close();
      booted.child.kill("SIGTERM");
      assert.equal((await booted.child.status).code, 0);
      await booted.drained;
      const deadline = Date.now() + 10_000;
      while ([...everyPid].some(alive) && Date.now() < deadline) {
        await sleep(100);
      }
      assert.deepEqual([...everyPid].filter(alive), [], "no process is left behind");
    } finally {
      try {
        booted.child.kill("SIGKILL");
      } catch { /* gone */ }
      for (const pid of [...everyPid].filter(alive)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});
