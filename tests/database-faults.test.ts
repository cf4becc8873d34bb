/**
 * A real Postgres stopped, then hung (SIGSTOP): requests get a 503 without waiting out postgres.js'
 * reconnect backoff, /health answers and says the database is down, and the scheduler's jobs run
 * again within 5 s of the database coming back.
 */
import assert from "node:assert/strict";
import { sleep } from "../functions/_shared/clock.ts";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { waitUntil } from "./wait.ts";
import { freePort } from "../local/ports.ts";
import { startCluster } from "../local/postgres.ts";
import { migrate } from "../local/migrate.ts";
import { createSql, DB_PROBE_DEADLINE_MS } from "../functions/_shared/db.ts";
import { runJobs } from "../workers/scheduler/runner.ts";
import { withDeadline } from "../functions/_shared/deadline.ts";

/** postgres.js' own reconnect backoff reaches 20 s; before the cap some requests waited 12.5 s. */
const UNCAPPED_BACKOFF_MS = 10_000;

/** The postmaster and its children (backends, checkpointer, …). */
function postgresProcesses(postmaster: number): number[] {
  const out = new TextDecoder().decode(
    new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(postmaster)] }).outputSync()
      .stdout,
  );
  return [postmaster, ...out.trim().split(/\s+/).filter(Boolean).map(Number)];
}

Deno.test({
  name:
    "a stopped Postgres gets fast 503s and an answering health; the jobs resume within 5 s of its return; a hung one gets an answering health and 503s once the breaker opens",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "switchyard-pg-" });
    await Deno.chmod(dir, 0o755);
    const port = freePort();
    let cluster = await startCluster({
      dir,
      port,
      settings: { fsync: "off", synchronous_commit: "off" },
    });
    await migrate(cluster.url);
    const stack = await startStack({ store: "memory", env: { DATABASE_URL: cluster.url } });
    const seedSql = createSql(cluster.url, { max: 1 });
    const { key, slug } = await seedTenant(seedSql);
    await seedSql.end();
    const api = client(`${stack.base}/api`, key);
    const event = { type: "order.created", entity: { type: "order", id: "o-1" } };
    const runs: number[] = [];
    const jobs = runJobs(stack.ctx, [{
      name: "probe",
      run: async () => {
        await stack.ctx.sql`select 1`;
        runs.push(Date.now());
        return 250;
      },
    }]);
    try {
      assert.equal((await api("POST", "/events", event)).status, 202);
      await waitUntil("the job ran", () => runs.length > 0);

      await cluster.stop();
      const worst = { ms: 0 };
      // Long enough for an uncapped job backoff to have grown past 5 s.
      const downUntil = Date.now() + 10_000;
      while (Date.now() < downUntil) {
        const started = performance.now();
        const res = await api("POST", "/events", event);
        worst.ms = Math.max(worst.ms, performance.now() - started);
        assert.equal(res.status, 503);
        assert.equal(res.json.error.code, "unavailable");
        await sleep(200);
      }
      assert.ok(
        worst.ms < UNCAPPED_BACKOFF_MS,
        `every request answered at once, the slowest in ${worst.ms.toFixed(0)} ms`,
      );
      const down = await fetch(`${stack.base}/api/health`);
      const downBody = await down.json();
      assert.equal(down.status, 503);
      assert.equal(downBody.checks.database.status, "down");

      const runsWhileDown = runs.length;
      cluster = await startCluster({ dir, port, settings: { fsync: "off" } });
      const back = Date.now();
      await waitUntil(
        "the job ran after the database came back",
        () => runs.length > runsWhileDown,
        5_000,
      );
      const resumedMs = runs[runsWhileDown] - back;
      await waitUntil(
        "ingest accepted again",
        async () => (await api("POST", "/events", event)).status === 202,
        5_000,
      );
      const ingestMs = Date.now() - back;

      console.log(
        `Postgres stopped: slowest 503 ${
          worst.ms.toFixed(0)
        } ms; after its return the job ran in ${resumedMs} ms, ingest accepted in ${ingestMs} ms`,
      );

      // Hung: the postmaster and every backend stopped; connections are accepted, nothing answers.
      const hung = postgresProcesses(cluster.child.process.pid);
      for (const pid of hung) Deno.kill(pid, "SIGSTOP");
      try {
        const res = await fetch(`${stack.base}/api/health`, {
          signal: AbortSignal.timeout(UNCAPPED_BACKOFF_MS),
        });
        const hungBody = await res.json();
        assert.equal(res.status, 503);
        assert.equal(hungBody.checks.database.status, "down", JSON.stringify(hungBody));
        // A request gives up at its deadline; the probe finds the server away, so the breaker opens
        // at once, and the requests after it get a 503 at once.
        for (let i = 0; i < 5 && stack.ctx.breakers.db.state === "closed"; i++) {
          assert.equal((await api("POST", "/events", event)).status, 503);
        }
        assert.equal(stack.ctx.breakers.db.state, "open", "deadlines count against the breaker");
        assert.equal((await api("POST", "/events", event)).status, 503);
        // Half-open again, the breaker asks the probe before a call goes through: while the server
        // stays away, that request waits for the probe's deadline (1 s), not for the call's (5 s) nor
        // for a new connection's (3 s).
        await sleep(stack.ctx.breakers.db.openMs + 100);
        assert.equal(stack.ctx.breakers.db.state, "half-open");
        const trialStarted = performance.now();
        assert.equal((await api("POST", "/events", event)).status, 503);
        const trialMs = performance.now() - trialStarted;
        assert.ok(
          trialMs < DB_PROBE_DEADLINE_MS + 1_000,
          `the half-open request answered in ${trialMs.toFixed(0)} ms`,
        );
        assert.equal(stack.ctx.breakers.db.state, "open", "and the breaker opened again");
        // The operator's routes too: a replay (no tenant lookup first) answers at once, not never.
        const admin = client(stack.base, SERVICE_KEY);
        const started = performance.now();
        const replay = await withDeadline(
          admin("POST", "/admin/replay", { tenant: slug, from: "2026-01-01T00:00:00Z" }),
          UNCAPPED_BACKOFF_MS,
          "the replay",
        );
        assert.equal(replay.status, 503, JSON.stringify(replay.json));
        assert.ok(performance.now() - started < 2_000, "the open breaker answers at once");
      } finally {
        for (const pid of hung) Deno.kill(pid, "SIGCONT");
      }
    } finally {
      await jobs.stop();
      await stack.close();
      await cluster.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
